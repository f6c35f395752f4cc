//! Ente Auth's encrypted exports, as Ente's `docs/auth/migration/export.md` describes them.
//!
//! `{"version": 1, "kdfParams": {"memLimit": bytes, "opsLimit": passes, "salt": base64},
//! "encryptedData": base64, "encryptionNonce": base64}`. The key is libsodium's
//! `crypto_pwhash` Argon2id (version 0x13, 1 lane) of the password with those limits; the data
//! is one libsodium secretstream message ([`super::secretstream`]) whose header is
//! `encryptionNonce`. The plaintext is `otpauth://` URIs, one a line, exactly Ente's plain
//! export, read by [`super::otpauth_list`].

use serde::Deserialize;

use super::json;
use super::secretstream::{self, HEADER_BYTES};
use super::{crypto, damaged, need, otpauth_list, Format, ImportFile, TransferError};

const FORMAT: Format = Format::EnteAuth;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Export {
    version: i64,
    kdf_params: KdfParams,
    encrypted_data: String,
    encryption_nonce: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KdfParams {
    mem_limit: u64,
    ops_limit: u64,
    salt: String,
}

pub(crate) fn read(bytes: &[u8], password: Option<&[u8]>) -> Result<ImportFile, TransferError> {
    let export: Export = json::parse(FORMAT, bytes)?;
    if export.version != 1 {
        return Err(TransferError::Unsupported {
            format: FORMAT,
            reason: format!(
                "it is of version {}; Pocket Pass reads version 1",
                export.version
            ),
        });
    }
    let salt = json::base64(&export.kdf_params.salt)
        .ok_or_else(|| damaged(FORMAT, "its salt is not base64"))?;
    let header: [u8; HEADER_BYTES] = json::base64(&export.encryption_nonce)
        .and_then(|h| h.try_into().ok())
        .ok_or_else(|| damaged(FORMAT, "its nonce is not 24 bytes of base64"))?;
    let sealed = json::base64(&export.encrypted_data)
        .ok_or_else(|| damaged(FORMAT, "its data is not base64"))?;
    // Checked before asking for the password, so a hostile file is refused at once.
    let memory_kib = export.kdf_params.mem_limit / 1024;
    crypto::check_argon2(FORMAT, memory_kib, export.kdf_params.ops_limit, 1)?;
    let password = need(FORMAT, password)?;
    let key = crypto::argon2id(
        FORMAT,
        password,
        &salt,
        memory_kib,
        export.kdf_params.ops_limit,
        1,
    )?;
    let mut stream = secretstream::State::new(&key, &header);
    let (plain, _tag) = stream
        .pull(&sealed, &[])
        .ok_or(TransferError::WrongPassword {
            format: FORMAT,
            can_be_damage: true,
        })?;
    let text =
        std::str::from_utf8(&plain).map_err(|_| damaged(FORMAT, "its content is not text"))?;
    let mut file = otpauth_list::read(text)?;
    file.format = FORMAT;
    file.variant = "encrypted".into();
    file.encrypted = true;
    Ok(file)
}
