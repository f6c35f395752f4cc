//! The portal's clock: wall time plus an offset that the test API can move.
//!
//! Every decision that depends on time (SMS code lifetime, token expiry, the TOTP step) reads
//! this clock, never `SystemTime` directly, so tests can pin time and testers can simulate drift
//! and expiry through `POST /_test/clock`.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Where the clock's base time comes from.
#[derive(Debug)]
enum Base {
    /// The operating system's wall clock.
    System,
    /// A fixed instant in Unix seconds, for tests; it moves only through the offset.
    Fixed(i64),
}

/// Unix time in seconds, as the portal sees it.
#[derive(Debug)]
pub struct Clock {
    base: Base,
    offset: AtomicI64,
}

impl Clock {
    /// A clock that follows the system's wall clock.
    pub fn system() -> Self {
        Clock {
            base: Base::System,
            offset: AtomicI64::new(0),
        }
    }

    /// A clock frozen at `unix_seconds`; only [`Clock::set_offset`] moves it.
    pub fn fixed(unix_seconds: i64) -> Self {
        Clock {
            base: Base::Fixed(unix_seconds),
            offset: AtomicI64::new(0),
        }
    }

    /// The current time in Unix seconds, offset included.
    pub fn now(&self) -> i64 {
        let base = match self.base {
            Base::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
                .unwrap_or(0),
            Base::Fixed(t) => t,
        };
        base.saturating_add(self.offset.load(Ordering::Relaxed))
    }

    /// Sets the offset in seconds added to the base time (replaces any earlier offset).
    pub fn set_offset(&self, seconds: i64) {
        self.offset.store(seconds, Ordering::Relaxed);
    }

    /// The offset currently added to the base time.
    pub fn offset(&self) -> i64 {
        self.offset.load(Ordering::Relaxed)
    }
}

/// Formats Unix seconds as an RFC 3339 UTC timestamp, e.g. `2028-11-28T19:04:16Z`.
pub fn format_datetime(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

/// Formats Unix seconds as a UTC calendar date, e.g. `2028-11-28`.
pub fn format_date(unix: i64) -> String {
    let (y, m, d) = civil_from_days(unix.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Formats Unix seconds as an HTTP date (RFC 7231 §7.1.1.1 IMF-fixdate), e.g.
/// `Sun, 06 Nov 1994 08:49:37 GMT`: the portal's `Date` header.
pub fn format_http_date(unix: i64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    // 1970-01-01 was a Thursday.
    let weekday = DAYS[(days + 4).rem_euclid(7) as usize];
    format!(
        "{weekday}, {d:02} {} {y:04} {:02}:{:02}:{:02} GMT",
        MONTHS[(m - 1) as usize],
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

/// Converts days since 1970-01-01 to a proleptic Gregorian (year, month, day).
///
/// This is Howard Hinnant's `civil_from_days` algorithm; it is exact for the whole `i64` range
/// the portal can meet, and saves a date-time dependency for two formatting functions.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_datetime(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_datetime(1_000_000_000), "2001-09-09T01:46:40Z");
        assert_eq!(format_date(951_782_400), "2000-02-29");
        assert_eq!(format_datetime(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn http_dates_are_imf_fixdate() {
        // RFC 7231's own example.
        assert_eq!(
            format_http_date(784_111_777),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        assert_eq!(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            format_http_date(951_782_400),
            "Tue, 29 Feb 2000 00:00:00 GMT"
        );
        assert_eq!(format_http_date(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
    }

    #[test]
    fn offset_moves_a_fixed_clock() {
        let c = Clock::fixed(1000);
        c.set_offset(-30);
        assert_eq!(c.now(), 970);
        assert_eq!(c.offset(), -30);
    }
}
