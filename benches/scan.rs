//! How long reading a QR code takes, on generated camera-like frames (issue 4).
//!
//! `decode/*` is the thorough decoder used for files and the screen; `live/*` is one frame of the
//! camera scanner, which spreads its retries over frames. The budget: a 1280×720 frame
//! with nothing in view must cost no more than twice what zxing-cpp takes on it; compare
//! `live/empty_1280x720` with zxing-cpp on the same frame, which `benches/empty_frame_zxing.py`
//! rebuilds bit for bit and times (run it right after this bench; about 1.3–1.8 ms, and 14.9M
//! instructions under callgrind, on the development machine). Wall times on a shared machine
//! drift; instruction counts (`valgrind --tool=callgrind`) compare reliably.

use criterion::{criterion_group, criterion_main, Criterion};
use pocketpass::scan::{self, LumaFrame, Scanner};
use std::hint::black_box;

#[path = "../tests/scan_render/mod.rs"]
mod scan_render;
use scan_render::{blur, draw, levels, noise, square, Modules};

const KEY_URI: &str =
    "otpauth://totp/HPC%20Centre:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=HPC%20Centre";

fn frame(w: usize, h: usize, data: Vec<u8>) -> LumaFrame {
    LumaFrame::new(w, h, data).expect("frame size matches its data")
}

/// The frames benchmarked, each checked to decode (or, when empty, not to).
fn frames() -> Vec<(&'static str, LumaFrame)> {
    let m = Modules::text(KEY_URI);
    let (w, h) = (640, 480);
    let at =
        |px: f64, degrees: f64| draw(w, h, &m, square(320.0, 240.0, m.size as f64 * px, degrees));
    let mut out = vec![
        ("small_3px", frame(w, h, at(3.0, 0.0))),
        ("medium_5px", frame(w, h, at(5.0, 0.0))),
        ("large_8px", frame(w, h, at(8.0, 0.0))),
        ("turned_30deg", frame(w, h, at(5.0, 30.0))),
        (
            "tilted",
            frame(
                w,
                h,
                draw(
                    w,
                    h,
                    &m,
                    [
                        (150.0, 60.0),
                        (500.0, 100.0),
                        (480.0, 420.0),
                        (130.0, 400.0),
                    ],
                ),
            ),
        ),
        ("blurred", frame(w, h, blur(&at(4.0, 5.0), w, h, 1))),
    ];
    let mut noisy = at(4.0, 0.0);
    noise(&mut noisy, 40, 1);
    out.push(("noisy", frame(w, h, noisy)));
    let mut inverted = at(4.0, 0.0);
    inverted.iter_mut().for_each(|p| *p = 255 - *p);
    out.push(("inverted", frame(w, h, inverted)));
    let mut dim = at(4.0, 0.0);
    levels(&mut dim, 80, 150);
    out.push(("low_contrast", frame(w, h, dim)));
    out
}

/// A 1280×720 camera frame with nothing in view: a soft gradient with sensor noise.
fn empty_720p() -> LumaFrame {
    let (w, h) = (1280, 720);
    let mut img: Vec<u8> = (0..w * h)
        .map(|i| (90 + (i % w) * 80 / w + (i / w) * 40 / h) as u8)
        .collect();
    noise(&mut img, 6, 9);
    frame(w, h, img)
}

/// A 1280×720 camera frame with a code at 4 px a module, a little tilted and blurred.
fn code_720p() -> LumaFrame {
    let m = Modules::text(KEY_URI);
    let (w, h) = (1280, 720);
    let img = draw(w, h, &m, square(640.0, 360.0, m.size as f64 * 4.0, 8.0));
    frame(w, h, blur(&img, w, h, 1))
}

fn bench_decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    for (name, f) in frames() {
        let read: Vec<_> = scan::decode(&f)
            .into_iter()
            .filter_map(|c| c.text)
            .collect();
        assert_eq!(
            read,
            vec![KEY_URI.to_owned()],
            "{name} must decode before it is timed"
        );
        group.bench_function(name, |b| b.iter(|| scan::decode(black_box(&f))));
    }
    group.finish();
}

fn bench_live(c: &mut Criterion) {
    let mut group = c.benchmark_group("live");
    let empty = empty_720p();
    assert!(scan::decode(&empty).is_empty());
    let mut scanner = Scanner::new();
    group.bench_function("empty_1280x720", |b| {
        b.iter(|| scanner.scan(black_box(&empty)))
    });
    let code = code_720p();
    let mut scanner = Scanner::new();
    group.bench_function("code_1280x720", |b| {
        b.iter(|| scanner.scan(black_box(&code)))
    });
    group.finish();
}

criterion_group!(benches, bench_decode, bench_live);
criterion_main!(benches);
