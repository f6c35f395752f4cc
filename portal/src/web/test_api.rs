//! Routes for testers, mounted only with `--test-api`: the SMS outbox, the clock offset,
//! adding users, and a user's code attempts. Never enable it on a portal real people use.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::api::{ApiError, ApiJson};
use super::guard;
use crate::clock::format_datetime;
use crate::service::{NewUser, Refusal};
use crate::AppState;

/// The test API's routes, with the same Origin rule as the JSON API.
pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/sms", get(sms))
        .route("/clock", post(clock).get(get_clock))
        .route("/users", post(add_user))
        .route("/attempts", get(attempts))
        .layer(middleware::from_fn_with_state(state, guard::check_origin))
}

#[derive(Deserialize)]
struct SmsQuery {
    username: Option<String>,
}

async fn sms(State(p): State<AppState>, Query(q): Query<SmsQuery>) -> Response {
    Json(p.outbox().for_user(q.username.as_deref())).into_response()
}

#[derive(Deserialize)]
struct ClockBody {
    offset_seconds: i64,
}

fn clock_json(p: &AppState) -> Response {
    let now = p.now();
    Json(json!({"offset_seconds": p.clock().offset(), "now": now, "now_rfc3339": format_datetime(now)})).into_response()
}

/// The largest offset accepted: a hundred years either way, far past any token's life and far
/// from where time arithmetic could overflow.
const MAX_OFFSET: i64 = 100 * 366 * 86_400;

async fn clock(State(p): State<AppState>, ApiJson(b): ApiJson<ClockBody>) -> Response {
    if b.offset_seconds.abs() > MAX_OFFSET {
        return ApiError::Refused(Refusal::BadInput(format!(
            "offset_seconds must be within ±{MAX_OFFSET} (a hundred years)."
        )))
        .into_response();
    }
    p.clock().set_offset(b.offset_seconds);
    tracing::info!(offset = b.offset_seconds, "test API: clock offset set");
    clock_json(&p)
}

async fn get_clock(State(p): State<AppState>) -> Response {
    clock_json(&p)
}

async fn add_user(
    State(p): State<AppState>,
    ApiJson(u): ApiJson<NewUser>,
) -> Result<Response, ApiError> {
    match p.add_user(u).await? {
        Some(id) => Ok((StatusCode::CREATED, Json(json!({"id": id}))).into_response()),
        None => Err(ApiError::Refused(Refusal::UserExists)),
    }
}

#[derive(Deserialize)]
struct AttemptsQuery {
    username: Option<String>,
}

/// `{username, attempts}`: the kept attempts on every token of the user, newest first.
async fn attempts(
    State(p): State<AppState>,
    Query(q): Query<AttemptsQuery>,
) -> Result<Response, ApiError> {
    let Some(username) = q.username else {
        return Err(ApiError::Refused(Refusal::BadInput(
            "Name the user: /_test/attempts?username=NAME.".into(),
        )));
    };
    let attempts = p.attempts_of_username(&username).await?;
    Ok(Json(json!({"username": username, "attempts": attempts})).into_response())
}
