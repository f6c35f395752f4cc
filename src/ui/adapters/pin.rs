//! `PinAdapter`: Choose a PIN, Enter PIN, the wipe notice.

use std::rc::Rc;

use slint::ComponentHandle;

use super::super::controller::Controller;
use super::super::flow::Flow;
use super::super::{messages, AppWindow, PinAdapter, Texts};
use crate::vault;

pub(crate) fn connect(window: &AppWindow, c: &Rc<Controller>) {
    let pin = window.global::<PinAdapter>();
    pin.set_min_digits(vault::MIN_PIN_DIGITS as i32);
    pin.set_max_attempts(vault::MAX_ATTEMPTS as i32);
    pin.on_choose(callback!(c, |c, new| c.act(|f| f.choose_pin(&new.pin, &new.again))));
    pin.on_unlock(callback!(c, |c, pin| c.act(|f| f.unlock(&pin))));
    pin.on_install_again(callback!(c, |c| c.act(Flow::install_key)));
}

pub(crate) fn show(window: &AppWindow, flow: &Flow) {
    let pin = window.global::<PinAdapter>();
    let texts = window.global::<Texts>();
    pin.set_error(messages::maybe(&texts, flow.pin.error.as_ref()));
    pin.set_tries_note(messages::maybe(&texts, flow.pin.tries_note.as_ref()));
}
