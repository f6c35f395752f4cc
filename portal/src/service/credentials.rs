//! Password checks within the rate limits, shared by login, the GENERAL tab and the login
//! check, and the bounds every username and password meets before anything else.

use tracing::warn;

use super::{Outcome, Portal, Refusal};
use crate::limits::{Counter, Scope};
use crate::password::Password;
use crate::store::{self, User};

/// The longest username accepted anywhere; longer ones are refused before anything else.
pub const MAX_USERNAME_CHARS: usize = 64;
/// The longest password accepted anywhere (the reset page's own rule; hashing a longer one
/// would only cost more).
pub const MAX_PASSWORD_CHARS: usize = 256;

impl Portal {
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

    /// The wrong-password counters an attempt at `username` from `addr` must fit in (see
    /// [`Portal::counters`]).
    fn password_counters<'a>(
        &self,
        username: &'a str,
        addr: &'a str,
        now: i64,
    ) -> Vec<Counter<'a>> {
        let c = &self.config;
        let scopes = [
            (
                Scope::PasswordUserAddress,
                c.password_failures_per_user_and_address,
            ),
            (Scope::PasswordAddress, c.password_failures_per_address),
            (Scope::PasswordAccount, c.password_failures_per_account),
        ];
        self.counters(scopes, username, addr, now)
    }

    /// Checks `username`'s password for a request from `addr`, within the rate limits.
    ///
    /// The attempt is reserved in every counter *before* the hash, under one lock, so however
    /// many requests arrive at once no more than the limit are evaluated (attempts beyond it
    /// wait for the outcome of those under evaluation, see [`crate::limits`]). A wrong password
    /// counts; a right one gives its place back, ends the run of failures from this address and
    /// remembers the address; one not evaluated (hash queue full, internal error) gives its
    /// place back too.
    pub(super) async fn attempt_password(
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
