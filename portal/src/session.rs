//! Browser and API sessions, SMS challenges and the simulated SMS outbox.
//!
//! All of this lives in memory: a restart logs everyone out and voids codes in flight, which is
//! what a real portal does on a new deployment too. Users, tokens, used steps and failure counts
//! are in the database and survive. Every collection here is bounded.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::crypto;
use crate::error::StoreError;

/// Why an SMS code was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The second step of a login.
    Login,
    /// Proving who you are before choosing a new password.
    Reset,
}

/// A one-time code sent by SMS for one login or reset attempt.
pub struct Challenge {
    /// The user it was sent to; `None` for a reset of a username that does not exist, which
    /// behaves the same in every way except that no SMS goes out and no code matches.
    pub user_id: Option<i64>,
    /// The username the attempt is for, as typed (the key of its SMS limits).
    pub username: String,
    /// What it unlocks.
    pub purpose: Purpose,
    code: Zeroizing<String>,
    /// Unix seconds from which the code is refused.
    pub expires_at: i64,
    /// Wrong entries still allowed.
    pub tries_left: u32,
    /// Unix seconds of the last send (for the resend cooldown).
    pub last_sent: i64,
}

impl std::fmt::Debug for Challenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Challenge")
            .field("user_id", &self.user_id)
            .field("purpose", &self.purpose)
            .field("expires_at", &self.expires_at)
            .field("tries_left", &self.tries_left)
            .finish_non_exhaustive()
    }
}

impl Challenge {
    /// A new challenge with a fresh 6-digit code; returns it and the code to send.
    pub fn new(
        user_id: Option<i64>,
        username: &str,
        purpose: Purpose,
        now: i64,
        ttl: i64,
        tries: u32,
    ) -> Result<(Self, Zeroizing<String>), StoreError> {
        let code = crypto::random_digits(6)?;
        let c = Challenge {
            user_id,
            username: username.to_owned(),
            purpose,
            code: code.clone(),
            expires_at: now + ttl,
            tries_left: tries,
            last_sent: now,
        };
        Ok((c, code))
    }

    /// Replaces the code (a resend); the old code stops working.
    pub fn renew(
        &mut self,
        now: i64,
        ttl: i64,
        tries: u32,
    ) -> Result<Zeroizing<String>, StoreError> {
        let code = crypto::random_digits(6)?;
        self.code = code.clone();
        self.expires_at = now + ttl;
        self.tries_left = tries;
        self.last_sent = now;
        Ok(code)
    }

    /// Compares in constant time; never matches for a username that does not exist.
    pub fn matches(&self, code: &str) -> bool {
        let same = bool::from(self.code.as_bytes().ct_eq(code.trim().as_bytes()));
        same && self.user_id.is_some()
    }
}

/// Where a session is in the user's path.
#[derive(Debug)]
pub enum Stage {
    /// Not logged in (a session exists to carry the CSRF token of the login form).
    Anonymous,
    /// Password accepted, waiting for the SMS code.
    LoginSms(Challenge),
    /// Logged in.
    LoggedIn {
        /// The user.
        user_id: i64,
    },
    /// Password reset: waiting for the SMS code.
    ResetSms(Challenge),
    /// Password reset: SMS code accepted, waiting for the new password.
    ResetNewPassword {
        /// The user.
        user_id: i64,
        /// Unix seconds after which the reset must start over.
        until: i64,
    },
}

/// One session.
pub struct Session {
    /// The CSRF token every state-changing form of this session must carry.
    pub csrf: String,
    /// Progress.
    pub stage: Stage,
    /// Unix seconds of the last request.
    pub last_seen: i64,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("stage", &self.stage)
            .field("last_seen", &self.last_seen)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// The logged-in user, if any.
    pub fn user_id(&self) -> Option<i64> {
        match self.stage {
            Stage::LoggedIn { user_id } => Some(user_id),
            _ => None,
        }
    }

    /// The user this session is for at any step (logged in, or half-way through a login or a
    /// reset), if any.
    pub fn for_user(&self) -> Option<i64> {
        match &self.stage {
            Stage::Anonymous => None,
            Stage::LoggedIn { user_id } | Stage::ResetNewPassword { user_id, .. } => Some(*user_id),
            Stage::LoginSms(c) | Stage::ResetSms(c) => c.user_id,
        }
    }

    /// Whether `token` is this session's CSRF token (constant time).
    pub fn csrf_ok(&self, token: &str) -> bool {
        bool::from(self.csrf.as_bytes().ct_eq(token.as_bytes()))
    }
}

/// All sessions, by id (128 random bits as hex), at most [`Sessions::capacity`] of them.
///
/// Every visit to the login page makes an anonymous session (it carries the form's CSRF
/// token), so without a bound a client fetching `/login` in a loop would grow the portal for
/// the 30 idle minutes each session lives. When full, idle sessions go first, then the
/// anonymous ones seen longest ago, and only then (a flood that outlasts all anonymous ones)
/// the logged-in sessions seen longest ago.
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
    capacity: usize,
}

impl Default for Sessions {
    fn default() -> Self {
        Self::with_capacity(Self::DEFAULT_CAPACITY)
    }
}

/// Session ids are bearer secrets: `Debug` shows only how many there are.
impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("count", &self.len())
            .finish()
    }
}

impl Sessions {
    /// Sessions held by default (about 250 bytes each: some 16 MB when full).
    pub const DEFAULT_CAPACITY: usize = 65_536;

    /// A session store holding at most `capacity` sessions (at least 16).
    pub fn with_capacity(capacity: usize) -> Self {
        Sessions {
            map: Mutex::new(HashMap::new()),
            capacity: capacity.max(16),
        }
    }

    /// The most sessions held at once.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes room for one more session: idle ones first, then an eighth of the capacity,
    /// anonymous sessions before the others, the least recently seen first.
    fn make_room(&self, map: &mut HashMap<String, Session>, now: i64, idle: i64) {
        map.retain(|_, s| now - s.last_seen < idle);
        if map.len() < self.capacity {
            return;
        }
        let mut by_age: Vec<(bool, i64, String)> = map
            .iter()
            .map(|(id, s)| (s.for_user().is_some(), s.last_seen, id.clone()))
            .collect();
        let excess = map.len() + 1 - (self.capacity - self.capacity / 8);
        by_age.select_nth_unstable(excess - 1);
        for (_, _, id) in &by_age[..excess] {
            map.remove(id);
        }
    }

    /// Starts a session in `stage`; returns its id.
    pub fn create(&self, stage: Stage, now: i64, idle: i64) -> Result<String, StoreError> {
        let id = crypto::random_id()?;
        let csrf = crypto::random_id()?;
        let mut map = self.lock();
        if map.len() >= self.capacity {
            self.make_room(&mut map, now, idle);
        }
        map.insert(
            id.clone(),
            Session {
                csrf,
                stage,
                last_seen: now,
            },
        );
        Ok(id)
    }

    /// Runs `f` on the live session `id` (refreshing its idle timer); `None` if there is none.
    pub fn with<T>(
        &self,
        id: &str,
        now: i64,
        idle: i64,
        f: impl FnOnce(&mut Session) -> T,
    ) -> Option<T> {
        let mut map = self.lock();
        let alive = map.get(id).is_some_and(|s| now - s.last_seen < idle);
        if !alive {
            map.remove(id);
            return None;
        }
        let s = map.get_mut(id)?;
        s.last_seen = now;
        Some(f(s))
    }

    /// Ends session `id` and starts a new one in `stage` (new id, new CSRF token): used at login
    /// and after the SMS step so an id seen before authentication is worthless after it.
    pub fn rotate(
        &self,
        old: Option<&str>,
        stage: Stage,
        now: i64,
        idle: i64,
    ) -> Result<String, StoreError> {
        if let Some(old) = old {
            self.remove(old);
        }
        self.create(stage, now, idle)
    }

    /// Ends session `id` (logout).
    pub fn remove(&self, id: &str) {
        self.lock().remove(id);
    }

    /// Ends every session of `user_id`, at whatever step (a password reset: sessions opened
    /// with the old password must not outlive it); returns how many.
    pub fn end_user(&self, user_id: i64) -> usize {
        let mut map = self.lock();
        let before = map.len();
        map.retain(|_, s| s.for_user() != Some(user_id));
        before - map.len()
    }

    /// Number of sessions held (for tests and the memory figure).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no session is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One simulated SMS.
#[derive(Clone, serde::Serialize)]
pub struct Sms {
    /// Recipient's username.
    pub username: String,
    /// Recipient's phone number.
    pub to: String,
    /// The message text (contains the code).
    pub text: String,
    /// The code alone, for scripts.
    pub code: String,
    /// Unix seconds when sent (portal clock).
    pub sent_at: i64,
}

impl std::fmt::Debug for Sms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sms")
            .field("username", &self.username)
            .field("to", &self.to)
            .finish_non_exhaustive()
    }
}

/// Simulated SMS, newest last; keeps the last 1000.
#[derive(Debug, Default)]
pub struct Outbox {
    list: Mutex<VecDeque<Sms>>,
}

impl Outbox {
    /// Stores a message.
    pub fn push(&self, sms: Sms) {
        let mut l = self.list.lock().unwrap_or_else(|p| p.into_inner());
        if l.len() >= 1000 {
            l.pop_front();
        }
        l.push_back(sms);
    }

    /// Messages to `username` (all messages when `None`), oldest first.
    pub fn for_user(&self, username: Option<&str>) -> Vec<Sms> {
        let l = self.list.lock().unwrap_or_else(|p| p.into_inner());
        l.iter()
            .filter(|m| username.is_none_or(|u| m.username == u))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_expire_when_idle_and_rotate() {
        let s = Sessions::default();
        let a = s.create(Stage::Anonymous, 0, 100).unwrap();
        assert_eq!(a.len(), 32);
        assert!(s.with(&a, 50, 100, |_| ()).is_some());
        let b = s
            .rotate(Some(&a), Stage::LoggedIn { user_id: 1 }, 60, 100)
            .unwrap();
        assert_ne!(a, b);
        assert!(s.with(&a, 60, 100, |_| ()).is_none());
        assert_eq!(s.with(&b, 60, 100, |x| x.user_id()), Some(Some(1)));
        assert!(s.with(&b, 200, 100, |_| ()).is_none());
    }

    #[test]
    fn challenge_debug_hides_code() {
        let (c, code) = Challenge::new(Some(1), "alice", Purpose::Login, 0, 600, 5).unwrap();
        assert!(c.matches(&code));
        assert!(!format!("{c:?}").contains(code.as_str()));
        let (nobody, code) = Challenge::new(None, "ghost", Purpose::Reset, 0, 600, 5).unwrap();
        assert!(!nobody.matches(&code), "no code opens a reset of nobody");
    }

    #[test]
    fn sessions_are_bounded_and_floods_of_anonymous_ones_spare_the_logged_in() {
        let s = Sessions::with_capacity(64);
        let alice = s.create(Stage::LoggedIn { user_id: 1 }, 0, 1800).unwrap();
        for t in 1..10_000 {
            s.create(Stage::Anonymous, t / 100, 1800).unwrap();
            assert!(s.len() <= 64);
        }
        assert!(
            s.with(&alice, 100, 1800, |x| x.user_id()).is_some(),
            "alice stays logged in"
        );
    }

    #[test]
    fn ending_a_users_sessions_spares_the_others() {
        let s = Sessions::default();
        let (c, _) = Challenge::new(Some(1), "alice", Purpose::Login, 0, 600, 5).unwrap();
        let a = s.create(Stage::LoggedIn { user_id: 1 }, 0, 100).unwrap();
        let b = s.create(Stage::LoginSms(c), 0, 100).unwrap();
        let r = s
            .create(
                Stage::ResetNewPassword {
                    user_id: 1,
                    until: 50,
                },
                0,
                100,
            )
            .unwrap();
        let other = s.create(Stage::LoggedIn { user_id: 2 }, 0, 100).unwrap();
        let anon = s.create(Stage::Anonymous, 0, 100).unwrap();
        assert_eq!(s.end_user(1), 3);
        for gone in [a, b, r] {
            assert!(s.with(&gone, 1, 100, |_| ()).is_none());
        }
        assert!(s.with(&other, 1, 100, |_| ()).is_some());
        assert!(s.with(&anon, 1, 100, |_| ()).is_some());
    }
}
