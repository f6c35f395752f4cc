//! Keys in from other apps and out to them, in the window (issue 14): the preview with ticks
//! and one save, an Aegis export that opens with its password, Google Authenticator codes one
//! page at a time, and plain links only after the PIN again.

use std::path::PathBuf;

use super::support::*;
use pocketpass::otp::{self, KeyLink, MigrationBatch};
use pocketpass::scan::{LumaFrame, Scanner};
use pocketpass::transfer::{self, Status};
use pocketpass::ui::{Screen, TransferAdapter};
use pocketpass::vault::Password;
use slint::ComponentHandle;

/// 2026-11-28 12:00 UTC.
const NOW: u64 = 1_795_867_200;
const PIN: &str = "482916";
const FILE_PASSWORD: &str = "correct horse battery staple";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/transfer")
        .join(name)
}

/// The app unlocked with `count` portal tokens, on Settings.
fn on_settings(count: usize) -> Harness {
    let links: Vec<String> = (1..=count)
        .map(|i| portal_link(&format!("Pocket Pass {i}"), "2028-11-28"))
        .collect();
    let h = Harness::unlocked(NOW, PIN, &links);
    h.press("Settings");
    assert_eq!(h.screen(), Screen::Settings);
    h
}

/// Chooses the export format by its position in the list ("Aegis (encrypted)", "Google
/// Authenticator (QR codes)", "Plain otpauth:// links"), as the ComboBox does.
fn choose_format(h: &Harness, index: i32) {
    h.app
        .window()
        .global::<TransferAdapter>()
        .set_export_format(index);
    h.settle();
}

#[test]
fn another_apps_export_is_previewed_with_ticks_and_the_ticked_keys_imported_in_one_save() {
    let h = on_settings(1);
    h.press("Import from another app");
    assert_eq!(h.screen(), Screen::ImportOther);
    let path = fixture("aegis-plain.json");
    h.type_into("Export file", path.to_str().unwrap());
    h.press("Preview import");
    assert_eq!(h.screen(), Screen::ImportOther, "{:?}", h.notices());

    // What the file holds, by the domain's own reading: the window must show every entry.
    let file = transfer::read(&std::fs::read(&path).unwrap(), None).expect("the fixture reads");
    let rows = transfer::preview(&[], &file);
    let new: Vec<&str> = rows
        .iter()
        .filter(|r| r.status == Status::New)
        .map(|r| r.label.as_str())
        .collect();
    let refused = rows
        .iter()
        .find(|r| matches!(r.status, Status::NotImportable(_)))
        .expect("the fixture holds an entry Pocket Pass cannot hold");
    for row in &rows {
        assert!(
            h.has(&row.label),
            "{} is listed: {:?}",
            row.label,
            h.labels()
        );
    }
    assert_eq!(h.find(&refused.label).accessible_checked(), Some(false));
    assert_eq!(import_button(&h), format!("Import {} keys", new.len()));

    // Untick the first new entry; the rest go in.
    h.press(new[0]);
    assert_eq!(h.find(new[0]).accessible_checked(), Some(false));
    assert_eq!(import_button(&h), format!("Import {} keys", new.len() - 1));
    h.press("Import the ticked keys");
    assert_eq!(h.screen(), Screen::Settings);
    let said = h.notices().join(" ");
    assert!(
        said.contains(&format!(
            "Imported {} keys; 0 already installed.",
            new.len() - 1
        )),
        "{said}"
    );

    // The list names tokens by name (the issuer below it).
    let names: Vec<&str> = rows
        .iter()
        .filter(|r| r.status == Status::New)
        .filter_map(|r| match &file.entries[r.index] {
            transfer::Entry::Account(a) => Some(a.name.as_str()),
            transfer::Entry::NotImportable { .. } => None,
        })
        .collect();
    h.press("Back");
    assert_eq!(h.screen(), Screen::Tokens);
    let listed = |name: &str| {
        h.labels()
            .iter()
            .any(|l| l.starts_with(&format!("{name}: code")))
    };
    for name in &names[1..] {
        assert!(listed(name), "{name} was imported: {:?}", h.labels());
    }
    assert!(!listed(names[0]), "the unticked entry stays out");
}

/// The text on the import button (its accessible label stays "Import the ticked keys").
fn import_button(h: &Harness) -> String {
    h.app
        .window()
        .global::<TransferAdapter>()
        .get_import_button()
        .to_string()
}

#[test]
fn an_encrypted_export_without_its_password_asks_for_it_and_opens_with_it() {
    let h = on_settings(1);
    h.press("Import from another app");
    let path = fixture("aegis-encrypted.json");
    h.type_into("Export file", path.to_str().unwrap());
    h.press("Preview import");
    assert!(
        h.notices()
            .iter()
            .any(|n| n.contains("protected by a password")),
        "{:?}",
        h.notices()
    );
    // The path stays in its field while the password is typed.
    h.type_into("File password", FILE_PASSWORD);
    h.press("Preview import");
    assert!(h.notices().is_empty(), "{:?}", h.notices());
    assert!(h.has("Import the ticked keys"));
}

#[test]
fn an_aegis_export_opens_with_its_password_and_two_different_passwords_write_nothing() {
    let h = on_settings(2);
    h.press("Export for another app");
    assert_eq!(h.screen(), Screen::ExportOther);
    choose_format(&h, 0);
    let out = h.dir.path().join("aegis-export.json");
    h.type_into("Export file", out.to_str().unwrap());
    h.type_into("New file password", FILE_PASSWORD);
    h.type_into("Confirm file password", "correct horse battery stapler");
    h.press("Export keys");
    assert_eq!(h.screen(), Screen::ExportOther);
    assert!(
        h.notices()
            .iter()
            .any(|n| n.contains("The two passwords differ")),
        "{:?}",
        h.notices()
    );
    assert!(!out.exists(), "nothing is written");

    h.type_into("New file password", FILE_PASSWORD);
    h.type_into("Confirm file password", FILE_PASSWORD);
    h.press("Export keys");
    assert_eq!(h.screen(), Screen::Settings, "{:?}", h.notices());
    let read = transfer::read(
        &std::fs::read(&out).unwrap(),
        Some(&Password::entered(FILE_PASSWORD)),
    )
    .expect("the export opens with its password");
    let names: Vec<String> = read.accounts().map(|a| a.name.clone()).collect();
    assert_eq!(names, ["Pocket Pass 1", "Pocket Pass 2"]);
}

#[test]
fn google_authenticator_codes_show_one_at_a_time_and_hold_every_account() {
    // Twelve accounts: two codes of at most ten.
    let h = on_settings(12);
    h.press("Export for another app");
    choose_format(&h, 1);
    h.press("Export keys");
    assert_eq!(h.screen(), Screen::ExportQr, "{:?}", h.notices());

    let mut batch = MigrationBatch::new();
    for page in 1..=2 {
        assert!(h.has(&format!("Code {page} of 2")), "{:?}", h.labels());
        let texts = shown_qr_texts(&h);
        assert_eq!(texts.len(), 1, "one code a page");
        match otp::parse_key_link(&texts[0]) {
            Ok(KeyLink::Migration(part)) => batch.add(part).expect("a part of the export"),
            other => panic!("not a Google export: {:?}", other.map(|_| ())),
        }
        h.press(if page == 2 { "Done" } else { "Next code" });
    }
    assert_eq!(h.screen(), Screen::Settings);
    let accounts = batch.accounts().expect("both parts read");
    let names: Vec<String> = accounts.iter().map(|a| a.name.clone()).collect();
    let expected: Vec<String> = (1..=12).map(|i| format!("Pocket Pass {i}")).collect();
    assert_eq!(names, expected);
}

/// The QR codes in the image the QR page shows, read by the app's own scanner.
fn shown_qr_texts(h: &Harness) -> Vec<String> {
    let image = h.app.window().global::<TransferAdapter>().get_qr();
    let rgb = image.to_rgb8().expect("the page shows a pixel image");
    let luma: Vec<u8> = rgb.as_slice().iter().map(|p| p.g).collect();
    let frame = LumaFrame::new(rgb.width() as usize, rgb.height() as usize, luma).unwrap();
    Scanner::new()
        .scan(&frame)
        .into_iter()
        .filter_map(|c| c.text)
        .collect()
}

#[test]
fn a_wrong_pin_before_writing_plain_links_locks_the_app_and_writes_nothing() {
    let h = on_settings(1);
    h.press("Export for another app");
    choose_format(&h, 2);
    assert!(
        h.notices().iter().any(|n| n.contains("unencrypted")),
        "the warning shows first: {:?}",
        h.notices()
    );
    let out = h.dir.path().join("links.txt");
    h.type_into("Export file", out.to_str().unwrap());
    h.type_into("PIN again", "000000");
    h.press("Export keys");
    assert_eq!(h.screen(), Screen::Unlock);
    assert!(
        h.notices()
            .iter()
            .any(|n| n.contains("The PIN was wrong, so Pocket Pass locked")),
        "{:?}",
        h.notices()
    );
    assert!(!out.exists(), "nothing is written");

    h.type_into("PIN", PIN);
    h.press("Unlock");
    h.press("Settings");
    h.press("Export for another app");
    choose_format(&h, 2);
    h.type_into("Export file", out.to_str().unwrap());
    h.type_into("PIN again", PIN);
    h.press("Export keys");
    assert_eq!(h.screen(), Screen::Settings, "{:?}", h.notices());
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1);
    assert!(otp::parse_uri(lines[0]).is_ok(), "{}", lines[0]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "readable by its owner only");
    }
}
