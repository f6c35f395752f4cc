//! The SMS step that login and password reset share: sending a code within the rate limits,
//! checking it, and sending a new one after the cooldown.

use tracing::{info, warn};

use super::{Outcome, Portal, Refusal, SmsStep};
use crate::limits::Scope;
use crate::session::{Challenge, Purpose, Sms, Stage};
use crate::store::User;

impl Portal {
    /// Sends `code` to `user`'s phone: into the outbox, and to standard output when configured.
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
        let scopes = [
            (Scope::SmsUserAddress, c.sms_limit_per_user_and_address),
            (Scope::SmsAddress, c.sms_limit_per_address),
            (Scope::SmsAccount, c.sms_limit_per_account),
        ];
        let counters = self.counters(scopes, username, addr, now);
        // An SMS, once allowed, is sent: it counts at once.
        self.limits.record(&counters, now)
    }

    /// Starts a challenge for `username` and sends its SMS to `user` (none when the username
    /// does not exist: the challenge then behaves the same but no code opens it).
    pub(super) fn challenge(
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

    /// Checks an SMS code against the session's challenge of `purpose`; on success returns the
    /// user. The check and the count of tries happen under the sessions' lock, so parallel
    /// submissions never compare more codes than the tries allow.
    pub(super) fn check_sms(&self, sid: &str, code: &str, purpose: Purpose) -> Outcome<i64> {
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

    /// Session `sid` at the SMS step of a login (`Purpose::Login`) or a reset, if it is there.
    pub fn sms_step(&self, sid: &str, purpose: Purpose) -> Option<SmsStep> {
        self.sessions
            .with(sid, self.now(), self.idle(), |s| {
                let user_id = match (&s.stage, purpose) {
                    (Stage::LoginSms(c), Purpose::Login) => c.user_id,
                    (Stage::ResetSms(_), Purpose::Reset) => None,
                    _ => return None,
                };
                Some(SmsStep {
                    user_id,
                    csrf: s.csrf.clone(),
                })
            })
            .flatten()
    }
}
