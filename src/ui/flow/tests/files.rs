//! Issue 15, part 3: files chosen in the desktop's dialog, typed where there is none.

use std::path::PathBuf;

use super::*;
use crate::scan::Source;
use crate::ui::file_chooser::{ChooserError, FileRequest};

/// The file dialogs asked for, in order, with the number their answer names.
fn dialogs(effects: &[Effect]) -> Vec<(u64, &FileRequest)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::ChooseFile(asked, request) => Some((*asked, request)),
            _ => None,
        })
        .collect()
}

/// The one dialog `effects` ask for: its number.
fn one_dialog(effects: &[Effect]) -> u64 {
    let asked = dialogs(effects);
    assert_eq!(asked.len(), 1, "one dialog");
    asked[0].0
}

fn chosen(path: &str) -> Result<Option<PathBuf>, ChooserError> {
    Ok(Some(PathBuf::from(path)))
}

fn desktop() -> Flow {
    let (mut f, _) = flow();
    f.set_file_dialog(true);
    probed(&mut f, false);
    f.install_key();
    f.take_effects();
    f
}

#[test]
fn open_image_asks_the_dialog_and_reads_the_chosen_file() {
    let mut f = desktop();
    f.open_image();
    let effects = f.take_effects();
    let asked = dialogs(&effects);
    assert_eq!(asked.len(), 1);
    assert!(!asked[0].1.save);
    assert!(asked[0].1.filters[0].1.contains(&"*.png".to_owned()));
    let number = asked[0].0;
    assert!(!f.install.typed_path);
    // A second press while the dialog is open asks nothing more, and offers the typed path
    // (for a dialog that never showed up).
    f.open_image();
    assert!(dialogs(&f.take_effects()).is_empty());
    assert!(f.install.typed_path);

    f.reply(Reply::Chosen(number, chosen("/tmp/qr.png")));
    let effects = f.take_effects();
    assert!(
        matches!(&effects[..], [Effect::Scan(Source::File(p))] if p == &PathBuf::from("/tmp/qr.png"))
    );
}

#[test]
fn a_cancelled_dialog_changes_nothing() {
    let mut f = desktop();
    f.open_image();
    let number = one_dialog(&f.take_effects());
    f.reply(Reply::Chosen(number, Ok(None)));
    assert!(f.take_effects().is_empty());
    assert_eq!(f.nav.screen, Screen::Add);
    assert!(f.install.error.is_none());
}

#[test]
fn with_no_dialog_the_path_is_typed_and_the_dialog_is_not_asked_again() {
    let mut f = desktop();
    f.open_image();
    let number = one_dialog(&f.take_effects());
    let absent = ChooserError::Unavailable("ServiceUnknown".into());
    f.reply(Reply::Chosen(number, Err(absent)));
    assert!(f.install.typed_path);
    assert!(matches!(
        f.install.error,
        Some(Note::Chooser(ChooserError::Unavailable(_)))
    ));
    f.open_image();
    assert!(dialogs(&f.take_effects()).is_empty());
}

#[test]
fn phones_type_the_path() {
    let (mut f, _) = flow();
    probed(&mut f, false);
    f.install_key();
    f.open_image();
    assert!(dialogs(&f.take_effects()).is_empty());
    assert!(f.install.typed_path);
}

#[test]
fn export_with_no_path_saves_where_the_dialog_says_and_a_typed_path_needs_no_dialog() {
    let (mut f, _) = unlocked(&["laptop"]);
    f.set_file_dialog(true);
    f.export_backup("", "a long password");
    let effects = f.take_effects();
    let asked = dialogs(&effects);
    assert!(asked[0].1.save, "a save dialog");
    assert!(jobs(&effects).is_empty());
    assert!(matches!(
        f.settings.message,
        Some((Note::ChoosingFile, false))
    ));
    f.reply(Reply::Chosen(asked[0].0, chosen("/tmp/keys.pocketpass")));
    let effects = f.take_effects();
    assert!(
        matches!(jobs(&effects)[..], [Job::Export(p, _)] if p == &PathBuf::from("/tmp/keys.pocketpass"))
    );

    f.export_backup("/tmp/typed.pocketpass", "a long password");
    let effects = f.take_effects();
    assert!(dialogs(&effects).is_empty());
    assert!(matches!(jobs(&effects)[..], [Job::Export(..)]));
}

#[test]
fn a_second_ask_while_a_dialog_is_open_waits_for_that_one_and_says_so() {
    let (mut f, _) = unlocked(&["laptop"]);
    f.set_file_dialog(true);
    f.import_backup("", "a long password");
    let number = one_dialog(&f.take_effects());
    f.export_backup("", "a long password");
    assert!(dialogs(&f.take_effects()).is_empty());
    assert!(matches!(
        f.settings.message,
        Some((Note::ChoosingFile, false))
    ));
    // The open dialog's answer is for the import it was asked for.
    f.reply(Reply::Chosen(number, chosen("/tmp/keys.pocketpass")));
    assert!(matches!(jobs(&f.take_effects())[..], [Job::Import(..)]));
}

#[test]
fn a_backup_chosen_after_the_app_locked_is_not_written() {
    let (mut f, _) = unlocked(&["laptop"]);
    f.set_file_dialog(true);
    f.export_backup("", "a long password");
    let number = one_dialog(&f.take_effects());
    f.lock();
    f.take_effects();
    f.reply(Reply::Chosen(number, chosen("/tmp/keys.pocketpass")));
    assert!(jobs(&f.take_effects()).is_empty());
}

/// A dialog left open across a lock must not answer what the user asks after unlocking: an
/// old "Open a backup" answer would otherwise be written over by a new Export.
#[test]
fn a_dialog_left_open_across_a_lock_does_not_answer_a_later_ask() {
    let (mut f, _) = unlocked(&["laptop"]);
    f.set_file_dialog(true);
    f.import_backup("", "a long password");
    let old = one_dialog(&f.take_effects());
    f.lock();
    f.unlock("482916");
    f.reply(Reply::Accounts(Ok(vec![account("laptop")]), Done::Unlocked));
    f.export_backup("", "a long password");
    let new = one_dialog(&f.take_effects());
    assert_ne!(old, new);
    f.reply(Reply::Chosen(old, chosen("/tmp/other-device.pocketpass")));
    assert!(
        jobs(&f.take_effects()).is_empty(),
        "the old answer is ignored"
    );
    f.reply(Reply::Chosen(new, chosen("/tmp/new.pocketpass")));
    assert!(
        matches!(jobs(&f.take_effects())[..], [Job::Export(p, _)] if p == &PathBuf::from("/tmp/new.pocketpass"))
    );
}

#[test]
fn an_image_chosen_after_the_app_locked_is_not_read() {
    let (mut f, _) = unlocked(&["laptop"]);
    f.set_file_dialog(true);
    f.install_key();
    f.open_image();
    let number = one_dialog(&f.take_effects());
    f.lock();
    f.take_effects();
    f.reply(Reply::Chosen(number, chosen("/tmp/qr.png")));
    assert!(f.take_effects().is_empty());
    assert_eq!(f.nav.screen, Screen::Unlock);
}

#[test]
fn preview_with_no_path_opens_the_dialog_then_reads_the_file() {
    let (mut f, _) = unlocked(&["laptop"]);
    f.set_file_dialog(true);
    f.open_import_other();
    f.preview_import("", "");
    let number = one_dialog(&f.take_effects());
    f.reply(Reply::Chosen(number, chosen("/tmp/aegis.json")));
    let effects = f.take_effects();
    assert!(
        matches!(jobs(&effects)[..], [Job::ReadForeign(p, None)] if p == &PathBuf::from("/tmp/aegis.json"))
    );
}
