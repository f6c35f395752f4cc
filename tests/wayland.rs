//! Issue 15, parts 3 and 5, on a real Wayland desktop (`tests/desktop/`: headless sway, a
//! private session bus, the XDG desktop portal with its GTK backend):
//!
//! - the installed binary's window opens as a native Wayland client (not through XWayland,
//!   which this desktop does not even run);
//! - Open image asks the portal's FileChooser, which shows GTK's file dialog on the desktop;
//!   the test answers it as a user would, typing the path with a virtual keyboard (`wtype`),
//!   and the app reads the QR code in the chosen file.
#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod desktop;
use desktop::*;

#[path = "ui/support.rs"]
mod support;

/// 2026-11-28 12:00 UTC.
const NOW: u64 = 1_795_867_200;

/// sway's IPC socket in the runtime folder, once it exists.
fn sway_socket(stack: &Stack) -> Option<PathBuf> {
    std::fs::read_dir(stack.path("runtime"))
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("sway-ipc.") && n.ends_with(".sock"))
        })
}

/// The windows sway shows now, as (shell, app_id, name) of each view in its tree.
fn windows(stack: &Stack) -> Vec<(String, String, String)> {
    let Some(socket) = sway_socket(stack) else {
        return Vec::new();
    };
    let output = Command::new(need("swaymsg", "sway"))
        .arg("-s")
        .arg(&socket)
        .args(["-t", "get_tree", "-r"])
        .stderr(Stdio::null())
        .output()
        .expect("swaymsg runs");
    let tree: serde_json::Value = match serde_json::from_slice(&output.stdout) {
        Ok(tree) => tree,
        Err(_) => return Vec::new(),
    };
    let mut found = Vec::new();
    let mut todo = vec![&tree];
    while let Some(node) = todo.pop() {
        if let Some(shell) = node.get("shell").and_then(|s| s.as_str()) {
            let text = |key: &str| {
                node.get(key)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            found.push((shell.to_owned(), text("app_id"), text("name")));
        }
        for key in ["nodes", "floating_nodes"] {
            if let Some(children) = node.get(key).and_then(|n| n.as_array()) {
                todo.extend(children);
            }
        }
    }
    found
}

/// Polls sway's tree until a window named `name` shows; that window's (shell, app_id, name).
fn wait_for_window(stack: &Stack, name: &str, limit: Duration) -> (String, String, String) {
    let start = Instant::now();
    loop {
        if let Some(w) = windows(stack).into_iter().find(|w| w.2.contains(name)) {
            return w;
        }
        assert!(
            start.elapsed() < limit,
            "no window named {name:?} within {limit:?}; windows: {:?}\n{}",
            windows(stack),
            stack.logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A Wayland desktop with the portal running: sway, then the bus and the portal's parts; the
/// bus's address.
fn portal_desktop() -> (Stack, String) {
    let mut stack = Stack::new();
    start_sway(&mut stack, "", &[]);
    let address = start_portal(&mut stack);
    (stack, address)
}

#[test]
fn the_window_opens_as_a_native_wayland_client_on_sway() {
    let mut stack = Stack::new();
    start_sway(&mut stack, "", &[]);
    let data = stack.path("data");
    // The desktop's environment only: WAYLAND_DISPLAY and no DISPLAY, as on a GNOME or KDE
    // Wayland session without XWayland.
    let env = stack.desktop_env();
    let mut command = stack.command(
        "pocketpass",
        Path::new(env!("CARGO_BIN_EXE_pocketpass")),
        &env,
    );
    command.arg("--data-dir").arg(&data);
    stack.spawned.push(Spawned::start("pocketpass", command));

    let (shell, app_id, name) = wait_for_window(&stack, "Pocket Pass", Duration::from_secs(60));
    assert_eq!(
        shell, "xdg_shell",
        "a native Wayland window, not XWayland's"
    );
    assert_eq!(name, "Pocket Pass");
    // The desktop entry's name, so that docks show its name and icon for the window.
    assert_eq!(app_id, pocketpass::ui::APP_ID);
    assert!(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets")
            .join(format!("{app_id}.desktop"))
            .exists(),
        "assets/{app_id}.desktop is the entry the package installs"
    );
    let app = stack
        .spawned
        .iter_mut()
        .find(|s| s.name == "pocketpass")
        .expect("started");
    assert!(
        app.child.try_wait().expect("waitable").is_none(),
        "the window is still open\n{}",
        stack.logs()
    );
}

#[test]
fn open_image_chooses_the_file_in_the_desktops_file_dialog() {
    let wtype = need("wtype", "wtype");
    let (stack, address) = portal_desktop();

    // The picture to choose, somewhere a user would keep it.
    let link = support::portal_link("laptop", "2028-11-28");
    let pictures = stack.path("home").join("Pictures");
    std::fs::create_dir_all(&pictures).unwrap();
    let png = pictures.join("portal QR.png");
    support::write_qr_png(&link, &png);

    let h = support::Harness::with_portal(NOW, address);
    h.press("Install key");

    let (dialog, typed_ok) = std::thread::scope(|scope| {
        let user =
            scope.spawn(|| answer_dialog(&stack, &wtype, "Open an image of the QR code", &png));
        h.press("Open image");
        user.join().expect("the user's thread")
    });
    assert!(typed_ok, "wtype typed into the dialog\n{}", stack.logs());
    assert_eq!(
        dialog.0, "xdg_shell",
        "GTK's dialog, on the Wayland desktop"
    );
    assert_eq!(
        h.screen(),
        pocketpass::ui::Screen::Found,
        "notices: {:?}\n{}",
        h.notices(),
        stack.logs()
    );
    assert!(h.has("Token name: laptop"), "labels: {:?}", h.labels());
}

/// The user at the file dialog titled `title`: once it shows, types `path` into GTK's location
/// field and presses Enter. Returns the dialog's window and whether wtype succeeded.
fn answer_dialog(
    stack: &Stack,
    wtype: &Path,
    title: &str,
    path: &Path,
) -> ((String, String, String), bool) {
    let dialog = wait_for_window(stack, title, Duration::from_secs(60));
    // Ctrl+L opens the location field (a save dialog's name field takes a whole path too),
    // Ctrl+A selects what it holds, then the path and Enter. wtype adds a keyboard to the
    // seat: the leading pause lets GTK see it before the first key. GTK 3 ignores shortcuts on
    // the keymap's last key, which wtype gives the last new key, so a key that does nothing
    // comes last.
    let keys = [
        "-s", "300", "-M", "ctrl", "-k", "l", "-m", "ctrl", "-s", "300", "-M", "ctrl", "-k", "a",
        "-m", "ctrl",
    ];
    // On a loaded machine GTK may still miss the first keys: while the dialog stays open,
    // the user types again (Ctrl+A replaces what a lost key left in the field).
    let mut typed = false;
    for _ in 0..3 {
        let status = Command::new(wtype)
            .env_clear()
            .envs(stack.desktop_env().iter().map(|(k, v)| (k, v)))
            .args(keys)
            .arg(path)
            .args(["-s", "300", "-k", "Return", "-k", "VoidSymbol"])
            .status()
            .expect("wtype runs");
        typed = status.success();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if !windows(stack).iter().any(|w| w.2.contains(title)) {
                return (dialog, typed);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    (dialog, typed)
}

#[test]
fn export_with_no_path_saves_the_backup_where_the_save_dialog_says() {
    let wtype = need("wtype", "wtype");
    let (stack, address) = portal_desktop();
    let link = support::portal_link("laptop", "2028-11-28");
    let h = support::on_portal(address, || {
        support::Harness::unlocked(NOW, "482916", std::slice::from_ref(&link))
    });
    let documents = stack.path("home").join("Documents");
    std::fs::create_dir_all(&documents).unwrap();
    let backup = documents.join("keys.pocketpass");

    h.press("Settings");
    h.type_into("Backup password", "correct horse battery");
    let (dialog, typed_ok) = std::thread::scope(|scope| {
        let user =
            scope.spawn(|| answer_dialog(&stack, &wtype, "Save the Pocket Pass backup", &backup));
        h.press("Export backup");
        user.join().expect("the user's thread")
    });
    assert!(typed_ok, "wtype typed into the dialog\n{}", stack.logs());
    assert_eq!(dialog.0, "xdg_shell");
    let notices = h.notices().join(" | ");
    assert!(
        notices.contains("Backup written with 1 key"),
        "{notices}\n{}",
        stack.logs()
    );
    let keys = pocketpass::vault::Vault::read_backup(
        &backup,
        &pocketpass::vault::Password::entered("correct horse battery"),
        pocketpass::vault::KdfCost::insecure_for_tests(support::TEST_ITERATIONS),
    )
    .expect("the backup opens with its password");
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].name, "laptop");
}

#[test]
fn preview_with_no_path_reads_the_other_apps_export_chosen_in_the_dialog() {
    let wtype = need("wtype", "wtype");
    let (stack, address) = portal_desktop();
    let h = support::on_portal(address, || {
        let link = support::portal_link("laptop", "2028-11-28");
        support::Harness::unlocked(NOW, "482916", std::slice::from_ref(&link))
    });
    // Plain otpauth:// links, one a line, as several apps export them.
    let export = stack.path("home").join("other app.txt");
    let links = [
        "otpauth://totp/GitLab:alice?secret=JBSWY3DPEHPK3PXP&issuer=GitLab",
        "otpauth://totp/Cluster:bob?secret=GEZDGNBVGY3TQOJQ&issuer=Cluster",
    ];
    std::fs::write(&export, links.join("\n")).unwrap();

    h.press("Settings");
    h.press("Import from another app");
    let (_, typed_ok) = std::thread::scope(|scope| {
        let user =
            scope.spawn(|| answer_dialog(&stack, &wtype, "Open another app's export", &export));
        h.press("Preview import");
        user.join().expect("the user's thread")
    });
    assert!(typed_ok, "wtype typed into the dialog\n{}", stack.logs());
    assert_eq!(h.screen(), pocketpass::ui::Screen::ImportOther);
    let file =
        pocketpass::transfer::read(&std::fs::read(&export).unwrap(), None).expect("the file reads");
    for row in pocketpass::transfer::preview(&[], &file) {
        assert!(h.has(&row.label), "{} listed: {:?}", row.label, h.labels());
    }
    let button = slint::ComponentHandle::global::<pocketpass::ui::TransferAdapter>(h.app.window())
        .get_import_button();
    assert_eq!(button, "Import 2 keys");
}

#[test]
fn a_file_dialog_closed_with_escape_changes_nothing() {
    let wtype = need("wtype", "wtype");
    let (stack, address) = portal_desktop();
    let h = support::Harness::with_portal(NOW, address);
    h.press("Install key");
    let env = stack.desktop_env();
    let dialog_stack = &stack;
    std::thread::scope(|scope| {
        scope.spawn(|| {
            wait_for_window(
                dialog_stack,
                "Open an image of the QR code",
                Duration::from_secs(60),
            );
            // See above for the pause and the last key.
            let status = Command::new(&wtype)
                .env_clear()
                .envs(env.iter().map(|(k, v)| (k, v)))
                .args(["-s", "300", "-k", "Escape", "-k", "VoidSymbol"])
                .status()
                .expect("wtype runs");
            assert!(status.success());
        });
        h.press("Open image");
    });
    assert_eq!(h.screen(), pocketpass::ui::Screen::Add);
    assert!(h.notices().is_empty(), "{:?}", h.notices());
    assert!(!h.has("Image file"), "no typed path: the dialog is there");
}
