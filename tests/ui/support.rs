//! The test harness: an app on a temporary data folder with a settable clock.
//!
//! Shared with the end-to-end test (`portal/tests/e2e/main.rs`), which also draws the screens;
//! each test binary uses a part of it.
#![allow(dead_code)]

use std::cell::Cell;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use i_slint_backend_testing::{ElementHandle, ElementRoot};
use pocketpass::otp::{parse_key_link, Account, KeyLink};
use pocketpass::scan::{FrameSource, LumaFrame, PlaybackSource, SourceError};
use pocketpass::ui::{App, Config, Nav, OpenCamera, Screen};
use pocketpass::vault::{KdfCost, Pin, Vault};
use slint::ComponentHandle;
use tempfile::TempDir;

/// PBKDF2 iterations for test vaults: cheap, and only through the test-only constructor.
pub const TEST_ITERATIONS: u32 = 1_000;

/// The RFC 6238 test key ("12345678901234567890"), as the portal would send it, six digits.
pub const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// The portal's activation QR for token `name`, with an expiry date.
pub fn portal_link(name: &str, expires: &str) -> String {
    format!(
        "otpauth://totp/HPC%20Centre:{name}?secret={RFC_SECRET}&issuer=HPC%20Centre\
         &algorithm=SHA1&digits=6&period=30&expires={expires}"
    )
}

pub fn account(link: &str) -> Account {
    match parse_key_link(link).expect("a valid test link") {
        KeyLink::Account(a) => a,
        KeyLink::Migration(_) => panic!("not a single key"),
    }
}

/// A camera frame (640×480, grey background) showing a QR code of `text`.
pub fn qr_frame(text: &str) -> LumaFrame {
    let code = qrcode::QrCode::new(text.as_bytes()).expect("fits in a QR code");
    let modules = code.width();
    let colors = code.to_colors();
    let (w, h, scale) = (640usize, 480usize, 6usize);
    let size = (modules + 8) * scale;
    let (x0, y0) = ((w - size) / 2, (h - size) / 2);
    let mut data = vec![150u8; w * h];
    for y in 0..size {
        for x in 0..size {
            let (mx, my) = ((x / scale) as isize - 4, (y / scale) as isize - 4);
            let dark = mx >= 0
                && my >= 0
                && (mx as usize) < modules
                && (my as usize) < modules
                && colors[my as usize * modules + mx as usize] == qrcode::Color::Dark;
            data[(y0 + y) * w + x0 + x] = if dark { 20 } else { 235 };
        }
    }
    LumaFrame::new(w, h, data).expect("sizes match")
}

/// A PNG of the QR code of `text`, 6 pixels a module, with a white margin.
pub fn write_qr_png(text: &str, path: &Path) {
    let code = qrcode::QrCode::new(text.as_bytes()).expect("fits in a QR code");
    let modules = code.width();
    let colors = code.to_colors();
    let (scale, margin) = (6usize, 4usize);
    let side = (modules + 2 * margin) * scale;
    let picture = image::GrayImage::from_fn(side as u32, side as u32, |x, y| {
        let (mx, my) = (x as usize / scale, y as usize / scale);
        let dark = mx >= margin
            && my >= margin
            && mx - margin < modules
            && my - margin < modules
            && colors[(my - margin) * modules + mx - margin] == qrcode::Color::Dark;
        image::Luma([if dark { 0 } else { 255 }])
    });
    picture.save(path).expect("the PNG is written");
}

/// A frame with nothing in it, as a camera shows before the code is in view.
pub fn empty_frame() -> LumaFrame {
    LumaFrame::new(640, 480, vec![128; 640 * 480]).expect("sizes match")
}

/// A vault in `dir` under `pin` holding `accounts`, as an earlier run of the app left it.
fn write_vault(dir: &Path, pin: &str, accounts: Vec<Account>) {
    let mut vault = Vault::create_insecure_for_tests(dir, &Pin::entered(pin), TEST_ITERATIONS)
        .expect("test vault");
    for account in accounts {
        vault.add(account).expect("account added");
    }
}

thread_local! {
    /// The portal bus the next app on this thread uses (see [`Harness::with_portal`]).
    static PORTAL_BUS: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Runs `start`, whose apps show their file dialogs through the desktop portal on the D-Bus bus
/// at `portal_bus` (a desktop the test started) instead of none.
pub fn on_portal<T>(portal_bus: String, start: impl FnOnce() -> T) -> T {
    PORTAL_BUS.with(|bus| *bus.borrow_mut() = Some(portal_bus));
    let started = start();
    PORTAL_BUS.with(|bus| bus.borrow_mut().take());
    started
}

/// The frames the next camera opened will play.
type Camera = Arc<Mutex<Option<Vec<LumaFrame>>>>;

/// How the testing backend shows windows: a mock renderer (fixed font metrics, nothing drawn,
/// the cheapest), or Slint's software renderer, so screens can be saved as pictures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Mock,
    Drawn,
}

/// Sets up the testing backend of this thread once; every app on a thread uses the same.
fn init_backend(backend: Backend) {
    thread_local!(static BACKEND: Cell<Option<Backend>> = const { Cell::new(None) });
    BACKEND.with(|b| match b.get() {
        Some(set) => assert_eq!(set, backend, "one testing backend per test thread"),
        None => {
            let renderer_name = (backend == Backend::Drawn).then(|| "software".into());
            slint::platform::set_platform(Box::new(i_slint_backend_testing::TestingBackend::new(
                i_slint_backend_testing::TestingBackendOptions {
                    mock_time: true,
                    threading: false,
                    renderer_name,
                },
            )))
            .expect("no other Slint platform on this thread");
            b.set(Some(backend));
        }
    });
}

/// Which kind of device the app is told it runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    /// `Config::desktop`: the Scan screen and Open image, keyboards with letters.
    Desktop,
    /// What Android and iOS get: the number keyboard for PINs, touch-sized buttons, the camera
    /// started as Scan barcode opens.
    Phone,
}

pub struct Harness {
    pub app: App,
    pub dir: TempDir,
    clock: Arc<AtomicU64>,
    camera: Camera,
}

impl Harness {
    /// A new app on an empty data folder, at `now`, whose camera plays `frames`.
    pub fn new(now: u64, frames: Vec<LumaFrame>) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        Self::on(dir, now, frames)
    }

    /// A new app on `dir` as it is (a later start when it holds a vault).
    pub fn on(dir: TempDir, now: u64, frames: Vec<LumaFrame>) -> Self {
        Self::start(dir, now, frames, Backend::Mock, None, Device::Desktop)
    }

    /// [`Harness::on`] as a phone runs it (see [`Device::Phone`]), at 360×800.
    pub fn phone_on(dir: TempDir, now: u64, frames: Vec<LumaFrame>) -> Self {
        let h = Self::start(dir, now, frames, Backend::Mock, None, Device::Phone);
        h.app
            .window()
            .window()
            .set_size(slint::LogicalSize::new(360.0, 800.0));
        h.settle();
        h
    }

    /// A phone at first start, whose camera plays `frames`.
    pub fn phone(now: u64, frames: Vec<LumaFrame>) -> Self {
        Self::phone_on(tempfile::tempdir().expect("temporary folder"), now, frames)
    }

    /// A phone at a later start, on a vault under `pin` holding `links`.
    pub fn phone_with_vault(now: u64, pin: &str, links: &[String]) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        write_vault(dir.path(), pin, links.iter().map(|l| account(l)).collect());
        Self::phone_on(dir, now, Vec::new())
    }

    /// A new app on an empty data folder, at `now`, drawn by the software renderer so that
    /// [`Harness::save_screen`] works; its camera plays what [`Harness::show_camera`] gives.
    pub fn drawn(now: u64) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        Self::start(dir, now, Vec::new(), Backend::Drawn, None, Device::Desktop)
    }

    /// A new app on an empty data folder whose camera cannot be opened, failing with `error`.
    pub fn camera_fails(now: u64, error: fn() -> SourceError) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let camera: OpenCamera = Arc::new(move || Err(error()));
        Self::start(
            dir,
            now,
            Vec::new(),
            Backend::Mock,
            Some(camera),
            Device::Desktop,
        )
    }

    /// The app on `dir` with the real key-derivation cost, so that vaults it makes and opens
    /// are the ones the `pocketpass` binary makes and opens (a terminal beside the window).
    pub fn standard_on(dir: TempDir, now: u64) -> Self {
        let cost = KdfCost::STANDARD;
        Self::start_costed(
            dir,
            now,
            Vec::new(),
            Backend::Mock,
            None,
            Device::Desktop,
            cost,
        )
    }

    /// A new app on an empty data folder whose file dialogs are the desktop portal's on the
    /// D-Bus bus at `portal_bus` (a desktop the test started).
    pub fn with_portal(now: u64, portal_bus: String) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        on_portal(portal_bus, || Self::on(dir, now, Vec::new()))
    }

    /// The app on `dir`; its camera plays `frames` (and what [`Harness::show_camera`] gives
    /// later) unless `open_camera` replaces it.
    fn start(
        dir: TempDir,
        now: u64,
        frames: Vec<LumaFrame>,
        backend: Backend,
        open_camera: Option<OpenCamera>,
        device: Device,
    ) -> Self {
        let cost = KdfCost::insecure_for_tests(TEST_ITERATIONS);
        Self::start_costed(dir, now, frames, backend, open_camera, device, cost)
    }

    /// [`Harness::start`] with vaults made and opened at `cost`.
    fn start_costed(
        dir: TempDir,
        now: u64,
        frames: Vec<LumaFrame>,
        backend: Backend,
        open_camera: Option<OpenCamera>,
        device: Device,
        cost: KdfCost,
    ) -> Self {
        // Each test runs on its own thread, with its own testing backend, set up once.
        init_backend(backend);
        let clock = Arc::new(AtomicU64::new(now));
        let mut config = Config::new(dir.path().to_owned());
        let c = clock.clone();
        config.clock = Arc::new(move || c.load(Ordering::SeqCst));
        config.vault_cost = cost;
        // No test reaches the session's real desktop portal (a developer's desktop would show
        // its dialogs): a bus that is not there, so files are typed, unless a test started a
        // desktop of its own (`with_portal`).
        config.portal_bus = Some(PORTAL_BUS.with(|bus| bus.borrow().clone()).unwrap_or_else(
            || format!("unix:path={}", dir.path().join("no-desktop-bus").display()),
        ));
        config.desktop = device == Device::Desktop;
        let camera: Camera = Arc::new(Mutex::new(Some(frames)));
        let frames = camera.clone();
        config.open_camera = open_camera.unwrap_or_else(|| {
            Arc::new(move || {
                let frames = frames.lock().unwrap().take().unwrap_or_default();
                Ok(Box::new(PlaybackSource::new(frames)) as Box<dyn FrameSource>)
            })
        });
        let app = pocketpass::ui::init(config).expect("the window builds");
        // Tall enough that no control is scrolled out of view (hidden controls are not found).
        app.window()
            .window()
            .set_size(slint::LogicalSize::new(400.0, 3000.0));
        let h = Harness {
            app,
            dir,
            clock,
            camera,
        };
        h.settle();
        h
    }

    /// A later start: a vault under `pin` holding `links`, then the app on it.
    pub fn with_vault(now: u64, pin: &str, links: &[String]) -> Self {
        Self::with_accounts(now, pin, links.iter().map(|l| account(l)).collect())
    }

    /// A later start: a vault under `pin` holding `accounts`, then the app on it.
    pub fn with_accounts(now: u64, pin: &str, accounts: Vec<Account>) -> Self {
        Self::with_accounts_and(now, pin, accounts, |_| {})
    }

    /// [`Harness::with_accounts`], with `prepare` run on the data folder before the app starts
    /// (to leave other files there).
    pub fn with_accounts_and(
        now: u64,
        pin: &str,
        accounts: Vec<Account>,
        prepare: impl FnOnce(&Path),
    ) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        prepare(dir.path());
        write_vault(dir.path(), pin, accounts);
        Self::on(dir, now, Vec::new())
    }

    /// [`Harness::with_vault`], then unlocked with `pin` as the user would.
    pub fn unlocked(now: u64, pin: &str, links: &[String]) -> Self {
        let h = Self::with_vault(now, pin, links);
        h.type_into("PIN", pin);
        h.press("Unlock");
        h
    }

    /// Closes the app and starts it again on the same data folder, at the same time (a later
    /// start, as after the window was closed).
    pub fn restart(self) -> Self {
        let Harness {
            app, dir, clock, ..
        } = self;
        let now = clock.load(Ordering::SeqCst);
        drop(app);
        Self::on(dir, now, Vec::new())
    }

    /// Waits for the worker and lets Slint instantiate what changed.
    pub fn settle(&self) {
        assert!(
            self.app.wait_for_worker(Duration::from_secs(60)),
            "the worker did not answer"
        );
        i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(1));
    }

    pub fn set_time(&self, now: u64) {
        self.clock.store(now, Ordering::SeqCst);
    }

    /// What the camera will show the next time the app opens it.
    pub fn show_camera(&self, frames: Vec<LumaFrame>) {
        *self.camera.lock().unwrap() = Some(frames);
    }

    /// The code on the screen now, digits only ("287 082" → "287082"), read from the code
    /// element's accessible label; fails listing the screen when none is shown.
    pub fn shown_code(&self) -> String {
        self.labels()
            .iter()
            .find_map(|l| l.strip_prefix("Code "))
            .map(|digits| digits.chars().filter(char::is_ascii_digit).collect())
            .unwrap_or_else(|| {
                panic!(
                    "no code on {:?}; labels: {:?}",
                    self.screen(),
                    self.labels()
                )
            })
    }

    /// Saves the screen as a phone shows it (360×800 logical pixels) to `path` (PNG). Needs an
    /// app from [`Harness::drawn`]. (The testing backend draws at scale 1 only.)
    pub fn save_screen(&self, path: &Path) {
        let window = self.app.window().window();
        window.set_size(slint::LogicalSize::new(360.0, 800.0));
        i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(1));
        let shot = window.take_snapshot();
        window.set_size(slint::LogicalSize::new(400.0, 3000.0));
        i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(1));
        let shot = shot.expect("the screen is drawn (an app from Harness::drawn)");
        image::save_buffer(
            path,
            shot.as_bytes(),
            shot.width(),
            shot.height(),
            image::ColorType::Rgba8,
        )
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    /// Lets `seconds` pass on the clock and on Slint's timers (the once-a-second tick).
    pub fn wait(&self, seconds: u64) {
        for _ in 0..seconds {
            self.clock.fetch_add(1, Ordering::SeqCst);
            i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(1));
        }
        self.settle();
    }

    pub fn screen(&self) -> Screen {
        self.app.window().global::<Nav>().get_screen()
    }

    /// Every element labelled `label` on the screen now.
    pub fn all(&self, label: &str) -> Vec<ElementHandle> {
        ElementHandle::find_by_accessible_label(self.app.window(), label).collect()
    }

    pub fn has(&self, label: &str) -> bool {
        !self.all(label).is_empty()
    }

    /// The element labelled `label`; fails listing the screen when there is none.
    pub fn find(&self, label: &str) -> ElementHandle {
        self.all(label).into_iter().next().unwrap_or_else(|| {
            panic!(
                "no element labelled {label:?} on {:?}; labels: {:?}",
                self.screen(),
                self.labels()
            )
        })
    }

    /// Every accessible label on the screen now (for failure messages).
    pub fn labels(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for e in self
            .app
            .window()
            .root_element()
            .query_descendants()
            .match_predicate(|e| e.accessible_label().is_some_and(|l| !l.is_empty()))
            .find_all()
        {
            let label = e.accessible_label().unwrap_or_default().to_string();
            if !out.contains(&label) {
                out.push(label);
            }
        }
        out
    }

    /// Presses the control labelled `label` and waits for what it started.
    pub fn press(&self, label: &str) {
        self.find(label).invoke_accessible_default_action();
        self.settle();
    }

    /// Types `text` into the field labelled `label` (replacing what it held).
    pub fn type_into(&self, label: &str, text: &str) {
        let field = self
            .all(label)
            .into_iter()
            .find(|e| {
                e.accessible_role() == Some(i_slint_backend_testing::AccessibleRole::TextInput)
            })
            .unwrap_or_else(|| {
                panic!(
                    "no text field labelled {label:?}; labels: {:?}",
                    self.labels()
                )
            });
        field.set_accessible_value(text);
        i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(1));
    }

    /// The text of the notice (error or warning) strips on screen.
    pub fn notices(&self) -> Vec<String> {
        ElementHandle::find_by_element_type_name(self.app.window(), "Notice")
            .filter_map(|n| n.accessible_label())
            .map(|l| l.to_string())
            .collect()
    }
}

/// The label of the code element for `code` ("287 082" → "Code 2 8 7 0 8 2").
pub fn code_label(code: &str) -> String {
    let digits: Vec<String> = code
        .chars()
        .filter(char::is_ascii_digit)
        .map(String::from)
        .collect();
    format!("Code {}", digits.join(" "))
}
