//! What the portal does, independent of HTML or JSON, one file per resource: `login` (and the
//! `sms` step it shares with `reset`), `reset` (password reset), `account` (users and the
//! GENERAL tab), `tokens` (the TOKENS tab), `check` (the login check of the centre's
//! services) and `attempts` (the history of code attempts on each token); `credentials` holds the password checks they share, `refusal` the reasons for no
//! ([`Refusal`]), `types` the data handed to the web layer. The web layer (`crate::web`, whose
//! pages are split the same way) only translates requests into these calls and [`Refusal`]s
//! into pages or JSON.
//!
//! [`Portal`] keeps its parts private: the web layer reaches sessions, storage and limits only
//! through its methods.

mod account;
mod attempts;
mod check;
mod credentials;
mod login;
mod refusal;
mod reset;
mod sms;
mod tokens;
mod types;

use attempts::Entered;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

pub use account::{demo_user, normalise_phone, MAX_NAME_CHARS};
pub use attempts::{
    clock_hint, describe_offset, Accepted, AttemptView, ClockHint, Place, TokenAttempts,
    CLOCK_HINT_AFTER, SHOWN_ON_PAGE,
};
pub use credentials::{bounded_password, bounded_username, MAX_PASSWORD_CHARS, MAX_USERNAME_CHARS};
pub use refusal::{Refusal, CHECK_YOUR_DETAILS};
pub use tokens::validate_token_name;
pub use types::{LoggedIn, NewToken, NewUser, PageSession, SmsStep, TokenState, TokenView};

use crate::clock::Clock;
use crate::config::{Config, Limit};
use crate::crypto::ServerKey;
use crate::error::StoreError;
use crate::limits::{Counter, RateLimiter, Scope};
use crate::password::Hasher;
use crate::session::{Outbox, Sessions};
use crate::store::{self, Store};

/// Shorthand for results of portal operations.
pub type Outcome<T> = Result<T, Refusal>;

/// The running portal: configuration, storage, keys, sessions.
#[derive(Debug)]
pub struct Portal {
    /// Settings.
    config: Config,
    /// The database.
    store: Store,
    /// The clock every decision reads.
    clock: Clock,
    /// Password hashing.
    hasher: Hasher,
    key: ServerKey,
    /// Sessions.
    sessions: Sessions,
    /// Rate-limit counters (bounded; see [`crate::limits`]).
    limits: RateLimiter,
    /// Simulated SMS.
    outbox: Outbox,
    /// Users with a password reset in progress, until when.
    resets: Mutex<HashMap<i64, i64>>,
    /// The address [`crate::serve`] listens on, for the Host and Origin checks.
    listen: OnceLock<SocketAddr>,
}

/// Where the server key of database `db` lives: `<db>.key`.
pub fn key_path_for(db: &str) -> PathBuf {
    PathBuf::from(format!("{db}.key"))
}

impl Portal {
    /// Assembles a portal from its parts.
    pub fn new(
        config: Config,
        store: Store,
        key: ServerKey,
        clock: Clock,
        hasher: Hasher,
    ) -> Arc<Self> {
        Arc::new(Portal {
            config,
            store,
            clock,
            hasher,
            key,
            sessions: Sessions::default(),
            limits: RateLimiter::default(),
            outbox: Outbox::default(),
            resets: Mutex::new(HashMap::new()),
            listen: OnceLock::new(),
        })
    }

    /// Opens the database at `db` (`:memory:` allowed) and its key file, creating both if needed.
    ///
    /// A database that holds tokens is never given a new key: their secrets are encrypted under
    /// the old one, so a missing key file is an error naming it (restore it), not a silent new
    /// key under which every token would fail. A key file other users can read is refused.
    pub fn open(config: Config, db: &str, clock: Clock) -> Result<Arc<Self>, StoreError> {
        let store = Store::open(db)?;
        let key = if db == ":memory:" {
            ServerKey::ephemeral()?
        } else {
            let tokens = store.run_blocking(|c| store::usable_token_count(c))?;
            ServerKey::load_or_create(&key_path_for(db), Path::new(db), tokens)?
        };
        let hasher = Hasher::for_this_machine(config.hash_queue_limit)?;
        Ok(Self::new(config, store, key, clock, hasher))
    }

    /// Records the address the portal listens on ([`crate::serve`] does); the first one stays.
    pub fn set_listen_addr(&self, addr: SocketAddr) {
        let _ = self.listen.set(addr);
    }

    /// The address the portal listens on, once serving.
    pub fn listen_addr(&self) -> Option<SocketAddr> {
        self.listen.get().copied()
    }

    /// Where people reach the portal, e.g. `https://portal.example.org`: the origin of
    /// [`Config::public_url`], else `http://` and the listen address. `None` before serving
    /// without a public URL, or when listening on every address (`0.0.0.0`), which names no
    /// host a device could reach. New keys carry it as their time source (`pocketpass_time`).
    pub fn base_url(&self) -> Option<String> {
        if let Some(u) = &self.config.public_url {
            return Some(u.origin());
        }
        self.listen_addr()
            .filter(|a| !a.ip().is_unspecified())
            .map(|a| format!("http://{a}"))
    }

    /// The portal's current time.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The settings it runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The clock every decision reads (the test API moves it).
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The simulated SMS sent so far (the test API and tests read them).
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// The database, for tests and tools that look at what is stored; handlers go through the
    /// operations instead.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// About how long a full password-hash queue takes to drain on this machine, in seconds
    /// (sent as `Retry-After` with a 503).
    pub fn retry_after_secs(&self) -> u64 {
        self.hasher.retry_after_secs()
    }

    /// How long a session lives without requests.
    fn idle(&self) -> i64 {
        self.config.session_idle_secs
    }

    /// The counters an attempt at `username` from `addr` must fit in, given one kind of
    /// attempt's `[per username and address, per address, per account]` scopes and limits:
    /// per username and address first (what a stranger meets), per address (one address trying
    /// many usernames), and the account-wide cap, which addresses the username logged in from
    /// before are spared (so a stranger cannot lock the user out where the user logs in).
    fn counters<'a>(
        &self,
        [user_address, address, account]: [(Scope, Limit); 3],
        username: &'a str,
        addr: &'a str,
        now: i64,
    ) -> Vec<Counter<'a>> {
        let mut counters = vec![
            Counter {
                scope: user_address.0,
                username,
                addr,
                limit: user_address.1,
            },
            Counter {
                scope: address.0,
                username: "",
                addr,
                limit: address.1,
            },
        ];
        if !self.limits.is_known_address(username, addr, now) {
            counters.push(Counter {
                scope: account.0,
                username,
                addr: "",
                limit: account.1,
            });
        }
        counters
    }
}
