//! What the phones need besides the domain modules (issue 7): the Android entry point and its
//! glue (the vault's folder, `FLAG_SECURE`, the camera permission), and the iOS vault folder.
//!
//! The camera frame sources themselves live with the other sources in [`crate::scan`]
//! (`scan/android_camera.rs`); this module holds no domain logic. `android/README.md` and
//! `ios/README.md` say how the apps are built and what has been verified.

#[cfg(target_os = "android")]
pub mod android;
#[cfg(target_os = "ios")]
pub mod ios;
