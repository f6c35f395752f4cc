//! andOTP backups, as andOTP's source writes them (and Aegis' `AndOtpImporter` reads them).
//!
//! Plain: a JSON list of `{"secret", "issuer", "label", "digits", "type", "algorithm",
//! "period", "counter", ...}`. Encrypted, new format: iterations (4 bytes, big-endian) ‖ salt
//! (12) ‖ nonce (12) ‖ AES-256-GCM ciphertext and tag, under PBKDF2-HMAC-SHA1(password, salt,
//! iterations, 256 bits). Old format: nonce (12) ‖ ciphertext and tag, under SHA-256(password).
//! Neither has a header, so an encrypted file is tried as the new format when its first four
//! bytes are an iteration count within [`super::crypto::PBKDF2_MAX_ITERATIONS`], then as the old
//! format. A count over the limit is never derived; since an old-format file starts with a
//! random nonce, whose first four bytes are nearly always over the limit, such a file that the
//! old-format key does not open either is reported as a wrong password, not as too costly.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::crypto::{self, Prf};
use super::json::{self, Num, Problem, ZString};
use super::{file, need, Format, ImportFile, TransferError};
use crate::otp::{Account, Kind};

const FORMAT: Format = Format::AndOtp;
const SALT: usize = 12;
const NONCE: usize = 12;

#[derive(Deserialize)]
struct AndOtpEntry {
    secret: ZString,
    #[serde(default)]
    issuer: Option<String>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    digits: Num,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    algorithm: Option<String>,
    #[serde(default)]
    period: Num,
    #[serde(default)]
    counter: Num,
}

pub(crate) fn read_plain(bytes: &[u8]) -> Result<ImportFile, TransferError> {
    content(bytes, "plain", false)
}

fn content(bytes: &[u8], variant: &str, encrypted: bool) -> Result<ImportFile, TransferError> {
    let list: Vec<&RawValue> = json::parse(FORMAT, bytes)?;
    let entries = json::entries(FORMAT, &list, convert)?;
    file(FORMAT, variant, encrypted, entries)
}

pub(crate) fn read_encrypted(
    bytes: &[u8],
    password: Option<&[u8]>,
) -> Result<ImportFile, TransferError> {
    let password = need(FORMAT, password)?;
    let iterations = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if bytes.len() >= 4 + SALT + NONCE + 16
        && crypto::check_pbkdf2(FORMAT, u64::from(iterations)).is_ok()
    {
        let salt = &bytes[4..4 + SALT];
        let key = crypto::pbkdf2(FORMAT, Prf::Sha1, password, salt, u64::from(iterations))?;
        let rest = &bytes[4 + SALT..];
        if let Some(plain) = crypto::aes_gcm_open(&key, &rest[..NONCE], &rest[NONCE..], &[]) {
            return content(&plain, "encrypted", true);
        }
    }
    let key = crypto::sha256_key(password);
    if let Some(plain) = crypto::aes_gcm_open(&key, &bytes[..NONCE], &bytes[NONCE..], &[]) {
        return content(&plain, "old encrypted format", true);
    }
    Err(TransferError::WrongPassword {
        format: FORMAT,
        can_be_damage: true,
    })
}

fn convert(entry: AndOtpEntry) -> Result<Account, Problem> {
    let raw_label = entry.label.unwrap_or_default();
    // Old andOTP versions had no issuer field and wrote "Issuer - name" as the label.
    let (issuer, name) = match entry.issuer {
        Some(issuer) => (issuer, raw_label),
        None => match raw_label.split_once(" - ") {
            Some((issuer, name)) => (issuer.to_owned(), name.to_owned()),
            None => (String::new(), raw_label),
        },
    };
    let label = json::label(&issuer, &name);
    let kind_name = entry.kind.unwrap_or_else(|| "TOTP".into());
    let kind = match kind_name.to_ascii_uppercase().as_str() {
        "TOTP" => json::totp(&label, entry.period.0)?,
        "HOTP" => json::hotp(&label, entry.counter.0)?,
        "STEAM" => Kind::Steam,
        _ => return Err(json::unsupported_type(&label, &kind_name)),
    };
    let secret = json::base32_secret(&label, entry.secret.as_str())?;
    let algorithm = json::algorithm(&label, entry.algorithm.as_deref())?;
    let digits = json::digits(&label, kind, entry.digits.0)?;
    json::account(&issuer, &name, secret, algorithm, digits, kind)
}
