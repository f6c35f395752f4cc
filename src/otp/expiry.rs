//! Reading a token's `expires=` date (as the portal writes it, `YYYY-MM-DD`) against the
//! clock: the app shows a notice 30 days ahead and says what to do once it has passed.

/// Seconds in a day.
const DAY: i64 = 86_400;

/// Days before expiry from which the notice shows.
pub const NOTICE_DAYS: i64 = 30;

/// Where a token stands against its expiry date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// No date, or more than [`NOTICE_DAYS`] days left: nothing to say.
    Fine,
    /// Expires in this many whole days (0: today).
    Soon(i64),
    /// The date has passed.
    Expired,
}

/// Where a token that expires at the end of `date` (UTC) stands at `unix_seconds`. An
/// unreadable date says nothing rather than something wrong.
pub fn status(date: Option<&str>, unix_seconds: u64) -> Expiry {
    let Some(end) = date.and_then(parse_date) else {
        return Expiry::Fine;
    };
    let today = (unix_seconds as i64).div_euclid(DAY);
    let left = end - today;
    if left < 0 {
        Expiry::Expired
    } else if left <= NOTICE_DAYS {
        Expiry::Soon(left)
    } else {
        Expiry::Fine
    }
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (an RFC 3339 timestamp's date part is read
/// too); `None` when it is not one.
pub fn parse_date(text: &str) -> Option<i64> {
    let date = text.get(..10)?;
    let mut parts = date.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i64, i64, i64) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// Days since 1970-01-01 of a proleptic Gregorian date, month 1–12 and day 1–31 (Howard
/// Hinnant's `days_from_civil`, exact for every year an `i64` day count can hold).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_count_days_from_the_epoch() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2000-03-01"), Some(11_017));
        assert_eq!(parse_date("2028-11-28"), Some(21_516));
        assert_eq!(parse_date("2028-11-28T10:00:00Z"), Some(21_516));
        assert_eq!(parse_date("28/11/2028"), None);
        assert_eq!(parse_date("2028-13-01"), None);
    }

    #[test]
    fn the_notice_starts_thirty_days_before_and_turns_into_expired_after_the_day() {
        let day = |d: i64| (d * DAY + 3600) as u64;
        let end = parse_date("2028-11-28").unwrap();
        let date = Some("2028-11-28");
        assert_eq!(status(date, day(end - 31)), Expiry::Fine);
        assert_eq!(status(date, day(end - 30)), Expiry::Soon(30));
        assert_eq!(status(date, day(end)), Expiry::Soon(0));
        assert_eq!(status(date, day(end + 1)), Expiry::Expired);
        assert_eq!(status(None, day(end + 1)), Expiry::Fine);
    }
}
