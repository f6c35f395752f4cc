//! Logging in (password, then the SMS code) and out: `/login`, `/login/sms`, `/logout`. The
//! SMS page itself is shared with the password reset (`super::sms`).

use askama::Template;
use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::sms::{resend, sms_page};
use super::{
    cookie, is_logged_in, page, redirect, show, visitor, Base, CodeForm, CsrfForm, NoFields,
    PageResult,
};
use crate::password::Password;
use crate::session::Purpose;
use crate::web::{session_cookie_header, ClientAddr, Sid};
use crate::AppState;

/// The login routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/login/sms", get(login_sms_form).post(login_sms))
        .route("/login/sms/resend", post(login_sms_resend))
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

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: Password,
}

async fn login(
    State(p): State<AppState>,
    sid: Sid,
    addr: ClientAddr,
    CsrfForm(checked, f): CsrfForm<LoginForm>,
) -> PageResult {
    let result = checked
        .then(p.login_password(sid.0.as_deref(), &f.username, f.password, &addr.0))
        .await;
    match result {
        Ok(new) => Ok(redirect("/login/sms", Some(cookie(&p, &new)))),
        Err(r) => {
            let v = visitor(&p, &sid)?;
            Ok(show(
                LoginPage::new(&v.csrf, f.username),
                Some(&r),
                v.cookie,
            ))
        }
    }
}

async fn login_sms_form(State(p): State<AppState>, sid: Sid) -> PageResult {
    sms_page(&p, &sid, Purpose::Login, None, None).await
}

async fn login_sms(
    State(p): State<AppState>,
    sid: Sid,
    CsrfForm(checked, f): CsrfForm<CodeForm>,
) -> PageResult {
    match checked.session().and_then(|id| p.login_sms(id, &f.code)) {
        Ok(new) => Ok(redirect("/portal", Some(cookie(&p, &new)))),
        Err(r) => sms_page(&p, &sid, Purpose::Login, Some(&r), None).await,
    }
}

async fn login_sms_resend(
    State(p): State<AppState>,
    sid: Sid,
    addr: ClientAddr,
    CsrfForm(checked, NoFields {}): CsrfForm<NoFields>,
) -> PageResult {
    resend(&p, &sid, &addr, &checked, Purpose::Login).await
}

async fn logout(
    State(p): State<AppState>,
    CsrfForm(checked, NoFields {}): CsrfForm<NoFields>,
) -> PageResult {
    p.logout(checked.session()?);
    Ok(redirect("/login", Some(session_cookie_header(&p, None))))
}
