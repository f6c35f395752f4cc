//! Integration tests of the mock portal, one binary. Index:
//! - `pages`: the user's path through the HTML pages, refusals included.
//! - `api`: the JSON API and the test API.
//! - `attempts`: the window options, matched offsets, the attempt history, the clock hint, the
//!   `Date` header and the key's time source (issue 17).
//! - `verification`: the code rules (window, single use, lockout, expiry, independent codes).
//! - `persistence`: restarts, the key file, secrets at rest, damaged databases.
//! - `binary`: the real `pocketpass-portal` process on a random port, kill -9 under load, its
//!   memory under huge inputs, its file modes and host names.
//! - `limits`: rate limits under parallel requests, input bounds, the password-hash queue.
//! - `reset`: what the reset pages reveal, and the sessions a reset ends.
//! - `origin`: the Host and Origin rules (DNS rebinding, cross-site requests).
//! - `demo`: `scripts/demo.sh` starts this portal and Ctrl-C stops all it started (issue 15).
//!
//! Time is injected: every portal here runs on `Clock::fixed(T0)` and moves only through the
//! clock offset, except the `binary` tests, which rely on the ±1 step window instead.

mod support;
#[path = "../common/process.rs"]
mod process;

mod api;
mod attempts;
mod binary;
mod demo;
mod limits;
mod origin;
mod pages;
mod persistence;
mod reset;
mod verification;
