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

/// How many time steps before and after the portal's current one a code may come from
/// (`--window-past`, `--window-future`). A device whose clock is behind makes codes of earlier
/// steps; one whose clock is ahead, of later steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    past: u32,
    future: u32,
}

impl Window {
    /// The widest window accepted either way: ten steps (five minutes at 30 s) already gives a
    /// guesser 21 codes per try, and a clock that far off should be fixed, not tolerated.
    pub const MAX: u32 = 10;

    /// A window of `past` steps before and `future` steps after the current one; each at most
    /// [`Window::MAX`]. The error names the option and the bound.
    pub fn new(past: u32, future: u32) -> Result<Self, String> {
        for (name, n) in [("--window-past", past), ("--window-future", future)] {
            if n > Self::MAX {
                return Err(format!(
                    "{name} {n}: at most {} steps are accepted (a clock that far off should be fixed, not tolerated)",
                    Self::MAX
                ));
            }
        }
        Ok(Window { past, future })
    }

    /// Steps accepted before the current one.
    pub fn past(self) -> u32 {
        self.past
    }

    /// Steps accepted after the current one.
    pub fn future(self) -> u32 {
        self.future
    }
}

impl Default for Window {
    /// One step either way, what RFC 6238 §6 recommends.
    fn default() -> Self {
        Window { past: 1, future: 1 }
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

/// A host (name or IP literal, lowercase, without brackets) and an optional port, as written in
/// a `Host` header or an origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    /// Host name or IP literal.
    pub host: String,
    /// Port, when written.
    pub port: Option<u16>,
}

impl Authority {
    /// Parses `host`, `host:port`, `[v6]` or `[v6]:port`; `None` when malformed.
    pub fn parse(s: &str) -> Option<Self> {
        let (host, port) = if let Some(rest) = s.strip_prefix('[') {
            let (v6, after) = rest.split_once(']')?;
            v6.parse::<std::net::Ipv6Addr>().ok()?;
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':')?),
            };
            (v6, port)
        } else {
            match s.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (s, None),
            }
        };
        let port = match port {
            None => None,
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                Some(p.parse().ok()?)
            }
            Some(_) => return None,
        };
        // A bracketed host was checked as an IPv6 literal above; a name has no colon.
        let valid = !host.is_empty()
            && host.bytes().all(|b| {
                b.is_ascii_alphanumeric()
                    || matches!(b, b'.' | b'-' | b'_')
                    || (b == b':' && s.starts_with('['))
            });
        valid.then(|| Authority {
            host: host.to_ascii_lowercase(),
            port,
        })
    }
}

/// The address people use to reach the portal when it is not the address it listens on (a
/// TLS proxy, a host name): `https://portal.example.org` or `http://portal.test:8080`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    /// `http` or `https`.
    pub scheme: String,
    /// Host name or IP literal, lowercase, without brackets.
    pub host: String,
    /// Port, the scheme's default when the URL has none.
    pub port: u16,
}

impl PublicUrl {
    /// Parses `http[s]://host[:port]` with nothing after it but an optional `/`; the error says
    /// what is wrong in the user's words.
    pub fn parse(url: &str) -> Result<Self, String> {
        let bad = |why: &str| format!("--public-url {url:?}: {why}");
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("give a URL such as https://portal.example.org"))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(bad("the scheme must be http or https"));
        }
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#', '@']) {
            return Err(bad(
                "give only the scheme, host and port (no path, query or user name)",
            ));
        }
        let a = Authority::parse(authority).ok_or_else(|| bad("the host or port is not valid"))?;
        let port = a.port.unwrap_or(if scheme == "https" { 443 } else { 80 });
        Ok(PublicUrl {
            scheme,
            host: a.host,
            port,
        })
    }

    /// The origin browsers send for pages served at this URL: `https://portal.example.org`
    /// (the port only when it is not the scheme's default).
    pub fn origin(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let default = if self.scheme == "https" { 443 } else { 80 };
        if self.port == default {
            format!("{}://{host}", self.scheme)
        } else {
            format!("{}://{host}:{}", self.scheme, self.port)
        }
    }
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
    /// Time steps a code may come from around the current one, for every code check.
    pub window: Window,
    /// Attempts kept per token in its history; older ones are pruned on insert.
    pub attempts_kept_per_token: u32,
    /// Lifetime of an SMS code in seconds (10 minutes).
    pub sms_ttl_secs: i64,
    /// Wrong entries allowed for one SMS code before the attempt is void.
    pub sms_max_tries: u32,
    /// Seconds before another SMS may be sent for the same attempt.
    pub sms_resend_cooldown_secs: i64,
    /// Idle seconds after which a browser session ends.
    pub session_idle_secs: i64,
    /// Wrong passwords for one username from one client address (login, the login check,
    /// changing the phone number): the limit a stranger meets first.
    pub password_failures_per_user_and_address: Limit,
    /// Wrong passwords from one client address, whatever the usernames (against one address
    /// trying many users).
    pub password_failures_per_address: Limit,
    /// Wrong passwords for one username from all addresses it has not logged in from: the
    /// account-wide cap (NIST SP 800-63B: at most 100 consecutive failures per account).
    pub password_failures_per_account: Limit,
    /// SMS sends for one username at the request of one client address.
    pub sms_limit_per_user_and_address: Limit,
    /// SMS sends at the request of one client address, whatever the usernames.
    pub sms_limit_per_address: Limit,
    /// SMS sends for one username at the request of addresses it has not logged in from.
    pub sms_limit_per_account: Limit,
    /// Password hashes waiting or running at once; beyond it requests are answered 503.
    pub hash_queue_limit: usize,
    /// Shortest password accepted by the reset page.
    pub min_password_len: usize,
    /// Mount the `/_test/...` routes (SMS outbox, clock offset, adding users).
    pub test_api: bool,
    /// Mark cookies `Secure` and give the session cookie the `__Host-` prefix (set when the
    /// portal is served over TLS, e.g. behind a proxy; implied by an `https` public URL).
    pub secure_cookies: bool,
    /// The URL people reach the portal at, besides its listen address (Host and Origin checks).
    pub public_url: Option<PublicUrl>,
    /// Print simulated SMS on standard output (`SMS to <phone>: ...`).
    pub sms_to_stdout: bool,
}

impl Config {
    /// Whether cookies are marked `Secure` (and the session cookie is `__Host-` prefixed).
    pub fn cookies_are_secure(&self) -> bool {
        self.secure_cookies
            || self
                .public_url
                .as_ref()
                .is_some_and(|u| u.scheme == "https")
    }

    /// Lifts every rate limit (the hidden `--no-rate-limits`, for load tests only).
    pub fn without_rate_limits(mut self) -> Self {
        let none = Limit {
            max: usize::MAX,
            window_secs: 1,
        };
        self.password_failures_per_user_and_address = none;
        self.password_failures_per_address = none;
        self.password_failures_per_account = none;
        self.sms_limit_per_user_and_address = none;
        self.sms_limit_per_address = none;
        self.sms_limit_per_account = none;
        self
    }
}

/// Password hashes that may wait or run at once by default. A queued request waits for the ones
/// ahead of it; 64 on two cores (about 25 argon2id verifications per second) is at most about
/// 2.5 s, and it is above the 50 clients the load test runs, so those never see a 503.
pub const DEFAULT_HASH_QUEUE: usize = 64;

/// Attempts kept per token by default: months of ordinary use, a few dozen KB per token.
pub const DEFAULT_ATTEMPTS_KEPT: u32 = 200;

impl Default for Config {
    fn default() -> Self {
        Config {
            issuer: "Pocket Pass Portal".to_owned(),
            token_validity_days: 730,
            pending_ttl_secs: 15 * 60,
            max_tokens_per_user: 3,
            otp: OtpParams::default(),
            max_token_failures: 10,
            window: Window::default(),
            attempts_kept_per_token: DEFAULT_ATTEMPTS_KEPT,
            sms_ttl_secs: 10 * 60,
            sms_max_tries: 5,
            sms_resend_cooldown_secs: 30,
            session_idle_secs: 30 * 60,
            password_failures_per_user_and_address: Limit {
                max: 10,
                window_secs: 300,
            },
            password_failures_per_address: Limit {
                max: 60,
                window_secs: 300,
            },
            password_failures_per_account: Limit {
                max: 100,
                window_secs: 24 * 3600,
            },
            sms_limit_per_user_and_address: Limit {
                max: 5,
                window_secs: 900,
            },
            sms_limit_per_address: Limit {
                max: 30,
                window_secs: 900,
            },
            sms_limit_per_account: Limit {
                max: 20,
                window_secs: 3600,
            },
            hash_queue_limit: DEFAULT_HASH_QUEUE,
            min_password_len: 12,
            test_api: false,
            secure_cookies: false,
            public_url: None,
            sms_to_stdout: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(s: &str) -> Authority {
        Authority::parse(s).unwrap_or_else(|| panic!("{s} parses"))
    }

    #[test]
    fn authorities_parse_like_host_headers() {
        assert_eq!(
            auth("Portal.Example.org:8443"),
            Authority {
                host: "portal.example.org".into(),
                port: Some(8443)
            }
        );
        assert_eq!(auth("[::1]:8080").host, "::1");
        assert_eq!(auth("localhost").port, None);
        for bad in [
            "",
            "a:b",
            "host:",
            "[::1",
            "[nope]:80",
            "a b",
            "a/b:80",
            "x:99999",
        ] {
            assert!(Authority::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn windows_are_bounded_with_a_message_naming_the_option() {
        assert_eq!(Window::new(10, 0).unwrap().past(), 10);
        assert_eq!(Window::new(0, 10).unwrap().future(), 10);
        let e = Window::new(11, 1).unwrap_err();
        assert!(e.starts_with("--window-past 11: at most 10"), "{e}");
        let e = Window::new(1, 12).unwrap_err();
        assert!(e.starts_with("--window-future 12: at most 10"), "{e}");
    }

    #[test]
    fn public_urls_parse_to_scheme_host_and_port() {
        let u = PublicUrl::parse("https://Portal.Example.org/").unwrap();
        assert_eq!(
            (u.scheme.as_str(), u.host.as_str(), u.port),
            ("https", "portal.example.org", 443)
        );
        assert_eq!(u.origin(), "https://portal.example.org");
        let u = PublicUrl::parse("http://[::1]:8080").unwrap();
        assert_eq!(u.origin(), "http://[::1]:8080");
        for bad in [
            "portal.example.org",
            "ftp://x",
            "https://x/path",
            "https://u@x",
            "https://x:port",
        ] {
            let e = PublicUrl::parse(bad).unwrap_err();
            assert!(e.starts_with("--public-url"), "{e}");
        }
    }
}
