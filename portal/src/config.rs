//! Settings that shape the portal's behaviour, with the centre's defaults.

/// The HMAC algorithm of the tokens the portal issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpAlgorithm {
    /// HMAC-SHA1, what every authenticator app understands (the default).
    Sha1,
    /// HMAC-SHA256.
    Sha256,
    /// HMAC-SHA512.
    Sha512,
}

impl OtpAlgorithm {
    /// The name used in `otpauth://` URIs and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            OtpAlgorithm::Sha1 => "SHA1",
            OtpAlgorithm::Sha256 => "SHA256",
            OtpAlgorithm::Sha512 => "SHA512",
        }
    }

    /// Parses `SHA1`, `SHA256` or `SHA512` (any case).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "SHA1" => Some(OtpAlgorithm::Sha1),
            "SHA256" => Some(OtpAlgorithm::Sha256),
            "SHA512" => Some(OtpAlgorithm::Sha512),
            _ => None,
        }
    }
}

/// The parameters of the tokens the portal issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtpParams {
    /// HMAC algorithm.
    pub algorithm: OtpAlgorithm,
    /// Number of digits in a code, 6 to 8.
    pub digits: u32,
    /// Length of a time step in seconds.
    pub period: u32,
}

impl Default for OtpParams {
    fn default() -> Self {
        OtpParams {
            algorithm: OtpAlgorithm::Sha1,
            digits: 6,
            period: 30,
        }
    }
}

/// A sliding-window rate limit: at most `max` events per `window_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Events allowed within the window.
    pub max: usize,
    /// Window length in seconds.
    pub window_secs: i64,
}

/// Everything configurable about a running portal.
#[derive(Debug, Clone)]
pub struct Config {
    /// Issuer shown in the authenticator app (`otpauth://totp/ISSUER:NAME`).
    pub issuer: String,
    /// Days a token stays valid after activation (the centre's two years: 730).
    pub token_validity_days: i64,
    /// Seconds a started activation may wait for its first code (15 minutes).
    pub pending_ttl_secs: i64,
    /// Active tokens one user may hold at once (one activation may be in progress besides).
    pub max_tokens_per_user: usize,
    /// Parameters of newly issued tokens.
    pub otp: OtpParams,
    /// Consecutive wrong codes that lock a token.
    pub max_token_failures: u32,
    /// Lifetime of an SMS code in seconds (10 minutes).
    pub sms_ttl_secs: i64,
    /// Wrong entries allowed for one SMS code before the attempt is void.
    pub sms_max_tries: u32,
    /// Seconds before another SMS may be sent for the same attempt.
    pub sms_resend_cooldown_secs: i64,
    /// Idle seconds after which a browser session ends.
    pub session_idle_secs: i64,
    /// Login attempts per user.
    pub login_limit_per_user: Limit,
    /// Login attempts per client address.
    pub login_limit_per_address: Limit,
    /// SMS sends per user.
    pub sms_limit_per_user: Limit,
    /// SMS sends per client address.
    pub sms_limit_per_address: Limit,
    /// Failed password checks per user on `/api/validate` and the login check page.
    pub validate_failures_per_user: Limit,
    /// Shortest password accepted by the reset page.
    pub min_password_len: usize,
    /// Mount the `/_test/...` routes (SMS outbox, clock offset, adding users).
    pub test_api: bool,
    /// Mark cookies `Secure` (set when the portal is served over TLS, e.g. behind a proxy).
    pub secure_cookies: bool,
    /// Print simulated SMS on standard output (`SMS to <phone>: ...`).
    pub sms_to_stdout: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            issuer: "Pocket Pass Portal".to_owned(),
            token_validity_days: 730,
            pending_ttl_secs: 15 * 60,
            max_tokens_per_user: 3,
            otp: OtpParams::default(),
            max_token_failures: 10,
            sms_ttl_secs: 10 * 60,
            sms_max_tries: 5,
            sms_resend_cooldown_secs: 30,
            session_idle_secs: 30 * 60,
            login_limit_per_user: Limit {
                max: 10,
                window_secs: 300,
            },
            login_limit_per_address: Limit {
                max: 60,
                window_secs: 300,
            },
            sms_limit_per_user: Limit {
                max: 5,
                window_secs: 900,
            },
            sms_limit_per_address: Limit {
                max: 30,
                window_secs: 900,
            },
            validate_failures_per_user: Limit {
                max: 10,
                window_secs: 300,
            },
            min_password_len: 12,
            test_api: false,
            secure_cookies: false,
            sms_to_stdout: false,
        }
    }
}
