//! What the flow shows and says, as plain values: the screens, the notes (texts in no language
//! yet), the effects it asks for, and each view's state.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use super::super::file_chooser::{ChooserError, FileRequest};
use super::super::worker::Job;
use crate::clock::device::{DeviceClock, DeviceClockError};
use crate::clock::diagnose::{ClockCheck, Expires, Installed, Verdict};
use crate::clock::{ClockError, Source as TimeSource};
use crate::otp::expiry::{self, Expiry};
use crate::otp::{Account, Kind, OtpError};
use crate::scan::{Source, SourceError};
use crate::transfer::{PreviewRow, TransferError};
use crate::vault::{ImportReport, PinError, VaultError};

/// Seconds before the end of a period from which the next code is shown too.
const NEXT_CODE_SECONDS: u64 = 5;

/// Which screen shows (the views' `Screen` enum, mapped one to one by the navigation adapter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Screen {
    /// Deciding between first start and Enter PIN.
    #[default]
    Starting,
    Welcome,
    Add,
    Manual,
    Found,
    ChoosePin,
    Working,
    Installed,
    Token,
    Tokens,
    Unlock,
    Wiped,
    Settings,
    /// Import from another app: the file, then the preview with ticks.
    ImportOther,
    /// Export for another app: the format, the file, a password or the PIN again.
    ExportOther,
    /// Google Authenticator transfer codes, one at a time.
    ExportQr,
    /// "Code not accepted?": why the current token's codes may be refused.
    Help,
}

/// Something to tell the user, in no language yet: the adapters turn it into the translated
/// text (`messages::note`).
#[derive(Debug)]
pub(crate) enum Note {
    /// The camera is looking for a code.
    Looking,
    /// How to start: point the camera at the portal's QR code.
    CameraOff,
    /// The camera stopped by itself.
    CameraEnded,
    ReadingImage,
    ReadingScreen,
    /// The desktop's file dialog is open.
    ChoosingFile,
    /// The file dialog could not be used: type the path.
    Chooser(ChooserError),
    /// Deriving the key from a new PIN.
    Protecting,
    Unlocking,
    Saving,
    /// The Enter PIN field was empty.
    PinEmpty,
    /// Wrong PINs left before the wipe.
    TriesLeft(u32),
    /// The manual form's secret was empty.
    SecretMissing,
    /// This export has `total` QR codes; `next` (counting from 1) is the one to scan next.
    MigrationPart {
        next: usize,
        total: usize,
    },
    Copied,
    Locked,
    Renamed,
    Deleted,
    PinChanged,
    /// A backup with this many keys was written.
    Exported(usize),
    /// A backup was read in.
    Imported(ImportReport),
    /// Reading another app's export file.
    ReadingFile,
    /// Preview or Export was pressed with no file path typed.
    PathMissing,
    /// An export for another app with this many keys was written to this file.
    ExportedFor {
        count: usize,
        path: String,
    },
    /// The two passwords for a new export file differ.
    PasswordsDiffer,
    /// Google Authenticator can hold none of the keys.
    NothingForGoogle,
    /// The PIN typed again before a plain export was wrong: the app locked.
    ExportPinWrong,
    /// Another app's file could not be read, or an export for one not written.
    Transfer(TransferError),
    /// The time server typed on the help page cannot be used.
    Clock(ClockError),
    /// The clock settings file could not be read or written.
    ClockSettings(DeviceClockError),
    /// Codes are for this device's clock again.
    CorrectionOff,
    Pin(PinError),
    Otp(OtpError),
    Vault(VaultError),
    Source(SourceError),
}

/// What the flow asks of the world outside it.
#[derive(Debug)]
pub(crate) enum Effect {
    /// Send this job to the vault's worker.
    Job(Job),
    /// Start the camera; it runs until the flag is raised.
    StartCamera(Arc<AtomicBool>),
    /// Read a file or the screen on a thread of its own.
    Scan(Source),
    /// Show this for a few seconds at the bottom of the window.
    Toast(Note),
    /// Put this code on the clipboard, and clear it again later.
    Copy(String),
    /// Show the desktop's file dialog on a thread of its own; the answer is a
    /// [`Reply::Chosen`](super::super::worker::Reply::Chosen) with this ask's number.
    ChooseFile(u64, FileRequest),
    /// Write the window's settings (the copy setting changed).
    SavePrefs,
    /// Take the code copied last off the clipboard if it is still there (copying turned off).
    ClearClipboard,
    /// The codes or the account list changed: recompute them (and check the auto-lock) now.
    Tick,
    /// Measure this device's clock against this source on a thread of its own.
    MeasureClock(TimeSource),
    /// Write this device's clock settings.
    SaveClock(DeviceClock),
}

/// The navigation bar: the screen, its back arrow, the working screen's text.
#[derive(Debug, Default)]
pub(crate) struct NavShown {
    pub(crate) screen: Screen,
    pub(crate) can_go_back: bool,
    pub(crate) working: Option<Note>,
    /// The cover is up: the app is not in front (see `Flow::lifecycle`).
    pub(crate) covered: bool,
    /// How often the cover has gone up (the PIN fields empty each time).
    pub(crate) covers: i32,
}

/// The key that was found, as Key found shows it (text escaped for display).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct FoundShown {
    pub(crate) name: String,
    pub(crate) issuer: String,
    pub(crate) expiry: String,
    /// How many keys the export holds (more than one only for Google exports).
    pub(crate) count: usize,
}

/// Scan barcode, Enter key manually and Key found.
#[derive(Debug, Default)]
pub(crate) struct InstallShown {
    pub(crate) error: Option<Note>,
    pub(crate) status: Option<Note>,
    /// The typed path for Open image is shown (there is no file dialog).
    pub(crate) typed_path: bool,
    pub(crate) camera_on: bool,
    pub(crate) found: FoundShown,
    pub(crate) has_vault: bool,
}

/// Choose a PIN and Enter PIN.
#[derive(Debug, Default)]
pub(crate) struct PinShown {
    pub(crate) error: Option<Note>,
    pub(crate) tries_note: Option<Note>,
}

/// Settings: the outcome of the last action.
#[derive(Debug, Default)]
pub(crate) struct SettingsShown {
    /// The message, and whether it tells of a failure.
    pub(crate) message: Option<(Note, bool)>,
    /// Index into [`AUTO_LOCK_MINUTES`].
    pub(crate) auto_lock_index: usize,
    /// Tapping a code copies it (the window's setting, kept in `window.json`).
    pub(crate) copy_codes: bool,
}

/// Import from another app and Export for another app.
#[derive(Debug, Default)]
pub(crate) struct TransferShown {
    /// The file read for the preview ("Aegis (encrypted)"), empty before one is read.
    pub(crate) title: String,
    /// Its entries, ticked or not.
    pub(crate) rows: Vec<PreviewRow>,
    /// Things to tell about the file as a whole.
    pub(crate) notes: Vec<String>,
    pub(crate) import_error: Option<Note>,
    pub(crate) export_error: Option<Note>,
    /// Google Authenticator transfer codes (PNG, wiped when dropped) and the one shown.
    pub(crate) qr: Vec<zeroize::Zeroizing<Vec<u8>>>,
    pub(crate) qr_index: usize,
    /// Accounts Google Authenticator cannot hold, with why.
    pub(crate) skipped: Vec<(String, String)>,
}

/// One token at a moment, ready for the tokens adapter to translate and show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenShown {
    /// Its position in the vault.
    pub(crate) index: usize,
    /// Name and issuer with control characters escaped.
    pub(crate) name: String,
    pub(crate) issuer: String,
    /// The code grouped ("123 456"), or dashes for an HOTP code not shown yet.
    pub(crate) code: String,
    /// False for an HOTP token whose code has not been shown yet.
    pub(crate) has_code: bool,
    /// The next code, in the last seconds of a period only.
    pub(crate) next_code: String,
    pub(crate) seconds_left: u64,
    pub(crate) period: u64,
    pub(crate) hotp: bool,
    pub(crate) expiry: Expiry,
}

/// Every token the list shows (the search applied) and the one the code screen shows.
#[derive(Debug, Default)]
pub(crate) struct TokensShown {
    pub(crate) list: Vec<TokenShown>,
    pub(crate) current: Option<TokenShown>,
    pub(crate) total: usize,
    pub(crate) searchable: bool,
    /// The codes are for this device's time plus this many seconds (the corrected time).
    pub(crate) corrected: Option<i64>,
}

/// One reason a code may be refused, as the help page lists it.
#[derive(Debug)]
pub(crate) enum HelpTopic {
    /// 1. When the key was installed (an activation not finished).
    Installed(Installed),
    /// 2. The expiry date.
    Expires(Expires),
    /// 3. The clock against `source` ([`ClockCheck::NotMeasured`] while it is measured).
    Clock {
        check: ClockCheck,
        source: TimeSource,
        /// The key names a portal whose address cannot be used, so `source` is the fallback.
        unusable: Option<String>,
    },
    /// 4. A code used already: the next one comes in this many seconds.
    Reused { seconds_left: u64 },
    /// 5. An HOTP key at this counter.
    Hotp { counter: u64 },
}

/// The help page, for the token it was opened on.
#[derive(Debug, Default)]
pub(crate) struct HelpShown {
    /// The token's name, escaped for display.
    pub(crate) name: String,
    /// The reasons, most serious first (then in the order the centre sees them most).
    pub(crate) items: Vec<(Verdict, HelpTopic)>,
    /// The measured offset the codes could be corrected by (beyond the tolerance), if any.
    pub(crate) can_correct: Option<i64>,
    /// The correction in effect, if on.
    pub(crate) corrected: Option<i64>,
    /// This token's clock is measured against the time server below (it names no portal).
    pub(crate) uses_time_server: bool,
    /// The time server as set (empty: the default).
    pub(crate) time_server: String,
    /// Why the time server typed last cannot be used.
    pub(crate) server_error: Option<Note>,
}

/// One token as the views show it at `now`.
pub(super) fn token_shown(
    index: usize,
    account: &Account,
    now: u64,
    hotp_shown: Option<&String>,
) -> TokenShown {
    let (code, next_code, seconds_left, period, hotp) = match account.kind {
        Kind::Totp { .. } | Kind::Steam => {
            let period = account.kind.period().unwrap_or(30);
            let left = account.seconds_left(now).unwrap_or(period);
            let next = if left <= NEXT_CODE_SECONDS {
                account.code_at(now + left).grouped()
            } else {
                String::new()
            };
            (account.code_at(now).grouped(), next, left, period, false)
        }
        Kind::Hotp { .. } => (
            hotp_shown.cloned().unwrap_or_else(|| "––– –––".to_owned()),
            String::new(),
            0,
            0,
            true,
        ),
    };
    TokenShown {
        index,
        name: shown(&account.name),
        issuer: shown(account.issuer.as_deref().unwrap_or_default()),
        code,
        has_code: !hotp || hotp_shown.is_some(),
        next_code,
        seconds_left,
        period,
        hotp,
        expiry: expiry::status(account.extra("expires"), now),
    }
}

/// Text from a key (its name, issuer, expiry) as the window shows it: control and
/// bidirectional characters as visible escapes (see [`crate::text`]).
pub(super) fn shown(text: &str) -> String {
    crate::text::escape_controls(text).into_owned()
}
