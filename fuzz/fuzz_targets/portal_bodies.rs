//! The portal's JSON and form bodies, sent the way a browser or script sends them: through the
//! portal's real router (`pocketpass_portal::app`) with `tower::ServiceExt::oneshot`, on a
//! current-thread tokio runtime, against a portal with a real SQLite file in a temporary folder.
//!
//! Input layout: byte 0 picks the POST route, byte 1 the content type (JSON, form, other or
//! none) and whether the `Origin` header is this portal's own, a foreign one or absent; the rest
//! is the body. In form bodies the text `@csrf@` is replaced by the session's real CSRF token,
//! so the fuzzer gets past the token check to the handlers.
//!
//! One portal serves the whole run. It has one user, `alice`, logged in once (password, then the
//! SMS code); routes that need a session get her cookie. Routes that log in, log out or reset
//! passwords are sent without it, so no input can end the session the later inputs rely on, and
//! the test clock is put back after each input.
//!
//! The portal has no test-only low-cost password hasher: `alice`'s hash and the portal's dummy
//! hash (checked for unknown users) use argon2's default cost, so inputs that reach a password
//! check cost some tens of milliseconds, until the login rate limit refuses them early.

#![no_main]

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use pocketpass_portal::config::PublicUrl;
use pocketpass_portal::{app, Clock, Config, Portal};
use tower::ServiceExt;

/// The POST routes and whether the logged-in session's cookie goes with them.
const ROUTES: &[(&str, bool)] = &[
    ("/api/login", false),
    ("/api/login/sms", false),
    ("/api/login/sms/resend", false),
    ("/api/tokens", true),
    ("/api/tokens/1/activate", true),
    ("/api/tokens/2/revoke", true),
    ("/api/validate", false),
    ("/_test/clock", false),
    ("/_test/users", false),
    ("/login", false),
    ("/login/sms", false),
    ("/portal/phone", true),
    ("/portal/tokens", true),
    ("/portal/tokens/1/verify", true),
    ("/portal/tokens/2/revoke", true),
    ("/reset", false),
    ("/reset/sms", false),
    ("/reset/password", false),
    ("/check", false),
];

const CONTENT_TYPES: &[Option<&str>] = &[
    Some("application/json"),
    Some("application/x-www-form-urlencoded"),
    Some("text/plain"),
    None,
];

const HOST: &str = "portal.test";

struct World {
    rt: tokio::runtime::Runtime,
    portal: Arc<Portal>,
    app: Router,
    cookie: String,
    csrf: String,
    _dir: tempfile::TempDir,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let dir = tempfile::tempdir().expect("temporary folder");
        let db = dir.path().join("portal.sqlite3");
        // An in-process portal has no listen address: it answers to its public URL, the
        // `Host` every request below names.
        let config = Config {
            test_api: true,
            public_url: Some(PublicUrl::parse(&format!("http://{HOST}")).expect("public URL")),
            ..Config::default()
        };
        let portal = Portal::open(config, db.to_str().expect("UTF-8 path"), Clock::fixed(T0))
            .expect("portal");
        let app = app(portal.clone());
        let (cookie, csrf) = rt.block_on(log_in(&app, &portal));
        World {
            rt,
            portal,
            app,
            cookie,
            csrf,
            _dir: dir,
        }
    })
}

/// 2027-01-15T08:00:00Z, the instant the portal's own tests start at.
const T0: i64 = 1_800_000_000;

/// Adds `alice`, logs her in through the API and reads a page's CSRF token.
async fn log_in(app: &Router, portal: &Portal) -> (String, String) {
    let user = r#"{"username":"alice","full_name":"Alice Testsson","password":"correct horse battery","phone":"+46 70 123 45 67","email":"alice@example.org"}"#;
    let (status, _, _) = send(app, "/_test/users", "application/json", user, None).await;
    assert_eq!(status, StatusCode::CREATED);
    let login = r#"{"username":"alice","password":"correct horse battery"}"#;
    let (status, cookie, _) = send(app, "/api/login", "application/json", login, None).await;
    assert_eq!(status, StatusCode::OK);
    let code = portal
        .outbox()
        .for_user(Some("alice"))
        .last()
        .expect("an SMS")
        .code
        .clone();
    let body = format!(r#"{{"code":"{code}"}}"#);
    let (status, cookie, _) = send(
        app,
        "/api/login/sms",
        "application/json",
        &body,
        cookie.as_deref(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let cookie = cookie.expect("a session cookie");
    let page = Request::get("/portal/tokens/new")
        .header(header::HOST, HOST)
        .header(header::COOKIE, format!("pp_session={cookie}"))
        .body(Body::empty())
        .expect("request");
    let res = app.clone().oneshot(page).await.expect("infallible");
    let html = res.into_body().collect().await.expect("body").to_bytes();
    let html = String::from_utf8_lossy(&html);
    let at = html.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    let csrf = html[at..at + html[at..].find('"').expect("end of value")].to_owned();
    (cookie, csrf)
}

/// Sends one POST; the status, the new session cookie if one was set, and the body.
async fn send(
    app: &Router,
    path: &str,
    content_type: &str,
    body: &str,
    cookie: Option<&str>,
) -> (StatusCode, Option<String>, Vec<u8>) {
    let mut req = Request::post(path)
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, content_type);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, format!("pp_session={c}"));
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::from(body.to_owned())).expect("request"))
        .await
        .expect("infallible");
    let status = res.status();
    let cookie = set_cookie(res.headers());
    let body = res.into_body().collect().await.expect("body").to_bytes();
    (status, cookie, body.to_vec())
}

fn set_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    let v = headers.get(header::SET_COOKIE)?.to_str().ok()?;
    let v = v.split(';').next()?.strip_prefix("pp_session=")?;
    (!v.is_empty()).then(|| v.to_owned())
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let w = world();
    let (path, authed) = ROUTES[usize::from(data[0]) % ROUTES.len()];
    let content_type = CONTENT_TYPES[usize::from(data[1] & 3)];
    let origin = match (data[1] >> 2) % 3 {
        0 => None,
        1 => Some(format!("http://{HOST}")),
        _ => Some("https://evil.example".to_owned()),
    };
    let body = if content_type == Some("application/x-www-form-urlencoded") {
        // The token is ASCII hex, so the replacement keeps any bytes around it as they were.
        replace(&data[2..], b"@csrf@", w.csrf.as_bytes())
    } else {
        data[2..].to_vec()
    };
    let mut req = Request::post(path).header(header::HOST, HOST);
    if let Some(ct) = content_type {
        req = req.header(header::CONTENT_TYPE, ct);
    }
    if let Some(o) = &origin {
        req = req.header(header::ORIGIN, o);
    }
    if authed {
        req = req.header(header::COOKIE, format!("pp_session={}", w.cookie));
    }
    let req = req.body(Body::from(body)).expect("request");
    let (status, body) = w.rt.block_on(async {
        let res = w.app.clone().oneshot(req).await.expect("infallible");
        let status = res.status();
        let body = res.into_body().collect().await.expect("body").to_bytes();
        (status, body)
    });
    // A bad body is the client's mistake, never a server error.
    assert_ne!(
        status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "500 for {path}: {}",
        String::from_utf8_lossy(&body)
    );
    w.portal.clock().set_offset(0);
});

fn replace(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(needle) {
            out.extend_from_slice(with);
            i += needle.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}
