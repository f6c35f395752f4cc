//! "Scan my screen": a window shows the portal's QR code on an X server, and the screen source
//! finds it. Uses the X server in `DISPLAY` when there is one (CI runs this under Xvfb);
//! otherwise starts its own Xvfb (package `xvfb`, installed by scripts/install-deps.sh).
#![cfg(target_os = "linux")]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    ConnectionExt, CreateGCAux, CreateWindowAux, EventMask, ImageFormat, WindowClass,
};
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;

mod scan_render;
use scan_render::{upright, Modules};

const KEY_URI: &str =
    "otpauth://totp/HPC%20Centre:alice?secret=JBSWY3DPEHPK3PXP&issuer=HPC%20Centre";

/// An Xvfb this test started; stopped when dropped.
struct OwnXvfb(Child);

impl Drop for OwnXvfb {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A connection to an X display, starting Xvfb on a free display number if none is reachable.
/// The connection that proved the display reachable is the one returned: an X server resets
/// itself when its last client leaves, and a second connection made just after the first one
/// closed can meet that reset ("connection reset by peer"), as this test once did under
/// `xvfb-run`.
fn x_display() -> (Option<OwnXvfb>, RustConnection, usize) {
    if std::env::var_os("DISPLAY").is_some() {
        if let Ok((conn, screen)) = x11rb::connect(None) {
            return (None, conn, screen);
        }
    }
    let number = (90..140)
        .find(|n| {
            !std::path::Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                && !std::path::Path::new(&format!("/tmp/.X{n}-lock")).exists()
        })
        .expect("a free X display number");
    let child = Command::new("Xvfb")
        .args([
            format!(":{number}").as_str(),
            "-screen",
            "0",
            "1024x768x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect(
            "Xvfb must be installed for the screen test (scripts/install-deps.sh installs xvfb)",
        );
    let guard = OwnXvfb(child);
    // This test binary holds one test, so nothing else reads the environment concurrently.
    std::env::set_var("DISPLAY", format!(":{number}"));
    let start = Instant::now();
    loop {
        if let Ok((conn, screen)) = x11rb::connect(None) {
            return (Some(guard), conn, screen);
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "Xvfb did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_qr_code_shown_in_a_window_is_found_on_the_screen() {
    let (_xvfb, conn, screen_num) = x_display();
    let screen = conn.setup().roots[screen_num].clone();
    assert_eq!(screen.root_depth, 24, "the test draws 24-bit pixels");

    // A window at (300, 200), like a browser showing the portal's activation page.
    let (side, luma) = upright(&Modules::text(KEY_URI), 4);
    let side = side as u16;
    let window = conn.generate_id().unwrap();
    conn.create_window(
        screen.root_depth,
        window,
        screen.root,
        300,
        200,
        side,
        side,
        0,
        WindowClass::INPUT_OUTPUT,
        screen.root_visual,
        &CreateWindowAux::new()
            .background_pixel(screen.white_pixel)
            .event_mask(EventMask::EXPOSURE)
            .override_redirect(1),
    )
    .unwrap();
    conn.map_window(window).unwrap();
    let gc = conn.generate_id().unwrap();
    conn.create_gc(gc, window, &CreateGCAux::new()).unwrap();
    let pixels: Vec<u8> = luma.iter().flat_map(|&y| [y, y, y, 0]).collect();
    // Draw in bands so that each request stays under the server's maximum request size.
    let rows_per_band = (60_000 / (side as usize * 4)).max(1);
    for (band, chunk) in pixels.chunks(rows_per_band * side as usize * 4).enumerate() {
        let rows = (chunk.len() / (side as usize * 4)) as u16;
        conn.put_image(
            ImageFormat::Z_PIXMAP,
            window,
            gc,
            side,
            rows,
            0,
            (band * rows_per_band) as i16,
            0,
            24,
            chunk,
        )
        .unwrap();
    }
    conn.sync().unwrap();

    let texts = pocketpass::scan::read_texts(&pocketpass::scan::Source::Screen).unwrap();
    assert_eq!(texts, vec![KEY_URI.to_owned()]);
}
