//! The app's screens, driven as a person would: by the accessible labels a screen reader
//! announces, on Slint's headless testing backend, with real vault files in a temporary
//! folder, recorded camera frames, and a clock the tests set.
//!
//! - `install`: first start, Scan barcode (camera, link, manual entry), Key found, Choose a
//!   PIN, Key installed, the code screen.
//! - `unlock`: later starts, Enter PIN with the tries left, the wipe, lock and auto-lock.
//! - `tokens`: several tokens, rename, delete, expiry notices, HOTP.
//! - `help`: "Code not accepted?" with each reason, the clock measured against time sources
//!   the tests start, the time server, and the corrected time.
//! - `phone`: the app as phones run it: leaving the foreground, the number keyboard for PINs,
//!   touch-sized buttons, the safe area, Back, the camera as Scan barcode opens.
//! - `transfer`: keys in from other apps (the preview) and out to them (Aegis, Google QR
//!   pages, plain links after the PIN).
//! - `terminal`: the window and the `pocketpass` terminal commands on one vault at once.
mod common;
#[path = "common/cli_run.rs"]
mod cli_run;

mod ui {
    mod help;
    mod install;
    mod phone;
    mod support;
    mod terminal;
    mod tokens;
    mod transfer;
    mod unlock;
}
