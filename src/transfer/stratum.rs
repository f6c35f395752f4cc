//! Authenticator Pro (now Stratum) backups, as Stratum's source writes them (and Aegis'
//! `StratumImporter` reads them).
//!
//! Plain: `{"Authenticators": [{"Type", "Issuer", "Username", "Secret", "Algorithm", "Digits",
//! "Period", "Counter", ...}], "Categories": [...], ...}` with Type 1 HOTP, 2 TOTP, 3 mOTP,
//! 4 Steam, 5 Yandex and Algorithm 0 SHA1, 1 SHA256, 2 SHA512.
//! Encrypted: "AUTHENTICATORPRO" ‖ salt (16) ‖ nonce (12) ‖ AES-256-GCM ciphertext and tag,
//! under Argon2id(password, salt, 3 passes, 64 MiB, 4 lanes, 32 bytes).
//! Legacy encrypted: "AuthenticatorPro" ‖ salt (20) ‖ IV (16) ‖ AES-256-CBC (PKCS#7) ciphertext,
//! under PBKDF2-HMAC-SHA1(password, salt, 64,000 iterations, 32 bytes).
//! The costs are the app's constants, not stored in the file.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::crypto::{self, Prf};
use super::detect::{STRATUM_HEADER, STRATUM_LEGACY_HEADER};
use super::json::{self, Num, Problem, ZString};
use super::{damaged, file, need, Format, ImportFile, TransferError};
use crate::otp::{Account, Algorithm, Kind};

const FORMAT: Format = Format::AuthenticatorPro;
/// Argon2id cost of encrypted backups: passes, memory (KiB), lanes.
pub(crate) const ARGON2: (u64, u64, u32) = (3, 64 * 1024, 4);
const SALT: usize = 16;
const NONCE: usize = 12;
/// PBKDF2 cost of legacy backups.
pub(crate) const LEGACY_ITERATIONS: u64 = 64_000;
const LEGACY_SALT: usize = 20;
const LEGACY_IV: usize = 16;

#[derive(Deserialize)]
struct Backup<'a> {
    #[serde(rename = "Authenticators", borrow)]
    authenticators: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Authenticator {
    #[serde(rename = "Type")]
    kind: Num,
    #[serde(default)]
    issuer: Option<String>,
    #[serde(default)]
    username: Option<String>,
    secret: ZString,
    #[serde(default)]
    algorithm: Num,
    #[serde(default)]
    digits: Num,
    #[serde(default)]
    period: Num,
    #[serde(default)]
    counter: Num,
}

pub(crate) fn read_plain(bytes: &[u8]) -> Result<ImportFile, TransferError> {
    content(bytes, "plain", false)
}

fn content(bytes: &[u8], variant: &str, encrypted: bool) -> Result<ImportFile, TransferError> {
    let backup: Backup = json::parse(FORMAT, bytes)?;
    let entries = json::entries(FORMAT, &backup.authenticators, convert)?;
    file(FORMAT, variant, encrypted, entries)
}

pub(crate) fn read_encrypted(
    bytes: &[u8],
    password: Option<&[u8]>,
) -> Result<ImportFile, TransferError> {
    let body = &bytes[STRATUM_HEADER.len()..];
    if body.len() < SALT + NONCE + 16 {
        return Err(damaged(FORMAT, "it is cut short"));
    }
    let password = need(FORMAT, password)?;
    let (salt, rest) = body.split_at(SALT);
    let (passes, memory, lanes) = ARGON2;
    let key = crypto::argon2id(FORMAT, password, salt, memory, passes, lanes)?;
    let plain = crypto::aes_gcm_open(&key, &rest[..NONCE], &rest[NONCE..], &[]).ok_or(
        TransferError::WrongPassword {
            format: FORMAT,
            can_be_damage: true,
        },
    )?;
    content(&plain, "encrypted", true)
}

pub(crate) fn read_legacy(
    bytes: &[u8],
    password: Option<&[u8]>,
) -> Result<ImportFile, TransferError> {
    let body = &bytes[STRATUM_LEGACY_HEADER.len()..];
    if body.len() < LEGACY_SALT + LEGACY_IV + 16
        || !(body.len() - LEGACY_SALT - LEGACY_IV).is_multiple_of(16)
    {
        return Err(damaged(FORMAT, "it is cut short"));
    }
    let password = need(FORMAT, password)?;
    let (salt, rest) = body.split_at(LEGACY_SALT);
    let key = crypto::pbkdf2(FORMAT, Prf::Sha1, password, salt, LEGACY_ITERATIONS)?;
    let wrong = TransferError::WrongPassword {
        format: FORMAT,
        can_be_damage: true,
    };
    let plain = crypto::aes_cbc_open(&key, &rest[..LEGACY_IV], &rest[LEGACY_IV..])
        .ok_or_else(|| wrong.clone())?;
    // CBC has no tag: a wrong key usually breaks the padding, and otherwise yields noise.
    if !plain.trim_ascii_start().starts_with(b"{") {
        return Err(wrong);
    }
    content(&plain, "legacy encrypted", true)
}

fn convert(entry: Authenticator) -> Result<Account, Problem> {
    let issuer = entry.issuer.unwrap_or_default();
    let name = entry.username.unwrap_or_default();
    let label = json::label(&issuer, &name);
    let kind = match entry.kind.0 {
        Some(1) => json::hotp(&label, entry.counter.0)?,
        Some(2) => json::totp(&label, entry.period.0)?,
        Some(4) => Kind::Steam,
        Some(3) => return Err(json::unsupported_type(&label, "mOTP")),
        Some(5) => return Err(json::unsupported_type(&label, "Yandex")),
        Some(n) => return Err(json::unsupported_type(&label, &format!("number {n}"))),
        None => return Err(Problem::new(&label, "it has no type")),
    };
    let algorithm = match entry.algorithm.0.unwrap_or(0) {
        0 => Algorithm::Sha1,
        1 => Algorithm::Sha256,
        2 => Algorithm::Sha512,
        n => {
            return Err(Problem::new(
                &label,
                format!("its algorithm number {n} is not SHA1, SHA256 or SHA512"),
            ))
        }
    };
    let secret = json::base32_secret(&label, entry.secret.as_str())?;
    let digits = json::digits(&label, kind, entry.digits.0.filter(|_| kind != Kind::Steam))?;
    json::account(&issuer, &name, secret, algorithm, digits, kind)
}
