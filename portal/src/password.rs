//! Password hashing with argon2id, off the async threads and bounded in parallelism.
//!
//! The portal's parameters are argon2's defaults, which follow OWASP's recommendation for
//! argon2id: 19 MiB of memory, 2 passes, 1 lane. Each hash runs on tokio's blocking pool, and a
//! semaphore lets only as many run at once as there are CPU cores: more would not finish sooner,
//! only multiply memory (19 MiB each) and spread latency. The semaphore guards hashing alone; no
//! database lock or session lock is ever held across a hash.

use std::sync::Arc;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;
use zeroize::Zeroizing;

use crate::error::StoreError;

/// A password typed by a user; zeroized on drop and never printed.
#[derive(Clone)]
pub struct Password(Zeroizing<String>);

impl Password {
    /// Wraps a password.
    pub fn new(s: String) -> Self {
        Password(Zeroizing::new(s))
    }

    /// The password text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl<'de> serde::Deserialize<'de> for Password {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Password::new)
    }
}

/// The argon2id hasher the portal uses everywhere.
pub fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// Hashes a password to a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`) on this thread.
pub fn hash_blocking(pw: &Password) -> Result<String, StoreError> {
    argon2()
        .hash_password(pw.expose().as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Hash(e.to_string()))
}

/// Checks a password against a PHC string on this thread.
pub fn verify_blocking(pw: &Password, phc: &str) -> Result<bool, StoreError> {
    let parsed = PasswordHash::new(phc).map_err(|e| StoreError::Hash(e.to_string()))?;
    Ok(argon2()
        .verify_password(pw.expose().as_bytes(), &parsed)
        .is_ok())
}

/// Runs password hashes on the blocking pool, at most one per CPU core at a time.
#[derive(Debug, Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    /// A hash of a random password, checked when the username is unknown so that an unknown
    /// user takes as long to refuse as a wrong password.
    dummy: Arc<str>,
}

impl Hasher {
    /// A hasher allowing `parallel` simultaneous hashes (at least 1).
    pub fn new(parallel: usize) -> Result<Self, StoreError> {
        let dummy_pw = Password::new(crate::crypto::random_id()?);
        Ok(Hasher {
            permits: Arc::new(Semaphore::new(parallel.max(1))),
            dummy: hash_blocking(&dummy_pw)?.into(),
        })
    }

    /// A hasher sized to the machine's CPU cores.
    pub fn for_this_machine() -> Result<Self, StoreError> {
        Self::new(
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
        )
    }

    /// Hashes `pw` for storage.
    pub async fn hash(&self, pw: Password) -> Result<String, StoreError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?;
        tokio::task::spawn_blocking(move || hash_blocking(&pw))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Checks `pw` against `phc`; with `None` (unknown user) it checks a dummy hash and
    /// returns `false`, taking the same time.
    pub async fn verify(&self, pw: Password, phc: Option<String>) -> Result<bool, StoreError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?;
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| self.dummy.to_string());
        let ok = tokio::task::spawn_blocking(move || verify_blocking(&pw, &phc))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))??;
        Ok(ok && known)
    }
}

/// Checks a new password against the portal's rules; the error is shown to the user.
pub fn check_new_password(pw: &str, username: &str, min_len: usize) -> Result<(), String> {
    let n = pw.chars().count();
    if n < min_len {
        return Err(format!(
            "The new password must have at least {min_len} characters."
        ));
    }
    if n > 256 {
        return Err("The new password must have at most 256 characters.".to_owned());
    }
    if pw.trim() != pw {
        return Err("The new password must not start or end with a space.".to_owned());
    }
    if !username.is_empty() && pw.to_lowercase().contains(&username.to_lowercase()) {
        return Err("The new password must not contain your username.".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let pw = Password::new("correct horse battery".into());
        let h = hash_blocking(&pw).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_blocking(&pw, &h).unwrap());
        assert!(!verify_blocking(&Password::new("wrong".into()), &h).unwrap());
        assert!(verify_blocking(&pw, "not a hash").is_err());
        assert!(!format!("{pw:?}").contains("horse"));
    }

    #[test]
    fn password_rules() {
        assert!(check_new_password("short", "alice", 12).is_err());
        assert!(check_new_password("alice-is-great-123", "alice", 12).is_err());
        assert!(check_new_password(" leading space pw", "bob", 12).is_err());
        assert!(check_new_password("a fine long password", "bob", 12).is_ok());
    }
}
