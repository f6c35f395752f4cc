//! What this device remembers about its clock: the NTP server asked for keys that name no
//! portal, and whether codes are shown for the corrected time (issue 17).
//!
//! It lives in [`FILE_NAME`] beside the vault, not in it: it describes this device's clock, not
//! the keys, so a backup carried to another device must not bring it along. Nothing in it is
//! secret. A missing file means the defaults (pool.ntp.org, no correction); a damaged one is
//! reported and left alone until the user changes a setting, which writes a whole new file.

use std::io::{Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{ClockError, Source};

/// The file's name in the data folder.
pub const FILE_NAME: &str = "clock.json";

/// Larger files are not read: the settings take a few dozen bytes.
const MAX_BYTES: u64 = 16 * 1024;

/// This device's clock settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceClock {
    /// The time source for keys that name no portal, as [`Source::spec`] writes it
    /// (`None`: [`Source::default_ntp`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
    /// Show codes for this device's time plus this many seconds, the clock's measured offset
    /// (`None`, the default: for this device's time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrected_seconds: Option<i64>,
}

/// Why the settings file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum DeviceClockError {
    /// Reading or writing failed.
    #[error("cannot use {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// The file is not settings this version can read.
    #[error("{path} is damaged ({reason}); the defaults are used until a setting is changed")]
    Damaged {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl DeviceClock {
    /// The settings in `dir`, or the defaults when there are none yet.
    pub fn load(dir: &Path) -> Result<Self, DeviceClockError> {
        let path = dir.join(FILE_NAME);
        let shown = path.display().to_string();
        let file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                return Err(DeviceClockError::Io {
                    path: shown,
                    source,
                })
            }
        };
        let mut text = String::new();
        file.take(MAX_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|source| DeviceClockError::Io {
                path: shown.clone(),
                source,
            })?;
        if text.len() as u64 > MAX_BYTES {
            return Err(DeviceClockError::Damaged {
                path: shown,
                reason: format!("larger than {MAX_BYTES} bytes"),
            });
        }
        let settings: Self =
            serde_json::from_str(&text).map_err(|e| DeviceClockError::Damaged {
                path: shown.clone(),
                reason: e.to_string(),
            })?;
        if let Some(spec) = &settings.fallback {
            Source::parse(spec).map_err(|e| DeviceClockError::Damaged {
                path: shown,
                reason: e.to_string(),
            })?;
        }
        Ok(settings)
    }

    /// Writes the settings to `dir` as a whole new file (written beside it, then renamed over
    /// it), so a crash leaves either the old settings or the new ones.
    pub fn save(&self, dir: &Path) -> Result<(), DeviceClockError> {
        let path = dir.join(FILE_NAME);
        let temporary = dir.join(format!("{FILE_NAME}.new"));
        let io = |source| DeviceClockError::Io {
            path: path.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let text = serde_json::to_string_pretty(self).expect("plain strings and numbers");
        let mut file = std::fs::File::create(&temporary).map_err(io)?;
        file.write_all(text.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        drop(file);
        std::fs::rename(&temporary, &path).map_err(io)
    }

    /// The time source for keys that name no portal.
    pub fn fallback_source(&self) -> Source {
        self.fallback
            .as_deref()
            .and_then(|spec| Source::parse(spec).ok())
            .unwrap_or_else(Source::default_ntp)
    }

    /// Sets the source for keys that name no portal from what the user typed: a host name
    /// (an NTP server), `ntp://HOST[:PORT]` or an `http://` address; empty for the default.
    pub fn set_fallback(&mut self, typed: &str) -> Result<(), ClockError> {
        let typed = typed.trim();
        self.fallback = if typed.is_empty() {
            None
        } else if typed.contains("://") {
            Some(Source::parse(typed)?.spec())
        } else {
            // A bare host name is an NTP server; a refusal names what was typed.
            let source = Source::parse(&format!("ntp://{typed}")).map_err(|e| match e {
                ClockError::BadSource(_) => ClockError::BadSource(typed.to_owned()),
                e => e,
            })?;
            Some(source.spec())
        };
        Ok(())
    }

    /// The Unix time the codes are for: `device_time` plus the correction, when it is on.
    pub fn code_time(&self, device_time: u64) -> u64 {
        match self.corrected_seconds {
            Some(n) => device_time.saturating_add_signed(n),
            None => device_time,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_come_back_as_saved_and_a_missing_file_is_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            DeviceClock::load(dir.path()).unwrap(),
            DeviceClock::default()
        );
        let mut settings = DeviceClock {
            corrected_seconds: Some(-75),
            ..DeviceClock::default()
        };
        settings.set_fallback("time.example:1234").unwrap();
        settings.save(dir.path()).unwrap();
        let loaded = DeviceClock::load(dir.path()).unwrap();
        assert_eq!(loaded, settings);
        assert_eq!(
            loaded.fallback_source(),
            Source::Ntp("time.example:1234".into())
        );
        assert_eq!(loaded.code_time(1_000), 925);
        assert!(!dir.path().join("clock.json.new").exists());
    }

    #[test]
    fn a_time_server_that_cannot_be_used_is_refused_and_changes_nothing() {
        let mut settings = DeviceClock::default();
        settings.set_fallback("http://127.0.0.1:8080").unwrap();
        for bad in ["pool ntp org", "https://portal.example", "ftp://x"] {
            assert!(settings.set_fallback(bad).is_err(), "{bad}");
        }
        assert_eq!(settings.fallback.as_deref(), Some("http://127.0.0.1:8080"));
        settings.set_fallback("  ").unwrap();
        assert_eq!(settings.fallback_source(), Source::default_ntp());
    }

    #[test]
    fn a_damaged_settings_file_is_reported_not_taken_for_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        for damaged in [
            "{\"corrected_seconds\": \"sixty\"}".to_owned(),
            "{\"fallback\": \"ftp://x\"}".to_owned(),
            " ".repeat(MAX_BYTES as usize + 1),
        ] {
            std::fs::write(&path, &damaged).unwrap();
            assert!(
                matches!(
                    DeviceClock::load(dir.path()),
                    Err(DeviceClockError::Damaged { .. })
                ),
                "{}",
                &damaged[..damaged.len().min(40)]
            );
        }
    }

    #[test]
    fn a_correction_never_wraps_the_time() {
        let settings = DeviceClock {
            corrected_seconds: Some(i64::MIN),
            ..DeviceClock::default()
        };
        assert_eq!(settings.code_time(100), 0);
        let settings = DeviceClock {
            corrected_seconds: Some(i64::MAX),
            ..DeviceClock::default()
        };
        assert_eq!(settings.code_time(u64::MAX - 1), u64::MAX);
    }
}
