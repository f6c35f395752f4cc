//! The HTML pages: the user's path through the portal, server-rendered, no JavaScript.
//!
//! One file per resource, beside its part of [`crate::service`]: `login` (and the `sms` step it
//! shares with `reset`), `reset` (password reset), `account` (the GENERAL tab), `tokens` (the
//! TOKENS tab) and `check` (the login check). This file holds what they share: the layout's
//! [`Base`] and how a page is drawn ([`show`]), the extractors for the logged-in user
//! ([`LoggedIn`]) and for a form with its CSRF token checked ([`CsrfForm`]), and [`PageError`]
//! for refusals no page of a handler's own can carry.

mod account;
mod check;
mod login;
mod reset;
mod sms;
mod tokens;

use std::future::Future;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::header::{CONTENT_TYPE, LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form as AxumForm, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::{log_if_internal, session_cookie_header, status_of, Sid, PAGE_BODY_LIMIT};
use crate::service::{LoggedIn, Outcome, Refusal};
use crate::AppState;

/// Every page route, gathered from the resources' files.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(root))
        .route("/style.css", get(stylesheet))
        .merge(login::routes())
        .merge(sms::routes())
        .merge(account::routes())
        .merge(tokens::routes())
        .merge(reset::routes())
        .merge(check::routes())
}

/// A form body whose rejections say what to do (axum's own name the parser's internals).
struct Form<T>(T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Form<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match AxumForm::<T>::from_request(req, state).await {
            Ok(AxumForm(v)) => Ok(Form(v)),
            Err(e) => Err(form_error(&e)),
        }
    }
}

fn form_error(e: &FormRejection) -> Response {
    let status = e.status();
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => format!(
            "The form is larger than the {PAGE_BODY_LIMIT} bytes this portal takes. Go back and shorten what you typed."
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            "Send the form as the page does (application/x-www-form-urlencoded).".to_owned()
        }
        _ => "The form was incomplete or damaged. Go back, reload the page and try again.".to_owned(),
    };
    (status, message).into_response()
}

/// A page's form, parsed, with its CSRF token checked against the request's session: the one
/// place the pages check it. A form with a wrong token is handed over all the same, with the
/// verdict, because each page shows a refused form again as typed, with [`Refusal::Forbidden`]
/// in place of the operation's own refusal; [`Csrf::then`] runs the operation only when the
/// token was right.
struct CsrfForm<T>(Csrf, T);

/// The form as sent: the token beside the page's own fields.
#[derive(Deserialize)]
struct WithToken<T> {
    csrf: String,
    #[serde(flatten)]
    form: T,
}

/// The fields of a form that carries nothing but its CSRF token (log out, resend, revoke).
#[derive(Deserialize)]
struct NoFields {}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, p: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let Ok(Sid(sid)) = Sid::from_request_parts(&mut parts, p).await;
        let Form(sent) =
            Form::<WithToken<T>>::from_request(Request::from_parts(parts, body), p).await?;
        let session = sid.filter(|id| p.csrf_ok(id, &sent.csrf));
        Ok(CsrfForm(Csrf(session), sent.form))
    }
}

/// The verdict on a form's CSRF token: the id of the session it belongs to, when it was right.
struct Csrf(Option<String>);

impl Csrf {
    /// The request's session id when the form carried its token; otherwise
    /// [`Refusal::Forbidden`].
    fn session(&self) -> Outcome<&str> {
        self.0.as_deref().ok_or(Refusal::Forbidden)
    }

    /// Awaits `op` when the form carried the session's token; otherwise refuses with
    /// [`Refusal::Forbidden`] without running it (a future does nothing until awaited).
    async fn then<T>(&self, op: impl Future<Output = Outcome<T>>) -> Outcome<T> {
        self.session()?;
        op.await
    }
}

/// The pages behind the login take the logged-in user as an extractor; a request without one
/// is sent to the login page.
impl FromRequestParts<AppState> for LoggedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, p: &AppState) -> Result<Self, Self::Rejection> {
        let Ok(Sid(sid)) = Sid::from_request_parts(parts, p).await;
        sid.and_then(|id| p.logged_in(&id))
            .ok_or_else(|| redirect("/login", None))
    }
}

/// A refusal shown as a page of its own: its message as text, with its status (an internal
/// failure is logged). Handlers return it with `?` where no page of theirs can carry the
/// message: the session or the user could not be read, or the form was forged.
struct PageError(Refusal);

impl From<Refusal> for PageError {
    fn from(r: Refusal) -> Self {
        PageError(r)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        log_if_internal(&self.0);
        (status_of(&self.0), self.0.message()).into_response()
    }
}

/// What a page handler answers: a page or redirect, or a refusal on a page of its own.
type PageResult = Result<Response, PageError>;

/// What every page's layout needs.
struct Base {
    title: &'static str,
    csrf: String,
    logged_in: bool,
    tab: &'static str,
    error: Option<String>,
    notice: Option<String>,
}

impl Base {
    /// The layout of a page outside the login.
    fn new(title: &'static str, csrf: &str) -> Self {
        Base {
            title,
            csrf: csrf.to_owned(),
            logged_in: false,
            tab: "",
            error: None,
            notice: None,
        }
    }

    /// The layout of a page behind the login, on tab `tab`.
    fn portal(title: &'static str, csrf: &str, tab: &'static str) -> Self {
        Base {
            logged_in: true,
            tab,
            ..Base::new(title, csrf)
        }
    }

    /// The layout with a notice (what just succeeded), if any, at the top.
    fn notice(mut self, n: Option<&str>) -> Self {
        self.notice = n.map(str::to_owned);
        self
    }
}

/// A page template, drawn inside the layout its [`Base`] describes.
trait Page: Template {
    /// The page's layout.
    fn base(&mut self) -> &mut Base;
}

/// Makes templates with a `base` field [`Page`]s.
macro_rules! page {
    ($($t:ty),+) => {
        $(impl $crate::web::pages::Page for $t {
            fn base(&mut self) -> &mut $crate::web::pages::Base {
                &mut self.base
            }
        })+
    };
}
use page;

/// Draws `page`, with `refusal`'s message and status when the request was refused (200 OK
/// otherwise), and sets `cookie` when given.
fn show(mut page: impl Page, refusal: Option<&Refusal>, cookie: Option<HeaderValue>) -> Response {
    let status = match refusal {
        Some(r) => {
            log_if_internal(r);
            page.base().error = Some(r.message());
            status_of(r)
        }
        None => StatusCode::OK,
    };
    render(status, cookie, &page)
}

fn render(status: StatusCode, cookie: Option<HeaderValue>, t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => {
            let mut r = (
                status,
                [(
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                )],
                html,
            )
                .into_response();
            if let Some(c) = cookie {
                r.headers_mut().insert(SET_COOKIE, c);
            }
            r
        }
        Err(e) => {
            tracing::error!("template failed: {e}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The page could not be shown.",
            )
                .into_response()
        }
    }
}

fn redirect(to: &str, cookie: Option<HeaderValue>) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(LOCATION, v);
    }
    if let Some(c) = cookie {
        r.headers_mut().insert(SET_COOKIE, c);
    }
    r
}

fn cookie(p: &AppState, sid: &str) -> HeaderValue {
    session_cookie_header(p, Some(sid))
}

/// The session of a visitor to a page outside the login: its CSRF token, and the cookie to set
/// when it was made for this request.
struct Visitor {
    csrf: String,
    cookie: Option<HeaderValue>,
}

/// The request's session, or a new anonymous one when there is none (see
/// [`crate::Portal::page_session`]).
fn visitor(p: &AppState, sid: &Sid) -> Outcome<Visitor> {
    let s = p.page_session(sid.0.as_deref())?;
    Ok(Visitor {
        csrf: s.csrf,
        cookie: s.created.map(|id| cookie(p, &id)),
    })
}

/// The answer to the first form of a login or a reset: on to `next` under the new (rotated)
/// session id, or the form again (`form`, given the session's CSRF token) with the refusal.
fn first_step<P: Page>(
    p: &AppState,
    sid: &Sid,
    started: Outcome<String>,
    next: &str,
    form: impl FnOnce(&str) -> P,
) -> PageResult {
    match started {
        Ok(new) => Ok(redirect(next, Some(cookie(p, &new)))),
        Err(r) => {
            let v = visitor(p, sid)?;
            Ok(show(form(&v.csrf), Some(&r), v.cookie))
        }
    }
}

fn is_logged_in(p: &AppState, sid: &Sid) -> bool {
    sid.0.as_deref().and_then(|id| p.logged_in(id)).is_some()
}

/// The body of a form that sends a code (the SMS code, or the first code from the app).
#[derive(Deserialize)]
struct CodeForm {
    code: String,
}

/// A page with one message and one link onward.
#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    base: Base,
    message: String,
    link: &'static str,
    link_text: &'static str,
}

page!(MessagePage);

async fn root(State(p): State<AppState>, sid: Sid) -> Response {
    if is_logged_in(&p, &sid) {
        redirect("/portal", None)
    } else {
        redirect("/login", None)
    }
}

async fn stylesheet() -> Response {
    (
        [(CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../../static/style.css"),
    )
        .into_response()
}
