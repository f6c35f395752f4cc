//! Moving keys between Pocket Pass and other apps in the window: Import from another app (the
//! file, its password if it has one, the preview with ticks, one save) and Export for another
//! app (Aegis under a password of its own, Google Authenticator QR codes shown one at a time,
//! plain links only after the PIN again).

use super::super::worker::transfer::{
    ExportFailure, ExportRequest, Exported, ForeignFile, OtherApp,
};
use super::super::worker::Job;
use super::{Effect, Flow, Note, Screen, TransferShown};
use crate::otp::Account;
use crate::transfer::{Status, TransferError};
use crate::vault::{ImportReport, Password, Pin, VaultError};

/// What Export for another app hands over.
#[derive(Debug, Default)]
pub(crate) struct ExportForm {
    /// Index into [`OtherApp::ALL`].
    pub(crate) app: usize,
    pub(crate) file: String,
    /// The new file's password, twice (Aegis).
    pub(crate) password: String,
    pub(crate) again: String,
    /// The vault's PIN again (plain links).
    pub(crate) pin: String,
}

impl Flow {
    /// Import from another app, from Settings.
    pub(crate) fn open_import_other(&mut self) {
        self.transfer = TransferShown::default();
        self.go(Screen::ImportOther);
    }

    /// Preview: reads the file (on the worker: decrypting can take seconds).
    /// With no path typed, the desktop's dialog picks the file.
    pub(crate) fn preview_import(&mut self, file: &str, password: &str) {
        let file = file.trim();
        let password = (!password.is_empty()).then(|| Password::entered(password));
        if file.is_empty() {
            let asked = self.choose_file(super::files::Choosing::ImportOther(password));
            self.transfer.import_error = Some(if asked {
                Note::ChoosingFile
            } else {
                Note::PathMissing
            });
            return;
        }
        self.transfer = TransferShown::default();
        self.working(Note::ReadingFile);
        self.ask(Effect::Job(Job::ReadForeign(file.into(), password)));
    }

    /// Ticks or unticks a row of the preview; entries that cannot be imported stay unticked.
    pub(crate) fn toggle_row(&mut self, index: usize) {
        if let Some(row) = self.transfer.rows.get_mut(index) {
            if !matches!(row.status, Status::NotImportable(_)) {
                row.selected = !row.selected;
            }
        }
    }

    /// How many rows are ticked.
    pub(crate) fn chosen_rows(&self) -> usize {
        self.transfer.rows.iter().filter(|r| r.selected).count()
    }

    /// Import the ticked entries, in one save.
    pub(crate) fn import_chosen(&mut self) {
        let chosen: Vec<usize> = self
            .transfer
            .rows
            .iter()
            .filter(|r| r.selected)
            .map(|r| r.index)
            .collect();
        if chosen.is_empty() {
            return;
        }
        self.working(Note::Saving);
        self.ask(Effect::Job(Job::ImportForeign(chosen)));
    }

    pub(super) fn foreign_read(&mut self, result: Result<ForeignFile, TransferError>) {
        match result {
            Ok(file) => {
                self.transfer.title = file.title;
                self.transfer.rows = file.rows;
                self.transfer.notes = file.notes;
                self.transfer.import_error = None;
            }
            Err(e) => self.transfer.import_error = Some(Note::Transfer(e)),
        }
        self.go(Screen::ImportOther);
    }

    pub(super) fn foreign_imported(
        &mut self,
        result: Result<(ImportReport, Vec<Account>), VaultError>,
    ) {
        match result {
            Ok((report, accounts)) => {
                self.replace_accounts(accounts);
                self.transfer = TransferShown::default();
                self.ask(Effect::Tick);
                self.settings_message(Note::Imported(report), false);
            }
            Err(e) => {
                self.transfer.import_error = Some(Note::Vault(e));
                self.go(Screen::ImportOther);
            }
        }
    }

    /// Export for another app, from Settings.
    pub(crate) fn open_export_other(&mut self) {
        self.transfer = TransferShown::default();
        self.go(Screen::ExportOther);
    }

    /// Export: checks what the chosen app needs before the worker writes anything.
    pub(crate) fn export_other(&mut self, form: &ExportForm) {
        let app = OtherApp::ALL
            .get(form.app)
            .copied()
            .unwrap_or(OtherApp::Aegis);
        let file = form.file.trim();
        if app != OtherApp::GoogleQr && file.is_empty() {
            self.transfer.export_error = Some(Note::PathMissing);
            return;
        }
        let mut request = ExportRequest {
            app,
            path: file.into(),
            password: None,
            pin: None,
        };
        let working = match app {
            OtherApp::Aegis => {
                let password = match Password::new_checked(&form.password) {
                    Ok(p) => p,
                    Err(e) => {
                        self.transfer.export_error = Some(Note::Vault(e));
                        return;
                    }
                };
                if form.password != form.again {
                    self.transfer.export_error = Some(Note::PasswordsDiffer);
                    return;
                }
                request.password = Some(password);
                Note::Saving
            }
            OtherApp::Otpauth => {
                if form.pin.trim().is_empty() {
                    self.transfer.export_error = Some(Note::PinEmpty);
                    return;
                }
                request.pin = Some(Pin::entered(&form.pin));
                Note::Unlocking
            }
            OtherApp::GoogleQr => Note::Saving,
        };
        self.transfer.export_error = None;
        self.working(working);
        self.ask(Effect::Job(Job::ExportFor(request)));
    }

    pub(super) fn exported_for(&mut self, result: Result<Exported, ExportFailure>) {
        match result {
            Ok(Exported::File { count, path }) => {
                self.transfer = TransferShown::default();
                self.settings_message(
                    Note::ExportedFor {
                        count,
                        path: path.display().to_string(),
                    },
                    false,
                );
            }
            Ok(Exported::Qr { codes, skipped }) if codes.is_empty() => {
                self.transfer.skipped = skipped;
                self.transfer.export_error = Some(Note::NothingForGoogle);
                self.go(Screen::ExportOther);
            }
            Ok(Exported::Qr { codes, skipped }) => {
                self.transfer.qr = codes;
                self.transfer.qr_index = 0;
                self.transfer.skipped = skipped;
                self.go(Screen::ExportQr);
            }
            // A wrong PIN before writing keys out in the clear locks the app: the check counts
            // no attempt, so it must not be a way to try PINs at leisure; unlocking counts them.
            Err(ExportFailure::Vault(VaultError::WrongPin { .. })) => {
                self.lock();
                self.pin.error = Some(Note::ExportPinWrong);
            }
            Err(ExportFailure::Vault(e)) => {
                self.transfer.export_error = Some(Note::Vault(e));
                self.go(Screen::ExportOther);
            }
            Err(ExportFailure::Transfer(e)) => {
                self.transfer.export_error = Some(Note::Transfer(e));
                self.go(Screen::ExportOther);
            }
        }
    }

    /// Next code on the QR pages; after the last, back to Settings (the codes are dropped).
    pub(crate) fn next_qr(&mut self) {
        if self.transfer.qr_index + 1 < self.transfer.qr.len() {
            self.transfer.qr_index += 1;
        } else {
            self.transfer = TransferShown::default();
            self.go(Screen::Settings);
        }
    }
}
