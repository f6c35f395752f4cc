//! Why the portal says no: one [`Refusal`] per reason, each with a stable machine-readable
//! reason for the JSON API and a message in the user's words for the pages.

use crate::error::StoreError;
use crate::password::Busy;

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
    /// No such user (the test API's attempt history).
    #[error("No such user.")]
    UserNotFound,
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
            Refusal::UserNotFound => "user_not_found",
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
