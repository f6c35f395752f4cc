//! Aegis vaults, plain and encrypted, as `docs/vault.md` in Aegis' repository describes them.
//!
//! `{"version": 1, "header": {"slots": [...], "params": {"nonce", "tag"}}, "db": ...}`: in a plain
//! vault `slots` and `params` are null and `db` is the content object; in an encrypted one `db`
//! is the base64 AES-256-GCM ciphertext of that object under a random master key, whose tag is
//! `params.tag`. Each password slot holds the master key encrypted (AES-256-GCM, `key_params`)
//! under scrypt(password, `salt`, `n`, `r`, `p`). A wrong password fails every slot; a slot that
//! opens but content that does not is damage, told apart.

use serde::Deserialize;
use serde_json::value::RawValue;
use zeroize::Zeroizing;

use super::crypto::{self, Key};
use super::json::{self, Num, Problem, ZString};
use super::{damaged, file, need, Format, ImportFile, TransferError};
use crate::otp::{Account, Kind};

const FORMAT: Format = Format::Aegis;
/// Password slots; raw (0) and biometric (2) slots need a key we do not have.
const SLOT_PASSWORD: i64 = 1;

#[derive(Deserialize)]
struct Vault<'a> {
    version: i64,
    header: Header,
    #[serde(borrow)]
    db: &'a RawValue,
}

#[derive(Deserialize)]
struct Header {
    slots: Option<Vec<Slot>>,
    params: Option<Params>,
}

#[derive(Deserialize)]
struct Params {
    nonce: String,
    tag: String,
}

#[derive(Deserialize)]
struct Slot {
    #[serde(rename = "type")]
    kind: i64,
    key: String,
    key_params: Params,
    n: Option<u64>,
    r: Option<u32>,
    p: Option<u32>,
    salt: Option<String>,
}

#[derive(Deserialize)]
struct Db<'a> {
    version: i64,
    #[serde(borrow)]
    entries: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct AegisEntry {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    issuer: Option<String>,
    info: Info,
}

#[derive(Deserialize)]
struct Info {
    secret: ZString,
    #[serde(default)]
    algo: Option<String>,
    #[serde(default)]
    digits: Num,
    #[serde(default)]
    period: Num,
    #[serde(default)]
    counter: Num,
}

pub(crate) fn read(bytes: &[u8], password: Option<&[u8]>) -> Result<ImportFile, TransferError> {
    let vault: Vault = json::parse(FORMAT, bytes)?;
    if vault.version != 1 {
        return Err(TransferError::Unsupported {
            format: FORMAT,
            reason: format!(
                "it is a vault of version {}; Pocket Pass reads version 1",
                vault.version
            ),
        });
    }
    match (&vault.header.slots, &vault.header.params) {
        (None, None) => content(vault.db.get().as_bytes(), false),
        (Some(slots), Some(params)) => {
            let ciphertext: String = serde_json::from_str(vault.db.get())
                .map_err(|_| damaged(FORMAT, "its encrypted content is not text"))?;
            let password = need(FORMAT, password)?;
            let master = unlock(slots, password)?;
            let open = || -> Option<Zeroizing<Vec<u8>>> {
                let nonce = json::hex(&params.nonce)?;
                let mut sealed = json::base64(&ciphertext)?;
                sealed.extend(json::hex(&params.tag)?);
                crypto::aes_gcm_open(&master, &nonce, &sealed, &[])
            };
            let plaintext = open().ok_or_else(|| {
                damaged(
                    FORMAT,
                    "the password is right but the content does not match its checksum",
                )
            })?;
            content(&plaintext, true)
        }
        _ => Err(damaged(FORMAT, "its header is half encrypted")),
    }
}

/// The master key from the first password slot the password opens.
fn unlock(slots: &[Slot], password: &[u8]) -> Result<Key, TransferError> {
    let mut too_costly = None;
    let mut password_slots = 0;
    for slot in slots.iter().filter(|s| s.kind == SLOT_PASSWORD) {
        password_slots += 1;
        let (Some(n), Some(r), Some(p), Some(salt)) = (slot.n, slot.r, slot.p, &slot.salt) else {
            return Err(damaged(
                FORMAT,
                "a password slot lacks its scrypt parameters",
            ));
        };
        let salt = json::hex(salt).ok_or_else(|| damaged(FORMAT, "a slot's salt is not hex"))?;
        let derived = match crypto::scrypt(FORMAT, password, &salt, n, r, p) {
            Ok(key) => key,
            Err(e @ TransferError::KdfTooCostly { .. }) => {
                too_costly = Some(e);
                continue;
            }
            Err(e) => return Err(e),
        };
        let (Some(mut sealed), Some(tag), Some(nonce)) = (
            json::hex(&slot.key),
            json::hex(&slot.key_params.tag),
            json::hex(&slot.key_params.nonce),
        ) else {
            return Err(damaged(FORMAT, "a slot's key is not hex"));
        };
        sealed.extend(tag);
        if let Some(master) = crypto::aes_gcm_open(&derived, &nonce, &sealed, &[]) {
            let mut key = Zeroizing::new([0u8; 32]);
            if master.len() != 32 {
                return Err(damaged(FORMAT, "a slot holds a key of the wrong length"));
            }
            key.copy_from_slice(&master);
            return Ok(key);
        }
    }
    if let Some(e) = too_costly {
        return Err(e);
    }
    if password_slots == 0 {
        return Err(TransferError::Unsupported {
            format: FORMAT,
            reason: "it has no password slot (it opens only with the fingerprint of the phone that made it); export it from Aegis with a password".into(),
        });
    }
    Err(TransferError::WrongPassword {
        format: FORMAT,
        can_be_damage: false,
    })
}

fn content(bytes: &[u8], encrypted: bool) -> Result<ImportFile, TransferError> {
    let db: Db = json::parse(FORMAT, bytes)?;
    if !(1..=3).contains(&db.version) {
        return Err(TransferError::Unsupported {
            format: FORMAT,
            reason: format!(
                "its content is of version {}; Pocket Pass reads versions 1 to 3",
                db.version
            ),
        });
    }
    let entries = json::entries(FORMAT, &db.entries, convert)?;
    file(
        FORMAT,
        if encrypted { "encrypted" } else { "plain" },
        encrypted,
        entries,
    )
}

fn convert(entry: AegisEntry) -> Result<Account, Problem> {
    let issuer = entry.issuer.unwrap_or_default();
    let name = entry.name.unwrap_or_default();
    let label = json::label(&issuer, &name);
    let info = entry.info;
    let kind = match entry.kind.to_ascii_lowercase().as_str() {
        "totp" => json::totp(&label, info.period.0)?,
        "hotp" => json::hotp(&label, info.counter.0)?,
        "steam" => Kind::Steam,
        other => return Err(json::unsupported_type(&label, other)),
    };
    let secret = json::base32_secret(&label, info.secret.as_str())?;
    let algorithm = json::algorithm(&label, info.algo.as_deref())?;
    let digits = json::digits(&label, kind, info.digits.0)?;
    json::account(&issuer, &name, secret, algorithm, digits, kind)
}
