//! The SQLite database: users, tokens and the attempts on them ([`attempts`]).
//!
//! One connection behind a mutex, in WAL mode with `synchronous=NORMAL`: a committed transaction
//! survives the process being killed (it is in the WAL, which the OS holds), and only a power
//! loss could cost the last commits. Every function here is blocking and short; async code calls
//! them through [`Store::run`], which moves the work to tokio's blocking pool. The mutex is never
//! held across a password hash.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::error::StoreError;

pub mod attempts;

/// Newest schema version this build writes and reads.
pub const SCHEMA_VERSION: i64 = 2;

/// What each schema version adds to the one before, applied in order to a database at an older
/// version, in one transaction with the new `user_version` (a crash leaves the old version).
/// Version 1 is [`SCHEMA`], which every start applies (it only creates what is missing).
const MIGRATIONS: &[(i64, &str)] = &[(2, attempts::SCHEMA)];

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    full_name     TEXT NOT NULL,
    phone         TEXT NOT NULL,
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    name         TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'active', 'revoked', 'abandoned')),
    secret_enc   BLOB NOT NULL,
    algorithm    TEXT NOT NULL,
    digits       INTEGER NOT NULL,
    period       INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    activated_at INTEGER,
    expires_at   INTEGER,
    last_used_at INTEGER,
    revoked_at   INTEGER,
    last_step    INTEGER,
    failures     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS tokens_by_user ON tokens(user_id);
-- At most one activation in progress per user: a double-click cannot create two.
CREATE UNIQUE INDEX IF NOT EXISTS one_pending_per_user ON tokens(user_id) WHERE state = 'pending';
";

/// Shared handle to the database.
#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path`; `:memory:` gives a private in-memory one.
    ///
    /// A file that is not a SQLite database, or a damaged one, is reported as
    /// [`StoreError::Database`] naming the file. A new database file is created readable by
    /// its owner only (0600; SQLite gives its `-wal` and `-shm` files the same mode), since it
    /// holds password hashes.
    pub fn open(path: &str) -> Result<Self, StoreError> {
        let memory = path == ":memory:";
        let db_err = |e: rusqlite::Error| StoreError::Database {
            path: PathBuf::from(path),
            reason: e.to_string(),
        };
        if !memory {
            create_private(Path::new(path)).map_err(|e| StoreError::Database {
                path: PathBuf::from(path),
                reason: e.to_string(),
            })?;
        }
        let conn = if memory {
            Connection::open_in_memory()
        } else {
            Connection::open(path)
        }
        .map_err(db_err)?;
        let init = || -> Result<i64, rusqlite::Error> {
            conn.busy_timeout(std::time::Duration::from_secs(5))?;
            if !memory {
                conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))?;
            }
            conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")?;
            let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
            if check != "ok" {
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
                    Some(format!("integrity check failed: {check}")),
                ));
            }
            conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        };
        let version = init().map_err(db_err)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        conn.execute_batch(SCHEMA).map_err(db_err)?;
        migrate(&conn, version).map_err(db_err)?;
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
            path: (!memory).then(|| PathBuf::from(path)),
        })
    }

    /// The database file, or `None` for an in-memory database.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Runs `f` with the connection on this thread (for startup and tests).
    pub fn run_blocking<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        // A panic while holding the lock leaves SQLite itself consistent (an open transaction
        // rolls back when its guard drops), so a poisoned mutex is safe to keep using.
        let mut guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// Runs `f` with the connection on tokio's blocking pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.run_blocking(f))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }
}

/// Brings a database at schema `version` to [`SCHEMA_VERSION`].
fn migrate(conn: &Connection, version: i64) -> Result<(), rusqlite::Error> {
    let mut batch = String::from("BEGIN IMMEDIATE;");
    for (to, sql) in MIGRATIONS.iter().filter(|(to, _)| *to > version) {
        batch.push_str(sql);
        batch.push_str(&format!("PRAGMA user_version = {to};"));
    }
    batch.push_str(&format!("PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"));
    conn.execute_batch(&batch)
}

/// Creates the empty file `path` with mode 0600 unless it exists (SQLite takes an empty file as
/// a new database). An existing file readable by others is left alone, with a warning.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    tracing::warn!(
                        "the database {} can be read by other users (mode {mode:o}); run chmod 600 on it and its -wal and -shm files",
                        path.display()
                    );
                }
            }
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// A portal user as stored.
#[derive(Clone)]
pub struct User {
    /// Row id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Full name shown on the GENERAL tab.
    pub full_name: String,
    /// Mobile number that receives SMS codes.
    pub phone: String,
    /// E-mail address.
    pub email: String,
    /// argon2id PHC string.
    pub password_hash: String,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

const USER_COLS: &str = "id, username, full_name, phone, email, password_hash";

fn user_from_row(r: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        username: r.get(1)?,
        full_name: r.get(2)?,
        phone: r.get(3)?,
        email: r.get(4)?,
        password_hash: r.get(5)?,
    })
}

/// Looks a user up by username.
pub fn user_by_name(conn: &Connection, username: &str) -> Result<Option<User>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {USER_COLS} FROM users WHERE username = ?1"),
            [username],
            user_from_row,
        )
        .optional()?)
}

/// Looks a user up by id.
pub fn user_by_id(conn: &Connection, id: i64) -> Result<Option<User>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {USER_COLS} FROM users WHERE id = ?1"),
            [id],
            user_from_row,
        )
        .optional()?)
}

/// Inserts a user unless the username exists; returns the new id, or `None` when it existed.
pub fn insert_user(conn: &Connection, u: &User, now: i64) -> Result<Option<i64>, StoreError> {
    let n = conn.execute(
        "INSERT INTO users (username, full_name, phone, email, password_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(username) DO NOTHING",
        params![
            u.username,
            u.full_name,
            u.phone,
            u.email,
            u.password_hash,
            now
        ],
    )?;
    Ok((n == 1).then(|| conn.last_insert_rowid()))
}

/// Replaces a user's phone number.
pub fn set_phone(conn: &Connection, user_id: i64, phone: &str) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE users SET phone = ?1 WHERE id = ?2",
        params![phone, user_id],
    )?;
    Ok(())
}

/// Replaces a user's password hash.
pub fn set_password_hash(conn: &Connection, user_id: i64, hash: &str) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE users SET password_hash = ?1 WHERE id = ?2",
        params![hash, user_id],
    )?;
    Ok(())
}

/// A token row as stored.
#[derive(Clone)]
pub struct TokenRow {
    /// Row id (the token's public id).
    pub id: i64,
    /// Owner.
    pub user_id: i64,
    /// Name the user gave it.
    pub name: String,
    /// Stored state: `pending`, `active`, `revoked` or `abandoned`.
    pub state: String,
    /// nonce ‖ AES-256-GCM ciphertext of the secret.
    pub secret_enc: Vec<u8>,
    /// HMAC algorithm name.
    pub algorithm: String,
    /// Digits per code.
    pub digits: u32,
    /// Seconds per step.
    pub period: u32,
    /// Unix seconds of creation.
    pub created_at: i64,
    /// Unix seconds of activation.
    pub activated_at: Option<i64>,
    /// Unix seconds from which the token is refused.
    pub expires_at: Option<i64>,
    /// Unix seconds of the last accepted code.
    pub last_used_at: Option<i64>,
    /// Unix seconds of revocation.
    pub revoked_at: Option<i64>,
    /// Highest time step accepted so far; codes of this step or earlier are refused.
    pub last_step: Option<i64>,
    /// Consecutive wrong codes.
    pub failures: u32,
}

impl std::fmt::Debug for TokenRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRow")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("name", &self.name)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

const TOKEN_COLS: &str =
    "id, user_id, name, state, secret_enc, algorithm, digits, period, created_at, \
     activated_at, expires_at, last_used_at, revoked_at, last_step, failures";

fn token_from_row(r: &Row<'_>) -> rusqlite::Result<TokenRow> {
    Ok(TokenRow {
        id: r.get(0)?,
        user_id: r.get(1)?,
        name: r.get(2)?,
        state: r.get(3)?,
        secret_enc: r.get(4)?,
        algorithm: r.get(5)?,
        digits: r.get(6)?,
        period: r.get(7)?,
        created_at: r.get(8)?,
        activated_at: r.get(9)?,
        expires_at: r.get(10)?,
        last_used_at: r.get(11)?,
        revoked_at: r.get(12)?,
        last_step: r.get(13)?,
        failures: r.get(14)?,
    })
}

/// A user's tokens, oldest first.
pub fn tokens_of(conn: &Connection, user_id: i64) -> Result<Vec<TokenRow>, StoreError> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {TOKEN_COLS} FROM tokens WHERE user_id = ?1 ORDER BY id"
    ))?;
    let rows = st.query_map([user_id], token_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One token, only if `user_id` owns it.
pub fn token_of(conn: &Connection, user_id: i64, id: i64) -> Result<Option<TokenRow>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {TOKEN_COLS} FROM tokens WHERE id = ?1 AND user_id = ?2"),
            [id, user_id],
            token_from_row,
        )
        .optional()?)
}

/// How many tokens could still be used (pending or active): their secrets need the server key.
pub fn usable_token_count(conn: &Connection) -> Result<u64, StoreError> {
    let n: i64 = conn.query_row(
        "SELECT COUNT(*) FROM tokens WHERE state IN ('pending', 'active')",
        [],
        |r| r.get(0),
    )?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Inserts a pending token and returns its id.
pub fn insert_pending_token(conn: &Connection, t: &TokenRow) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO tokens (user_id, name, state, secret_enc, algorithm, digits, period, created_at)
         VALUES (?1, ?2, 'pending', ?3, ?4, ?5, ?6, ?7)",
        params![t.user_id, t.name, t.secret_enc, t.algorithm, t.digits, t.period, t.created_at],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Marks pending tokens created before `cutoff` as abandoned (their activation window passed).
pub fn abandon_stale_pending(
    conn: &Connection,
    user_id: i64,
    cutoff: i64,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE tokens SET state = 'abandoned' WHERE user_id = ?1 AND state = 'pending' AND created_at <= ?2",
        params![user_id, cutoff],
    )?;
    Ok(())
}

/// Records an accepted code: remembers its step, clears the failure count.
pub fn record_success(conn: &Connection, id: i64, step: i64, now: i64) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE tokens SET last_step = ?1, failures = 0, last_used_at = ?2 WHERE id = ?3",
        params![step, now, id],
    )?;
    Ok(())
}

/// Counts a wrong code and returns the new count of consecutive failures.
pub fn record_failure(conn: &Connection, id: i64) -> Result<u32, StoreError> {
    Ok(conn.query_row(
        "UPDATE tokens SET failures = failures + 1 WHERE id = ?1 RETURNING failures",
        [id],
        |r| r.get(0),
    )?)
}

/// Turns a pending token active.
pub fn activate(conn: &Connection, id: i64, now: i64, expires_at: i64) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE tokens SET state = 'active', activated_at = ?1, expires_at = ?2 WHERE id = ?3 AND state = 'pending'",
        params![now, expires_at, id],
    )?;
    Ok(())
}

/// Revokes a token.
pub fn revoke(conn: &Connection, id: i64, now: i64) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE tokens SET state = 'revoked', revoked_at = ?1 WHERE id = ?2 AND state IN ('pending', 'active')",
        params![now, id],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("portal.sqlite3");
        std::fs::write(&p, vec![0x42u8; 8192]).unwrap();
        let err = Store::open(p.to_str().unwrap()).unwrap_err();
        assert!(matches!(err, StoreError::Database { .. }), "{err}");
        assert!(err.to_string().contains("portal.sqlite3"), "{err}");
    }

    #[test]
    fn a_version_1_database_gains_the_attempts_table_and_keeps_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("v1.sqlite3");
        {
            // What a build of schema version 1 left behind.
            let c = Connection::open(&p).unwrap();
            c.execute_batch(SCHEMA).unwrap();
            c.execute_batch("PRAGMA user_version = 1; INSERT INTO users (username, full_name, phone, email, password_hash, created_at) VALUES ('a', 'A', '1', 'a@x', 'h', 1);").unwrap();
        }
        let s = Store::open(p.to_str().unwrap()).unwrap();
        let (version, users, attempts) = s
            .run_blocking(|c| {
                let v: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0))?;
                let u: i64 = c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?;
                let a: i64 = c.query_row("SELECT COUNT(*) FROM attempts", [], |r| r.get(0))?;
                Ok((v, u, a))
            })
            .unwrap();
        assert_eq!((version, users, attempts), (SCHEMA_VERSION, 1, 0));
    }

    #[test]
    fn reopening_keeps_rows_and_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.sqlite3");
        let path = p.to_str().unwrap();
        let u = User {
            id: 0,
            username: "a".into(),
            full_name: "A".into(),
            phone: "1".into(),
            email: "a@x".into(),
            password_hash: "h".into(),
        };
        let s = Store::open(path).unwrap();
        assert!(s.run_blocking(|c| insert_user(c, &u, 1)).unwrap().is_some());
        assert!(s.run_blocking(|c| insert_user(c, &u, 1)).unwrap().is_none());
        drop(s);
        let s = Store::open(path).unwrap();
        assert_eq!(
            s.run_blocking(|c| user_by_name(c, "a"))
                .unwrap()
                .unwrap()
                .full_name,
            "A"
        );
        s.run_blocking(|c| Ok(c.execute_batch("PRAGMA user_version = 99")?))
            .unwrap();
        drop(s);
        assert!(matches!(
            Store::open(path),
            Err(StoreError::TooNew { found: 99, .. })
        ));
    }
}
