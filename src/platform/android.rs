//! Android: the app's start, the vault's folder, `FLAG_SECURE`, and the camera permission.
//!
//! - [`main`] is what `android_main` (in `lib.rs`) runs: it hides the window from screenshots and
//!   the task switcher, finds the vault's folder, and opens the same Slint window as the desktop.
//! - The vault lives in the activity's internal data path, in its `no_backup` folder: private to
//!   the app and left out of Android's backups ([`data_dir`]); `directories` knows no folder on
//!   Android.
//! - The camera permission is a "dangerous" one, so Android asks the user at run time. The
//!   camera source ([`crate::scan::camera::open`]) checks it through JNI, asks for it when it is
//!   missing, and says so; `NativeActivity` does not pass the answer on to native code, but the
//!   activity is paused while the system dialog shows and resumed after, so the permission is
//!   checked again on every resume ([`recheck_camera_permission`]) and the next scan works.
//!   What those checks mean together (asked, declined, refused for good) is the pure state
//!   machine [`CameraPermission`], tested on the desktop; this module only feeds it.
//! - Leaving the foreground locks: the activity's pause and stop events reach the app's flow
//!   through [`crate::ui::lifecycle_event`] (the rule is the flow's, tested on the desktop); a pause
//!   under the app's own permission dialog only covers the screen.
//! - Logs: `tracing` events go to logcat under the tag `pocketpass` ([`init_logging`]), as do
//!   this module's own errors. No event carries a secret: the library never logs keys, PINs or
//!   codes (CONTRIBUTING.md's rule), and only levels from `info` up are written.

use super::permission::{CameraPermission, Check, Next};
use crate::scan::camera::Permission;
use android_activity::{AndroidApp, WindowManagerFlags};
use jni::objects::{JObject, JObjectArray, JString};
use jni::{jni_sig, jni_str, Env, JValue, JavaVM};
use ndk_sys::android_LogPriority as Priority;
use std::ffi::{c_int, CString};
use std::path::PathBuf;
use std::sync::Mutex;

// liblog, for `__android_log_write`; ndk-sys declares it but does not link it.
#[link(name = "log")]
extern "C" {}

/// The permission the camera needs.
pub const CAMERA: &str = "android.permission.CAMERA";

/// `PackageManager.PERMISSION_GRANTED`.
const PERMISSION_GRANTED: i32 = 0;
/// Our request code for `requestPermissions`; nothing reads the answer but the re-check.
const CAMERA_REQUEST: i32 = 7;

/// The camera permission's state: checked on the activity's thread (at start and each resume)
/// and on the thread that opens the camera.
static CAMERA_PERMISSION: Mutex<CameraPermission> = Mutex::new(CameraPermission::NotAsked);

/// Locks the permission's state; a panic elsewhere while it was held leaves a valid state.
fn permission_state() -> std::sync::MutexGuard<'static, CameraPermission> {
    CAMERA_PERMISSION
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs the app: called once per process by `android_main`, returns when the activity is
/// destroyed.
pub fn main(app: AndroidApp) {
    init_logging();
    secure_window(&app);
    let Some(dir) = data_dir(&app) else {
        log_error("the activity has no internal data path; the vault has nowhere to live");
        return;
    };
    recheck_camera_permission();
    // The camera source (domain code) gets the permission check and the logger from here,
    // rather than calling into the platform glue itself.
    crate::scan::camera::set_platform_hooks(crate::scan::camera::PlatformHooks {
        ensure_permission: ensure_camera_permission,
        log_warning,
        display_rotation,
    });
    run(app, dir);
}

/// Starts Slint's Android backend and opens the window: only with the `android-backend` feature,
/// which android/build.sh turns on (the backend's build needs the SDK, see android/README.md).
#[cfg(feature = "android-backend")]
fn run(app: AndroidApp, dir: PathBuf) {
    use crate::ui::lifecycle::{self, ActivityEvent};
    use android_activity::{MainEvent, PollEvent};
    // Called on the UI thread by Slint's event loop, for every event of the activity.
    let listener = |event: &PollEvent<'_>| {
        let event = match event {
            PollEvent::Main(MainEvent::Pause) => ActivityEvent::Pause,
            PollEvent::Main(MainEvent::Stop) => ActivityEvent::Stop,
            PollEvent::Main(MainEvent::Resume { .. }) => {
                // The answer to a permission request shows now: check it before the app
                // (which may start the camera again) hears of the resume.
                recheck_camera_permission();
                ActivityEvent::Resume
            }
            _ => return,
        };
        let asking = matches!(camera_permission(), CameraPermission::Asking { .. });
        crate::ui::lifecycle_event(lifecycle::android(event, asking));
    };
    if let Err(e) = slint::android::init_with_event_listener(app, listener) {
        log_error(&format!("cannot start Slint's Android backend: {e}"));
        return;
    }
    if let Err(e) = crate::ui::run(crate::ui::Config::new(dir)) {
        log_error(&format!("the window failed: {e}"));
    }
}

/// Without the `android-backend` feature (CI's type-checks, with or without `ui`) Slint has no
/// backend to draw with, so there is no window to open: the app says so in logcat and returns,
/// which ends the activity. android/build.sh always turns the feature on.
#[cfg(not(feature = "android-backend"))]
fn run(_app: AndroidApp, dir: PathBuf) {
    log_error(&format!(
        "built without the android-backend feature: Slint has no backend, no window to show \
         (vault folder {}); build with android/build.sh",
        dir.display()
    ));
}

/// Sets `FLAG_SECURE` on the activity's window: the system leaves it out of screenshots, screen
/// recordings and the task switcher's thumbnails, so no code is seen there. android-activity
/// asks `NativeActivity` to set the flag on its UI thread, as `Window.setFlags` requires.
pub fn secure_window(app: &AndroidApp) {
    app.set_window_flags(WindowManagerFlags::SECURE, WindowManagerFlags::empty());
}

/// The vault's folder: `vault/` in the app's internal `no_backup` folder
/// (`Context.getNoBackupFilesDir()`, beside the `files` folder of the internal data path).
///
/// Not `files/` itself: Android's Auto Backup copies `files/` to the user's cloud account and to
/// new phones, and a copied vault is a second authenticator the user does not know about, open
/// to offline PIN guessing. Moving keys is what `export` is for. (cargo-apk cannot set
/// `android:allowBackup="false"` in the manifest, so the folder does the job.)
pub fn data_dir(app: &AndroidApp) -> Option<PathBuf> {
    let no_backup = no_backup_files_dir().or_else(|e| {
        log_warning(&format!(
            "getNoBackupFilesDir failed ({e}); using the same path by convention"
        ));
        // AOSP's ContextImpl puts it at `<data dir>/no_backup`, the parent of `files/`.
        let files = app.internal_data_path().ok_or(())?;
        Ok::<_, ()>(files.parent().ok_or(())?.join("no_backup"))
    });
    no_backup.ok().map(|dir| dir.join("vault"))
}

/// `activity.getNoBackupFilesDir().getAbsolutePath()` (API 21 and later).
fn no_backup_files_dir() -> Result<PathBuf, String> {
    with_activity(|env, activity| {
        let file = env
            .call_method(
                activity,
                jni_str!("getNoBackupFilesDir"),
                jni_sig!("()Ljava/io/File;"),
                &[],
            )?
            .l()?;
        let path = env
            .call_method(
                &file,
                jni_str!("getAbsolutePath"),
                jni_sig!("()Ljava/lang/String;"),
                &[],
            )?
            .l()?;
        let path = env.cast_local::<JString>(path)?;
        Ok(PathBuf::from(path.try_to_string(env)?))
    })
}

/// The camera permission's state as last checked (at start, on each resume, and at each
/// camera open).
pub fn camera_permission() -> CameraPermission {
    *permission_state()
}

/// What Android says about the camera permission now; a failed check counts as not granted.
fn check_camera() -> Check {
    let granted = has_permission(CAMERA).unwrap_or_else(|e| {
        log_warning(&format!("cannot check the camera permission: {e}"));
        false
    });
    let show_rationale = !granted
        && should_show_rationale(CAMERA).unwrap_or_else(|e| {
            log_warning(&format!(
                "cannot ask whether to explain the camera permission: {e}"
            ));
            false
        });
    Check {
        granted,
        show_rationale,
    }
}

/// Checks the camera permission again (at start, and on each resume, which is when the answer
/// to a request arrives); true when granted.
pub fn recheck_camera_permission() -> bool {
    let check = check_camera();
    let mut state = permission_state();
    *state = state.checked(check);
    state.is_granted()
}

/// Makes sure the camera may be used: granted, or else asked for when a dialog would still show
/// (it shows over the app; the caller tells the user to answer it, and the next scan after the
/// answer works), or refused for good (the caller points to the system settings).
pub fn ensure_camera_permission() -> Permission {
    let check = check_camera();
    let next = {
        let mut state = permission_state();
        let (new, next) = state.open(check);
        *state = new;
        next
    };
    match next {
        Next::Open => Permission::Granted,
        Next::Ask => match request_permission(CAMERA) {
            Ok(()) => Permission::Asked,
            Err(e) => {
                log_warning(&format!("cannot ask for the camera permission: {e}"));
                Permission::Refused
            }
        },
        Next::Refuse => {
            log_warning(
                "the camera permission was refused for good; only the app's settings can grant it",
            );
            Permission::Refused
        }
    }
}

/// `activity.checkSelfPermission(name) == PERMISSION_GRANTED` (API 23 and later).
pub fn has_permission(name: &str) -> Result<bool, String> {
    with_activity(|env, activity| {
        let name = env.new_string(name)?;
        let status = env
            .call_method(
                activity,
                jni_str!("checkSelfPermission"),
                jni_sig!("(Ljava/lang/String;)I"),
                &[JValue::Object(&name)],
            )?
            .i()?;
        Ok(status == PERMISSION_GRANTED)
    })
}

/// How far the display is turned from its natural orientation, in degrees clockwise:
/// `activity.getWindowManager().getDefaultDisplay().getRotation()` (a `Surface.ROTATION_*`
/// constant, 0 to 3 quarter turns); `None` when it cannot be read. `getDefaultDisplay` is
/// deprecated from API 30 but still answers, and its replacement `getDisplay` needs API 30.
pub fn display_rotation() -> Option<i32> {
    let rotation = with_activity(|env, activity| {
        let manager = env
            .call_method(
                activity,
                jni_str!("getWindowManager"),
                jni_sig!("()Landroid/view/WindowManager;"),
                &[],
            )?
            .l()?;
        let display = env
            .call_method(
                &manager,
                jni_str!("getDefaultDisplay"),
                jni_sig!("()Landroid/view/Display;"),
                &[],
            )?
            .l()?;
        env.call_method(&display, jni_str!("getRotation"), jni_sig!("()I"), &[])?
            .i()
    });
    match rotation {
        Ok(quarter_turns @ 0..=3) => Some(quarter_turns * 90),
        Ok(other) => {
            log_warning(&format!("the display reports an unknown rotation {other}"));
            None
        }
        Err(e) => {
            log_warning(&format!("cannot read the display's rotation: {e}"));
            None
        }
    }
}

/// `activity.shouldShowRequestPermissionRationale(name)` (API 23 and later): true once the user
/// has declined and a request would still show the dialog.
pub fn should_show_rationale(name: &str) -> Result<bool, String> {
    with_activity(|env, activity| {
        let name = env.new_string(name)?;
        env.call_method(
            activity,
            jni_str!("shouldShowRequestPermissionRationale"),
            jni_sig!("(Ljava/lang/String;)Z"),
            &[JValue::Object(&name)],
        )?
        .z()
    })
}

/// `activity.requestPermissions(new String[] { name }, CAMERA_REQUEST)`: shows the system's
/// permission dialog (or nothing, when the user chose "don't ask again").
pub fn request_permission(name: &str) -> Result<(), String> {
    with_activity(|env, activity| {
        let name: JString = env.new_string(name)?;
        let names = JObjectArray::<JString>::new(env, 1, &name)?;
        env.call_method(
            activity,
            jni_str!("requestPermissions"),
            jni_sig!("([Ljava/lang/String;I)V"),
            &[JValue::Object(&names), JValue::Int(CAMERA_REQUEST)],
        )?;
        Ok(())
    })
}

/// Runs `f` with a JNI environment attached to this thread and the activity.
fn with_activity<T>(
    f: impl FnOnce(&mut Env<'_>, &JObject<'_>) -> jni::errors::Result<T>,
) -> Result<T, String> {
    let context = ndk_context::android_context();
    if context.vm().is_null() || context.context().is_null() {
        return Err("no Java VM or activity (not started by android_main?)".to_owned());
    }
    let vm = JavaVM::singleton().unwrap_or_else(|_| {
        // SAFETY: android-activity stores the process's JavaVM pointer in ndk-context before
        // android_main runs (checked non-null above); the VM lives as long as the process.
        unsafe { JavaVM::from_raw(context.vm().cast()) }
    });
    let activity_ptr = context.context().cast();
    vm.attach_current_thread(|env| {
        // SAFETY: ndk-context holds a global reference to the activity, which android-activity
        // keeps until the process ends; it is only borrowed here, never deleted.
        let activity = unsafe { env.as_cast_raw::<JObject>(&activity_ptr)? };
        f(env, &activity)
    })
    .map_err(|e: jni::errors::Error| e.to_string())
}

/// Sends the library's `tracing` events (`info` and up) to logcat under the tag `pocketpass`,
/// each at the priority of its level; once per process (a later call changes nothing).
pub fn init_logging() {
    use tracing_subscriber::filter::LevelFilter;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::Layer;
    let layer = paranoid_android::layer("pocketpass").with_filter(LevelFilter::INFO);
    let subscriber = tracing_subscriber::registry().with(layer);
    if tracing::subscriber::set_global_default(subscriber).is_err() {
        log_warning("a tracing subscriber was already set; tracing goes there, not to logcat");
    }
}

/// Writes an error to logcat under the tag `pocketpass`.
pub fn log_error(message: &str) {
    logcat(Priority::ANDROID_LOG_ERROR, message);
}

/// Writes a warning to logcat under the tag `pocketpass`.
pub fn log_warning(message: &str) {
    logcat(Priority::ANDROID_LOG_WARN, message);
}

fn logcat(priority: Priority, message: &str) {
    let text = CString::new(message.replace('\0', " ")).unwrap_or_default();
    // SAFETY: the tag and the text are NUL-terminated strings that outlive the call.
    unsafe {
        ndk_sys::__android_log_write(priority.0 as c_int, c"pocketpass".as_ptr(), text.as_ptr())
    };
}
