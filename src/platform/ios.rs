//! iOS: the vault under Application Support, excluded from backups.
//!
//! The vault is encrypted, but a key that can be restored onto another phone is a second
//! authenticator the user does not know about; so the folder is marked with
//! `NSURLIsExcludedFromBackupKey` (neither iCloud nor a computer backup takes it). Moving keys
//! to a new phone is what `export` is for: the file the user exports lies wherever they put it.

use objc2_foundation::{NSNumber, NSString, NSURLIsExcludedFromBackupKey, NSURL};
use std::path::{Path, PathBuf};

/// The vault's folder: `Library/Application Support/pocketpass` in the app's container (what
/// [`crate::vault::default_data_dir`] gives on Apple systems, where the container is `$HOME`).
pub fn data_dir() -> Option<PathBuf> {
    crate::vault::default_data_dir()
}

/// Creates `dir` if needed and excludes it, and so everything in it, from backups.
pub fn prepare_data_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let path = NSString::from_str(&dir.to_string_lossy());
    let url = NSURL::fileURLWithPath_isDirectory(&path, true);
    let yes = NSNumber::numberWithBool(true);
    // SAFETY: the key is an immutable NSString constant that Foundation exports, and the value
    // it documents is a boolean NSNumber, which is what is passed.
    let result =
        unsafe { url.setResourceValue_forKey_error(Some(&yes), NSURLIsExcludedFromBackupKey) };
    result.map_err(|e| std::io::Error::other(e.localizedDescription().to_string()))
}

/// Prepares the default vault folder at start-up; the app still starts when this fails (the
/// vault code reports a folder it cannot use), so a failure is only logged.
pub fn prepare_default_data_dir() {
    if let Some(dir) = data_dir() {
        if let Err(e) = prepare_data_dir(&dir) {
            tracing::warn!(dir = %dir.display(), "cannot exclude the vault folder from backups: {e}");
        }
    }
}
