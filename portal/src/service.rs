//! What the portal does, independent of HTML or JSON: login with SMS, password reset, tokens,
//! and the login check. The web layer (`crate::web`) only translates requests into these calls
//! and [`Refusal`]s into pages or JSON.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use rusqlite::TransactionBehavior;
use serde::Serialize;
use tracing::{info, warn};

use crate::clock::{format_date, format_datetime, Clock};
use crate::config::{Config, OtpAlgorithm, OtpParams};
use crate::crypto::{SecretBytes, ServerKey};
use crate::error::StoreError;
use crate::limits::{Counter, RateLimiter, Scope};
use crate::otp;
use crate::password::{check_new_password, Busy, Hasher, Password};
use crate::session::{Challenge, Outbox, Purpose, Sessions, Sms, Stage};
use crate::store::{self, Store, TokenRow, User};

/// The vague message the centre's portal shows when a password reset and a Pocket Pass
/// activation collide. Reproduced word for word; the real reason goes to the server log.
pub const CHECK_YOUR_DETAILS: &str = "Check your details to complete the login";

/// Why the portal said no. Each has a stable machine-readable [`Refusal::reason`] (used by the
/// JSON API) and a [`Refusal::message`] in the user's words.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// Unknown username or wrong password (deliberately not told apart).
    #[error("Wrong username or password.")]
    WrongCredentials,
    /// Too many attempts from this user or address.
    #[error("Too many attempts. Wait a few minutes and try again.")]
    RateLimited,
    /// The password-hash queue is full; the request was not looked at.
    #[error(
        "The portal is busy checking other passwords. Try again in {retry_after_secs} seconds."
    )]
    Busy {
        /// Seconds to wait before trying again (sent as `Retry-After`).
        retry_after_secs: u64,
    },
    /// The session is missing, expired or not at this step.
    #[error("Your session has ended or is not at this step. Start again from the login page.")]
    NoSession,
    /// The request did not carry this session's CSRF token or came from another origin.
    #[error("The form was stale or came from another site. Reload the page and try again.")]
    Forbidden,
    /// The SMS code is past its 10 minutes.
    #[error("The SMS code has expired. Ask for a new code.")]
    SmsExpired,
    /// The SMS code is wrong.
    #[error("Wrong SMS code. {tries_left} tries left.")]
    SmsWrong {
        /// Tries left for this code.
        tries_left: u32,
    },
    /// The SMS code was entered wrong too often; the attempt is void.
    #[error("Too many wrong SMS codes. Log in again to get a new code.")]
    SmsTooManyTries,
    /// A new SMS was asked for too soon.
    #[error("Wait {0} seconds before asking for another SMS.")]
    SmsCooldown(i64),
    /// A password reset and an activation collided (the centre's vague message).
    #[error("{}", CHECK_YOUR_DETAILS)]
    CheckYourDetails,
    /// No such token for this user.
    #[error("No such token.")]
    TokenNotFound,
    /// The user already holds the maximum number of tokens.
    #[error("You already have {0} tokens. Revoke one before activating another.")]
    TokenLimit(usize),
    /// An activation with another name is in progress.
    #[error("An activation is already in progress (\"{0}\"). Continue it from the token list or wait for it to expire.")]
    PendingExists(String),
    /// The token name is not acceptable.
    #[error("{0}")]
    BadName(String),
    /// The token is not waiting for activation (already active, revoked or expired).
    #[error("This token is not waiting for activation.")]
    NotPending,
    /// The activation was not finished within its time; start again.
    #[error("The activation was not finished within 15 minutes. Start a new activation.")]
    PendingExpired,
    /// The code does not have the right number of digits.
    #[error("The code must be {0} digits.")]
    CodeMalformed(u32),
    /// The code is wrong.
    #[error("Wrong code. Check the code shown in the app and that your device's clock is right.")]
    WrongCode,
    /// The code was already used; each code works once.
    #[error("This code was already used. Wait for the next code in the app.")]
    CodeUsed,
    /// Too many consecutive wrong codes locked the token.
    #[error("The token is locked after too many wrong codes. Revoke it and activate a new one.")]
    Locked,
    /// The token expired.
    #[error("The token expired on {0}. Activate a new Pocket Pass token in the portal.")]
    Expired(String),
    /// The token was revoked.
    #[error("The token was revoked. Activate a new Pocket Pass token in the portal.")]
    Revoked,
    /// The token's activation was never completed.
    #[error("The token is not active yet: finish the activation by entering a code from the app in the portal.")]
    NotActivated,
    /// The user has no token at all.
    #[error("You have no Pocket Pass token. Activate one in the portal.")]
    NoToken,
    /// A new password breaks the rules.
    #[error("{0}")]
    PasswordRule(String),
    /// A phone number, username or other field is not acceptable.
    #[error("{0}")]
    BadInput(String),
    /// The username is taken.
    #[error("That username exists already.")]
    UserExists,
    /// Something failed inside the portal.
    #[error(
        "Something went wrong inside the portal. Try again; if it persists, tell the service desk."
    )]
    Internal(#[from] StoreError),
}

impl Refusal {
    /// A short machine-readable reason, stable for scripts.
    pub fn reason(&self) -> &'static str {
        match self {
            Refusal::WrongCredentials => "wrong_credentials",
            Refusal::RateLimited => "rate_limited",
            Refusal::Busy { .. } => "busy",
            Refusal::NoSession => "no_session",
            Refusal::Forbidden => "forbidden",
            Refusal::SmsExpired => "sms_expired",
            Refusal::SmsWrong { .. } => "sms_wrong",
            Refusal::SmsTooManyTries => "sms_too_many_tries",
            Refusal::SmsCooldown(_) => "sms_cooldown",
            Refusal::CheckYourDetails => "check_your_details",
            Refusal::TokenNotFound => "token_not_found",
            Refusal::TokenLimit(_) => "token_limit",
            Refusal::PendingExists(_) => "pending_exists",
            Refusal::BadName(_) => "bad_name",
            Refusal::NotPending => "not_pending",
            Refusal::PendingExpired => "pending_expired",
            Refusal::CodeMalformed(_) => "code_malformed",
            Refusal::WrongCode => "wrong_code",
            Refusal::CodeUsed => "code_used",
            Refusal::Locked => "locked",
            Refusal::Expired(_) => "expired",
            Refusal::Revoked => "revoked",
            Refusal::NotActivated => "not_activated",
            Refusal::NoToken => "no_token",
            Refusal::PasswordRule(_) => "password_rule",
            Refusal::BadInput(_) => "bad_input",
            Refusal::UserExists => "user_exists",
            Refusal::Internal(_) => "internal",
        }
    }

    /// The message shown to the user.
    pub fn message(&self) -> String {
        self.to_string()
    }
}

impl From<Busy> for Refusal {
    fn from(b: Busy) -> Self {
        Refusal::Busy {
            retry_after_secs: b.retry_after_secs,
        }
    }
}

/// Shorthand for results of portal operations.
pub type Outcome<T> = Result<T, Refusal>;

/// The user-visible state of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenState {
    /// Created; waiting for the first code from the app.
    Pending,
    /// Usable for login.
    Active,
    /// Past its expiry, or its activation was never finished in time.
    Expired,
    /// Revoked by the user.
    Revoked,
}

impl TokenState {
    /// Lowercase name as shown and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenState::Pending => "pending",
            TokenState::Active => "active",
            TokenState::Expired => "expired",
            TokenState::Revoked => "revoked",
        }
    }
}

/// A token as the user sees it (no secret).
#[derive(Debug, Clone, Serialize)]
pub struct TokenView {
    /// Public id.
    pub id: i64,
    /// Name the user gave it.
    pub name: String,
    /// State.
    pub state: TokenState,
    /// Whether too many wrong codes locked it.
    pub locked: bool,
    /// Creation time (RFC 3339, UTC).
    pub created: String,
    /// Activation time.
    pub activated: Option<String>,
    /// Expiry time (two years after activation by default).
    pub expires: Option<String>,
    /// Time of the last accepted code.
    pub last_used: Option<String>,
    /// Revocation time.
    pub revoked: Option<String>,
    /// Expiry in Unix seconds, for scripts.
    pub expires_unix: Option<i64>,
}

/// A freshly created (or resumed) pending token: the only place its secret leaves the portal.
#[derive(Serialize)]
pub struct NewToken {
    /// Public id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// The `otpauth://` URI the QR code carries.
    pub otpauth_uri: String,
    /// The QR code as PNG.
    #[serde(skip)]
    pub qr_png: Vec<u8>,
    /// Always `pending`.
    pub state: TokenState,
}

impl std::fmt::Debug for NewToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewToken")
            .field("id", &self.id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A user to add (users file, test API, demo user).
#[derive(Clone, serde::Deserialize)]
pub struct NewUser {
    /// Login name.
    pub username: String,
    /// Full name.
    pub full_name: String,
    /// Password in clear (hashed before storing).
    pub password: Password,
    /// Mobile number for SMS codes.
    pub phone: String,
    /// E-mail address.
    #[serde(default)]
    pub email: String,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The demo user seeded on first start.
pub fn demo_user() -> NewUser {
    NewUser {
        username: "demo".into(),
        full_name: "Demo User".into(),
        password: Password::new("pocketpass-demo".into()),
        phone: "+46700000000".into(),
        email: "demo@example.org".into(),
    }
}

/// The running portal: configuration, storage, keys, sessions.
#[derive(Debug)]
pub struct Portal {
    /// Settings.
    pub config: Config,
    /// The database.
    pub store: Store,
    /// The clock every decision reads.
    pub clock: Clock,
    /// Password hashing.
    pub hasher: Hasher,
    key: ServerKey,
    /// Sessions.
    pub sessions: Sessions,
    /// Rate-limit counters (bounded; see [`crate::limits`]).
    pub limits: RateLimiter,
    /// Simulated SMS.
    pub outbox: Outbox,
    /// Users with a password reset in progress, until when.
    resets: Mutex<HashMap<i64, i64>>,
    /// The address [`crate::serve`] listens on, for the Host and Origin checks.
    listen: OnceLock<SocketAddr>,
}

/// The longest username accepted anywhere; longer ones are refused before anything else.
pub const MAX_USERNAME_CHARS: usize = 64;
/// The longest password accepted anywhere (the reset page's own rule; hashing a longer one
/// would only cost more).
pub const MAX_PASSWORD_CHARS: usize = 256;
/// The longest full name or e-mail address of a new user.
pub const MAX_NAME_CHARS: usize = 254;

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

    /// The portal's current time.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    fn idle(&self) -> i64 {
        self.config.session_idle_secs
    }

    // ---- users ---------------------------------------------------------------------------

    /// Adds a user (hashing the password); `Ok(None)` when the username exists already.
    pub async fn add_user(&self, u: NewUser) -> Outcome<Option<i64>> {
        validate_username(&u.username)?;
        bounded_password(&u.password)?;
        for (what, text) in [("full name", &u.full_name), ("e-mail address", &u.email)] {
            if text.chars().count() > MAX_NAME_CHARS || text.chars().any(char::is_control) {
                return Err(Refusal::BadInput(format!(
                    "A {what} has at most {MAX_NAME_CHARS} characters and no control characters."
                )));
            }
        }
        let phone = normalise_phone(&u.phone)?;
        let hash = self
            .hasher
            .hash(self.hasher.permit()?, u.password.clone())
            .await?;
        let row = User {
            id: 0,
            username: u.username.clone(),
            full_name: u.full_name.trim().to_owned(),
            phone,
            email: u.email.trim().to_owned(),
            password_hash: hash,
        };
        let now = self.now();
        let id = self
            .store
            .run(move |c| store::insert_user(c, &row, now))
            .await?;
        if id.is_some() {
            info!(username = %u.username, "user added");
        }
        Ok(id)
    }

    /// A user by id.
    pub async fn user(&self, user_id: i64) -> Outcome<User> {
        self.store
            .run(move |c| store::user_by_id(c, user_id))
            .await?
            .ok_or(Refusal::NoSession)
    }

    /// Looks up `username` and checks `password` (always spending one hash, known user or not).
    /// The place in the hash queue is taken first, so a full queue costs no database work.
    async fn check_password(&self, username: &str, password: Password) -> Outcome<User> {
        let permit = self.hasher.permit()?;
        let name = username.to_owned();
        let user = self
            .store
            .run(move |c| store::user_by_name(c, &name))
            .await?;
        let ok = self
            .hasher
            .verify(
                permit,
                password,
                user.as_ref().map(|u| u.password_hash.clone()),
            )
            .await?;
        match user {
            Some(u) if ok => Ok(u),
            _ => Err(Refusal::WrongCredentials),
        }
    }

    /// The wrong-password counters an attempt at `username` from `addr` must fit in: per
    /// username and address first (what a stranger meets), per address (one address trying
    /// many usernames), and the account-wide cap, which addresses the username logged in from
    /// before are spared (so a stranger cannot lock the user out where the user logs in).
    fn password_counters<'a>(
        &self,
        username: &'a str,
        addr: &'a str,
        now: i64,
    ) -> Vec<Counter<'a>> {
        let c = &self.config;
        let mut counters = vec![
            Counter {
                scope: Scope::PasswordUserAddress,
                username,
                addr,
                limit: c.password_failures_per_user_and_address,
            },
            Counter {
                scope: Scope::PasswordAddress,
                username: "",
                addr,
                limit: c.password_failures_per_address,
            },
        ];
        if !self.limits.is_known_address(username, addr, now) {
            counters.push(Counter {
                scope: Scope::PasswordAccount,
                username,
                addr: "",
                limit: c.password_failures_per_account,
            });
        }
        counters
    }

    /// Checks `username`'s password for a request from `addr`, within the rate limits.
    ///
    /// The attempt is reserved in every counter *before* the hash, under one lock, so however
    /// many requests arrive at once no more than the limit are evaluated (attempts beyond it
    /// wait for the outcome of those under evaluation, see [`crate::limits`]). A wrong password
    /// counts; a right one gives its place back, ends the run of failures from this address and
    /// remembers the address; one not evaluated (hash queue full, internal error) gives its
    /// place back too.
    async fn attempt_password(
        &self,
        username: &str,
        password: Password,
        addr: &str,
    ) -> Outcome<User> {
        let name = bounded_username(username)?;
        bounded_password(&password)?;
        let now = self.now();
        let counters = self.password_counters(name, addr, now);
        let Some(reservation) = self.limits.reserve(&counters, now).await else {
            warn!(username = %name, %addr, "password check refused: too many wrong passwords");
            return Err(Refusal::RateLimited);
        };
        match self.check_password(name, password).await {
            Ok(user) => {
                reservation.release();
                self.limits.clear(Scope::PasswordUserAddress, name, addr);
                self.limits.remember_address(name, addr, now);
                Ok(user)
            }
            Err(Refusal::WrongCredentials) => {
                reservation.fail(self.now());
                Err(Refusal::WrongCredentials)
            }
            Err(other) => {
                reservation.release();
                Err(other)
            }
        }
    }

    fn send_sms(&self, user: &User, code: &str, purpose: Purpose) {
        let minutes = self.config.sms_ttl_secs / 60;
        let text = match purpose {
            Purpose::Login => format!(
                "Your Pocket Pass portal login code is {code}. It is valid for {minutes} minutes."
            ),
            Purpose::Reset => {
                format!("Your password reset code is {code}. It is valid for {minutes} minutes.")
            }
        };
        if self.config.sms_to_stdout {
            // Standard output is the simulated phone, not the log: the code must reach the tester.
            println!("SMS to {}: {text}", user.phone);
        }
        info!(username = %user.username, ?purpose, "SMS sent");
        self.outbox.push(Sms {
            username: user.username.clone(),
            to: user.phone.clone(),
            text,
            code: code.to_owned(),
            sent_at: self.now(),
        });
    }

    /// Counts one SMS for `username` requested from `addr`, if the limits allow it: per
    /// username and address first, per address, and the account-wide cap (which addresses the
    /// username logged in from are spared). A username that does not exist is counted the same,
    /// so the limits do not tell who has an account.
    fn sms_allowed(&self, username: &str, addr: &str) -> bool {
        let now = self.now();
        let c = &self.config;
        let mut counters = vec![
            Counter {
                scope: Scope::SmsUserAddress,
                username,
                addr,
                limit: c.sms_limit_per_user_and_address,
            },
            Counter {
                scope: Scope::SmsAddress,
                username: "",
                addr,
                limit: c.sms_limit_per_address,
            },
        ];
        if !self.limits.is_known_address(username, addr, now) {
            counters.push(Counter {
                scope: Scope::SmsAccount,
                username,
                addr: "",
                limit: c.sms_limit_per_account,
            });
        }
        // An SMS, once allowed, is sent: it counts at once.
        self.limits.record(&counters, now)
    }

    /// Starts a challenge for `username` and sends its SMS to `user` (none when the username
    /// does not exist: the challenge then behaves the same but no code opens it).
    fn challenge(
        &self,
        username: &str,
        user: Option<&User>,
        purpose: Purpose,
        addr: &str,
    ) -> Outcome<Challenge> {
        if !self.sms_allowed(username, addr) {
            warn!(%username, %addr, "SMS refused: rate limit");
            return Err(Refusal::RateLimited);
        }
        let (c, code) = Challenge::new(
            user.map(|u| u.id),
            username,
            purpose,
            self.now(),
            self.config.sms_ttl_secs,
            self.config.sms_max_tries,
        )?;
        if let Some(u) = user {
            self.send_sms(u, &code, purpose);
        }
        Ok(c)
    }

    // ---- login ---------------------------------------------------------------------------

    /// Login step 1: username and password. Sends the SMS and returns the new session id
    /// (rotated: any previous session id stops working).
    pub async fn login_password(
        &self,
        old_sid: Option<&str>,
        username: &str,
        password: Password,
        addr: &str,
    ) -> Outcome<String> {
        let user = self.attempt_password(username, password, addr).await?;
        let c = self.challenge(&user.username, Some(&user), Purpose::Login, addr)?;
        info!(username = %user.username, "password accepted; waiting for SMS code");
        Ok(self
            .sessions
            .rotate(old_sid, Stage::LoginSms(c), self.now(), self.idle())?)
    }

    /// Checks an SMS code against the session's challenge of `purpose`; on success returns the
    /// user. The check and the count of tries happen under the sessions' lock, so parallel
    /// submissions never compare more codes than the tries allow.
    fn check_sms(&self, sid: &str, code: &str, purpose: Purpose) -> Outcome<i64> {
        let now = self.now();
        self.sessions
            .with(sid, now, self.idle(), |s| {
                let c = match (&mut s.stage, purpose) {
                    (Stage::LoginSms(c), Purpose::Login) | (Stage::ResetSms(c), Purpose::Reset) => {
                        c
                    }
                    _ => return Err(Refusal::NoSession),
                };
                if now >= c.expires_at {
                    return Err(Refusal::SmsExpired);
                }
                if c.tries_left == 0 {
                    return Err(Refusal::SmsTooManyTries);
                }
                if let (true, Some(user_id)) = (c.matches(code), c.user_id) {
                    // Single use: whatever happens next, this code is spent.
                    s.stage = Stage::Anonymous;
                    return Ok(user_id);
                }
                c.tries_left -= 1;
                if c.tries_left == 0 {
                    s.stage = Stage::Anonymous;
                    return Err(Refusal::SmsTooManyTries);
                }
                Err(Refusal::SmsWrong {
                    tries_left: c.tries_left,
                })
            })
            .unwrap_or(Err(Refusal::NoSession))
    }

    /// Login step 2: the SMS code. Returns the new (rotated) session id of the logged-in user.
    pub fn login_sms(&self, sid: &str, code: &str) -> Outcome<String> {
        let user_id = self.check_sms(sid, code, Purpose::Login)?;
        info!(user_id, "login complete");
        Ok(self.sessions.rotate(
            Some(sid),
            Stage::LoggedIn { user_id },
            self.now(),
            self.idle(),
        )?)
    }

    /// Sends a new SMS code for the session's login or reset attempt, after the cooldown.
    ///
    /// The cooldown is checked and the new code made under one lock: of parallel resends only
    /// the first gets past the cooldown (checking first and renewing after a database lookup
    /// let every one of them through, each sending an SMS and restoring the tries).
    pub async fn resend_sms(&self, sid: &str, addr: &str) -> Outcome<()> {
        let now = self.now();
        let (ttl, tries) = (self.config.sms_ttl_secs, self.config.sms_max_tries);
        let cooldown = self.config.sms_resend_cooldown_secs;
        let (user_id, username, purpose, code) = self
            .sessions
            .with(sid, now, self.idle(), |s| match &mut s.stage {
                Stage::LoginSms(c) | Stage::ResetSms(c) => {
                    let wait = c.last_sent + cooldown - now;
                    if wait > 0 {
                        return Err(Refusal::SmsCooldown(wait));
                    }
                    if !self.sms_allowed(&c.username, addr) {
                        warn!(username = %c.username, %addr, "SMS refused: rate limit");
                        return Err(Refusal::RateLimited);
                    }
                    let code = c.renew(now, ttl, tries)?;
                    Ok((c.user_id, c.username.clone(), c.purpose, code))
                }
                _ => Err(Refusal::NoSession),
            })
            .unwrap_or(Err(Refusal::NoSession))?;
        // A reset of a username that does not exist renews its (unanswerable) code the same
        // way and sends nothing.
        if let Some(id) = user_id {
            let user = self.user(id).await?;
            self.send_sms(&user, &code, purpose);
        } else {
            info!(%username, "SMS for a reset of an unknown username not sent");
        }
        Ok(())
    }

    /// Logs out: the session id stops working server-side.
    pub fn logout(&self, sid: &str) {
        self.sessions.remove(sid);
    }

    // ---- password reset ------------------------------------------------------------------

    /// Reset step 1: the username. Sends an SMS when the user exists; returns the new session id.
    /// An unknown username gets the same answer, so the page does not reveal who has an account.
    /// An unknown username gets the same answer, the same limits and the same pages (a
    /// challenge no code opens, no SMS), so the reset does not reveal who has an account.
    pub async fn reset_start(
        &self,
        old_sid: Option<&str>,
        username: &str,
        addr: &str,
    ) -> Outcome<String> {
        let name = bounded_username(username)?.to_owned();
        let lookup = name.clone();
        let user = self
            .store
            .run(move |c| store::user_by_name(c, &lookup))
            .await?;
        let c = self.challenge(&name, user.as_ref(), Purpose::Reset, addr)?;
        if let Some(u) = &user {
            let until = self.now() + self.config.sms_ttl_secs;
            self.resets
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(u.id, until);
            info!(username = %u.username, "password reset started");
        } else {
            info!(username = %name, "password reset started for an unknown username");
        }
        Ok(self
            .sessions
            .rotate(old_sid, Stage::ResetSms(c), self.now(), self.idle())?)
    }

    /// Reset step 2: the SMS code. Returns the new (rotated) session id.
    pub fn reset_sms(&self, sid: &str, code: &str) -> Outcome<String> {
        let user_id = self.check_sms(sid, code, Purpose::Reset)?;
        let now = self.now();
        let until = now + self.config.sms_ttl_secs;
        self.resets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(user_id, until);
        Ok(self.sessions.rotate(
            Some(sid),
            Stage::ResetNewPassword { user_id, until },
            now,
            self.idle(),
        )?)
    }

    /// Reset step 3: the new password. Ends every session of the user (this one included):
    /// whoever logged in with the old password is logged out.
    pub async fn reset_password(
        &self,
        sid: &str,
        new_password: Password,
        addr: &str,
    ) -> Outcome<()> {
        let now = self.now();
        let user_id = self
            .sessions
            .with(sid, now, self.idle(), |s| match s.stage {
                Stage::ResetNewPassword { user_id, until } if now < until => Some(user_id),
                _ => None,
            })
            .flatten()
            .ok_or(Refusal::NoSession)?;
        let user = self.user(user_id).await?;
        check_new_password(
            new_password.expose(),
            &user.username,
            self.config.min_password_len,
        )
        .map_err(Refusal::PasswordRule)?;
        let hash = self
            .hasher
            .hash(self.hasher.permit()?, new_password)
            .await?;
        self.store
            .run(move |c| store::set_password_hash(c, user_id, &hash))
            .await?;
        self.resets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&user_id);
        self.sessions.remove(sid);
        let ended = self.sessions.end_user(user_id);
        // The user proved the phone from here; this address is theirs for the account cap.
        self.limits.remember_address(&user.username, addr, now);
        info!(username = %user.username, ended, "password reset complete; the user's sessions ended");
        Ok(())
    }

    fn reset_in_progress(&self, user_id: i64) -> bool {
        let now = self.now();
        let mut r = self.resets.lock().unwrap_or_else(|p| p.into_inner());
        r.retain(|_, until| *until > now);
        r.contains_key(&user_id)
    }

    // ---- GENERAL tab ---------------------------------------------------------------------

    /// Changes the phone number; the password must be given again (within the same limits as
    /// any password check).
    pub async fn change_phone(
        &self,
        user_id: i64,
        password: Password,
        phone: &str,
        addr: &str,
    ) -> Outcome<()> {
        let phone = normalise_phone(phone)?;
        let user = self.user(user_id).await?;
        let checked = self
            .attempt_password(&user.username, password, addr)
            .await?;
        if checked.id != user_id {
            return Err(Refusal::WrongCredentials);
        }
        self.store
            .run(move |c| store::set_phone(c, user_id, &phone))
            .await?;
        info!(username = %user.username, "phone number changed");
        Ok(())
    }

    // ---- tokens --------------------------------------------------------------------------

    fn state_of(&self, t: &TokenRow, now: i64) -> TokenState {
        match t.state.as_str() {
            "revoked" => TokenState::Revoked,
            "pending" if now < t.created_at + self.config.pending_ttl_secs => TokenState::Pending,
            "active" if t.expires_at.is_some_and(|e| now < e) => TokenState::Active,
            _ => TokenState::Expired,
        }
    }

    fn view(&self, t: &TokenRow, now: i64) -> TokenView {
        TokenView {
            id: t.id,
            name: t.name.clone(),
            state: self.state_of(t, now),
            locked: t.failures >= self.config.max_token_failures,
            created: format_datetime(t.created_at),
            activated: t.activated_at.map(format_datetime),
            expires: t.expires_at.map(format_datetime),
            last_used: t.last_used_at.map(format_datetime),
            revoked: t.revoked_at.map(format_datetime),
            expires_unix: t.expires_at,
        }
    }

    /// The user's tokens.
    pub async fn tokens(&self, user_id: i64) -> Outcome<Vec<TokenView>> {
        let rows = self
            .store
            .run(move |c| store::tokens_of(c, user_id))
            .await?;
        let now = self.now();
        Ok(rows.iter().map(|t| self.view(t, now)).collect())
    }

    /// One of the user's tokens.
    pub async fn token(&self, user_id: i64, id: i64) -> Outcome<TokenView> {
        let row = self
            .store
            .run(move |c| store::token_of(c, user_id, id))
            .await?
            .ok_or(Refusal::TokenNotFound)?;
        Ok(self.view(&row, self.now()))
    }

    fn params_of(t: &TokenRow) -> OtpParams {
        OtpParams {
            algorithm: OtpAlgorithm::parse(&t.algorithm).unwrap_or(OtpAlgorithm::Sha1),
            digits: t.digits,
            period: t.period,
        }
    }

    fn new_token(&self, user: &User, t: &TokenRow, secret: &SecretBytes) -> Outcome<NewToken> {
        let expected_expiry = format_date(t.created_at + self.config.token_validity_days * 86_400);
        let uri = otp::otpauth_uri(
            &otp::UriFields {
                issuer: &self.config.issuer,
                token_name: &t.name,
                username: &user.username,
                params: Self::params_of(t),
                expires: &expected_expiry,
            },
            secret,
        );
        let qr_png =
            otp::qr_png(&uri).map_err(|e| StoreError::Task(format!("QR rendering failed: {e}")))?;
        Ok(NewToken {
            id: t.id,
            name: t.name.clone(),
            otpauth_uri: uri,
            qr_png,
            state: TokenState::Pending,
        })
    }

    /// "Activate Pocket Pass": creates a pending token named `name`, or resumes the pending one
    /// of the same name (so a double-click or a reload never creates two).
    pub async fn create_token(self: &Arc<Self>, user_id: i64, name: &str) -> Outcome<NewToken> {
        let user = self.user(user_id).await?;
        if self.reset_in_progress(user_id) {
            warn!(username = %user.username, "activation refused: a password reset is in progress for this user");
            return Err(Refusal::CheckYourDetails);
        }
        let name = validate_token_name(name)?;
        let now = self.now();
        let me = Arc::clone(self);
        let (row, secret) = self
            .store
            .run(
                move |c| -> Result<Outcome<(TokenRow, SecretBytes)>, StoreError> {
                    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                    store::abandon_stale_pending(&tx, user_id, now - me.config.pending_ttl_secs)?;
                    let rows = store::tokens_of(&tx, user_id)?;
                    if let Some(p) = rows.iter().find(|t| t.state == "pending") {
                        if p.name != name {
                            return Ok(Err(Refusal::PendingExists(p.name.clone())));
                        }
                        let secret = me.key.open(user_id, &p.secret_enc)?;
                        tx.commit()?;
                        return Ok(Ok((p.clone(), secret)));
                    }
                    let live = rows
                        .iter()
                        .filter(|t| me.state_of(t, now) == TokenState::Active)
                        .count();
                    if live >= me.config.max_tokens_per_user {
                        return Ok(Err(Refusal::TokenLimit(me.config.max_tokens_per_user)));
                    }
                    let secret = SecretBytes::generate(otp::SECRET_LEN)?;
                    let p = me.config.otp;
                    let mut row = TokenRow {
                        id: 0,
                        user_id,
                        name,
                        state: "pending".into(),
                        secret_enc: me.key.seal(user_id, &secret)?,
                        algorithm: p.algorithm.as_str().into(),
                        digits: p.digits,
                        period: p.period,
                        created_at: now,
                        activated_at: None,
                        expires_at: None,
                        last_used_at: None,
                        revoked_at: None,
                        last_step: None,
                        failures: 0,
                    };
                    row.id = store::insert_pending_token(&tx, &row)?;
                    tx.commit()?;
                    Ok(Ok((row, secret)))
                },
            )
            .await??;
        info!(username = %user.username, token = row.id, "activation started");
        self.new_token(&user, &row, &secret)
    }

    /// The QR of a pending token again ("Continue" from the list). Refused once it is active.
    pub async fn pending_token(&self, user_id: i64, id: i64) -> Outcome<NewToken> {
        let user = self.user(user_id).await?;
        let row = self
            .store
            .run(move |c| store::token_of(c, user_id, id))
            .await?
            .ok_or(Refusal::TokenNotFound)?;
        match self.state_of(&row, self.now()) {
            TokenState::Pending => {}
            _ if row.state == "pending" || row.state == "abandoned" => {
                return Err(Refusal::PendingExpired)
            }
            _ => return Err(Refusal::NotPending),
        }
        let secret = self.key.open(user_id, &row.secret_enc)?;
        self.new_token(&user, &row, &secret)
    }

    /// The last activation step: the first code from the app turns the token active.
    pub async fn activate_token(
        self: &Arc<Self>,
        user_id: i64,
        id: i64,
        code: &str,
    ) -> Outcome<TokenView> {
        let code = code.trim().replace(' ', "");
        let now = self.now();
        let me = Arc::clone(self);
        let row = self
            .store
            .run(move |c| -> Result<Outcome<TokenRow>, StoreError> {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let Some(t) = store::token_of(&tx, user_id, id)? else {
                    return Ok(Err(Refusal::TokenNotFound));
                };
                match me.state_of(&t, now) {
                    TokenState::Pending => {}
                    _ if t.state == "pending" || t.state == "abandoned" => {
                        return Ok(Err(Refusal::PendingExpired))
                    }
                    _ => return Ok(Err(Refusal::NotPending)),
                }
                let params = Self::params_of(&t);
                if !otp::well_formed(&code, params) {
                    return Ok(Err(Refusal::CodeMalformed(params.digits)));
                }
                let outcome = me.check_code(&tx, &t, &code, now)?;
                if outcome.is_ok() {
                    let expires = now + me.config.token_validity_days * 86_400;
                    store::activate(&tx, t.id, now, expires)?;
                } else if t.failures + 1 >= me.config.max_token_failures {
                    // A pending token that met too many wrong codes is given up: start again.
                    tx.execute(
                        "UPDATE tokens SET state = 'abandoned' WHERE id = ?1",
                        [t.id],
                    )?;
                }
                tx.commit()?;
                if let Err(r) = outcome {
                    return Ok(Err(r));
                }
                Ok(store::token_of(c, user_id, id)?.ok_or(Refusal::TokenNotFound))
            })
            .await??;
        info!(token = row.id, user_id, "token activated");
        Ok(self.view(&row, now))
    }

    /// Revokes one of the user's tokens.
    pub async fn revoke_token(&self, user_id: i64, id: i64) -> Outcome<TokenView> {
        let now = self.now();
        let row = self
            .store
            .run(move |c| {
                store::revoke(c, id_owned(c, user_id, id)?, now)?;
                store::token_of(c, user_id, id)
            })
            .await?
            .ok_or(Refusal::TokenNotFound)?;
        info!(token = id, user_id, "token revoked");
        Ok(self.view(&row, now))
    }

    /// Checks `code` against token `t` inside a transaction, applying the replay and lockout
    /// rules; records the result.
    fn check_code(
        &self,
        tx: &rusqlite::Connection,
        t: &TokenRow,
        code: &str,
        now: i64,
    ) -> Result<Outcome<i64>, StoreError> {
        if t.failures >= self.config.max_token_failures {
            return Ok(Err(Refusal::Locked));
        }
        let secret = self.key.open(t.user_id, &t.secret_enc)?;
        match otp::matching_step(&secret, Self::params_of(t), code, now) {
            Some(step) if t.last_step.is_none_or(|last| step > last) => {
                store::record_success(tx, t.id, step, now)?;
                Ok(Ok(step))
            }
            // A replay of an accepted code is refused but not counted as a failure: it is what a
            // double-click or a retried request looks like, and it proves the user has the key.
            Some(_) => Ok(Err(Refusal::CodeUsed)),
            None => {
                let failures = store::record_failure(tx, t.id)?;
                if failures == self.config.max_token_failures {
                    warn!(
                        token = t.id,
                        "token locked after {failures} consecutive wrong codes"
                    );
                }
                Ok(Err(Refusal::WrongCode))
            }
        }
    }

    /// The login check of the centre's services (SSH, ThinLinc): password, then the Pocket Pass
    /// code from any of the user's active tokens.
    pub async fn validate(
        self: &Arc<Self>,
        username: &str,
        password: Password,
        code: &str,
        addr: &str,
    ) -> Outcome<()> {
        let user = self.attempt_password(username, password, addr).await?;
        let code = code.trim().replace(' ', "");
        let me = Arc::clone(self);
        let user_id = user.id;
        let result = self
            .store
            .run(move |c| -> Result<Outcome<()>, StoreError> {
                let now = me.now();
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let rows = store::tokens_of(&tx, user_id)?;
                let max = me.config.max_token_failures;
                let usable: Vec<&TokenRow> = rows
                    .iter()
                    .filter(|t| me.state_of(t, now) == TokenState::Active && t.failures < max)
                    .collect();
                if usable.is_empty() {
                    let states: Vec<TokenState> =
                        rows.iter().map(|t| me.state_of(t, now)).collect();
                    let refusal = if rows
                        .iter()
                        .any(|t| me.state_of(t, now) == TokenState::Active)
                    {
                        Refusal::Locked
                    } else if let Some(t) = rows
                        .iter()
                        .filter(|t| t.state == "active")
                        .max_by_key(|t| t.expires_at)
                    {
                        Refusal::Expired(t.expires_at.map(format_datetime).unwrap_or_default())
                    } else if states.contains(&TokenState::Pending) {
                        Refusal::NotActivated
                    } else if states.contains(&TokenState::Revoked) {
                        Refusal::Revoked
                    } else {
                        Refusal::NoToken
                    };
                    return Ok(Err(refusal));
                }
                if let Some(t) = usable
                    .iter()
                    .find(|t| !otp::well_formed(&code, Self::params_of(t)))
                {
                    return Ok(Err(Refusal::CodeMalformed(t.digits)));
                }
                // Try the tokens one by one; a match on any wins. Failures are counted only
                // when no token accepted the code.
                let mut used = false;
                let mut wrong = Vec::new();
                for t in &usable {
                    let secret = me.key.open(t.user_id, &t.secret_enc)?;
                    match otp::matching_step(&secret, Self::params_of(t), &code, now) {
                        Some(step) if t.last_step.is_none_or(|last| step > last) => {
                            store::record_success(&tx, t.id, step, now)?;
                            tx.commit()?;
                            return Ok(Ok(()));
                        }
                        Some(_) => used = true,
                        None => wrong.push(*t),
                    }
                }
                if used {
                    return Ok(Err(Refusal::CodeUsed));
                }
                for t in wrong {
                    me.check_code(&tx, t, &code, now)?.ok();
                }
                tx.commit()?;
                Ok(Err(Refusal::WrongCode))
            })
            .await?;
        match &result {
            Ok(()) => info!(username = %user.username, %addr, "login check passed"),
            Err(r) => {
                info!(username = %user.username, %addr, reason = r.reason(), "login check refused")
            }
        }
        result
    }
}

/// Returns `id` when `user_id` owns it; otherwise an id that matches nothing.
fn id_owned(c: &rusqlite::Connection, user_id: i64, id: i64) -> Result<i64, StoreError> {
    Ok(store::token_of(c, user_id, id)?.map(|t| t.id).unwrap_or(-1))
}

/// Checks a token name: 1–40 characters, no control characters, no colon (the colon separates
/// issuer and name in the `otpauth://` label).
pub fn validate_token_name(name: &str) -> Outcome<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Refusal::BadName(
            "Give the token a name; it is displayed on your device.".into(),
        ));
    }
    if name.chars().count() > 40 {
        return Err(Refusal::BadName(
            "The token name must have at most 40 characters.".into(),
        ));
    }
    if name.chars().any(|c| c.is_control() || c == ':') {
        return Err(Refusal::BadName(
            "The token name must not contain a colon or control characters.".into(),
        ));
    }
    Ok(name.to_owned())
}

/// The trimmed username, refused when longer than [`MAX_USERNAME_CHARS`]: before any lookup,
/// rate limit or hash, so an over-long name costs nothing and is stored nowhere.
pub fn bounded_username(u: &str) -> Outcome<&str> {
    let u = u.trim();
    // Counting stops at the bound: a megabyte of name is not walked to the end.
    if u.chars().nth(MAX_USERNAME_CHARS).is_some() {
        return Err(Refusal::BadInput(format!(
            "A username has at most {MAX_USERNAME_CHARS} characters."
        )));
    }
    Ok(u)
}

/// Refuses a password longer than [`MAX_PASSWORD_CHARS`].
pub fn bounded_password(p: &Password) -> Outcome<()> {
    if p.expose().chars().nth(MAX_PASSWORD_CHARS).is_some() {
        return Err(Refusal::BadInput(format!(
            "A password has at most {MAX_PASSWORD_CHARS} characters."
        )));
    }
    Ok(())
}

fn validate_username(u: &str) -> Outcome<()> {
    let ok = !u.is_empty()
        && u.len() <= 64
        && u.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(Refusal::BadInput(
            "A username has 1–64 characters: letters, digits, '.', '_', '-', '@'.".into(),
        ))
    }
}

/// Normalises a phone number (`+46 70-123 45 67` → `+46701234567`); 6–15 digits, optional `+`.
pub fn normalise_phone(p: &str) -> Outcome<String> {
    let compact: String = p
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    let digits = compact.strip_prefix('+').unwrap_or(&compact);
    if (6..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(compact)
    } else {
        Err(Refusal::BadInput(
            "A phone number has 6–15 digits, optionally starting with +.".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_phones() {
        assert_eq!(validate_token_name("  My phone ").unwrap(), "My phone");
        assert!(validate_token_name("").is_err());
        assert!(validate_token_name("a:b").is_err());
        assert!(validate_token_name(&"x".repeat(41)).is_err());
        assert_eq!(normalise_phone("+46 70-123 45 67").unwrap(), "+46701234567");
        assert!(normalise_phone("12a456").is_err());
        assert!(validate_username("alice.b").is_ok());
        assert!(validate_username("a b").is_err());
    }
}
