//! `SettingsAdapter`: change PIN, auto-lock, backups, about.

use std::rc::Rc;

use slint::{ComponentHandle, ModelRc, SharedString};

use super::super::controller::Controller;
use super::super::flow::{Flow, AUTO_LOCK_MINUTES};
use super::super::{messages, AppWindow, SettingsAdapter, Texts};

pub(crate) fn connect(window: &AppWindow, c: &Rc<Controller>) {
    let settings = window.global::<SettingsAdapter>();
    let texts = window.global::<Texts>();
    settings.set_version(env!("CARGO_PKG_VERSION").into());
    // The choices come from the flow's one list, so the index the ComboBox gives back always
    // means the minutes it showed.
    let choices: Vec<SharedString> = AUTO_LOCK_MINUTES
        .iter()
        .map(|&m| texts.invoke_auto_lock_choice(m as i32))
        .collect();
    settings.set_auto_lock_choices(ModelRc::from(choices.as_slice()));

    settings.on_change_pin(callback!(c, |c, new| c.act(|f| f.change_pin(&new.pin, &new.again))));
    settings.on_auto_lock_changed(callback!(c, |c, index| {
        c.act(|f| f.auto_lock_changed(usize::try_from(index).unwrap_or(usize::MAX)))
    }));
    settings.on_copy_codes_changed(callback!(c, |c, on| c.act(|f| f.copy_codes_changed(on))));
    settings.on_export_backup(callback!(c, |c, form| {
        c.act(|f| f.export_backup(&form.file, &form.password))
    }));
    settings.on_import_backup(callback!(c, |c, form| {
        c.act(|f| f.import_backup(&form.file, &form.password))
    }));
    settings.on_import_other(callback!(c, |c| c.act(Flow::open_import_other)));
    settings.on_export_other(callback!(c, |c| c.act(Flow::open_export_other)));
}

pub(crate) fn show(window: &AppWindow, flow: &Flow) {
    let settings = window.global::<SettingsAdapter>();
    let texts = window.global::<Texts>();
    let (message, error) = match &flow.settings.message {
        Some((note, error)) => (messages::note(&texts, note), *error),
        None => (SharedString::new(), false),
    };
    settings.set_message(message);
    settings.set_message_is_error(error);
    settings.set_auto_lock_index(flow.settings.auto_lock_index as i32);
    settings.set_copy_codes(flow.settings.copy_codes);
}
