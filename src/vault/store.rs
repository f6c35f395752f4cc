//! Durable file writes and the small files beside the vault.
//!
//! Every write goes to a temporary file in the same directory, is flushed to disk, renamed over
//! the target, and the directory is flushed too. A crash or `kill -9` at any instant leaves
//! either the old file or the new one, never a mix; an I/O error (full disk) leaves the old file
//! byte for byte as it was.
//!
//! One failure comes after the target has changed: flushing the directory once the rename is
//! done. The new file is then in place (every later read sees it) but the disk has not confirmed
//! the rename, so a power cut could still bring the old one back. That is reported as
//! [`VaultError::NotFlushed`], never as "nothing was changed", so callers keep their state in
//! step with the file.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use super::{format::random, VaultError};

/// Prefix of temporary files; a leftover one (from a crash) is removed at the next write.
const TEMP_PREFIX: &str = ".pocketpass-tmp-";

/// Creates the data directory, readable by the user alone.
pub fn ensure_dir(dir: &Path) -> Result<(), VaultError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| VaultError::io("create the folder", dir, e))
}

/// Writes `bytes` to `path` atomically and durably (see the module documentation).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), VaultError> {
    let dir = parent(path);
    ensure_dir(dir)?;
    let mut suffix = [0u8; 8];
    random(&mut suffix)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let temp = dir.join(format!(
        "{TEMP_PREFIX}{name}-{}",
        u64::from_le_bytes(suffix)
    ));
    let result = write_new(&temp, bytes)
        .map_err(|e| VaultError::io("write", path, e))
        .and_then(|()| fs::rename(&temp, path).map_err(|e| VaultError::io("replace", path, e)));
    if result.is_err() {
        // The target was not touched; only our temporary file needs to go.
        let _ = fs::remove_file(&temp);
        return result;
    }
    // From here on the new file is in place: a failure changes nothing back.
    sync_dir(dir).map_err(|source| VaultError::NotFlushed {
        path: path.to_owned(),
        source,
    })
}

fn write_new(temp: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(temp)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Flushes a directory's entries (the rename) to disk.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(test)]
    if tests::FAIL_DIR_SYNC.with(|f| f.get()) {
        return Err(std::io::Error::other(
            "injected folder flush failure (test)",
        ));
    }
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// The directory a file lives in (`.` for a bare file name).
pub fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Removes temporary files a crash left in `dir`. They hold only sealed data, but a wipe must
/// not leave any copy of the vault behind.
pub fn remove_leftovers(dir: &Path) {
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

/// Reads a small decimal counter file; a missing file is 0.
///
/// An unreadable number (a damaged file) also reads as 0: the counter guards against guessing
/// on the device, and whoever can edit this file can copy the vault and guess offline anyway,
/// while wiping a user's keys over a damaged counter would lose them for nothing.
pub fn read_counter(path: &Path) -> Result<u32, VaultError> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(text.trim().parse().unwrap_or(0)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(0),
        Err(e) => Err(VaultError::io("read", path, e)),
    }
}

/// Writes a small decimal counter file durably.
pub fn write_counter(path: &Path, value: u32) -> Result<(), VaultError> {
    write_atomically(path, format!("{value}\n").as_bytes())
}

/// Removes a file if it exists and flushes the directory. Like [`write_atomically`], a failed
/// flush after the removal is [`VaultError::NotFlushed`]: the file is gone.
pub fn remove(path: &Path) -> Result<(), VaultError> {
    match fs::remove_file(path) {
        Ok(()) => sync_dir(parent(path)).map_err(|source| VaultError::NotFlushed {
            path: path.to_owned(),
            source,
        }),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(VaultError::io("remove", path, e)),
    }
}

/// An exclusive lock on the vault, held while a process reads, counts attempts and saves, so
/// two processes can neither lose each other's changes nor guess PINs in parallel.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

impl DirLock {
    /// Takes the lock, waiting up to ten seconds for another Pocket Pass to finish.
    pub fn acquire(path: PathBuf) -> Result<Self, VaultError> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| VaultError::io("open", &path, e))?;
        for _ in 0..200 {
            match file.try_lock() {
                Ok(()) => return Ok(Self { _file: file }),
                Err(fs::TryLockError::WouldBlock) => {
                    std::thread::sleep(std::time::Duration::from_millis(50))
                }
                Err(fs::TryLockError::Error(e)) => return Err(VaultError::io("lock", &path, e)),
            }
        }
        Err(VaultError::Busy)
    }
}

/// Turns a [`VaultError::NotFlushed`] into a warning: the change it reports is in place, so the
/// caller goes on as after a success and tells the user. Every other error stays an error.
pub fn settle(result: Result<(), VaultError>) -> Result<Option<VaultError>, VaultError> {
    match result {
        Ok(()) => Ok(None),
        Err(e @ VaultError::NotFlushed { .. }) => {
            tracing::warn!("{e}");
            Ok(Some(e))
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::Cell;

    thread_local! {
        /// Makes every folder flush on this thread fail, as a failing disk would after a rename.
        pub(crate) static FAIL_DIR_SYNC: Cell<bool> = const { Cell::new(false) };
    }
}
