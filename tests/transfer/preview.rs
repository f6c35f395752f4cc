//! The preview before an import, and the import itself: one vault save of the chosen entries.

use pocketpass::otp::Kind;
use pocketpass::transfer::{self, chosen, preview, Status};
use pocketpass::vault::{Pin, Vault};

use super::support::{account, read, ALL};

fn vault(dir: &std::path::Path) -> Vault {
    Vault::create_insecure_for_tests(dir, &Pin::entered("482916"), 1_000).unwrap()
}

#[test]
fn a_file_mixing_good_and_unimportable_entries_previews_each_and_imports_the_good_ones() {
    let file = read("aegis-encrypted.json");
    let rows = preview(&[], &file);
    assert_eq!(rows.len(), 7);
    let bad: Vec<_> = rows
        .iter()
        .filter(|r| matches!(r.status, Status::NotImportable(_)))
        .collect();
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].label, "Yandex: ivan");
    assert!(!bad[0].selected, "an unimportable row cannot be ticked");
    assert!(rows
        .iter()
        .filter(|r| r.status == Status::New)
        .all(|r| r.selected));

    let dir = tempfile::tempdir().unwrap();
    let mut vault = vault(dir.path());
    let report = vault.merge(chosen(&file, &rows)).unwrap();
    assert_eq!(report.added, ALL.len());
    drop(vault);
    let vault =
        Vault::unlock_insecure_for_tests(dir.path(), &Pin::entered("482916"), 1_000).unwrap();
    assert_eq!(vault.accounts().len(), ALL.len());
    assert_eq!(
        vault.accounts()[4].kind,
        Kind::Steam,
        "Steam survives the vault"
    );
}

#[test]
fn re_importing_the_same_file_marks_every_account_already_here() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = vault(dir.path());
    for name in [
        "otpauth.txt",
        "2fas-encrypted.2fas",
        "andotp-old.json.aes",
        "bitwarden.csv",
        "ente-encrypted.txt",
    ] {
        let file = read(name);
        vault
            .merge(chosen(&file, &preview(vault.accounts(), &file)))
            .unwrap();
        let again = preview(vault.accounts(), &file);
        for row in &again {
            match &row.status {
                Status::AlreadyHere(here) => assert!(!here.is_empty()),
                Status::NotImportable(_) => {}
                Status::New => panic!("{name}: {} is new again", row.label),
            }
            assert!(!row.selected, "{name}: {}", row.label);
        }
        assert!(chosen(&file, &again).is_empty());
    }
    // Five files of the same accounts gave the accounts once.
    assert_eq!(vault.accounts().len(), ALL.len());
}

#[test]
fn already_here_means_the_same_secret_and_kind_whatever_the_name() {
    let mut renamed = account("github");
    renamed.name = "work laptop".into();
    renamed.kind = Kind::Totp { period: 60 };
    let file = read("otpauth.txt");
    let rows = preview(&[renamed], &file);
    assert_eq!(
        rows[0].status,
        Status::AlreadyHere("GitHub: work laptop".into())
    );
    // The same secret as HOTP is another key.
    let mut hotp = account("github");
    hotp.kind = Kind::Hotp { counter: 0 };
    let rows = preview(&[hotp], &file);
    assert_eq!(rows[0].status, Status::New);
}

#[test]
fn the_same_key_twice_in_one_file_is_offered_once() {
    let text =
        "otpauth://totp/A:x?secret=JBSWY3DPEHPK3PXP\notpauth://totp/B:y?secret=JBSWY3DPEHPK3PXP\n";
    let file = transfer::read(text.as_bytes(), None).unwrap();
    let rows = preview(&[], &file);
    assert_eq!(rows[0].status, Status::New);
    assert_eq!(rows[1].status, Status::AlreadyHere("A: x".into()));
}

#[test]
fn an_import_is_one_save_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = vault(dir.path());
    let file = read("andotp-plain.json");
    let mut accounts = chosen(&file, &preview(&[], &file));
    // An account the vault refuses (invalid digits) makes the whole merge fail, and nothing
    // of the others is saved.
    let mut broken = account("github");
    broken.secret = pocketpass::otp::Secret::from_bytes(vec![7; 20]).unwrap();
    broken.digits = 9;
    accounts.insert(3, broken);
    assert!(vault.merge(accounts).is_err());
    assert!(vault.accounts().is_empty());
    drop(vault);
    let vault =
        Vault::unlock_insecure_for_tests(dir.path(), &Pin::entered("482916"), 1_000).unwrap();
    assert!(vault.accounts().is_empty(), "nothing half-imported on disk");
}
