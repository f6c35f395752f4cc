//! Encrypted backups and merging accounts in: export, read, import, and the duplicate rules
//! an import (or a Google Authenticator export, or another app's file) follows.

use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use super::format::{self, FileKind, KdfParams};
use super::{
    decode_contents, encode_contents, open_file, same_label, store, KdfCost, Password, Vault,
    VaultError,
};
use crate::otp::Account;

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportReport {
    /// Accounts added.
    pub added: usize,
    /// Accounts already present with the same key, skipped.
    pub duplicates: usize,
    /// Accounts added under a new name because the name was taken by a different key.
    pub renamed: Vec<String>,
}

impl Vault {
    /// Writes an encrypted backup of every account to `file` under `password`, reads it back
    /// and checks it before returning the number of accounts saved.
    ///
    /// An existing file is replaced only if it is a Pocket Pass backup, so a typo cannot
    /// overwrite an unrelated document.
    pub fn export(&self, file: &Path, password: &Password) -> Result<usize, VaultError> {
        password.check()?;
        if let Ok(existing) = fs::read(file) {
            match format::parse(&existing, file) {
                Ok(sealed) if sealed.kind == FileKind::Backup => {}
                Err(VaultError::Corrupt(_)) | Err(VaultError::UnsupportedVersion { .. })
                    if existing.starts_with(format::MAGIC) => {}
                _ => {
                    return Err(VaultError::io(
                        "replace",
                        file,
                        std::io::Error::new(
                            ErrorKind::AlreadyExists,
                            "the file exists and is not a Pocket Pass backup; choose another name",
                        ),
                    ))
                }
            }
        }
        // The vault's own cost: the real figure, lowered only in vaults made by tests.
        let params = KdfParams::fresh(self.params.iterations)?;
        let key = format::derive_key(password.as_bytes(), &params);
        let plaintext = encode_contents(&self.accounts)?;
        let bytes = format::seal(FileKind::Backup, &params, &key, &plaintext)?;
        let unflushed = store::settle(store::write_atomically(file, &bytes))?;
        let written = fs::read(file).map_err(|e| VaultError::io("read back", file, e))?;
        let back = open_file(&written, file, FileKind::Backup, &key)?;
        if back.accounts != self.accounts {
            return Err(VaultError::VerifyFailed("backup"));
        }
        // A backup the disk has not confirmed is not yet one to rely on: say so.
        match unflushed {
            Some(e) => Err(e),
            None => Ok(back.accounts.len()),
        }
    }

    /// Reads the accounts of a backup file without changing anything, accepting the
    /// key-derivation costs `cost` accepts ([`KdfCost::STANDARD`] in the app).
    pub fn read_backup(
        file: &Path,
        password: &Password,
        cost: KdfCost,
    ) -> Result<Vec<Account>, VaultError> {
        let bytes = fs::read(file).map_err(|e| VaultError::io("read", file, e))?;
        let sealed = format::parse(&bytes, file)?;
        sealed.expect_kind(FileKind::Backup, file)?;
        cost.check(&sealed.params, file)?;
        let key = format::derive_key(password.as_bytes(), &sealed.params);
        let plaintext = sealed.open(&key).ok_or(VaultError::WrongPassword)?;
        Ok(decode_contents(&plaintext, file)?.accounts)
    }

    /// Adds the accounts of a backup: the same key under the same name is skipped, a taken
    /// name gets a number. A damaged file or wrong password is an error, never "0 imported".
    pub fn import(&mut self, file: &Path, password: &Password) -> Result<ImportReport, VaultError> {
        let incoming = Self::read_backup(file, password, self.cost)?;
        self.merge(incoming)
    }

    /// Adds several accounts at once (an import, or a Google Authenticator export), with the
    /// duplicate rules of [`Vault::import`], in one save.
    pub fn merge(&mut self, incoming: Vec<Account>) -> Result<ImportReport, VaultError> {
        let _lock = self.begin()?;
        let mut report = ImportReport::default();
        let mut accounts = self.accounts.clone();
        for mut account in incoming {
            account.validate()?;
            if accounts
                .iter()
                .any(|a| same_label(a, &account) && a.secret == account.secret)
            {
                report.duplicates += 1;
                continue;
            }
            if accounts.iter().any(|a| same_label(a, &account)) {
                let base = account.name.clone();
                let mut n = 2;
                while accounts.iter().any(|a| same_label(a, &account)) {
                    account.name = format!("{base} ({n})");
                    n += 1;
                }
                report.renamed.push(account.display_name());
            }
            accounts.push(account);
            report.added += 1;
        }
        if report.added > 0 {
            self.save_accounts(accounts)?;
        }
        Ok(report)
    }
}
