//! The time of an NTP server, through rsntp's blocking SNTP client (RFC 5905's client
//! offset: the middle of the round trip, to the fraction of a second).

use std::time::Duration;

use super::{ClockError, Source};

/// Asks `server` (`HOST` or `HOST:PORT`) for its time and returns the offset rounded to the
/// second, to match what the HTTP source can tell.
pub(super) fn offset(source: &Source, server: &str, timeout: Duration) -> Result<i64, ClockError> {
    let mut client = rsntp::SntpClient::new();
    // The timeout bounds the wait for the answer; resolving the name is the system's own.
    client.set_timeout(timeout);
    match client.synchronize(server) {
        Ok(result) => Ok(result.clock_offset().as_secs_f64().round() as i64),
        Err(rsntp::SynchronizationError::IOError(e)) => Err(ClockError::unreachable(
            source,
            timeout,
            super::io_reason(&e),
        )),
        Err(rsntp::SynchronizationError::ProtocolError(e)) => {
            Err(ClockError::bad_reply(source, e.to_string()))
        }
    }
}
