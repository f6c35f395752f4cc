//! Errors of the storage and cryptography layers.
//!
//! These are failures of the portal itself (a damaged database, an unreadable key file). What a
//! user did wrong (wrong password, wrong code) is not an error but a [`crate::service::Refusal`].

use std::path::PathBuf;

/// Something the portal could not do with its own storage or keys.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file could not be opened or is not a portal database.
    #[error("cannot use the database {path}: {reason}. Move the file away to start with a fresh database, or pick another with --db")]
    Database {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        reason: String,
    },
    /// The database was written by a newer portal.
    #[error("the database has schema version {found}, newer than this portal understands ({supported}); use a newer pocketpass-portal")]
    TooNew {
        /// Version in the file.
        found: i64,
        /// Newest version this build knows.
        supported: i64,
    },
    /// A query failed at run time.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The server key file is unreadable or malformed.
    #[error("cannot use the server key file {path}: {reason}. It must hold exactly 32 bytes; without the right key, stored token secrets cannot be read")]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The key file is missing although the database holds tokens encrypted under it.
    #[error("the server key file {path} is missing, but the database {db} holds {tokens} token(s) whose secrets are encrypted under it; restore {path} from your backup (a new key cannot read them), or move the database away too to start afresh")]
    KeyMissing {
        /// The key file.
        path: PathBuf,
        /// The database beside it.
        db: PathBuf,
        /// Pending and active tokens in the database.
        tokens: u64,
    },
    /// The key file can be read (or written) by users other than its owner.
    #[error("the server key file {path} is open to other users (mode {mode:o}); run chmod 600 {path} (and treat the key as disclosed if others could log in here)")]
    KeyExposed {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A token secret failed to decrypt: the key file does not belong to this database, or the row was altered.
    #[error("a token secret could not be decrypted: the server key does not match this database or the row was altered")]
    Crypto,
    /// The operating system's random generator failed.
    #[error("the system random generator failed: {0}")]
    Random(String),
    /// Password hashing failed or a stored hash is malformed.
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// A users file could not be read or parsed.
    #[error("cannot load users from {path}: {reason}")]
    UsersFile {
        /// The users file.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
    /// A background task died (a panic inside it, or the runtime shutting down).
    #[error("a background task failed: {0}")]
    Task(String),
}
