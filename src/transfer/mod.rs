//! Moving accounts between Pocket Pass and other authenticators: reading their export files
//! and writing exports they can read (issue 14).
//!
//! Reading is one call: [`read`] detects the file's kind, decrypts it when it is encrypted,
//! and returns an [`ImportFile`] whose [`Entry`] list holds every account the file carries,
//! each either ready to import or marked not importable with the reason in the user's words.
//! One bad entry never aborts the rest. [`preview`] then compares the entries with the
//! accounts already installed, so the user can choose what to take; the chosen accounts go to
//! [`crate::vault::Vault::merge`] in one save.
//!
//! Each format has its own file, written from the format's published description (see
//! `docs/transfer-formats.md`, which also states the limits on file size, entry count and
//! key-derivation cost). Decrypted content lives only in zeroized memory; nothing is written
//! to disk on the way.
//!
//! Writing: [`export`] produces an Aegis vault, Google Authenticator transfer QR codes, or plain
//! `otpauth://` lines.

mod aegis;
mod andotp;
mod bitwarden;
pub mod crypto;
mod detect;
mod ente;
mod error;
pub mod export;
mod files;
mod freeotp;
mod json;
mod otpauth_list;
mod preview;
mod proton;
pub mod secretstream;
mod stratum;
mod twofas;

use std::fmt;

pub use error::TransferError;
pub use files::{create_private_dir, read_file, write_new};
pub use preview::{chosen, chosen_entries, preview, preview_entries, PreviewRow, Status};

use crate::otp::Account;
use crate::vault::Password;

/// The largest file read: 16 MiB. Real exports of a few hundred accounts are well under 1 MiB
/// (icons included); the bound keeps a wrong or hostile file from using unbounded memory.
pub const MAX_FILE_BYTES: usize = 16 << 20;
/// The most entries read from one file.
pub const MAX_ENTRIES: usize = 10_000;

/// The kinds of file [`read`] understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Plain `otpauth://` URIs, one a line (Ente's and Bitwarden's plain exports among them,
    /// and FreeOTP+'s URI export).
    OtpauthUris,
    /// Google Authenticator's `otpauth-migration://` transfer links, one a line.
    GoogleAuthenticator,
    /// An Aegis vault, plain or encrypted.
    Aegis,
    /// A 2FAS backup (`.2fas`), plain or encrypted.
    TwoFas,
    /// An andOTP backup: plain JSON, or encrypted in the new or the old format.
    AndOtp,
    /// An Authenticator Pro (Stratum) backup: plain JSON, encrypted, or legacy encrypted.
    AuthenticatorPro,
    /// A FreeOTP+ JSON export.
    FreeOtpPlus,
    /// A Bitwarden JSON or CSV export.
    Bitwarden,
    /// A Proton Authenticator export, plain or encrypted.
    ProtonAuthenticator,
    /// An Ente Auth encrypted export (its plain export is [`Format::OtpauthUris`]).
    EnteAuth,
}

impl Format {
    /// Every format, in the order they are offered to users.
    pub const ALL: [Format; 10] = [
        Format::OtpauthUris,
        Format::GoogleAuthenticator,
        Format::Aegis,
        Format::TwoFas,
        Format::AndOtp,
        Format::AuthenticatorPro,
        Format::FreeOtpPlus,
        Format::Bitwarden,
        Format::ProtonAuthenticator,
        Format::EnteAuth,
    ];

    /// The name users know the file by.
    pub fn name(self) -> &'static str {
        match self {
            Self::OtpauthUris => "otpauth:// links",
            Self::GoogleAuthenticator => "Google Authenticator",
            Self::Aegis => "Aegis",
            Self::TwoFas => "2FAS",
            Self::AndOtp => "andOTP",
            Self::AuthenticatorPro => "Authenticator Pro",
            Self::FreeOtpPlus => "FreeOTP+",
            Self::Bitwarden => "Bitwarden",
            Self::ProtonAuthenticator => "Proton Authenticator",
            Self::EnteAuth => "Ente Auth",
        }
    }

    /// The names of every supported kind of file, for "this file is not ..." messages.
    pub fn supported() -> Vec<&'static str> {
        Self::ALL.iter().map(|f| f.name()).collect()
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What one file held, read and decrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportFile {
    /// The kind of file.
    pub format: Format,
    /// The variant, as users might need it named: "encrypted", "schema 4", "old encrypted
    /// format", "CSV", ...
    pub variant: String,
    /// Whether the file was encrypted.
    pub encrypted: bool,
    /// Every entry, in the file's order.
    pub entries: Vec<Entry>,
    /// Things worth telling about the file as a whole (e.g. "part 2 of 3 of the Google
    /// Authenticator export is missing"), in the user's words.
    pub notes: Vec<String>,
}

impl ImportFile {
    /// The accounts that can be imported, in the file's order.
    pub fn accounts(&self) -> impl Iterator<Item = &Account> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Account(a) => Some(a),
            Entry::NotImportable { .. } => None,
        })
    }
}

/// One entry of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// An account Pocket Pass can hold, validated.
    Account(Account),
    /// An entry Pocket Pass cannot hold, with why.
    NotImportable {
        /// The entry as the user knows it ("GitHub: alice"), or its position ("entry 3").
        label: String,
        /// Why it cannot be imported, in the user's words ("its type mOTP is not supported").
        reason: String,
    },
}

impl Entry {
    /// The entry's label as shown in the preview.
    pub fn label(&self) -> String {
        match self {
            Self::Account(a) => a.display_name(),
            Self::NotImportable { label, .. } => label.clone(),
        }
    }
}

/// Reads an export file of any supported kind.
///
/// `password` opens encrypted files; without one an encrypted file gives
/// [`TransferError::NeedsPassword`], and a wrong one [`TransferError::WrongPassword`], both
/// retryable with another password. The key derivation can take seconds (that is its purpose):
/// call this off the UI thread.
pub fn read(bytes: &[u8], password: Option<&Password>) -> Result<ImportFile, TransferError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(TransferError::TooLarge {
            size: bytes.len(),
            limit: MAX_FILE_BYTES,
        });
    }
    let password = password.map(Password::as_bytes);
    match detect::detect(bytes)? {
        detect::Detected::Lines(text) => otpauth_list::read(text),
        detect::Detected::Aegis => aegis::read(bytes, password),
        detect::Detected::TwoFas => twofas::read(bytes, password),
        detect::Detected::AndOtpPlain => andotp::read_plain(bytes),
        detect::Detected::AndOtpEncrypted => andotp::read_encrypted(bytes, password),
        detect::Detected::AuthenticatorProPlain => stratum::read_plain(bytes),
        detect::Detected::AuthenticatorProEncrypted => stratum::read_encrypted(bytes, password),
        detect::Detected::AuthenticatorProLegacy => stratum::read_legacy(bytes, password),
        detect::Detected::FreeOtpPlus => freeotp::read(bytes),
        detect::Detected::BitwardenJson => bitwarden::read_json(bytes),
        detect::Detected::BitwardenCsv(text) => bitwarden::read_csv(text),
        detect::Detected::ProtonPlain => proton::read_plain(bytes),
        detect::Detected::ProtonEncrypted => proton::read_encrypted(bytes, password),
        detect::Detected::EnteEncrypted => ente::read(bytes, password),
    }
}

/// Builds the [`ImportFile`] of a format from its entries, enforcing [`MAX_ENTRIES`].
pub(crate) fn file(
    format: Format,
    variant: impl Into<String>,
    encrypted: bool,
    entries: Vec<Entry>,
) -> Result<ImportFile, TransferError> {
    check_count(format, entries.len())?;
    Ok(ImportFile {
        format,
        variant: variant.into(),
        encrypted,
        entries,
        notes: Vec::new(),
    })
}

/// Refuses more than [`MAX_ENTRIES`] entries, before any is parsed.
pub(crate) fn check_count(format: Format, count: usize) -> Result<(), TransferError> {
    if count > MAX_ENTRIES {
        return Err(TransferError::TooManyEntries {
            format,
            count,
            limit: MAX_ENTRIES,
        });
    }
    Ok(())
}

/// The `Damaged` error of `format`.
pub(crate) fn damaged(format: Format, reason: impl Into<String>) -> TransferError {
    TransferError::Damaged {
        format,
        reason: reason.into(),
    }
}

/// The password bytes, or `NeedsPassword`.
pub(crate) fn need(format: Format, password: Option<&[u8]>) -> Result<&[u8], TransferError> {
    password.ok_or(TransferError::NeedsPassword(format))
}
