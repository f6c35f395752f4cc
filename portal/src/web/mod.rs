//! HTTP: routing, cookies, client addresses, and how refusals become responses.

mod api;
mod pages;
mod test_api;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{
    HeaderValue, CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::service::Refusal;
use crate::AppState;

/// Name of the session cookie.
pub const COOKIE: &str = "pp_session";

pub fn router(state: AppState) -> Router {
    let mut r = Router::new()
        .merge(pages::routes())
        .nest("/api", api::routes(state.clone()));
    if state.config.test_api {
        r = r.nest("/_test", test_api::routes());
    }
    r.layer(SetResponseHeaderLayer::overriding(CACHE_CONTROL, HeaderValue::from_static("no-store")))
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

/// The session id from the request's cookie, if any.
#[derive(Debug, Clone)]
pub struct Sid(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for Sid {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Sid(session_cookie(&parts.headers)))
    }
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())
        .filter(|v| v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The client's address (for rate limits), or `unknown` when not served with connect info.
#[derive(Debug, Clone)]
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let addr = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(a)| a.ip().to_string())
            .unwrap_or_else(|| "unknown".to_owned());
        Ok(ClientAddr(addr))
    }
}

/// A `Set-Cookie` value for session `sid` (or one that clears the cookie with `None`).
pub fn session_cookie_header(sid: Option<&str>, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let v = match sid {
        Some(id) => format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict{secure}"),
        None => format!("{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{secure}"),
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
        Refusal::Forbidden => StatusCode::FORBIDDEN,
        Refusal::TokenNotFound => StatusCode::NOT_FOUND,
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
