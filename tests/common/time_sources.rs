//! Time sources a test starts on 127.0.0.1 (issue 17): a tiny HTTP server that answers with a
//! chosen `Date` (as the portal does from its validation clock) and a tiny SNTP responder with
//! a chosen transmit time. Shared by the terminal's and the window's clock tests.

use std::io::{Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::time::{SystemTime, UNIX_EPOCH};

/// The `pocketpass_time` parameter naming `url` as a key's portal, percent-encoded as the
/// portal writes it (`&pocketpass_time=http%3A%2F%2F127.0.0.1%3A8080`).
pub fn time_param(url: &str) -> String {
    let encoded = url
        .replace('%', "%25")
        .replace(':', "%3A")
        .replace('/', "%2F");
    format!("&pocketpass_time={encoded}")
}

pub fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// Unix seconds as an HTTP date, `Tue, 28 Nov 2028 19:04:16 GMT` (civil_from_days, written
/// apart from the app's parser so the two check each other).
pub fn http_date(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(m - 1) as usize];
    format!(
        "{weekday}, {d:02} {month} {y} {:02}:{:02}:{:02} GMT",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

/// Starts an HTTP server on 127.0.0.1 whose `Date` is `offset` seconds ahead of this machine's
/// clock, as a portal whose clock was moved; returns its base URL. It serves until the test
/// process ends.
pub fn http_time_source(offset: i64) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buf = [0u8; 512];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let date = http_date(unix_now() as i64 + offset);
            let _ = write!(
                stream,
                "HTTP/1.1 303 See Other\r\nLocation: /login\r\nDate: {date}\r\n\
                 Content-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    url
}

/// Starts an SNTP responder on 127.0.0.1 whose time is `offset` seconds ahead of this
/// machine's; returns `ntp://127.0.0.1:PORT`.
pub fn sntp_time_source(offset: f64) -> String {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let source = format!("ntp://{}", socket.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut request = [0u8; 48];
        while let Ok((n, from)) = socket.recv_from(&mut request) {
            if n < 48 {
                continue;
            }
            // NTP counts from 1900: 70 years (17 leap days) before the Unix epoch.
            let t = unix_now() + offset + 2_208_988_800.0;
            let stamp = ((t.trunc() as u64) << 32) | ((t.fract() * 4_294_967_296.0) as u64);
            let mut reply = [0u8; 48];
            reply[0] = (4 << 3) | 4; // no leap warning, version 4, mode 4 (server)
            reply[1] = 2; // stratum 2: synchronised to another server
            reply[12..16].copy_from_slice(&[127, 0, 0, 1]);
            reply[16..24].copy_from_slice(&stamp.to_be_bytes()); // reference
            reply[24..32].copy_from_slice(&request[40..48]); // originate = the client's transmit
            reply[32..40].copy_from_slice(&stamp.to_be_bytes()); // receive
            reply[40..48].copy_from_slice(&stamp.to_be_bytes()); // transmit
            let _ = socket.send_to(&reply, from);
        }
    });
    source
}
