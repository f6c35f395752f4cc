//! The HTML pages: the user's path through the portal, server-rendered, no JavaScript.

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::header::{CONTENT_TYPE, LOCATION, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form as AxumForm, Router};
use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::{log_if_internal, session_cookie_header, status_of, ClientAddr, Sid, PAGE_BODY_LIMIT};
use crate::password::Password;
use crate::service::{Refusal, TokenView};
use crate::session::Purpose;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(root))
        .route("/style.css", get(stylesheet))
        .route("/login", get(login_form).post(login))
        .route("/login/sms", get(login_sms_form).post(login_sms))
        .route("/login/sms/resend", post(login_sms_resend))
        .route("/logout", post(logout))
        .route("/portal", get(general))
        .route("/portal/phone", post(change_phone))
        .route("/portal/tokens", get(tokens).post(create_token))
        .route("/portal/tokens/new", get(new_token_form))
        .route("/portal/tokens/{id}", get(token_more))
        .route("/portal/tokens/{id}/qr", get(token_qr))
        .route("/portal/tokens/{id}/verify", get(verify_form).post(verify))
        .route("/portal/tokens/{id}/revoke", post(revoke))
        .route("/reset", get(reset_form).post(reset))
        .route("/reset/sms", get(reset_sms_form).post(reset_sms))
        .route("/reset/sms/resend", post(reset_sms_resend))
        .route(
            "/reset/password",
            get(reset_password_form).post(reset_password),
        )
        .route("/check", get(check_form).post(check))
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

    fn portal(title: &'static str, csrf: &str, tab: &'static str) -> Self {
        Base {
            logged_in: true,
            tab,
            ..Base::new(title, csrf)
        }
    }

    fn error(mut self, r: &Refusal) -> Self {
        log_if_internal(r);
        self.error = Some(r.message());
        self
    }

    fn notice(mut self, n: impl Into<String>) -> Self {
        self.notice = Some(n.into());
        self
    }
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

/// The live session's CSRF token, creating an anonymous session when there is none (second
/// value: the cookie to set for a new one).
fn ensure_session(p: &AppState, sid: &Sid) -> Result<(String, Option<HeaderValue>), Refusal> {
    let s = p.page_session(sid.0.as_deref())?;
    Ok((s.csrf, s.created.map(|id| cookie(p, &id))))
}

/// The logged-in user of this request: (user id, CSRF token).
fn logged_in(p: &AppState, sid: &Sid) -> Option<(i64, String)> {
    let l = p.logged_in(sid.0.as_deref()?)?;
    Some((l.user_id, l.csrf))
}

/// Whether the form's CSRF token belongs to the request's session.
fn csrf_ok(p: &AppState, sid: &Sid, token: &str) -> bool {
    sid.0.as_deref().is_some_and(|id| p.csrf_ok(id, token))
}

fn internal(r: &Refusal) -> Response {
    log_if_internal(r);
    (status_of(r), r.message()).into_response()
}

macro_rules! or_login {
    ($p:expr, $sid:expr) => {
        match logged_in(&$p, &$sid) {
            Some(v) => v,
            None => return redirect("/login", None),
        }
    };
}

async fn root(State(p): State<AppState>, sid: Sid) -> Response {
    if logged_in(&p, &sid).is_some() {
        redirect("/portal", None)
    } else {
        redirect("/login", None)
    }
}

async fn stylesheet() -> Response {
    (
        [(CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../static/style.css"),
    )
        .into_response()
}

// ---- login -----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    base: Base,
    username: String,
}

async fn login_form(State(p): State<AppState>, sid: Sid) -> Response {
    if logged_in(&p, &sid).is_some() {
        return redirect("/portal", None);
    }
    match ensure_session(&p, &sid) {
        Ok((csrf, c)) => render(
            StatusCode::OK,
            c,
            &LoginPage {
                base: Base::new("Log in", &csrf),
                username: String::new(),
            },
        ),
        Err(r) => internal(&r),
    }
}

#[derive(Deserialize)]
struct LoginForm {
    csrf: String,
    username: String,
    password: Password,
}

async fn login(
    State(p): State<AppState>,
    sid: Sid,
    addr: ClientAddr,
    Form(f): Form<LoginForm>,
) -> Response {
    let result = if csrf_ok(&p, &sid, &f.csrf) {
        p.login_password(sid.0.as_deref(), &f.username, f.password, &addr.0)
            .await
    } else {
        Err(Refusal::Forbidden)
    };
    match result {
        Ok(new) => redirect("/login/sms", Some(cookie(&p, &new))),
        Err(r) => match ensure_session(&p, &sid) {
            Ok((csrf, c)) => render(
                status_of(&r),
                c,
                &LoginPage {
                    base: Base::new("Log in", &csrf).error(&r),
                    username: f.username,
                },
            ),
            Err(e) => internal(&e),
        },
    }
}

#[derive(Template)]
#[template(path = "sms.html")]
struct SmsPage {
    base: Base,
    action: &'static str,
    resend: &'static str,
    restart: &'static str,
    sent_to: String,
}

/// The SMS page of a login or reset attempt, if the session is at that step.
async fn sms_page(
    p: &AppState,
    sid: &Sid,
    reset: bool,
    status: StatusCode,
    error: Option<&Refusal>,
    notice: Option<&str>,
) -> Response {
    let restart = if reset { "/reset" } else { "/login" };
    let Some(id) = &sid.0 else {
        return redirect(restart, None);
    };
    let purpose = if reset {
        Purpose::Reset
    } else {
        Purpose::Login
    };
    let found = p.sms_step(id, purpose).map(|s| (s.user_id, s.csrf));
    let Some((user_id, csrf)) = found else {
        // The attempt is over (done, expired, or too many tries): say why on the first page.
        return match (error, ensure_session(p, sid)) {
            (Some(r), Ok((csrf, c))) if !reset => render(
                status,
                c,
                &LoginPage {
                    base: Base::new("Log in", &csrf).error(r),
                    username: String::new(),
                },
            ),
            (Some(r), Ok((csrf, c))) => render(
                status,
                c,
                &ResetPage {
                    base: Base::new("Reset password", &csrf).error(r),
                    username: String::new(),
                },
            ),
            _ => redirect(restart, None),
        };
    };
    // After a right password the user may see a hint of the number; a reset is asked for
    // with a username alone, so its page says the same whether the username exists or not.
    let sent_to = match user_id {
        Some(id) => match p.user(id).await {
            Ok(u) => format!(
                "We sent a one-time code by SMS to {}.",
                mask_phone(&u.phone)
            ),
            Err(r) => return internal(&r),
        },
        None => {
            "If this username has an account, we sent a one-time code by SMS to its mobile number."
                .to_owned()
        }
    };
    let mut base = Base::new(
        if reset {
            "Reset password"
        } else {
            "Enter the SMS code"
        },
        &csrf,
    );
    if let Some(r) = error {
        base = base.error(r);
    }
    if let Some(n) = notice {
        base = base.notice(n);
    }
    let (action, resend) = if reset {
        ("/reset/sms", "/reset/sms/resend")
    } else {
        ("/login/sms", "/login/sms/resend")
    };
    render(
        status,
        None,
        &SmsPage {
            base,
            action,
            resend,
            restart,
            sent_to,
        },
    )
}

/// `+46701234567` → `••••••••567`: enough to recognise one's phone, not to learn the number.
fn mask_phone(phone: &str) -> String {
    let n = phone.chars().count();
    phone
        .chars()
        .enumerate()
        .map(|(i, c)| if i + 3 < n { '•' } else { c })
        .collect()
}

async fn login_sms_form(State(p): State<AppState>, sid: Sid) -> Response {
    sms_page(&p, &sid, false, StatusCode::OK, None, None).await
}

#[derive(Deserialize)]
struct CodeForm {
    csrf: String,
    code: String,
}

async fn login_sms(State(p): State<AppState>, sid: Sid, Form(f): Form<CodeForm>) -> Response {
    if !csrf_ok(&p, &sid, &f.csrf) {
        return sms_page(
            &p,
            &sid,
            false,
            StatusCode::FORBIDDEN,
            Some(&Refusal::Forbidden),
            None,
        )
        .await;
    }
    let Some(id) = &sid.0 else {
        return redirect("/login", None);
    };
    match p.login_sms(id, &f.code) {
        Ok(new) => redirect("/portal", Some(cookie(&p, &new))),
        Err(r) => sms_page(&p, &sid, false, status_of(&r), Some(&r), None).await,
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn resend(p: AppState, sid: Sid, addr: ClientAddr, f: CsrfForm, reset: bool) -> Response {
    if !csrf_ok(&p, &sid, &f.csrf) {
        return sms_page(
            &p,
            &sid,
            reset,
            StatusCode::FORBIDDEN,
            Some(&Refusal::Forbidden),
            None,
        )
        .await;
    }
    let Some(id) = &sid.0 else {
        return redirect("/login", None);
    };
    match p.resend_sms(id, &addr.0).await {
        Ok(()) => {
            sms_page(
                &p,
                &sid,
                reset,
                StatusCode::OK,
                None,
                Some("A new code was sent. The old one no longer works."),
            )
            .await
        }
        Err(r) => sms_page(&p, &sid, reset, status_of(&r), Some(&r), None).await,
    }
}

async fn login_sms_resend(
    State(p): State<AppState>,
    sid: Sid,
    addr: ClientAddr,
    Form(f): Form<CsrfForm>,
) -> Response {
    resend(p, sid, addr, f, false).await
}

async fn logout(State(p): State<AppState>, sid: Sid, Form(f): Form<CsrfForm>) -> Response {
    if !csrf_ok(&p, &sid, &f.csrf) {
        return (StatusCode::FORBIDDEN, Refusal::Forbidden.message()).into_response();
    }
    if let Some(id) = &sid.0 {
        p.logout(id);
    }
    redirect("/login", Some(session_cookie_header(&p, None)))
}

// ---- GENERAL tab -----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "general.html")]
struct GeneralPage {
    base: Base,
    full_name: String,
    username: String,
    phone: String,
    email: String,
}

async fn general_page(
    p: &AppState,
    user_id: i64,
    csrf: &str,
    status: StatusCode,
    error: Option<&Refusal>,
    notice: Option<&str>,
) -> Response {
    let u = match p.user(user_id).await {
        Ok(u) => u,
        Err(r) => return internal(&r),
    };
    let mut base = Base::portal("GENERAL", csrf, "general");
    if let Some(r) = error {
        base = base.error(r);
    }
    if let Some(n) = notice {
        base = base.notice(n);
    }
    render(
        status,
        None,
        &GeneralPage {
            base,
            full_name: u.full_name,
            username: u.username,
            phone: u.phone,
            email: u.email,
        },
    )
}

async fn general(State(p): State<AppState>, sid: Sid) -> Response {
    let (user, csrf) = or_login!(p, sid);
    general_page(&p, user, &csrf, StatusCode::OK, None, None).await
}

#[derive(Deserialize)]
struct PhoneForm {
    csrf: String,
    phone: String,
    password: Password,
}

async fn change_phone(
    State(p): State<AppState>,
    sid: Sid,
    addr: ClientAddr,
    Form(f): Form<PhoneForm>,
) -> Response {
    let (user, csrf) = or_login!(p, sid);
    if !csrf_ok(&p, &sid, &f.csrf) {
        return general_page(
            &p,
            user,
            &csrf,
            StatusCode::FORBIDDEN,
            Some(&Refusal::Forbidden),
            None,
        )
        .await;
    }
    match p.change_phone(user, f.password, &f.phone, &addr.0).await {
        Ok(()) => {
            general_page(
                &p,
                user,
                &csrf,
                StatusCode::OK,
                None,
                Some("Your phone number was changed."),
            )
            .await
        }
        Err(r) => general_page(&p, user, &csrf, status_of(&r), Some(&r), None).await,
    }
}

// ---- TOKENS tab ------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    base: Base,
    tokens: Vec<TokenView>,
}

async fn tokens(State(p): State<AppState>, sid: Sid) -> Response {
    let (user, csrf) = or_login!(p, sid);
    match p.tokens(user).await {
        Ok(tokens) => render(
            StatusCode::OK,
            None,
            &TokensPage {
                base: Base::portal("TOKENS", &csrf, "tokens"),
                tokens,
            },
        ),
        Err(r) => internal(&r),
    }
}

#[derive(Template)]
#[template(path = "token_new.html")]
struct NewTokenPage {
    base: Base,
    name: String,
}

async fn new_token_form(State(p): State<AppState>, sid: Sid) -> Response {
    let (_, csrf) = or_login!(p, sid);
    render(
        StatusCode::OK,
        None,
        &NewTokenPage {
            base: Base::portal("Activate Pocket Pass", &csrf, "tokens"),
            name: String::new(),
        },
    )
}

#[derive(Deserialize)]
struct NameForm {
    csrf: String,
    name: String,
}

async fn create_token(State(p): State<AppState>, sid: Sid, Form(f): Form<NameForm>) -> Response {
    let (user, csrf) = or_login!(p, sid);
    let result = if csrf_ok(&p, &sid, &f.csrf) {
        p.create_token(user, &f.name).await
    } else {
        Err(Refusal::Forbidden)
    };
    match result {
        Ok(t) => redirect(&format!("/portal/tokens/{}/qr", t.id), None),
        Err(r) => render(
            status_of(&r),
            None,
            &NewTokenPage {
                base: Base::portal("Activate Pocket Pass", &csrf, "tokens").error(&r),
                name: f.name,
            },
        ),
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    base: Base,
    message: String,
    link: &'static str,
    link_text: &'static str,
}

fn token_message(csrf: &str, status: StatusCode, r: &Refusal) -> Response {
    render(
        status,
        None,
        &MessagePage {
            base: Base::portal("TOKENS", csrf, "tokens").error(r),
            message: "The QR code of a token is shown only until the token is activated.".into(),
            link: "/portal/tokens",
            link_text: "Back to tokens",
        },
    )
}

#[derive(Template)]
#[template(path = "token_qr.html")]
struct QrPage {
    base: Base,
    id: i64,
    name: String,
    png_b64: String,
}

async fn token_qr(State(p): State<AppState>, sid: Sid, Path(id): Path<i64>) -> Response {
    let (user, csrf) = or_login!(p, sid);
    match p.pending_token(user, id).await {
        Ok(t) => render(
            StatusCode::OK,
            None,
            &QrPage {
                base: Base::portal("Scan the QR code", &csrf, "tokens"),
                id: t.id,
                name: t.name.clone(),
                png_b64: base64::engine::general_purpose::STANDARD.encode(&t.qr_png),
            },
        ),
        Err(r) => token_message(&csrf, status_of(&r), &r),
    }
}

#[derive(Template)]
#[template(path = "token_verify.html")]
struct VerifyPage {
    base: Base,
    id: i64,
    name: String,
}

async fn verify_page(
    p: &AppState,
    user: i64,
    id: i64,
    csrf: &str,
    status: StatusCode,
    error: Option<&Refusal>,
) -> Response {
    match p.token(user, id).await {
        Ok(t) => {
            let mut base = Base::portal("Enter the code from the app", csrf, "tokens");
            if let Some(r) = error {
                base = base.error(r);
            }
            render(
                status,
                None,
                &VerifyPage {
                    base,
                    id,
                    name: t.name,
                },
            )
        }
        Err(r) => token_message(csrf, status_of(&r), &r),
    }
}

async fn verify_form(State(p): State<AppState>, sid: Sid, Path(id): Path<i64>) -> Response {
    let (user, csrf) = or_login!(p, sid);
    verify_page(&p, user, id, &csrf, StatusCode::OK, None).await
}

async fn verify(
    State(p): State<AppState>,
    sid: Sid,
    Path(id): Path<i64>,
    Form(f): Form<CodeForm>,
) -> Response {
    let (user, csrf) = or_login!(p, sid);
    if !csrf_ok(&p, &sid, &f.csrf) {
        return verify_page(
            &p,
            user,
            id,
            &csrf,
            StatusCode::FORBIDDEN,
            Some(&Refusal::Forbidden),
        )
        .await;
    }
    match p.activate_token(user, id, &f.code).await {
        Ok(t) => render(
            StatusCode::OK,
            None,
            &MessagePage {
                base: Base::portal("Pocket Pass is active", &csrf, "tokens").notice("Your token is active."),
                message: format!(
                    "The token \"{}\" is active and expires {}. Log in with your password and the code from the app.",
                    t.name,
                    t.expires.unwrap_or_default()
                ),
                link: "/portal/tokens",
                link_text: "Back to tokens",
            },
        ),
        Err(r) => verify_page(&p, user, id, &csrf, status_of(&r), Some(&r)).await,
    }
}

#[derive(Template)]
#[template(path = "token_more.html")]
struct MorePage {
    base: Base,
    t: TokenView,
}

async fn token_more(State(p): State<AppState>, sid: Sid, Path(id): Path<i64>) -> Response {
    let (user, csrf) = or_login!(p, sid);
    match p.token(user, id).await {
        Ok(t) => render(
            StatusCode::OK,
            None,
            &MorePage {
                base: Base::portal("Token details", &csrf, "tokens"),
                t,
            },
        ),
        Err(r) => token_message(&csrf, status_of(&r), &r),
    }
}

async fn revoke(
    State(p): State<AppState>,
    sid: Sid,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let (user, csrf) = or_login!(p, sid);
    if !csrf_ok(&p, &sid, &f.csrf) {
        return token_message(&csrf, StatusCode::FORBIDDEN, &Refusal::Forbidden);
    }
    match p.revoke_token(user, id).await {
        Ok(_) => redirect(&format!("/portal/tokens/{id}"), None),
        Err(r) => token_message(&csrf, status_of(&r), &r),
    }
}

// ---- password reset --------------------------------------------------------------------

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage {
    base: Base,
    username: String,
}

async fn reset_form(State(p): State<AppState>, sid: Sid) -> Response {
    match ensure_session(&p, &sid) {
        Ok((csrf, c)) => render(
            StatusCode::OK,
            c,
            &ResetPage {
                base: Base::new("Reset password", &csrf),
                username: String::new(),
            },
        ),
        Err(r) => internal(&r),
    }
}

#[derive(Deserialize)]
struct UsernameForm {
    csrf: String,
    username: String,
}

async fn reset(
    State(p): State<AppState>,
    sid: Sid,
    addr: ClientAddr,
    Form(f): Form<UsernameForm>,
) -> Response {
    let result = if csrf_ok(&p, &sid, &f.csrf) {
        p.reset_start(sid.0.as_deref(), &f.username, &addr.0).await
    } else {
        Err(Refusal::Forbidden)
    };
    match result {
        Ok(new) => redirect("/reset/sms", Some(cookie(&p, &new))),
        Err(r) => match ensure_session(&p, &sid) {
            Ok((csrf, c)) => render(
                status_of(&r),
                c,
                &ResetPage {
                    base: Base::new("Reset password", &csrf).error(&r),
                    username: f.username,
                },
            ),
            Err(e) => internal(&e),
        },
    }
}

async fn reset_sms_form(State(p): State<AppState>, sid: Sid) -> Response {
    sms_page(&p, &sid, true, StatusCode::OK, None, None).await
}

async fn reset_sms(State(p): State<AppState>, sid: Sid, Form(f): Form<CodeForm>) -> Response {
    if !csrf_ok(&p, &sid, &f.csrf) {
        return sms_page(
            &p,
            &sid,
            true,
            StatusCode::FORBIDDEN,
            Some(&Refusal::Forbidden),
            None,
        )
        .await;
    }
    let Some(id) = &sid.0 else {
        return redirect("/reset", None);
    };
    match p.reset_sms(id, &f.code) {
        Ok(new) => redirect("/reset/password", Some(cookie(&p, &new))),
        Err(r) => sms_page(&p, &sid, true, status_of(&r), Some(&r), None).await,
    }
}

async fn reset_sms_resend(
    State(p): State<AppState>,
    sid: Sid,
    addr: ClientAddr,
    Form(f): Form<CsrfForm>,
) -> Response {
    resend(p, sid, addr, f, true).await
}

#[derive(Template)]
#[template(path = "reset_password.html")]
struct NewPasswordPage {
    base: Base,
    min_len: usize,
}

fn reset_stage_csrf(p: &AppState, sid: &Sid) -> Option<String> {
    p.new_password_step(sid.0.as_deref()?)
}

async fn reset_password_form(State(p): State<AppState>, sid: Sid) -> Response {
    let Some(csrf) = reset_stage_csrf(&p, &sid) else {
        return redirect("/reset", None);
    };
    render(
        StatusCode::OK,
        None,
        &NewPasswordPage {
            base: Base::new("Choose a new password", &csrf),
            min_len: p.config().min_password_len,
        },
    )
}

#[derive(Deserialize)]
struct NewPasswordForm {
    csrf: String,
    password: Password,
    repeat: Password,
}

async fn reset_password(
    State(p): State<AppState>,
    sid: Sid,
    addr: ClientAddr,
    Form(f): Form<NewPasswordForm>,
) -> Response {
    let Some(csrf) = reset_stage_csrf(&p, &sid) else {
        return redirect("/reset", None);
    };
    let result = if !csrf_ok(&p, &sid, &f.csrf) {
        Err(Refusal::Forbidden)
    } else if f.password.expose() != f.repeat.expose() {
        Err(Refusal::PasswordRule("The two passwords differ.".into()))
    } else {
        p.reset_password(sid.0.as_deref().unwrap_or_default(), f.password, &addr.0)
            .await
    };
    match result {
        Ok(()) => render(
            StatusCode::OK,
            Some(session_cookie_header(&p, None)),
            &MessagePage {
                base: Base::new("Password changed", "").notice("Your password was changed."),
                message: "Log in with your new password.".into(),
                link: "/login",
                link_text: "Log in",
            },
        ),
        Err(r) => render(
            status_of(&r),
            None,
            &NewPasswordPage {
                base: Base::new("Choose a new password", &csrf).error(&r),
                min_len: p.config().min_password_len,
            },
        ),
    }
}

// ---- login check -----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "check.html")]
struct CheckPage {
    base: Base,
    username: String,
    granted: Option<bool>,
    result: String,
}

async fn check_form(State(p): State<AppState>, sid: Sid) -> Response {
    match ensure_session(&p, &sid) {
        Ok((csrf, c)) => render(
            StatusCode::OK,
            c,
            &CheckPage {
                base: Base::new("Login check", &csrf),
                username: String::new(),
                granted: None,
                result: String::new(),
            },
        ),
        Err(r) => internal(&r),
    }
}

#[derive(Deserialize)]
struct CheckForm {
    csrf: String,
    username: String,
    password: Password,
    code: String,
}

async fn check(
    State(p): State<AppState>,
    sid: Sid,
    addr: ClientAddr,
    Form(f): Form<CheckForm>,
) -> Response {
    let result = if csrf_ok(&p, &sid, &f.csrf) {
        p.validate(&f.username, f.password, &f.code, &addr.0).await
    } else {
        Err(Refusal::Forbidden)
    };
    let (csrf, c) = match ensure_session(&p, &sid) {
        Ok((csrf, c)) => (csrf, c),
        Err(e) => return internal(&e),
    };
    let (status, granted, text) = match result {
        Ok(()) => (
            StatusCode::OK,
            true,
            "Access granted: password and Pocket Pass code accepted.".to_owned(),
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
    render(
        status,
        c,
        &CheckPage {
            base: Base::new("Login check", &csrf),
            username: f.username,
            granted: Some(granted),
            result: text,
        },
    )
}
