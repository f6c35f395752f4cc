//! The key derivations and ciphers foreign exports use, with the bounds that keep a hostile
//! file from making us run them at any cost it likes.
//!
//! Every derivation checks the file's parameters against the limits below *before* it runs,
//! and refuses with [`TransferError::KdfTooCostly`]. The limits sit well above what any of the
//! apps writes (`docs/transfer-formats.md` lists both) and well below what would exhaust a
//! phone's memory or hang the app for minutes.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use zeroize::Zeroizing;

use super::{Format, TransferError};

/// The most memory scrypt may use, 128·r·N bytes: 256 MiB. Aegis uses N = 2^15, r = 8
/// (32 MiB); the limit lets N reach 2^18 at r = 8.
pub const SCRYPT_MAX_MEMORY_BYTES: u64 = 256 << 20;
/// The most parallel scrypt lanes (`p`), each of which repeats the whole cost. Aegis uses 1.
pub const SCRYPT_MAX_P: u32 = 4;
/// The most PBKDF2 iterations. andOTP picks 140,000–160,000, 2FAS 10,000, Authenticator Pro's
/// legacy format 64,000; Pocket Pass' own vault 600,000.
pub const PBKDF2_MAX_ITERATIONS: u32 = 5_000_000;
/// The most memory Argon2 may use: 256 MiB (262,144 KiB). Ente's exports use up to this,
/// Authenticator Pro 64 MiB, Proton 19 MiB.
pub const ARGON2_MAX_MEMORY_KIB: u32 = 256 * 1024;
/// The most Argon2 work, memory (KiB) × passes: 4 GiB of memory passes. Ente derives with
/// libsodium's "sensitive" ladder (1 GiB × 4 passes, halving memory and doubling passes where
/// memory is short), so its files carry 256 MiB × 16, 128 MiB × 32, ...; all stay within this.
pub const ARGON2_MAX_WORK_KIB: u64 = 4 * 1024 * 1024;
/// The most Argon2 lanes.
pub const ARGON2_MAX_LANES: u32 = 8;

/// A 256-bit key derived from a password; zeroized on drop.
pub(crate) type Key = Zeroizing<[u8; 32]>;

fn too_costly(format: Format, asked: String, limit: String) -> TransferError {
    TransferError::KdfTooCostly {
        format,
        asked,
        limit,
    }
}

fn damaged(format: Format, reason: &str) -> TransferError {
    TransferError::Damaged {
        format,
        reason: reason.to_owned(),
    }
}

/// Checks scrypt parameters against the limits; `n` is the cost itself (a power of two).
pub(crate) fn check_scrypt(format: Format, n: u64, r: u32, p: u32) -> Result<u8, TransferError> {
    if n < 2 || !n.is_power_of_two() || r == 0 || p == 0 {
        return Err(damaged(format, "its scrypt parameters are not valid"));
    }
    let memory = 128u64.saturating_mul(u64::from(r)).saturating_mul(n);
    if memory > SCRYPT_MAX_MEMORY_BYTES || p > SCRYPT_MAX_P {
        return Err(too_costly(
            format,
            format!(
                "scrypt with N = {n}, r = {r}, p = {p} ({} MiB)",
                memory >> 20
            ),
            format!(
                "{} MiB and p ≤ {SCRYPT_MAX_P}",
                SCRYPT_MAX_MEMORY_BYTES >> 20
            ),
        ));
    }
    Ok(n.trailing_zeros() as u8)
}

/// True when scrypt with cost `n`, block size `r` and parallelism `p` is within the limits.
pub fn scrypt_allowed(n: u64, r: u32, p: u32) -> bool {
    check_scrypt(Format::Aegis, n, r, p).is_ok()
}

/// True when Argon2 with `memory_kib`, `passes` and `lanes` is within the limits.
pub fn argon2_allowed(memory_kib: u64, passes: u64, lanes: u32) -> bool {
    check_argon2(Format::EnteAuth, memory_kib, passes, lanes).is_ok()
}

/// scrypt, after [`check_scrypt`].
pub(crate) fn scrypt(
    format: Format,
    password: &[u8],
    salt: &[u8],
    n: u64,
    r: u32,
    p: u32,
) -> Result<Key, TransferError> {
    let log_n = check_scrypt(format, n, r, p)?;
    let params = scrypt::Params::new(log_n, r, p)
        .map_err(|_| damaged(format, "its scrypt parameters are not valid"))?;
    let mut key = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(password, salt, &params, &mut key[..])
        .map_err(|_| damaged(format, "its scrypt parameters are not valid"))?;
    Ok(key)
}

/// Checks a PBKDF2 iteration count against the limit.
pub(crate) fn check_pbkdf2(format: Format, iterations: u64) -> Result<u32, TransferError> {
    if iterations == 0 {
        return Err(damaged(format, "its key derivation asks for 0 iterations"));
    }
    match u32::try_from(iterations) {
        Ok(i) if i <= PBKDF2_MAX_ITERATIONS => Ok(i),
        _ => Err(too_costly(
            format,
            format!("PBKDF2 with {iterations} iterations"),
            format!("{PBKDF2_MAX_ITERATIONS} iterations"),
        )),
    }
}

/// The hash under PBKDF2's HMAC.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Prf {
    /// HMAC-SHA1 (andOTP, Authenticator Pro's legacy backups).
    Sha1,
    /// HMAC-SHA256 (2FAS).
    Sha256,
}

/// PBKDF2, after [`check_pbkdf2`].
pub(crate) fn pbkdf2(
    format: Format,
    prf: Prf,
    password: &[u8],
    salt: &[u8],
    iterations: u64,
) -> Result<Key, TransferError> {
    let iterations = check_pbkdf2(format, iterations)?;
    let mut key = Zeroizing::new([0u8; 32]);
    match prf {
        Prf::Sha1 => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password, salt, iterations, &mut key[..]),
        Prf::Sha256 => {
            pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, iterations, &mut key[..])
        }
    }
    Ok(key)
}

/// Checks Argon2 parameters (memory in KiB, passes, lanes) against the limits.
pub(crate) fn check_argon2(
    format: Format,
    memory_kib: u64,
    passes: u64,
    lanes: u32,
) -> Result<(), TransferError> {
    if memory_kib == 0 || passes == 0 || lanes == 0 {
        return Err(damaged(format, "its Argon2 parameters are not valid"));
    }
    let work = memory_kib.saturating_mul(passes);
    if memory_kib > u64::from(ARGON2_MAX_MEMORY_KIB)
        || work > ARGON2_MAX_WORK_KIB
        || lanes > ARGON2_MAX_LANES
    {
        return Err(too_costly(
            format,
            format!(
                "Argon2id with {} MiB, {passes} passes and {lanes} lanes",
                memory_kib >> 10
            ),
            format!(
                "{} MiB, memory × passes ≤ {} GiB, {ARGON2_MAX_LANES} lanes",
                ARGON2_MAX_MEMORY_KIB >> 10,
                ARGON2_MAX_WORK_KIB >> 20
            ),
        ));
    }
    Ok(())
}

/// Argon2id (version 0x13), after [`check_argon2`].
pub(crate) fn argon2id(
    format: Format,
    password: &[u8],
    salt: &[u8],
    memory_kib: u64,
    passes: u64,
    lanes: u32,
) -> Result<Key, TransferError> {
    check_argon2(format, memory_kib, passes, lanes)?;
    let invalid = || damaged(format, "its Argon2 parameters are not valid");
    let params = argon2::Params::new(
        u32::try_from(memory_kib).map_err(|_| invalid())?,
        u32::try_from(passes).map_err(|_| invalid())?,
        lanes,
        Some(32),
    )
    .map_err(|_| invalid())?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(password, salt, &mut key[..])
        .map_err(|_| invalid())?;
    Ok(key)
}

/// The SHA-256 of the password, as andOTP's old backups use for a key. Not a KDF at all;
/// read for compatibility only, never written.
pub(crate) fn sha256_key(password: &[u8]) -> Key {
    use sha2::Digest;
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(&sha2::Sha256::digest(password));
    key
}

/// AES-256-GCM decryption of `ciphertext` (tag appended) with a 96-bit nonce; `None` when the
/// tag does not match (wrong key or damaged data).
pub(crate) fn aes_gcm_open(
    key: &[u8; 32],
    nonce: &[u8],
    ciphertext: &[u8],
    aad: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    let nonce: [u8; 12] = nonce.try_into().ok()?;
    let cipher = Aes256Gcm::new_from_slice(key).ok()?;
    cipher
        .decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .ok()
        .map(Zeroizing::new)
}

/// AES-256-GCM encryption; the tag is appended to the returned ciphertext.
pub(crate) fn aes_gcm_seal(
    key: &[u8; 32],
    nonce: &[u8; 12],
    plaintext: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, TransferError> {
    let cipher = Aes256Gcm::new_from_slice(key)
        .map_err(|_| TransferError::Export("the cipher could not be set up".into()))?;
    cipher
        .encrypt(
            &Nonce::from(*nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| TransferError::Export("encryption failed".into()))
}

/// AES-256-CBC decryption with PKCS#7 padding; `None` when the padding is wrong (most often a
/// wrong key: CBC has no tag).
pub(crate) fn aes_cbc_open(
    key: &[u8; 32],
    iv: &[u8],
    ciphertext: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    use cbc::cipher::{block_padding::Pkcs7, BlockModeDecrypt, KeyIvInit};
    let iv: [u8; 16] = iv.try_into().ok()?;
    if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(16) {
        return None;
    }
    let decryptor = cbc::Decryptor::<aes::Aes256>::new_from_slices(key, &iv).ok()?;
    let mut buffer = Zeroizing::new(ciphertext.to_vec());
    let len = decryptor.decrypt_padded::<Pkcs7>(&mut buffer).ok()?.len();
    buffer.truncate(len);
    Some(buffer)
}

/// Fills `bytes` from the system's random source.
pub(crate) fn random(bytes: &mut [u8]) -> Result<(), TransferError> {
    getrandom::fill(bytes)
        .map_err(|_| TransferError::Export("the system gave no random numbers".into()))
}
