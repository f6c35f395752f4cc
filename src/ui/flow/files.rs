//! Choosing files through the desktop's own dialog (issue 15, part 3): Open image, the backup's
//! Export and Import, and Import from another app. The dialog is the XDG desktop portal's
//! FileChooser (`ui/file_chooser.rs`), asked on a thread of its own; where no
//! portal answers, the typed path is the way, as before.
//!
//! - Open image asks the dialog at once; the typed path field appears when there is no dialog
//!   (or it failed).
//! - Export, Import and Preview use the typed path when one was typed, and otherwise ask the
//!   dialog (a save dialog for Export); with no dialog they ask for the path as before.
//! - Once no portal answered, the app does not ask again this session.

use std::path::PathBuf;

use super::super::file_chooser::{ChooserError, FileRequest};
use super::super::worker::Job;
use super::{Effect, Flow, Note, Screen, TransferShown};
use crate::scan::Source;
use crate::vault::Password;

/// What a file is being chosen for, with what that action needs once it has the file (a
/// backup's password: zeroized when dropped, as when the dialog is cancelled).
pub(crate) enum Choosing {
    /// Open image on Scan barcode.
    Image,
    /// The backup's Export, under this password.
    ExportBackup(Password),
    /// The backup's Import, with this password.
    ImportBackup(Password),
    /// Import from another app: Preview, with the file's password if one was typed.
    ImportOther(Option<Password>),
}

/// The file name Export proposes.
const BACKUP_NAME: &str = "pocketpass-backup.pocketpass";

impl Choosing {
    /// The dialog to show for it (titles stay in English: the portal shows them as given, and
    /// the window's translations are Slint's, out of reach of this thread-free flow).
    fn request(&self) -> FileRequest {
        let backups = || {
            vec![(
                "Pocket Pass backups".to_owned(),
                vec!["*.pocketpass".to_owned()],
            )]
        };
        match self {
            Choosing::Image => FileRequest {
                title: "Open an image of the QR code".to_owned(),
                save: false,
                suggested_name: None,
                filters: vec![(
                    "Images (PNG, JPEG, WebP)".to_owned(),
                    [
                        "*.png", "*.jpg", "*.jpeg", "*.webp", "*.PNG", "*.JPG", "*.JPEG",
                    ]
                    .map(String::from)
                    .to_vec(),
                )],
            },
            Choosing::ExportBackup(_) => FileRequest {
                title: "Save the Pocket Pass backup".to_owned(),
                save: true,
                suggested_name: Some(BACKUP_NAME.to_owned()),
                filters: backups(),
            },
            Choosing::ImportBackup(_) => FileRequest {
                title: "Open a Pocket Pass backup".to_owned(),
                save: false,
                suggested_name: None,
                filters: backups(),
            },
            Choosing::ImportOther(_) => FileRequest {
                title: "Open another app's export".to_owned(),
                save: false,
                suggested_name: None,
                filters: Vec::new(),
            },
        }
    }
}

impl Flow {
    /// Whether the desktop's file dialog is worth asking: a desktop, and no earlier ask found
    /// that nobody answers.
    pub(super) fn dialog_offered(&self) -> bool {
        self.file_dialog && !self.dialog_absent
    }

    /// Asks the dialog for a file for `choosing`; false (and nothing asked) when there is no
    /// dialog to ask, so the caller falls back to the typed path. True, and nothing more asked,
    /// while a dialog is open already: the user is to answer that one first.
    pub(super) fn choose_file(&mut self, choosing: Choosing) -> bool {
        if !self.dialog_offered() {
            return false;
        }
        if self.choosing.is_none() {
            // Each dialog's answer names the ask it answers: a dialog left open across a lock
            // must not answer a later ask.
            self.dialog_asked += 1;
            self.ask(Effect::ChooseFile(self.dialog_asked, choosing.request()));
            self.choosing = Some(choosing);
        }
        true
    }

    /// Open image: the desktop's dialog, or the typed path where there is none. Pressed again
    /// while a dialog is open (one that never showed, say), it offers the typed path too.
    pub(crate) fn open_image(&mut self) {
        self.install.error = None;
        if self.choosing.is_some() {
            self.install.typed_path = true;
            return;
        }
        if self.choose_file(Choosing::Image) {
            self.stop_camera();
            self.install.status = Some(Note::ChoosingFile);
        } else {
            self.install.typed_path = true;
        }
    }

    /// What the dialog of ask `asked` answered.
    pub(crate) fn chosen(&mut self, asked: u64, result: Result<Option<PathBuf>, ChooserError>) {
        if asked != self.dialog_asked {
            return;
        }
        let Some(choosing) = self.choosing.take() else {
            return;
        };
        if matches!(choosing, Choosing::Image) {
            self.install.status = Some(Note::CameraOff);
        }
        // Keys may not be used once the app locked: the backup and import choices then only end.
        let needs_vault = !matches!(choosing, Choosing::Image);
        match result {
            // Cancelled: "choose the file in the window that opened" no longer holds.
            Ok(None) => match choosing {
                Choosing::Image => {}
                Choosing::ExportBackup(_) | Choosing::ImportBackup(_) => {
                    self.settings.message = None
                }
                Choosing::ImportOther(_) => self.transfer.import_error = None,
            },
            Ok(Some(path)) if needs_vault && !self.unlocked => drop(path),
            Ok(Some(path)) => self.use_chosen(choosing, path),
            Err(e) => {
                if let ChooserError::Unavailable(_) = e {
                    self.dialog_absent = true;
                }
                let note = Note::Chooser(e);
                match choosing {
                    Choosing::Image => {
                        self.install.typed_path = true;
                        self.install.error = Some(note);
                    }
                    Choosing::ExportBackup(_) | Choosing::ImportBackup(_) => {
                        self.settings_message(note, true)
                    }
                    Choosing::ImportOther(_) => self.transfer.import_error = Some(note),
                }
            }
        }
    }

    fn use_chosen(&mut self, choosing: Choosing, path: PathBuf) {
        match choosing {
            // Only where it was asked: after a lock, a picture chosen late is not read.
            Choosing::Image if self.nav.screen == Screen::Add => self.scan(Source::File(path)),
            Choosing::Image => {}
            Choosing::ExportBackup(password) => {
                self.working(Note::Saving);
                self.ask(Effect::Job(Job::Export(path, password)));
            }
            Choosing::ImportBackup(password) => {
                self.working(Note::Saving);
                self.ask(Effect::Job(Job::Import(path, password)));
            }
            Choosing::ImportOther(password) => {
                if self.nav.screen != Screen::ImportOther {
                    return;
                }
                self.transfer = TransferShown::default();
                self.working(Note::ReadingFile);
                self.ask(Effect::Job(Job::ReadForeign(path, password)));
            }
        }
    }
}
