//! The SMS step that login and password reset share: the page asking for the code, checking
//! it, and sending a new one (`/login/sms`, `/reset/sms` and their `/resend`).

use askama::Template;
use axum::extract::State;
use axum::routing::{get, post, MethodRouter};
use axum::Router;

use super::login::LoginPage;
use super::reset::ResetPage;
use super::{
    cookie, page, redirect, show, visitor, Base, CodeForm, CsrfForm, NoFields, PageResult,
};
use crate::service::Refusal;
use crate::session::Purpose;
use crate::web::{ClientAddr, Sid};
use crate::AppState;

/// The SMS step's routes, for login and for reset.
pub(super) fn routes() -> Router<AppState> {
    let mut r = Router::new();
    for purpose in [Purpose::Login, Purpose::Reset] {
        let paths = Paths::of(purpose);
        r = r
            .route(paths.sms, code_step(purpose))
            .route(paths.resend, resend_step(purpose));
    }
    r
}

/// Where the pages of a login or reset attempt are.
struct Paths {
    /// The attempt's first page, where it starts again.
    first: &'static str,
    /// The SMS page.
    sms: &'static str,
    /// Where its form asks for a new code.
    resend: &'static str,
    /// Where a right code leads.
    next: &'static str,
}

impl Paths {
    fn of(purpose: Purpose) -> Paths {
        match purpose {
            Purpose::Login => Paths {
                first: "/login",
                sms: "/login/sms",
                resend: "/login/sms/resend",
                next: "/portal",
            },
            Purpose::Reset => Paths {
                first: "/reset",
                sms: "/reset/sms",
                resend: "/reset/sms/resend",
                next: "/reset/password",
            },
        }
    }
}

/// The SMS page (GET) and the code sent from it (POST) of the attempt `purpose`.
fn code_step(purpose: Purpose) -> MethodRouter<AppState> {
    get(move |State(p): State<AppState>, sid: Sid| async move {
        sms_page(&p, &sid, purpose, None, None).await
    })
    .post(
        move |State(p): State<AppState>, sid: Sid, form: CsrfForm<CodeForm>| {
            submit_code(p, sid, form, purpose)
        },
    )
}

/// Asking for a new code (POST) in the attempt `purpose`.
fn resend_step(purpose: Purpose) -> MethodRouter<AppState> {
    post(
        move |State(p): State<AppState>, sid: Sid, addr: ClientAddr, form: CsrfForm<NoFields>| {
            resend(p, sid, addr, form, purpose)
        },
    )
}

/// Checks the SMS code: on to the attempt's next page under the new (rotated) session id, or
/// the SMS page again with the refusal.
async fn submit_code(
    p: AppState,
    sid: Sid,
    CsrfForm(checked, f): CsrfForm<CodeForm>,
    purpose: Purpose,
) -> PageResult {
    let result = checked.session().and_then(|id| match purpose {
        Purpose::Login => p.login_sms(id, &f.code),
        Purpose::Reset => p.reset_sms(id, &f.code),
    });
    match result {
        Ok(new) => Ok(redirect(Paths::of(purpose).next, Some(cookie(&p, &new)))),
        Err(r) => sms_page(&p, &sid, purpose, Some(&r), None).await,
    }
}

/// Sends a new SMS code for the session's attempt and shows the SMS page again.
async fn resend(
    p: AppState,
    sid: Sid,
    addr: ClientAddr,
    CsrfForm(checked, NoFields {}): CsrfForm<NoFields>,
    purpose: Purpose,
) -> PageResult {
    let result = match checked.session() {
        Ok(id) => p.resend_sms(id, &addr.0).await,
        Err(r) => Err(r),
    };
    match result {
        Ok(()) => {
            let notice = "A new code was sent. The old one no longer works.";
            sms_page(&p, &sid, purpose, None, Some(notice)).await
        }
        Err(r) => sms_page(&p, &sid, purpose, Some(&r), None).await,
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

page!(SmsPage);

/// The SMS page of a login or reset attempt (by `purpose`), with `refusal` or `notice` on it,
/// when the session is at that step; otherwise the attempt's first page.
async fn sms_page(
    p: &AppState,
    sid: &Sid,
    purpose: Purpose,
    refusal: Option<&Refusal>,
    notice: Option<&str>,
) -> PageResult {
    let paths = Paths::of(purpose);
    let Some(id) = &sid.0 else {
        return Ok(redirect(paths.first, None));
    };
    let Some(step) = p.sms_step(id, purpose) else {
        // The attempt is over (done, expired, or too many tries): say why on the first page.
        return Ok(match (refusal, visitor(p, sid), purpose) {
            (Some(r), Ok(v), Purpose::Login) => {
                show(LoginPage::new(&v.csrf, String::new()), Some(r), v.cookie)
            }
            (Some(r), Ok(v), Purpose::Reset) => {
                show(ResetPage::new(&v.csrf, String::new()), Some(r), v.cookie)
            }
            _ => redirect(paths.first, None),
        });
    };
    // After a right password the user may see a hint of the number; a reset is asked for
    // with a username alone, so its page says the same whether the username exists or not.
    let sent_to = match step.user_id {
        Some(id) => format!(
            "We sent a one-time code by SMS to {}.",
            mask_phone(&p.user(id).await?.phone)
        ),
        None => {
            "If this username has an account, we sent a one-time code by SMS to its mobile number."
                .to_owned()
        }
    };
    let title = match purpose {
        Purpose::Login => "Enter the SMS code",
        Purpose::Reset => "Reset password",
    };
    let base = Base::new(title, &step.csrf).notice(notice);
    let page = SmsPage {
        base,
        action: paths.sms,
        resend: paths.resend,
        restart: paths.first,
        sent_to,
    };
    Ok(show(page, refusal, None))
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
