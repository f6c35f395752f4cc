//! What can go wrong with a vault, told apart so the user knows what to do.

use std::path::PathBuf;

use thiserror::Error;

use super::PinError;
use crate::otp::OtpError;

/// Errors of the vault. "Wrong PIN" and "damaged file" are deliberately different variants:
/// one means try again, the other means restore a backup.
#[derive(Debug, Error)]
pub enum VaultError {
    /// There is no vault yet at this place.
    #[error("no keys are installed yet (no vault at {0}); add one with `pocketpass add`")]
    NotFound(PathBuf),
    /// The keys were wiped after too many wrong PINs.
    #[error("the keys were wiped after {0} wrong PINs in a row; install them again from the portal (or import a backup)")]
    Wiped(u32),
    /// The PIN is wrong; this many tries remain before the keys are wiped.
    #[error("wrong PIN; {remaining} {} left before the keys are wiped", if *remaining == 1 { "try" } else { "tries" })]
    WrongPin {
        /// Tries left before the wipe.
        remaining: u32,
    },
    /// The backup password is wrong (backups have no attempt limit: they are files the user holds).
    #[error("wrong backup password")]
    WrongPassword,
    /// The file is not a Pocket Pass vault or backup at all.
    #[error("{0} is not a Pocket Pass vault or backup file")]
    NotAVault(PathBuf),
    /// The file was damaged or tampered with: its integrity check fails.
    #[error(
        "{0} is damaged or was tampered with (integrity check failed); restore it from a backup"
    )]
    Corrupt(PathBuf),
    /// The file's header asks for a key-derivation cost Pocket Pass never writes: it was
    /// damaged or edited. Refused before any PIN is tried, so no attempt is counted.
    #[error("{path} asks for {iterations} PBKDF2 iterations, outside the {min}–{max} Pocket Pass uses, so it was damaged or edited; restore it from a backup. No PIN attempt was counted and the file was not changed.", min = super::format::MIN_ITERATIONS, max = super::format::MAX_ITERATIONS)]
    UnsafeKdf {
        /// The file.
        path: PathBuf,
        /// The iterations its header asks for.
        iterations: u32,
    },
    /// The file was written by a newer Pocket Pass; it is left untouched.
    #[error("{path} was written by a newer Pocket Pass (format version {version}); update Pocket Pass to open it. The file was not changed.")]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// Its format version.
        version: u16,
    },
    /// The file is a backup where a vault was expected, or the other way round.
    #[error("{0} is a {1}, not what was expected here")]
    WrongKind(PathBuf, &'static str),
    /// A new PIN breaks a rule.
    #[error(transparent)]
    Pin(#[from] PinError),
    /// The backup password is too short.
    #[error("a backup password needs at least {0} characters")]
    WeakPassword(usize),
    /// An account cannot be stored (invalid parameters).
    #[error(transparent)]
    Account(#[from] OtpError),
    /// An account with this name and issuer exists already.
    #[error("an account named \"{0}\" is already installed; rename or remove it first")]
    Duplicate(String),
    /// No account matches the name given.
    #[error("no account named \"{0}\"")]
    NoSuchAccount(String),
    /// More than one account matches the name given.
    #[error("\"{name}\" matches several accounts ({}); use the full name", candidates.join(", "))]
    Ambiguous {
        /// What the user typed.
        name: String,
        /// The accounts it matches.
        candidates: Vec<String>,
    },
    /// Reading or writing a file failed; nothing was changed.
    #[error("could not {action} {path}: {source}; nothing was changed")]
    Io {
        /// What we were doing ("write", "read", ...).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A change is in place, but the disk did not confirm it: flushing the folder failed after
    /// the new file replaced the old one. It is in effect now (the PIN changed, the account was
    /// added), but a power cut before the disk catches up could undo it.
    #[error("{path} was saved, but the disk did not confirm it ({source}): the change is in effect now, but a power cut could undo it; check the disk")]
    NotFlushed {
        /// The file that was replaced or removed.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Another Pocket Pass kept the vault's lock longer than the wait allows (each holds it
    /// only while it saves or checks a PIN, so this is rare).
    #[error("another Pocket Pass has been saving the vault for 10 seconds; try again in a moment")]
    Busy,
    /// Another process sealed the vault under a new PIN (or put another vault in its place)
    /// since this one was unlocked: the key held here no longer opens it, so nothing was
    /// saved over it.
    #[error("the vault was changed by another Pocket Pass (a new PIN?); unlock it again with its PIN. Nothing was changed.")]
    ChangedElsewhere,
    /// `create` found a vault already in place.
    #[error("a vault already exists at {0}")]
    AlreadyExists(PathBuf),
    /// A check of freshly written data failed; the old file is kept.
    #[error("the written {0} did not read back correctly; the previous file was kept")]
    VerifyFailed(&'static str),
}

impl VaultError {
    /// Wraps an I/O error with what we were doing and where.
    pub(crate) fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.to_owned(),
            source,
        }
    }
}
