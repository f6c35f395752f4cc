//! 2FAS backups (`.2fas`), schema versions 1 to 4, plain and encrypted, as 2FAS' Android
//! source writes them (and Aegis' `TwoFASImporter` reads them).
//!
//! `{"services": [...], "schemaVersion": 4, ...}`; encrypted, `services` is empty and
//! `servicesEncrypted` is `base64(ciphertext ‖ tag):base64(salt):base64(iv)`: AES-256-GCM under
//! PBKDF2-HMAC-SHA256(password, salt, 10,000 iterations) of the JSON list of services.
//! `reference`, in the same layout, seals a fixed text under the same key: when it opens and
//! the services do not, the file is damaged rather than the password wrong.

use serde::Deserialize;
use serde_json::value::RawValue;
use zeroize::Zeroizing;

use super::crypto::{self, Key, Prf};
use super::json::{self, Num, Problem, ZString};
use super::{damaged, file, need, Format, ImportFile, TransferError};
use crate::otp::{Account, Kind};

const FORMAT: Format = Format::TwoFas;
/// 2FAS' fixed PBKDF2 cost.
pub(crate) const ITERATIONS: u64 = 10_000;
/// The newest schema read.
pub(crate) const MAX_SCHEMA: i64 = 4;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Backup<'a> {
    schema_version: i64,
    #[serde(default, borrow)]
    services: Vec<&'a RawValue>,
    #[serde(default)]
    services_encrypted: Option<String>,
    #[serde(default)]
    reference: Option<String>,
}

#[derive(Deserialize)]
struct Service {
    #[serde(default)]
    name: Option<String>,
    secret: ZString,
    #[serde(default)]
    otp: Option<Otp>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Otp {
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    issuer: Option<String>,
    #[serde(default)]
    digits: Num,
    #[serde(default)]
    period: Num,
    #[serde(default)]
    algorithm: Option<String>,
    #[serde(default)]
    counter: Num,
    #[serde(default)]
    token_type: Option<String>,
}

/// One `base64:base64:base64` sealed value.
struct Sealed {
    data: Vec<u8>,
    salt: Vec<u8>,
    iv: Vec<u8>,
}

fn sealed(text: &str) -> Result<Sealed, TransferError> {
    let parts: Vec<&str> = text.split(':').collect();
    let bad = || damaged(FORMAT, "its encrypted services are not three base64 parts");
    if parts.len() < 3 {
        return Err(bad());
    }
    Ok(Sealed {
        data: json::base64(parts[0]).ok_or_else(bad)?,
        salt: json::base64(parts[1]).ok_or_else(bad)?,
        iv: json::base64(parts[2]).ok_or_else(bad)?,
    })
}

pub(crate) fn read(bytes: &[u8], password: Option<&[u8]>) -> Result<ImportFile, TransferError> {
    let backup: Backup = json::parse(FORMAT, bytes)?;
    if !(1..=MAX_SCHEMA).contains(&backup.schema_version) {
        return Err(TransferError::Unsupported {
            format: FORMAT,
            reason: format!(
                "it is of schema version {}; Pocket Pass reads versions 1 to {MAX_SCHEMA}",
                backup.schema_version
            ),
        });
    }
    let variant = |encrypted: bool| {
        format!(
            "schema {}{}",
            backup.schema_version,
            if encrypted { ", encrypted" } else { "" }
        )
    };
    let Some(encrypted) = &backup.services_encrypted else {
        let entries = json::entries(FORMAT, &backup.services, convert)?;
        return file(FORMAT, variant(false), false, entries);
    };
    let password = need(FORMAT, password)?;
    let services = sealed(encrypted)?;
    let key = crypto::pbkdf2(FORMAT, Prf::Sha256, password, &services.salt, ITERATIONS)?;
    let reference_opens = match &backup.reference {
        Some(text) => {
            let reference = sealed(text)?;
            let reference_key: Key = if reference.salt == services.salt {
                key.clone()
            } else {
                crypto::pbkdf2(FORMAT, Prf::Sha256, password, &reference.salt, ITERATIONS)?
            };
            Some(
                crypto::aes_gcm_open(&reference_key, &reference.iv, &reference.data, &[]).is_some(),
            )
        }
        None => None,
    };
    if reference_opens == Some(false) {
        return Err(TransferError::WrongPassword {
            format: FORMAT,
            can_be_damage: false,
        });
    }
    let plaintext: Zeroizing<Vec<u8>> =
        crypto::aes_gcm_open(&key, &services.iv, &services.data, &[]).ok_or(
            match reference_opens {
                Some(true) => damaged(
                    FORMAT,
                    "the password is right but the services do not match their checksum",
                ),
                _ => TransferError::WrongPassword {
                    format: FORMAT,
                    can_be_damage: true,
                },
            },
        )?;
    let list: Vec<&RawValue> = json::parse(FORMAT, &plaintext)?;
    let entries = json::entries(FORMAT, &list, convert)?;
    file(FORMAT, variant(true), true, entries)
}

fn nonempty(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

fn convert(service: Service) -> Result<Account, Problem> {
    let otp = service.otp.unwrap_or_default();
    let issuer = nonempty(otp.issuer)
        .or_else(|| nonempty(service.name.clone()))
        .unwrap_or_default();
    // The label is "Issuer:account" when the key came from a link.
    let name = nonempty(otp.account)
        .or_else(|| {
            nonempty(otp.label).map(|l| match l.split_once(':') {
                Some((_, account)) => account.trim().to_owned(),
                None => l,
            })
        })
        .unwrap_or_default();
    let label = json::label(&issuer, &name);
    let kind = match otp
        .token_type
        .as_deref()
        .unwrap_or("TOTP")
        .to_ascii_uppercase()
        .as_str()
    {
        "TOTP" => json::totp(&label, otp.period.0)?,
        "HOTP" => json::hotp(&label, otp.counter.0)?,
        "STEAM" => Kind::Steam,
        other => return Err(json::unsupported_type(&label, other)),
    };
    let secret = json::base32_secret(&label, service.secret.as_str())?;
    let algorithm = json::algorithm(&label, otp.algorithm.as_deref())?;
    let digits = json::digits(&label, kind, otp.digits.0)?;
    json::account(&issuer, &name, secret, algorithm, digits, kind)
}
