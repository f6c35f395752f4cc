//! Installing a key: Scan barcode, a pasted link, Enter key manually, Key found.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::super::worker::Job;
use super::shown::shown;
use super::{Effect, Flow, FoundShown, Note, Screen};
use crate::otp::{self, Account, KeyLink, ManualKey, MigrationBatch, OtpError};
use crate::scan::Source;

impl Flow {
    // Installing a key.

    /// Install key (Welcome, the list, the wipe notice): Scan barcode.
    pub(crate) fn install_key(&mut self) {
        self.install.error = None;
        self.install.status = Some(Note::CameraOff);
        self.batch = None;
        self.open_add();
    }

    /// A link pasted into Scan barcode.
    pub(crate) fn paste_link(&mut self, link: &str) {
        self.install.error = None;
        self.take_key_links(&[link.to_owned()]);
    }

    /// Reads what QR codes or links hold: a key goes to Key found, anything else is explained
    /// and Scan barcode stays. True when a key was found.
    pub(super) fn take_key_links(&mut self, texts: &[String]) -> bool {
        let mut error = None;
        for text in texts {
            match otp::parse_key_link(text) {
                Ok(KeyLink::Account(mut account)) => {
                    // A key from a portal's QR code: when it was installed, for `doctor`.
                    // (A Google export's keys were installed elsewhere, at a time unknown.)
                    account.mark_added(self.now());
                    self.found(vec![account]);
                    return true;
                }
                Ok(KeyLink::Migration(part)) => {
                    let batch = self.batch.get_or_insert_with(MigrationBatch::new);
                    if let Err(e) = batch.add(part) {
                        error = Some(Note::Otp(e));
                        continue;
                    }
                    match batch.accounts() {
                        Some(accounts) => {
                            self.batch = None;
                            self.found(accounts);
                            return true;
                        }
                        None => {
                            let missing = batch.missing();
                            let total = missing.len() + 1;
                            let next = missing.first().map(|&m| m as usize + 1).unwrap_or(1);
                            error = Some(Note::MigrationPart {
                                next,
                                total: total.max(next),
                            });
                        }
                    }
                }
                Err(e) => error = Some(Note::Otp(e)),
            }
        }
        self.install.error = error;
        false
    }

    pub(super) fn found(&mut self, accounts: Vec<Account>) {
        // The parser refuses empty exports; this guard keeps a future path from indexing an
        // empty list.
        let Some(first) = accounts.first() else {
            self.install.error = Some(Note::Otp(OtpError::EmptyExport));
            return;
        };
        self.stop_camera();
        // Labels are the QR code author's text: show control characters as escapes.
        self.install.found = FoundShown {
            name: shown(&first.name),
            issuer: shown(first.issuer.as_deref().unwrap_or_default()),
            expiry: shown(first.extra("expires").unwrap_or_default()),
            count: accounts.len(),
        };
        self.install.has_vault = self.has_vault;
        self.install.error = None;
        self.found = accounts;
        self.go(Screen::Found);
    }

    /// Install on Key found: into the open vault, or on to Choose a PIN for a new one.
    pub(crate) fn confirm(&mut self) {
        if self.found.is_empty() {
            return;
        }
        if self.unlocked {
            self.working(Note::Saving);
            let found = self.found.clone();
            self.ask(Effect::Job(Job::Add(found)));
        } else {
            self.pin.error = None;
            self.go(Screen::ChoosePin);
        }
    }

    /// Enter key manually.
    pub(crate) fn show_manual(&mut self) {
        self.stop_camera();
        self.install.error = None;
        self.go(Screen::Manual);
    }

    /// Add key on Enter key manually.
    pub(crate) fn manual_entry(&mut self, key: &ManualKey) {
        match key.to_account() {
            Ok(mut account) => {
                account.mark_added(self.now());
                self.found(vec![account]);
            }
            // An empty secret, in the user's words rather than a link's missing `secret=`
            // parameter they never saw.
            Err(OtpError::MissingSecret) => self.install.error = Some(Note::SecretMissing),
            Err(e) => self.install.error = Some(Note::Otp(e)),
        }
    }

    /// Use camera.
    pub(crate) fn start_camera(&mut self) {
        self.stop_camera();
        self.install.error = None;
        self.install.camera_on = true;
        self.install.status = Some(Note::Looking);
        let stop = Arc::new(AtomicBool::new(false));
        self.camera_stop = Some(stop.clone());
        self.ask(Effect::StartCamera(stop));
    }

    /// Stop camera (and every screen change away from it).
    pub(crate) fn stop_camera(&mut self) {
        if let Some(stop) = self.camera_stop.take() {
            stop.store(true, Ordering::Relaxed);
        }
        self.install.camera_on = false;
    }

    /// Scan screen and Open image: read on a thread of their own.
    pub(crate) fn scan(&mut self, source: Source) {
        self.stop_camera();
        self.install.error = None;
        self.install.status = Some(match source {
            Source::Screen => Note::ReadingScreen,
            _ => Note::ReadingImage,
        });
        self.ask(Effect::Scan(source));
    }
}
