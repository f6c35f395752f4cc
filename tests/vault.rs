//! The vault: PIN rules, attempt limit, integrity, durability under kill -9 and full disks,
//! backups. Vaults here use the explicit test-only constructor with few PBKDF2 iterations;
//! one test checks that real vaults use the real count.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use pocketpass::otp::{parse_uri, Account};
use pocketpass::vault::{
    self, format, Password, Pin, Vault, VaultError, ATTEMPTS_FILE, MAX_ATTEMPTS, VAULT_FILE,
};

const PIN: &str = "482916";
const TEST_ITERATIONS: u32 = 1_000;
/// The secret used throughout, in base32 and as raw bytes ("12345678901234567890").
const SECRET_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const SECRET_RAW: &[u8] = b"12345678901234567890";

fn pin() -> Pin {
    Pin::entered(PIN)
}

fn account(name: &str) -> Account {
    parse_uri(&format!(
        "otpauth://totp/HPC:{name}?secret={SECRET_B32}&issuer=HPC&expires=2028-11-28"
    ))
    .unwrap()
}

/// Opens a vault made here with [`TEST_ITERATIONS`]: the app's [`Vault::unlock`] refuses that
/// cost as a damaged header.
fn unlock(dir: &Path, pin: &Pin) -> Result<Vault, VaultError> {
    Vault::unlock_insecure_for_tests(dir, pin, TEST_ITERATIONS)
}

fn new_vault(dir: &Path) -> Vault {
    let mut vault = Vault::create_insecure_for_tests(dir, &pin(), TEST_ITERATIONS).unwrap();
    vault.add(account("alice")).unwrap();
    vault
}

fn vault_bytes(dir: &Path) -> Vec<u8> {
    fs::read(dir.join(VAULT_FILE)).unwrap()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_new_vault_uses_the_real_kdf_cost() {
    let dir = tempfile::tempdir().unwrap();
    Vault::create(dir.path(), &pin()).unwrap();
    let bytes = vault_bytes(dir.path());
    let iterations = u32::from_le_bytes(bytes[12..16].try_into().unwrap());
    assert_eq!(iterations, format::DEFAULT_ITERATIONS);
    assert!(iterations >= 600_000);
    assert!(Vault::unlock(dir.path(), &pin()).is_ok());
}

#[test]
fn weak_pins_are_refused_for_a_new_vault() {
    let dir = tempfile::tempdir().unwrap();
    for weak in [
        "123456", "000000", "654321", "111111", "123123", "12345", "abcdef",
    ] {
        let err =
            Vault::create_insecure_for_tests(dir.path(), &Pin::entered(weak), TEST_ITERATIONS)
                .unwrap_err();
        assert!(matches!(err, VaultError::Pin(_)), "{weak}: {err:?}");
    }
    assert!(!vault::exists(dir.path()));
}

#[test]
fn accounts_survive_a_restart_and_no_secret_is_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    drop(new_vault(dir.path()));
    let vault = unlock(dir.path(), &pin()).unwrap();
    assert_eq!(vault.accounts(), &[account("alice")]);
    assert_eq!(vault.accounts()[0].extra("expires"), Some("2028-11-28"));
    for (path, bytes) in common::files_under(dir.path()) {
        for needle in [SECRET_RAW, SECRET_B32.as_bytes(), PIN.as_bytes(), b"alice"] {
            assert!(
                !contains(&bytes, needle),
                "{} holds a secret",
                path.display()
            );
        }
    }
}

#[test]
fn tokens_keep_the_order_the_user_gives_them_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    vault.add(account("bob")).unwrap();
    vault.add(account("carol")).unwrap();
    vault.move_account(2, 0).unwrap();
    vault.move_account(1, 99).unwrap();
    drop(vault);
    let mut vault = unlock(dir.path(), &pin()).unwrap();
    let names: Vec<&str> = vault.accounts().iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["carol", "bob", "alice"]);
    let before = vault_bytes(dir.path());
    let err = vault.move_account(3, 0).unwrap_err();
    assert!(matches!(err, VaultError::NoSuchAccount(_)), "{err:?}");
    assert_eq!(
        vault_bytes(dir.path()),
        before,
        "a refused move writes nothing"
    );
}

#[test]
fn every_save_uses_a_fresh_nonce() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    let first = vault_bytes(dir.path());
    vault.rename("alice", "alice").unwrap();
    let second = vault_bytes(dir.path());
    assert_eq!(
        first[16..32],
        second[16..32],
        "same salt without a PIN change"
    );
    assert_ne!(first[32..44], second[32..44], "nonce reused");
}

#[test]
fn ten_wrong_pins_wipe_the_keys_and_each_failure_says_how_many_tries_remain() {
    let dir = tempfile::tempdir().unwrap();
    drop(new_vault(dir.path()));
    for attempt in 1..MAX_ATTEMPTS {
        match unlock(dir.path(), &Pin::entered("999000")) {
            Err(VaultError::WrongPin { remaining }) => {
                assert_eq!(remaining, MAX_ATTEMPTS - attempt);
                assert!(VaultError::WrongPin { remaining }
                    .to_string()
                    .contains(&format!("{remaining} tr")));
            }
            other => panic!("attempt {attempt}: {other:?}"),
        }
        // The counter is on disk: a "restart" (a new unlock call) sees it.
        assert_eq!(Vault::failed_attempts(dir.path()).unwrap(), attempt);
    }
    let err = unlock(dir.path(), &Pin::entered("999000")).unwrap_err();
    assert!(matches!(err, VaultError::Wiped(10)), "{err:?}");
    assert!(err.to_string().contains("wiped"));
    assert!(!dir.path().join(VAULT_FILE).exists());
    // Even the right PIN cannot bring them back, and the user is told why.
    assert!(matches!(
        unlock(dir.path(), &pin()),
        Err(VaultError::Wiped(_))
    ));
    for (path, bytes) in common::files_under(dir.path()) {
        assert!(
            !bytes.starts_with(format::MAGIC),
            "{} is a copy of the vault",
            path.display()
        );
    }
}

#[test]
fn a_right_pin_resets_the_counter() {
    let dir = tempfile::tempdir().unwrap();
    drop(new_vault(dir.path()));
    for _ in 0..MAX_ATTEMPTS - 1 {
        assert!(unlock(dir.path(), &Pin::entered("999000")).is_err());
    }
    drop(unlock(dir.path(), &pin()).unwrap());
    assert_eq!(Vault::failed_attempts(dir.path()).unwrap(), 0);
    match unlock(dir.path(), &Pin::entered("999000")) {
        Err(VaultError::WrongPin { remaining }) => assert_eq!(remaining, MAX_ATTEMPTS - 1),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_tampered_byte_anywhere_gives_the_integrity_error_not_wrong_pin() {
    let dir = tempfile::tempdir().unwrap();
    drop(new_vault(dir.path()));
    let original = vault_bytes(dir.path());
    for i in 0..original.len() {
        for flip in [0x01u8, 0x80] {
            let mut bytes = original.clone();
            bytes[i] ^= flip;
            fs::write(dir.path().join(VAULT_FILE), &bytes).unwrap();
            match unlock(dir.path(), &pin()) {
                Err(VaultError::Corrupt(_)) => {}
                other => panic!("byte {i} ^ {flip:#x}: {other:?}"),
            }
        }
    }
    for len in [0, 5, 47, original.len() - 1] {
        fs::write(dir.path().join(VAULT_FILE), &original[..len]).unwrap();
        let err = unlock(dir.path(), &pin()).unwrap_err();
        assert!(
            matches!(err, VaultError::Corrupt(_) | VaultError::NotAVault(_)),
            "cut to {len}: {err:?}"
        );
    }
    // Damage is not a wrong PIN: no attempt was counted.
    assert_eq!(Vault::failed_attempts(dir.path()).unwrap(), 0);
    fs::write(dir.path().join(VAULT_FILE), &original).unwrap();
    assert!(unlock(dir.path(), &pin()).is_ok());
}

/// Overwrites the vault's header bytes at `at` with `with`, recomputing the (unkeyed)
/// checksum as anyone can, and returns the file as written.
fn edit_header(dir: &Path, at: std::ops::Range<usize>, with: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    let mut bytes = vault_bytes(dir);
    bytes[at].copy_from_slice(with);
    let body_len = bytes.len() - 32;
    let checksum = sha2::Sha256::digest(&bytes[..body_len]);
    bytes[body_len..].copy_from_slice(&checksum);
    fs::write(dir.join(VAULT_FILE), &bytes).unwrap();
    bytes
}

/// Rewrites the vault's iteration count (checksum recomputed).
fn set_iterations(dir: &Path, iterations: u32) -> Vec<u8> {
    edit_header(dir, 12..16, &iterations.to_le_bytes())
}

/// Issue 12, item 3: a header edited to iteration counts Pocket Pass never writes (with the
/// checksum recomputed) was taken for a wrong PIN, so ten right PINs wiped an intact vault, and
/// 10^8 iterations made each try take minutes. Now it is damage, refused before the counter.
#[test]
fn an_edited_iteration_count_is_damage_and_never_counts_or_wipes() {
    for iterations in [
        1,
        TEST_ITERATIONS - 1,
        format::MAX_ITERATIONS + 1,
        100_000_000,
    ] {
        let dir = tempfile::tempdir().unwrap();
        drop(new_vault(dir.path()));
        let edited = set_iterations(dir.path(), iterations);
        for attempt in 0..=MAX_ATTEMPTS {
            let err = unlock(dir.path(), &pin()).unwrap_err();
            match &err {
                VaultError::UnsafeKdf { iterations: n, .. } => assert_eq!(*n, iterations),
                other => panic!("{iterations} iterations, try {attempt}: {other:?}"),
            }
            assert!(
                err.to_string().contains("No PIN attempt was counted"),
                "{err}"
            );
        }
        assert_eq!(Vault::failed_attempts(dir.path()).unwrap(), 0);
        assert_eq!(
            vault_bytes(dir.path()),
            edited,
            "the file is left as it was"
        );
        assert!(!dir.path().join(vault::WIPED_FILE).exists());
    }
}

/// The app's own unlock refuses the cheap cost only tests write, as damage; the explicit
/// test-only path is the one way to open such a vault.
#[test]
fn the_apps_unlock_refuses_a_vault_below_the_real_cost() {
    let dir = tempfile::tempdir().unwrap();
    drop(new_vault(dir.path()));
    let err = Vault::unlock(dir.path(), &pin()).unwrap_err();
    assert!(
        matches!(
            err,
            VaultError::UnsafeKdf {
                iterations: TEST_ITERATIONS,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(Vault::failed_attempts(dir.path()).unwrap(), 0);
    assert!(unlock(dir.path(), &pin()).is_ok());
}

/// A backup whose header was edited the same way is damage too, not a wrong password.
#[test]
fn an_edited_backup_iteration_count_is_damage_not_a_wrong_password() {
    use sha2::Digest;
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    let backup = dir.path().join("backup.pocketpass");
    let password = Password::entered("a long backup password");
    vault.export(&backup, &password).unwrap();
    let mut bytes = fs::read(&backup).unwrap();
    bytes[12..16].copy_from_slice(&1u32.to_le_bytes());
    let body_len = bytes.len() - 32;
    let checksum = sha2::Sha256::digest(&bytes[..body_len]);
    bytes[body_len..].copy_from_slice(&checksum);
    fs::write(&backup, &bytes).unwrap();
    let err = Vault::read_backup(&backup, &password, vault::KdfCost::STANDARD).unwrap_err();
    assert!(
        matches!(err, VaultError::UnsafeKdf { iterations: 1, .. }),
        "{err:?}"
    );
}

/// Rewrites the vault as if a newer Pocket Pass had written it (valid checksum).
fn make_newer_version(dir: &Path) -> Vec<u8> {
    edit_header(dir, 8..10, &2u16.to_le_bytes())
}

#[test]
fn a_newer_format_version_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    drop(new_vault(dir.path()));
    let newer = make_newer_version(dir.path());
    let err = unlock(dir.path(), &pin()).unwrap_err();
    assert!(
        matches!(err, VaultError::UnsupportedVersion { version: 2, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("newer Pocket Pass"));
    let err =
        Vault::create_insecure_for_tests(dir.path(), &Pin::entered("271828"), TEST_ITERATIONS)
            .unwrap_err();
    assert!(matches!(err, VaultError::AlreadyExists(_)), "{err:?}");
    assert_eq!(vault_bytes(dir.path()), newer);
}

#[test]
fn change_pin_uses_a_new_salt_and_the_old_pin_stops_working() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    let before = vault_bytes(dir.path());
    assert!(matches!(
        vault.change_pin(&Pin::entered("111111")),
        Err(VaultError::Pin(_))
    ));
    assert_eq!(
        vault_bytes(dir.path()),
        before,
        "a refused PIN changes nothing"
    );
    vault.change_pin(&Pin::entered("271828")).unwrap();
    drop(vault);
    let after = vault_bytes(dir.path());
    assert_ne!(
        before[16..32],
        after[16..32],
        "salt must change with the PIN"
    );
    assert!(matches!(
        unlock(dir.path(), &pin()),
        Err(VaultError::WrongPin { .. })
    ));
    let vault = unlock(dir.path(), &Pin::entered("271828")).unwrap();
    assert_eq!(vault.accounts(), &[account("alice")]);
}

#[test]
fn hotp_counter_is_saved_before_the_code_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = Vault::create_insecure_for_tests(dir.path(), &pin(), TEST_ITERATIONS).unwrap();
    vault
        .add(
            parse_uri(&format!(
                "otpauth://hotp/HPC:bob?secret={SECRET_B32}&counter=0"
            ))
            .unwrap(),
        )
        .unwrap();
    assert_eq!(vault.code(0, 0).unwrap().as_str(), "755224");
    drop(vault);
    let mut vault = unlock(dir.path(), &pin()).unwrap();
    assert_eq!(vault.code(0, 0).unwrap().as_str(), "287082");
}

#[test]
fn names_find_rename_remove_and_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    assert!(matches!(
        vault.add(account("alice")),
        Err(VaultError::Duplicate(_))
    ));
    vault.add(account("bob")).unwrap();
    assert_eq!(vault.find("hpc: ALICE").unwrap(), 0);
    assert_eq!(vault.find("HPC:bob").unwrap(), 1);
    assert_eq!(vault.find("bob").unwrap(), 1);
    assert!(matches!(
        vault.find("carol"),
        Err(VaultError::NoSuchAccount(_))
    ));
    assert!(matches!(
        vault.rename("bob", "alice"),
        Err(VaultError::Duplicate(_))
    ));
    vault.rename("bob", "Bob's laptop").unwrap();
    let removed = vault.remove("alice").unwrap();
    assert_eq!(removed.name, "alice");
    drop(vault);
    let vault = unlock(dir.path(), &pin()).unwrap();
    let names: Vec<&str> = vault.accounts().iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["Bob's laptop"]);
}

#[test]
fn export_then_import_round_trips_and_damaged_backups_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    vault.add(account("bob")).unwrap();
    let backup = dir.path().join("backup.ppb");
    let password = Password::new_checked("correct horse").unwrap();
    assert!(matches!(
        Password::new_checked("short"),
        Err(VaultError::WeakPassword(8))
    ));
    assert_eq!(vault.export(&backup, &password).unwrap(), 2);
    let bytes = fs::read(&backup).unwrap();
    for needle in [
        SECRET_RAW,
        SECRET_B32.as_bytes(),
        b"correct horse",
        b"alice",
    ] {
        assert!(!contains(&bytes, needle));
    }

    let other = tempfile::tempdir().unwrap();
    let mut fresh =
        Vault::create_insecure_for_tests(other.path(), &Pin::entered("271828"), TEST_ITERATIONS)
            .unwrap();
    assert!(matches!(
        fresh.import(&backup, &Password::entered("wrong horse")),
        Err(VaultError::WrongPassword)
    ));
    let report = fresh.import(&backup, &password).unwrap();
    assert_eq!(report.added, 2);
    assert_eq!(fresh.accounts(), vault.accounts());
    let again = fresh.import(&backup, &password).unwrap();
    assert_eq!((again.added, again.duplicates), (0, 2));

    let mut damaged = bytes.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x10;
    fs::write(&backup, &damaged).unwrap();
    assert!(matches!(
        fresh.import(&backup, &password),
        Err(VaultError::Corrupt(_))
    ));
    assert!(matches!(
        fresh.import(&dir.path().join(VAULT_FILE), &password),
        Err(VaultError::WrongKind(..))
    ));
    assert_eq!(fresh.accounts().len(), 2, "a failed import changes nothing");

    // Export refuses to overwrite a file that is not a backup.
    let letter = dir.path().join("letter.txt");
    fs::write(&letter, b"dear centre").unwrap();
    assert!(vault.export(&letter, &password).is_err());
    assert_eq!(fs::read(&letter).unwrap(), b"dear centre");
}

/// Environment variables that turn this test binary into a child process for the tests below.
const CHILD_SAVE_LOOP: &str = "POCKETPASS_TEST_SAVE_LOOP_DIR";
const CHILD_BIG_SAVE: &str = "POCKETPASS_TEST_BIG_SAVE_DIR";

/// Runs this test binary again as a child that executes only `test_name`.
fn child(test_name: &str, var: &str, dir: &Path) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", test_name, "--test-threads", "1", "--nocapture"])
        .env(var, dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    command
}

#[test]
fn kill_9_during_saves_never_leaves_an_unopenable_or_lost_vault() {
    if let Some(dir) = std::env::var_os(CHILD_SAVE_LOOP) {
        // Child: save as fast as possible until killed.
        let dir = PathBuf::from(dir);
        let mut vault = unlock(&dir, &pin()).unwrap();
        let mut n = vault.accounts().len();
        loop {
            vault.add(account(&format!("loop-{n}"))).unwrap();
            n += 1;
        }
    }
    let dir = tempfile::tempdir().unwrap();
    drop(new_vault(dir.path()));
    let mut seen = 1;
    let mut grew = 0;
    for i in 0..300u64 {
        let mut process = child(
            "kill_9_during_saves_never_leaves_an_unopenable_or_lost_vault",
            CHILD_SAVE_LOOP,
            dir.path(),
        )
        .spawn()
        .unwrap();
        // Spread the kills over start-up and the save loop (a cheap LCG keeps it repeatable).
        let delay = (i
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407)
            >> 33)
            % 40;
        std::thread::sleep(Duration::from_millis(5 + delay));
        process.kill().unwrap(); // SIGKILL on Unix
        process.wait().unwrap();
        let vault = unlock(dir.path(), &pin())
            .unwrap_or_else(|e| panic!("after kill {i}: the vault does not open: {e}"));
        let count = vault.accounts().len();
        assert!(
            count >= seen,
            "after kill {i}: {count} accounts, had {seen}"
        );
        assert_eq!(vault.accounts()[0], account("alice"), "after kill {i}");
        if count > seen {
            grew += 1;
        }
        seen = count;
    }
    // The kills really landed among saves, not only before them.
    assert!(grew > 50, "only {grew} of 300 runs saved anything");
    assert!(seen > 100, "only {seen} accounts saved in total");
}

#[cfg(unix)]
#[test]
fn a_full_disk_leaves_the_old_vault_byte_for_byte() {
    if let Some(dir) = std::env::var_os(CHILD_BIG_SAVE) {
        // Child, with a file-size limit: try to save a vault larger than the limit.
        let dir = PathBuf::from(dir);
        let mut vault = unlock(&dir, &pin()).unwrap();
        let mut big = account("big");
        big.extra.push(("note".into(), "x".repeat(64 * 1024)));
        let err = vault.add(big).unwrap_err();
        assert!(matches!(err, VaultError::Io { .. }), "{err:?}");
        assert!(err.to_string().contains("nothing was changed"), "{err}");
        assert_eq!(vault.accounts().len(), 1, "in-memory state unchanged");
        std::process::exit(42);
    }
    let dir = tempfile::tempdir().unwrap();
    drop(new_vault(dir.path()));
    let before = vault_bytes(dir.path());
    let mut command = child(
        "a_full_disk_leaves_the_old_vault_byte_for_byte",
        CHILD_BIG_SAVE,
        dir.path(),
    );
    let limit = 16 * 1024;
    // SAFETY: only async-signal-safe calls (setrlimit, signal) run between fork and exec.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut command, move || {
            let rlimit = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &rlimit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // Writes past the limit fail with EFBIG instead of killing the process.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    let status = command.status().unwrap();
    assert_eq!(
        status.code(),
        Some(42),
        "the child did not see the write fail as expected"
    );
    assert_eq!(vault_bytes(dir.path()), before);
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".pocketpass-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    assert_eq!(unlock(dir.path(), &pin()).unwrap().accounts().len(), 1);
    assert!(!dir.path().join(ATTEMPTS_FILE).exists());
}

/// A format-1 vault written by an independent script from `docs/vault-format.md` alone
/// (PIN 271828, 1,000 iterations): it must open, and re-save in the current format.
#[test]
fn a_format_1_vault_written_from_the_documentation_opens_and_resaves() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vault-v1.pocketpass");
    let dir = tempfile::tempdir().unwrap();
    fs::copy(&fixture, dir.path().join(VAULT_FILE)).unwrap();
    let pin = Pin::entered("271828");
    let mut vault = unlock(dir.path(), &pin).unwrap();
    assert_eq!(vault.accounts().len(), 2);
    assert_eq!(vault.accounts()[0].display_name(), "HPC Centre: alice");
    assert_eq!(vault.accounts()[0].extra("expires"), Some("2028-11-28"));
    // RFC 6238's SHA1 secret: the 6-digit code at T=59 is the last 6 digits of 94287082.
    assert_eq!(vault.code(0, 59).unwrap().as_str(), "287082");
    // RFC 4226 at counter 3, then the counter is saved as 4.
    assert_eq!(vault.code(1, 0).unwrap().as_str(), "969429");
    drop(vault);
    let vault = unlock(dir.path(), &pin).unwrap();
    assert_eq!(
        vault.accounts()[1].kind,
        pocketpass::otp::Kind::Hotp { counter: 4 }
    );
    assert_ne!(vault_bytes(dir.path()), fs::read(&fixture).unwrap());
}

/// The decryption script in `docs/vault-format.md` opens a vault Pocket Pass wrote, so the
/// documentation stays true (python3 with `cryptography`, from scripts/install-deps.sh).
#[test]
fn the_documented_python_script_decrypts_a_vault() {
    let doc =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/vault-format.md"))
            .unwrap();
    let script = doc
        .split("```python\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the doc holds a python script");
    let dir = tempfile::tempdir().unwrap();
    drop(new_vault(dir.path()));
    let script_path = dir.path().join("decrypt.py");
    fs::write(&script_path, script).unwrap();
    // Debian's python3-cryptography belongs to the system interpreter, not to one on PATH.
    let python = ["/usr/bin/python3", "python3"]
        .into_iter()
        .find(|p| !p.starts_with('/') || Path::new(p).exists())
        .unwrap();
    let output = Command::new(python)
        .arg(&script_path)
        .arg(dir.path().join(VAULT_FILE))
        .arg(PIN)
        .output()
        .expect("python3 runs (scripts/install-deps.sh installs it)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["accounts"][0]["name"], "alice");
    assert_eq!(json["accounts"][0]["secret"], SECRET_B32);
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Arbitrary bytes in place of the vault give an error, never a panic, and are left as
        /// they were.
        #[test]
        fn on_arbitrary_vault_files(bytes in proptest::collection::vec(any::<u8>(), 0..400), magic in any::<bool>()) {
            let dir = tempfile::tempdir().unwrap();
            let mut bytes = bytes;
            if magic {
                let mut with_magic = format::MAGIC.to_vec();
                with_magic.extend_from_slice(&bytes);
                bytes = with_magic;
            }
            fs::write(dir.path().join(VAULT_FILE), &bytes).unwrap();
            prop_assert!(unlock(dir.path(), &pin()).is_err());
            prop_assert_eq!(vault_bytes(dir.path()), bytes);
        }
    }
}

/// Issue 15: two processes with the vault open at once (the window and a terminal). Each
/// change re-reads the file under the lock, so neither loses the other's.
#[test]
fn two_open_vaults_in_one_folder_keep_each_others_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut window = new_vault(dir.path());
    window.add(account("laptop")).unwrap();
    let mut terminal = unlock(dir.path(), &pin()).unwrap();
    terminal.add(account("workstation")).unwrap();
    // The window has not looked yet, and adds a third: the terminal's stays.
    window.add(account("desktop")).unwrap();
    terminal.rename("laptop", "old laptop").unwrap();
    assert!(window.refresh().unwrap(), "the terminal saved since");
    assert!(!window.refresh().unwrap(), "nothing new the second time");
    let names: Vec<&str> = window.accounts().iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["alice", "old laptop", "workstation", "desktop"]);
    let again = unlock(dir.path(), &pin()).unwrap();
    assert_eq!(again.accounts(), window.accounts());
}

#[test]
fn an_index_given_before_another_process_reordered_the_vault_still_names_the_same_account() {
    let dir = tempfile::tempdir().unwrap();
    let mut window = new_vault(dir.path());
    window.add(account("laptop")).unwrap();
    window.add(account("workstation")).unwrap();
    let mut terminal = unlock(dir.path(), &pin()).unwrap();
    terminal.move_account(2, 0).unwrap();
    // The window still lists laptop second: moving its #1 to the top moves laptop, wherever
    // the terminal put it, not alice, who is second now.
    window.move_account(1, 0).unwrap();
    let names: Vec<&str> = window.accounts().iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["laptop", "workstation", "alice"]);
}

#[test]
fn a_vault_given_a_new_pin_elsewhere_is_not_written_over_with_the_old_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut window = new_vault(dir.path());
    window.add(account("laptop")).unwrap();
    let mut terminal = unlock(dir.path(), &pin()).unwrap();
    terminal.change_pin(&Pin::entered("271828")).unwrap();
    let before = vault_bytes(dir.path());
    assert!(matches!(
        window.add(account("workstation")),
        Err(VaultError::ChangedElsewhere)
    ));
    assert!(matches!(
        window.refresh(),
        Err(VaultError::ChangedElsewhere)
    ));
    assert_eq!(vault_bytes(dir.path()), before, "nothing was written");
    let reopened = unlock(dir.path(), &Pin::entered("271828")).unwrap();
    assert_eq!(reopened.accounts().len(), 2, "alice and laptop");
}

#[test]
fn an_hotp_code_shown_in_one_process_is_never_shown_again_in_another() {
    let dir = tempfile::tempdir().unwrap();
    let mut window = new_vault(dir.path());
    let hotp = parse_uri(&format!(
        "otpauth://hotp/HPC:counter?secret={SECRET_B32}&counter=0"
    ))
    .unwrap();
    window.add(hotp).unwrap();
    let mut terminal = unlock(dir.path(), &pin()).unwrap();
    let first = terminal.code(1, 0).unwrap();
    // The window still holds counter 0, but reads the terminal's 1 before using it.
    let second = window.code(1, 0).unwrap();
    assert_ne!(first.as_str(), second.as_str());
    assert_eq!(first.as_str(), "755224", "RFC 4226, counter 0");
    assert_eq!(second.as_str(), "287082", "RFC 4226, counter 1");
}

#[test]
fn a_vault_wiped_elsewhere_is_reported_as_wiped_to_the_process_that_still_has_it_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut window = new_vault(dir.path());
    window.add(account("laptop")).unwrap();
    for _ in 0..MAX_ATTEMPTS {
        let _ = unlock(dir.path(), &Pin::entered("000000"));
    }
    assert!(matches!(window.refresh(), Err(VaultError::Wiped(_))));
    assert!(matches!(
        window.add(account("workstation")),
        Err(VaultError::Wiped(_))
    ));
}
