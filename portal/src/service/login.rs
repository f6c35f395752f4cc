//! Logging in (password, then the SMS code) and out.

use tracing::info;

use super::{LoggedIn, Outcome, PageSession, Portal};
use crate::password::Password;
use crate::session::{Purpose, Stage};

impl Portal {
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

    /// Logs out: the session id stops working server-side.
    pub fn logout(&self, sid: &str) {
        self.sessions.remove(sid);
    }

    /// The session of a request to an anonymous page (`sid`: its cookie), made anew when there
    /// is none or it has ended, so that the page's form has a CSRF token to carry.
    pub fn page_session(&self, sid: Option<&str>) -> Outcome<PageSession> {
        let csrf_of = |id: &str| {
            self.sessions
                .with(id, self.now(), self.idle(), |s| s.csrf.clone())
        };
        if let Some(csrf) = sid.and_then(csrf_of) {
            return Ok(PageSession {
                csrf,
                created: None,
            });
        }
        let id = self
            .sessions
            .create(Stage::Anonymous, self.now(), self.idle())?;
        Ok(PageSession {
            csrf: csrf_of(&id).unwrap_or_default(),
            created: Some(id),
        })
    }

    /// Who is logged in on session `sid`, if anyone.
    pub fn logged_in(&self, sid: &str) -> Option<LoggedIn> {
        let (user, csrf) = self.sessions.with(sid, self.now(), self.idle(), |s| {
            (s.user_id(), s.csrf.clone())
        })?;
        Some(LoggedIn {
            user_id: user?,
            csrf,
        })
    }

    /// Whether `token` is the CSRF token of session `sid` (which must be live).
    pub fn csrf_ok(&self, sid: &str, token: &str) -> bool {
        self.sessions
            .with(sid, self.now(), self.idle(), |s| s.csrf_ok(token))
            .unwrap_or(false)
    }
}
