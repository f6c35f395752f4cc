//! Pocket Pass: an open-source authenticator.
//!
//! Modules in reading order: [`otp`] turns what a portal's QR code carries into accounts and
//! codes, [`vault`] keeps those accounts encrypted under the user's PIN, [`scan`] reads QR codes
//! from frames, [`transfer`] reads and writes other apps' exports, [`clock`] measures this
//! device's clock against a portal or an NTP server, [`ui`] is the app's window on top of
//! them, and [`cli`] offers all of it as terminal commands. [`platform`] holds what Android and iOS need besides (issue 7), and
//! [`text`] makes text from outside (a key's name) safe to show.
pub mod otp;
pub mod vault;
pub mod scan;
pub mod transfer;
pub mod clock;
#[cfg(feature = "ui")]
pub mod ui;
#[cfg(feature = "ui")]
pub mod cli;
pub mod platform;
pub mod text;

/// The Android entry point, called by android-activity's `NativeActivity` glue on a thread of
/// its own once the activity is created. See [`platform::android::main`].
#[cfg(target_os = "android")]
#[unsafe(no_mangle)]
fn android_main(app: android_activity::AndroidApp) {
    platform::android::main(app);
}
