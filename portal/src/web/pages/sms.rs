//! The SMS step that login and password reset share: the page asking for the code, and sending
//! a new one (`/login/sms`, `/reset/sms` and their `/resend`).

use askama::Template;

use super::login::LoginPage;
use super::reset::ResetPage;
use super::{page, redirect, show, visitor, Base, Csrf, PageResult};
use crate::service::Refusal;
use crate::session::Purpose;
use crate::web::{ClientAddr, Sid};
use crate::AppState;

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
pub(super) async fn sms_page(
    p: &AppState,
    sid: &Sid,
    purpose: Purpose,
    refusal: Option<&Refusal>,
    notice: Option<&str>,
) -> PageResult {
    let reset = purpose == Purpose::Reset;
    let restart = if reset { "/reset" } else { "/login" };
    let Some(id) = &sid.0 else {
        return Ok(redirect(restart, None));
    };
    let Some(step) = p.sms_step(id, purpose) else {
        // The attempt is over (done, expired, or too many tries): say why on the first page.
        return Ok(match (refusal, visitor(p, sid)) {
            (Some(r), Ok(v)) if !reset => {
                show(LoginPage::new(&v.csrf, String::new()), Some(r), v.cookie)
            }
            (Some(r), Ok(v)) => show(ResetPage::new(&v.csrf, String::new()), Some(r), v.cookie),
            _ => redirect(restart, None),
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
    let title = if reset {
        "Reset password"
    } else {
        "Enter the SMS code"
    };
    let mut base = Base::new(title, &step.csrf);
    if let Some(n) = notice {
        base = base.notice(n);
    }
    let (action, resend) = if reset {
        ("/reset/sms", "/reset/sms/resend")
    } else {
        ("/login/sms", "/login/sms/resend")
    };
    let page = SmsPage {
        base,
        action,
        resend,
        restart,
        sent_to,
    };
    Ok(show(page, refusal, None))
}

/// Sends a new SMS code for the session's attempt and shows the SMS page again.
pub(super) async fn resend(
    p: &AppState,
    sid: &Sid,
    addr: &ClientAddr,
    checked: &Csrf,
    purpose: Purpose,
) -> PageResult {
    let result = match checked.session() {
        Ok(id) => p.resend_sms(id, &addr.0).await,
        Err(r) => Err(r),
    };
    match result {
        Ok(()) => {
            let notice = "A new code was sent. The old one no longer works.";
            sms_page(p, sid, purpose, None, Some(notice)).await
        }
        Err(r) => sms_page(p, sid, purpose, Some(&r), None).await,
    }
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
