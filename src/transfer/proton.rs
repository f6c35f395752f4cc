//! Proton Authenticator exports, as proton-pass-common's exporter writes them.
//!
//! Plain: `{"version": 1, "entries": [{"id", "content": {"uri", "entry_type": "Totp"|"Steam",
//! "name"}, "note"}]}`; `uri` is an `otpauth://` URI or, for Steam, `steam://SECRET`.
//! Encrypted: `{"version": 1, "salt": base64 (16 bytes), "content": base64(nonce (12) ‖
//! AES-256-GCM ciphertext and tag)}` of the plain export, under Argon2id(password, salt,
//! 2 passes, 19 MiB, 1 lane, 32 bytes), with the associated data
//! "proton.authenticator.export.v1". The cost is the exporter's constant, not in the file.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::crypto;
use super::json::{self, Problem, ZString};
use super::{damaged, file, need, Format, ImportFile, TransferError};
use crate::otp::{parse_uri, Account, Kind};

const FORMAT: Format = Format::ProtonAuthenticator;
/// Argon2id cost: passes, memory (KiB), lanes.
pub(crate) const ARGON2: (u64, u64, u32) = (2, 19 * 1024, 1);
/// The associated data of encrypted exports.
pub(crate) const AAD: &[u8] = b"proton.authenticator.export.v1";

#[derive(Deserialize)]
struct Export<'a> {
    version: i64,
    #[serde(borrow)]
    entries: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct Encrypted {
    version: i64,
    salt: String,
    content: String,
}

#[derive(Deserialize)]
struct ProtonEntry {
    content: Content,
}

#[derive(Deserialize)]
struct Content {
    uri: ZString,
    #[serde(default)]
    entry_type: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

fn version(v: i64) -> Result<(), TransferError> {
    if v == 1 {
        return Ok(());
    }
    Err(TransferError::Unsupported {
        format: FORMAT,
        reason: format!("it is of version {v}; Pocket Pass reads version 1"),
    })
}

pub(crate) fn read_plain(bytes: &[u8]) -> Result<ImportFile, TransferError> {
    content(bytes, "plain", false)
}

fn content(bytes: &[u8], variant: &str, encrypted: bool) -> Result<ImportFile, TransferError> {
    let export: Export = json::parse(FORMAT, bytes)?;
    version(export.version)?;
    let entries = json::entries(FORMAT, &export.entries, convert)?;
    file(FORMAT, variant, encrypted, entries)
}

pub(crate) fn read_encrypted(
    bytes: &[u8],
    password: Option<&[u8]>,
) -> Result<ImportFile, TransferError> {
    let export: Encrypted = json::parse(FORMAT, bytes)?;
    version(export.version)?;
    let salt =
        json::base64(&export.salt).ok_or_else(|| damaged(FORMAT, "its salt is not base64"))?;
    let sealed = json::base64(&export.content)
        .ok_or_else(|| damaged(FORMAT, "its content is not base64"))?;
    if sealed.len() < 12 + 16 {
        return Err(damaged(FORMAT, "its content is cut short"));
    }
    let password = need(FORMAT, password)?;
    let (passes, memory, lanes) = ARGON2;
    let key = crypto::argon2id(FORMAT, password, &salt, memory, passes, lanes)?;
    let plain = crypto::aes_gcm_open(&key, &sealed[..12], &sealed[12..], AAD).ok_or(
        TransferError::WrongPassword {
            format: FORMAT,
            can_be_damage: true,
        },
    )?;
    content(&plain, "encrypted", true)
}

fn convert(entry: ProtonEntry) -> Result<Account, Problem> {
    let content = entry.content;
    let name = content.name.unwrap_or_default();
    let mut account =
        parse_uri(content.uri.as_str()).map_err(|e| Problem::new(&name, json::otp_reason(&e)))?;
    let steam = content
        .entry_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("steam"));
    if steam && account.kind != Kind::Steam {
        return Err(Problem::new(
            &name,
            "it is marked as Steam but its link is not a Steam key",
        ));
    }
    if !name.trim().is_empty() {
        account.name = name.trim().to_owned();
    }
    Ok(account)
}
