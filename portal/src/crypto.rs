//! Randomness and the server key that encrypts token secrets at rest.
//!
//! Token secrets are stored as AES-256-GCM ciphertext under a 256-bit server key. The key lives
//! in a file beside the database (`<db>.key`, mode 0600, created on first start), so a copied
//! database alone does not reveal anyone's key. A key file that others can read is refused, and
//! a missing one is replaced only while the database holds no token that needs it. Each secret gets a fresh 96-bit nonce and the
//! token's owner id as associated data, so a ciphertext moved to another user's row fails to
//! decrypt instead of working there.

use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key};
use zeroize::{Zeroize, Zeroizing};

use crate::error::StoreError;

/// Fills `buf` with bytes from the operating system's secure random generator.
pub fn random_bytes(buf: &mut [u8]) -> Result<(), StoreError> {
    getrandom::fill(buf).map_err(|e| StoreError::Random(e.to_string()))
}

/// A random identifier of 128 bits as 32 lowercase hex digits (session ids, CSRF tokens).
pub fn random_id() -> Result<String, StoreError> {
    let mut b = [0u8; 16];
    random_bytes(&mut b)?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// A uniformly random string of `n` decimal digits (SMS codes).
pub fn random_digits(n: usize) -> Result<Zeroizing<String>, StoreError> {
    let mut out = Zeroizing::new(String::with_capacity(n));
    while out.len() < n {
        let mut b = [0u8; 1];
        random_bytes(&mut b)?;
        // Rejection sampling: 250 is the largest multiple of 10 below 256, so every digit is
        // equally likely.
        if b[0] < 250 {
            out.push(char::from(b'0' + b[0] % 10));
        }
    }
    Ok(out)
}

/// A token's shared secret in raw bytes; zeroized on drop and never printed.
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Wraps raw secret bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        SecretBytes(Zeroizing::new(bytes))
    }

    /// A fresh random secret of `len` bytes (the portal issues 20 bytes = 160 bits).
    pub fn generate(len: usize) -> Result<Self, StoreError> {
        let mut v = vec![0u8; len];
        random_bytes(&mut v)?;
        Ok(SecretBytes::new(v))
    }

    /// The raw bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBytes(<redacted>)")
    }
}

/// The key that encrypts token secrets in the database.
pub struct ServerKey {
    cipher: Aes256Gcm,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerKey")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;

impl ServerKey {
    /// A key that lives only in memory (for `--db :memory:` and tests).
    pub fn ephemeral() -> Result<Self, StoreError> {
        let mut k = Zeroizing::new([0u8; KEY_LEN]);
        random_bytes(&mut k[..])?;
        Ok(Self::from_bytes(&k, None))
    }

    /// Reads the key file at `path`, or creates it (mode 0600) with a fresh key when missing
    /// and the database `db` holds no usable token (`tokens` of them need this key: a new key
    /// could not read them, so then the missing file is an error telling to restore it). A key
    /// file with any group or other permission is refused.
    pub fn load_or_create(path: &Path, db: &Path, tokens: u64) -> Result<Self, StoreError> {
        let key_err = |e: std::io::Error| StoreError::KeyFile {
            path: path.to_owned(),
            reason: e.to_string(),
        };
        match std::fs::read(path) {
            Ok(mut bytes) => {
                if bytes.len() != KEY_LEN {
                    let n = bytes.len();
                    bytes.zeroize();
                    return Err(StoreError::KeyFile {
                        path: path.to_owned(),
                        reason: format!("it holds {n} bytes, a server key has {KEY_LEN}"),
                    });
                }
                let mut k = Zeroizing::new([0u8; KEY_LEN]);
                k.copy_from_slice(&bytes);
                bytes.zeroize();
                refuse_if_exposed(path)?;
                Ok(Self::from_bytes(&k, Some(path.to_owned())))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && tokens > 0 => {
                Err(StoreError::KeyMissing {
                    path: path.to_owned(),
                    db: db.to_owned(),
                    tokens,
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut k = Zeroizing::new([0u8; KEY_LEN]);
                random_bytes(&mut k[..])?;
                write_private_file(path, &k[..]).map_err(key_err)?;
                Ok(Self::from_bytes(&k, Some(path.to_owned())))
            }
            Err(e) => Err(key_err(e)),
        }
    }

    fn from_bytes(k: &[u8; KEY_LEN], path: Option<PathBuf>) -> Self {
        let key = Key::<Aes256Gcm>::from(*k);
        ServerKey {
            cipher: Aes256Gcm::new(&key),
            path,
        }
    }

    /// Encrypts a token secret for the row of user `owner`; returns nonce ‖ ciphertext ‖ tag.
    pub fn seal(&self, owner: i64, secret: &SecretBytes) -> Result<Vec<u8>, StoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        random_bytes(&mut nonce)?;
        let aad = owner.to_be_bytes();
        let ct = self
            .cipher
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: secret.expose(),
                    aad: &aad,
                },
            )
            .map_err(|_| StoreError::Crypto)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Decrypts what [`ServerKey::seal`] produced for the same `owner`.
    pub fn open(&self, owner: i64, sealed: &[u8]) -> Result<SecretBytes, StoreError> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err(StoreError::Crypto);
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| StoreError::Crypto)?;
        let aad = owner.to_be_bytes();
        let pt = self
            .cipher
            .decrypt(&nonce.into(), Payload { msg: ct, aad: &aad })
            .map_err(|_| StoreError::Crypto)?;
        Ok(SecretBytes::new(pt))
    }
}

/// Refuses a key file that its group or others may read or write: the key would be disclosed
/// (or replaceable) to other users of the machine.
fn refuse_if_exposed(path: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| StoreError::KeyFile {
                path: path.to_owned(),
                reason: e.to_string(),
            })?
            .permissions()
            .mode()
            & 0o777;
        if mode & 0o077 != 0 {
            return Err(StoreError::KeyExposed {
                path: path.to_owned(),
                mode,
            });
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Creates `path` with owner-only permissions and writes `bytes` durably.
fn write_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secret_opens_only_for_its_owner() {
        let key = ServerKey::ephemeral().unwrap();
        let s = SecretBytes::new(b"12345678901234567890".to_vec());
        let sealed = key.seal(7, &s).unwrap();
        assert_eq!(key.open(7, &sealed).unwrap().expose(), s.expose());
        assert!(matches!(key.open(8, &sealed), Err(StoreError::Crypto)));
        let mut flipped = sealed.clone();
        flipped[20] ^= 1;
        assert!(matches!(key.open(7, &flipped), Err(StoreError::Crypto)));
    }

    #[test]
    fn digits_are_digits_and_debug_hides_secrets() {
        let d = random_digits(6).unwrap();
        assert_eq!(d.len(), 6);
        assert!(d.chars().all(|c| c.is_ascii_digit()));
        let s = SecretBytes::new(b"topsecret".to_vec());
        assert!(!format!("{s:?}").contains("topsecret"));
    }

    #[cfg(unix)]
    #[test]
    fn key_file_is_private_and_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("db.key");
        let db = dir.path().join("db");
        let k1 = ServerKey::load_or_create(&p, &db, 0).unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let sealed = k1.seal(1, &SecretBytes::new(vec![1, 2, 3])).unwrap();
        let k2 = ServerKey::load_or_create(&p, &db, 1).unwrap();
        assert_eq!(k2.open(1, &sealed).unwrap().expose(), &[1, 2, 3]);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            ServerKey::load_or_create(&p, &db, 1),
            Err(StoreError::KeyExposed { mode: 0o644, .. })
        ));
        std::fs::write(&p, b"short").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(
            ServerKey::load_or_create(&p, &db, 1),
            Err(StoreError::KeyFile { .. })
        ));
        std::fs::remove_file(&p).unwrap();
        assert!(matches!(
            ServerKey::load_or_create(&p, &db, 2),
            Err(StoreError::KeyMissing { tokens: 2, .. })
        ));
        assert!(!p.exists(), "no key was made for a database with tokens");
    }
}
