//! What the portal does, independent of HTML or JSON: login with SMS, password reset, tokens,
//! and the login check. The web layer (`crate::web`) only translates requests into these calls
//! and [`Refusal`]s into pages or JSON.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rusqlite::TransactionBehavior;
use serde::Serialize;
use tracing::{info, warn};

use crate::clock::{format_date, format_datetime, Clock};
use crate::config::{Config, OtpAlgorithm, OtpParams};
use crate::crypto::{SecretBytes, ServerKey};
use crate::error::StoreError;
use crate::otp;
use crate::password::{check_new_password, Hasher, Password};
use crate::session::{Challenge, Outbox, Purpose, RateLimiter, Sessions, Sms, Stage};
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
    limits: RateLimiter,
    /// Simulated SMS.
    pub outbox: Outbox,
    /// Users with a password reset in progress, until when.
    resets: Mutex<HashMap<i64, i64>>,
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
        })
    }

    /// Opens the database at `db` (`:memory:` allowed) and its key file, creating both if needed.
    pub fn open(config: Config, db: &str, clock: Clock) -> Result<Arc<Self>, StoreError> {
        let store = Store::open(db)?;
        let key = if db == ":memory:" {
            ServerKey::ephemeral()?
        } else {
            ServerKey::load_or_create(&key_path_for(db))?
        };
        Ok(Self::new(
            config,
            store,
            key,
            clock,
            Hasher::for_this_machine()?,
        ))
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
        let phone = normalise_phone(&u.phone)?;
        let hash = self.hasher.hash(u.password.clone()).await?;
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
    async fn check_password(&self, username: &str, password: Password) -> Outcome<User> {
        let name = username.trim().to_owned();
        let user = self
            .store
            .run(move |c| store::user_by_name(c, &name))
            .await?;
        let ok = self
            .hasher
            .verify(password, user.as_ref().map(|u| u.password_hash.clone()))
            .await?;
        match user {
            Some(u) if ok => Ok(u),
            _ => Err(Refusal::WrongCredentials),
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

    fn sms_allowed(&self, user: &User, addr: &str) -> bool {
        let now = self.now();
        let (pu, pa) = (
            self.config.sms_limit_per_user,
            self.config.sms_limit_per_address,
        );
        let (ku, ka) = (format!("sms:user:{}", user.id), format!("sms:addr:{addr}"));
        if self.limits.exhausted(&ku, pu, now) || self.limits.exhausted(&ka, pa, now) {
            return false;
        }
        self.limits.record(&ku, pu, now);
        self.limits.record(&ka, pa, now);
        true
    }

    /// Starts a challenge for `user` and sends its SMS.
    fn challenge(&self, user: &User, purpose: Purpose, addr: &str) -> Outcome<Challenge> {
        if !self.sms_allowed(user, addr) {
            warn!(username = %user.username, %addr, "SMS refused: rate limit");
            return Err(Refusal::RateLimited);
        }
        let (c, code) = Challenge::new(
            user.id,
            purpose,
            self.now(),
            self.config.sms_ttl_secs,
            self.config.sms_max_tries,
        )?;
        self.send_sms(user, &code, purpose);
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
        let now = self.now();
        let (lu, la) = (
            self.config.login_limit_per_user,
            self.config.login_limit_per_address,
        );
        let (ku, ka) = (
            format!("login:user:{}", username.trim()),
            format!("login:addr:{addr}"),
        );
        if self.limits.exhausted(&ku, lu, now) || self.limits.exhausted(&ka, la, now) {
            warn!(username = %username.trim(), %addr, "login refused: rate limit");
            return Err(Refusal::RateLimited);
        }
        self.limits.record(&ku, lu, now);
        self.limits.record(&ka, la, now);
        let user = self.check_password(username, password).await?;
        let c = self.challenge(&user, Purpose::Login, addr)?;
        info!(username = %user.username, "password accepted; waiting for SMS code");
        Ok(self
            .sessions
            .rotate(old_sid, Stage::LoginSms(c), self.now(), self.idle())?)
    }

    /// Checks an SMS code against the session's challenge of `purpose`; on success returns the user.
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
                if c.matches(code) {
                    // Single use: whatever happens next, this code is spent.
                    let user_id = c.user_id;
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
    pub async fn resend_sms(&self, sid: &str, addr: &str) -> Outcome<()> {
        let now = self.now();
        let (user_id, purpose) = self
            .sessions
            .with(sid, now, self.idle(), |s| match &s.stage {
                Stage::LoginSms(c) | Stage::ResetSms(c) => {
                    let wait = c.last_sent + self.config.sms_resend_cooldown_secs - now;
                    if wait > 0 {
                        Err(Refusal::SmsCooldown(wait))
                    } else {
                        Ok((c.user_id, c.purpose))
                    }
                }
                _ => Err(Refusal::NoSession),
            })
            .unwrap_or(Err(Refusal::NoSession))?;
        let user = self.user(user_id).await?;
        if !self.sms_allowed(&user, addr) {
            return Err(Refusal::RateLimited);
        }
        let (ttl, tries) = (self.config.sms_ttl_secs, self.config.sms_max_tries);
        let code = self
            .sessions
            .with(sid, now, self.idle(), |s| match &mut s.stage {
                Stage::LoginSms(c) | Stage::ResetSms(c) => Ok(c.renew(now, ttl, tries)?),
                _ => Err(Refusal::NoSession),
            })
            .unwrap_or(Err(Refusal::NoSession))?;
        self.send_sms(&user, &code, purpose);
        Ok(())
    }

    /// Logs out: the session id stops working server-side.
    pub fn logout(&self, sid: &str) {
        self.sessions.remove(sid);
    }

    // ---- password reset ------------------------------------------------------------------

    /// Reset step 1: the username. Sends an SMS when the user exists; returns the new session id.
    /// An unknown username gets the same answer, so the page does not reveal who has an account.
    pub async fn reset_start(
        &self,
        old_sid: Option<&str>,
        username: &str,
        addr: &str,
    ) -> Outcome<String> {
        let name = username.trim().to_owned();
        let user = self
            .store
            .run(move |c| store::user_by_name(c, &name))
            .await?;
        let stage = match user {
            Some(u) => {
                let c = self.challenge(&u, Purpose::Reset, addr)?;
                let until = self.now() + self.config.sms_ttl_secs;
                self.resets
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(u.id, until);
                info!(username = %u.username, "password reset started");
                Stage::ResetSms(c)
            }
            None => {
                // A challenge nobody can answer: same page, same behaviour, no SMS.
                let (mut c, _) = Challenge::new(
                    -1,
                    Purpose::Reset,
                    self.now(),
                    self.config.sms_ttl_secs,
                    self.config.sms_max_tries,
                )?;
                c.tries_left = self.config.sms_max_tries;
                Stage::ResetSms(c)
            }
        };
        Ok(self
            .sessions
            .rotate(old_sid, stage, self.now(), self.idle())?)
    }

    /// Reset step 2: the SMS code.
    pub fn reset_sms(&self, sid: &str, code: &str) -> Outcome<()> {
        let user_id = self.check_sms(sid, code, Purpose::Reset)?;
        let until = self.now() + self.config.sms_ttl_secs;
        self.resets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(user_id, until);
        self.sessions
            .with(sid, self.now(), self.idle(), |s| {
                s.stage = Stage::ResetNewPassword { user_id, until }
            })
            .ok_or(Refusal::NoSession)
    }

    /// Reset step 3: the new password.
    pub async fn reset_password(&self, sid: &str, new_password: Password) -> Outcome<()> {
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
        let hash = self.hasher.hash(new_password).await?;
        self.store
            .run(move |c| store::set_password_hash(c, user_id, &hash))
            .await?;
        self.resets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&user_id);
        self.sessions.remove(sid);
        info!(username = %user.username, "password reset complete");
        Ok(())
    }

    fn reset_in_progress(&self, user_id: i64) -> bool {
        let now = self.now();
        let mut r = self.resets.lock().unwrap_or_else(|p| p.into_inner());
        r.retain(|_, until| *until > now);
        r.contains_key(&user_id)
    }

    // ---- GENERAL tab ---------------------------------------------------------------------

    /// Changes the phone number; the password must be given again.
    pub async fn change_phone(&self, user_id: i64, password: Password, phone: &str) -> Outcome<()> {
        let phone = normalise_phone(phone)?;
        let user = self.user(user_id).await?;
        let ok = self
            .hasher
            .verify(password, Some(user.password_hash.clone()))
            .await?;
        if !ok {
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
        let now = self.now();
        let limit = self.config.validate_failures_per_user;
        let key = format!("validate:user:{}", username.trim());
        if self.limits.exhausted(&key, limit, now) {
            warn!(username = %username.trim(), %addr, "login check refused: too many wrong passwords");
            return Err(Refusal::RateLimited);
        }
        let user = match self.check_password(username, password).await {
            Ok(u) => u,
            Err(e) => {
                if matches!(e, Refusal::WrongCredentials) {
                    self.limits.record(&key, limit, now);
                }
                return Err(e);
            }
        };
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
