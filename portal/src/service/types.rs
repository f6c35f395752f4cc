//! The data the portal hands to the web layer: tokens as the user sees them, a freshly created
//! token (the only place its secret leaves the portal), and a user to add.

use serde::Serialize;

use crate::password::Password;

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

/// A live session at the anonymous pages (login, reset, check): its CSRF token, and its id when
/// the request had none and it was made just now (the cookie to set).
#[derive(Debug)]
pub struct PageSession {
    /// The token the session's forms must carry.
    pub csrf: String,
    /// The id of a session created for this request, which the response must set as cookie.
    pub created: Option<String>,
}

/// The logged-in user of a request's session.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    /// The user's id.
    pub user_id: i64,
    /// The CSRF token the session's forms must carry.
    pub csrf: String,
}

/// A session at the SMS step of a login or a reset.
#[derive(Debug)]
pub struct SmsStep {
    /// The user whose phone the page may hint at: known after a right password, never for a
    /// reset (asked for with a username alone, so its page must not tell whether it exists).
    pub user_id: Option<i64>,
    /// The CSRF token the session's forms must carry.
    pub csrf: String,
}
