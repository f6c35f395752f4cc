//! The app's window: the Slint UI in `ui/`, the flow behind it, and the adapters between them.
//!
//! - `flow`: which screen shows, the key being installed, the PIN steps, what each worker reply
//!   changes, when the app locks. No Slint types: it is unit-tested without a window.
//! - `adapters`: one per `export global` of `ui/app.slint` (`Nav`, `InstallAdapter`,
//!   `PinAdapter`, `TokensAdapter`, `SettingsAdapter`); each wires its callbacks to the
//!   controller and shows the flow's values as display text (`messages` translates through
//!   `Texts`).
//! - `controller`: owns the flow, runs what it asks for, and has the adapters show the result.
//! - `worker`: the thread that owns the unlocked vault, so key derivation and file I/O never
//!   block a frame; its replies come back through `upgrade_in_event_loop`.
//! - `clipboard`: copied codes on the system clipboard, marked secret and cleared when unchanged;
//!   `prefs`: the window's settings on this device (`window.json`); `file_chooser`: the
//!   desktop's file dialog through the XDG desktop portal.
//!
//! The rules themselves (PIN strength, key link parsing, codes, the attempt limit) stay in
//! [`otp`] and [`vault`].
//!
//! [`init`] builds the window without running it, so tests (with Slint's testing backend) and
//! the screenshot command can drive the very same app; [`run`] shows it.
//!
//! [`otp`]: crate::otp
//! [`vault`]: crate::vault

/// A Slint callback that reaches the controller through a weak reference and counts as the
/// user's activity: the window owns the callbacks, the controller owns timers that hold the
/// window weakly, and nothing keeps anything else alive.
macro_rules! callback {
    ($controller:expr, |$c:ident $(, $arg:ident)*| $body:expr) => {{
        let weak = std::rc::Rc::downgrade($controller);
        move |$($arg),*| {
            if let Some($c) = weak.upgrade() {
                $c.user_did_something();
                $body
            }
        }
    }};
}

mod adapters;
mod clipboard;
mod controller;
pub mod file_chooser;
mod flow;
pub mod lifecycle;
mod messages;
mod prefs;
mod worker;

pub use lifecycle::Lifecycle;

// The generated code of ui/app.slint: AppWindow and the adapter globals.
#[allow(missing_docs, clippy::all, clippy::todo)]
mod generated {
    slint::include_modules!();
}
pub use generated::*;

use std::path::PathBuf;
use std::rc::Rc;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use slint::ComponentHandle;

use crate::scan::{FrameSource, SourceError};
use crate::vault::KdfCost;
use controller::Controller;

/// The current time in Unix seconds. Injected so tests choose the time the codes are for.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;
/// Opens the camera as a frame source; tests pass recorded frames
/// ([`crate::scan::PlaybackSource`]).
pub type OpenCamera = Arc<dyn Fn() -> Result<Box<dyn FrameSource>, SourceError> + Send + Sync>;

/// What the app needs from the outside world.
#[derive(Clone)]
pub struct Config {
    /// Where the vault lives.
    pub data_dir: PathBuf,
    /// The time the codes are for.
    pub clock: Clock,
    /// The key-derivation cost of new vaults and the range accepted when opening one:
    /// [`KdfCost::STANDARD`] in the app. Tests pass [`KdfCost::insecure_for_tests`] so that
    /// choosing a PIN does not take seconds.
    pub vault_cost: KdfCost,
    /// Where camera frames come from.
    pub open_camera: OpenCamera,
    /// Offer Scan screen and Open image (desktops).
    pub desktop: bool,
    /// The D-Bus session bus whose desktop portal shows the file dialog: the user's (`None`)
    /// or one at an address (tests with a desktop of their own, or none at all).
    pub portal_bus: file_chooser::Bus,
}

impl Config {
    /// The app's configuration: the system clock, real key derivation, the first camera.
    pub fn new(data_dir: PathBuf) -> Self {
        Config {
            data_dir,
            clock: Arc::new(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0)
            }),
            vault_cost: KdfCost::STANDARD,
            open_camera: Arc::new(|| crate::scan::camera::open(None)),
            desktop: cfg!(not(any(target_os = "android", target_os = "ios"))),
            portal_bus: None,
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("desktop", &self.desktop)
            .finish_non_exhaustive()
    }
}

/// The built app: the window and the adapters behind it.
pub struct App {
    window: AppWindow,
    controller: Rc<Controller>,
}

impl App {
    /// The window, for showing it or for tests to find elements in.
    pub fn window(&self) -> &AppWindow {
        &self.window
    }

    /// Handles the worker's replies until every job sent so far is answered, or `timeout`
    /// passes; true when all were. In the app the event loop does this by itself; tests and
    /// the screenshot command, which run no event loop, call it after each action.
    pub fn wait_for_worker(&self, timeout: Duration) -> bool {
        self.controller.wait_for_worker(timeout)
    }

    /// Recomputes the codes, countdowns and auto-lock for the clock's current time (the
    /// once-a-second timer calls this too).
    pub fn tick(&self) {
        self.controller.tick();
    }
}

/// Builds the window and its adapters and starts the worker, without showing anything.
pub fn init(config: Config) -> Result<App, slint::PlatformError> {
    let window = AppWindow::new()?;
    let (job_tx, job_rx) = mpsc::channel();
    let (reply_tx, reply_rx) = mpsc::channel();
    let weak = window.as_weak();
    let wake: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
        // Fails only when no event loop runs (tests drain the replies themselves) or the
        // window is gone; either way there is nobody to tell.
        let _ = weak.upgrade_in_event_loop(|w| w.global::<Nav>().invoke_worker_done());
    });
    let outbox = worker::Outbox {
        replies: reply_tx,
        wake,
    };
    let lock_now = worker::LockNow::default();
    worker::spawn(
        config.data_dir.clone(),
        config.vault_cost,
        job_rx,
        lock_now.clone(),
        outbox.clone(),
    )
    .map_err(|e| slint::PlatformError::Other(format!("cannot start the worker thread: {e}")))?;
    let controller = Controller::new(&window, config, job_tx, lock_now, reply_rx, outbox);
    adapters::connect(&window, &controller);
    controller.start();
    CURRENT.with(|current| *current.borrow_mut() = Rc::downgrade(&controller));
    Ok(App { window, controller })
}

thread_local! {
    /// The app [`lifecycle_event`] reaches: the one built last on this (the UI) thread.
    static CURRENT: std::cell::RefCell<std::rc::Weak<Controller>> =
        const { std::cell::RefCell::new(std::rc::Weak::new()) };
}

/// Tells the app where it stands with the system (see [`Lifecycle`]): the phones' platform
/// glue calls this from the event loop as the system reports pauses and resumes, on the UI
/// thread. False when no app is running on this thread (an event before the window exists,
/// which needs nothing: the app starts locked and uncovered).
pub fn lifecycle_event(event: Lifecycle) -> bool {
    match CURRENT.with(|current| current.borrow().upgrade()) {
        Some(controller) => {
            controller.lifecycle(event);
            true
        }
        None => false,
    }
}

/// The window's application id on Wayland (X11: its `WM_CLASS`): the desktop entry's name,
/// `pocketpass.desktop`, so that docks and task switchers show the entry's name and icon.
pub const APP_ID: &str = "pocketpass";

/// Opens the window and runs until it is closed. `pocketpass` with no command calls this.
pub fn run(config: Config) -> Result<(), slint::PlatformError> {
    let app = init(config)?;
    // Before the window is shown: the backend reads it as it makes the native window.
    slint::set_xdg_app_id(APP_ID)?;
    app.window.run()
}
