//! The GENERAL tab: the user's details, and changing the phone number (`/portal`,
//! `/portal/phone`).

use askama::Template;
use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::{page, show, Base, CsrfForm, PageResult};
use crate::password::Password;
use crate::service::{LoggedIn, Refusal};
use crate::web::ClientAddr;
use crate::AppState;

/// The GENERAL tab's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal", get(general))
        .route("/portal/phone", post(change_phone))
}

#[derive(Template)]
#[template(path = "general.html")]
struct GeneralPage {
    base: Base,
    full_name: String,
    username: String,
    phone: String,
    email: String,
}

page!(GeneralPage);

/// The GENERAL tab of `user`, with `refusal` or `notice` on it.
async fn general_page(
    p: &AppState,
    user: &LoggedIn,
    refusal: Option<&Refusal>,
    notice: Option<&str>,
) -> PageResult {
    let u = p.user(user.user_id).await?;
    let base = Base::portal("GENERAL", &user.csrf, "general").notice(notice);
    let page = GeneralPage {
        base,
        full_name: u.full_name,
        username: u.username,
        phone: u.phone,
        email: u.email,
    };
    Ok(show(page, refusal, None))
}

async fn general(State(p): State<AppState>, user: LoggedIn) -> PageResult {
    general_page(&p, &user, None, None).await
}

#[derive(Deserialize)]
struct PhoneForm {
    phone: String,
    password: Password,
}

async fn change_phone(
    State(p): State<AppState>,
    user: LoggedIn,
    addr: ClientAddr,
    CsrfForm(checked, f): CsrfForm<PhoneForm>,
) -> PageResult {
    let changed = p.change_phone(user.user_id, f.password, &f.phone, &addr.0);
    match checked.then(changed).await {
        Ok(()) => general_page(&p, &user, None, Some("Your phone number was changed.")).await,
        Err(r) => general_page(&p, &user, Some(&r), None).await,
    }
}
