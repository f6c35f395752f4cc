//! Arbitrary bytes as a vault file and as a backup file.
//!
//! The real files end in a SHA-256 of everything before it, and the real cost accepts only
//! 600,000 to 2,000,000 PBKDF2 iterations, so raw bytes stop at the checksum. The first input
//! byte therefore picks how far in the input goes:
//!
//! * 0: the rest is the whole file, as found on disk, read by `Vault::unlock_with_cost` and
//!   `Vault::read_backup` (with `KdfCost::insecure_for_tests(1)`) from a temporary folder.
//! * 1: the rest is the file without its checksum; the harness appends the right one, so the
//!   header decoder `vault::format::parse` and the cost check see every field the fuzzer chose.
//!   Files asking for more than a few iterations are only parsed and checked, not opened, so one
//!   run costs microseconds instead of a second of PBKDF2.
//! * otherwise: the rest is the decrypted payload (the JSON the vault holds). The harness seals
//!   it the way Pocket Pass does, with one iteration and a known PIN, and opens it as a vault
//!   (then shows every account's code, as `pocketpass code` does) and as a backup.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use pocketpass::vault::format::{self, FileKind, KdfParams};
use pocketpass::vault::{KdfCost, Password, Pin, Vault, VaultError, VAULT_FILE};

const PIN: &str = "482916";
const PASSWORD: &str = "correct horse battery staple";
/// The iterations sealed files get, and the most a fixed-up file may ask for to be opened.
const CHEAP: u32 = 1;
const MAX_OPENED_ITERATIONS: u32 = 64;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode {
        0 => open_both(rest),
        1 => {
            let mut file = rest.to_vec();
            let sum = sha256(&file);
            file.extend_from_slice(&sum);
            match format::parse(&file, Path::new("fuzz")) {
                Ok(sealed) => {
                    let cost = KdfCost::insecure_for_tests(CHEAP);
                    let fits = cost.check(&sealed.params, Path::new("fuzz")).is_ok();
                    assert_eq!(
                        fits,
                        (CHEAP..=format::MAX_ITERATIONS).contains(&sealed.params.iterations)
                    );
                    if sealed.params.iterations <= MAX_OPENED_ITERATIONS {
                        open_both(&file);
                    }
                }
                Err(e) => {
                    let _ = e.to_string();
                }
            }
        }
        _ => {
            let params = KdfParams {
                iterations: CHEAP,
                salt: [7; 16],
            };
            let vault = format::seal(
                FileKind::Vault,
                &params,
                &format::derive_key(PIN.as_bytes(), &params),
                rest,
            )
            .expect("sealing");
            let backup = format::seal(
                FileKind::Backup,
                &params,
                &format::derive_key(PASSWORD.as_bytes(), &params),
                rest,
            )
            .expect("sealing");
            open_vault(&vault);
            open_backup(&backup);
        }
    }
});

fn open_both(file: &[u8]) {
    open_vault(file);
    open_backup(file);
}

/// Writes `file` as the vault of a fresh folder and unlocks it, as `pocketpass code` does.
fn open_vault(file: &[u8]) {
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::write(dir.path().join(VAULT_FILE), file).expect("write");
    match Vault::unlock_with_cost(
        dir.path(),
        &Pin::entered(PIN),
        KdfCost::insecure_for_tests(CHEAP),
    ) {
        Ok(mut vault) => {
            for i in 0..vault.accounts().len() {
                let _ = vault.accounts()[i].display_name();
                let _ = vault.code(i, 1_800_000_000);
            }
        }
        Err(e) => expect_clear(e),
    }
}

/// Writes `file` as a backup and reads it, as `pocketpass import --dry-run` does.
fn open_backup(file: &[u8]) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("backup.pocketpass");
    std::fs::write(&path, file).expect("write");
    match Vault::read_backup(
        &path,
        &Password::entered(PASSWORD),
        KdfCost::insecure_for_tests(CHEAP),
    ) {
        Ok(accounts) => {
            for a in &accounts {
                let _ = a.display_name();
            }
        }
        Err(e) => expect_clear(e),
    }
}

/// Every refusal has a message; a file never counts as a wiped vault from one try.
fn expect_clear(e: VaultError) {
    assert!(
        !matches!(e, VaultError::Wiped(_)),
        "one try wiped the vault"
    );
    assert!(!e.to_string().is_empty());
}

/// SHA-256, the unkeyed checksum every vault and backup file ends with.
fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}
