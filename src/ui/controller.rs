//! The controller: it owns the [`Flow`], hands it the user's actions and the worker's replies,
//! has the adapters show the result, and carries out the [`Effect`]s the flow asks for (jobs for
//! the worker, the camera, scans, toasts, the clipboard, the once-a-second tick). Everything
//! here runs on the UI thread and is cheap: slow work goes to the worker as a [`Job`].

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use slint::{ComponentHandle, Timer, TimerMode};

use super::adapters;
use super::clipboard::CodeClipboard;
use super::flow::{Effect, Flow, Note};
use super::prefs::Prefs;
use super::worker::{self, Job, LockNow, Outbox, Reply};
use super::{messages, AppWindow, Config, Texts};
use crate::clock::device::DeviceClock;

/// How long a copied code stays on the clipboard.
const CLIPBOARD_SECONDS: u64 = 30;
/// How long a toast stays.
const TOAST_SECONDS: u64 = 4;

/// Owns the flow and the plumbing; reached from the Slint callbacks through an `Rc`.
pub(crate) struct Controller {
    window: slint::Weak<AppWindow>,
    config: Config,
    flow: RefCell<Flow>,
    jobs: Sender<Job>,
    /// Closes the vault on the worker before its next job (see [`LockNow`]).
    lock_now: LockNow,
    replies: Receiver<Reply>,
    outbox: Outbox,
    /// Jobs sent (and cameras and scans started) whose final reply has not been handled yet.
    pending: Cell<usize>,
    ticker: Timer,
    toast_timer: Timer,
    clipboard_timer: Timer,
    /// The system clipboard, holding the code copied last until it is cleared; dropped with
    /// the controller when the window closes, which clears it (see [`CodeClipboard`]).
    clipboard: Rc<RefCell<CodeClipboard>>,
    /// The code copied last went through Slint's copy (no system clipboard), not yet
    /// overwritten.
    copied_by_slint: Cell<bool>,
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
        let mut flow = Flow::new(config.clock.clone());
        // This device's clock settings (the corrected time must apply from the first code).
        flow.set_device_clock(DeviceClock::load(&config.data_dir));
        // On phones Scan barcode is the camera: it starts as the screen opens.
        flow.set_camera_on_open(!config.desktop);
        // On desktops files are chosen in the desktop's dialog, typed where there is none.
        flow.set_file_dialog(config.desktop);
        let (prefs, problem) = Prefs::load(&config.data_dir);
        if let Some(problem) = problem {
            tracing::warn!("window settings not read, defaults used: {problem}");
        }
        flow.settings.copy_codes = prefs.copy_codes;
        Rc::new(Controller {
            window: window.as_weak(),
            flow: RefCell::new(flow),
            config,
            jobs,
            lock_now,
            replies,
            outbox,
            pending: Cell::new(0),
            ticker: Timer::default(),
            toast_timer: Timer::default(),
            clipboard_timer: Timer::default(),
            clipboard: Rc::new(RefCell::new(CodeClipboard::default())),
            copied_by_slint: Cell::new(false),
        })
    }

    fn ui(&self) -> AppWindow {
        self.window
            .upgrade()
            .expect("the controller lives only as long as its window")
    }

    /// Whether this is a desktop (Scan screen and Open image are offered).
    pub(crate) fn desktop(&self) -> bool {
        self.config.desktop
    }

    /// Shows the first screen's state, asks the worker whether a vault exists, and starts the
    /// once-a-second tick.
    pub(crate) fn start(self: &Rc<Self>) {
        self.act(Flow::start);
        self.tick();
        let weak = Rc::downgrade(self);
        self.ticker
            .start(TimerMode::Repeated, Duration::from_secs(1), move || {
                if let Some(c) = weak.upgrade() {
                    c.tick();
                }
            });
    }

    /// The system moved the app (see [`super::Lifecycle`]).
    pub(crate) fn lifecycle(&self, event: super::Lifecycle) {
        let minimized = self.ui().window().is_minimized();
        self.act(|f| f.lifecycle(event, minimized));
    }

    /// Something the user did (every callback): restarts the auto-lock countdown.
    pub(crate) fn user_did_something(&self) {
        self.flow.borrow_mut().activity();
    }

    /// Runs `change` on the flow, shows the result, then carries out what it asked for.
    pub(crate) fn act(&self, change: impl FnOnce(&mut Flow)) {
        let effects = {
            let mut flow = self.flow.borrow_mut();
            change(&mut flow);
            flow.take_effects()
        };
        adapters::show(&self.ui(), &self.flow.borrow());
        for effect in effects {
            self.run(effect);
        }
    }

    fn run(&self, effect: Effect) {
        match effect {
            Effect::Job(job) => self.send(job),
            Effect::StartCamera(stop) => {
                self.pending.set(self.pending.get() + 1);
                worker::spawn_camera(self.config.open_camera.clone(), stop, self.outbox.clone());
            }
            Effect::Scan(source) => {
                self.pending.set(self.pending.get() + 1);
                worker::spawn_scan(source, self.outbox.clone());
            }
            Effect::ChooseFile(asked, request) => {
                self.pending.set(self.pending.get() + 1);
                let bus = self.config.portal_bus.clone();
                worker::spawn_choose(asked, request, bus, self.outbox.clone());
            }
            Effect::MeasureClock(source) => {
                self.pending.set(self.pending.get() + 1);
                worker::spawn_clock(source, self.outbox.clone());
            }
            Effect::SaveClock(settings) => {
                // A few dozen bytes: written here, where the settings were changed.
                if let Err(e) = settings.save(&self.config.data_dir) {
                    tracing::warn!("clock settings not saved: {e}");
                    self.toast(&Note::ClockSettings(e));
                }
            }
            Effect::Toast(note) => self.toast(&note),
            Effect::Copy(code) => self.copy(code),
            Effect::SavePrefs => {
                let prefs = Prefs {
                    copy_codes: self.flow.borrow().settings.copy_codes,
                };
                if let Err(e) = prefs.save(&self.config.data_dir) {
                    tracing::warn!("window settings not saved: {e}");
                    self.toast(&Note::Vault(e));
                }
            }
            Effect::ClearClipboard => {
                self.clipboard_timer.stop();
                if !self.clipboard.borrow_mut().clear_if_unchanged() && self.copied_by_slint.get() {
                    // Slint's copy cannot be read back: overwritten, as its timer would have.
                    self.ui().invoke_copy_text("\u{200b}".into());
                }
                self.copied_by_slint.set(false);
            }
            Effect::Tick => self.tick(),
        }
    }

    fn send(&self, job: Job) {
        if let Job::Lock = job {
            // The flag closes the vault before the worker's next job, whatever is queued.
            self.lock_now.store(true, Ordering::SeqCst);
        }
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

    fn handle(&self, reply: Reply) {
        if reply.ends_a_job() {
            self.pending.set(self.pending.get().saturating_sub(1));
        }
        match reply {
            // A preview frame is only pixels: shown while the camera runs, never kept.
            Reply::Frame(frame) => {
                if self.flow.borrow().camera_running() {
                    adapters::install::show_frame(&self.ui(), &frame);
                }
            }
            reply => self.act(|f| f.reply(reply)),
        }
    }

    /// Recomputes the codes and countdowns for the clock's time, after letting the flow lock
    /// the app when it was left alone too long or its window is minimised.
    pub(crate) fn tick(&self) {
        let ui = self.ui();
        let minimized = ui.window().is_minimized();
        self.act(|f| {
            f.tick(minimized);
        });
        let shown = self.flow.borrow().tokens();
        adapters::tokens::show(&ui, &shown);
    }

    fn toast(&self, note: &Note) {
        let ui = self.ui();
        adapters::nav::toast(&ui, messages::note(&ui.global::<Texts>(), note));
        let weak = self.window.clone();
        self.toast_timer.start(
            TimerMode::SingleShot,
            Duration::from_secs(TOAST_SECONDS),
            move || {
                if let Some(w) = weak.upgrade() {
                    adapters::nav::toast(&w, "".into());
                }
            },
        );
    }

    /// Copies a code through the system clipboard (marked secret, cleared after
    /// [`CLIPBOARD_SECONDS`] if unchanged), or Slint's where that cannot be reached (phones).
    fn copy(&self, code: String) {
        let code = zeroize::Zeroizing::new(code);
        let system = self.clipboard.borrow_mut().copy(&code);
        if let Err(e) = &system {
            tracing::debug!("system clipboard not used ({e}); the window's copy instead");
            self.ui().invoke_copy_text(code.as_str().into());
        }
        let weak = self.window.clone();
        let clipboard = Rc::downgrade(&self.clipboard);
        let ours = system.is_ok();
        self.copied_by_slint.set(!ours);
        self.clipboard_timer.start(
            TimerMode::SingleShot,
            Duration::from_secs(CLIPBOARD_SECONDS),
            move || {
                if ours {
                    if let Some(clipboard) = clipboard.upgrade() {
                        clipboard.borrow_mut().clear_if_unchanged();
                    }
                } else if let Some(w) = weak.upgrade() {
                    // Slint offers no way to read or empty the clipboard; a zero-width space
                    // takes the code's place so that it cannot be pasted any more.
                    w.invoke_copy_text("\u{200b}".into());
                }
            },
        );
    }
}
