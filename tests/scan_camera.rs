//! The camera source, exercised without a camera: synthetic YUYV, NV12 and MJPEG frames in
//! nokhwa's own `Buffer` type go through the same conversion and worker thread as a real
//! camera's, and a machine without a camera gets the "no camera" error the UI shows.
#![cfg(any(target_os = "linux", target_os = "macos", target_os = "windows"))]

use pocketpass::scan::camera::{self, Buffer, CameraSource, FrameFormat, Resolution};
use pocketpass::scan::{self, FrameSource, SourceError};
use std::time::Duration;

mod scan_render;
use scan_render::{blur, draw, noise, Modules};

const KEY_URI: &str =
    "otpauth://totp/HPC%20Centre:alice?secret=JBSWY3DPEHPK3PXP&issuer=HPC%20Centre";

/// A camera-like luma picture of the portal's code: tilted, a little blurred and noisy.
fn picture(w: usize, h: usize) -> Vec<u8> {
    let m = Modules::text(KEY_URI);
    let quad = [(170.0, 60.0), (460.0, 90.0), (450.0, 400.0), (160.0, 380.0)];
    let mut img = blur(&draw(w, h, &m, quad), w, h, 1);
    noise(&mut img, 10, 5);
    img
}

fn yuyv(luma: &[u8]) -> Vec<u8> {
    luma.iter()
        .enumerate()
        .flat_map(|(i, &y)| [y, if i % 2 == 0 { 110 } else { 150 }])
        .collect()
}

fn nv12(luma: &[u8], w: usize, h: usize) -> Vec<u8> {
    let mut out = luma.to_vec();
    out.extend(std::iter::repeat_n(128u8, w * h / 2));
    out
}

fn mjpeg(luma: &[u8], w: usize, h: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80);
    image::ImageEncoder::write_image(enc, luma, w as u32, h as u32, image::ExtendedColorType::L8)
        .unwrap();
    out
}

fn buffer(w: usize, h: usize, bytes: &[u8], format: FrameFormat) -> Buffer {
    Buffer::new(Resolution::new(w as u32, h as u32), bytes, format)
}

fn read(frame: &scan::LumaFrame) -> Vec<String> {
    scan::decode(frame)
        .into_iter()
        .filter_map(|c| c.text)
        .collect()
}

#[test]
fn yuyv_nv12_and_mjpeg_camera_frames_become_luma_that_reads() {
    let (w, h) = (640, 480);
    let luma = picture(w, h);
    for (name, bytes, format) in [
        ("YUYV", yuyv(&luma), FrameFormat::YUYV),
        ("NV12", nv12(&luma, w, h), FrameFormat::NV12),
        ("GRAY", luma.clone(), FrameFormat::GRAY),
    ] {
        let frame = camera::buffer_to_luma(&buffer(w, h, &bytes, format)).unwrap();
        assert_eq!(frame.data(), &luma[..], "{name} luma plane");
        assert_eq!(read(&frame), vec![KEY_URI.to_owned()], "{name}");
    }
    let jpeg = mjpeg(&luma, w, h);
    let frame = camera::buffer_to_luma(&buffer(w, h, &jpeg, FrameFormat::MJPEG)).unwrap();
    assert_eq!((frame.width(), frame.height()), (w, h));
    assert_eq!(read(&frame), vec![KEY_URI.to_owned()], "MJPEG");
}

#[test]
fn truncated_or_garbled_camera_frames_are_errors_not_panics() {
    let (w, h) = (64, 48);
    for format in [
        FrameFormat::YUYV,
        FrameFormat::NV12,
        FrameFormat::GRAY,
        FrameFormat::RAWRGB,
        FrameFormat::MJPEG,
    ] {
        let err = camera::buffer_to_luma(&buffer(w, h, &[1, 2, 3], format)).unwrap_err();
        assert!(matches!(err, SourceError::Camera(_)), "{format}: {err}");
    }
    // RGB and BGR agree on a grey picture.
    let grey = vec![77u8; w * h * 3];
    let rgb = camera::buffer_to_luma(&buffer(w, h, &grey, FrameFormat::RAWRGB)).unwrap();
    let bgr = camera::buffer_to_luma(&buffer(w, h, &grey, FrameFormat::RAWBGR)).unwrap();
    assert_eq!(rgb, bgr);
}

#[test]
fn the_camera_worker_streams_until_a_code_shows_and_stops_when_dropped() {
    let (w, h) = (640, 480);
    let code = yuyv(&picture(w, h));
    let empty = yuyv(&vec![128u8; w * h]);
    let produced = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = produced.clone();
    let mut source = CameraSource::spawn(move || {
        Ok(move || {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            // The camera warms up on four empty frames, then shows the code forever.
            let bytes = if n < 4 { &empty } else { &code };
            Some(Ok(buffer(w, h, bytes, FrameFormat::YUYV)))
        })
    })
    .unwrap();
    let found = scan::scan_stream(&mut source, Duration::from_secs(120)).unwrap();
    assert_eq!(found, vec![KEY_URI.to_owned()]);
    drop(source);
    let after_drop = produced.load(std::sync::atomic::Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(
        produced.load(std::sync::atomic::Ordering::SeqCst),
        after_drop,
        "the worker stopped"
    );
}

/// A camera's "next frame" function, as the worker calls it.
type NextFrame = fn() -> Option<Result<Buffer, SourceError>>;

#[test]
fn a_camera_that_fails_to_open_or_ends_says_so() {
    let err =
        CameraSource::spawn(|| -> Result<NextFrame, _> { Err(SourceError::PermissionDenied) })
            .unwrap_err();
    assert!(matches!(err, SourceError::PermissionDenied));
    assert!(
        err.to_string().contains("open an image"),
        "the other sources are offered: {err}"
    );

    let mut frames = 2;
    let mut ending = CameraSource::spawn(move || {
        Ok(move || {
            frames -= 1;
            (frames >= 0).then(|| Ok(buffer(4, 4, &[0u8; 32], FrameFormat::YUYV)))
        })
    })
    .unwrap();
    assert!(ending.next_frame().unwrap().is_some());
    assert!(ending.next_frame().unwrap().is_some());
    assert!(
        ending.next_frame().unwrap().is_none(),
        "a finished stream ends"
    );
}

#[test]
fn no_camera_is_an_error_the_ui_can_show() {
    let err = camera::choose(&[], None).unwrap_err();
    assert!(matches!(err, SourceError::NoCamera));
    assert!(err.to_string().contains("no camera"), "{err}");
    // On this machine: without a video device, opening the camera must say "no camera"
    // (not hang, not panic); with one, it must open or give a camera error.
    let has_device = std::fs::read_dir("/dev")
        .map(|d| {
            d.flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("video"))
        })
        .unwrap_or(false);
    match camera::open(None).map(|_| ()) {
        Err(SourceError::NoCamera) => {}
        Err(SourceError::PermissionDenied | SourceError::Camera(_)) if has_device => {}
        Ok(_) if has_device => {}
        other => panic!(
            "with{} a video device, opening the camera gave {other:?}",
            if has_device { "" } else { "out" }
        ),
    }
    if !has_device {
        let err = scan::read_texts(&scan::Source::Camera {
            index: None,
            timeout: Duration::from_secs(1),
        })
        .unwrap_err();
        assert!(matches!(err, SourceError::NoCamera), "{err}");
    }
}
