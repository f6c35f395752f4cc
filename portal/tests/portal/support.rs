//! Shared helpers: a portal on a fixed clock, a cookie-keeping client over `oneshot`, and an
//! independent TOTP implementation (oathtool).

#![allow(dead_code)]

use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use pocketpass_portal::config::PublicUrl;
use pocketpass_portal::crypto::ServerKey;
use pocketpass_portal::password::{Hasher, Password};
use pocketpass_portal::service::NewUser;
use pocketpass_portal::store::Store;
use pocketpass_portal::{app, Clock, Config, Portal};
use serde_json::{json, Value};
use tower::ServiceExt;

/// The fixed instant every in-process portal starts at (2027-01-15T08:00:00Z).
pub const T0: i64 = 1_800_000_000;

/// The name the in-process portals answer to (every [`Client`] sends it as `Host`).
pub const PUBLIC_URL: &str = "http://portal.test";

/// The test configuration: defaults plus the test API, reached at [`PUBLIC_URL`].
pub fn config() -> Config {
    Config {
        test_api: true,
        public_url: Some(PublicUrl::parse(PUBLIC_URL).unwrap()),
        ..Config::default()
    }
}

/// A portal with an in-memory database on a clock frozen at [`T0`]. Without a public URL in
/// `config` it gets [`PUBLIC_URL`]: an in-process portal has no listen address to answer to.
pub fn portal_with(config: Config) -> Arc<Portal> {
    portal_with_hasher(config, Hasher::new(2).unwrap())
}

/// [`portal_with`] a given hasher (a test that keeps a clone sees and can fill its queue).
pub fn portal_with_hasher(mut config: Config, hasher: Hasher) -> Arc<Portal> {
    if config.public_url.is_none() {
        config.public_url = Some(PublicUrl::parse(PUBLIC_URL).unwrap());
    }
    let store = Store::open(":memory:").expect("in-memory database");
    Portal::new(
        config,
        store,
        ServerKey::ephemeral().unwrap(),
        Clock::fixed(T0),
        hasher,
    )
}

/// [`portal_with`] the test configuration.
pub fn portal() -> Arc<Portal> {
    portal_with(config())
}

/// Adds a user with phone `+4670000000N`-style number; panics on failure (test setup).
pub async fn add_user(p: &Portal, username: &str, password: &str) {
    let id = p
        .add_user(NewUser {
            username: username.into(),
            full_name: format!("{username} Testsson"),
            password: Password::new(password.into()),
            phone: "+46 70 123 45 67".into(),
            email: format!("{username}@example.org"),
        })
        .await
        .expect("add user");
    assert!(id.is_some(), "user {username} existed already");
}

/// A response, body read to a string.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The CSRF token of the first form on the page.
    pub fn csrf(&self) -> String {
        let i = self
            .body
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("no csrf field in {}", self.body));
        let rest = &self.body[i + 19..];
        rest[..rest.find('"').unwrap()].to_owned()
    }
}

/// A browser-like client: keeps the session cookie, talks to the router with `oneshot`.
#[derive(Clone)]
pub struct Client {
    pub app: Router,
    /// The session cookie's value.
    pub cookie: Option<String>,
    /// The session cookie's name, as the portal last set it.
    pub cookie_name: String,
    pub origin: Option<String>,
    /// The `Host` header sent (the portal's public name in these tests).
    pub host: String,
    /// The client address the portal sees (as `serve` would report it); `None`: no address.
    pub addr: Option<SocketAddr>,
    /// Further headers sent with every request.
    pub headers: Vec<(&'static str, String)>,
}

impl Client {
    pub fn new(p: &Arc<Portal>) -> Self {
        Client {
            app: app(p.clone()),
            cookie: None,
            cookie_name: "pp_session".into(),
            origin: None,
            host: "portal.test".into(),
            addr: None,
            headers: Vec::new(),
        }
    }

    /// A client whose requests come from IP address `ip` (e.g. `"192.0.2.7"`).
    pub fn at(p: &Arc<Portal>, ip: &str) -> Self {
        Client {
            addr: Some(SocketAddr::new(ip.parse().expect("an IP address"), 40000)),
            ..Client::new(p)
        }
    }

    pub async fn send(&mut self, mut req: Request<Body>) -> Resp {
        if let Some(c) = &self.cookie {
            let cookie = format!("{}={c}", self.cookie_name);
            req.headers_mut()
                .insert(header::COOKIE, cookie.parse().unwrap());
        }
        req.headers_mut()
            .insert(header::HOST, self.host.parse().unwrap());
        if let Some(o) = &self.origin {
            req.headers_mut().insert(header::ORIGIN, o.parse().unwrap());
        }
        for (k, v) in &self.headers {
            req.headers_mut().insert(*k, v.parse().unwrap());
        }
        if let Some(a) = self.addr {
            req.extensions_mut().insert(ConnectInfo(a));
        }
        let res = self
            .app
            .clone()
            .oneshot(req)
            .await
            .expect("router is infallible");
        let status = res.status();
        let headers = res.headers().clone();
        if let Some(sc) = headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
        {
            let (name, value) = sc.split(';').next().unwrap().split_once('=').unwrap();
            self.cookie_name = name.to_owned();
            self.cookie = if value.is_empty() {
                None
            } else {
                Some(value.to_owned())
            };
        }
        let body = res.into_body().collect().await.unwrap().to_bytes();
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    pub async fn form(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, NON_ALPHANUMERIC)))
            .collect::<Vec<_>>()
            .join("&");
        let req = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    pub async fn json(&mut self, method: Method, path: &str, body: Value) -> Resp {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        self.send(req).await
    }

    pub async fn post(&mut self, path: &str, body: Value) -> Resp {
        self.json(Method::POST, path, body).await
    }
}

/// The last SMS code sent to `username`.
pub fn last_sms_code(p: &Portal, username: &str) -> String {
    p.outbox()
        .for_user(Some(username))
        .last()
        .unwrap_or_else(|| panic!("no SMS to {username}"))
        .code
        .clone()
}

/// Adds alice (password `alice password 1`) and passes the password step of her login through
/// the API: the client waits at the SMS step.
pub async fn alice_at_the_sms_step(p: &Arc<Portal>) -> Client {
    add_user(p, "alice", "alice password 1").await;
    let mut c = Client::new(p);
    c.post(
        "/api/login",
        json!({"username": "alice", "password": "alice password 1"}),
    )
    .await;
    c
}

/// Logs `c` in through the JSON API (password, then the SMS code from the outbox).
pub async fn api_login(c: &mut Client, p: &Portal, username: &str, password: &str) {
    let r = c
        .post(
            "/api/login",
            json!({"username": username, "password": password}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let code = last_sms_code(p, username);
    let r = c.post("/api/login/sms", json!({"code": code})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// The base32 secret in an `otpauth://` URI.
pub fn secret_of(uri: &str) -> String {
    let q = uri.split_once('?').unwrap().1;
    q.split('&')
        .find_map(|kv| kv.strip_prefix("secret="))
        .unwrap()
        .to_owned()
}

/// The code oathtool computes for base32 `secret` at Unix time `t` (SHA1, 6 digits, 30 s).
pub fn oathtool(secret: &str, t: i64) -> String {
    let out = Command::new("oathtool")
        .args([
            "--totp=sha1",
            "--base32",
            "--digits=6",
            "--time-step-size=30s",
            &format!("--now=@{t}"),
            secret,
        ])
        .output()
        .expect("oathtool runs (Debian package oathtool; scripts/install-deps.sh installs it)");
    assert!(
        out.status.success(),
        "oathtool failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Creates a token named `name` through the API and activates it with oathtool's code.
/// Returns (token id, base32 secret). The code used is the current step's.
pub async fn activated_token(c: &mut Client, p: &Portal, name: &str) -> (i64, String) {
    let r = c.post("/api/tokens", json!({"name": name})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let v = r.json();
    let id = v["id"].as_i64().unwrap();
    let secret = secret_of(v["otpauth_uri"].as_str().unwrap());
    let r = c
        .post(
            &format!("/api/tokens/{id}/activate"),
            json!({"otp": oathtool(&secret, p.now())}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["state"], "active");
    (id, secret)
}

/// Calls `/api/validate`; returns (ok, reason).
pub async fn validate(c: &mut Client, username: &str, password: &str, otp: &str) -> (bool, String) {
    let r = c
        .post(
            "/api/validate",
            json!({"username": username, "password": password, "otp": otp}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    (
        v["ok"].as_bool().unwrap(),
        v["reason"].as_str().unwrap_or("").to_owned(),
    )
}

/// Moves the portal clock through the test API to `T0 + delta`.
pub async fn set_clock(c: &mut Client, delta: i64) {
    let r = c
        .post("/_test/clock", json!({"offset_seconds": delta}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["now"], T0 + delta);
}

/// Decodes every QR code in a PNG with rqrr (a real decoder, independent of the `qrcode` crate).
pub fn decode_qr(png: &[u8]) -> Vec<String> {
    let img = image::load_from_memory(png).expect("PNG").to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    prepared
        .detect_grids()
        .iter()
        .filter_map(|g| g.decode().ok().map(|(_, s)| s))
        .collect()
}
