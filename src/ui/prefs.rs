//! The window's own settings on this device (issue 15): whether tapping a code copies it.
//!
//! They live in [`FILE_NAME`] beside the vault, not in it: like the clock settings they belong
//! to this device, and nothing in them is secret. A missing file means the defaults; a damaged
//! one is reported and left alone until the user changes a setting, which writes a whole new
//! file (atomically, through the vault's durable write).

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::vault::{store, VaultError};

/// The file's name in the data folder.
pub(crate) const FILE_NAME: &str = "window.json";

/// Larger files are not read: the settings take a few dozen bytes.
const MAX_BYTES: u64 = 16 * 1024;

/// The window's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Prefs {
    /// Tapping a code copies it to the clipboard (on by default). Off: the clipboard is never
    /// used, for users who type the code or whose clipboard is shared with other programs.
    #[serde(default = "on")]
    pub(crate) copy_codes: bool,
}

fn on() -> bool {
    true
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs { copy_codes: true }
    }
}

impl Prefs {
    /// The settings in `dir`: the defaults when there are none, and when the file cannot be
    /// read (the reason comes along for the user).
    pub(crate) fn load(dir: &Path) -> (Prefs, Option<String>) {
        let path = dir.join(FILE_NAME);
        let mut text = String::new();
        let read = std::fs::File::open(&path)
            .and_then(|file| file.take(MAX_BYTES + 1).read_to_string(&mut text));
        match read {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Prefs::default(), None),
            Err(e) => (Prefs::default(), Some(format!("{}: {e}", path.display()))),
            Ok(n) if n as u64 > MAX_BYTES => (
                Prefs::default(),
                Some(format!(
                    "{} is larger than {MAX_BYTES} bytes",
                    path.display()
                )),
            ),
            Ok(_) => match serde_json::from_str(&text) {
                Ok(prefs) => (prefs, None),
                Err(e) => (Prefs::default(), Some(format!("{}: {e}", path.display()))),
            },
        }
    }

    /// Writes the settings to `dir` as a whole new file.
    pub(crate) fn save(&self, dir: &Path) -> Result<(), VaultError> {
        let text = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_owned());
        store::write_atomically(&dir.join(FILE_NAME), text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copying_is_on_until_turned_off_and_the_choice_is_remembered() {
        let dir = tempfile::tempdir().expect("temporary folder");
        assert_eq!(Prefs::load(dir.path()), (Prefs::default(), None));
        assert!(Prefs::default().copy_codes);
        Prefs { copy_codes: false }.save(dir.path()).expect("saved");
        assert_eq!(Prefs::load(dir.path()), (Prefs { copy_codes: false }, None));
    }

    #[test]
    fn a_damaged_settings_file_gives_the_defaults_and_says_why() {
        let dir = tempfile::tempdir().expect("temporary folder");
        std::fs::write(dir.path().join(FILE_NAME), "{ not json").unwrap();
        let (prefs, problem) = Prefs::load(dir.path());
        assert_eq!(prefs, Prefs::default());
        assert!(problem.is_some_and(|p| p.contains(FILE_NAME)));
    }
}
