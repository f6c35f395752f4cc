//! Which kind of file this is, from its content alone (file names lie, and phones lose them).
//!
//! Binary headers first (Authenticator Pro's, our own backup's), then JSON by its top-level
//! keys, then text by its lines; what is left and binary is taken for an encrypted andOTP
//! backup, the one format with no header at all.

use std::collections::HashMap;

use serde::de::IgnoredAny;

use super::{damaged, Format, TransferError};

/// The outcome of detection: which reader to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detected<'a> {
    /// Lines of `otpauth://`, `steam://` or `otpauth-migration://` links.
    Lines(&'a str),
    Aegis,
    TwoFas,
    AndOtpPlain,
    AndOtpEncrypted,
    AuthenticatorProPlain,
    AuthenticatorProEncrypted,
    AuthenticatorProLegacy,
    FreeOtpPlus,
    BitwardenJson,
    BitwardenCsv(&'a str),
    ProtonPlain,
    ProtonEncrypted,
    EnteEncrypted,
}

/// Authenticator Pro's encrypted backups (Argon2id + AES-GCM) start with this.
pub(crate) const STRATUM_HEADER: &[u8; 16] = b"AUTHENTICATORPRO";
/// Authenticator Pro's legacy encrypted backups (PBKDF2 + AES-CBC) start with this.
pub(crate) const STRATUM_LEGACY_HEADER: &[u8; 16] = b"AuthenticatorPro";
/// The shortest andOTP encrypted backup of the old format: nonce and tag.
const ANDOTP_MIN_BYTES: usize = 12 + 16;

fn unknown() -> TransferError {
    TransferError::UnknownFormat {
        supported: Format::supported(),
    }
}

/// Detects the kind of `bytes`.
pub(crate) fn detect(bytes: &[u8]) -> Result<Detected<'_>, TransferError> {
    if bytes.starts_with(crate::vault::format::MAGIC) {
        return Err(TransferError::PocketPassBackup);
    }
    if bytes.starts_with(STRATUM_HEADER) {
        return Ok(Detected::AuthenticatorProEncrypted);
    }
    if bytes.starts_with(STRATUM_LEGACY_HEADER) {
        return Ok(Detected::AuthenticatorProLegacy);
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return binary(bytes);
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let start = text.trim_start();
    if start.starts_with('{') {
        return json_object(start);
    }
    if start.starts_with('[') {
        // andOTP's plain backup is the only format that is a bare JSON list.
        return match serde_json::from_str::<Vec<IgnoredAny>>(start) {
            Ok(_) => Ok(Detected::AndOtpPlain),
            Err(_) if start.contains("\"secret\"") => {
                Err(damaged(Format::AndOtp, "it is not valid JSON"))
            }
            Err(_) => Err(unknown()),
        };
    }
    lines(text)
}

fn binary(bytes: &[u8]) -> Result<Detected<'_>, TransferError> {
    const IMAGES: [&[u8]; 4] = [b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF"];
    if IMAGES.iter().any(|magic| bytes.starts_with(magic)) || bytes.len() < ANDOTP_MIN_BYTES {
        return Err(unknown());
    }
    Ok(Detected::AndOtpEncrypted)
}

fn json_object(text: &str) -> Result<Detected<'_>, TransferError> {
    let keys = match serde_json::from_str::<HashMap<String, IgnoredAny>>(text) {
        Ok(keys) => keys,
        Err(_) => return Err(damaged_guess(text)),
    };
    let has = |k: &str| keys.contains_key(k);
    Ok(if has("header") && has("db") {
        Detected::Aegis
    } else if has("schemaVersion") && (has("services") || has("servicesEncrypted")) {
        Detected::TwoFas
    } else if has("Authenticators") {
        Detected::AuthenticatorProPlain
    } else if has("tokens") {
        Detected::FreeOtpPlus
    } else if has("items") || has("encKeyValidation_DO_NOT_EDIT") || has("passwordProtected") {
        Detected::BitwardenJson
    } else if has("kdfParams") && has("encryptedData") {
        Detected::EnteEncrypted
    } else if has("version") && has("entries") {
        Detected::ProtonPlain
    } else if has("version") && has("salt") && has("content") {
        Detected::ProtonEncrypted
    } else {
        return Err(unknown());
    })
}

/// A JSON object that does not parse: name the format its keys suggest, so the user hears
/// "this Aegis export is damaged" rather than "unknown file".
fn damaged_guess(text: &str) -> TransferError {
    let has = |k: &str| text.contains(&format!("\"{k}\""));
    let format = if has("header") && has("db") {
        Format::Aegis
    } else if has("schemaVersion") || has("servicesEncrypted") || (has("services") && has("otp")) {
        Format::TwoFas
    } else if has("Authenticators") {
        Format::AuthenticatorPro
    } else if has("tokenOrder") || has("issuerExt") {
        Format::FreeOtpPlus
    } else if has("items") {
        Format::Bitwarden
    } else if has("kdfParams") {
        Format::EnteAuth
    } else if has("entries") || has("content") {
        Format::ProtonAuthenticator
    } else {
        return unknown();
    };
    damaged(format, "it is not valid JSON (cut short or edited?)")
}

fn lines(text: &str) -> Result<Detected<'_>, TransferError> {
    let first = text.lines().map(str::trim).find(|l| !l.is_empty());
    if first.is_some_and(|l| l.contains("login_totp")) {
        return Ok(Detected::BitwardenCsv(text));
    }
    let is_link = |l: &str| {
        let l = l.trim().to_ascii_lowercase();
        l.starts_with("otpauth://")
            || l.starts_with("otpauth-migration://")
            || l.starts_with("steam://")
    };
    if text.lines().any(is_link) {
        return Ok(Detected::Lines(text));
    }
    Err(unknown())
}
