//! The real `pocketpass-portal` process on a random loopback port, and a minimal HTTP client
//! to talk to it. Shared by the portal's integration tests (`binary`) and the end-to-end test.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// The portal binary Cargo built for this test.
pub const BIN: &str = env!("CARGO_BIN_EXE_pocketpass-portal");

/// The system clock in Unix seconds (the portal binary runs on it).
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A portal on a random loopback port with an in-memory database and the test API; tests
/// add their own options after these.
pub const IN_MEMORY_WITH_TEST_API: [&str; 5] =
    ["--listen", "127.0.0.1:0", "--db", ":memory:", "--test-api"];

/// [`IN_MEMORY_WITH_TEST_API`] followed by `more`.
pub fn in_memory_with(more: &[&'static str]) -> Vec<&'static str> {
    IN_MEMORY_WITH_TEST_API
        .iter()
        .chain(more)
        .copied()
        .collect()
}

/// A running portal process; killed on drop.
pub struct Proc {
    /// The process.
    pub child: Child,
    /// Its standard output after the header, line by line.
    pub lines: Receiver<String>,
    /// The address it serves on.
    pub addr: SocketAddr,
    /// The first four lines it printed (URL, demo user, database, where SMS appear).
    pub header: Vec<String>,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    /// Starts the portal with `args`; returns once it printed its URL.
    pub fn start(args: &[&str]) -> Proc {
        Self::start_with_env(args, &[])
    }

    /// Starts the portal with `args` and extra environment variables.
    pub fn start_with_env(args: &[&str], env: &[(&str, &std::path::Path)]) -> Proc {
        let mut child = Command::new(BIN)
            .args(args)
            .envs(env.iter().map(|(k, v)| (*k, *v)))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the portal binary starts");
        let (tx, lines) = channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut header = Vec::new();
        let addr = loop {
            let line = lines
                .recv_timeout(Duration::from_secs(60))
                .expect("the portal prints its URL");
            header.push(line.clone());
            if let Some(url) = line.strip_prefix("Pocket Pass portal: http://") {
                break url.trim_end_matches('/').parse().unwrap();
            }
        };
        while header.len() < 4 {
            header.push(lines.recv_timeout(Duration::from_secs(10)).unwrap());
        }
        Proc {
            child,
            lines,
            addr,
            header,
        }
    }

    /// Logs `username` in over the JSON API (password, then the SMS code it printed) and adds
    /// a token named `token`: the SMS's phone number, the session cookie, and the new token
    /// as the API answered it (`id`, `otpauth_uri`, ...).
    pub fn log_in_and_add_token(
        &self,
        username: &str,
        password: &str,
        token: &str,
    ) -> (String, String, Value) {
        let (status, cookie, body) = http(
            self.addr,
            "POST",
            "/api/login",
            Some(&serde_json::json!({"username": username, "password": password})),
            None,
        )
        .unwrap();
        assert_eq!(status, 200, "{body}");
        let (phone, code) = self.next_sms();
        let (status, cookie, body) = http(
            self.addr,
            "POST",
            "/api/login/sms",
            Some(&serde_json::json!({"code": code})),
            cookie.as_deref(),
        )
        .unwrap();
        assert_eq!(status, 200, "{body}");
        let cookie = cookie.expect("a session cookie");
        let (status, _, body) = http(
            self.addr,
            "POST",
            "/api/tokens",
            Some(&serde_json::json!({"name": token})),
            Some(&cookie),
        )
        .unwrap();
        assert_eq!(status, 201, "{body}");
        (phone, cookie, json_of(&body))
    }

    /// Activates `token` (as [`Proc::log_in_and_add_token`] returned it) with `code`; fails
    /// unless the portal accepts it.
    pub fn activate(&self, cookie: &str, token: &Value, code: &str) {
        let path = format!("/api/tokens/{}/activate", token["id"]);
        let (status, _, body) = http(
            self.addr,
            "POST",
            &path,
            Some(&serde_json::json!({"otp": code})),
            Some(cookie),
        )
        .unwrap();
        assert_eq!(status, 200, "{body}");
    }

    /// The next simulated SMS printed on standard output; returns (phone, code).
    pub fn next_sms(&self) -> (String, String) {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(30))
                .expect("an SMS line");
            if let Some(rest) = line.strip_prefix("SMS to ") {
                let (phone, text) = rest.split_once(": ").unwrap();
                let code: String = text
                    .split_whitespace()
                    .find(|w| {
                        w.trim_end_matches('.').len() == 6
                            && w.chars().take(6).all(|c| c.is_ascii_digit())
                    })
                    .unwrap()
                    .chars()
                    .take(6)
                    .collect();
                return (phone.to_owned(), code);
            }
        }
    }
}

/// A minimal HTTP/1.1 client: one request per connection. Returns (status, set-cookie, body).
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&Value>,
    cookie: Option<&str>,
) -> std::io::Result<(u16, Option<String>, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n", body.len());
    if let Some(c) = cookie {
        req.push_str(&format!("Cookie: pp_session={c}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(&body);
    s.write_all(req.as_bytes())?;
    let mut raw = String::new();
    s.read_to_string(&mut raw)?;
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no header end"))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("bad status"))?;
    let cookie = head
        .lines()
        .filter_map(|l| l.split_once(": "))
        .find(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| {
            v.split(';')
                .next()
                .unwrap()
                .trim_start_matches("pp_session=")
                .to_owned()
        });
    Ok((status, cookie, body.to_owned()))
}

/// Parses a response body as JSON; fails showing the body.
pub fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// Sends one request with exactly the header lines given (nothing added but `Content-Length`
/// when there is a body) and returns (status, body). A server may answer and close before it
/// has read a body it refuses, so errors while writing the body are ignored and the answer is
/// still read; `Err` means no answer came.
pub fn http_raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    http_raw_with_head(addr, method, path, headers, body).map(|(status, _, body)| (status, body))
}

/// An answer's header lines as `(lowercase name, value)`.
pub type HeaderLines = Vec<(String, String)>;

/// [`http_raw`], also returning the answer's header lines (status line excluded): (status,
/// headers as `(lowercase name, value)`, body).
pub fn http_raw_with_head(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, HeaderLines, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())?;
    for chunk in body.chunks(64 * 1024) {
        if s.write_all(chunk).is_err() {
            break;
        }
    }
    let mut raw = Vec::new();
    // A reset after the answer arrived still leaves the answer in `raw`.
    let _ = s.read_to_end(&mut raw);
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("no answer: {raw:?}")))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("bad status"))?;
    let fields = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok((status, fields, body.to_owned()))
}
