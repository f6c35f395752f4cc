//! HTTP: routing, the Host and Origin checks, cookies, client addresses, and how refusals become
//! responses.

mod api;
mod guard;
mod pages;
mod test_api;

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, State};
use axum::http::header::{
    HeaderValue, CACHE_CONTROL, CONTENT_SECURITY_POLICY, DATE, REFERRER_POLICY, RETRY_AFTER,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware;
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use guard::Names;

use crate::service::{Portal, Refusal};
use crate::AppState;

/// Name of the session cookie over plain HTTP.
pub const COOKIE: &str = "pp_session";
/// Name of the session cookie over TLS: the `__Host-` prefix makes browsers accept it only
/// with `Secure`, `Path=/` and no `Domain`, so no other host (a sibling subdomain) can set or
/// shadow it.
pub const SECURE_COOKIE: &str = "__Host-pp_session";

/// The largest request body the HTML forms take. The biggest real form, the new password
/// typed twice, is under 7 KiB even with 256 four-byte characters percent-encoded.
pub const PAGE_BODY_LIMIT: usize = 16 * 1024;
/// The largest request body the JSON API and the test API take (the largest real body, a new
/// user, is well under 2 KiB).
pub const API_BODY_LIMIT: usize = 8 * 1024;

/// A username and password, as the login form and the API's login send them.
#[derive(serde::Deserialize)]
pub struct Credentials {
    /// The login name.
    pub username: String,
    /// The password in clear.
    pub password: crate::password::Password,
}

/// The portal's names, for the Host and Origin checks.
pub fn names(p: &Portal) -> Names<'_> {
    Names {
        public: p.config().public_url.as_ref(),
        listen: p.listen_addr(),
    }
}

pub fn router(state: AppState) -> Router {
    let mut r = Router::new()
        .merge(pages::routes().layer(DefaultBodyLimit::max(PAGE_BODY_LIMIT)))
        .nest(
            "/api",
            api::routes(state.clone()).layer(DefaultBodyLimit::max(API_BODY_LIMIT)),
        );
    if state.config().test_api {
        r = r.nest(
            "/_test",
            test_api::routes(state.clone()).layer(DefaultBodyLimit::max(API_BODY_LIMIT)),
        );
    }
    r.layer(middleware::from_fn_with_state(state.clone(), guard::check_host))
        .layer(middleware::map_response_with_state(
            state.clone(),
            retry_after_when_busy,
        ))
        .layer(middleware::map_response_with_state(state.clone(), date_from_portal_clock))
        .layer(SetResponseHeaderLayer::overriding(CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(SetResponseHeaderLayer::overriding(X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::if_not_present(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; style-src 'self'; img-src data:; form-action 'self'; frame-ancestors 'none'"),
        ))
        // The default trace layer logs method, path and status, never bodies or cookies.
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Sets `Date` from the clock the portal checks codes with, the test API's offset included, so
/// an app that measures its clock against the portal's `Date` agrees with the codes' verdicts.
/// hyper adds a `Date` of the system clock only to responses that have none.
async fn date_from_portal_clock(
    State(p): State<AppState>,
    mut res: axum::response::Response,
) -> axum::response::Response {
    if let Ok(v) = HeaderValue::from_str(&crate::clock::format_http_date(p.now())) {
        res.headers_mut().insert(DATE, v);
    }
    res
}

/// Gives every 503 (a full password-hash queue, the only cause) a `Retry-After`: about how
/// long the queue takes to drain on this machine.
async fn retry_after_when_busy(
    State(p): State<AppState>,
    mut res: axum::response::Response,
) -> axum::response::Response {
    if res.status() == StatusCode::SERVICE_UNAVAILABLE && !res.headers().contains_key(RETRY_AFTER) {
        res.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(p.retry_after_secs()));
    }
    res
}

/// The session id from the request's cookie, if any.
#[derive(Debug, Clone)]
pub struct Sid(pub Option<String>);

impl FromRequestParts<AppState> for Sid {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, p: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Sid(session_cookie(&parts.headers, cookie_name(p))))
    }
}

/// The session cookie's name for this portal: `__Host-`-prefixed when served over TLS.
pub fn cookie_name(p: &Portal) -> &'static str {
    if p.config().cookies_are_secure() {
        SECURE_COOKIE
    } else {
        COOKIE
    }
}

fn session_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The client's address as the rate limits key it, or `unknown` when not served with connect
/// info. An IPv6 client is keyed by its /64 network: one subscriber usually has a whole /64,
/// so keying single addresses would give one attacker 2^64 fresh limits.
#[derive(Debug, Clone)]
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let addr = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(a)| limit_key_of(a.ip()))
            .unwrap_or_else(|| "unknown".to_owned());
        Ok(ClientAddr(addr))
    }
}

/// `192.0.2.7` → `192.0.2.7`; `2001:db8:1:2:3:4:5:6` → `2001:db8:1:2::/64`; an IPv4-mapped
/// IPv6 address → its IPv4 address.
pub fn limit_key_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{net}/64")
            }
        },
    }
}

/// A `Set-Cookie` value for session `sid` (or one that clears the cookie with `None`).
pub fn session_cookie_header(p: &Portal, sid: Option<&str>) -> HeaderValue {
    let name = cookie_name(p);
    let secure = if p.config().cookies_are_secure() {
        "; Secure"
    } else {
        ""
    };
    let v = match sid {
        Some(id) => format!("{name}={id}; Path=/; HttpOnly; SameSite=Strict{secure}"),
        None => format!("{name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{secure}"),
    };
    // The id is hex, so the value is always a valid header.
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static("pp_session=; Max-Age=0"))
}

/// The HTTP status that fits a refusal.
pub fn status_of(r: &Refusal) -> StatusCode {
    match r {
        Refusal::WrongCredentials | Refusal::NoSession => StatusCode::UNAUTHORIZED,
        Refusal::SmsExpired | Refusal::SmsWrong { .. } | Refusal::SmsTooManyTries => {
            StatusCode::UNAUTHORIZED
        }
        Refusal::RateLimited | Refusal::SmsCooldown(_) => StatusCode::TOO_MANY_REQUESTS,
        Refusal::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
        Refusal::Forbidden => StatusCode::FORBIDDEN,
        Refusal::TokenNotFound | Refusal::UserNotFound => StatusCode::NOT_FOUND,
        Refusal::CheckYourDetails
        | Refusal::TokenLimit(_)
        | Refusal::PendingExists(_)
        | Refusal::NotPending
        | Refusal::PendingExpired
        | Refusal::Locked
        | Refusal::Expired(_)
        | Refusal::Revoked
        | Refusal::NotActivated
        | Refusal::NoToken
        | Refusal::UserExists => StatusCode::CONFLICT,
        Refusal::BadName(_)
        | Refusal::CodeMalformed(_)
        | Refusal::WrongCode
        | Refusal::CodeUsed
        | Refusal::PasswordRule(_)
        | Refusal::BadInput(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Refusal::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Logs internal failures (the user sees only a generic message).
pub fn log_if_internal(r: &Refusal) {
    if let Refusal::Internal(e) = r {
        tracing::error!("{e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_keyed_by_their_64_network() {
        let key = |s: &str| limit_key_of(s.parse().unwrap());
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
        assert_eq!(key("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:ffff::1"), "2001:db8:1:2::/64");
        assert_eq!(key("::ffff:192.0.2.7"), "192.0.2.7");
    }
}
