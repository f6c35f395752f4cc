//! Browser and API sessions, SMS challenges, rate limits and the simulated SMS outbox.
//!
//! All of this lives in memory: a restart logs everyone out and voids codes in flight, which is
//! what a real portal does on a new deployment too. Users, tokens, used steps and failure counts
//! are in the database and survive.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::config::Limit;
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
    /// The user it was sent to.
    pub user_id: i64,
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
        user_id: i64,
        purpose: Purpose,
        now: i64,
        ttl: i64,
        tries: u32,
    ) -> Result<(Self, Zeroizing<String>), StoreError> {
        let code = crypto::random_digits(6)?;
        let c = Challenge {
            user_id,
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

    /// Compares in constant time.
    pub fn matches(&self, code: &str) -> bool {
        bool::from(self.code.as_bytes().ct_eq(code.trim().as_bytes()))
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

    /// Whether `token` is this session's CSRF token (constant time).
    pub fn csrf_ok(&self, token: &str) -> bool {
        bool::from(self.csrf.as_bytes().ct_eq(token.as_bytes()))
    }
}

/// All sessions, by id (128 random bits as hex).
#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
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
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a session in `stage`; returns its id.
    pub fn create(&self, stage: Stage, now: i64, idle: i64) -> Result<String, StoreError> {
        let id = crypto::random_id()?;
        let csrf = crypto::random_id()?;
        let mut map = self.lock();
        if map.len() > 1024 {
            map.retain(|_, s| now - s.last_seen < idle);
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

    /// Number of sessions held (for tests and the memory figure).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no session is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Sliding-window counters, by key such as `login:user:alice` or `sms:addr:127.0.0.1`.
#[derive(Debug, Default)]
pub struct RateLimiter {
    map: Mutex<HashMap<String, VecDeque<i64>>>,
}

impl RateLimiter {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<i64>>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `key` has used up `limit` at `now` (without counting this call).
    pub fn exhausted(&self, key: &str, limit: Limit, now: i64) -> bool {
        let mut map = self.lock();
        let Some(q) = map.get_mut(key) else {
            return false;
        };
        while q.front().is_some_and(|&t| now - t >= limit.window_secs) {
            q.pop_front();
        }
        q.len() >= limit.max
    }

    /// Counts one event for `key` at `now`.
    pub fn record(&self, key: &str, limit: Limit, now: i64) {
        let mut map = self.lock();
        if map.len() > 4096 {
            map.retain(|_, q| {
                q.back()
                    .is_some_and(|&t| now - t < limit.window_secs.max(3600))
            });
        }
        map.entry(key.to_owned()).or_default().push_back(now);
    }

    /// Counts one event unless `key` is exhausted; returns whether it was allowed.
    pub fn allow(&self, key: &str, limit: Limit, now: i64) -> bool {
        if self.exhausted(key, limit, now) {
            return false;
        }
        self.record(key, limit, now);
        true
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
    fn rate_limit_window_slides() {
        let r = RateLimiter::default();
        let l = Limit {
            max: 2,
            window_secs: 10,
        };
        assert!(r.allow("k", l, 0));
        assert!(r.allow("k", l, 1));
        assert!(!r.allow("k", l, 5));
        assert!(r.allow("k", l, 10));
        assert!(r.allow("other", l, 10));
    }

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
        let (c, code) = Challenge::new(1, Purpose::Login, 0, 600, 5).unwrap();
        assert!(c.matches(&code));
        assert!(!format!("{c:?}").contains(code.as_str()));
    }
}
