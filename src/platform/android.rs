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

use android_activity::{AndroidApp, WindowManagerFlags};
use jni::objects::{JObject, JObjectArray, JString};
use jni::{jni_sig, jni_str, Env, JValue, JavaVM};
use ndk_sys::android_LogPriority as Priority;
use std::ffi::{c_int, CString};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

// liblog, for `__android_log_write`; ndk-sys declares it but does not link it.
#[link(name = "log")]
extern "C" {}

/// The permission the camera needs.
pub const CAMERA: &str = "android.permission.CAMERA";

/// `PackageManager.PERMISSION_GRANTED`.
const PERMISSION_GRANTED: i32 = 0;
/// Our request code for `requestPermissions`; nothing reads the answer but the re-check.
const CAMERA_REQUEST: i32 = 7;

/// The camera permission as last checked.
static CAMERA_GRANTED: AtomicBool = AtomicBool::new(false);

/// Runs the app: called once per process by `android_main`, returns when the activity is
/// destroyed.
pub fn main(app: AndroidApp) {
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
    });
    run(app, dir);
}

#[cfg(feature = "ui")]
fn run(app: AndroidApp, dir: PathBuf) {
    use android_activity::{MainEvent, PollEvent};
    let listener = |event: &PollEvent<'_>| {
        if let PollEvent::Main(MainEvent::Resume { .. }) = event {
            recheck_camera_permission();
        }
    };
    if let Err(e) = slint::android::init_with_event_listener(app, listener) {
        log_error(&format!("cannot start Slint's Android backend: {e}"));
        return;
    }
    if let Err(e) = crate::ui::run(crate::ui::Config::new(dir)) {
        log_error(&format!("the window failed: {e}"));
    }
}

/// Without the `ui` feature (the type-check builds in CI) there is no window to open.
#[cfg(not(feature = "ui"))]
fn run(_app: AndroidApp, dir: PathBuf) {
    log_error(&format!(
        "built without the ui feature: no window to show (vault folder {})",
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

/// The camera permission as last checked (at start, on each resume, and at each camera open).
pub fn camera_permission() -> bool {
    CAMERA_GRANTED.load(Ordering::Relaxed)
}

/// Checks the camera permission again and remembers the answer; false when the check failed.
pub fn recheck_camera_permission() -> bool {
    let granted = match has_permission(CAMERA) {
        Ok(granted) => granted,
        Err(e) => {
            log_warning(&format!("cannot check the camera permission: {e}"));
            false
        }
    };
    CAMERA_GRANTED.store(granted, Ordering::Relaxed);
    granted
}

/// Makes sure the camera may be used: true when it may; otherwise asks the user (the system
/// dialog shows over the app) and returns false; the caller tells the user to try again once
/// they have answered.
pub fn ensure_camera_permission() -> bool {
    if recheck_camera_permission() {
        return true;
    }
    if let Err(e) = request_permission(CAMERA) {
        log_warning(&format!("cannot ask for the camera permission: {e}"));
    }
    false
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

/// Writes an error to logcat under the tag `pocketpass` (nothing routes `tracing` there).
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
