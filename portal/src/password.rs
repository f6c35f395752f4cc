//! Password hashing with argon2id, on dedicated threads with reused memory.
//!
//! The portal's parameters are argon2's defaults, which follow OWASP's recommendation for
//! argon2id: 19 MiB of memory, 2 passes, 1 lane. Hashes run on a small pool of dedicated threads,
//! one per CPU core: more would not finish sooner, only multiply memory and spread latency. Each
//! thread keeps its 19 MiB work area and reuses it for every verification. That matters: with
//! argon2's own per-hash allocation, glibc's malloc kept the freed 19 MiB areas of many threads
//! and the process grew by about that much per request under load (measured: 5.7 GB after 400
//! requests). The pool is the only thing requests wait for while hashing; no database or session
//! lock is ever held across a hash.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::PasswordHasher as _;
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;
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

/// The argon2id hasher the portal uses for new passwords.
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

/// Checks a password against a PHC string on this thread, using `memory` as argon2's work area
/// (grown when the stored parameters need more). Compares in constant time.
pub fn verify_with_memory(
    pw: &Password,
    phc: &str,
    memory: &mut Vec<Block>,
) -> Result<bool, StoreError> {
    let bad = |e: &dyn std::fmt::Display| StoreError::Hash(e.to_string());
    let parsed = PasswordHash::new(phc).map_err(|e| bad(&e))?;
    let algorithm = Algorithm::try_from(parsed.algorithm.as_str()).map_err(|e| bad(&e))?;
    let version = Version::try_from(parsed.version.unwrap_or(0x13)).map_err(|e| bad(&e))?;
    let params = Params::try_from(&parsed).map_err(|e| bad(&e))?;
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return Err(StoreError::Hash(
            "the stored hash has no salt or output".into(),
        ));
    };
    let needed = params.block_count();
    if memory.len() < needed {
        memory.resize(needed, Block::default());
    }
    let mut out = Zeroizing::new(vec![0u8; expected.len()]);
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(
            pw.expose().as_bytes(),
            salt,
            &mut out,
            &mut memory[..needed],
        )
        .map_err(|e| bad(&e))?;
    Ok(bool::from(out.as_slice().ct_eq(expected.as_bytes())))
}

/// Checks a password against a PHC string on this thread (allocating a work area).
pub fn verify_blocking(pw: &Password, phc: &str) -> Result<bool, StoreError> {
    verify_with_memory(pw, phc, &mut Vec::new())
}

type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// Runs password hashes on dedicated threads, one per CPU core, in arrival order.
#[derive(Clone)]
pub struct Hasher {
    jobs: Sender<Job>,
    /// A hash of a random password, checked when the username is unknown so that an unknown
    /// user takes as long to refuse as a wrong password.
    dummy: Arc<str>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher").finish_non_exhaustive()
    }
}

fn worker(jobs: Arc<Mutex<Receiver<Job>>>) {
    let mut memory: Vec<Block> = Vec::new();
    loop {
        // The lock is held only to take the next job, never while hashing.
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        // A panic inside a job drops its reply channel (the caller gets an error) and must not
        // take the thread down with it.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut memory)));
    }
}

impl Hasher {
    /// A hasher with `threads` hashing threads (at least 1). They stop when the last clone of
    /// the hasher is dropped.
    pub fn new(threads: usize) -> Result<Self, StoreError> {
        let (tx, rx) = channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = Arc::clone(&rx);
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || worker(rx))
                .map_err(|e| StoreError::Task(format!("cannot start a hashing thread: {e}")))?;
        }
        let dummy_pw = Password::new(crate::crypto::random_id()?);
        Ok(Hasher {
            jobs: tx,
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

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Vec<Block>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |memory| {
                let _ = tx.send(f(memory));
            }))
            .map_err(|_| StoreError::Task("the hashing threads have stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Task("a hashing thread failed".into()))?
    }

    /// Hashes `pw` for storage.
    pub async fn hash(&self, pw: Password) -> Result<String, StoreError> {
        self.run(move |_| hash_blocking(&pw)).await
    }

    /// Checks `pw` against `phc`; with `None` (unknown user) it checks a dummy hash and
    /// returns `false`, taking the same time.
    pub async fn verify(&self, pw: Password, phc: Option<String>) -> Result<bool, StoreError> {
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| self.dummy.to_string());
        let ok = self
            .run(move |memory| verify_with_memory(&pw, &phc, memory))
            .await?;
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
        // A work area reused across verifications gives the same answers.
        let mut memory = Vec::new();
        for _ in 0..2 {
            assert!(verify_with_memory(&pw, &h, &mut memory).unwrap());
            assert!(!verify_with_memory(&Password::new("wrong".into()), &h, &mut memory).unwrap());
        }
        // Hashes made with other parameters (here: more memory) still verify.
        let other = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(32 * 1024, 1, 1, None).unwrap(),
        )
        .hash_password(b"other params")
        .unwrap()
        .to_string();
        assert!(
            verify_with_memory(&Password::new("other params".into()), &other, &mut memory).unwrap()
        );
        assert!(!format!("{pw:?}").contains("horse"));
    }

    #[tokio::test]
    async fn the_hasher_pool_answers_in_parallel() {
        let h = Hasher::new(2).unwrap();
        let phc = h.hash(Password::new("pool password".into())).await.unwrap();
        let tasks: Vec<_> = (0..6)
            .map(|i| {
                let (h, phc) = (h.clone(), phc.clone());
                tokio::spawn(async move {
                    let pw = if i % 2 == 0 {
                        "pool password"
                    } else {
                        "not it"
                    };
                    h.verify(Password::new(pw.into()), Some(phc)).await.unwrap()
                })
            })
            .collect();
        for (i, t) in tasks.into_iter().enumerate() {
            assert_eq!(t.await.unwrap(), i % 2 == 0);
        }
        assert!(
            !h.verify(Password::new("pool password".into()), None)
                .await
                .unwrap(),
            "unknown user"
        );
    }

    #[test]
    fn password_rules() {
        assert!(check_new_password("short", "alice", 12).is_err());
        assert!(check_new_password("alice-is-great-123", "alice", 12).is_err());
        assert!(check_new_password(" leading space pw", "bob", 12).is_err());
        assert!(check_new_password("a fine long password", "bob", 12).is_ok());
    }
}
