//! The JSON API for scripts and the app's tests. Authenticated by the same session cookie as
//! the pages; cross-site requests are refused by the Origin rule (`super::guard`), and JSON
//! bodies cannot be sent cross-site without a CORS preflight, which the portal never grants.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::header::SET_COOKIE;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;

use super::{
    guard, log_if_internal, session_cookie_header, status_of, ClientAddr, Credentials, Sid,
    API_BODY_LIMIT,
};
use crate::password::Password;
use crate::service::{Place, Refusal, TokenView};
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
        .route("/tokens/{id}/attempts", get(attempts))
        .route("/tokens/{id}/revoke", post(revoke))
        .route("/validate", post(validate))
        .layer(middleware::from_fn_with_state(state, guard::check_origin))
}

/// An API error as JSON, `{"error": reason, "message": text}`, with a fitting status.
pub enum ApiError {
    /// The portal said no.
    Refused(Refusal),
    /// The request itself is wrong (its host, origin or body): status, reason, message.
    Body(StatusCode, &'static str, String),
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        ApiError::Refused(r)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Refused(r) => {
                log_if_internal(&r);
                let body = json!({"error": r.reason(), "message": r.message()});
                // A 503 gets its Retry-After from the router's layer.
                (status_of(&r), Json(body)).into_response()
            }
            ApiError::Body(status, reason, message) => {
                (status, Json(json!({"error": reason, "message": message}))).into_response()
            }
        }
    }
}

type ApiResult = Result<Response, ApiError>;

/// A JSON body whose rejections are JSON errors in the user's words (axum's own are plain text).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(e) => Err(body_error(&e)),
        }
    }
}

fn body_error(e: &JsonRejection) -> ApiError {
    let status = e.status();
    let (reason, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => (
            "too_large",
            format!("The request body is larger than the {API_BODY_LIMIT} bytes the API takes; send only the fields it needs."),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "The API takes JSON: send the body with Content-Type: application/json.".to_owned(),
        ),
        _ => (
            "bad_input",
            format!("The request body is not what this route takes: {}", e.body_text()),
        ),
    };
    ApiError::Body(status, reason, message)
}

fn user_of(p: &AppState, sid: &Sid) -> Result<i64, ApiError> {
    let id = sid.0.as_deref().ok_or(Refusal::NoSession)?;
    p.logged_in(id)
        .map(|l| l.user_id)
        .ok_or(ApiError::Refused(Refusal::NoSession))
}

fn with_cookie(p: &AppState, sid: &str, body: serde_json::Value) -> Response {
    (
        [(SET_COOKIE, session_cookie_header(p, Some(sid)))],
        Json(body),
    )
        .into_response()
}

async fn login(
    State(p): State<AppState>,
    sid: Sid,
    addr: ClientAddr,
    ApiJson(b): ApiJson<Credentials>,
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

async fn login_sms(State(p): State<AppState>, sid: Sid, ApiJson(b): ApiJson<SmsBody>) -> ApiResult {
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
        [(SET_COOKIE, session_cookie_header(&p, None))],
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

async fn create_token(
    State(p): State<AppState>,
    sid: Sid,
    ApiJson(b): ApiJson<NameBody>,
) -> ApiResult {
    let t = p.create_token(user_of(&p, &sid)?, &b.name).await?;
    let png = base64::engine::general_purpose::STANDARD.encode(&t.qr_png);
    let body = json!({"id": t.id, "name": t.name, "otpauth_uri": t.otpauth_uri, "qr_png_base64": png, "state": t.state});
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[derive(Deserialize)]
struct OtpBody {
    otp: String,
}

/// Answers the token, now active, with the `offset` of the step the code matched.
async fn activate(
    State(p): State<AppState>,
    sid: Sid,
    addr: ClientAddr,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<OtpBody>,
) -> ApiResult {
    let (token, accepted) = p
        .activate_token(user_of(&p, &sid)?, id, &b.otp, &addr.0)
        .await?;
    let offset = accepted.offset;
    Ok(Json(Activated { token, offset }).into_response())
}

/// An activated token as the API answers it: the token's fields and the matched step's offset.
#[derive(serde::Serialize)]
struct Activated {
    #[serde(flatten)]
    token: TokenView,
    offset: i64,
}

/// The token's kept attempts, newest first, with the clock hint; only to its owner (another
/// user's token is 404, as if it did not exist).
async fn attempts(State(p): State<AppState>, sid: Sid, Path(id): Path<i64>) -> ApiResult {
    let user_id = user_of(&p, &sid)?;
    let all = p.config().attempts_kept_per_token;
    Ok(Json(p.token_attempts(user_id, id, all).await?).into_response())
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

/// Answers 200 with `{ok, reason, message, offset}` for every verdict about the user (`offset`,
/// the matched step's, only when accepted); failures of the portal itself, a full hash queue
/// (503) and bad input (422) are errors.
async fn validate(
    State(p): State<AppState>,
    addr: ClientAddr,
    ApiJson(b): ApiJson<ValidateBody>,
) -> ApiResult {
    match p
        .validate(&b.username, b.password, &b.otp, &addr.0, Place::Api)
        .await
    {
        Ok(a) => Ok(Json(json!({
            "ok": true,
            "reason": null,
            "message": format!("Access granted. {}", a.describe()),
            "offset": a.offset,
        }))
        .into_response()),
        // Not verdicts about the user: the portal's own failure, a full hash queue, and input
        // it does not take (an over-long username) are errors with their own status.
        Err(r @ (Refusal::Internal(_) | Refusal::Busy { .. } | Refusal::BadInput(_))) => {
            Err(ApiError::Refused(r))
        }
        Err(r) => Ok(Json(
            json!({"ok": false, "reason": r.reason(), "message": r.message(), "offset": null}),
        )
        .into_response()),
    }
}
