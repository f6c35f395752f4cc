//! Why a file could not be imported or an export not written, told apart so the user knows
//! what to do next: type the password again, pick another file, or ask for a fresh export.

use std::path::PathBuf;

use thiserror::Error;

use super::Format;

/// Errors of the whole file. A single bad entry is never one of these: it becomes a
/// [`super::Entry::NotImportable`] row and the other entries are still read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransferError {
    /// The file is encrypted and no password was given. Ask for one and call
    /// [`super::read`] again.
    #[error("this {0} export is protected by a password; enter it to import the accounts")]
    NeedsPassword(Format),
    /// The password does not open the file. Retryable: ask again.
    ///
    /// Where the format keeps a check of its own (Aegis' key slots, 2FAS' reference) a damaged
    /// file is told apart and reported as [`TransferError::Damaged`]; the other formats have only
    /// the cipher's tag, which fails the same way for both, hence the second half of the message.
    #[error("the password for this {format} export is wrong{}", if *.can_be_damage { " (or, if you are sure of it, the file is damaged)" } else { "" })]
    WrongPassword {
        /// The file's format.
        format: Format,
        /// True when the format cannot tell a wrong password from a damaged file.
        can_be_damage: bool,
    },
    /// Not a file Pocket Pass knows how to read.
    #[error("this file is not an export Pocket Pass can read; it reads exports of: {}", .supported.join(", "))]
    UnknownFormat {
        /// The kinds of file that can be imported, as users know them.
        supported: Vec<&'static str>,
    },
    /// The file is of a known kind but its content is cut short, edited or corrupt.
    #[error("this {format} export is damaged and cannot be read ({reason}); export it again")]
    Damaged {
        /// The file's format.
        format: Format,
        /// What is wrong, in a few words.
        reason: String,
    },
    /// The file asks for a key derivation far costlier than any real export uses; running it
    /// could exhaust memory or hang the app, so it is refused before anything is derived.
    #[error("this {format} export asks for {asked}, more than Pocket Pass allows ({limit}); it was not opened")]
    KdfTooCostly {
        /// The file's format.
        format: Format,
        /// The parameters the file asks for.
        asked: String,
        /// The limit that refused them.
        limit: String,
    },
    /// A known format in a version or variant that Pocket Pass does not read.
    #[error("this {format} export cannot be imported: {reason}")]
    Unsupported {
        /// The file's format.
        format: Format,
        /// What is not supported and what to do instead.
        reason: String,
    },
    /// The file is larger than any authenticator export.
    #[error("this file is {size} bytes; exports larger than {limit} bytes are not read")]
    TooLarge {
        /// The file's size.
        size: usize,
        /// The limit, [`super::MAX_FILE_BYTES`].
        limit: usize,
    },
    /// The file holds more entries than any authenticator export.
    #[error("this {format} export holds {count} entries; at most {limit} are read from one file")]
    TooManyEntries {
        /// The file's format.
        format: Format,
        /// Entries found.
        count: usize,
        /// The limit, [`super::MAX_ENTRIES`].
        limit: usize,
    },
    /// A Pocket Pass backup: it is imported by the vault ([`crate::vault::Vault::import`]), not
    /// here, since its accounts are already ours.
    #[error("this is a Pocket Pass backup; import it as a backup")]
    PocketPassBackup,
    /// An export could not be written (the password breaks the rule, or the system gave no
    /// random numbers).
    #[error("the export could not be written: {0}")]
    Export(String),
    /// The file to import could not be read (missing, no permission): nothing was changed.
    #[error("cannot read {}: {detail}", .path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What the system said.
        detail: String,
    },
    /// Exports never replace a file.
    #[error("{} exists; exports never replace a file: choose another name", .0.display())]
    Exists(PathBuf),
    /// An export file (or its folder) could not be created or written; nothing was left.
    #[error("cannot {action} {}: {detail}; nothing was left there", .path.display())]
    Unwritable {
        /// What was being done: "create", "write", "create the folder".
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// What the system said.
        detail: String,
    },
}

impl TransferError {
    /// True when asking for the password again may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::NeedsPassword(_) | Self::WrongPassword { .. })
    }
}
