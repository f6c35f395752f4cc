//! The file format shared by the vault and encrypted backups (see `docs/vault-format.md`).
//!
//! ```text
//! offset size  field
//!  0      8    magic "PKTPASS\0"
//!  8      2    format version, u16 little-endian (1)
//! 10      1    kind: 1 vault (PIN), 2 backup (password)
//! 11      1    KDF: 1 PBKDF2-HMAC-SHA256
//! 12      4    KDF iterations, u32 little-endian
//! 16     16    salt (random per vault, per PIN change, per backup)
//! 32     12    AES-256-GCM nonce (random per save)
//! 44      4    ciphertext length n, u32 little-endian
//! 48      n    AES-256-GCM ciphertext of the JSON payload, 16-byte tag included
//! 48+n   32    SHA-256 of bytes 0 .. 48+n
//! ```
//!
//! Bytes 0..48 (the header) are the AEAD's associated data, so the version and KDF parameters
//! cannot be changed without the key. The trailing SHA-256 is unkeyed: it tells a damaged or
//! edited file ("integrity check failed") from a wrong PIN (the checksum holds, GCM fails).
//! Authenticity comes from GCM alone; the checksum only sorts damage from wrong PINs.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::VaultError;

/// The first bytes of every vault and backup file.
pub const MAGIC: &[u8; 8] = b"PKTPASS\0";
/// The format version this build writes and the newest it reads.
pub const FORMAT_VERSION: u16 = 1;
/// PBKDF2 iterations for new vaults and backups: OWASP's 2023 figure for PBKDF2-HMAC-SHA256.
pub const DEFAULT_ITERATIONS: u32 = 600_000;
/// The fewest iterations a file may ask for: what this version writes. A file asking for fewer
/// was not written by Pocket Pass (only tests make such files, through
/// [`KdfCost::insecure_for_tests`]).
pub const MIN_ITERATIONS: u32 = DEFAULT_ITERATIONS;
/// The most iterations a file may ask for: a little over three times what this version writes,
/// about 0.5 s on a desktop core, so a later version may raise the cost somewhat without older
/// ones calling its files damaged, while a crafted file cannot make each try take minutes. A
/// version that raises the cost further raises the format version too.
pub const MAX_ITERATIONS: u32 = 2_000_000;
const HEADER_LEN: usize = 48;
const CHECKSUM_LEN: usize = 32;
const TAG_LEN: usize = 16;
const KDF_PBKDF2_SHA256: u8 = 1;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// The user's vault, under the PIN.
    Vault = 1,
    /// An encrypted backup, under its own password.
    Backup = 2,
}

impl FileKind {
    fn name(self) -> &'static str {
        match self {
            Self::Vault => "vault",
            Self::Backup => "backup",
        }
    }
}

/// The key-derivation parameters and salt a file was sealed with.
#[derive(Clone, PartialEq, Eq)]
pub struct KdfParams {
    /// PBKDF2 iterations.
    pub iterations: u32,
    /// The salt.
    pub salt: [u8; 16],
}

impl KdfParams {
    /// Fresh parameters: a new random salt and `iterations`.
    pub fn fresh(iterations: u32) -> Result<Self, VaultError> {
        let mut salt = [0u8; 16];
        random(&mut salt)?;
        Ok(Self { iterations, salt })
    }
}

/// The key-derivation cost a program writes new files with and the range it accepts in files it
/// reads. A file whose header asks for anything else is reported as damaged
/// ([`VaultError::UnsafeKdf`]) before any PIN is tried, so an edited header neither counts as a
/// wrong PIN nor makes a try take minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfCost {
    new: u32,
    min: u32,
    max: u32,
}

impl KdfCost {
    /// The real cost: new files get [`DEFAULT_ITERATIONS`]; files with [`MIN_ITERATIONS`] to
    /// [`MAX_ITERATIONS`] are read.
    pub const STANDARD: KdfCost = KdfCost {
        new: DEFAULT_ITERATIONS,
        min: MIN_ITERATIONS,
        max: MAX_ITERATIONS,
    };

    /// **For tests only**: new files get `iterations`, and files with as few are read. It makes
    /// every file far cheaper to attack; production code always uses [`KdfCost::STANDARD`].
    #[doc(hidden)]
    pub const fn insecure_for_tests(iterations: u32) -> Self {
        KdfCost {
            new: iterations,
            min: iterations,
            max: MAX_ITERATIONS,
        }
    }

    /// The iterations new files get.
    pub fn iterations(&self) -> u32 {
        self.new
    }

    /// Refuses parameters outside the accepted range as damage.
    pub fn check(&self, params: &KdfParams, path: &Path) -> Result<(), VaultError> {
        if (self.min..=self.max).contains(&params.iterations) {
            Ok(())
        } else {
            Err(VaultError::UnsafeKdf {
                path: path.to_owned(),
                iterations: params.iterations,
            })
        }
    }
}

impl Default for KdfCost {
    fn default() -> Self {
        Self::STANDARD
    }
}

/// An AES-256 key derived from a PIN or password. Zeroized on drop, never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct DerivedKey([u8; 32]);

impl DerivedKey {
    /// True when both keys are the same, compared in time that does not depend on where they
    /// differ.
    pub fn same_as(&self, other: &DerivedKey) -> bool {
        self.0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |d, (a, b)| d | (a ^ b))
            == 0
    }
}

/// Derives the file key from a PIN or password with PBKDF2-HMAC-SHA256.
pub fn derive_key(secret: &[u8], params: &KdfParams) -> DerivedKey {
    let mut key = DerivedKey([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<Sha256>(secret, &params.salt, params.iterations, &mut key.0);
    key
}

/// A parsed file whose checksum holds; the payload is still sealed.
pub struct Sealed<'a> {
    /// Vault or backup.
    pub kind: FileKind,
    /// The KDF parameters to derive its key with.
    pub params: KdfParams,
    header: &'a [u8],
    nonce: [u8; 12],
    ciphertext: &'a [u8],
}

/// Fills `buf` from the operating system's random source.
pub fn random(buf: &mut [u8]) -> Result<(), VaultError> {
    getrandom::fill(buf).map_err(|e| {
        VaultError::io(
            "get random bytes for",
            Path::new("the vault"),
            std::io::Error::other(e.to_string()),
        )
    })
}

/// Checks checksum, magic and version, and splits the file into its parts.
///
/// The checksum comes first: every format version, present and future, ends with a SHA-256 of
/// all bytes before it (see `docs/vault-format.md`), so any flipped byte, the version included,
/// is reported as damage, while a genuine newer file is reported as such.
pub fn parse<'a>(bytes: &'a [u8], path: &Path) -> Result<Sealed<'a>, VaultError> {
    let looks_ours =
        bytes.len() >= MAGIC.len() && bytes.iter().zip(MAGIC).filter(|(a, b)| a == b).count() >= 6;
    if !looks_ours {
        return Err(VaultError::NotAVault(path.to_owned()));
    }
    let corrupt = || VaultError::Corrupt(path.to_owned());
    if bytes.len() < 10 + CHECKSUM_LEN {
        return Err(corrupt());
    }
    let (body, checksum) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
    if Sha256::digest(body).as_slice() != checksum || &bytes[..8] != MAGIC {
        return Err(corrupt());
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    if version > FORMAT_VERSION {
        return Err(VaultError::UnsupportedVersion {
            path: path.to_owned(),
            version,
        });
    }
    if version == 0 || body.len() < HEADER_LEN + TAG_LEN {
        return Err(corrupt());
    }
    let header = &body[..HEADER_LEN];
    let kind = match header[10] {
        1 => FileKind::Vault,
        2 => FileKind::Backup,
        _ => return Err(corrupt()),
    };
    let iterations = u32::from_le_bytes(header[12..16].try_into().expect("4 bytes"));
    // The range of iterations is the reader's [`KdfCost`] to judge; zero is never valid.
    if header[11] != KDF_PBKDF2_SHA256 || iterations == 0 {
        return Err(corrupt());
    }
    let len = u32::from_le_bytes(header[44..48].try_into().expect("4 bytes")) as usize;
    let ciphertext = &body[HEADER_LEN..];
    if ciphertext.len() != len {
        return Err(corrupt());
    }
    Ok(Sealed {
        kind,
        params: KdfParams {
            iterations,
            salt: header[16..32].try_into().expect("16 bytes"),
        },
        header,
        nonce: header[32..44].try_into().expect("12 bytes"),
        ciphertext,
    })
}

impl Sealed<'_> {
    /// Refuses a file of the other kind (a backup given where the vault belongs, or vice versa).
    pub fn expect_kind(&self, kind: FileKind, path: &Path) -> Result<(), VaultError> {
        if self.kind != kind {
            return Err(VaultError::WrongKind(path.to_owned(), self.kind.name()));
        }
        Ok(())
    }

    /// Opens the payload; `None` means the key is wrong (the checksum already held).
    pub fn open(&self, key: &DerivedKey) -> Option<Zeroizing<Vec<u8>>> {
        let cipher = Aes256Gcm::new_from_slice(&key.0).expect("32-byte key");
        cipher
            .decrypt(
                &Nonce::from(self.nonce),
                Payload {
                    msg: self.ciphertext,
                    aad: self.header,
                },
            )
            .ok()
            .map(Zeroizing::new)
    }
}

/// Seals `plaintext` into a complete file with a fresh random nonce.
pub fn seal(
    kind: FileKind,
    params: &KdfParams,
    key: &DerivedKey,
    plaintext: &[u8],
) -> Result<Vec<u8>, VaultError> {
    let mut nonce = [0u8; 12];
    random(&mut nonce)?;
    let ciphertext_len = u32::try_from(plaintext.len() + TAG_LEN)
        .map_err(|_| VaultError::VerifyFailed("vault (too large)"))?;
    let mut out = Vec::with_capacity(HEADER_LEN + plaintext.len() + TAG_LEN + CHECKSUM_LEN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.push(kind as u8);
    out.push(KDF_PBKDF2_SHA256);
    out.extend_from_slice(&params.iterations.to_le_bytes());
    out.extend_from_slice(&params.salt);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext_len.to_le_bytes());
    let cipher = Aes256Gcm::new_from_slice(&key.0).expect("32-byte key");
    let ciphertext = cipher
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: plaintext,
                aad: &out[..HEADER_LEN],
            },
        )
        .map_err(|_| VaultError::VerifyFailed("vault (encryption failed)"))?;
    out.extend_from_slice(&ciphertext);
    let checksum = Sha256::digest(&out);
    out.extend_from_slice(&checksum);
    Ok(out)
}
