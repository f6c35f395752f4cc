//! Why a portal refuses a code: what the app can find out for one account, as facts that the
//! terminal (`pocketpass doctor`) and the window ("Code not accepted?") put into words.
//!
//! The checks follow what an HPC centre's help desk sees most: an activation never finished
//! (Next and the code in the portal), an expired token, a clock that is off, a code typed
//! twice, an HOTP counter out of step. [`diagnose`] makes every check but the clock's, which
//! needs the network: the caller measures [`Diagnosis::time_source`] (off its UI thread) and
//! hands the result to [`Diagnosis::clock`]. Nothing here holds a key: only names, dates,
//! counters and offsets.

use super::{ClockError, Source, TIME_PARAM};
use crate::otp::{expiry, Account, Expiry, Kind, ADDED_PARAM};

/// How long after installing a key an unfinished activation is the likely cause.
pub const RECENT_SECONDS: u64 = 24 * 3600;

/// A clock further off than this is reported as the problem: the portal accepts a step or so
/// either side, and 10 s leaves room for the second the measurement cannot tell.
pub const CLOCK_TOLERANCE: i64 = 10;

/// How a check came out, most serious first (so sorting puts what to fix on top).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// This is wrong and stops codes from being accepted.
    Problem,
    /// This may be the reason; the app cannot tell for sure.
    Possible,
    /// The app cannot tell; the advice says what to try.
    Unknown,
    /// Nothing wrong here.
    Fine,
}

/// 1. When the key was installed: a key installed recently may belong to an activation that
///    was never finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installed {
    /// The key carries no install time (added before Pocket Pass noted it, or imported).
    Unknown,
    /// Installed at this Unix time, this many seconds ago.
    At {
        /// The install time, as the key notes it.
        unix: u64,
        /// Seconds since (0 when the install time is later than now).
        ago: u64,
    },
}

/// 2. The token's expiry date, as the portal put it into the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expires {
    /// The token expired on this date: its codes are refused whatever they are.
    Expired(String),
    /// It expires on this date, in this many days.
    Soon {
        /// The date as the key has it.
        date: String,
        /// Days left.
        days: u64,
    },
    /// It is valid until this date, more than a few weeks away.
    Until(String),
    /// The key has no (readable) date.
    NoDate,
}

/// 3. The device's clock against the time source (time-based keys only).
#[derive(Debug, Clone)]
pub enum ClockCheck {
    /// Not measured yet (the window shows "checking…" while it is).
    NotMeasured,
    /// The source's time minus this device's, in seconds.
    Offset(i64),
    /// The source could not be read.
    Failed(ClockError),
}

/// Everything [`diagnose`] found for one account.
#[derive(Debug)]
pub struct Diagnosis {
    /// 1. When it was installed.
    pub installed: Installed,
    /// 2. Its expiry.
    pub expires: Expires,
    /// 3. The clock, for a time-based key (`None` for HOTP, where the clock does not matter).
    pub clock: Option<ClockCheck>,
    /// Where the clock is measured: the key's portal, else the fallback.
    pub time_source: Source,
    /// The key names a portal whose address cannot be used (why), so the fallback is used.
    pub time_source_unusable: Option<String>,
    /// 4. Seconds until the next code (time-based keys): a code already typed is refused, the
    ///    next one is not.
    pub seconds_left: Option<u64>,
    /// 5. The counter of an HOTP key.
    pub hotp_counter: Option<u64>,
}

/// The checks of `account` at Unix time `at`, the clock not yet measured; keys that name no
/// portal are measured against `fallback`.
pub fn diagnose(account: &Account, at: u64, fallback: &Source) -> Diagnosis {
    let installed = match account
        .extra(ADDED_PARAM)
        .and_then(|t| t.parse::<u64>().ok())
    {
        Some(unix) => Installed::At {
            unix,
            ago: at.saturating_sub(unix),
        },
        None => Installed::Unknown,
    };
    let date = account.extra("expires");
    let expires = match (expiry::status(date, at), date) {
        (Expiry::Expired, Some(date)) => Expires::Expired(date.to_owned()),
        (Expiry::Soon(days), Some(date)) => Expires::Soon {
            date: date.to_owned(),
            days: u64::try_from(days).unwrap_or(0),
        },
        (_, Some(date)) if expiry::parse_date(date).is_some() => Expires::Until(date.to_owned()),
        _ => Expires::NoDate,
    };
    let (time_source, time_source_unusable) = time_source(account, fallback);
    let (clock, seconds_left, hotp_counter) = match account.kind {
        Kind::Hotp { counter } => (None, None, Some(counter)),
        Kind::Totp { .. } | Kind::Steam => (
            Some(ClockCheck::NotMeasured),
            Some(account.seconds_left(at).unwrap_or(0)),
            None,
        ),
    };
    Diagnosis {
        installed,
        expires,
        clock,
        time_source,
        time_source_unusable,
        seconds_left,
        hotp_counter,
    }
}

/// Where `account`'s clock check asks the time: the portal named in its link
/// ([`TIME_PARAM`]), else `fallback`; with why the portal's address cannot be used, if so.
pub fn time_source(account: &Account, fallback: &Source) -> (Source, Option<String>) {
    match account.extra(TIME_PARAM).map(Source::parse) {
        Some(Ok(source)) => (source, None),
        Some(Err(e)) => (fallback.clone(), Some(e.to_string())),
        None => (fallback.clone(), None),
    }
}

impl Diagnosis {
    /// The verdict on the install time.
    pub fn installed_verdict(&self) -> Verdict {
        match self.installed {
            Installed::Unknown => Verdict::Unknown,
            Installed::At { ago, .. } if ago <= RECENT_SECONDS => Verdict::Possible,
            Installed::At { .. } => Verdict::Fine,
        }
    }

    /// The verdict on the expiry date.
    pub fn expires_verdict(&self) -> Verdict {
        match self.expires {
            Expires::Expired(_) => Verdict::Problem,
            Expires::Soon { .. } | Expires::Until(_) => Verdict::Fine,
            Expires::NoDate => Verdict::Unknown,
        }
    }

    /// The verdict on the clock (`None` for HOTP keys).
    pub fn clock_verdict(&self) -> Option<Verdict> {
        self.clock.as_ref().map(|clock| match clock {
            ClockCheck::NotMeasured | ClockCheck::Failed(_) => Verdict::Unknown,
            ClockCheck::Offset(n) if n.abs() > CLOCK_TOLERANCE => Verdict::Problem,
            ClockCheck::Offset(_) => Verdict::Fine,
        })
    }

    /// The measured offset, when it is beyond [`CLOCK_TOLERANCE`]: the codes the portal
    /// expects are those for this device's time plus it.
    pub fn clock_off_by(&self) -> Option<i64> {
        match self.clock {
            Some(ClockCheck::Offset(n)) if n.abs() > CLOCK_TOLERANCE => Some(n),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otp::{parse_key_link, KeyLink};

    const NOW: u64 = 1_795_867_200; // 2026-11-28 12:00 UTC

    fn account(link: &str) -> Account {
        match parse_key_link(link).unwrap() {
            KeyLink::Account(a) => a,
            KeyLink::Migration(_) => panic!("a single key"),
        }
    }

    #[test]
    fn a_key_installed_an_hour_ago_may_wait_for_its_activation() {
        let mut a = account("otpauth://totp/x?secret=GEZDGNBVGY3TQOJQ&expires=2026-12-05");
        a.mark_added(NOW - 3600);
        let d = diagnose(&a, NOW, &Source::default_ntp());
        assert_eq!(
            d.installed,
            Installed::At {
                unix: NOW - 3600,
                ago: 3600
            }
        );
        assert_eq!(d.installed_verdict(), Verdict::Possible);
        assert_eq!(
            d.expires,
            Expires::Soon {
                date: "2026-12-05".into(),
                days: 7
            }
        );
        assert_eq!(d.expires_verdict(), Verdict::Fine);
        assert_eq!(d.seconds_left, Some(30));
        assert_eq!(d.clock_verdict(), Some(Verdict::Unknown));
        assert_eq!(d.time_source, Source::default_ntp());
    }

    #[test]
    fn an_expired_token_is_the_problem_and_an_old_install_is_not() {
        let mut a = account("otpauth://totp/x?secret=GEZDGNBVGY3TQOJQ&expires=2026-11-01");
        a.mark_added(NOW - 40 * 86_400);
        let d = diagnose(&a, NOW, &Source::default_ntp());
        assert_eq!(d.expires, Expires::Expired("2026-11-01".into()));
        assert_eq!(d.expires_verdict(), Verdict::Problem);
        assert_eq!(d.installed_verdict(), Verdict::Fine);
    }

    #[test]
    fn an_hotp_key_has_a_counter_and_no_clock() {
        let a = account("otpauth://hotp/x?secret=GEZDGNBVGY3TQOJQ&counter=7");
        let d = diagnose(&a, NOW, &Source::default_ntp());
        assert_eq!(d.hotp_counter, Some(7));
        assert!(d.clock.is_none() && d.seconds_left.is_none());
        assert_eq!(d.installed, Installed::Unknown);
        assert_eq!(d.expires, Expires::NoDate);
    }

    #[test]
    fn the_portal_named_in_the_key_is_the_time_source_and_a_bad_one_falls_back() {
        let a = account(
            "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQ&pocketpass_time=http%3A%2F%2F127.0.0.1%3A8080",
        );
        let d = diagnose(&a, NOW, &Source::default_ntp());
        assert_eq!(d.time_source.spec(), "http://127.0.0.1:8080");
        assert!(d.time_source_unusable.is_none());
        let a = account(
            "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQ&pocketpass_time=https%3A%2F%2Fportal.example",
        );
        let d = diagnose(&a, NOW, &Source::default_ntp());
        assert_eq!(d.time_source, Source::default_ntp());
        assert!(d.time_source_unusable.unwrap().contains("https"));
    }

    #[test]
    fn only_an_offset_beyond_the_tolerance_is_a_problem() {
        let a = account("otpauth://totp/x?secret=GEZDGNBVGY3TQOJQ");
        let mut d = diagnose(&a, NOW, &Source::default_ntp());
        d.clock = Some(ClockCheck::Offset(CLOCK_TOLERANCE));
        assert_eq!(d.clock_verdict(), Some(Verdict::Fine));
        assert_eq!(d.clock_off_by(), None);
        d.clock = Some(ClockCheck::Offset(-CLOCK_TOLERANCE - 1));
        assert_eq!(d.clock_verdict(), Some(Verdict::Problem));
        assert_eq!(d.clock_off_by(), Some(-CLOCK_TOLERANCE - 1));
    }
}
