//! iOS: the vault under Application Support, excluded from backups; logs to the unified log;
//! the choice of Slint's backend, and the app's resign-active and become-active.
//!
//! The vault is encrypted, but a key that can be restored onto another phone is a second
//! authenticator the user does not know about; so the folder is marked with
//! `NSURLIsExcludedFromBackupKey` (neither iCloud nor a computer backup takes it). Moving keys
//! to a new phone is what `export` is for: the file the user exports lies wherever they put it.
//!
//! Logs: [`init_logging`] sends `tracing` events to the unified log (Console.app, `log stream`)
//! through `NSLog`. No event carries a secret: the library never logs keys, PINs or codes
//! (CONTRIBUTING.md's rule), and only levels from `info` up are written. Not through
//! tracing-oslog: its build compiles C against Xcode's `os/log.h`, so CI's iOS check (no
//! Xcode) could not compile it; `NSLog` is a plain Foundation function.

use objc2_foundation::{NSNumber, NSString, NSURLIsExcludedFromBackupKey, NSURL};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::Context;

// Foundation (linked by objc2-foundation): NSLog writes to the unified log, and to standard
// error when one is attached (Xcode's console).
extern "C" {
    fn NSLog(format: *const NSString, ...);
}

/// The vault's folder: `Library/Application Support/pocketpass` in the app's container (what
/// [`crate::vault::default_data_dir`] gives on Apple systems, where the container is `$HOME`).
pub fn data_dir() -> Option<PathBuf> {
    crate::vault::default_data_dir()
}

/// Creates `dir` if needed and excludes it, and so everything in it, from backups.
pub fn prepare_data_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let path = NSString::from_str(&dir.to_string_lossy());
    let url = NSURL::fileURLWithPath_isDirectory(&path, true);
    let yes = NSNumber::numberWithBool(true);
    // SAFETY: the key is an immutable NSString constant that Foundation exports, and the value
    // it documents is a boolean NSNumber, which is what is passed.
    let result =
        unsafe { url.setResourceValue_forKey_error(Some(&yes), NSURLIsExcludedFromBackupKey) };
    result.map_err(|e| std::io::Error::other(e.localizedDescription().to_string()))
}

/// Prepares the default vault folder at start-up; the app still starts when this fails (the
/// vault code reports a folder it cannot use), so a failure is only logged.
pub fn prepare_default_data_dir() {
    if let Some(dir) = data_dir() {
        if let Err(e) = prepare_data_dir(&dir) {
            tracing::warn!(dir = %dir.display(), "cannot exclude the vault folder from backups: {e}");
        }
    }
}

/// Sends the library's `tracing` events (`info` and up) to the unified log; once per process
/// (a later call changes nothing).
pub fn init_logging() {
    use tracing_subscriber::filter::LevelFilter;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::Layer;
    let subscriber = tracing_subscriber::registry().with(UnifiedLog.with_filter(LevelFilter::INFO));
    // Fails only when a subscriber is already set, and then events go there.
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// The `tracing` layer that writes each event as one `NSLog` line.
#[derive(Debug, Clone, Copy)]
pub struct UnifiedLog;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for UnifiedLog {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut line = format!("{} {}:", meta.level(), meta.target());
        event.record(&mut LineVisitor(&mut line));
        let text = NSString::from_str(&line.replace('\0', " "));
        let format = NSString::from_str("%@");
        // SAFETY: the format is "%@", which takes exactly one Objective-C object, and the one
        // argument is a live NSString; both outlive the call.
        unsafe { NSLog(&*format, &*text as *const NSString) };
    }
}

/// Appends an event's fields to its log line: the message as it is, the others as
/// ` name=value`.
struct LineVisitor<'a>(&'a mut String);

impl Visit for LineVisitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = if field.name() == "message" {
            write!(self.0, " {value:?}")
        } else {
            write!(self.0, " {}={value:?}", field.name())
        };
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        let _ = if field.name() == "message" {
            write!(self.0, " {value}")
        } else {
            write!(self.0, " {}={value}", field.name())
        };
    }
}

/// Chooses Slint's backend before the first window: winit with the Skia renderer, as Slint's
/// iOS guide has it (with the `ios-backend` feature, which ios/build.sh turns on).
///
/// The backend also reports the app's activity to the flow: winit's `suspended` is UIKit's
/// `applicationWillResignActive`, which comes before the task switcher takes its snapshot, and
/// the app covers its window and locks then; `resumed` (`applicationDidBecomeActive`) takes
/// the cover away.
#[cfg(feature = "ios-backend")]
pub fn select_slint_backend() -> Result<(), String> {
    slint::BackendSelector::new()
        .backend_name("winit".into())
        .renderer_name("skia".into())
        .with_winit_custom_application_handler(ActiveEvents)
        .select()
        .map_err(|e| format!("cannot start Slint's winit backend with Skia: {e}"))
}

/// Hands UIKit's resign-active and become-active to the app (see [`select_slint_backend`]).
#[cfg(feature = "ios-backend")]
struct ActiveEvents;

#[cfg(feature = "ios-backend")]
impl slint::winit_030::CustomApplicationHandler for ActiveEvents {
    fn suspended(
        &mut self,
        _event_loop: &slint::winit_030::winit::event_loop::ActiveEventLoop,
    ) -> slint::winit_030::EventResult {
        crate::ui::lifecycle_event(crate::ui::Lifecycle::Background);
        slint::winit_030::EventResult::Propagate
    }

    fn resumed(
        &mut self,
        _event_loop: &slint::winit_030::winit::event_loop::ActiveEventLoop,
    ) -> slint::winit_030::EventResult {
        crate::ui::lifecycle_event(crate::ui::Lifecycle::Foreground);
        slint::winit_030::EventResult::Propagate
    }
}

/// Without the `ios-backend` feature (CI's type-check) Slint has no backend on iOS, so no
/// window can open: this says so, and the caller stops. ios/build.sh always turns it on.
#[cfg(not(feature = "ios-backend"))]
pub fn select_slint_backend() -> Result<(), String> {
    Err(
        "built without the ios-backend feature: Slint has no backend, no window can open; \
         build with ios/build.sh"
            .to_owned(),
    )
}
