//! The Android app's shared library. Everything is in the `pocketpass` library: its
//! `android_main` (src/lib.rs) is the entry point `NativeActivity` calls. Naming the crate here
//! links it in, and rustc keeps the `#[no_mangle]` symbols of linked crates in a cdylib.
extern crate pocketpass;
