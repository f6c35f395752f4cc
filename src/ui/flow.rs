//! The window's flow without the window: which screen shows, the key waiting to be installed,
//! the PIN steps, what each reply of the worker changes, and when the app locks.
//!
//! Nothing here knows Slint. [`Flow`] keeps what the views show as plain values (`nav`,
//! `install`, `pin`, `settings`, and [`Flow::tokens`] for the codes); the adapters in
//! `adapters/` copy those into the Slint globals and carry the user's actions in as calls. What
//! the flow cannot do itself (send a job to the worker, start the camera, show a toast, copy a
//! code) it asks for as an [`Effect`], which the controller carries out. So the rules below are
//! unit-tested without any window (`flow/tests.rs`).

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use super::worker::{Done, Job, Reply};
use super::{Clock, Lifecycle};
use crate::clock::device::DeviceClock;
use crate::otp::{Account, MigrationBatch};
use crate::vault::{self, Pin, VaultError};

mod codes;
mod files;
mod help;
mod install;
mod shown;
mod transfer;
#[cfg(test)]
mod tests;

pub(crate) use shown::{
    Effect, FoundShown, HelpShown, HelpTopic, InstallShown, NavShown, Note, PinShown, Screen,
    SettingsShown, TokenShown, TokensShown, TransferShown,
};
pub(crate) use transfer::ExportForm;

/// Auto-lock choices offered in Settings, in minutes (0: never), in the order shown.
pub(crate) const AUTO_LOCK_MINUTES: [u64; 5] = [1, 2, 5, 10, 0];
/// Shown by default: two minutes.
pub(crate) const DEFAULT_AUTO_LOCK_INDEX: usize = 1;
/// Tokens from which the list offers a search field.
const SEARCH_FROM: usize = 5;

/// The flow's state: what the window shows, and what it remembers between screens.
pub(crate) struct Flow {
    clock: Clock,
    pub(crate) nav: NavShown,
    pub(crate) install: InstallShown,
    pub(crate) pin: PinShown,
    pub(crate) settings: SettingsShown,
    pub(crate) transfer: TransferShown,
    /// The open vault's accounts (empty while locked).
    accounts: Vec<Account>,
    unlocked: bool,
    has_vault: bool,
    /// Keys read from a QR code or link, waiting to be installed.
    found: Vec<Account>,
    /// Parts of a Google Authenticator export read so far.
    batch: Option<MigrationBatch>,
    /// The vault position of the token the code screen shows.
    current: usize,
    /// Where the token being moved goes: the code screen follows it there.
    moved_to: usize,
    /// The list's search text.
    query: String,
    /// HOTP codes shown, by vault position (they are used up once shown).
    hotp_shown: HashMap<usize, String>,
    /// When the user last did something (clock seconds), for auto-lock.
    last_activity: u64,
    /// Stops the camera thread, when one runs.
    camera_stop: Option<Arc<AtomicBool>>,
    /// Effects asked for since the controller last took them.
    effects: Vec<Effect>,
    /// This device's clock settings: the time server, the corrected time.
    device_clock: DeviceClock,
    /// The help page, while it is open.
    help: Option<help::Help>,
    /// Start the camera whenever Scan barcode opens (phones).
    camera_on_open: bool,
    /// The camera ran when the cover went up: it starts again when the app is back in front.
    resume_camera: bool,
    /// A [`Job::Refresh`] was sent and not answered yet (one at a time is enough).
    refreshing: bool,
    /// Files are chosen in the desktop's dialog (desktops), with the typed path as fallback.
    file_dialog: bool,
    /// An earlier ask found no dialog (no portal): the typed path is used from then on.
    dialog_absent: bool,
    /// The file dialog is open, for this.
    choosing: Option<files::Choosing>,
    /// How many file dialogs were asked for: the number of the latest, which its answer names.
    dialog_asked: u64,
}

impl Flow {
    /// A flow at the Starting screen, reading the time from `clock`.
    pub(crate) fn new(clock: Clock) -> Self {
        Flow {
            clock,
            nav: NavShown::default(),
            install: InstallShown {
                status: Some(Note::CameraOff),
                ..InstallShown::default()
            },
            pin: PinShown::default(),
            settings: SettingsShown {
                message: None,
                auto_lock_index: DEFAULT_AUTO_LOCK_INDEX,
                copy_codes: true,
            },
            transfer: TransferShown::default(),
            accounts: Vec::new(),
            unlocked: false,
            has_vault: false,
            found: Vec::new(),
            batch: None,
            current: 0,
            moved_to: 0,
            query: String::new(),
            hotp_shown: HashMap::new(),
            last_activity: 0,
            camera_stop: None,
            effects: Vec::new(),
            device_clock: DeviceClock::default(),
            help: None,
            camera_on_open: false,
            resume_camera: false,
            refreshing: false,
            file_dialog: false,
            dialog_absent: false,
            choosing: None,
            dialog_asked: 0,
        }
    }

    /// Whether files are chosen in the desktop's file dialog (desktops) or typed (phones).
    pub(crate) fn set_file_dialog(&mut self, on: bool) {
        self.file_dialog = on;
    }

    /// Whether Scan barcode starts the camera as it opens (phones) or waits for Use camera.
    pub(crate) fn set_camera_on_open(&mut self, on: bool) {
        self.camera_on_open = on;
    }

    /// The effects asked for since the last call, in order.
    pub(crate) fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    fn now(&self) -> u64 {
        (self.clock)()
    }

    fn ask(&mut self, effect: Effect) {
        self.effects.push(effect);
    }

    /// Asks the worker whether a vault exists.
    pub(crate) fn start(&mut self) {
        self.ask(Effect::Job(Job::Probe));
    }

    /// The user did something: the auto-lock countdown starts again.
    pub(crate) fn activity(&mut self) {
        self.last_activity = self.now();
    }

    /// True while the camera runs (its frames are shown, its codes read).
    pub(crate) fn camera_running(&self) -> bool {
        self.camera_stop.is_some()
    }

    // Navigation.

    fn go(&mut self, screen: Screen) {
        self.nav.can_go_back = match screen {
            Screen::Add => self.unlocked || !self.has_vault,
            Screen::Manual
            | Screen::Found
            | Screen::ChoosePin
            | Screen::Settings
            | Screen::ImportOther
            | Screen::ExportOther
            | Screen::ExportQr
            | Screen::Help => true,
            Screen::Token => self.accounts.len() > 1,
            _ => false,
        };
        self.nav.screen = screen;
    }

    /// The back arrow, Escape or the phone's back gesture.
    pub(crate) fn back(&mut self) {
        match self.nav.screen {
            Screen::Add => {
                self.stop_camera();
                if self.unlocked {
                    self.show_codes();
                } else if !self.has_vault {
                    self.go(Screen::Welcome);
                }
            }
            Screen::Manual | Screen::Found => {
                self.install.error = None;
                self.open_add();
            }
            Screen::ChoosePin => self.go(Screen::Found),
            Screen::Settings => self.show_codes(),
            Screen::ImportOther | Screen::ExportOther | Screen::ExportQr => {
                self.transfer = TransferShown::default();
                self.go(Screen::Settings);
            }
            Screen::Help => {
                self.close_help();
                self.go(Screen::Token);
            }
            Screen::Token if self.accounts.len() > 1 => self.go(Screen::Tokens),
            _ => {}
        }
    }

    /// The phone's Back where there is no screen behind: the system takes the app away (it
    /// finishes or hides the activity), and the codes go first.
    pub(crate) fn leave(&mut self) {
        if self.unlocked {
            self.lock();
        }
    }

    /// The system moved the app (see [`Lifecycle`]); `minimized` is the window's state now.
    ///
    /// - Leaving the screen covers it and locks an unlocked app at once: codes, the token being
    ///   renamed, the transfer QR codes and keys waiting to be installed into the vault go. With
    ///   no vault yet there is nothing to lock, and a key waiting for its PIN stays (it is in
    ///   memory only, as before).
    /// - An interruption (the system's dialog the app asked for) only covers: the user comes
    ///   back to where they were.
    /// - Either way the camera stops while covered, and starts again on return if it ran.
    /// - The auto-lock counts on while the app is away (being away is not activity): back in
    ///   front, an app left longer than the auto-lock time locks before the cover goes, so no
    ///   code shows on return.
    pub(crate) fn lifecycle(&mut self, event: Lifecycle, minimized: bool) {
        match event {
            Lifecycle::Interrupted | Lifecycle::Background => {
                if !self.nav.covered {
                    self.resume_camera = self.camera_running();
                    self.nav.covers = self.nav.covers.wrapping_add(1);
                }
                self.stop_camera();
                self.nav.covered = true;
                if event == Lifecycle::Background && self.unlocked {
                    self.lock();
                }
            }
            Lifecycle::Foreground => {
                if self.unlocked && (self.idle() || minimized) {
                    self.lock();
                }
                self.nav.covered = false;
                if std::mem::take(&mut self.resume_camera) && self.nav.screen == Screen::Add {
                    self.start_camera();
                }
                self.ask(Effect::Tick);
            }
        }
    }

    /// Left alone longer than the auto-lock time.
    fn idle(&self) -> bool {
        let minutes = AUTO_LOCK_MINUTES[self.settings.auto_lock_index];
        minutes > 0 && self.now().saturating_sub(self.last_activity) >= minutes * 60
    }

    /// Scan barcode, with the camera started on phones.
    fn open_add(&mut self) {
        self.go(Screen::Add);
        if self.camera_on_open {
            self.start_camera();
        }
    }

    /// One token: its code screen; more: the list.
    fn show_codes(&mut self) {
        if self.accounts.len() == 1 {
            self.current = 0;
            self.go(Screen::Token);
        } else {
            self.go(Screen::Tokens);
        }
        self.ask(Effect::Tick);
    }

    fn working(&mut self, note: Note) {
        self.nav.working = Some(note);
        self.go(Screen::Working);
    }

    fn toast(&mut self, note: Note) {
        self.ask(Effect::Toast(note));
    }

    // PINs.

    /// Choose a PIN: the two entries must agree and pass the rules.
    pub(crate) fn choose_pin(&mut self, pin: &str, confirmation: &str) {
        match Pin::new_confirmed(pin, confirmation) {
            Err(e) => self.pin.error = Some(Note::Pin(e)),
            Ok(pin) => {
                let accounts = std::mem::take(&mut self.found);
                self.pin.error = None;
                self.working(Note::Protecting);
                self.ask(Effect::Job(Job::Create { pin, accounts }));
            }
        }
    }

    /// Enter PIN.
    pub(crate) fn unlock(&mut self, pin: &str) {
        if pin.trim().is_empty() {
            self.pin.error = Some(Note::PinEmpty);
            return;
        }
        self.pin.error = None;
        self.working(Note::Unlocking);
        self.ask(Effect::Job(Job::Unlock(Pin::entered(pin))));
    }

    /// Forgets the accounts and closes the vault: the Lock button, the auto-lock, a minimised
    /// window, a phone's app leaving the foreground or its Back on the code screen.
    pub(crate) fn lock(&mut self) {
        self.accounts.clear();
        self.hotp_shown.clear();
        self.unlocked = false;
        self.query.clear();
        self.stop_camera();
        self.pin.error = None;
        self.pin.tries_note = None;
        self.settings.message = None;
        self.close_help();
        // The QR codes for Google Authenticator hold keys: they go with the rest, as do keys
        // read but not yet installed into the vault (scanning again brings them back).
        self.transfer = TransferShown::default();
        self.found.clear();
        self.batch = None;
        // A backup's password waiting for the dialog's answer goes too, and so does an image
        // asked for: the dialog's late answer is ignored.
        self.choosing = None;
        // The controller raises the worker's lock flag as it sends this, so the vault closes
        // before the worker's next job whatever is queued; the job itself only brings the reply.
        // A code copied just before stays on the clipboard for the rest of its 30 seconds:
        // minimising the window locks it, and that is how a desktop user goes to paste it.
        self.ask(Effect::Job(Job::Lock));
        self.go(Screen::Unlock);
    }

    /// The Lock button: locks, and says so.
    pub(crate) fn lock_pressed(&mut self) {
        self.lock();
        self.toast(Note::Locked);
    }

    // Replies.

    /// What the worker answered (every reply but the camera's preview frames).
    pub(crate) fn reply(&mut self, reply: Reply) {
        match reply {
            Reply::Probed {
                exists,
                wiped,
                failed,
            } => {
                self.has_vault = exists;
                if exists {
                    self.pin.tries_note = (failed > 0)
                        .then(|| Note::TriesLeft(vault::MAX_ATTEMPTS.saturating_sub(failed)));
                    self.go(Screen::Unlock);
                } else if wiped {
                    self.go(Screen::Wiped);
                } else {
                    self.go(Screen::Welcome);
                }
            }
            Reply::Accounts(result, done) => {
                // A job sent before the app locked answers after it: its accounts must not
                // reappear behind the PIN screen. Only creating or unlocking opens the vault.
                if !self.unlocked && !matches!(done, Done::Created | Done::Unlocked) {
                    return;
                }
                self.accounts(result, done);
            }
            Reply::Hotp(..)
            | Reply::Exported(_)
            | Reply::Imported(_)
            | Reply::ForeignRead(_)
            | Reply::ForeignImported(_)
            | Reply::ExportedFor(_)
                if !self.unlocked => {}
            Reply::ForeignRead(result) => self.foreign_read(result),
            Reply::ForeignImported(result) => self.foreign_imported(result),
            Reply::ExportedFor(result) => self.exported_for(result),
            Reply::Hotp(index, result) => {
                match result {
                    Ok((code, accounts)) => {
                        self.replace_accounts(accounts);
                        self.hotp_shown.insert(index, code.grouped());
                    }
                    Err(e) => self.toast(Note::Vault(e)),
                }
                self.ask(Effect::Tick);
            }
            Reply::Exported(result) => match result {
                Ok(n) => self.settings_message(Note::Exported(n), false),
                Err(e) => self.settings_message(Note::Vault(e), true),
            },
            Reply::Imported(result) => match result {
                Ok((report, accounts)) => {
                    self.replace_accounts(accounts);
                    self.ask(Effect::Tick);
                    self.settings_message(Note::Imported(report), false);
                }
                Err(e) => self.settings_message(Note::Vault(e), true),
            },
            Reply::Scanned(result) => {
                self.install.status = Some(Note::CameraOff);
                match result {
                    Ok(found) => {
                        self.take_key_links(&found);
                    }
                    Err(e) => self.install.error = Some(Note::Source(e)),
                }
            }
            Reply::ClockMeasured(source, result) => self.clock_measured(source, result),
            Reply::Refreshed(result) => {
                self.refreshing = false;
                // A refresh sent before the app locked answers after it: nothing to show.
                if self.unlocked {
                    self.refreshed(result);
                }
            }
            Reply::Chosen(asked, result) => self.chosen(asked, result),
            Reply::Locked => {}
            Reply::Unflushed(warning) => self.toast(Note::Vault(warning)),
            // Shown by the install adapter directly (while the camera runs): no state here.
            Reply::Frame(_) => {}
            Reply::CameraCodes(found) => {
                if self.camera_running() {
                    self.take_key_links(&found);
                }
            }
            Reply::CameraEnded(error) => {
                let was_running = self.camera_stop.take().is_some();
                self.install.camera_on = false;
                if was_running {
                    self.install.status = Some(match error {
                        Some(e) => Note::Source(e),
                        None => Note::CameraEnded,
                    });
                }
            }
        }
    }

    fn accounts(&mut self, result: Result<Vec<Account>, VaultError>, done: Done) {
        let accounts = match result {
            Ok(accounts) => accounts,
            Err(VaultError::WrongPin { remaining }) => {
                self.pin.error = Some(Note::Vault(VaultError::WrongPin { remaining }));
                self.pin.tries_note = Some(Note::TriesLeft(remaining));
                self.go(Screen::Unlock);
                return;
            }
            Err(VaultError::Wiped(_)) => {
                self.has_vault = false;
                self.unlocked = false;
                self.go(Screen::Wiped);
                return;
            }
            Err(e) => {
                let message = Note::Vault(e);
                match done {
                    Done::Created => {
                        self.pin.error = Some(message);
                        self.go(Screen::ChoosePin);
                    }
                    Done::Unlocked => {
                        self.pin.error = Some(message);
                        self.go(Screen::Unlock);
                    }
                    Done::Added => {
                        self.install.error = Some(message);
                        self.go(Screen::Found);
                    }
                    Done::PinChanged => self.settings_message(message, true),
                    Done::Renamed | Done::Removed | Done::Moved => {
                        self.toast(message);
                        self.show_codes();
                    }
                }
                return;
            }
        };
        let added = accounts.len().saturating_sub(self.accounts.len());
        if !self.replace_accounts(accounts) && self.nav.screen == Screen::Help {
            self.close_help();
        }
        self.unlocked = true;
        self.has_vault = true;
        self.last_activity = self.now();
        if matches!(done, Done::Created | Done::Added) {
            self.current = self.accounts.len().saturating_sub(added.max(1));
            self.found.clear();
        }
        if let Done::Moved = done {
            self.current = self.moved_to;
        }
        if self.current >= self.accounts.len() {
            self.current = 0;
        }
        self.pin.tries_note = None;
        self.ask(Effect::Tick);
        match done {
            Done::Created | Done::Added => self.go(Screen::Installed),
            Done::Unlocked => self.show_codes(),
            Done::Renamed => {
                self.toast(Note::Renamed);
                self.go(Screen::Token);
            }
            Done::Moved => self.go(Screen::Token),
            Done::Removed => {
                self.toast(Note::Deleted);
                if self.accounts.is_empty() {
                    self.go(Screen::Tokens);
                } else {
                    self.show_codes();
                }
            }
            Done::PinChanged => self.settings_message(Note::PinChanged, false),
        }
    }

    /// Takes a new list of the vault's accounts (a reply, or what another process saved),
    /// keeping the code screen's token and the HOTP codes shown with their accounts wherever
    /// they moved, and under a new name: an account is found by name, issuer and key, else by
    /// its key alone when no other account has it. False when the code screen's token is gone
    /// (the first token is current then).
    fn replace_accounts(&mut self, accounts: Vec<Account>) -> bool {
        let old = std::mem::replace(&mut self.accounts, accounts);
        let place = |i: usize| {
            let a = old.get(i)?;
            let exact =
                |b: &Account| a.name == b.name && a.issuer == b.issuer && a.secret == b.secret;
            if let Some(j) = self.accounts.iter().position(exact) {
                return Some(j);
            }
            let mut same_key =
                (0..self.accounts.len()).filter(|&j| self.accounts[j].secret == a.secret);
            match (same_key.next(), same_key.next()) {
                (Some(j), None) => Some(j),
                _ => None,
            }
        };
        let current = place(self.current);
        self.hotp_shown = std::mem::take(&mut self.hotp_shown)
            .into_iter()
            .filter_map(|(i, code)| Some((place(i)?, code)))
            .collect();
        self.current = current.unwrap_or(0);
        current.is_some()
    }

    /// What [`Job::Refresh`] found: another process changed the vault (issue 15).
    ///
    /// - New accounts show at once. The code screen stays on its token wherever the token moved
    ///   in the list, and under a new name (found by name, issuer and key, else by its key
    ///   alone); a token deleted elsewhere takes the user back to the list, and HOTP codes
    ///   shown stay with their tokens.
    /// - A vault that can no longer be used as it is (a new PIN set elsewhere, wiped by wrong
    ///   PINs in a terminal, deleted or damaged) locks the app, saying why.
    fn refreshed(&mut self, result: Result<Option<Vec<Account>>, VaultError>) {
        match result {
            Ok(None) => {}
            Ok(Some(accounts)) => {
                let kept = self.replace_accounts(accounts);
                if !kept && matches!(self.nav.screen, Screen::Token | Screen::Help) {
                    self.close_help();
                    self.show_codes();
                }
                // Back from a code screen depends on how many tokens there are now.
                self.go(self.nav.screen);
                self.ask(Effect::Tick);
            }
            Err(VaultError::Wiped(_)) => {
                self.lock();
                self.has_vault = false;
                self.go(Screen::Wiped);
            }
            Err(e @ VaultError::NotFound(_)) => {
                self.lock();
                self.has_vault = false;
                self.toast(Note::Vault(e));
                self.go(Screen::Welcome);
            }
            Err(e) => {
                self.lock();
                self.pin.error = Some(Note::Vault(e));
            }
        }
    }

    fn settings_message(&mut self, note: Note, error: bool) {
        self.settings.message = Some((note, error));
        if self.nav.screen == Screen::Working {
            self.go(Screen::Settings);
        }
    }
}
