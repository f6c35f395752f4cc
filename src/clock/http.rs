//! The time of a portal, read from the `Date` header of a plain HTTP answer.
//!
//! The portal sets `Date` from the clock it validates codes with (its test API's offset
//! included), so this measures exactly the difference that decides whether a code is accepted.
//! One `GET` over `std::net::TcpStream`, bounded in time and in how much is read: only the
//! response's head matters, and a source that sends more is cut off.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::{ClockError, Source};
use crate::otp::expiry::days_from_civil;

/// The most of a response read while looking for the end of its head.
const MAX_HEAD: usize = 8 * 1024;

/// Reads `http://HOST[:PORT][/PATH]` into a [`Source::Http`].
pub(super) fn parse_url(url: &str) -> Result<Source, ClockError> {
    let bad = || ClockError::BadSource(url.to_owned());
    let rest = &url["http://".len()..];
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    // The fragment never goes to the server; a query may.
    let path = path.split('#').next().unwrap_or("/");
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    if authority.contains('@') || path.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
        // An IPv6 literal, `[::1]` or `[::1]:8080`.
        let (host, after) = inner.split_once(']').ok_or_else(bad)?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(bad)?,
        None => 80,
    };
    if host.is_empty() || host.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    Ok(Source::Http {
        url: url.to_owned(),
        host: host.to_owned(),
        port,
        path,
    })
}

/// Asks the server at `host:port` for `path` and turns its `Date` into an offset.
pub(super) fn offset(
    source: &Source,
    host: &str,
    port: u16,
    path: &str,
    timeout: Duration,
) -> Result<i64, ClockError> {
    let deadline = Instant::now() + timeout;
    let left = || deadline.saturating_duration_since(Instant::now());
    let unreachable =
        |reason: &dyn std::fmt::Display| ClockError::unreachable(source, timeout, reason);
    let io = |e: std::io::Error| unreachable(&super::io_reason(&e));
    let addresses: Vec<_> = (host, port).to_socket_addrs().map_err(io)?.collect();
    let mut last_error = None;
    let mut stream = None;
    for address in addresses {
        if left().is_zero() {
            break;
        }
        match TcpStream::connect_timeout(&address, left()) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last_error = Some(e),
        }
    }
    let Some(mut stream) = stream else {
        return Err(match last_error {
            Some(e) => io(e),
            None => unreachable(&"no address for that host"),
        });
    };
    let host_header = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: pocketpass-clock\r\n\
         Accept: */*\r\nConnection: close\r\n\r\n"
    );
    let sent = unix_now();
    stream
        .set_write_timeout(Some(left().max(Duration::from_millis(1))))
        .and_then(|()| stream.write_all(request.as_bytes()))
        .map_err(io)?;
    let mut head = Vec::with_capacity(1024);
    let mut received = None;
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() >= MAX_HEAD {
            return Err(ClockError::bad_reply(
                source,
                format!("no end of the headers in the first {MAX_HEAD} bytes"),
            ));
        }
        if left().is_zero() {
            return Err(unreachable(&"no complete answer"));
        }
        stream.set_read_timeout(Some(left())).map_err(io)?;
        let n = match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io(e)),
        };
        // The server wrote `Date` as it began its answer: its first bytes mark the moment.
        received.get_or_insert_with(unix_now);
        head.extend_from_slice(&chunk[..n.min(MAX_HEAD - head.len())]);
    }
    let received = received.ok_or_else(|| ClockError::bad_reply(source, "an empty answer"))?;
    let head = String::from_utf8_lossy(&head);
    if !head.starts_with("HTTP/") {
        return Err(ClockError::bad_reply(source, "not an HTTP answer"));
    }
    let date = head
        .split("\r\n")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("date")
                .then(|| value.trim())
        })
        .ok_or_else(|| ClockError::bad_reply(source, "no Date header"))?;
    let date = parse_http_date(date)
        .ok_or_else(|| ClockError::bad_reply(source, format!("a Date header of {date:?}")))?;
    Ok(offset_from_date(date, sent, received))
}

/// The offset that a `Date` of `date` (whole Unix seconds) means for a request sent at `sent`
/// and answered at `received` (this device's Unix time, in fractional seconds).
///
/// The server read its clock somewhere in the round trip: its middle is the best guess. And
/// `Date` has whole seconds, cut down, so the server's time then lay in `[date, date + 1)`:
/// its middle, `date + 0.5`, is the best guess of that. The result is rounded to the second,
/// which is all the header can tell.
pub(super) fn offset_from_date(date: i64, sent: f64, received: f64) -> i64 {
    let device = sent + (received - sent).max(0.0) / 2.0;
    (date as f64 + 0.5 - device).round() as i64
}

/// This device's Unix time in fractional seconds.
fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Reads an HTTP date in the form servers must send (RFC 9110's IMF-fixdate, e.g. `Sun, 06
/// Nov 1994 08:49:37 GMT`) as Unix seconds.
pub(super) fn parse_http_date(text: &str) -> Option<i64> {
    let (_weekday, rest) = text.trim().split_once(", ")?;
    let parts: Vec<&str> = rest.split(' ').collect();
    let [day, month, year, time, "GMT"] = parts[..] else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == month)? as i64 + 1;
    let day: i64 = day.parse().ok().filter(|d| (1..=31).contains(d))?;
    let year: i64 = year.parse().ok().filter(|_| year.len() == 4)?;
    let mut hms = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some() || h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_are_read_as_rfc_9110_writes_them() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Tue, 28 Nov 2028 19:04:16 GMT"),
            Some(1_859_051_056)
        );
        for bad in [
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 CET",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_offset_takes_the_middle_of_the_round_trip_and_of_the_second() {
        // Sent at 100.0, answered at 102.0: the server read its clock at about 101.0, and a
        // Date of 190 means its clock read between 190 and 191.
        assert_eq!(offset_from_date(190, 100.0, 102.0), 90);
        // Sent at 100.0, answered at 101.0: read at 100.5, when a Date of 100 meant 100.5.
        assert_eq!(offset_from_date(100, 100.0, 101.0), 0);
        assert_eq!(offset_from_date(41, 100.2, 100.4), -59);
        // A clock that stepped back during the request counts no negative trip.
        assert_eq!(offset_from_date(100, 100.0, 99.0), 1);
    }
}
