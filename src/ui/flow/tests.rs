//! The flow's rules, without any window: each test drives [`Flow`] as the adapters would and
//! looks at what it would show and what it asks for.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::*;
use crate::otp::{self, ManualKey, ManualKind, OtpError};

mod files;
mod help;
mod lifecycle;
mod refresh;
use crate::vault::PinError;

const KEY: &str =
    "otpauth://totp/HPC2N:Pocket%20Pass%201?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=HPC2N";
const START: u64 = 1_800_000_000;

/// A flow on a clock the test moves.
fn flow() -> (Flow, Arc<AtomicU64>) {
    let now = Arc::new(AtomicU64::new(START));
    let clock = now.clone();
    (
        Flow::new(Arc::new(move || clock.load(Ordering::SeqCst))),
        now,
    )
}

fn account(name: &str) -> Account {
    otp::parse_uri(&format!(
        "otpauth://totp/{name}?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    ))
    .expect("a valid key")
}

/// The worker's answer at start: a vault exists (no wrong PINs so far), or none does.
fn probed(f: &mut Flow, exists: bool) {
    f.reply(Reply::Probed {
        exists,
        wiped: false,
        failed: 0,
    });
}

/// A flow whose vault is open with `names`, as after Enter PIN.
fn unlocked(names: &[&str]) -> (Flow, Arc<AtomicU64>) {
    let (mut f, now) = flow();
    probed(&mut f, true);
    f.unlock("482916");
    let accounts = names.iter().map(|n| account(n)).collect();
    f.reply(Reply::Accounts(Ok(accounts), Done::Unlocked));
    f.take_effects();
    (f, now)
}

fn jobs(effects: &[Effect]) -> Vec<&Job> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Job(job) => Some(job),
            _ => None,
        })
        .collect()
}

#[test]
fn the_first_start_asks_for_the_vault_and_welcomes_when_there_is_none() {
    let (mut f, _) = flow();
    assert_eq!(f.nav.screen, Screen::Starting);
    f.start();
    assert!(matches!(jobs(&f.take_effects())[..], [Job::Probe]));
    probed(&mut f, false);
    assert_eq!(f.nav.screen, Screen::Welcome);
    assert!(!f.nav.can_go_back);
}

#[test]
fn a_vault_with_wrong_pins_behind_it_asks_for_the_pin_with_the_tries_left() {
    let (mut f, _) = flow();
    f.reply(Reply::Probed {
        exists: true,
        wiped: false,
        failed: 3,
    });
    assert_eq!(f.nav.screen, Screen::Unlock);
    assert!(matches!(
        f.pin.tries_note,
        Some(Note::TriesLeft(n)) if n == vault::MAX_ATTEMPTS - 3
    ));
}

#[test]
fn a_pasted_key_is_shown_and_installing_it_without_a_vault_asks_for_a_pin_first() {
    let (mut f, _) = flow();
    f.install_key();
    f.paste_link(KEY);
    assert_eq!(f.nav.screen, Screen::Found);
    assert_eq!(f.install.found.name, "Pocket Pass 1");
    assert_eq!(f.install.found.issuer, "HPC2N");
    assert_eq!(f.install.found.count, 1);
    assert!(f.install.error.is_none());
    f.confirm();
    assert_eq!(f.nav.screen, Screen::ChoosePin);
    assert!(
        jobs(&f.take_effects()).is_empty(),
        "nothing is saved before a PIN"
    );
}

#[test]
fn two_different_pins_are_refused_and_nothing_is_created() {
    let (mut f, _) = flow();
    f.paste_link(KEY);
    f.confirm();
    f.choose_pin("482916", "482917");
    assert!(matches!(f.pin.error, Some(Note::Pin(PinError::Mismatch))));
    assert_eq!(f.nav.screen, Screen::ChoosePin);
    assert!(jobs(&f.take_effects()).is_empty());
}

#[test]
fn a_chosen_pin_creates_the_vault_with_the_key_found() {
    let (mut f, _) = flow();
    f.paste_link(KEY);
    f.confirm();
    f.choose_pin("482916", "482916");
    assert_eq!(f.nav.screen, Screen::Working);
    assert!(matches!(f.nav.working, Some(Note::Protecting)));
    let effects = f.take_effects();
    match jobs(&effects)[..] {
        [Job::Create { accounts, .. }] => {
            assert_eq!(accounts[0].name, "Pocket Pass 1");
            let noted = START.to_string();
            assert_eq!(
                accounts[0].extra(otp::ADDED_PARAM),
                Some(noted.as_str()),
                "the install time is noted for `pocketpass doctor`"
            );
        }
        _ => panic!("expected one Create job, got {effects:?}"),
    }
    f.reply(Reply::Accounts(
        Ok(vec![account("Pocket Pass 1")]),
        Done::Created,
    ));
    assert_eq!(f.nav.screen, Screen::Installed);
    assert_eq!(f.tokens().total, 1);
}

#[test]
fn an_empty_pin_is_refused_before_the_worker_hears_of_it() {
    let (mut f, _) = flow();
    probed(&mut f, true);
    f.unlock("   ");
    assert!(matches!(f.pin.error, Some(Note::PinEmpty)));
    assert_eq!(f.nav.screen, Screen::Unlock);
    assert!(jobs(&f.take_effects()).is_empty());
}

#[test]
fn a_wrong_pin_says_how_many_tries_are_left_and_stays_on_enter_pin() {
    let (mut f, _) = flow();
    f.unlock("000000");
    f.reply(Reply::Accounts(
        Err(VaultError::WrongPin { remaining: 4 }),
        Done::Unlocked,
    ));
    assert_eq!(f.nav.screen, Screen::Unlock);
    assert!(matches!(
        f.pin.error,
        Some(Note::Vault(VaultError::WrongPin { remaining: 4 }))
    ));
    assert!(matches!(f.pin.tries_note, Some(Note::TriesLeft(4))));
    assert_eq!(f.tokens().total, 0);
}

#[test]
fn replies_to_jobs_sent_before_locking_do_not_bring_the_accounts_back() {
    let (mut f, _) = unlocked(&["alice"]);
    f.lock_pressed();
    let effects = f.take_effects();
    assert!(matches!(jobs(&effects)[..], [Job::Lock]));
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::Toast(Note::Locked))));
    // An Add sent before the lock answers after it.
    f.reply(Reply::Accounts(
        Ok(vec![account("alice"), account("bob")]),
        Done::Added,
    ));
    assert_eq!(f.nav.screen, Screen::Unlock);
    assert_eq!(f.tokens().total, 0, "the accounts stay locked away");
}

#[test]
fn the_app_locks_after_the_auto_lock_time_without_use_and_when_minimised() {
    let (mut f, now) = unlocked(&["alice"]);
    assert_eq!(f.nav.screen, Screen::Token, "one token opens on its code");
    now.store(START + 119, Ordering::SeqCst);
    assert!(!f.tick(false), "two minutes are not over");
    // Unlocked, each tick asks whether another process changed the vault (issue 15).
    assert!(matches!(jobs(&f.take_effects())[..], [Job::Refresh]));
    now.store(START + 120, Ordering::SeqCst);
    assert!(f.tick(false), "two minutes without use lock");
    assert_eq!(f.nav.screen, Screen::Unlock);
    assert!(matches!(jobs(&f.take_effects())[..], [Job::Lock]));

    let (mut f, now) = unlocked(&["alice"]);
    f.auto_lock_changed(AUTO_LOCK_MINUTES.iter().position(|&m| m == 0).unwrap());
    now.store(START + 86_400, Ordering::SeqCst);
    assert!(!f.tick(false), "Never does not lock however long it waits");
    assert!(f.tick(true), "a minimised window locks even so");
}

#[test]
fn an_auto_lock_choice_from_outside_the_list_keeps_the_default() {
    let (mut f, _) = flow();
    f.auto_lock_changed(0);
    assert_eq!(f.settings.auto_lock_index, 0);
    f.auto_lock_changed(AUTO_LOCK_MINUTES.len());
    assert_eq!(f.settings.auto_lock_index, DEFAULT_AUTO_LOCK_INDEX);
}

#[test]
fn a_google_export_with_no_accounts_is_explained_and_scan_barcode_stays() {
    let (mut f, _) = flow();
    f.install_key();
    f.paste_link("otpauth-migration://offline?data=");
    assert_eq!(f.nav.screen, Screen::Add);
    assert!(matches!(
        f.install.error,
        Some(Note::Otp(OtpError::EmptyExport))
    ));
}

#[test]
fn a_manual_key_without_a_secret_asks_for_the_secret_in_the_users_words() {
    let (mut f, _) = flow();
    f.show_manual();
    let key = ManualKey {
        name: "alice".into(),
        issuer: String::new(),
        secret: "  ".into(),
        algorithm: otp::Algorithm::Sha1,
        digits: 6,
        kind: ManualKind::Totp {
            period: "30".into(),
        },
    };
    f.manual_entry(&key);
    assert_eq!(f.nav.screen, Screen::Manual);
    assert!(matches!(f.install.error, Some(Note::SecretMissing)));
}

#[test]
fn back_from_scan_barcode_goes_to_the_welcome_without_a_vault_and_to_the_codes_with_one() {
    let (mut f, _) = flow();
    probed(&mut f, false);
    f.install_key();
    assert!(f.nav.can_go_back);
    f.back();
    assert_eq!(f.nav.screen, Screen::Welcome);

    let (mut f, _) = unlocked(&["alice", "bob"]);
    assert_eq!(f.nav.screen, Screen::Tokens, "two tokens open on the list");
    f.install_key();
    f.start_camera();
    let stop = match &f.take_effects()[..] {
        [Effect::StartCamera(stop)] => stop.clone(),
        other => panic!("expected the camera to start, got {other:?}"),
    };
    f.back();
    assert_eq!(f.nav.screen, Screen::Tokens);
    assert!(
        stop.load(Ordering::SeqCst),
        "leaving the screen stops the camera"
    );
    assert!(!f.camera_running());
}

#[test]
fn an_hotp_code_not_shown_yet_is_not_copied() {
    let (mut f, _) = flow();
    let hotp =
        otp::parse_uri("otpauth://hotp/alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=0")
            .expect("a valid key");
    f.reply(Reply::Accounts(Ok(vec![hotp]), Done::Unlocked));
    f.take_effects();
    f.copy(0);
    assert!(f.take_effects().is_empty(), "nothing to copy, nothing said");
    let shown = f.tokens();
    let token = shown.current.expect("the token is shown");
    assert!(token.hotp && !token.has_code);
}

#[test]
fn a_totp_code_is_copied_without_its_space_and_the_copy_is_announced() {
    let (mut f, _) = unlocked(&["alice"]);
    f.copy(0);
    let effects = f.take_effects();
    let expected = account("alice").code_at(START).as_str().to_owned();
    assert!(
        matches!(&effects[..], [Effect::Copy(code), Effect::Toast(Note::Copied)] if *code == expected)
    );
}

#[test]
fn a_wrong_pin_before_a_plain_export_locks_the_app() {
    use super::super::worker::transfer::ExportFailure;
    let (mut f, _) = unlocked(&["alice"]);
    f.open_settings();
    f.open_export_other();
    let form = ExportForm {
        app: 2,
        file: "/tmp/links.txt".into(),
        pin: "000000".into(),
        ..ExportForm::default()
    };
    f.export_other(&form);
    let effects = f.take_effects();
    assert!(matches!(jobs(&effects)[..], [Job::ExportFor(_)]));
    f.reply(Reply::ExportedFor(Err(ExportFailure::Vault(
        VaultError::WrongPin { remaining: 10 },
    ))));
    assert_eq!(f.nav.screen, Screen::Unlock);
    assert!(matches!(f.pin.error, Some(Note::ExportPinWrong)));
    assert!(matches!(jobs(&f.take_effects())[..], [Job::Lock]));
    assert_eq!(f.tokens().total, 0);
}

#[test]
fn two_different_export_passwords_are_refused_before_the_worker_hears_of_them() {
    let (mut f, _) = unlocked(&["alice"]);
    f.open_export_other();
    let form = ExportForm {
        app: 0,
        file: "/tmp/aegis.json".into(),
        password: "correct horse battery staple".into(),
        again: "correct horse battery stapler".into(),
        ..ExportForm::default()
    };
    f.export_other(&form);
    assert!(matches!(
        f.transfer.export_error,
        Some(Note::PasswordsDiffer)
    ));
    assert!(f.take_effects().is_empty());
    assert_eq!(f.nav.screen, Screen::ExportOther);
}

#[test]
fn google_qr_pages_go_one_at_a_time_and_the_codes_go_with_the_lock() {
    use super::super::worker::transfer::Exported;
    let (mut f, _) = unlocked(&["alice"]);
    f.open_export_other();
    f.reply(Reply::ExportedFor(Ok(Exported::Qr {
        codes: vec![vec![1u8].into(), vec![2u8].into()],
        skipped: vec![("steam".into(), "Steam codes".into())],
    })));
    assert_eq!(f.nav.screen, Screen::ExportQr);
    assert_eq!(f.transfer.qr_index, 0);
    f.next_qr();
    assert_eq!(f.transfer.qr_index, 1);
    f.lock();
    assert!(
        f.transfer.qr.is_empty(),
        "locking drops the codes, which hold keys"
    );
    assert!(f.transfer.skipped.is_empty());
}

#[test]
fn entries_that_cannot_be_imported_cannot_be_ticked_and_nothing_ticked_imports_nothing() {
    use super::super::worker::transfer::ForeignFile;
    use crate::transfer::{PreviewRow, Status};
    let (mut f, _) = unlocked(&["alice"]);
    f.open_import_other();
    let row = |index, status: Status| PreviewRow {
        index,
        label: format!("entry {index}"),
        selected: status == Status::New,
        status,
    };
    f.reply(Reply::ForeignRead(Ok(ForeignFile {
        title: "Aegis".into(),
        rows: vec![
            row(0, Status::New),
            row(1, Status::NotImportable("mOTP".into())),
        ],
        notes: Vec::new(),
    })));
    assert_eq!(f.chosen_rows(), 1);
    f.toggle_row(1);
    assert_eq!(f.chosen_rows(), 1, "the unimportable entry stays unticked");
    f.toggle_row(0);
    assert_eq!(f.chosen_rows(), 0);
    f.import_chosen();
    assert!(f.take_effects().is_empty(), "nothing ticked, nothing sent");
    f.toggle_row(0);
    f.import_chosen();
    assert!(
        matches!(jobs(&f.take_effects())[..], [Job::ImportForeign(chosen)] if chosen == &vec![0])
    );
}

#[test]
fn preview_or_export_without_a_path_asks_for_one_and_sends_nothing() {
    let (mut f, _) = unlocked(&["alice"]);
    f.open_import_other();
    f.preview_import("  ", "");
    assert!(matches!(f.transfer.import_error, Some(Note::PathMissing)));
    f.open_export_other();
    let form = ExportForm {
        app: 0,
        password: "correct horse battery staple".into(),
        again: "correct horse battery staple".into(),
        ..ExportForm::default()
    };
    f.export_other(&form);
    assert!(matches!(f.transfer.export_error, Some(Note::PathMissing)));
    assert!(f.take_effects().is_empty());
    assert_eq!(f.nav.screen, Screen::ExportOther);
}
