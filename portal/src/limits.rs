//! Rate limits: sliding windows in bounded memory, reserved before the work they guard.
//!
//! Every guarded attempt (a password check, an SMS send) first *reserves* one event in each of
//! its counters, under one lock, and only then does the work. Counting after the work would let
//! a burst of parallel requests all pass the check before the first one is counted: a hundred
//! wrong passwords sent at once were all evaluated against a limit of ten. A reservation that
//! turns out not to count (the password was right, the hash queue was full) is released.
//!
//! A reserved attempt occupies its place until it is settled. An attempt that finds its
//! counters used up only by such pending attempts waits for their outcome instead of being
//! refused: twenty parallel logins with the right password are all evaluated (each gives its
//! place back), while a hundred wrong ones get ten evaluations and ninety refusals.
//!
//! The state is bounded whatever clients send. A counter's key is a keyed hash of its scope,
//! username and address, so its size does not depend on the input (and a client cannot aim two
//! inputs at one counter without knowing the process's random hash key). At most
//! [`RateLimiter::capacity`] counters are held; when a new one would exceed that, counters
//! whose events have all left their window go first, then those with the oldest last event.
//! A counter holds at most its limit's `max` events, since a full counter refuses new ones.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::config::Limit;

/// What a counter counts, and for whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Wrong passwords for one username from one client address.
    PasswordUserAddress,
    /// Wrong passwords from one client address, whatever the username.
    PasswordAddress,
    /// Wrong passwords for one username, from addresses it never logged in from.
    PasswordAccount,
    /// SMS sent for one username at the request of one client address.
    SmsUserAddress,
    /// SMS sent at the request of one client address, whatever the username.
    SmsAddress,
    /// SMS sent for one username, at the request of addresses it never logged in from.
    SmsAccount,
    /// The last time the username's password was right from this address (one event).
    KnownAddress,
}

/// One counter an attempt must fit in: a scope, who it is for, and its limit.
#[derive(Debug, Clone, Copy)]
pub struct Counter<'a> {
    /// What is counted.
    pub scope: Scope,
    /// The username (empty for per-address scopes).
    pub username: &'a str,
    /// The client address (empty for per-account scopes).
    pub addr: &'a str,
    /// How many events per window.
    pub limit: Limit,
}

impl Counter<'_> {
    /// A limit with `usize::MAX` events is no limit (the hidden `--no-rate-limits`): such a
    /// counter is never stored.
    fn unlimited(&self) -> bool {
        self.limit.max == usize::MAX
    }
}

/// One event reserved in each of an attempt's counters by [`RateLimiter::reserve`], while the
/// attempt is evaluated. It must end one way or the other: [`Reservation::fail`] counts it,
/// [`Reservation::release`] gives it back. Dropped without either (the request was abandoned
/// half-way), it counts: an attempt nobody waited for may still have been evaluated.
#[derive(Debug)]
#[must_use = "a reservation must be counted (fail) or given back (release)"]
pub struct Reservation<'a> {
    limiter: &'a RateLimiter,
    keys: Vec<u64>,
    at: i64,
    done: bool,
}

impl Reservation<'_> {
    /// Counts the attempt (a wrong password), at `now`.
    pub fn fail(mut self, now: i64) {
        self.done = true;
        self.limiter.settle(&self.keys, Some(now));
    }

    /// Gives the attempt back: it does not count (a right password, or one not evaluated).
    pub fn release(mut self) {
        self.done = true;
        self.limiter.settle(&self.keys, None);
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.limiter.settle(&self.keys, Some(self.at));
        }
    }
}

/// What [`RateLimiter::try_reserve`] found.
#[derive(Debug)]
pub enum Attempt<'a> {
    /// Reserved in every counter.
    Reserved(Reservation<'a>),
    /// A counter is used up by counted events: refuse.
    Full,
    /// A counter is used up only because attempts are still being evaluated: their outcome
    /// decides (a right password gives its place back).
    Wait,
}

#[derive(Debug)]
struct Entry {
    /// Counted events, oldest first.
    events: VecDeque<i64>,
    /// Attempts reserved and not yet settled.
    pending: usize,
    window_secs: i64,
}

impl Entry {
    fn prune(&mut self, now: i64) {
        while self
            .events
            .front()
            .is_some_and(|&t| now - t >= self.window_secs)
        {
            self.events.pop_front();
        }
    }

    fn last(&self) -> i64 {
        self.events.back().copied().unwrap_or(i64::MIN)
    }

    fn idle(&self) -> bool {
        self.events.is_empty() && self.pending == 0
    }
}

/// Sliding-window counters for rate limits, in bounded memory.
pub struct RateLimiter {
    map: Mutex<HashMap<u64, Entry>>,
    hash_key: RandomState,
    capacity: usize,
    /// Woken whenever a reservation is settled, for attempts in [`Attempt::Wait`].
    settled: tokio::sync::Notify,
    waiting: AtomicUsize,
}

/// Counters are keyed by hashes; `Debug` shows only how many there are.
impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("counters", &self.len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl Default for RateLimiter {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

/// How long an address stays known for a username after its password was right there.
pub const KNOWN_ADDRESS_SECS: i64 = 30 * 86_400;

/// Attempts that may wait at once for others' outcomes (beyond it they are refused as rate
/// limited): waiting costs a request's memory, so it is bounded too.
pub const MAX_WAITING: usize = 1024;

impl RateLimiter {
    /// Counters held by default: with the portal's limits a counter holds at most 100 events
    /// (8 bytes each), so the limiter stays under about 20 MB even when a flood from many
    /// addresses fills it, and takes a few kilobytes in ordinary use.
    pub const DEFAULT_CAPACITY: usize = 16_384;

    /// A limiter holding at most `capacity` counters (at least 16).
    pub fn new(capacity: usize) -> Self {
        RateLimiter {
            map: Mutex::new(HashMap::new()),
            hash_key: RandomState::new(),
            capacity: capacity.max(16),
            settled: tokio::sync::Notify::new(),
            waiting: AtomicUsize::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Entry>> {
        // The map holds plain counters; a panic elsewhere cannot leave it half-updated.
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn key(&self, scope: Scope, username: &str, addr: &str) -> u64 {
        self.hash_key.hash_one((scope, username, addr))
    }

    /// The most counters held at once.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Counters held now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no counter is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reserves one event at `now` in every counter, all or none, under one lock.
    pub fn try_reserve(&self, counters: &[Counter<'_>], now: i64) -> Attempt<'_> {
        let counters: Vec<(u64, Limit)> = counters
            .iter()
            .filter(|c| !c.unlimited())
            .map(|c| (self.key(c.scope, c.username, c.addr), c.limit))
            .collect();
        let mut map = self.lock();
        let mut wait = false;
        for (key, limit) in &counters {
            if let Some(e) = map.get_mut(key) {
                e.prune(now);
                if e.events.len() >= limit.max {
                    return Attempt::Full;
                }
                wait |= e.events.len() + e.pending >= limit.max;
            }
        }
        if wait {
            return Attempt::Wait;
        }
        let keys: Vec<u64> = counters.iter().map(|(k, _)| *k).collect();
        let new = keys.iter().filter(|k| !map.contains_key(k)).count();
        if map.len() + new > self.capacity {
            self.make_room(&mut map, now, &keys, new);
        }
        for (key, limit) in counters {
            let e = map.entry(key).or_insert_with(|| Entry {
                // Room for the common case; a counter never grows past its limit's max.
                events: VecDeque::with_capacity(limit.max.min(4)),
                pending: 0,
                window_secs: limit.window_secs,
            });
            e.window_secs = limit.window_secs;
            e.pending += 1;
        }
        Attempt::Reserved(Reservation {
            limiter: self,
            keys,
            at: now,
            done: false,
        })
    }

    /// Reserves one event at `now` in every counter, waiting while they are used up only by
    /// attempts still being evaluated; `None` when the limit is reached (or too many attempts
    /// are waiting already, [`MAX_WAITING`]).
    pub async fn reserve(&self, counters: &[Counter<'_>], now: i64) -> Option<Reservation<'_>> {
        loop {
            // Registered before looking, so a settlement between the look and the wait is
            // not missed.
            let settled = self.settled.notified();
            tokio::pin!(settled);
            settled.as_mut().enable();
            match self.try_reserve(counters, now) {
                Attempt::Reserved(r) => return Some(r),
                Attempt::Full => return None,
                Attempt::Wait => {
                    if self.waiting.fetch_add(1, Ordering::AcqRel) >= MAX_WAITING {
                        self.waiting.fetch_sub(1, Ordering::AcqRel);
                        return None;
                    }
                    settled.await;
                    self.waiting.fetch_sub(1, Ordering::AcqRel);
                }
            }
        }
    }

    /// Counts one event at `now` in every counter unless one is used up (an SMS: allowed
    /// and counted at once); returns whether it was counted.
    pub fn record(&self, counters: &[Counter<'_>], now: i64) -> bool {
        match self.try_reserve(counters, now) {
            Attempt::Reserved(r) => {
                r.fail(now);
                true
            }
            Attempt::Full | Attempt::Wait => false,
        }
    }

    /// Ends reservations in `keys`: counted at `counted_at`, or given back with `None`.
    fn settle(&self, keys: &[u64], counted_at: Option<i64>) {
        {
            let mut map = self.lock();
            for key in keys {
                let Some(e) = map.get_mut(key) else { continue };
                e.pending = e.pending.saturating_sub(1);
                if let Some(t) = counted_at {
                    // Events stay in time order even when attempts end out of order.
                    let i = e.events.partition_point(|&x| x <= t);
                    e.events.insert(i, t);
                }
                if e.idle() {
                    map.remove(key);
                }
            }
        }
        self.settled.notify_waiters();
    }

    /// Forgets the counted events of one counter: a right password ends a run of wrong ones.
    pub fn clear(&self, scope: Scope, username: &str, addr: &str) {
        let key = self.key(scope, username, addr);
        {
            let mut map = self.lock();
            if let Some(e) = map.get_mut(&key) {
                e.events.clear();
                if e.idle() {
                    map.remove(&key);
                }
            }
        }
        self.settled.notify_waiters();
    }

    /// Remembers that `username`'s password was right from `addr` at `now`.
    pub fn remember_address(&self, username: &str, addr: &str, now: i64) {
        let key = self.key(Scope::KnownAddress, username, addr);
        let mut map = self.lock();
        if !map.contains_key(&key) && map.len() >= self.capacity {
            self.make_room(&mut map, now, &[key], 1);
        }
        let e = map.entry(key).or_insert_with(|| Entry {
            events: VecDeque::with_capacity(1),
            pending: 0,
            window_secs: KNOWN_ADDRESS_SECS,
        });
        e.events.clear();
        e.events.push_back(now);
    }

    /// Whether `username`'s password was right from `addr` within [`KNOWN_ADDRESS_SECS`].
    pub fn is_known_address(&self, username: &str, addr: &str, now: i64) -> bool {
        let key = self.key(Scope::KnownAddress, username, addr);
        self.lock().get_mut(&key).is_some_and(|e| {
            e.prune(now);
            !e.events.is_empty()
        })
    }

    /// Makes room for `needed` new counters. Counters whose events have all left their window
    /// go first; if that is not enough, the ones with the oldest last event, an eighth of the
    /// capacity at once (so the cost of a full scan is spread over many insertions). `keep`,
    /// and counters with attempts under evaluation, are never evicted.
    fn make_room(&self, map: &mut HashMap<u64, Entry>, now: i64, keep: &[u64], needed: usize) {
        map.retain(|k, e| {
            e.prune(now);
            keep.contains(k) || !e.idle()
        });
        if map.len() + needed <= self.capacity {
            return;
        }
        let target = self.capacity.saturating_sub(needed.max(self.capacity / 8));
        let mut by_age: Vec<(i64, u64)> = map
            .iter()
            .filter(|(k, e)| !keep.contains(k) && e.pending == 0)
            .map(|(k, e)| (e.last(), *k))
            .collect();
        let excess = map.len().saturating_sub(target).min(by_age.len());
        if excess == 0 {
            return;
        }
        by_age.select_nth_unstable(excess - 1);
        for (_, k) in &by_age[..excess] {
            map.remove(k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(scope: Scope, user: &str, max: usize) -> Counter<'_> {
        Counter {
            scope,
            username: user,
            addr: "192.0.2.1",
            limit: Limit {
                max,
                window_secs: 10,
            },
        }
    }

    #[test]
    fn the_window_slides_and_a_full_counter_counts_nothing_anywhere() {
        let r = RateLimiter::default();
        let a = c(Scope::PasswordUserAddress, "alice", 2);
        let acct = c(Scope::PasswordAccount, "alice", 3);
        assert!(r.record(&[a, acct], 0));
        assert!(r.record(&[a, acct], 1));
        assert!(!r.record(&[a, acct], 5), "the pair is full");
        // The refusal counted nothing: the account counter still has room for one.
        assert!(r.record(&[acct], 5));
        assert!(!r.record(&[acct], 6));
        // Ten seconds after the first event it has left the window.
        assert!(r.record(&[a], 10));
        assert!(r.record(&[c(Scope::PasswordUserAddress, "bob", 2)], 10));
    }

    #[test]
    fn a_pending_attempt_holds_its_place_until_it_is_settled() {
        let r = RateLimiter::default();
        let a = c(Scope::SmsUserAddress, "alice", 1);
        let Attempt::Reserved(res) = r.try_reserve(&[a], 0) else {
            panic!("room for one")
        };
        assert!(matches!(r.try_reserve(&[a], 0), Attempt::Wait));
        res.release();
        assert!(r.is_empty(), "an empty counter is not kept");
        let Attempt::Reserved(res) = r.try_reserve(&[a], 0) else {
            panic!("room again")
        };
        res.fail(0);
        assert!(matches!(r.try_reserve(&[a], 0), Attempt::Full));
        r.clear(Scope::SmsUserAddress, "alice", "192.0.2.1");
        assert!(r.record(&[a], 0));
        // Dropped unsettled, an attempt counts.
        let b = c(Scope::SmsUserAddress, "bob", 1);
        drop(r.try_reserve(&[b], 0));
        assert!(matches!(r.try_reserve(&[b], 0), Attempt::Full));
    }

    #[tokio::test]
    async fn a_waiting_attempt_goes_ahead_when_the_pending_one_gives_its_place_back() {
        let r = RateLimiter::default();
        let a = [c(Scope::PasswordUserAddress, "alice", 1)];
        let first = r.reserve(&a, 0).await.unwrap();
        let second = r.reserve(&a, 0);
        tokio::pin!(second);
        // Nothing settled yet: the second attempt waits.
        assert!(futures_poll_once(second.as_mut()).await.is_none());
        first.release();
        let second = second
            .await
            .expect("the right password gave its place back");
        let third = r.reserve(&a, 0);
        tokio::pin!(third);
        assert!(futures_poll_once(third.as_mut()).await.is_none());
        second.fail(0);
        assert!(third.await.is_none(), "a counted failure fills the counter");
    }

    /// Polls `f` once: `Some` with its output when it is ready.
    async fn futures_poll_once<F: std::future::Future + Unpin>(f: F) -> Option<F::Output> {
        let mut f = f;
        std::future::poll_fn(|cx| {
            std::task::Poll::Ready(match std::pin::Pin::new(&mut f).poll(cx) {
                std::task::Poll::Ready(v) => Some(v),
                std::task::Poll::Pending => None,
            })
        })
        .await
    }

    #[test]
    fn unlimited_counters_are_not_stored() {
        let r = RateLimiter::default();
        let free = c(Scope::PasswordAddress, "", usize::MAX);
        for t in 0..100 {
            assert!(r.record(&[free], t));
        }
        assert!(r.is_empty());
    }

    #[test]
    fn the_state_is_bounded_and_the_oldest_windows_go_first() {
        let r = RateLimiter::new(64);
        let long = "x".repeat(1 << 16);
        for i in 0..10_000 {
            let name = format!("{long}{i}");
            let mut counter = c(Scope::PasswordAccount, &name, 100);
            counter.limit.window_secs = 1_000_000;
            assert!(r.record(&[counter], i));
            assert!(r.len() <= 64, "{} counters", r.len());
        }
        // The newest counters survived the evictions, the oldest did not.
        let newest = format!("{long}9999");
        let mut counter = c(Scope::PasswordAccount, &newest, 1);
        counter.limit.window_secs = 1_000_000;
        assert!(!r.record(&[counter], 10_000), "still counted");
        let oldest = format!("{long}0");
        let mut counter = c(Scope::PasswordAccount, &oldest, 1);
        counter.limit.window_secs = 1_000_000;
        assert!(r.record(&[counter], 10_000), "forgotten");
    }

    #[test]
    fn known_addresses_expire() {
        let r = RateLimiter::default();
        assert!(!r.is_known_address("alice", "192.0.2.1", 0));
        r.remember_address("alice", "192.0.2.1", 0);
        assert!(r.is_known_address("alice", "192.0.2.1", 1));
        assert!(!r.is_known_address("alice", "192.0.2.2", 1));
        assert!(!r.is_known_address("bob", "192.0.2.1", 1));
        assert!(!r.is_known_address("alice", "192.0.2.1", KNOWN_ADDRESS_SECS));
    }
}
