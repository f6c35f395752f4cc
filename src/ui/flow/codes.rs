//! The codes and Settings: the list, copying, the token actions, PIN change, auto-lock, backups.

use super::super::worker::Job;
use super::files::Choosing;
use super::shown::token_shown;
use super::{
    Effect, Flow, Note, Screen, TokensShown, AUTO_LOCK_MINUTES, DEFAULT_AUTO_LOCK_INDEX,
    SEARCH_FROM,
};
use crate::otp::{Account, Kind};
use crate::vault::{Password, Pin};

impl Flow {
    // Codes.

    /// The once-a-second check: locks the app when it was left alone for longer than the
    /// auto-lock setting, or its window is minimised (codes must not wait behind the taskbar
    /// for whoever opens the window next). True when it locked.
    ///
    /// While unlocked, it also asks the worker to read what another process may have saved
    /// (issue 15: `pocketpass add` in a terminal shows in the window within a second or two).
    pub(crate) fn tick(&mut self, minimized: bool) -> bool {
        if self.unlocked && (self.idle() || minimized) {
            self.lock();
            return true;
        }
        if self.unlocked && !self.refreshing {
            self.refreshing = true;
            self.ask(Effect::Job(Job::Refresh));
        }
        false
    }

    /// The codes at the clock's current time: the list (the search applied) and the current
    /// token.
    pub(crate) fn tokens(&self) -> TokensShown {
        let now = self.code_time();
        let query = self.query.trim().to_lowercase();
        let show = |(i, a): (usize, &Account)| token_shown(i, a, now, self.hotp_shown.get(&i));
        TokensShown {
            list: self
                .accounts
                .iter()
                .enumerate()
                .filter(|(_, a)| {
                    query.is_empty() || a.display_name().to_lowercase().contains(&query)
                })
                .map(show)
                .collect(),
            current: self
                .accounts
                .get(self.current)
                .map(|a| show((self.current, a))),
            total: self.accounts.len(),
            searchable: self.accounts.len() >= SEARCH_FROM,
            corrected: self.device_clock.corrected_seconds,
        }
    }

    /// A row of the list: that token's code screen.
    pub(crate) fn open(&mut self, index: usize) {
        if index < self.accounts.len() {
            self.current = index;
            self.ask(Effect::Tick);
            self.go(Screen::Token);
        }
    }

    /// Tapping a code: copy it (an HOTP code only once it is shown), unless the user turned
    /// copying off.
    pub(crate) fn copy(&mut self, index: usize) {
        if !self.settings.copy_codes {
            return;
        }
        let Some(account) = self.accounts.get(index) else {
            return;
        };
        let code = match account.kind {
            Kind::Totp { .. } | Kind::Steam => {
                account.code_at(self.code_time()).as_str().to_owned()
            }
            Kind::Hotp { .. } => match self.hotp_shown.get(&index) {
                Some(code) => code.replace(' ', ""),
                None => return,
            },
        };
        self.ask(Effect::Copy(code));
        self.toast(Note::Copied);
    }

    /// The full name of account `index` as shown, which names it in jobs (see [`Job::Rename`]).
    fn named(&self, index: usize) -> Option<String> {
        self.accounts.get(index).map(Account::display_name)
    }

    /// Show next code (HOTP): the worker advances the counter first.
    pub(crate) fn next_code(&mut self, index: usize) {
        let now = self.now();
        if let Some(name) = self.named(index) {
            self.ask(Effect::Job(Job::NextHotp(name, now)));
        }
    }

    /// Rename; an empty name changes nothing.
    pub(crate) fn rename(&mut self, index: usize, name: &str) {
        let name = name.trim();
        if let (Some(account), false) = (self.named(index), name.is_empty()) {
            self.ask(Effect::Job(Job::Rename(account, name.to_owned())));
        }
    }

    /// Move up / Move down.
    pub(crate) fn move_to(&mut self, index: usize, to: usize) {
        if let Some(name) = self.named(index) {
            self.moved_to = to;
            self.ask(Effect::Job(Job::Move(name, to)));
        }
    }

    /// Delete, once confirmed.
    pub(crate) fn remove(&mut self, index: usize) {
        if let Some(name) = self.named(index) {
            self.ask(Effect::Job(Job::Remove(name)));
        }
    }

    /// The list's search field.
    pub(crate) fn search(&mut self, text: &str) {
        self.query = text.to_owned();
        self.ask(Effect::Tick);
    }

    /// Settings, from the list or the code screen.
    pub(crate) fn open_settings(&mut self) {
        self.settings.message = None;
        self.go(Screen::Settings);
    }

    /// Continue on Key installed: to the new token's code.
    pub(crate) fn continue_to_code(&mut self) {
        self.found.clear();
        self.ask(Effect::Tick);
        self.go(Screen::Token);
    }

    // Settings.

    /// Change PIN: the same rules as choosing one.
    pub(crate) fn change_pin(&mut self, pin: &str, again: &str) {
        match Pin::new_confirmed(pin, again) {
            Ok(pin) => {
                self.working(Note::Protecting);
                self.ask(Effect::Job(Job::ChangePin(pin)));
            }
            Err(e) => self.settings_message(Note::Pin(e), true),
        }
    }

    /// "Copy codes when I tap them": remembered on this device.
    pub(crate) fn copy_codes_changed(&mut self, on: bool) {
        if self.settings.copy_codes != on {
            self.settings.copy_codes = on;
            self.ask(Effect::SavePrefs);
        }
        if !on {
            // Turned off: a code copied before goes now rather than in up to 30 s.
            self.ask(Effect::ClearClipboard);
        }
    }

    /// The auto-lock choice, an index into [`AUTO_LOCK_MINUTES`] (others keep the default).
    pub(crate) fn auto_lock_changed(&mut self, index: usize) {
        self.settings.auto_lock_index = if index < AUTO_LOCK_MINUTES.len() {
            index
        } else {
            DEFAULT_AUTO_LOCK_INDEX
        };
    }

    /// Export backup: a password strong enough for a file that may leave the device.
    /// With no path typed, the desktop's save dialog picks the file.
    pub(crate) fn export_backup(&mut self, file: &str, password: &str) {
        match Password::new_checked(password) {
            Ok(password) => {
                let file = file.trim();
                if file.is_empty() {
                    self.choose_backup(Choosing::ExportBackup(password));
                    return;
                }
                self.working(Note::Saving);
                self.ask(Effect::Job(Job::Export(file.into(), password)));
            }
            Err(e) => self.settings_message(Note::Vault(e), true),
        }
    }

    /// A backup's file from the dialog, saying so; without one, the path must be typed.
    fn choose_backup(&mut self, choosing: Choosing) {
        if self.choose_file(choosing) {
            self.settings_message(Note::ChoosingFile, false);
        } else {
            self.settings_message(Note::PathMissing, true);
        }
    }

    /// Import backup. With no path typed, the desktop's dialog picks the file.
    pub(crate) fn import_backup(&mut self, file: &str, password: &str) {
        let password = Password::entered(password);
        let file = file.trim();
        if file.is_empty() {
            self.choose_backup(Choosing::ImportBackup(password));
            return;
        }
        self.working(Note::Saving);
        self.ask(Effect::Job(Job::Import(file.into(), password)));
    }
}
