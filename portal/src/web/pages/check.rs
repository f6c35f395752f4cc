//! The login check of the centre's services, as a page for testers (`/check`): username,
//! password and a code from the app, answered with access granted or denied and why.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::{page, render, show, visitor, Base, CsrfForm, PageResult};
use crate::password::Password;
use crate::service::Place;
use crate::web::{log_if_internal, status_of, ClientAddr, Sid};
use crate::AppState;

/// The login check's route.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/check", get(check_form).post(check))
}

#[derive(Template)]
#[template(path = "check.html")]
struct CheckPage {
    base: Base,
    username: String,
    granted: Option<bool>,
    result: String,
}

page!(CheckPage);

async fn check_form(State(p): State<AppState>, sid: Sid) -> PageResult {
    let v = visitor(&p, &sid)?;
    let page = CheckPage {
        base: Base::new("Login check", &v.csrf),
        username: String::new(),
        granted: None,
        result: String::new(),
    };
    Ok(show(page, None, v.cookie))
}

#[derive(Deserialize)]
struct CheckForm {
    username: String,
    password: Password,
    code: String,
}

/// A refusal here is the check's verdict, shown as its result rather than as an error.
async fn check(
    State(p): State<AppState>,
    sid: Sid,
    addr: ClientAddr,
    CsrfForm(checked, f): CsrfForm<CheckForm>,
) -> PageResult {
    let result = checked
        .then(p.validate(&f.username, f.password, &f.code, &addr.0, Place::Check))
        .await;
    let v = visitor(&p, &sid)?;
    let (status, granted, text) = match result {
        Ok(a) => (
            StatusCode::OK,
            true,
            format!(
                "Access granted: password and Pocket Pass code accepted. {}",
                a.describe()
            ),
        ),
        Err(r) => {
            log_if_internal(&r);
            (
                status_of(&r),
                false,
                format!("Access denied: {}", r.message()),
            )
        }
    };
    let page = CheckPage {
        base: Base::new("Login check", &v.csrf),
        username: f.username,
        granted: Some(granted),
        result: text,
    };
    Ok(render(status, v.cookie, &page))
}
