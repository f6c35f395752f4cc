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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::worker::{Done, Job, Reply};
use super::Clock;
use crate::otp::expiry::{self, Expiry};
use crate::otp::{self, Account, KeyLink, Kind, ManualKey, MigrationBatch, OtpError};
use crate::scan::{Source, SourceError};
use crate::vault::{self, ImportReport, Password, Pin, PinError, VaultError};

#[cfg(test)]
mod tests;

/// Seconds before the end of a period from which the next code is shown too.
const NEXT_CODE_SECONDS: u64 = 5;
/// Auto-lock choices offered in Settings, in minutes (0: never), in the order shown.
pub(crate) const AUTO_LOCK_MINUTES: [u64; 5] = [1, 2, 5, 10, 0];
/// Shown by default: two minutes.
pub(crate) const DEFAULT_AUTO_LOCK_INDEX: usize = 1;
/// Tokens from which the list offers a search field.
const SEARCH_FROM: usize = 5;

/// Which screen shows (the views' `Screen` enum, mapped one to one by the navigation adapter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Screen {
    /// Deciding between first start and Enter PIN.
    #[default]
    Starting,
    Welcome,
    Add,
    Manual,
    Found,
    ChoosePin,
    Working,
    Installed,
    Token,
    Tokens,
    Unlock,
    Wiped,
    Settings,
}

/// Something to tell the user, in no language yet: the adapters turn it into the translated
/// text (`messages::note`).
#[derive(Debug)]
pub(crate) enum Note {
    /// The camera is looking for a code.
    Looking,
    /// How to start: point the camera at the portal's QR code.
    CameraOff,
    /// The camera stopped by itself.
    CameraEnded,
    ReadingImage,
    ReadingScreen,
    /// Deriving the key from a new PIN.
    Protecting,
    Unlocking,
    Saving,
    /// The Enter PIN field was empty.
    PinEmpty,
    /// Wrong PINs left before the wipe.
    TriesLeft(u32),
    /// The manual form's secret was empty.
    SecretMissing,
    /// This export has `total` QR codes; `next` (counting from 1) is the one to scan next.
    MigrationPart {
        next: usize,
        total: usize,
    },
    Copied,
    Locked,
    Renamed,
    Deleted,
    PinChanged,
    /// A backup with this many keys was written.
    Exported(usize),
    /// A backup was read in.
    Imported(ImportReport),
    Pin(PinError),
    Otp(OtpError),
    Vault(VaultError),
    Source(SourceError),
}

/// What the flow asks of the world outside it.
#[derive(Debug)]
pub(crate) enum Effect {
    /// Send this job to the vault's worker.
    Job(Job),
    /// Start the camera; it runs until the flag is raised.
    StartCamera(Arc<AtomicBool>),
    /// Read a file or the screen on a thread of its own.
    Scan(Source),
    /// Show this for a few seconds at the bottom of the window.
    Toast(Note),
    /// Put this code on the clipboard, and clear it again later.
    Copy(String),
    /// The codes or the account list changed: recompute them (and check the auto-lock) now.
    Tick,
}

/// The navigation bar: the screen, its back arrow, the working screen's text.
#[derive(Debug, Default)]
pub(crate) struct NavShown {
    pub(crate) screen: Screen,
    pub(crate) can_go_back: bool,
    pub(crate) working: Option<Note>,
}

/// The key that was found, as Key found shows it (text escaped for display).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct FoundShown {
    pub(crate) name: String,
    pub(crate) issuer: String,
    pub(crate) expiry: String,
    /// How many keys the export holds (more than one only for Google exports).
    pub(crate) count: usize,
}

/// Scan barcode, Enter key manually and Key found.
#[derive(Debug, Default)]
pub(crate) struct InstallShown {
    pub(crate) error: Option<Note>,
    pub(crate) status: Option<Note>,
    pub(crate) camera_on: bool,
    pub(crate) found: FoundShown,
    pub(crate) has_vault: bool,
}

/// Choose a PIN and Enter PIN.
#[derive(Debug, Default)]
pub(crate) struct PinShown {
    pub(crate) error: Option<Note>,
    pub(crate) tries_note: Option<Note>,
}

/// Settings: the outcome of the last action.
#[derive(Debug, Default)]
pub(crate) struct SettingsShown {
    /// The message, and whether it tells of a failure.
    pub(crate) message: Option<(Note, bool)>,
    /// Index into [`AUTO_LOCK_MINUTES`].
    pub(crate) auto_lock_index: usize,
}

/// One token at a moment, ready for the tokens adapter to translate and show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenShown {
    /// Its position in the vault.
    pub(crate) index: usize,
    /// Name and issuer with control characters escaped.
    pub(crate) name: String,
    pub(crate) issuer: String,
    /// The code grouped ("123 456"), or dashes for an HOTP code not shown yet.
    pub(crate) code: String,
    /// False for an HOTP token whose code has not been shown yet.
    pub(crate) has_code: bool,
    /// The next code, in the last seconds of a period only.
    pub(crate) next_code: String,
    pub(crate) seconds_left: u64,
    pub(crate) period: u64,
    pub(crate) hotp: bool,
    pub(crate) expiry: Expiry,
}

/// Every token the list shows (the search applied) and the one the code screen shows.
#[derive(Debug, Default)]
pub(crate) struct TokensShown {
    pub(crate) list: Vec<TokenShown>,
    pub(crate) current: Option<TokenShown>,
    pub(crate) total: usize,
    pub(crate) searchable: bool,
}

/// The flow's state: what the window shows, and what it remembers between screens.
pub(crate) struct Flow {
    clock: Clock,
    pub(crate) nav: NavShown,
    pub(crate) install: InstallShown,
    pub(crate) pin: PinShown,
    pub(crate) settings: SettingsShown,
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
            },
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
        }
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
            Screen::Manual | Screen::Found | Screen::ChoosePin | Screen::Settings => true,
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
                self.go(Screen::Add);
            }
            Screen::ChoosePin => self.go(Screen::Found),
            Screen::Settings => self.show_codes(),
            Screen::Token if self.accounts.len() > 1 => self.go(Screen::Tokens),
            _ => {}
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

    // Installing a key.

    /// Install key (Welcome, the list, the wipe notice): Scan barcode.
    pub(crate) fn install_key(&mut self) {
        self.install.error = None;
        self.install.status = Some(Note::CameraOff);
        self.batch = None;
        self.go(Screen::Add);
    }

    /// A link pasted into Scan barcode.
    pub(crate) fn paste_link(&mut self, link: &str) {
        self.install.error = None;
        self.take_key_links(&[link.to_owned()]);
    }

    /// Reads what QR codes or links hold: a key goes to Key found, anything else is explained
    /// and Scan barcode stays. True when a key was found.
    fn take_key_links(&mut self, texts: &[String]) -> bool {
        let mut error = None;
        for text in texts {
            match otp::parse_key_link(text) {
                Ok(KeyLink::Account(account)) => {
                    self.found(vec![account]);
                    return true;
                }
                Ok(KeyLink::Migration(part)) => {
                    let batch = self.batch.get_or_insert_with(MigrationBatch::new);
                    if let Err(e) = batch.add(part) {
                        error = Some(Note::Otp(e));
                        continue;
                    }
                    match batch.accounts() {
                        Some(accounts) => {
                            self.batch = None;
                            self.found(accounts);
                            return true;
                        }
                        None => {
                            let missing = batch.missing();
                            let total = missing.len() + 1;
                            let next = missing.first().map(|&m| m as usize + 1).unwrap_or(1);
                            error = Some(Note::MigrationPart {
                                next,
                                total: total.max(next),
                            });
                        }
                    }
                }
                Err(e) => error = Some(Note::Otp(e)),
            }
        }
        self.install.error = error;
        false
    }

    fn found(&mut self, accounts: Vec<Account>) {
        // The parser refuses empty exports; this guard keeps a future path from indexing an
        // empty list.
        let Some(first) = accounts.first() else {
            self.install.error = Some(Note::Otp(OtpError::EmptyExport));
            return;
        };
        self.stop_camera();
        // Labels are the QR code author's text: show control characters as escapes.
        self.install.found = FoundShown {
            name: shown(&first.name),
            issuer: shown(first.issuer.as_deref().unwrap_or_default()),
            expiry: shown(first.extra("expires").unwrap_or_default()),
            count: accounts.len(),
        };
        self.install.has_vault = self.has_vault;
        self.install.error = None;
        self.found = accounts;
        self.go(Screen::Found);
    }

    /// Install on Key found: into the open vault, or on to Choose a PIN for a new one.
    pub(crate) fn confirm(&mut self) {
        if self.found.is_empty() {
            return;
        }
        if self.unlocked {
            self.working(Note::Saving);
            let found = self.found.clone();
            self.ask(Effect::Job(Job::Add(found)));
        } else {
            self.pin.error = None;
            self.go(Screen::ChoosePin);
        }
    }

    /// Enter key manually.
    pub(crate) fn show_manual(&mut self) {
        self.stop_camera();
        self.install.error = None;
        self.go(Screen::Manual);
    }

    /// Add key on Enter key manually.
    pub(crate) fn manual_entry(&mut self, key: &ManualKey) {
        match key.to_account() {
            Ok(account) => self.found(vec![account]),
            // An empty secret, in the user's words rather than a link's missing `secret=`
            // parameter they never saw.
            Err(OtpError::MissingSecret) => self.install.error = Some(Note::SecretMissing),
            Err(e) => self.install.error = Some(Note::Otp(e)),
        }
    }

    /// Use camera.
    pub(crate) fn start_camera(&mut self) {
        self.stop_camera();
        self.install.error = None;
        self.install.camera_on = true;
        self.install.status = Some(Note::Looking);
        let stop = Arc::new(AtomicBool::new(false));
        self.camera_stop = Some(stop.clone());
        self.ask(Effect::StartCamera(stop));
    }

    /// Stop camera (and every screen change away from it).
    pub(crate) fn stop_camera(&mut self) {
        if let Some(stop) = self.camera_stop.take() {
            stop.store(true, Ordering::Relaxed);
        }
        self.install.camera_on = false;
    }

    /// Scan screen and Open image: read on a thread of their own.
    pub(crate) fn scan(&mut self, source: Source) {
        self.stop_camera();
        self.install.error = None;
        self.install.status = Some(match source {
            Source::Screen => Note::ReadingScreen,
            _ => Note::ReadingImage,
        });
        self.ask(Effect::Scan(source));
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
    /// window.
    pub(crate) fn lock(&mut self) {
        self.accounts.clear();
        self.hotp_shown.clear();
        self.unlocked = false;
        self.query.clear();
        self.stop_camera();
        self.pin.error = None;
        self.pin.tries_note = None;
        self.settings.message = None;
        // The controller raises the worker's lock flag as it sends this, so the vault closes
        // before the worker's next job whatever is queued; the job itself only brings the reply.
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
            Reply::Hotp(..) | Reply::Exported(_) | Reply::Imported(_) if !self.unlocked => {}
            Reply::Hotp(index, result) => {
                match result {
                    Ok((code, accounts)) => {
                        self.accounts = accounts;
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
                    self.accounts = accounts;
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
        if matches!(done, Done::Removed | Done::Moved) {
            self.hotp_shown.clear();
        }
        self.accounts = accounts;
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

    fn settings_message(&mut self, note: Note, error: bool) {
        self.settings.message = Some((note, error));
        if self.nav.screen == Screen::Working {
            self.go(Screen::Settings);
        }
    }

    // Codes.

    /// The once-a-second check: locks the app when it was left alone for longer than the
    /// auto-lock setting, or its window is minimised (codes must not wait behind the taskbar
    /// for whoever opens the window next). True when it locked.
    pub(crate) fn tick(&mut self, minimized: bool) -> bool {
        let minutes = AUTO_LOCK_MINUTES[self.settings.auto_lock_index];
        let idle = minutes > 0 && self.now().saturating_sub(self.last_activity) >= minutes * 60;
        if self.unlocked && (idle || minimized) {
            self.lock();
            return true;
        }
        false
    }

    /// The codes at the clock's current time: the list (the search applied) and the current
    /// token.
    pub(crate) fn tokens(&self) -> TokensShown {
        let now = self.now();
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

    /// Tapping a code: copy it (an HOTP code only once it is shown).
    pub(crate) fn copy(&mut self, index: usize) {
        let Some(account) = self.accounts.get(index) else {
            return;
        };
        let code = match account.kind {
            Kind::Totp { .. } | Kind::Steam => account.code_at(self.now()).as_str().to_owned(),
            Kind::Hotp { .. } => match self.hotp_shown.get(&index) {
                Some(code) => code.replace(' ', ""),
                None => return,
            },
        };
        self.ask(Effect::Copy(code));
        self.toast(Note::Copied);
    }

    /// Show next code (HOTP): the worker advances the counter first.
    pub(crate) fn next_code(&mut self, index: usize) {
        let now = self.now();
        self.ask(Effect::Job(Job::NextHotp(index, now)));
    }

    /// Rename; an empty name changes nothing.
    pub(crate) fn rename(&mut self, index: usize, name: &str) {
        let name = name.trim();
        if !name.is_empty() {
            self.ask(Effect::Job(Job::Rename(index, name.to_owned())));
        }
    }

    /// Move up / Move down.
    pub(crate) fn move_to(&mut self, index: usize, to: usize) {
        self.moved_to = to;
        self.ask(Effect::Job(Job::Move(index, to)));
    }

    /// Delete, once confirmed.
    pub(crate) fn remove(&mut self, index: usize) {
        self.ask(Effect::Job(Job::Remove(index)));
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

    /// The auto-lock choice, an index into [`AUTO_LOCK_MINUTES`] (others keep the default).
    pub(crate) fn auto_lock_changed(&mut self, index: usize) {
        self.settings.auto_lock_index = if index < AUTO_LOCK_MINUTES.len() {
            index
        } else {
            DEFAULT_AUTO_LOCK_INDEX
        };
    }

    /// Export backup: a password strong enough for a file that may leave the device.
    pub(crate) fn export_backup(&mut self, file: &str, password: &str) {
        match Password::new_checked(password) {
            Ok(password) => {
                self.working(Note::Saving);
                self.ask(Effect::Job(Job::Export(file.trim().into(), password)));
            }
            Err(e) => self.settings_message(Note::Vault(e), true),
        }
    }

    /// Import backup.
    pub(crate) fn import_backup(&mut self, file: &str, password: &str) {
        self.working(Note::Saving);
        self.ask(Effect::Job(Job::Import(
            file.trim().into(),
            Password::entered(password),
        )));
    }
}

/// One token as the views show it at `now`.
fn token_shown(
    index: usize,
    account: &Account,
    now: u64,
    hotp_shown: Option<&String>,
) -> TokenShown {
    let (code, next_code, seconds_left, period, hotp) = match account.kind {
        Kind::Totp { .. } | Kind::Steam => {
            let period = account.kind.period().unwrap_or(30);
            let left = account.seconds_left(now).unwrap_or(period);
            let next = if left <= NEXT_CODE_SECONDS {
                account.code_at(now + left).grouped()
            } else {
                String::new()
            };
            (account.code_at(now).grouped(), next, left, period, false)
        }
        Kind::Hotp { .. } => (
            hotp_shown.cloned().unwrap_or_else(|| "––– –––".to_owned()),
            String::new(),
            0,
            0,
            true,
        ),
    };
    TokenShown {
        index,
        name: shown(&account.name),
        issuer: shown(account.issuer.as_deref().unwrap_or_default()),
        code,
        has_code: !hotp || hotp_shown.is_some(),
        next_code,
        seconds_left,
        period,
        hotp,
        expiry: expiry::status(account.extra("expires"), now),
    }
}

/// Text from a key (its name, issuer, expiry) as the window shows it: control and
/// bidirectional characters as visible escapes (see [`crate::text`]).
fn shown(text: &str) -> String {
    crate::text::escape_controls(text).into_owned()
}
