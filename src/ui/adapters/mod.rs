//! One adapter per Slint global, as Slint's todo-mvc example arranges them: each `connect`s
//! its global's callbacks to the [`Controller`](super::controller::Controller) and `show`s the
//! flow's values in its properties, turning domain values into display text on the way. None
//! holds state or makes a decision; that is the flow's work (`super::flow`).

pub(crate) mod help;
pub(crate) mod install;
pub(crate) mod nav;
pub(crate) mod pin;
pub(crate) mod settings;
pub(crate) mod tokens;
pub(crate) mod transfer;

use std::rc::Rc;

use super::controller::Controller;
use super::flow::Flow;
use super::AppWindow;

/// Wires every global's callbacks and fills in the values that never change.
pub(crate) fn connect(window: &AppWindow, c: &Rc<Controller>) {
    nav::connect(window, c);
    install::connect(window, c);
    pin::connect(window, c);
    tokens::connect(window, c);
    settings::connect(window, c);
    transfer::connect(window, c);
    help::connect(window, c);
}

/// Shows the flow's state in every global but the tokens' (which [`tokens::show`] fills once
/// a second and whenever the codes change).
pub(crate) fn show(window: &AppWindow, flow: &Flow) {
    nav::show(window, flow);
    install::show(window, flow);
    pin::show(window, flow);
    settings::show(window, flow);
    transfer::show(window, flow);
    help::show(window, flow);
}

/// How many seconds `n` is from zero, for a text (a clock off by years still reads sensibly).
pub(crate) fn seconds(n: i64) -> i32 {
    i32::try_from(n.unsigned_abs()).unwrap_or(i32::MAX)
}
