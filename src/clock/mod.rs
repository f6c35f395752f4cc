//! How far this device's clock is from a time source (issue 17, "Why was my code refused?").
//!
//! A time-based code is accepted only when the device and the portal agree on the time to
//! within a step or two, so a clock that is off is a common reason for a refused code. This
//! module measures the difference against one of two kinds of [`Source`]:
//!
//! - the portal the key came from: new key links carry its base URL in the `pocketpass_time`
//!   parameter ([`TIME_PARAM`]), and the portal sets its responses' `Date` header from the
//!   clock it checks codes with, so a plain HTTP request tells what the portal believes
//!   ([`http`]);
//! - an NTP server, through SNTP ([`ntp`]), when the key names no portal.
//!
//! The result is an offset N in whole seconds: the source's time minus this device's time
//! (positive: this device is behind). [`diagnose`] puts it beside the other reasons a code is
//! refused, and [`device`] keeps what this device remembers about its clock (the time server,
//! the corrected time). The module is plain domain code: no terminal, no window.

pub mod device;
pub mod diagnose;
mod http;
mod ntp;

use std::fmt;
use std::time::Duration;

/// The key link parameter in which the portal puts its base URL (percent-encoded in the link,
/// decoded in [`crate::otp::Account::extra`]).
pub const TIME_PARAM: &str = "pocketpass_time";

/// The NTP server asked when none is given.
pub const DEFAULT_NTP_SERVER: &str = "pool.ntp.org";

/// How long a measurement waits for the source: long enough for a slow mobile network, short
/// enough that a command run to find out why a code fails does not seem to hang.
pub const TIMEOUT: Duration = Duration::from_secs(3);

/// Where the time is read from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    /// A portal (or any web server) at this `http://` base URL, read through its `Date` header.
    Http {
        /// The URL as given, e.g. `http://127.0.0.1:8080`.
        url: String,
        /// The host name or address to connect to (without IPv6 brackets).
        host: String,
        /// The TCP port (80 unless the URL names one).
        port: u16,
        /// The path to ask for (`/` unless the URL has one).
        path: String,
    },
    /// An NTP server, `HOST` or `HOST:PORT` (port 123 unless given).
    Ntp(String),
}

impl Source {
    /// The default NTP server, [`DEFAULT_NTP_SERVER`].
    pub fn default_ntp() -> Self {
        Source::Ntp(DEFAULT_NTP_SERVER.to_owned())
    }

    /// Reads a source as the user or a key link gives it: `ntp://HOST[:PORT]` or
    /// `http://HOST[:PORT][/PATH]`. `https://` is refused with a message saying what to use
    /// instead (no TLS client is built in yet).
    pub fn parse(text: &str) -> Result<Self, ClockError> {
        let text = text.trim();
        let lower = text.to_ascii_lowercase();
        if lower.starts_with("ntp://") {
            let host = text["ntp://".len()..].trim_end_matches('/');
            if host.is_empty() || host.contains('/') || host.contains(char::is_whitespace) {
                return Err(ClockError::BadSource(text.to_owned()));
            }
            return Ok(Source::Ntp(host.to_owned()));
        }
        if lower.starts_with("https://") {
            return Err(ClockError::HttpsUnsupported(text.to_owned()));
        }
        if lower.starts_with("http://") {
            return http::parse_url(text);
        }
        Err(ClockError::BadSource(text.to_owned()))
    }

    /// Measures how far this device's clock is from this source, waiting at most about
    /// `timeout` for it.
    pub fn measure(&self, timeout: Duration) -> Result<Measurement, ClockError> {
        let offset_seconds = match self {
            Source::Http {
                host, port, path, ..
            } => http::offset(self, host, *port, path, timeout)?,
            Source::Ntp(server) => ntp::offset(self, server, timeout)?,
        };
        Ok(Measurement {
            offset_seconds,
            source: self.clone(),
        })
    }

    /// The source as [`Source::parse`] reads it: the URL, or `ntp://HOST`.
    pub fn spec(&self) -> String {
        match self {
            Source::Http { url, .. } => url.clone(),
            Source::Ntp(server) => format!("ntp://{server}"),
        }
    }
}

impl fmt::Display for Source {
    /// The source in words, e.g. "pool.ntp.org (NTP)" or "the portal at http://…".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Http { url, .. } => write!(f, "the portal at {url}"),
            Source::Ntp(server) => write!(f, "{server} (NTP)"),
        }
    }
}

/// One measurement of this device's clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measurement {
    /// The source's time minus this device's time, in whole seconds (positive: this device is
    /// behind).
    pub offset_seconds: i64,
    /// Where the time came from.
    pub source: Source,
}

impl Measurement {
    /// The measurement in words: "This device's clock is 42 s behind pool.ntp.org (NTP)." or
    /// "…is within 1 s of …".
    pub fn summary(&self) -> String {
        let n = self.offset_seconds;
        let source = &self.source;
        match n {
            -1..=1 => format!("This device's clock is within 1 s of {source}."),
            n if n > 0 => format!("This device's clock is {n} s behind {source}."),
            n => format!("This device's clock is {} s ahead of {source}.", -n),
        }
    }
}

/// Why a measurement failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClockError {
    /// The source is neither `ntp://HOST` nor an `http://` URL.
    #[error(
        "{0:?} is not a time source: give ntp://HOST (e.g. ntp://pool.ntp.org) or the portal's \
         http:// address"
    )]
    BadSource(String),
    /// An `https://` source; only plain HTTP and NTP are read.
    #[error(
        "{0}: https time sources are not supported yet; use --source ntp://HOST (e.g. \
         ntp://pool.ntp.org)"
    )]
    HttpsUnsupported(String),
    /// Nothing answered in time, or the connection failed.
    #[error(
        "could not reach {from} within {seconds} s ({reason}): check the network, or choose \
         another source with --source"
    )]
    Unreachable {
        /// The source in words.
        from: String,
        /// The time waited.
        seconds: u64,
        /// What the system said.
        reason: String,
    },
    /// The source answered, but not with a time that can be read.
    #[error(
        "{from} answered without a usable time ({reason}); choose another source with --source"
    )]
    BadReply {
        /// The source in words.
        from: String,
        /// What was wrong with the answer.
        reason: String,
    },
}

impl ClockError {
    /// True when the source could not be reached or gave no usable time (a network problem),
    /// rather than being written wrongly.
    pub fn is_network(&self) -> bool {
        matches!(
            self,
            ClockError::Unreachable { .. } | ClockError::BadReply { .. }
        )
    }

    fn unreachable(source: &Source, timeout: Duration, reason: impl fmt::Display) -> Self {
        ClockError::Unreachable {
            from: source.to_string(),
            seconds: timeout.as_secs().max(1),
            reason: reason.to_string(),
        }
    }

    fn bad_reply(source: &Source, reason: impl Into<String>) -> Self {
        ClockError::BadReply {
            from: source.to_string(),
            reason: reason.into(),
        }
    }
}

/// An I/O error in the user's words: a timeout is "no answer", not "resource temporarily
/// unavailable".
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => "no answer".to_owned(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_read_as_the_user_writes_them() {
        assert_eq!(
            Source::parse("ntp://time.example:1234").unwrap(),
            Source::Ntp("time.example:1234".into())
        );
        assert_eq!(
            Source::parse("NTP://pool.ntp.org/").unwrap(),
            Source::Ntp("pool.ntp.org".into())
        );
        let Source::Http {
            host, port, path, ..
        } = Source::parse("http://127.0.0.1:8080").unwrap()
        else {
            panic!("an http URL is an HTTP source")
        };
        assert_eq!(
            (host.as_str(), port, path.as_str()),
            ("127.0.0.1", 8080, "/")
        );
        let Source::Http { host, port, .. } = Source::parse("http://[::1]/x").unwrap() else {
            panic!("an IPv6 URL is an HTTP source")
        };
        assert_eq!((host.as_str(), port), ("::1", 80));
        assert!(matches!(
            Source::parse("https://portal.example"),
            Err(ClockError::HttpsUnsupported(_))
        ));
        for bad in [
            "pool.ntp.org",
            "ntp://",
            "http://",
            "http://h:99999",
            "ftp://x",
        ] {
            assert!(
                matches!(Source::parse(bad), Err(ClockError::BadSource(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn summaries_say_behind_ahead_or_within() {
        let m = |n| Measurement {
            offset_seconds: n,
            source: Source::default_ntp(),
        };
        assert_eq!(
            m(42).summary(),
            "This device's clock is 42 s behind pool.ntp.org (NTP)."
        );
        assert_eq!(
            m(-7).summary(),
            "This device's clock is 7 s ahead of pool.ntp.org (NTP)."
        );
        assert_eq!(
            m(-1).summary(),
            "This device's clock is within 1 s of pool.ntp.org (NTP)."
        );
    }
}
