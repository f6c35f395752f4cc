//! The TOKENS tab: the list, "Activate Pocket Pass" (name, QR code, first code from the app),
//! a token's details and revoking it (`/portal/tokens…`).

use askama::Template;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;
use serde::Deserialize;

use super::{page, redirect, show, Base, CodeForm, CsrfForm, MessagePage, NoFields, PageResult};
use crate::service::{LoggedIn, Refusal, TokenAttempts, TokenView, SHOWN_ON_PAGE};
use crate::web::ClientAddr;
use crate::AppState;

/// The TOKENS tab's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/tokens", get(tokens).post(create_token))
        .route("/portal/tokens/new", get(new_token_form))
        .route("/portal/tokens/{id}", get(token_more))
        .route("/portal/tokens/{id}/qr", get(token_qr))
        .route("/portal/tokens/{id}/verify", get(verify_form).post(verify))
        .route("/portal/tokens/{id}/revoke", post(revoke))
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    base: Base,
    tokens: Vec<TokenView>,
}

#[derive(Template)]
#[template(path = "token_new.html")]
struct NewTokenPage {
    base: Base,
    name: String,
}

#[derive(Template)]
#[template(path = "token_qr.html")]
struct QrPage {
    base: Base,
    id: i64,
    name: String,
    png_b64: String,
}

#[derive(Template)]
#[template(path = "token_verify.html")]
struct VerifyPage {
    base: Base,
    id: i64,
    name: String,
}

#[derive(Template)]
#[template(path = "token_more.html")]
struct MorePage {
    base: Base,
    t: TokenView,
    /// The latest attempts on the token and what they say about the device's clock.
    history: TokenAttempts,
}

page!(TokensPage, NewTokenPage, QrPage, VerifyPage, MorePage);

/// The layout of the TOKENS tab's pages.
fn tab(title: &'static str, user: &LoggedIn) -> Base {
    Base::portal(title, &user.csrf, "tokens")
}

/// A refusal about one token, on a page of its own with the way back to the list.
fn token_message(user: &LoggedIn, r: &Refusal) -> axum::response::Response {
    let page = MessagePage {
        base: tab("TOKENS", user),
        message: "The QR code of a token is shown only until the token is activated.".into(),
        link: "/portal/tokens",
        link_text: "Back to tokens",
    };
    show(page, Some(r), None)
}

async fn tokens(State(p): State<AppState>, user: LoggedIn) -> PageResult {
    let tokens = p.tokens(user.user_id).await?;
    let page = TokensPage {
        base: tab("TOKENS", &user),
        tokens,
    };
    Ok(show(page, None, None))
}

async fn new_token_form(user: LoggedIn) -> PageResult {
    let page = NewTokenPage {
        base: tab("Activate Pocket Pass", &user),
        name: String::new(),
    };
    Ok(show(page, None, None))
}

#[derive(Deserialize)]
struct NameForm {
    name: String,
}

async fn create_token(
    State(p): State<AppState>,
    user: LoggedIn,
    CsrfForm(checked, f): CsrfForm<NameForm>,
) -> PageResult {
    match checked.then(p.create_token(user.user_id, &f.name)).await {
        Ok(t) => Ok(redirect(&format!("/portal/tokens/{}/qr", t.id), None)),
        Err(r) => {
            let page = NewTokenPage {
                base: tab("Activate Pocket Pass", &user),
                name: f.name,
            };
            Ok(show(page, Some(&r), None))
        }
    }
}

async fn token_qr(State(p): State<AppState>, Path(id): Path<i64>, user: LoggedIn) -> PageResult {
    Ok(match p.pending_token(user.user_id, id).await {
        Ok(t) => {
            let page = QrPage {
                base: tab("Scan the QR code", &user),
                id: t.id,
                name: t.name.clone(),
                png_b64: base64::engine::general_purpose::STANDARD.encode(&t.qr_png),
            };
            show(page, None, None)
        }
        Err(r) => token_message(&user, &r),
    })
}

/// The page asking for the first code from the app, with `refusal` on it.
async fn verify_page(
    p: &AppState,
    user: &LoggedIn,
    id: i64,
    refusal: Option<&Refusal>,
) -> PageResult {
    Ok(match p.token(user.user_id, id).await {
        Ok(t) => {
            let page = VerifyPage {
                base: tab("Enter the code from the app", user),
                id,
                name: t.name,
            };
            show(page, refusal, None)
        }
        Err(r) => token_message(user, &r),
    })
}

async fn verify_form(State(p): State<AppState>, Path(id): Path<i64>, user: LoggedIn) -> PageResult {
    verify_page(&p, &user, id, None).await
}

async fn verify(
    State(p): State<AppState>,
    Path(id): Path<i64>,
    user: LoggedIn,
    addr: ClientAddr,
    CsrfForm(checked, f): CsrfForm<CodeForm>,
) -> PageResult {
    match checked
        .then(p.activate_token(user.user_id, id, &f.code, &addr.0))
        .await
    {
        Ok((t, _)) => {
            let page = MessagePage {
                base: tab("Pocket Pass is active", &user).notice(Some("Your token is active.")),
                message: format!(
                    "The token \"{}\" is active and expires {}. Log in with your password and the code from the app.",
                    t.name,
                    t.expires.unwrap_or_default()
                ),
                link: "/portal/tokens",
                link_text: "Back to tokens",
            };
            Ok(show(page, None, None))
        }
        Err(r) => verify_page(&p, &user, id, Some(&r)).await,
    }
}

async fn token_more(State(p): State<AppState>, Path(id): Path<i64>, user: LoggedIn) -> PageResult {
    let found = match p.token(user.user_id, id).await {
        Ok(t) => p
            .token_attempts(user.user_id, id, SHOWN_ON_PAGE)
            .await
            .map(|history| (t, history)),
        Err(r) => Err(r),
    };
    Ok(match found {
        Ok((t, history)) => {
            let page = MorePage {
                base: tab("Token details", &user),
                t,
                history,
            };
            show(page, None, None)
        }
        Err(r) => token_message(&user, &r),
    })
}

async fn revoke(
    State(p): State<AppState>,
    Path(id): Path<i64>,
    user: LoggedIn,
    CsrfForm(checked, NoFields {}): CsrfForm<NoFields>,
) -> PageResult {
    Ok(match checked.then(p.revoke_token(user.user_id, id)).await {
        Ok(_) => redirect(&format!("/portal/tokens/{id}"), None),
        Err(r) => token_message(&user, &r),
    })
}
