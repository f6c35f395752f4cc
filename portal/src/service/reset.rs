//! Password reset: username, SMS code, new password. While one is in progress for a user, an
//! activation is refused with the centre's vague message (see [`super::tokens`]).

use tracing::info;

use super::{bounded_username, Outcome, Portal, Refusal};
use crate::password::{check_new_password, Password};
use crate::session::{Purpose, Stage};
use crate::store;

impl Portal {
    /// Reset step 1: the username. Sends an SMS when the user exists; returns the new session id.
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

    pub(super) fn reset_in_progress(&self, user_id: i64) -> bool {
        let now = self.now();
        let mut r = self.resets.lock().unwrap_or_else(|p| p.into_inner());
        r.retain(|_, until| *until > now);
        r.contains_key(&user_id)
    }

    /// The CSRF token of session `sid` when it is at the reset's last step (the new password).
    pub fn new_password_step(&self, sid: &str) -> Option<String> {
        self.sessions
            .with(sid, self.now(), self.idle(), |s| {
                matches!(s.stage, Stage::ResetNewPassword { .. }).then(|| s.csrf.clone())
            })
            .flatten()
    }
}
