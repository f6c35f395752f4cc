//! Unit tests of the vault's private parts (the public behaviour is tested in tests/vault.rs).

use super::*;

const ITERATIONS: u32 = 1_000;

fn account() -> Account {
    crate::otp::parse_uri("otpauth://totp/HPC:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
        .expect("a valid key")
}

/// Issue 12, item 4: when flushing the folder failed after the rename had put the new vault
/// in place, the PIN change reported "nothing was changed" and the open vault kept the old
/// key, so the user went on typing the old PIN, which the file no longer takes.
#[test]
fn a_failed_folder_flush_after_a_pin_change_keeps_memory_and_file_in_step() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let old = Pin::entered("482916");
    let new = Pin::entered("739164");
    let mut vault = Vault::create_insecure_for_tests(dir.path(), &old, ITERATIONS).unwrap();
    vault.add(account()).unwrap();

    store::tests::FAIL_DIR_SYNC.with(|f| f.set(true));
    let result = vault.change_pin(&new);
    let warning = vault.take_warning();
    // A later save through the same open vault must use the new key too.
    let renamed = vault.rename("alice", "alice (laptop)");
    store::tests::FAIL_DIR_SYNC.with(|f| f.set(false));

    assert!(result.is_ok(), "the change is in place: {result:?}");
    let warning = warning.expect("the unconfirmed save is reported");
    assert!(
        matches!(warning, VaultError::NotFlushed { .. }),
        "{warning:?}"
    );
    assert!(
        !warning.to_string().contains("nothing was changed"),
        "{warning}"
    );
    assert!(renamed.is_ok(), "{renamed:?}");
    drop(vault);

    let err = Vault::unlock_insecure_for_tests(dir.path(), &old, ITERATIONS).unwrap_err();
    assert!(matches!(err, VaultError::WrongPin { .. }), "{err:?}");
    let vault = Vault::unlock_insecure_for_tests(dir.path(), &new, ITERATIONS).unwrap();
    assert_eq!(vault.accounts()[0].name, "alice (laptop)");
}

/// The same for an added account: the open vault lists what the file holds.
#[test]
fn a_failed_folder_flush_after_adding_shows_the_added_account() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let pin = Pin::entered("482916");
    let mut vault = Vault::create_insecure_for_tests(dir.path(), &pin, ITERATIONS).unwrap();
    store::tests::FAIL_DIR_SYNC.with(|f| f.set(true));
    let result = vault.add(account());
    store::tests::FAIL_DIR_SYNC.with(|f| f.set(false));
    assert!(result.is_ok(), "{result:?}");
    assert!(vault.take_warning().is_some());
    assert_eq!(vault.accounts().len(), 1);
    drop(vault);
    let vault = Vault::unlock_insecure_for_tests(dir.path(), &pin, ITERATIONS).unwrap();
    assert_eq!(vault.accounts().len(), 1);
}

/// Issue 12, item 6: the payload buffer reserved 1 KiB per account and reallocated for
/// long ones, leaving a plaintext copy of the keys in the old allocation. It is now
/// allocated once at exactly the payload's size.
#[test]
fn a_long_account_is_serialised_without_reallocation() {
    let mut long = account();
    long.name = "n".repeat(5_000);
    long.extra = vec![("note".into(), "x".repeat(20_000))];
    let accounts = vec![account(), long];
    let buffer = encode_contents(&accounts).unwrap();
    assert_eq!(
        buffer.capacity(),
        buffer.len(),
        "one allocation of exactly the size"
    );
    let back = decode_contents(&buffer, Path::new("test")).unwrap();
    assert_eq!(back.accounts, accounts);
}

/// The fixed writer refuses to grow its buffer rather than move it.
#[test]
fn the_fixed_writer_never_grows_its_buffer() {
    use std::io::Write;
    let mut buffer = Vec::with_capacity(4);
    let mut writer = FixedWriter(&mut buffer);
    assert!(writer.write_all(b"1234").is_ok());
    assert!(writer.write_all(b"5").is_err());
    assert_eq!(buffer.capacity(), 4);
}

/// A failing disk does not stop the wipe after the tenth wrong PIN.
#[test]
fn a_failed_folder_flush_does_not_stop_the_wipe() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let pin = Pin::entered("482916");
    drop(Vault::create_insecure_for_tests(dir.path(), &pin, ITERATIONS).unwrap());
    let wrong = Pin::entered("999000");
    store::tests::FAIL_DIR_SYNC.with(|f| f.set(true));
    let results: Vec<_> = (0..MAX_ATTEMPTS)
        .map(|_| Vault::unlock_insecure_for_tests(dir.path(), &wrong, ITERATIONS))
        .collect();
    store::tests::FAIL_DIR_SYNC.with(|f| f.set(false));
    assert!(matches!(results.last(), Some(Err(VaultError::Wiped(_)))));
    assert!(!exists(dir.path()));
}
