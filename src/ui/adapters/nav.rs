//! `Nav`: the screen shown, the back arrow, the working screen's text, toasts.

use std::rc::Rc;

use slint::{ComponentHandle, SharedString};

use super::super::controller::Controller;
use super::super::flow::{Flow, Screen};
use super::super::{messages, AppWindow, Device, Nav, Texts};

pub(crate) fn connect(window: &AppWindow, c: &Rc<Controller>) {
    // Phones: the number keyboard for PINs, touch-sized buttons (ui/state.slint).
    window.global::<Device>().set_phone(!c.desktop());
    let nav = window.global::<Nav>();
    nav.on_back(callback!(c, |c| c.act(Flow::back)));
    nav.on_leave(callback!(c, |c| c.act(Flow::leave)));
    nav.on_activity(callback!(c, |c| {}));
    nav.on_worker_done(callback!(c, |c| c.drain()));
}

pub(crate) fn show(window: &AppWindow, flow: &Flow) {
    let nav = window.global::<Nav>();
    let texts = window.global::<Texts>();
    nav.set_working_text(messages::maybe(&texts, flow.nav.working.as_ref()));
    nav.set_can_go_back(flow.nav.can_go_back);
    nav.set_covered(flow.nav.covered);
    nav.set_covers(flow.nav.covers);
    nav.set_screen(view(flow.nav.screen));
}

/// Shows a toast (an empty text hides it).
pub(crate) fn toast(window: &AppWindow, text: SharedString) {
    window.global::<Nav>().set_toast(text);
}

/// The flow's screen as the views name it.
fn view(screen: Screen) -> super::super::Screen {
    use super::super::Screen as View;
    match screen {
        Screen::Starting => View::Starting,
        Screen::Welcome => View::Welcome,
        Screen::Add => View::Add,
        Screen::Manual => View::Manual,
        Screen::Found => View::Found,
        Screen::ChoosePin => View::ChoosePin,
        Screen::Working => View::Working,
        Screen::Installed => View::Installed,
        Screen::Token => View::Token,
        Screen::Tokens => View::Tokens,
        Screen::Unlock => View::Unlock,
        Screen::Wiped => View::Wiped,
        Screen::Settings => View::Settings,
        Screen::ImportOther => View::ImportOther,
        Screen::ExportOther => View::ExportOther,
        Screen::ExportQr => View::ExportQr,
        Screen::Help => View::Help,
    }
}
