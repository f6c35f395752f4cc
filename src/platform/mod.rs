//! What the phones need besides the domain modules (issue 7): the Android entry point and its
//! glue (the vault's folder, `FLAG_SECURE`, the camera permission, logcat), and the iOS vault
//! folder and unified log.
//!
//! [`permission`] is the camera permission's flow as a pure state machine, compiled everywhere
//! so that it is tested on the desktop; the Android glue drives it.
//!
//! The camera frame sources themselves live with the other sources in [`crate::scan`]
//! (`scan/android_camera.rs`); this module holds no domain logic. `android/README.md` and
//! `ios/README.md` say how the apps are built and what has been verified.

#[cfg(target_os = "android")]
pub mod android;
pub mod permission;
#[cfg(target_os = "ios")]
pub mod ios;
