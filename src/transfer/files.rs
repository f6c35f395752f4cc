//! Reading an export file in and writing one out, with the rules every adapter (terminal or
//! window) keeps: a file larger than any export is refused before it is read, and an export
//! is a new file readable by its owner only, never written over an existing one, and never
//! left half-written.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;

use zeroize::Zeroizing;

use super::{TransferError, MAX_FILE_BYTES};

/// Reads a file to import, refusing one larger than any export before reading it. The bytes
/// may hold keys: they are wiped when dropped.
pub fn read_file(file: &Path) -> Result<Zeroizing<Vec<u8>>, TransferError> {
    let unreadable = |e: std::io::Error| TransferError::Unreadable {
        path: file.to_owned(),
        detail: e.to_string(),
    };
    let size = fs::metadata(file).map_err(unreadable)?.len();
    if size > MAX_FILE_BYTES as u64 {
        return Err(TransferError::TooLarge {
            size: usize::try_from(size).unwrap_or(usize::MAX),
            limit: MAX_FILE_BYTES,
        });
    }
    let mut bytes = Zeroizing::new(Vec::with_capacity(size as usize + 1));
    // The size may change between the two calls: read no more than the limit allows.
    fs::File::open(file)
        .map_err(unreadable)?
        .take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    Ok(bytes)
}

/// Writes a new file readable by its owner only, never over an existing one; a file that
/// could not be written in full is removed.
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<(), TransferError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let unwritable = |action: &'static str, e: std::io::Error| TransferError::Unwritable {
        action,
        path: path.to_owned(),
        detail: e.to_string(),
    };
    let mut f = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => TransferError::Exists(path.to_owned()),
        _ => unwritable("create", e),
    })?;
    if let Err(e) = f.write_all(bytes).and_then(|()| f.sync_all()) {
        drop(f);
        fs::remove_file(path).ok();
        return Err(unwritable("write", e));
    }
    Ok(())
}

/// Creates a folder for exported files (owner only) unless it exists.
pub fn create_private_dir(dir: &Path) -> Result<(), TransferError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| TransferError::Unwritable {
        action: "create the folder",
        path: dir.to_owned(),
        detail: e.to_string(),
    })
}
