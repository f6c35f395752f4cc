//! The adapters' shared state and the logic that moves between screens. Everything here runs
//! on the UI thread and is cheap: slow work goes to the worker as a [`Job`].

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use slint::{ComponentHandle, Image, ModelRc, SharedString, Timer, TimerMode, VecModel};

use super::messages;
use super::worker::{self, Done, Job, LockNow, Outbox, Reply};
use super::{
    AppWindow, Config, InstallAdapter, Nav, PinAdapter, Screen, SettingsAdapter, Texts, TokenView,
    TokensAdapter,
};
use crate::otp::expiry::{self, Expiry};
use crate::otp::{self, Account, KeyLink, Kind, MigrationBatch, OtpError};
use crate::vault::{self, Password, Pin, VaultError};

/// Seconds before the end of a period from which the next code is shown too.
const NEXT_CODE_SECONDS: u64 = 5;
/// How long a copied code stays on the clipboard.
const CLIPBOARD_SECONDS: u64 = 30;
/// Auto-lock choices offered in Settings, in minutes (0: never).
const AUTO_LOCK_MINUTES: [u64; 5] = [1, 2, 5, 10, 0];
/// Shown by default: two minutes.
const DEFAULT_AUTO_LOCK_INDEX: usize = 1;
/// Tokens from which the list offers a search field.
const SEARCH_FROM: usize = 5;

#[derive(Default)]
struct State {
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
    /// Minutes of inactivity before locking; 0 for never.
    auto_lock_minutes: u64,
    /// Stops the camera thread, when one runs.
    camera_stop: Option<Arc<AtomicBool>>,
}

/// Owns the UI-side state; reached from the Slint callbacks through an `Rc`.
pub(crate) struct Controller {
    window: slint::Weak<AppWindow>,
    config: Config,
    jobs: Sender<Job>,
    /// Closes the vault on the worker before its next job (see [`LockNow`]).
    lock_now: LockNow,
    replies: Receiver<Reply>,
    outbox: Outbox,
    /// Jobs sent (and cameras started) whose final reply has not been handled yet.
    pending: Cell<usize>,
    state: RefCell<State>,
    ticker: Timer,
    toast_timer: Timer,
    clipboard_timer: Timer,
}

impl Controller {
    pub(crate) fn new(
        window: &AppWindow,
        config: Config,
        jobs: Sender<Job>,
        lock_now: LockNow,
        replies: Receiver<Reply>,
        outbox: Outbox,
    ) -> Rc<Self> {
        let state = State {
            auto_lock_minutes: AUTO_LOCK_MINUTES[DEFAULT_AUTO_LOCK_INDEX],
            ..State::default()
        };
        Rc::new(Controller {
            window: window.as_weak(),
            config,
            jobs,
            lock_now,
            replies,
            outbox,
            pending: Cell::new(0),
            state: RefCell::new(state),
            ticker: Timer::default(),
            toast_timer: Timer::default(),
            clipboard_timer: Timer::default(),
        })
    }

    fn ui(&self) -> AppWindow {
        self.window
            .upgrade()
            .expect("the controller lives only as long as its window")
    }

    fn now(&self) -> u64 {
        (self.config.clock)()
    }

    /// Fills in the constants and asks the worker whether a vault exists.
    pub(crate) fn start(self: &Rc<Self>) {
        let ui = self.ui();
        let pin = ui.global::<PinAdapter>();
        pin.set_min_digits(vault::MIN_PIN_DIGITS as i32);
        pin.set_max_attempts(vault::MAX_ATTEMPTS as i32);
        ui.global::<InstallAdapter>()
            .set_desktop(self.config.desktop);
        let settings = ui.global::<SettingsAdapter>();
        settings.set_version(env!("CARGO_PKG_VERSION").into());
        settings.set_auto_lock_index(DEFAULT_AUTO_LOCK_INDEX as i32);
        self.send(Job::Probe);
        let weak = Rc::downgrade(self);
        self.ticker
            .start(TimerMode::Repeated, Duration::from_secs(1), move || {
                if let Some(c) = weak.upgrade() {
                    c.tick();
                }
            });
    }

    fn send(&self, job: Job) {
        self.pending.set(self.pending.get() + 1);
        if self.jobs.send(job).is_err() {
            // The worker died (a panic); there is no reply to wait for.
            self.pending.set(self.pending.get() - 1);
            tracing::error!("the worker thread is gone");
        }
    }

    /// Handles every reply waiting in the channel (the worker's wake-up call lands here).
    pub(crate) fn drain(&self) {
        while let Ok(reply) = self.replies.try_recv() {
            self.handle(reply);
        }
    }

    pub(crate) fn wait_for_worker(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        self.drain();
        while self.pending.get() > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.replies.recv_timeout(left) {
                Ok(reply) => self.handle(reply),
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {
                    return false
                }
            }
        }
        self.drain();
        true
    }

    fn done(&self) {
        self.pending.set(self.pending.get().saturating_sub(1));
    }

    // Navigation.

    fn go(&self, screen: Screen) {
        let ui = self.ui();
        let nav = ui.global::<Nav>();
        let state = self.state.borrow();
        let back = match screen {
            Screen::Add => state.unlocked || !state.has_vault,
            Screen::Manual | Screen::Found | Screen::ChoosePin | Screen::Settings => true,
            Screen::Token => state.accounts.len() > 1,
            _ => false,
        };
        nav.set_can_go_back(back);
        nav.set_screen(screen);
    }

    fn back(&self) {
        let ui = self.ui();
        let screen = ui.global::<Nav>().get_screen();
        let (unlocked, has_vault) = {
            let s = self.state.borrow();
            (s.unlocked, s.has_vault)
        };
        match screen {
            Screen::Add => {
                self.stop_camera();
                if unlocked {
                    self.show_codes();
                } else if !has_vault {
                    self.go(Screen::Welcome);
                }
            }
            Screen::Manual | Screen::Found => {
                self.clear_install_messages();
                self.go(Screen::Add);
            }
            Screen::ChoosePin => self.go(Screen::Found),
            Screen::Settings => self.show_codes(),
            Screen::Token if self.state.borrow().accounts.len() > 1 => self.go(Screen::Tokens),
            _ => {}
        }
    }

    fn show_codes(&self) {
        self.tick();
        if self.state.borrow().accounts.len() == 1 {
            self.state.borrow_mut().current = 0;
            self.tick();
            self.go(Screen::Token);
        } else {
            self.go(Screen::Tokens);
        }
    }

    fn working(&self, text: SharedString) {
        self.ui().global::<Nav>().set_working_text(text);
        self.go(Screen::Working);
    }

    fn toast(&self, text: SharedString) {
        let ui = self.ui();
        ui.global::<Nav>().set_toast(text);
        let weak = self.window.clone();
        self.toast_timer
            .start(TimerMode::SingleShot, Duration::from_secs(4), move || {
                if let Some(w) = weak.upgrade() {
                    w.global::<Nav>().set_toast("".into());
                }
            });
    }

    pub(crate) fn activity(&self) {
        self.state.borrow_mut().last_activity = self.now();
    }

    // Installing a key.

    fn clear_install_messages(&self) {
        let ui = self.ui();
        ui.global::<InstallAdapter>().set_error("".into());
    }

    fn install_key(&self) {
        self.clear_install_messages();
        let ui = self.ui();
        let install = ui.global::<InstallAdapter>();
        install.set_status(ui.global::<Texts>().invoke_camera_off());
        self.state.borrow_mut().batch = None;
        self.go(Screen::Add);
    }

    /// Reads what a QR code or link holds: a key goes to the Key found screen, anything else
    /// is explained and the scan screen stays.
    fn take_key_links(&self, texts: &[String]) -> bool {
        let ui = self.ui();
        let install = ui.global::<InstallAdapter>();
        let mut error = None;
        for text in texts {
            match otp::parse_key_link(text) {
                Ok(KeyLink::Account(account)) => {
                    self.found(vec![account]);
                    return true;
                }
                Ok(KeyLink::Migration(part)) => {
                    let mut state = self.state.borrow_mut();
                    let batch = state.batch.get_or_insert_with(MigrationBatch::new);
                    if let Err(e) = batch.add(part) {
                        error = Some(messages::otp(&ui.global::<Texts>(), &e).to_string());
                        continue;
                    }
                    match batch.accounts() {
                        Some(accounts) => {
                            state.batch = None;
                            drop(state);
                            self.found(accounts);
                            return true;
                        }
                        None => {
                            let missing = batch.missing();
                            let total = missing.len() as i32 + 1;
                            let next = missing.first().map(|m| *m as i32 + 1).unwrap_or(1);
                            error = Some(
                                ui.global::<Texts>()
                                    .invoke_migration_part(next, total.max(next))
                                    .to_string(),
                            );
                        }
                    }
                }
                Err(e) => error = Some(messages::otp(&ui.global::<Texts>(), &e).to_string()),
            }
        }
        install.set_error(error.unwrap_or_default().into());
        false
    }

    fn found(&self, accounts: Vec<Account>) {
        let ui = self.ui();
        let install = ui.global::<InstallAdapter>();
        // The parser refuses empty exports; this guard keeps a future path from indexing an
        // empty list on the UI thread.
        let Some(first) = accounts.first() else {
            install.set_error(messages::otp(&ui.global::<Texts>(), &OtpError::EmptyExport));
            return;
        };
        self.stop_camera();
        // Labels are the QR code author's text: show control characters as escapes.
        install.set_found_name(shown(&first.name));
        install.set_found_issuer(shown(first.issuer.as_deref().unwrap_or_default()));
        install.set_found_expiry(shown(first.extra("expires").unwrap_or_default()));
        install.set_found_count(if accounts.len() > 1 {
            ui.global::<Texts>()
                .invoke_keys_count(accounts.len() as i32)
        } else {
            SharedString::new()
        });
        install.set_has_vault(self.state.borrow().has_vault);
        install.set_error("".into());
        self.state.borrow_mut().found = accounts;
        self.go(Screen::Found);
    }

    fn confirm(&self) {
        let (unlocked, found) = {
            let s = self.state.borrow();
            (s.unlocked, s.found.clone())
        };
        if found.is_empty() {
            return;
        }
        if unlocked {
            self.working(self.ui().global::<Texts>().invoke_saving());
            self.send(Job::Add(found));
        } else {
            self.ui().global::<PinAdapter>().set_error("".into());
            self.go(Screen::ChoosePin);
        }
    }

    #[allow(clippy::too_many_arguments)] // The form's fields, as the Slint callback gives them.
    fn manual_entry(
        &self,
        name: &str,
        issuer: &str,
        secret: &str,
        algorithm: i32,
        digits: i32,
        period: &str,
        kind: i32,
    ) {
        let key = otp::ManualKey {
            name: name.to_owned(),
            issuer: issuer.to_owned(),
            secret: secret.to_owned(),
            // The form's choices are indexes into the same lists otp offers.
            algorithm: usize::try_from(algorithm)
                .ok()
                .and_then(|i| otp::Algorithm::ALL.get(i).copied())
                .unwrap_or(otp::Algorithm::Sha1),
            digits: usize::try_from(digits)
                .ok()
                .and_then(|i| otp::DIGITS.get(i).copied())
                .unwrap_or(otp::DIGITS[0]),
            kind: if kind == 1 {
                otp::ManualKind::Hotp
            } else {
                otp::ManualKind::Totp {
                    period: period.to_owned(),
                }
            },
        };
        match key.to_account() {
            Ok(account) => self.found(vec![account]),
            Err(e) => {
                let ui = self.ui();
                let texts = ui.global::<Texts>();
                let message = match e {
                    // An empty secret, in the user's words rather than a link's missing
                    // `secret=` parameter they never saw.
                    OtpError::MissingSecret => texts.invoke_secret_missing(),
                    e => messages::otp(&texts, &e),
                };
                ui.global::<InstallAdapter>().set_error(message);
            }
        }
    }

    fn start_camera(&self) {
        self.stop_camera();
        let ui = self.ui();
        let install = ui.global::<InstallAdapter>();
        install.set_error("".into());
        install.set_camera_on(true);
        install.set_status(ui.global::<Texts>().invoke_looking());
        let stop = Arc::new(AtomicBool::new(false));
        self.state.borrow_mut().camera_stop = Some(stop.clone());
        self.pending.set(self.pending.get() + 1);
        worker::spawn_camera(self.config.open_camera.clone(), stop, self.outbox.clone());
    }

    fn stop_camera(&self) {
        if let Some(stop) = self.state.borrow_mut().camera_stop.take() {
            stop.store(true, Ordering::Relaxed);
        }
        let ui = self.ui();
        ui.global::<InstallAdapter>().set_camera_on(false);
    }

    /// Reads a file or the screen on a thread of its own (never the vault's worker).
    fn scan(&self, source: crate::scan::Source, status: SharedString) {
        self.stop_camera();
        let ui = self.ui();
        let install = ui.global::<InstallAdapter>();
        install.set_error("".into());
        install.set_status(status);
        self.pending.set(self.pending.get() + 1);
        worker::spawn_scan(source, self.outbox.clone());
    }

    // PINs.

    fn choose_pin(&self, pin: &str, confirmation: &str) {
        let ui = self.ui();
        let texts = ui.global::<Texts>();
        match Pin::new_confirmed(pin, confirmation) {
            Err(e) => ui
                .global::<PinAdapter>()
                .set_error(messages::pin(&texts, &e)),
            Ok(pin) => {
                let accounts = std::mem::take(&mut self.state.borrow_mut().found);
                ui.global::<PinAdapter>().set_error("".into());
                self.working(texts.invoke_protecting());
                self.send(Job::Create { pin, accounts });
            }
        }
    }

    fn unlock(&self, pin: &str) {
        let ui = self.ui();
        if pin.trim().is_empty() {
            ui.global::<PinAdapter>()
                .set_error(ui.global::<Texts>().invoke_pin_empty());
            return;
        }
        ui.global::<PinAdapter>().set_error("".into());
        self.working(ui.global::<Texts>().invoke_unlocking());
        self.send(Job::Unlock(Pin::entered(pin)));
    }

    fn lock(&self) {
        {
            let mut s = self.state.borrow_mut();
            s.accounts.clear();
            s.hotp_shown.clear();
            s.unlocked = false;
            s.query.clear();
        }
        self.stop_camera();
        let ui = self.ui();
        ui.global::<TokensAdapter>()
            .set_tokens(ModelRc::new(VecModel::<TokenView>::default()));
        ui.global::<TokensAdapter>()
            .set_current(TokenView::default());
        ui.global::<PinAdapter>().set_error("".into());
        ui.global::<PinAdapter>().set_tries_note("".into());
        ui.global::<SettingsAdapter>().set_message("".into());
        // The flag closes the vault before the worker's next job, whatever is queued; the job
        // itself only brings the reply.
        self.lock_now.store(true, Ordering::SeqCst);
        self.send(Job::Lock);
        self.go(Screen::Unlock);
    }

    // Replies.

    fn handle(&self, reply: Reply) {
        let ui = self.ui();
        let texts = ui.global::<Texts>();
        match reply {
            Reply::Probed {
                exists,
                wiped,
                failed,
            } => {
                self.done();
                self.state.borrow_mut().has_vault = exists;
                if exists {
                    let note = if failed > 0 {
                        texts.invoke_tries_left(vault::MAX_ATTEMPTS.saturating_sub(failed) as i32)
                    } else {
                        SharedString::new()
                    };
                    ui.global::<PinAdapter>().set_tries_note(note);
                    self.go(Screen::Unlock);
                } else if wiped {
                    self.go(Screen::Wiped);
                } else {
                    self.go(Screen::Welcome);
                }
            }
            Reply::Accounts(result, done) => {
                self.done();
                // A job sent before the app locked answers after it: its accounts must not
                // reappear behind the PIN screen. Only creating or unlocking opens the vault.
                if !self.state.borrow().unlocked && !matches!(done, Done::Created | Done::Unlocked)
                {
                    return;
                }
                self.accounts(result, done);
            }
            Reply::Hotp(..) | Reply::Exported(_) | Reply::Imported(_)
                if !self.state.borrow().unlocked =>
            {
                self.done();
            }
            Reply::Hotp(index, result) => {
                self.done();
                match result {
                    Ok((code, accounts)) => {
                        let mut s = self.state.borrow_mut();
                        s.accounts = accounts;
                        s.hotp_shown.insert(index, code.grouped());
                    }
                    Err(e) => self.toast(messages::vault(&texts, &e)),
                }
                self.tick();
            }
            Reply::Exported(result) => {
                self.done();
                match result {
                    Ok(n) => self.settings_message(texts.invoke_exported(n as i32), false),
                    Err(e) => self.settings_message(messages::vault(&texts, &e), true),
                }
            }
            Reply::Imported(result) => {
                self.done();
                match result {
                    Ok((report, accounts)) => {
                        self.state.borrow_mut().accounts = accounts;
                        self.tick();
                        self.settings_message(
                            texts.invoke_imported(report.added as i32, report.duplicates as i32),
                            false,
                        );
                    }
                    Err(e) => self.settings_message(messages::vault(&texts, &e), true),
                }
            }
            Reply::Scanned(result) => {
                self.done();
                let install = ui.global::<InstallAdapter>();
                install.set_status(texts.invoke_camera_off());
                match result {
                    Ok(found) => {
                        self.take_key_links(&found);
                    }
                    Err(e) => install.set_error(messages::source(&texts, &e)),
                }
            }
            Reply::Locked => self.done(),
            Reply::Unflushed(warning) => self.toast(messages::vault(&texts, &warning)),
            Reply::Frame(buffer) => {
                if self.state.borrow().camera_stop.is_some() {
                    ui.global::<InstallAdapter>()
                        .set_camera_frame(Image::from_rgb8(buffer));
                }
            }
            Reply::CameraCodes(found) => {
                if self.state.borrow().camera_stop.is_some() {
                    self.take_key_links(&found);
                }
            }
            Reply::CameraEnded(error) => {
                self.done();
                let was_running = self.state.borrow_mut().camera_stop.take().is_some();
                let install = ui.global::<InstallAdapter>();
                install.set_camera_on(false);
                if was_running {
                    install.set_status(match error {
                        Some(e) => messages::source(&texts, &e),
                        None => texts.invoke_camera_ended(),
                    });
                }
            }
        }
    }

    fn accounts(&self, result: Result<Vec<Account>, VaultError>, done: Done) {
        let ui = self.ui();
        let texts = ui.global::<Texts>();
        let accounts = match result {
            Ok(accounts) => accounts,
            Err(VaultError::WrongPin { remaining }) => {
                let pin = ui.global::<PinAdapter>();
                pin.set_error(texts.invoke_wrong_pin(remaining as i32));
                pin.set_tries_note(texts.invoke_tries_left(remaining as i32));
                self.go(Screen::Unlock);
                return;
            }
            Err(VaultError::Wiped(_)) => {
                {
                    let mut s = self.state.borrow_mut();
                    s.has_vault = false;
                    s.unlocked = false;
                }
                self.go(Screen::Wiped);
                return;
            }
            Err(e) => {
                let message = messages::vault(&texts, &e);
                match done {
                    Done::Created => {
                        ui.global::<PinAdapter>().set_error(message);
                        self.go(Screen::ChoosePin);
                    }
                    Done::Unlocked => {
                        ui.global::<PinAdapter>().set_error(message);
                        self.go(Screen::Unlock);
                    }
                    Done::Added => {
                        ui.global::<InstallAdapter>().set_error(message);
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
        let now = self.now();
        {
            let mut s = self.state.borrow_mut();
            let added = accounts.len().saturating_sub(s.accounts.len());
            if matches!(done, Done::Removed | Done::Moved) {
                s.hotp_shown.clear();
            }
            s.accounts = accounts;
            s.unlocked = true;
            s.has_vault = true;
            s.last_activity = now;
            if matches!(done, Done::Created | Done::Added) {
                s.current = s.accounts.len().saturating_sub(added.max(1));
                s.found.clear();
            }
            if let Done::Moved = done {
                s.current = s.moved_to;
            }
            if s.current >= s.accounts.len() {
                s.current = 0;
            }
        }
        ui.global::<PinAdapter>().set_tries_note("".into());
        self.tick();
        match done {
            Done::Created | Done::Added => self.go(Screen::Installed),
            Done::Unlocked => self.show_codes(),
            Done::Renamed => {
                self.toast(texts.invoke_renamed());
                self.go(Screen::Token);
            }
            Done::Moved => self.go(Screen::Token),
            Done::Removed => {
                self.toast(texts.invoke_deleted());
                if self.state.borrow().accounts.is_empty() {
                    self.go(Screen::Tokens);
                } else {
                    self.show_codes();
                }
            }
            Done::PinChanged => self.settings_message(texts.invoke_pin_changed(), false),
        }
    }

    fn settings_message(&self, text: SharedString, error: bool) {
        let ui = self.ui();
        let settings = ui.global::<SettingsAdapter>();
        settings.set_message(text);
        settings.set_message_is_error(error);
        if ui.global::<Nav>().get_screen() == Screen::Working {
            self.go(Screen::Settings);
        }
    }

    // Codes.

    /// Recomputes every shown code and countdown for the clock's time, and locks the app
    /// when it was left alone for longer than the auto-lock setting or its window is minimised.
    pub(crate) fn tick(&self) {
        let now = self.now();
        let ui = self.ui();
        {
            let s = self.state.borrow();
            let idle = s.auto_lock_minutes > 0
                && now.saturating_sub(s.last_activity) >= s.auto_lock_minutes * 60;
            // A minimised window (or an app sent to the background) locks at the next tick:
            // codes must not wait behind the taskbar for whoever opens the window next.
            if s.unlocked && (idle || ui.window().is_minimized()) {
                drop(s);
                self.lock();
                return;
            }
        }
        let texts = ui.global::<Texts>();
        let s = self.state.borrow();
        let views: Vec<TokenView> = s
            .accounts
            .iter()
            .enumerate()
            .filter(|(_, a)| matches_query(a, &s.query))
            .map(|(i, a)| token_view(&texts, i, a, now, s.hotp_shown.get(&i)))
            .collect();
        let tokens = ui.global::<TokensAdapter>();
        tokens.set_total(s.accounts.len() as i32);
        tokens.set_searchable(s.accounts.len() >= SEARCH_FROM);
        if let Some(a) = s.accounts.get(s.current) {
            tokens.set_current(token_view(
                &texts,
                s.current,
                a,
                now,
                s.hotp_shown.get(&s.current),
            ));
        }
        tokens.set_tokens(ModelRc::new(VecModel::from(views)));
    }

    fn open(&self, index: i32) {
        if let Ok(i) = usize::try_from(index) {
            if i < self.state.borrow().accounts.len() {
                self.state.borrow_mut().current = i;
                self.tick();
                self.go(Screen::Token);
            }
        }
    }

    fn copy(&self, index: i32) {
        let now = self.now();
        let code = {
            let s = self.state.borrow();
            let Some(account) = usize::try_from(index).ok().and_then(|i| s.accounts.get(i)) else {
                return;
            };
            match account.kind {
                Kind::Totp { .. } | Kind::Steam => account.code_at(now).as_str().to_owned(),
                Kind::Hotp { .. } => match s.hotp_shown.get(&(index as usize)) {
                    Some(code) => code.replace(' ', ""),
                    None => return,
                },
            }
        };
        let ui = self.ui();
        ui.invoke_copy_text(code.into());
        self.toast(ui.global::<Texts>().invoke_copied());
        let weak = self.window.clone();
        self.clipboard_timer.start(
            TimerMode::SingleShot,
            Duration::from_secs(CLIPBOARD_SECONDS),
            move || {
                if let Some(w) = weak.upgrade() {
                    // Slint offers no way to empty the clipboard; a zero-width space takes
                    // the code's place so that it cannot be pasted any more.
                    w.invoke_copy_text("\u{200b}".into());
                }
            },
        );
    }
}

/// Connects the Slint callbacks to the controller.
pub(crate) fn wire(window: &AppWindow, c: &Rc<Controller>) {
    let nav = window.global::<Nav>();
    let weak = Rc::downgrade(c);
    // Every callback holds a weak reference: the window owns the callbacks, the controller
    // owns timers that hold the window weakly, and nothing keeps anything else alive.
    macro_rules! with {
        (|$c:ident $(, $arg:ident)*| $body:expr) => {{
            let weak = weak.clone();
            move |$($arg),*| {
                if let Some($c) = weak.upgrade() {
                    $c.activity();
                    $body
                }
            }
        }};
    }
    nav.on_back(with!(|c| c.back()));
    nav.on_activity(with!(|c| {}));
    nav.on_worker_done(with!(|c| c.drain()));

    let install = window.global::<InstallAdapter>();
    install.on_install_key(with!(|c| c.install_key()));
    install.on_start_camera(with!(|c| c.start_camera()));
    install.on_stop_camera(with!(|c| c.stop_camera()));
    install.on_scan_screen(with!(|c| {
        let status = c.ui().global::<Texts>().invoke_reading_screen();
        c.scan(crate::scan::Source::Screen, status)
    }));
    install.on_open_image(with!(|c, path| {
        let status = c.ui().global::<Texts>().invoke_reading_image();
        c.scan(
            crate::scan::Source::File(PathBuf::from(path.trim())),
            status,
        )
    }));
    install.on_paste_link(with!(|c, link| {
        c.clear_install_messages();
        c.take_key_links(&[link.to_string()]);
    }));
    install.on_show_manual(with!(|c| {
        c.stop_camera();
        c.clear_install_messages();
        c.go(Screen::Manual)
    }));
    install.on_manual_entry(with!(|c,
                                   name,
                                   issuer,
                                   secret,
                                   algorithm,
                                   digits,
                                   period,
                                   kind| {
        c.manual_entry(&name, &issuer, &secret, algorithm, digits, &period, kind)
    }));
    install.on_confirm(with!(|c| c.confirm()));

    let pin = window.global::<PinAdapter>();
    pin.on_choose(with!(
        |c, pin, confirmation| c.choose_pin(&pin, &confirmation)
    ));
    pin.on_unlock(with!(|c, pin| c.unlock(&pin)));
    pin.on_install_again(with!(|c| c.install_key()));

    let tokens = window.global::<TokensAdapter>();
    tokens.on_open(with!(|c, index| c.open(index)));
    tokens.on_copy(with!(|c, index| c.copy(index)));
    tokens.on_next_code(with!(|c, index| {
        if let Ok(i) = usize::try_from(index) {
            let now = c.now();
            c.send(Job::NextHotp(i, now));
        }
    }));
    tokens.on_rename(with!(|c, index, name| {
        if let Ok(i) = usize::try_from(index) {
            let name = name.trim().to_owned();
            if !name.is_empty() {
                c.send(Job::Rename(i, name));
            }
        }
    }));
    tokens.on_move(with!(|c, index, to| {
        if let (Ok(i), Ok(to)) = (usize::try_from(index), usize::try_from(to)) {
            c.state.borrow_mut().moved_to = to;
            c.send(Job::Move(i, to));
        }
    }));
    tokens.on_remove(with!(|c, index| {
        if let Ok(i) = usize::try_from(index) {
            c.send(Job::Remove(i));
        }
    }));
    tokens.on_search(with!(|c, text| {
        c.state.borrow_mut().query = text.to_string();
        c.tick();
    }));
    tokens.on_add_key(with!(|c| c.install_key()));
    tokens.on_settings(with!(|c| {
        c.ui().global::<SettingsAdapter>().set_message("".into());
        c.go(Screen::Settings)
    }));
    tokens.on_lock(with!(|c| {
        c.lock();
        let locked = c.ui().global::<Texts>().invoke_locked();
        c.toast(locked)
    }));
    tokens.on_continue_to_code(with!(|c| {
        c.state.borrow_mut().found.clear();
        c.tick();
        c.go(Screen::Token)
    }));

    let settings = window.global::<SettingsAdapter>();
    settings.on_change_pin(with!(|c, new, again| {
        let ui = c.ui();
        let texts = ui.global::<Texts>();
        match Pin::new_confirmed(&new, &again) {
            Ok(pin) => {
                c.working(texts.invoke_protecting());
                c.send(Job::ChangePin(pin));
            }
            Err(e) => c.settings_message(messages::pin(&texts, &e), true),
        }
    }));
    settings.on_auto_lock_changed(with!(|c, index| {
        let minutes = usize::try_from(index)
            .ok()
            .and_then(|i| AUTO_LOCK_MINUTES.get(i))
            .copied()
            .unwrap_or(AUTO_LOCK_MINUTES[DEFAULT_AUTO_LOCK_INDEX]);
        c.state.borrow_mut().auto_lock_minutes = minutes;
    }));
    settings.on_export_backup(with!(|c, file, password| {
        match Password::new_checked(&password) {
            Ok(password) => {
                let saving = c.ui().global::<Texts>().invoke_saving();
                c.working(saving);
                c.send(Job::Export(PathBuf::from(file.trim()), password));
            }
            Err(e) => {
                let ui = c.ui();
                c.settings_message(messages::vault(&ui.global::<Texts>(), &e), true)
            }
        }
    }));
    settings.on_import_backup(with!(|c, file, password| {
        let saving = c.ui().global::<Texts>().invoke_saving();
        c.working(saving);
        c.send(Job::Import(
            PathBuf::from(file.trim()),
            Password::entered(&password),
        ));
    }));
}

fn matches_query(account: &Account, query: &str) -> bool {
    let query = query.trim().to_lowercase();
    query.is_empty() || account.display_name().to_lowercase().contains(&query)
}

/// One token as the views show it at `now`.
fn token_view(
    texts: &Texts<'_>,
    index: usize,
    account: &Account,
    now: u64,
    hotp_shown: Option<&String>,
) -> TokenView {
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
    let spoken = if hotp && hotp_shown.is_none() {
        texts.invoke_no_code_yet().to_string()
    } else {
        spell(&code)
    };
    let (expiry_note, expired) = match expiry::status(account.extra("expires"), now) {
        Expiry::Fine => (SharedString::new(), false),
        Expiry::Soon(0) => (texts.invoke_expires_today(), false),
        Expiry::Soon(days) => (texts.invoke_expires_in(days as i32), false),
        Expiry::Expired => (texts.invoke_expired(), true),
    };
    TokenView {
        index: index as i32,
        name: shown(&account.name),
        issuer: shown(account.issuer.as_deref().unwrap_or_default()),
        code: code.into(),
        spoken: spoken.into(),
        next_code: next_code.into(),
        seconds_left: seconds_left as i32,
        period: period as i32,
        hotp,
        expiry_note,
        expired,
    }
}

/// Text from a key (its name, issuer, expiry) as the window shows it: control and
/// bidirectional characters as visible escapes (see [`crate::text`]).
fn shown(text: &str) -> SharedString {
    crate::text::escape_controls(text).as_ref().into()
}

/// "123 456" read digit by digit: "1 2 3 4 5 6".
fn spell(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_digit)
        .map(String::from)
        .collect::<Vec<_>>()
        .join(" ")
}
