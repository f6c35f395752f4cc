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
//!
//! The queue in front of the pool is bounded: a request first takes a [`HashPermit`], and when
//! [`Hasher::queue_limit`] hashes are already waiting or running it is refused at once with
//! [`Busy`] (the web layer answers 503 with `Retry-After`) instead of waiting behind an
//! ever longer queue, which under a flood would grow without end in memory and in latency.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Instant;

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

/// The hash queue is full: try again after `retry_after_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the password-hash queue is full; retry after {retry_after_secs} s")]
pub struct Busy {
    /// About how long the queue takes to drain, in whole seconds (at least 1).
    pub retry_after_secs: u64,
}

/// A place in the hash queue, taken before any other work of a request that will hash, and
/// held until its hash is done (or the request gives up).
#[derive(Debug)]
#[must_use = "a permit is a place in the hash queue"]
pub struct HashPermit {
    in_flight: Arc<AtomicUsize>,
}

impl Drop for HashPermit {
    fn drop(&mut self) {
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Runs password hashes on dedicated threads, one per CPU core, in arrival order, with a
/// bounded queue.
#[derive(Clone)]
pub struct Hasher {
    jobs: Sender<Job>,
    /// A hash of a random password, checked when the username is unknown so that an unknown
    /// user takes as long to refuse as a wrong password.
    dummy: Arc<str>,
    in_flight: Arc<AtomicUsize>,
    limit: usize,
    retry_after_secs: u64,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher")
            .field("in_flight", &self.in_flight())
            .field("limit", &self.limit)
            .finish_non_exhaustive()
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
    /// A hasher with `threads` hashing threads (at least 1) and the default queue limit
    /// ([`crate::config::DEFAULT_HASH_QUEUE`]). The threads stop when the last clone of the
    /// hasher is dropped.
    pub fn new(threads: usize) -> Result<Self, StoreError> {
        Self::with_queue_limit(threads, crate::config::DEFAULT_HASH_QUEUE)
    }

    /// A hasher with `threads` hashing threads and at most `limit` hashes (at least 1) waiting
    /// or running at once.
    pub fn with_queue_limit(threads: usize, limit: usize) -> Result<Self, StoreError> {
        let threads = threads.max(1);
        let limit = limit.max(1);
        let (tx, rx) = channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads {
            let rx = Arc::clone(&rx);
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || worker(rx))
                .map_err(|e| StoreError::Task(format!("cannot start a hashing thread: {e}")))?;
        }
        let dummy_pw = Password::new(crate::crypto::random_id()?);
        // The dummy hash doubles as a measurement of one hash on this machine, from which the
        // Retry-After of a full queue is estimated: the time `threads` threads take for `limit`.
        let started = Instant::now();
        let dummy = hash_blocking(&dummy_pw)?;
        let one = started.elapsed().as_secs_f64();
        let retry_after_secs = ((one * limit as f64 / threads as f64).ceil() as u64).max(1);
        Ok(Hasher {
            jobs: tx,
            dummy: dummy.into(),
            in_flight: Arc::new(AtomicUsize::new(0)),
            limit,
            retry_after_secs,
        })
    }

    /// A hasher sized to the machine's CPU cores, with at most `limit` hashes queued.
    pub fn for_this_machine(limit: usize) -> Result<Self, StoreError> {
        Self::with_queue_limit(
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            limit,
        )
    }

    /// The most hashes waiting or running at once.
    pub fn queue_limit(&self) -> usize {
        self.limit
    }

    /// About how long a full queue takes to drain on this machine, in whole seconds (≥ 1).
    pub fn retry_after_secs(&self) -> u64 {
        self.retry_after_secs
    }

    /// Hashes waiting or running now (permits held).
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Takes a place in the queue, or refuses at once when it is full.
    pub fn permit(&self) -> Result<HashPermit, Busy> {
        let taken = self
            .in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.limit).then_some(n + 1)
            });
        match taken {
            Ok(_) => Ok(HashPermit {
                in_flight: Arc::clone(&self.in_flight),
            }),
            Err(_) => Err(Busy {
                retry_after_secs: self.retry_after_secs,
            }),
        }
    }

    async fn run<T: Send + 'static>(
        &self,
        permit: HashPermit,
        f: impl FnOnce(&mut Vec<Block>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |memory| {
                // A request that gave up (the client went away) is not worth a hash.
                if tx.is_closed() {
                    return;
                }
                let result = f(memory);
                // The place is free once the hash is done, before the caller hears of it.
                drop(permit);
                let _ = tx.send(result);
            }))
            .map_err(|_| StoreError::Task("the hashing threads have stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Task("a hashing thread failed".into()))?
    }

    /// Hashes `pw` for storage, in the place `permit` holds.
    pub async fn hash(&self, permit: HashPermit, pw: Password) -> Result<String, StoreError> {
        self.run(permit, move |_| hash_blocking(&pw)).await
    }

    /// Checks `pw` against `phc`, in the place `permit` holds; with `None` (unknown user) it
    /// checks a dummy hash and returns `false`, taking the same time.
    pub async fn verify(
        &self,
        permit: HashPermit,
        pw: Password,
        phc: Option<String>,
    ) -> Result<bool, StoreError> {
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| self.dummy.to_string());
        let ok = self
            .run(permit, move |memory| verify_with_memory(&pw, &phc, memory))
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
        let phc = h
            .hash(h.permit().unwrap(), Password::new("pool password".into()))
            .await
            .unwrap();
        let tasks: Vec<_> = (0..6)
            .map(|i| {
                let (h, phc) = (h.clone(), phc.clone());
                tokio::spawn(async move {
                    let pw = if i % 2 == 0 {
                        "pool password"
                    } else {
                        "not it"
                    };
                    h.verify(h.permit().unwrap(), Password::new(pw.into()), Some(phc))
                        .await
                        .unwrap()
                })
            })
            .collect();
        for (i, t) in tasks.into_iter().enumerate() {
            assert_eq!(t.await.unwrap(), i % 2 == 0);
        }
        assert!(
            !h.verify(
                h.permit().unwrap(),
                Password::new("pool password".into()),
                None
            )
            .await
            .unwrap(),
            "unknown user"
        );
        assert_eq!(h.in_flight(), 0, "every place was given back");
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_frees_places_as_hashes_finish() {
        let h = Hasher::with_queue_limit(1, 3).unwrap();
        let phc = hash_blocking(&Password::new("queue password".into())).unwrap();
        let permits: Vec<_> = (0..3).map(|_| h.permit().unwrap()).collect();
        let busy = h.permit().unwrap_err();
        assert!(busy.retry_after_secs >= 1);
        assert_eq!(h.in_flight(), 3);
        let mut results = Vec::new();
        for permit in permits {
            let pw = Password::new("queue password".into());
            results.push(h.verify(permit, pw, Some(phc.clone())).await.unwrap());
        }
        assert_eq!(results, [true, true, true]);
        assert_eq!(h.in_flight(), 0);
        assert!(h.permit().is_ok(), "places are free again");
    }

    #[test]
    fn password_rules() {
        assert!(check_new_password("short", "alice", 12).is_err());
        assert!(check_new_password("alice-is-great-123", "alice", 12).is_err());
        assert!(check_new_password(" leading space pw", "bob", 12).is_err());
        assert!(check_new_password("a fine long password", "bob", 12).is_ok());
    }
}
