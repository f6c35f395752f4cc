//! The JSON API for scripts and the app's tests. Authenticated by the same session cookie as
//! the pages; cross-site requests are refused by checking `Origin` (and JSON bodies cannot be
//! sent cross-site without a CORS preflight, which the portal never grants).

use axum::extract::{Path, Request, State};
use axum::http::header::{HOST, ORIGIN, SET_COOKIE};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;

use super::{log_if_internal, session_cookie_header, status_of, ClientAddr, Sid};
use crate::password::Password;
use crate::service::Refusal;
use crate::AppState;

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/login", post(login))
        .route("/login/sms", post(login_sms))
        .route("/login/sms/resend", post(resend))
        .route("/logout", post(logout))
        .route("/me", get(me))
        .route("/tokens", get(tokens).post(create_token))
        .route("/tokens/{id}", get(token))
        .route("/tokens/{id}/activate", post(activate))
        .route("/tokens/{id}/revoke", post(revoke))
        .route("/validate", post(validate))
        .layer(middleware::from_fn_with_state(state, check_origin))
}

/// A refusal as JSON: `{"error": reason, "message": text}` with a fitting status.
pub struct ApiError(pub Refusal);

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        ApiError(r)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        log_if_internal(&self.0);
        let body = json!({"error": self.0.reason(), "message": self.0.message()});
        (status_of(&self.0), Json(body)).into_response()
    }
}

type ApiResult = Result<Response, ApiError>;

/// Refuses requests whose `Origin` is present and is not this portal's own.
async fn check_origin(req: Request, next: Next) -> Response {
    if let Some(origin) = req.headers().get(ORIGIN) {
        let host = req
            .headers()
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let origin = origin.to_str().unwrap_or("");
        let same = !host.is_empty()
            && (origin == format!("http://{host}") || origin == format!("https://{host}"));
        if !same {
            tracing::warn!(%origin, "API request refused: foreign Origin");
            return ApiError(Refusal::Forbidden).into_response();
        }
    }
    next.run(req).await
}

fn user_of(p: &AppState, sid: &Sid) -> Result<i64, ApiError> {
    let id = sid.0.as_deref().ok_or(Refusal::NoSession)?;
    p.sessions
        .with(id, p.now(), p.config.session_idle_secs, |s| s.user_id())
        .flatten()
        .ok_or(ApiError(Refusal::NoSession))
}

fn with_cookie(p: &AppState, sid: &str, body: serde_json::Value) -> Response {
    (
        [(
            SET_COOKIE,
            session_cookie_header(Some(sid), p.config.secure_cookies),
        )],
        Json(body),
    )
        .into_response()
}

#[derive(Deserialize)]
struct LoginBody {
    username: String,
    password: Password,
}

async fn login(
    State(p): State<AppState>,
    sid: Sid,
    addr: ClientAddr,
    Json(b): Json<LoginBody>,
) -> ApiResult {
    let new = p
        .login_password(sid.0.as_deref(), &b.username, b.password, &addr.0)
        .await?;
    Ok(with_cookie(&p, &new, json!({"sms_sent": true})))
}

#[derive(Deserialize)]
struct SmsBody {
    code: String,
}

async fn login_sms(State(p): State<AppState>, sid: Sid, Json(b): Json<SmsBody>) -> ApiResult {
    let old = sid.0.ok_or(Refusal::NoSession)?;
    let new = p.login_sms(&old, &b.code)?;
    Ok(with_cookie(&p, &new, json!({"ok": true})))
}

async fn resend(State(p): State<AppState>, sid: Sid, addr: ClientAddr) -> ApiResult {
    let id = sid.0.ok_or(Refusal::NoSession)?;
    p.resend_sms(&id, &addr.0).await?;
    Ok(Json(json!({"sms_sent": true})).into_response())
}

async fn logout(State(p): State<AppState>, sid: Sid) -> ApiResult {
    if let Some(id) = sid.0 {
        p.logout(&id);
    }
    Ok((
        [(
            SET_COOKIE,
            session_cookie_header(None, p.config.secure_cookies),
        )],
        Json(json!({"ok": true})),
    )
        .into_response())
}

async fn me(State(p): State<AppState>, sid: Sid) -> ApiResult {
    let u = p.user(user_of(&p, &sid)?).await?;
    Ok(Json(json!({"username": u.username, "full_name": u.full_name, "phone": u.phone, "email": u.email})).into_response())
}

async fn tokens(State(p): State<AppState>, sid: Sid) -> ApiResult {
    Ok(Json(p.tokens(user_of(&p, &sid)?).await?).into_response())
}

async fn token(State(p): State<AppState>, sid: Sid, Path(id): Path<i64>) -> ApiResult {
    Ok(Json(p.token(user_of(&p, &sid)?, id).await?).into_response())
}

#[derive(Deserialize)]
struct NameBody {
    name: String,
}

async fn create_token(State(p): State<AppState>, sid: Sid, Json(b): Json<NameBody>) -> ApiResult {
    let t = p.create_token(user_of(&p, &sid)?, &b.name).await?;
    let png = base64::engine::general_purpose::STANDARD.encode(&t.qr_png);
    let body = json!({"id": t.id, "name": t.name, "otpauth_uri": t.otpauth_uri, "qr_png_base64": png, "state": t.state});
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[derive(Deserialize)]
struct OtpBody {
    otp: String,
}

async fn activate(
    State(p): State<AppState>,
    sid: Sid,
    Path(id): Path<i64>,
    Json(b): Json<OtpBody>,
) -> ApiResult {
    Ok(Json(p.activate_token(user_of(&p, &sid)?, id, &b.otp).await?).into_response())
}

async fn revoke(State(p): State<AppState>, sid: Sid, Path(id): Path<i64>) -> ApiResult {
    Ok(Json(p.revoke_token(user_of(&p, &sid)?, id).await?).into_response())
}

#[derive(Deserialize)]
struct ValidateBody {
    username: String,
    password: Password,
    otp: String,
}

/// Answers 200 with `{ok, reason, message}` for every verdict about the user; only failures of
/// the portal itself are errors.
async fn validate(
    State(p): State<AppState>,
    addr: ClientAddr,
    Json(b): Json<ValidateBody>,
) -> ApiResult {
    match p.validate(&b.username, b.password, &b.otp, &addr.0).await {
        Ok(()) => Ok(
            Json(json!({"ok": true, "reason": null, "message": "Access granted."})).into_response(),
        ),
        Err(Refusal::Internal(e)) => Err(ApiError(Refusal::Internal(e))),
        Err(r) => Ok(
            Json(json!({"ok": false, "reason": r.reason(), "message": r.message()}))
                .into_response(),
        ),
    }
}
