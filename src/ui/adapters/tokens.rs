//! `TokensAdapter`: the code screen and the list, with rename, move, delete and search.

use std::rc::Rc;

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::super::controller::Controller;
use super::super::flow::{Flow, TokenShown, TokensShown};
use super::super::{AppWindow, Texts, TokenView, TokensAdapter};
use crate::otp::expiry::Expiry;

pub(crate) fn connect(window: &AppWindow, c: &Rc<Controller>) {
    let tokens = window.global::<TokensAdapter>();
    // Rows name tokens by vault position; a negative one comes from no row and does nothing.
    tokens.on_open(callback!(c, |c, index| {
        if let Ok(i) = usize::try_from(index) {
            c.act(|f| f.open(i))
        }
    }));
    tokens.on_copy(callback!(c, |c, index| {
        if let Ok(i) = usize::try_from(index) {
            c.act(|f| f.copy(i))
        }
    }));
    tokens.on_next_code(callback!(c, |c, index| {
        if let Ok(i) = usize::try_from(index) {
            c.act(|f| f.next_code(i))
        }
    }));
    tokens.on_rename(callback!(c, |c, rename| {
        if let Ok(i) = usize::try_from(rename.index) {
            c.act(|f| f.rename(i, &rename.name))
        }
    }));
    tokens.on_move(callback!(c, |c, change| {
        if let (Ok(i), Ok(to)) = (usize::try_from(change.index), usize::try_from(change.to)) {
            c.act(|f| f.move_to(i, to))
        }
    }));
    tokens.on_remove(callback!(c, |c, index| {
        if let Ok(i) = usize::try_from(index) {
            c.act(|f| f.remove(i))
        }
    }));
    tokens.on_search(callback!(c, |c, text| c.act(|f| f.search(&text))));
    tokens.on_add_key(callback!(c, |c| c.act(Flow::install_key)));
    tokens.on_settings(callback!(c, |c| c.act(Flow::open_settings)));
    tokens.on_lock(callback!(c, |c| c.act(Flow::lock_pressed)));
    tokens.on_continue_to_code(callback!(c, |c| c.act(Flow::continue_to_code)));
    tokens.on_help(callback!(c, |c| c.act(Flow::open_help)));
    tokens.on_correction_off(callback!(c, |c| c.act(Flow::correction_off)));
}

/// Shows the codes: the list, the current token, and whether to offer search.
pub(crate) fn show(window: &AppWindow, shown: &TokensShown) {
    let tokens = window.global::<TokensAdapter>();
    let texts = window.global::<Texts>();
    tokens.set_total(shown.total as i32);
    tokens.set_searchable(shown.searchable);
    tokens.set_corrected_note(match shown.corrected {
        Some(n) if n < 0 => texts.invoke_corrected_earlier(super::seconds(n)),
        Some(n) => texts.invoke_corrected_later(super::seconds(n)),
        None => SharedString::new(),
    });
    tokens.set_current(
        shown
            .current
            .as_ref()
            .map(|t| view(&texts, t))
            .unwrap_or_default(),
    );
    let rows: Vec<TokenView> = shown.list.iter().map(|t| view(&texts, t)).collect();
    tokens.set_tokens(ModelRc::new(VecModel::from(rows)));
}

/// One token as the views show it.
fn view(texts: &Texts<'_>, token: &TokenShown) -> TokenView {
    let spoken = if token.has_code {
        spell(&token.code)
    } else {
        texts.invoke_no_code_yet().to_string()
    };
    let (expiry_note, expired) = match token.expiry {
        Expiry::Fine => (SharedString::new(), false),
        Expiry::Soon(0) => (texts.invoke_expires_today(), false),
        Expiry::Soon(days) => (texts.invoke_expires_in(days as i32), false),
        Expiry::Expired => (texts.invoke_expired(), true),
    };
    TokenView {
        index: token.index as i32,
        name: token.name.as_str().into(),
        issuer: token.issuer.as_str().into(),
        code: token.code.as_str().into(),
        spoken: spoken.into(),
        next_code: token.next_code.as_str().into(),
        seconds_left: token.seconds_left as i32,
        period: token.period as i32,
        hotp: token.hotp,
        expiry_note,
        expired,
    }
}

/// "123 456" read digit by digit: "1 2 3 4 5 6".
fn spell(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_digit)
        .map(String::from)
        .collect::<Vec<_>>()
        .join(" ")
}
