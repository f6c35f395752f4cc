//! Pocket Pass: an open-source authenticator.
//!
//! Modules in reading order: [`otp`] turns what a portal's QR code carries into accounts and
//! codes, [`vault`] keeps those accounts encrypted under the user's PIN, [`scan`] reads QR codes
//! from frames, [`ui`] is the app's window on top of them, and [`cli`] offers all of it as
//! terminal commands.
pub mod otp;
pub mod vault;
pub mod scan;
pub mod ui;
pub mod cli;
