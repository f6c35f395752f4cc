//! "Scan my screen" on Wayland, against a real desktop stack: a headless sway compositor shows
//! the portal's QR code as its wallpaper, and the real xdg-desktop-portal (with the wlroots
//! backend, which takes the picture with grim) answers the Screenshot call on a private D-Bus
//! session bus. Nothing is mocked; no X server is involved, so this runs the same under
//! scripts/test.sh's xvfb-run.
//! The desktop is `tests/desktop/`'s.
#![cfg(target_os = "linux")]

use pocketpass::scan::screen::{scan_screens_in, Session};
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

mod desktop;
use desktop::*;
mod scan_render;
use scan_render::{upright, Modules};

const KEY_URI: &str =
    "otpauth://totp/HPC%20Centre:alice?secret=JBSWY3DPEHPK3PXP&issuer=HPC%20Centre";

/// The QR code of `KEY_URI` as a PNG with a white margin, for the compositor's wallpaper.
fn write_qr_png(path: &Path) {
    let (side, luma) = upright(&Modules::text(KEY_URI), 6);
    image::GrayImage::from_raw(side as u32, side as u32, luma)
        .expect("a whole image")
        .save(path)
        .expect("the QR code saved as PNG");
}

#[test]
fn the_desktop_portal_screenshot_on_sway_shows_the_qr_code() {
    let started = Instant::now();
    let grim = need("grim", "grim");
    let mut stack = Stack::new();
    let qr = stack.path("qr.png");
    write_qr_png(&qr);
    start_sway(
        &mut stack,
        &format!("output * bg {} center #ffffff\n", qr.display()),
        &[&qr],
    );

    // The wallpaper is drawn by swaybg a moment after the compositor starts: wait until a
    // plain grim screenshot (outside the code under test) shows the code.
    let env = stack.desktop_env();
    wait_for(
        &stack,
        "the QR code appeared on sway's screen",
        Duration::from_secs(20),
        || {
            let shot = Command::new(&grim)
                .env_clear()
                .envs(env.iter().map(|(k, v)| (k, v)))
                .arg("-")
                .output();
            let Ok(shot) = shot else { return false };
            pocketpass::scan::load_image_bytes(&shot.stdout)
                .map(|frame| !pocketpass::scan::decode(&frame).is_empty())
                .unwrap_or(false)
        },
    );

    let address = start_portal(&mut stack);

    // Overhear the portal's answer to learn which file it wrote. The portal sends it to the
    // caller alone, so a second connection becomes a bus monitor to see it.
    let monitor = connect(&address);
    monitor
        .call_method(
            Some("org.freedesktop.DBus"),
            "/org/freedesktop/DBus",
            Some("org.freedesktop.DBus.Monitoring"),
            "BecomeMonitor",
            &(
                &["type='signal',interface='org.freedesktop.portal.Request',member='Response'"][..],
                0u32,
            ),
        )
        .expect("the test's bus lets a connection monitor it");
    let responses = zbus::blocking::MessageIterator::from(monitor);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for message in responses.flatten() {
            let body = message
                .body()
                .deserialize::<(u32, HashMap<String, zbus::zvariant::OwnedValue>)>();
            if let Ok((code, results)) = body {
                let uri = results
                    .get("uri")
                    .and_then(|v| String::try_from(v.clone()).ok());
                if tx.send((code, uri)).is_err() {
                    break;
                }
            }
        }
    });

    let ready = started.elapsed();
    let session = Session {
        x_display: None,
        wayland: true,
        bus_address: Some(address.clone()),
        portal_timeout: Duration::from_secs(30),
    };
    let asked = Instant::now();
    let texts = scan_screens_in(&session);
    let took = asked.elapsed();
    let texts = texts.unwrap_or_else(|e| panic!("{e}\n{}", stack.logs()));
    assert_eq!(texts, vec![KEY_URI.to_owned()]);

    let (code, uri) = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("the portal's Response was overheard");
    assert_eq!(code, 0);
    let uri = uri.expect("the portal's answer names a file");
    let path = uri.strip_prefix("file://").expect("a file:// URI");
    assert!(
        !Path::new(path).exists(),
        "the portal's screenshot {path} must be deleted once read"
    );
    eprintln!(
        "stack ready in {:.1} s; portal screenshot read in {:.2} s",
        ready.as_secs_f64(),
        took.as_secs_f64()
    );
}

#[test]
fn a_session_bus_without_a_portal_is_a_clear_error_at_once() {
    let mut stack = Stack::new();
    let address = bare_bus(&mut stack);
    let session = Session {
        x_display: None,
        wayland: true,
        bus_address: Some(address),
        portal_timeout: Duration::from_secs(30),
    };
    let err = scan_screens_in(&session).unwrap_err().to_string();
    // Known from the bus's answer at once, not by waiting out the timeout.
    assert!(!err.contains("did not answer within"), "{err}");
    assert!(err.contains("the desktop portal is not available"), "{err}");
    assert!(err.contains("ServiceUnknown"), "{err}");
    assert!(err.contains("no X display to fall back on"), "{err}");
    assert!(err.contains("open it instead"), "{err}");

    // With an X display named, the X11 route is tried too, and the error names both.
    let session = Session {
        x_display: Some(":9731".to_owned()),
        ..session
    };
    let err = scan_screens_in(&session).unwrap_err().to_string();
    assert!(
        err.contains("the desktop portal is not available") && err.contains("X display failed"),
        "{err}"
    );
}

#[test]
fn no_session_bus_is_a_clear_error() {
    let stack = Stack::new();
    let session = Session {
        x_display: None,
        wayland: true,
        bus_address: Some(format!("unix:path={}", stack.path("no-bus").display())),
        portal_timeout: Duration::from_secs(30),
    };
    let err = scan_screens_in(&session).unwrap_err().to_string();
    assert!(err.contains("no D-Bus session bus"), "{err}");
    assert!(err.contains("open it instead"), "{err}");
}
