//! Password reset: the username (`/reset`) and, after the SMS step it shares with login
//! (`super::sms`), the new password (`/reset/password`). The pages read the same whether the
//! username exists or not.

use askama::Template;
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::{first_step, page, redirect, show, visitor, Base, CsrfForm, MessagePage, PageResult};
use crate::password::Password;
use crate::service::Refusal;
use crate::web::{session_cookie_header, ClientAddr, Sid};
use crate::AppState;

/// The password reset's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/reset", get(reset_form).post(reset))
        .route(
            "/reset/password",
            get(reset_password_form).post(reset_password),
        )
}

#[derive(Template)]
#[template(path = "reset.html")]
pub(super) struct ResetPage {
    base: Base,
    username: String,
}

#[derive(Template)]
#[template(path = "reset_password.html")]
struct NewPasswordPage {
    base: Base,
    min_len: usize,
}

page!(ResetPage, NewPasswordPage);

impl ResetPage {
    /// The reset's first form for the session with token `csrf`, the username filled in.
    pub(super) fn new(csrf: &str, username: String) -> Self {
        ResetPage {
            base: Base::new("Reset password", csrf),
            username,
        }
    }
}

async fn reset_form(State(p): State<AppState>, sid: Sid) -> PageResult {
    let v = visitor(&p, &sid)?;
    Ok(show(ResetPage::new(&v.csrf, String::new()), None, v.cookie))
}

#[derive(Deserialize)]
struct UsernameForm {
    username: String,
}

async fn reset(
    State(p): State<AppState>,
    sid: Sid,
    addr: ClientAddr,
    CsrfForm(checked, f): CsrfForm<UsernameForm>,
) -> PageResult {
    let started = checked
        .then(p.reset_start(sid.0.as_deref(), &f.username, &addr.0))
        .await;
    first_step(&p, &sid, started, "/reset/sms", |csrf| {
        ResetPage::new(csrf, f.username)
    })
}

/// The CSRF token of the request's session when it is at the reset's last step.
fn new_password_step(p: &AppState, sid: &Sid) -> Option<String> {
    p.new_password_step(sid.0.as_deref()?)
}

fn new_password_page(p: &AppState, csrf: &str) -> NewPasswordPage {
    NewPasswordPage {
        base: Base::new("Choose a new password", csrf),
        min_len: p.config().min_password_len,
    }
}

async fn reset_password_form(State(p): State<AppState>, sid: Sid) -> PageResult {
    let Some(csrf) = new_password_step(&p, &sid) else {
        return Ok(redirect("/reset", None));
    };
    Ok(show(new_password_page(&p, &csrf), None, None))
}

#[derive(Deserialize)]
struct NewPasswordForm {
    password: Password,
    repeat: Password,
}

async fn reset_password(
    State(p): State<AppState>,
    sid: Sid,
    addr: ClientAddr,
    CsrfForm(checked, f): CsrfForm<NewPasswordForm>,
) -> PageResult {
    let Some(csrf) = new_password_step(&p, &sid) else {
        return Ok(redirect("/reset", None));
    };
    let result = async {
        let id = checked.session()?;
        if f.password.expose() != f.repeat.expose() {
            return Err(Refusal::PasswordRule("The two passwords differ.".into()));
        }
        p.reset_password(id, f.password, &addr.0).await
    }
    .await;
    Ok(match result {
        Ok(()) => {
            let page = MessagePage {
                base: Base::new("Password changed", "").notice(Some("Your password was changed.")),
                message: "Log in with your new password.".into(),
                link: "/login",
                link_text: "Log in",
            };
            show(page, None, Some(session_cookie_header(&p, None)))
        }
        Err(r) => show(new_password_page(&p, &csrf), Some(&r), None),
    })
}
