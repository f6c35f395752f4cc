//! Logging in and out: `/login` (username and password) and `/logout`. The SMS step between
//! them is shared with the password reset and lives in `super::sms`.

use askama::Template;
use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;

use super::{
    first_step, is_logged_in, page, redirect, show, visitor, Base, CsrfForm, NoFields, PageResult,
};
use crate::web::{session_cookie_header, ClientAddr, Credentials, Sid};
use crate::AppState;

/// The login routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
}

#[derive(Template)]
#[template(path = "login.html")]
pub(super) struct LoginPage {
    base: Base,
    username: String,
}

page!(LoginPage);

impl LoginPage {
    /// The login form for the session with token `csrf`, the username filled in.
    pub(super) fn new(csrf: &str, username: String) -> Self {
        LoginPage {
            base: Base::new("Log in", csrf),
            username,
        }
    }
}

async fn login_form(State(p): State<AppState>, sid: Sid) -> PageResult {
    if is_logged_in(&p, &sid) {
        return Ok(redirect("/portal", None));
    }
    let v = visitor(&p, &sid)?;
    Ok(show(LoginPage::new(&v.csrf, String::new()), None, v.cookie))
}

async fn login(
    State(p): State<AppState>,
    sid: Sid,
    addr: ClientAddr,
    CsrfForm(checked, f): CsrfForm<Credentials>,
) -> PageResult {
    let started = checked
        .then(p.login_password(sid.0.as_deref(), &f.username, f.password, &addr.0))
        .await;
    first_step(&p, &sid, started, "/login/sms", |csrf| {
        LoginPage::new(csrf, f.username)
    })
}

async fn logout(
    State(p): State<AppState>,
    CsrfForm(checked, NoFields {}): CsrfForm<NoFields>,
) -> PageResult {
    p.logout(checked.session()?);
    Ok(redirect("/login", Some(session_cookie_header(&p, None))))
}
