//! One-time codes: accounts, `otpauth://` and `otpauth-migration://` parsing, code generation.
//!
//! This module is plain domain code: it knows nothing of files, terminals or windows. Everything a
//! portal's QR code can carry enters through [`parse_key_link`], which either yields one
//! [`Account`] or a part of a Google Authenticator export ([`MigrationPart`]).

mod account;
mod base32;
mod error;
pub mod expiry;
mod manual;
mod migration;
mod uri;

pub use account::{
    Account, Algorithm, Code, Kind, Secret, ADDED_PARAM, MIN_SECRET_BYTES, STEAM_ALPHABET,
    STEAM_DIGITS, STEAM_PERIOD,
};
pub use error::OtpError;
pub use expiry::Expiry;
pub use manual::{ManualKey, ManualKind, DIGITS};
pub use migration::{parse_migration, MigrationBatch, MigrationPart, MAX_BATCH_SIZE};
pub use uri::parse_uri;

/// What a key link holds: the text of one QR code or one pasted link, parsed. (The vault's
/// encrypted contents and a QR code's raw contents are other things.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyLink {
    /// A single key from an `otpauth://` URI.
    Account(Account),
    /// A part of a Google Authenticator export (`otpauth-migration://`), which may be one of
    /// several QR codes.
    Migration(MigrationPart),
}

/// The longest text [`parse_key_link`] reads, in bytes. The largest QR code holds 2,953 bytes
/// (7,089 digits), so no real key link comes near; a longer paste is refused before parsing.
pub const MAX_LINK_BYTES: usize = 16 * 1024;

/// Reads whatever text a QR code or a pasted link holds and says which key(s) it carries.
///
/// Leading and trailing white space is ignored, since pasted links often bring a newline.
pub fn parse_key_link(text: &str) -> Result<KeyLink, OtpError> {
    let text = text.trim();
    if text.len() > MAX_LINK_BYTES {
        return Err(OtpError::TooLong(text.chars().count()));
    }
    if has_scheme(text, "otpauth-migration://") {
        parse_migration(text).map(KeyLink::Migration)
    } else {
        parse_uri(text).map(KeyLink::Account)
    }
}

/// True when `text` starts with `scheme`, compared without regard to ASCII case.
pub(crate) fn has_scheme(text: &str, scheme: &str) -> bool {
    text.len() >= scheme.len()
        && text.as_bytes()[..scheme.len()].eq_ignore_ascii_case(scheme.as_bytes())
}

/// Splits a label "Issuer:account" at its first colon; the account keeps any later colons.
pub(crate) fn split_label(label: &str) -> (Option<String>, String) {
    match label.split_once(':') {
        Some((issuer, name)) => (Some(issuer.trim().to_owned()), name.trim().to_owned()),
        None => (None, label.trim().to_owned()),
    }
}

/// Decides the issuer from the `issuer=` parameter and the label's prefix: the parameter wins,
/// and a prefix that disagrees with it is kept as the second value so nothing sent is lost.
pub(crate) fn reconcile_issuer(
    param: Option<String>,
    prefix: Option<String>,
) -> (Option<String>, Option<String>) {
    let param = param.map(|i| i.trim().to_owned()).filter(|i| !i.is_empty());
    match (param, prefix.filter(|p| !p.is_empty())) {
        (Some(param), Some(prefix)) if param != prefix => (Some(param), Some(prefix)),
        (Some(param), _) => (Some(param), None),
        (None, prefix) => (prefix, None),
    }
}
