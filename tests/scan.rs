//! Reading QR codes the way a camera or a screen shows them (issue 4).
//!
//! Every frame here is generated: a code is rendered with the `qrcode` crate, then drawn into a
//! luma frame the way a camera would see it (scaled, rotated, tilted, blurred, noisy, dim,
//! inverted), and the decoder must give back exactly the payload that was encoded. Frames with
//! no code must give nothing. The public photo corpus is measured in CI by
//! `../shared/bench/qr-peers.py`, not here, so that `cargo test` passes for anyone who clones.

use pocketpass::scan::{
    self, FileSource, FoundCode, FrameSource, LumaFrame, PlaybackSource, Scanner,
};
use proptest::prelude::*;
use qrcode::bits::Bits;
use qrcode::{EcLevel, QrCode, Version};

mod scan_render;
use scan_render::{blur, draw, levels, noise, square, upright, Lcg, Modules};

/// The key URI a portal's activation page shows.
const KEY_URI: &str = "otpauth://totp/HPC%20Centre:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=HPC%20Centre&period=30&digits=6";

fn frame(w: usize, h: usize, data: Vec<u8>) -> LumaFrame {
    LumaFrame::new(w, h, data).expect("frame size matches its data")
}

fn texts(codes: &[FoundCode]) -> Vec<String> {
    codes.iter().filter_map(|c| c.text.clone()).collect()
}

/// Asserts that `data` decodes to exactly `expected`.
fn assert_reads(w: usize, h: usize, data: Vec<u8>, expected: &str, what: &str) {
    let codes = scan::decode(&frame(w, h, data));
    assert_eq!(texts(&codes), vec![expected.to_owned()], "{what}");
}

#[test]
fn installing_a_key_starts_with_reading_the_portals_qr_code() {
    let m = Modules::text(KEY_URI);
    let side = (m.size * 4) as f64;
    let img = draw(400, 400, &m, square(200.0, 200.0, side, 0.0));
    let codes = scan::decode(&frame(400, 400, img));
    assert_eq!(codes.len(), 1);
    assert_eq!(codes[0].text.as_deref(), Some(KEY_URI));
    assert_eq!(codes[0].bytes, KEY_URI.as_bytes());
    // The corners are reported in frame pixels, around the code itself.
    let (x, y) = codes[0].corners[0];
    let edge = 200.0 - side / 2.0 + 16.0;
    assert!(
        (x - edge as f32).abs() < 6.0 && (y - edge as f32).abs() < 6.0,
        "top-left corner at {x},{y}, expected near {edge}"
    );
}

#[test]
fn codes_read_at_every_module_size_from_two_to_eight_pixels() {
    let m = Modules::text(KEY_URI);
    for px in [2.0, 2.5, 3.0, 4.0, 5.5, 8.0] {
        let side = m.size as f64 * px;
        let dim = (side + 40.0) as usize;
        let img = draw(
            dim,
            dim,
            &m,
            square(dim as f64 / 2.0, dim as f64 / 2.0, side, 0.0),
        );
        assert_reads(dim, dim, img, KEY_URI, &format!("{px} px modules"));
    }
}

#[test]
fn a_turned_phone_still_reads_the_code() {
    let m = Modules::text(KEY_URI);
    for degrees in [7.0, 22.0, 45.0, 97.0, 180.0, 261.0] {
        let img = draw(
            420,
            420,
            &m,
            square(210.0, 210.0, m.size as f64 * 4.0, degrees),
        );
        assert_reads(420, 420, img, KEY_URI, &format!("turned {degrees}°"));
    }
}

#[test]
fn a_tilted_view_of_the_monitor_still_reads() {
    let m = Modules::text(KEY_URI);
    let quads = [
        // Seen from the left: the far edge is shorter.
        [(60.0, 40.0), (330.0, 80.0), (330.0, 300.0), (60.0, 340.0)],
        // Seen from below.
        [(100.0, 60.0), (300.0, 60.0), (350.0, 330.0), (50.0, 330.0)],
        // Tilted and turned.
        [(90.0, 50.0), (340.0, 100.0), (300.0, 350.0), (40.0, 290.0)],
    ];
    for quad in quads {
        let img = draw(400, 400, &m, quad);
        assert_reads(400, 400, img, KEY_URI, &format!("quad {quad:?}"));
    }
}

#[test]
fn blur_noise_dim_light_and_uneven_light_are_tolerated() {
    let m = Modules::text(KEY_URI);
    let (w, h) = (360, 360);
    let clean = draw(w, h, &m, square(180.0, 180.0, m.size as f64 * 4.0, 3.0));

    assert_reads(w, h, blur(&clean, w, h, 1), KEY_URI, "blurred");

    let mut noisy = clean.clone();
    noise(&mut noisy, 50, 7);
    assert_reads(w, h, noisy, KEY_URI, "noisy");

    let mut dim = clean.clone();
    levels(&mut dim, 90, 140);
    assert_reads(w, h, dim, KEY_URI, "low contrast");

    let mut uneven = clean.clone();
    for (i, p) in uneven.iter_mut().enumerate() {
        let x = (i % w) as u32;
        *p = (*p as u32 * (60 + 195 * x / w as u32) / 255) as u8;
    }
    assert_reads(w, h, uneven, KEY_URI, "light falling off to one side");

    let mut everything = blur(&clean, w, h, 1);
    levels(&mut everything, 40, 200);
    noise(&mut everything, 20, 11);
    assert_reads(w, h, everything, KEY_URI, "blurred, dimmed and noisy");
}

#[test]
fn a_dark_mode_page_shows_the_code_light_on_dark() {
    let m = Modules::text(KEY_URI);
    let mut img = draw(300, 300, &m, square(150.0, 150.0, m.size as f64 * 3.0, 0.0));
    img.iter_mut().for_each(|p| *p = 255 - *p);
    assert_reads(300, 300, img, KEY_URI, "inverted");
}

#[test]
fn a_screen_with_two_codes_gives_both() {
    let first = "otpauth://totp/A:alice?secret=JBSWY3DPEHPK3PXP&issuer=A";
    let second = "otpauth://totp/B:bob?secret=KRSXG5CTMVRXEZLU&issuer=B";
    let (w, h) = (640, 300);
    let a = draw(
        w,
        h,
        &Modules::text(first),
        square(160.0, 150.0, 180.0, 0.0),
    );
    let b = draw(
        w,
        h,
        &Modules::text(second),
        square(480.0, 150.0, 180.0, 0.0),
    );
    let both: Vec<u8> = a.iter().zip(&b).map(|(&x, &y)| x.min(y)).collect();
    let mut found = texts(&scan::decode(&frame(w, h, both)));
    found.sort();
    assert_eq!(found, vec![first.to_owned(), second.to_owned()]);
}

#[test]
fn large_codes_of_high_versions_read() {
    // Version 10 is what a long key URI needs; version 20 (six alignment patterns a side
    // group) is where rqrr's sampling alone gave up, and the fallback decoder reads it.
    for extra in [160, 760] {
        let payload = format!("{KEY_URI}&note={}", "x".repeat(extra));
        let m = Modules::text(&payload);
        assert!(
            m.size > 50,
            "version high enough to carry several alignment patterns"
        );
        let dim = m.size * 4 + 20;
        let img = draw(
            dim,
            dim,
            &m,
            square(dim as f64 / 2.0, dim as f64 / 2.0, (m.size * 4) as f64, 2.0),
        );
        assert_reads(dim, dim, img, &payload, &format!("{}-module code", m.size));
    }
}

/// Renders a code made of explicit segments, at 4 px a module.
fn render_bits(bits: Bits) -> (usize, Vec<u8>) {
    upright(
        &Modules::of(&QrCode::with_bits(bits, EcLevel::L).unwrap()),
        4,
    )
}

#[test]
fn payloads_follow_the_qr_character_set_rules() {
    // Byte mode without ECI, valid UTF-8: read as UTF-8, as generators mean it.
    let utf8 = "Grüße från Umeå";
    let mut bits = Bits::new(Version::Normal(3));
    bits.push_byte_data(utf8.as_bytes()).unwrap();
    bits.push_terminator(EcLevel::L).unwrap();
    let (dim, img) = render_bits(bits);
    assert_reads(dim, dim, img, utf8, "UTF-8 bytes");

    // Byte mode without ECI that is not UTF-8: the standard's default, ISO-8859-1.
    let latin1: Vec<u8> = "Grüße".chars().map(|c| c as u32 as u8).collect();
    let mut bits = Bits::new(Version::Normal(2));
    bits.push_byte_data(&latin1).unwrap();
    bits.push_terminator(EcLevel::L).unwrap();
    let (dim, img) = render_bits(bits);
    let codes = scan::decode(&frame(dim, dim, img));
    assert_eq!(texts(&codes), vec!["Grüße".to_owned()]);
    assert_eq!(codes[0].bytes, latin1, "bytes are returned as encoded");

    // Kanji mode is Shift_JIS.
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("点検");
    let mut bits = Bits::new(Version::Normal(2));
    bits.push_kanji_data(&sjis).unwrap();
    bits.push_terminator(EcLevel::L).unwrap();
    let (dim, img) = render_bits(bits);
    assert_reads(dim, dim, img, "点検", "Kanji mode");

    // An ECI designator names the character set: 7 is ISO-8859-5 (Cyrillic).
    let (cyrillic, _, _) = encoding_rs::ISO_8859_5.encode("Привет");
    let mut bits = Bits::new(Version::Normal(2));
    bits.push_eci_designator(7).unwrap();
    bits.push_byte_data(&cyrillic).unwrap();
    bits.push_terminator(EcLevel::L).unwrap();
    let (dim, img) = render_bits(bits);
    assert_reads(dim, dim, img, "Привет", "ECI 7");

    // Binary data (ECI 899) has no text, only bytes.
    let binary = [0u8, 1, 2, 0xff, 0xfe, 0x80];
    let mut bits = Bits::new(Version::Normal(2));
    bits.push_eci_designator(899).unwrap();
    bits.push_byte_data(&binary).unwrap();
    bits.push_terminator(EcLevel::L).unwrap();
    let (dim, img) = render_bits(bits);
    let codes = scan::decode(&frame(dim, dim, img));
    assert_eq!(codes.len(), 1);
    assert_eq!(codes[0].text, None);
    assert_eq!(codes[0].bytes, binary);

    // GS1 (FNC1 in first position): '%' in alphanumeric mode stands for the GS separator.
    let mut bits = Bits::new(Version::Normal(2));
    bits.push_fnc1_first_position().unwrap();
    bits.push_alphanumeric_data(b"0109501101020917%10ABC")
        .unwrap();
    bits.push_terminator(EcLevel::L).unwrap();
    let (dim, img) = render_bits(bits);
    assert_reads(dim, dim, img, "0109501101020917\u{1d}10ABC", "GS1");
}

#[test]
fn frames_without_a_code_give_nothing() {
    let (w, h) = (320, 240);
    let mut rng = Lcg(3);
    let blank = vec![200u8; w * h];
    let random: Vec<u8> = (0..w * h).map(|_| rng.next() as u8).collect();
    let stripes: Vec<u8> = (0..w * h)
        .map(|i| if (i % w) / 5 % 2 == 0 { 20 } else { 230 })
        .collect();
    let checker: Vec<u8> = (0..w * h)
        .map(|i| {
            if ((i % w) / 4 + (i / w) / 4) % 2 == 0 {
                0
            } else {
                255
            }
        })
        .collect();
    for (name, data) in [
        ("blank", blank),
        ("random", random),
        ("stripes", stripes),
        ("checkerboard", checker),
    ] {
        assert!(
            scan::decode(&frame(w, h, data)).is_empty(),
            "{name} frame gave a code"
        );
    }
}

#[test]
fn a_damaged_code_is_never_misread() {
    // Wipe ever larger bands of the code: the decoder may fail, but when it reads, it reads the
    // right payload (Reed-Solomon checks every block).
    let (dim, clean) = upright(&Modules::text(KEY_URI), 4);
    for band in [4, 12, 24, 40, 60] {
        let mut img = clean.clone();
        let y0 = dim / 2;
        for y in y0..(y0 + band).min(dim) {
            img[y * dim..(y + 1) * dim]
                .iter_mut()
                .for_each(|p| *p = 255);
        }
        for code in scan::decode(&frame(dim, dim, img)) {
            assert_eq!(
                code.text.as_deref(),
                Some(KEY_URI),
                "band of {band} px misread"
            );
        }
    }
}

#[test]
fn the_live_scanner_finds_a_code_within_a_few_frames() {
    // A phone moving into position: empty frames, then a blurred, tilted, dim code.
    let m = Modules::text(KEY_URI);
    let (w, h) = (480, 360);
    let mut code = draw(
        w,
        h,
        &m,
        [(120.0, 50.0), (370.0, 70.0), (360.0, 320.0), (110.0, 300.0)],
    );
    code = blur(&code, w, h, 1);
    levels(&mut code, 70, 170);
    let mut frames = vec![frame(w, h, vec![128; w * h]); 3];
    frames.extend(std::iter::repeat_n(frame(w, h, code), 12));
    let mut source = PlaybackSource::new(frames);
    let mut scanner = Scanner::new();
    let mut seen = None;
    let mut n = 0;
    while let Some(f) = source.next_frame().unwrap() {
        n += 1;
        if let Some(text) = scanner.scan(&f).into_iter().find_map(|c| c.text) {
            seen = Some(text);
            break;
        }
    }
    assert_eq!(seen.as_deref(), Some(KEY_URI), "after {n} frames");
    assert!(n > 3, "the empty frames gave nothing");
}

#[test]
fn scan_stream_reads_recorded_frames_and_stops_at_the_end() {
    let m = Modules::text(KEY_URI);
    let img = draw(200, 200, &m, square(100.0, 100.0, 180.0, 0.0));
    // A camera shows the same view for several frames; the scanner rotates its attempts.
    let mut frames = vec![frame(200, 200, vec![0; 40_000])];
    frames.extend(std::iter::repeat_n(frame(200, 200, img), 4));
    let mut with_code = PlaybackSource::new(frames);
    let found = scan::scan_stream(&mut with_code, std::time::Duration::from_secs(60)).unwrap();
    assert_eq!(found, vec![KEY_URI.to_owned()]);
    let mut without = PlaybackSource::new(vec![frame(50, 50, vec![255; 2500]); 3]);
    assert!(
        scan::scan_stream(&mut without, std::time::Duration::from_secs(60))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn image_files_are_read_whatever_their_format() {
    let dir = tempfile::tempdir().unwrap();
    let (dim, img) = upright(&Modules::text(KEY_URI), 4);
    let grey = image::GrayImage::from_raw(dim as u32, dim as u32, img).unwrap();
    for ext in ["png", "jpg", "webp"] {
        let path = dir.path().join(format!("portal.{ext}"));
        // The image crate writes lossless WebP; JPEG is lossy, which the decoder must bear.
        image::DynamicImage::ImageLuma8(grey.clone())
            .to_rgb8()
            .save(&path)
            .unwrap();
        let mut source = FileSource::new(&path);
        let f = source.next_frame().unwrap().expect("one frame");
        assert!(
            source.next_frame().unwrap().is_none(),
            "a file is one frame"
        );
        assert_eq!(texts(&scan::decode(&f)), vec![KEY_URI.to_owned()], "{ext}");
        assert_eq!(
            scan::read_texts(&scan::Source::File(path.clone())).unwrap(),
            vec![KEY_URI.to_owned()]
        );
    }
}

#[test]
fn unreadable_files_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothing-here.png");
    let err = scan::read_texts(&scan::Source::File(missing)).unwrap_err();
    assert!(matches!(err, scan::SourceError::Io { .. }), "{err}");
    let text = dir.path().join("notes.png");
    std::fs::write(&text, "not an image").unwrap();
    let err = scan::read_texts(&scan::Source::File(text)).unwrap_err();
    assert!(matches!(err, scan::SourceError::BadImage { .. }), "{err}");
    let blank = dir.path().join("blank.png");
    image::GrayImage::from_pixel(64, 64, image::Luma([255]))
        .save(&blank)
        .unwrap();
    let err = scan::read_texts(&scan::Source::File(blank)).unwrap_err();
    assert!(matches!(err, scan::SourceError::NoCode(_)), "{err}");
    assert!(err.to_string().contains("no QR code"), "{err}");
}

#[test]
fn frames_must_match_their_size() {
    assert!(LumaFrame::new(10, 10, vec![0; 99]).is_none());
    assert!(LumaFrame::new(usize::MAX, 2, vec![]).is_none());
    assert!(LumaFrame::new(0, 0, vec![]).is_some());
}

/// Finder-like shapes: rows of 1:1:3:1:1 runs in random places and sizes, the input most likely
/// to send the detector down unusual paths.
fn finder_soup(w: usize, h: usize, seed: u64) -> Vec<u8> {
    let mut rng = Lcg(seed);
    let mut img = vec![255u8; w * h];
    for _ in 0..(rng.next() % 12) {
        let unit = 1 + (rng.next() % 6) as usize;
        let (cx, cy) = (
            (rng.next() as usize) % w.max(1),
            (rng.next() as usize) % h.max(1),
        );
        for y in 0..7 * unit {
            for x in 0..7 * unit {
                let (mx, my) = (x / unit, y / unit);
                let ring = mx.min(my).min(6 - mx).min(6 - my);
                let dark = ring != 1;
                let (px, py) = (cx + x, cy + y);
                if px < w && py < h && dark {
                    img[py * w + px] = 0;
                }
            }
        }
    }
    img
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_frames_never_panic(w in 0usize..90, h in 0usize..90, seed in any::<u64>()) {
        let mut rng = Lcg(seed);
        let data: Vec<u8> = (0..w * h).map(|_| rng.next() as u8).collect();
        let f = frame(w, h, data);
        let _ = scan::decode(&f);
        let _ = Scanner::new().scan(&f);
    }

    #[test]
    fn finder_like_shapes_never_panic_or_give_a_code(w in 21usize..160, h in 21usize..160, seed in any::<u64>()) {
        let f = frame(w, h, finder_soup(w, h, seed));
        prop_assert!(texts(&scan::decode(&f)).is_empty());
    }

    #[test]
    fn corrupted_codes_never_panic_and_never_misread(seed in any::<u64>(), flips in 0usize..400) {
        let m = Modules::text("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP");
        let (dim, mut img) = upright(&m, 3);
        let mut rng = Lcg(seed);
        for _ in 0..flips {
            let i = rng.next() as usize % img.len();
            img[i] = 255 - img[i];
        }
        for code in scan::decode(&frame(dim, dim, img)) {
            prop_assert_eq!(code.text.as_deref(), Some("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP"));
        }
    }
}

/// Issue 12, item 7: decoding had no time bound, so a crafted image kept the decoder (and,
/// then, the locked vault) busy for as long as it liked. With its budget spent the decoder
/// stops and says it did not try everything; with the normal budget the same frame reads.
#[test]
fn decoding_stops_when_its_budget_is_spent() {
    let m = Modules::text(KEY_URI);
    let mut img = draw(300, 300, &m, square(150.0, 150.0, m.size as f64 * 3.0, 0.0));
    // Light on dark: the first attempt cannot read it, later ones can.
    img.iter_mut().for_each(|p| *p = 255 - *p);
    let frame = frame(300, 300, img);
    let spent = scan::decode_within(&frame, std::time::Duration::ZERO);
    assert!(spent.codes.is_empty());
    assert!(!spent.complete, "the decoder says it gave up early");
    let full = scan::decode_within(&frame, scan::DECODE_BUDGET);
    assert!(full.complete);
    assert_eq!(texts(&full.codes), vec![KEY_URI.to_owned()]);
}

/// A PNG whose header claims 40,000 × 40,000 pixels (6.4 GB of RGBA) is refused from its
/// header, before any pixel is decoded: a small file must not unpack to gigabytes.
#[test]
fn an_image_larger_than_the_limit_is_refused_before_decoding() {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(kind: &[u8; 4], data: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&40_000u32.to_be_bytes());
    ihdr.extend_from_slice(&40_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA
    chunk(b"IHDR", &ihdr, &mut png);
    chunk(b"IEND", &[], &mut png);
    let err = scan::load_image_bytes(&png).unwrap_err();
    assert!(err.contains("too large"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.png");
    std::fs::write(&path, &png).unwrap();
    let err = scan::read_texts(&scan::Source::File(path)).unwrap_err();
    assert!(matches!(err, scan::SourceError::BadImage { .. }), "{err}");
}
