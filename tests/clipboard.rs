//! Issue 15, part 4: the clipboard, safely. The window runs on Slint's testing backend; the
//! clipboard is a real X11 one, on an Xvfb display this binary starts for itself (so no other
//! test's copying can interfere), read and written by `xclip` in processes of its own, as a
//! clipboard manager or a screenshot tool would.
//!
//! The tests share that one clipboard, so they take turns ([`Desktop::lock`]).
#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

#[path = "ui/support.rs"]
mod support;
use support::*;

use pocketpass::ui::Screen;

/// 2026-11-28 12:00 UTC.
const NOW: u64 = 1_795_867_200;
const PIN: &str = "482916";

/// The Debian package and the program it must provide; fails the test when it is missing.
fn need(program: &str, package: &str) -> PathBuf {
    let path = PathBuf::from("/usr/bin").join(program);
    assert!(
        path.exists(),
        "{program} is missing: install the Debian package {package} \
         (scripts/install-deps.sh installs every package the tests need)"
    );
    path
}

/// A virtual X server of this test's own, and the turn on its clipboard.
struct Desktop {
    display: String,
    xvfb: Child,
    _turn: MutexGuard<'static, ()>,
}

impl Desktop {
    /// Takes this binary's turn on the clipboard and starts a fresh X server for it; the
    /// process's `DISPLAY` names it, so the app's clipboard is this one.
    fn lock() -> Desktop {
        static TURN: Mutex<()> = Mutex::new(());
        // A failed test poisons the turn; the next one still runs on a fresh display.
        let turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
        let xvfb_path = need("Xvfb", "xvfb");
        need("xclip", "xclip");
        // `-displayfd` lets the server pick a free display number and tell us.
        let mut xvfb = Command::new(xvfb_path)
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "640x480x24",
                "-nolisten",
                "tcp",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb starts");
        let mut number = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(xvfb.stdout.take().expect("piped")),
            &mut number,
        )
        .expect("Xvfb tells its display");
        let display = format!(":{}", number.trim());
        // SAFETY (of intent): the tests of this binary take turns, so no other thread reads
        // the environment while it changes.
        std::env::set_var("DISPLAY", &display);
        Desktop {
            display,
            xvfb,
            _turn: turn,
        }
    }

    /// `xclip` on this display with `args`.
    fn xclip(&self, args: &[&str]) -> Command {
        let mut command = Command::new("/usr/bin/xclip");
        command
            .args(["-display", &self.display, "-selection", "clipboard"])
            .args(args);
        command
    }

    /// What the clipboard offers as `target` now; `None` when it offers nothing of the kind
    /// (empty, or no owner).
    fn read(&self, target: &str) -> Option<String> {
        let output = self
            .xclip(&["-o", "-t", target])
            .stderr(Stdio::null())
            .output()
            .expect("xclip runs");
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// The targets the clipboard's owner offers.
    fn targets(&self) -> Vec<String> {
        self.read("TARGETS")
            .map(|t| t.lines().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// Puts `bytes` of type `target` on the clipboard from another program, as a user copying
    /// elsewhere would; xclip stays in the background serving it (until the display ends).
    fn copy_elsewhere(&self, target: &str, file: &Path) {
        let status = self
            .xclip(&["-i", "-t", target])
            .arg(file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("xclip runs");
        assert!(status.success());
        let start = Instant::now();
        while !self.targets().iter().any(|t| t == target) {
            assert!(start.elapsed() < Duration::from_secs(10), "xclip took it");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        let _ = self.xvfb.kill();
        let _ = self.xvfb.wait();
    }
}

/// The window unlocked on one token, its code screen showing.
fn one_token() -> (Harness, String) {
    let link = portal_link("laptop", "2028-11-28");
    let h = Harness::unlocked(NOW, PIN, std::slice::from_ref(&link));
    assert_eq!(h.screen(), Screen::Token);
    let code = account(&link).code_at(NOW).as_str().to_owned();
    (h, code)
}

/// Taps the big code on the code screen.
fn tap_code(h: &Harness, code: &str) {
    h.press(&code_label(code));
}

#[test]
fn a_copied_code_is_hidden_from_clipboard_history_and_cleared_after_30_seconds() {
    let desktop = Desktop::lock();
    let (h, code) = one_token();
    tap_code(&h, &code);
    assert_eq!(desktop.read("UTF8_STRING").as_deref(), Some(code.as_str()));
    // KDE's Klipper and GNOME's clipboard history extensions skip what carries this hint.
    let targets = desktop.targets();
    assert!(
        targets.iter().any(|t| t == "x-kde-passwordManagerHint"),
        "{targets:?}"
    );
    assert_eq!(
        desktop.read("x-kde-passwordManagerHint").as_deref(),
        Some("secret")
    );

    h.wait(29);
    assert_eq!(
        desktop.read("UTF8_STRING").as_deref(),
        Some(code.as_str()),
        "still there after 29 s"
    );
    h.wait(1);
    assert_eq!(desktop.read("UTF8_STRING"), None, "gone after 30 s");
}

#[test]
fn something_the_user_copied_after_the_code_is_not_cleared() {
    let desktop = Desktop::lock();
    let (h, code) = one_token();
    tap_code(&h, &code);
    assert_eq!(desktop.read("UTF8_STRING").as_deref(), Some(code.as_str()));
    let notes = tempfile::NamedTempFile::new().expect("a file");
    std::fs::write(notes.path(), "ssh alice@login.hpc.example").unwrap();
    desktop.copy_elsewhere("UTF8_STRING", notes.path());
    h.wait(31);
    assert_eq!(
        desktop.read("UTF8_STRING").as_deref(),
        Some("ssh alice@login.hpc.example")
    );
}

#[test]
fn closing_the_window_takes_the_code_off_the_clipboard() {
    let desktop = Desktop::lock();
    let (h, code) = one_token();
    tap_code(&h, &code);
    assert_eq!(desktop.read("UTF8_STRING").as_deref(), Some(code.as_str()));
    drop(h);
    assert_eq!(desktop.read("UTF8_STRING"), None);
}

/// Minimising the window locks it, and that is how a desktop user goes to paste the code: a
/// lock leaves the copied code its 30 seconds.
#[test]
fn a_code_copied_before_the_lock_stays_for_its_30_seconds() {
    let desktop = Desktop::lock();
    let (h, code) = one_token();
    tap_code(&h, &code);
    h.press("Lock");
    assert_eq!(desktop.read("UTF8_STRING").as_deref(), Some(code.as_str()));
    h.wait(30);
    assert_eq!(desktop.read("UTF8_STRING"), None);
}

#[test]
fn with_copying_turned_off_a_tap_leaves_the_clipboard_alone_and_the_choice_is_remembered() {
    let desktop = Desktop::lock();
    let (h, code) = one_token();
    let notes = tempfile::NamedTempFile::new().expect("a file");
    std::fs::write(notes.path(), "my notes").unwrap();
    desktop.copy_elsewhere("UTF8_STRING", notes.path());

    h.press("Settings");
    h.press("Copy codes when I tap them");
    h.press("Back");
    tap_code(&h, &code);
    assert_eq!(desktop.read("UTF8_STRING").as_deref(), Some("my notes"));

    let saved = std::fs::read_to_string(h.dir.path().join("window.json")).expect("saved");
    assert!(saved.contains("\"copy_codes\": false"), "{saved}");
    // The next start keeps it off.
    let h = h.restart();
    h.type_into("PIN", PIN);
    h.press("Unlock");
    h.press("Settings");
    let tick = h.find("Copy codes when I tap them");
    assert_eq!(tick.accessible_checked(), Some(false));
    h.press("Copy codes when I tap them");
    assert_eq!(
        h.find("Copy codes when I tap them").accessible_checked(),
        Some(true)
    );
}

#[test]
fn paste_image_reads_a_qr_picture_copied_to_the_clipboard() {
    let desktop = Desktop::lock();
    let link = portal_link("laptop", "2028-11-28");
    let png = tempfile::Builder::new()
        .suffix(".png")
        .tempfile()
        .expect("a file");
    write_qr_png(&link, png.path());
    // What a screenshot tool leaves: a PNG on the clipboard, owned by another program.
    desktop.copy_elsewhere("image/png", png.path());

    let h = Harness::new(NOW, Vec::new());
    h.press("Install key");
    h.press("Paste image");
    assert_eq!(h.screen(), Screen::Found, "{:?}", h.notices());
    assert!(h.has("Token name: laptop"), "labels: {:?}", h.labels());
}

#[test]
fn paste_image_with_no_code_on_the_clipboard_says_so_and_the_screen_stays() {
    let desktop = Desktop::lock();
    let empty = tempfile::Builder::new()
        .suffix(".png")
        .tempfile()
        .expect("a file");
    image::GrayImage::from_pixel(200, 200, image::Luma([255]))
        .save(empty.path())
        .expect("a blank PNG");
    desktop.copy_elsewhere("image/png", empty.path());

    let h = Harness::new(NOW, Vec::new());
    h.press("Install key");
    h.press("Paste image");
    assert_eq!(h.screen(), Screen::Add);
    let notices = h.notices().join(" | ");
    assert!(
        notices.contains("The clipboard holds no QR code"),
        "{notices}"
    );
}
