//! Domain errors in the user's language. `otp`, `vault` and `scan` explain their errors in
//! English (for the terminal and logs); the window shows them through `@tr()` texts instead,
//! keeping only details that have no translation (a file name, what a QR code held, what the
//! camera driver said).

use slint::SharedString;

use crate::clock::ClockError;
use crate::otp::OtpError;
use crate::scan::SourceError;
use crate::vault::{self, PinError, VaultError};

use super::file_chooser::ChooserError;
use super::flow::Note;
use super::Texts;

/// Whatever the flow has to say, in the user's language.
pub(crate) fn note(texts: &Texts<'_>, note: &Note) -> SharedString {
    match note {
        Note::Looking => texts.invoke_looking(),
        Note::CameraOff => texts.invoke_camera_off(),
        Note::CameraEnded => texts.invoke_camera_ended(),
        Note::ReadingImage => texts.invoke_reading_image(),
        Note::ReadingScreen => texts.invoke_reading_screen(),
        Note::Protecting => texts.invoke_protecting(),
        Note::Unlocking => texts.invoke_unlocking(),
        Note::Saving => texts.invoke_saving(),
        Note::PinEmpty => texts.invoke_pin_empty(),
        Note::TriesLeft(n) => texts.invoke_tries_left(*n as i32),
        Note::SecretMissing => texts.invoke_secret_missing(),
        Note::MigrationPart { next, total } => {
            texts.invoke_migration_part(*next as i32, *total as i32)
        }
        Note::Copied => texts.invoke_copied(),
        Note::Locked => texts.invoke_locked(),
        Note::Renamed => texts.invoke_renamed(),
        Note::Deleted => texts.invoke_deleted(),
        Note::PinChanged => texts.invoke_pin_changed(),
        Note::Exported(n) => texts.invoke_exported(*n as i32),
        Note::Imported(report) => {
            texts.invoke_imported(report.added as i32, report.duplicates as i32)
        }
        Note::ReadingFile => texts.invoke_reading_file(),
        Note::PathMissing => texts.invoke_path_missing(),
        Note::ChoosingFile => texts.invoke_choosing_file(),
        Note::Chooser(ChooserError::Unavailable(why)) => texts.invoke_no_file_dialog(shown(why)),
        Note::Chooser(ChooserError::Failed(why)) => texts.invoke_file_dialog_failed(shown(why)),
        Note::ExportedFor { count, path } => texts.invoke_exported_for(*count as i32, path.into()),
        Note::PasswordsDiffer => texts.invoke_passwords_differ(),
        Note::NothingForGoogle => texts.invoke_nothing_for_google(),
        Note::ExportPinWrong => texts.invoke_export_pin_wrong(),
        // The reason is in English: the formats' errors name details (a format, a KDF limit)
        // that have no translation; the frame around it is translated.
        Note::Transfer(e) => texts.invoke_transfer_failed(shown(&e.to_string())),
        Note::Pin(e) => pin(texts, e),
        Note::Otp(e) => otp(texts, e),
        Note::Vault(e) => vault(texts, e),
        Note::Source(e) => source(texts, e),
        Note::Clock(e) => clock(texts, e),
        Note::ClockSettings(e) => texts.invoke_clock_settings_failed(shown(&e.to_string())),
        Note::CorrectionOff => texts.invoke_correction_off(),
    }
}

/// A time source that could not be used or read.
pub(crate) fn clock(texts: &Texts<'_>, e: &ClockError) -> SharedString {
    match e {
        ClockError::BadSource(typed) => texts.invoke_clock_bad_source(shown(typed)),
        ClockError::HttpsUnsupported(typed) => texts.invoke_clock_https(shown(typed)),
        ClockError::Unreachable {
            from,
            seconds,
            reason,
        } => texts.invoke_clock_unreachable(shown(from), *seconds as i32, shown(reason)),
        ClockError::BadReply { from, reason } => {
            texts.invoke_clock_bad_reply(shown(from), shown(reason))
        }
    }
}

/// An optional note: empty text when there is none.
pub(crate) fn maybe(texts: &Texts<'_>, n: Option<&Note>) -> SharedString {
    n.map(|n| note(texts, n)).unwrap_or_default()
}

/// A PIN the vault's rules refuse, with the rule.
fn pin(texts: &Texts<'_>, e: &PinError) -> SharedString {
    match e {
        PinError::NotDigits => texts.invoke_pin_not_digits(),
        PinError::TooShort => texts.invoke_pin_too_short(vault::MIN_PIN_DIGITS as i32),
        PinError::TooLong => texts.invoke_pin_too_long(vault::MAX_PIN_DIGITS as i32),
        PinError::TooCommon => texts.invoke_pin_too_common(),
        PinError::Mismatch => texts.invoke_pin_mismatch(),
    }
}

/// A QR code or link that is not a usable key.
fn otp(texts: &Texts<'_>, e: &OtpError) -> SharedString {
    match e {
        OtpError::NotAKey(what) => texts.invoke_not_a_key(shown(what)),
        OtpError::EmptyExport => texts.invoke_empty_export(),
        e => texts.invoke_bad_key(shown(&e.to_string())),
    }
}

/// A vault or backup operation that failed; what the user had is unchanged in every case.
fn vault(texts: &Texts<'_>, e: &VaultError) -> SharedString {
    let path = |p: &std::path::Path| SharedString::from(p.display().to_string());
    match e {
        VaultError::Pin(e) => pin(texts, e),
        VaultError::Account(e) => otp(texts, e),
        VaultError::WrongPin { remaining } => texts.invoke_wrong_pin(*remaining as i32),
        VaultError::WrongPassword => texts.invoke_wrong_backup_password(),
        VaultError::WeakPassword(n) => texts.invoke_weak_backup_password(*n as i32),
        VaultError::NotAVault(p) | VaultError::WrongKind(p, _) => {
            texts.invoke_not_a_backup(path(p))
        }
        VaultError::Corrupt(p) | VaultError::UnsafeKdf { path: p, .. } => {
            texts.invoke_damaged_file(path(p))
        }
        VaultError::UnsupportedVersion { .. } => texts.invoke_newer_version(),
        VaultError::Duplicate(name) => texts.invoke_duplicate_key(shown(name)),
        VaultError::Busy => texts.invoke_vault_busy(),
        VaultError::ChangedElsewhere => texts.invoke_vault_changed_elsewhere(),
        VaultError::NotFlushed { source, .. } => {
            texts.invoke_not_flushed(source.to_string().into())
        }
        VaultError::Io {
            path: p, source, ..
        } => texts.invoke_file_failed(path(p), source.to_string().into()),
        e => shown(&e.to_string()),
    }
}

/// Details that come from outside (what a QR code held, a key's name, a file's labels) as the
/// window shows them: control characters as escapes.
pub(crate) fn shown(text: &str) -> SharedString {
    crate::text::escape_controls(text).as_ref().into()
}

/// A frame source (camera, screen, image file) that could not deliver.
fn source(texts: &Texts<'_>, e: &SourceError) -> SharedString {
    match e {
        SourceError::Io { path, source } => texts
            .invoke_image_unreadable(path.display().to_string().into(), source.to_string().into()),
        SourceError::BadImage { path, .. } => {
            texts.invoke_not_an_image(path.display().to_string().into())
        }
        SourceError::NoCamera => texts.invoke_no_camera(),
        SourceError::PermissionDenied => texts.invoke_camera_denied(),
        SourceError::PermissionAsked => texts.invoke_camera_asked(),
        SourceError::Camera(detail) => texts.invoke_camera_failed(detail.into()),
        SourceError::Screen(detail) => texts.invoke_screen_failed(detail.into()),
        SourceError::NoCode(what) if what == crate::scan::CLIPBOARD => {
            texts.invoke_no_code_on_clipboard()
        }
        SourceError::NoCode(_) => texts.invoke_no_code_found(),
        SourceError::Clipboard(detail) => texts.invoke_clipboard_failed(shown(detail)),
        SourceError::OutOfTime(_) => texts.invoke_no_code_in_time(),
        e => e.to_string().into(),
    }
}
