//! Aegis vaults (version 1, content version 3), as Aegis' `docs/vault.md` describes them, so
//! the file opens in Aegis and in any tool written from that document.

use serde::Serialize;
use zeroize::Zeroizing;

use crate::otp::{Account, Kind};
use crate::transfer::crypto::{aes_gcm_seal, random, scrypt};
use crate::transfer::{Format, TransferError};
use crate::vault::Password;

/// scrypt's cost in exported vaults: N = 2^15, r = 8, p = 1, Aegis' own parameters.
pub const AEGIS_SCRYPT_LOG_N: u8 = 15;

#[derive(Serialize)]
struct Vault<'a, D: Serialize> {
    version: u32,
    header: Header<'a>,
    db: D,
}

#[derive(Serialize)]
struct Header<'a> {
    slots: Option<Vec<Slot<'a>>>,
    params: Option<Params>,
}

#[derive(Serialize)]
struct Params {
    nonce: String,
    tag: String,
}

#[derive(Serialize)]
struct Slot<'a> {
    #[serde(rename = "type")]
    kind: u32,
    uuid: &'a str,
    key: String,
    key_params: Params,
    n: u64,
    r: u32,
    p: u32,
    salt: String,
    repaired: bool,
    is_backup: bool,
}

#[derive(Serialize)]
struct Db<'a> {
    version: u32,
    entries: Vec<DbEntry<'a>>,
    groups: Vec<()>,
}

#[derive(Serialize)]
struct DbEntry<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    uuid: String,
    name: &'a str,
    issuer: &'a str,
    note: &'static str,
    favorite: bool,
    icon: Option<()>,
    info: Info<'a>,
    groups: Vec<()>,
}

#[derive(Serialize)]
struct Info<'a> {
    secret: &'a str,
    algo: &'static str,
    digits: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    period: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    counter: Option<u64>,
}

fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

fn uuid() -> Result<String, TransferError> {
    let mut b = [0u8; 16];
    random(&mut b)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}

/// The content JSON, serialised into zeroized memory.
fn content(accounts: &[Account]) -> Result<Zeroizing<Vec<u8>>, TransferError> {
    let secrets: Vec<Zeroizing<String>> = accounts.iter().map(|a| a.secret.to_base32()).collect();
    let mut entries = Vec::with_capacity(accounts.len());
    for (account, secret) in accounts.iter().zip(&secrets) {
        let (kind, period, counter) = match account.kind {
            Kind::Totp { period } => ("totp", Some(period), None),
            Kind::Hotp { counter } => ("hotp", None, Some(counter)),
            Kind::Steam => ("steam", Some(30), None),
        };
        entries.push(DbEntry {
            kind,
            uuid: uuid()?,
            name: &account.name,
            issuer: account.issuer.as_deref().unwrap_or(""),
            note: "",
            favorite: false,
            icon: None,
            info: Info {
                secret,
                algo: account.algorithm.as_str(),
                digits: account.digits,
                period,
                counter,
            },
            groups: Vec::new(),
        });
    }
    let db = Db {
        version: 3,
        entries,
        groups: Vec::new(),
    };
    // Reserved generously up front: a reallocation would leave a copy of the keys behind.
    let mut out = Zeroizing::new(Vec::with_capacity(1024 + 1024 * accounts.len()));
    serde_json::to_writer(&mut *out, &db)
        .map_err(|_| TransferError::Export("the vault could not be serialised".into()))?;
    Ok(out)
}

/// An encrypted Aegis vault of `accounts` under `password` (which must meet the backup
/// password rule): a random master key seals the content with AES-256-GCM, one password slot
/// seals the master key under scrypt (N = 2^15, r = 8, p = 1) of the password.
pub fn aegis(accounts: &[Account], password: &Password) -> Result<Vec<u8>, TransferError> {
    password
        .check()
        .map_err(|e| TransferError::Export(e.to_string()))?;
    let mut master = Zeroizing::new([0u8; 32]);
    let mut salt = [0u8; 32];
    let (mut slot_nonce, mut db_nonce) = ([0u8; 12], [0u8; 12]);
    random(&mut master[..])?;
    random(&mut salt)?;
    random(&mut slot_nonce)?;
    random(&mut db_nonce)?;
    let n = 1u64 << AEGIS_SCRYPT_LOG_N;
    let derived = scrypt(Format::Aegis, password.as_bytes(), &salt, n, 8, 1)?;
    let wrapped = aes_gcm_seal(&derived, &slot_nonce, &master[..], &[])?;
    let plaintext = content(accounts)?;
    let sealed = aes_gcm_seal(&master, &db_nonce, &plaintext, &[])?;
    let (ciphertext, tag) = sealed.split_at(sealed.len() - 16);
    let (key, key_tag) = wrapped.split_at(wrapped.len() - 16);
    let slot_uuid = uuid()?;
    let vault = Vault {
        version: 1,
        header: Header {
            slots: Some(vec![Slot {
                kind: 1,
                uuid: &slot_uuid,
                key: hex(key),
                key_params: Params {
                    nonce: hex(&slot_nonce),
                    tag: hex(key_tag),
                },
                n,
                r: 8,
                p: 1,
                salt: hex(&salt),
                repaired: true,
                is_backup: false,
            }]),
            params: Some(Params {
                nonce: hex(&db_nonce),
                tag: hex(tag),
            }),
        },
        db: data_encoding::BASE64.encode(ciphertext),
    };
    serde_json::to_vec_pretty(&vault)
        .map_err(|_| TransferError::Export("the vault could not be serialised".into()))
}

/// An **unencrypted** Aegis vault: every key readable by anyone holding the file. Only for a
/// user who asked for it explicitly (Aegis itself offers the same choice).
pub fn aegis_unencrypted(accounts: &[Account]) -> Result<Zeroizing<Vec<u8>>, TransferError> {
    let plaintext = content(accounts)?;
    let db: &serde_json::value::RawValue = serde_json::from_slice(&plaintext)
        .map_err(|_| TransferError::Export("the vault could not be serialised".into()))?;
    let vault = Vault {
        version: 1,
        header: Header {
            slots: None,
            params: None,
        },
        db,
    };
    let mut out = Zeroizing::new(Vec::with_capacity(4 * plaintext.len() + 1024));
    serde_json::to_writer_pretty(&mut *out, &vault)
        .map_err(|_| TransferError::Export("the vault could not be serialised".into()))?;
    Ok(out)
}
