//! The worker's side of moving keys between Pocket Pass and other apps: reading another app's
//! export for the preview, importing the entries the user kept ticked, writing exports.
//! Everything with keys in it stays on the worker thread but the Google Authenticator QR codes,
//! which the window must show (they are wiped when dropped).

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::Reply;
use crate::otp::Account;
use crate::transfer::{self, export, ImportFile, PreviewRow, TransferError};
use crate::vault::{Password, Pin, Vault, VaultError};

/// The apps the window exports for, in the order it offers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OtherApp {
    /// An Aegis vault, encrypted under a password of its own.
    Aegis,
    /// Google Authenticator transfer QR codes, shown in the window.
    GoogleQr,
    /// Plain `otpauth://` links, one a line: only after the PIN again.
    Otpauth,
}

impl OtherApp {
    /// Every choice, in the order the window offers them.
    pub(crate) const ALL: [OtherApp; 3] = [Self::Aegis, Self::GoogleQr, Self::Otpauth];
}

/// An export for another app, as the window asks for it.
#[derive(Debug)]
pub(crate) struct ExportRequest {
    pub(crate) app: OtherApp,
    /// The file to write (unused for Google's QR codes, which are only shown).
    pub(crate) path: PathBuf,
    /// The new file's password (Aegis).
    pub(crate) password: Option<Password>,
    /// The vault's PIN again (plain links).
    pub(crate) pin: Option<Pin>,
}

/// A file read for the import preview: what it is and each entry's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ForeignFile {
    /// "Aegis (encrypted)", "2FAS (schema 4)".
    pub(crate) title: String,
    pub(crate) rows: Vec<PreviewRow>,
    /// Things to tell about the file as a whole.
    pub(crate) notes: Vec<String>,
}

/// What an export made.
#[derive(Debug)]
pub(crate) enum Exported {
    /// A file with this many accounts.
    File { count: usize, path: PathBuf },
    /// Google Authenticator transfer codes (PNG images), and the accounts left out with why.
    Qr {
        codes: Vec<Zeroizing<Vec<u8>>>,
        skipped: Vec<(String, String)>,
    },
}

/// Why an export was not made.
#[derive(Debug)]
pub(crate) enum ExportFailure {
    /// The file could not be made (it exists, no permission, a password too short...).
    Transfer(TransferError),
    /// The PIN typed again was wrong, or the vault is not open.
    Vault(VaultError),
}

/// [`super::Job::ReadForeign`]: reads and decrypts the file, and keeps it in `held` for the
/// import that may follow.
pub(super) fn read(
    dir: &Path,
    vault: Option<&Vault>,
    held: &mut Option<ImportFile>,
    file: &Path,
    password: Option<Password>,
) -> Reply {
    *held = None;
    let Some(vault) = vault else {
        return Reply::ForeignRead(Err(TransferError::Unreadable {
            path: dir.to_owned(),
            detail: "Pocket Pass is locked".into(),
        }));
    };
    let result = transfer::read_file(file)
        .and_then(|bytes| transfer::read(&bytes, password.as_ref()))
        .map(|read| {
            let shown = ForeignFile {
                title: if read.variant.is_empty() {
                    read.format.name().to_owned()
                } else {
                    format!("{} ({})", read.format.name(), read.variant)
                },
                rows: transfer::preview(vault.accounts(), &read),
                notes: read.notes.clone(),
            };
            *held = Some(read);
            shown
        });
    Reply::ForeignRead(result)
}

/// [`super::Job::ImportForeign`]: the entries at `chosen` of the file read last, in one save.
pub(super) fn import(
    dir: &Path,
    vault: Option<&mut Vault>,
    held: Option<ImportFile>,
    chosen: &[usize],
) -> Reply {
    let Some(vault) = vault else {
        return Reply::ForeignImported(Err(crate::vault::missing(dir)));
    };
    let Some(file) = held else {
        // Nothing was read (or the vault closed in between): nothing to import.
        return Reply::ForeignImported(Ok((Default::default(), vault.accounts().to_vec())));
    };
    // The preview again, against the vault as it is now, with the user's ticks: an entry
    // that cannot be imported stays out whatever was asked.
    let rows: Vec<PreviewRow> = transfer::preview(vault.accounts(), &file)
        .into_iter()
        .map(|mut row| {
            row.selected = chosen.contains(&row.index)
                && !matches!(row.status, transfer::Status::NotImportable(_));
            row
        })
        .collect();
    let accounts = transfer::chosen(&file, &rows);
    Reply::ForeignImported(
        vault
            .merge(accounts)
            .map(|report| (report, vault.accounts().to_vec())),
    )
}

/// [`super::Job::ExportFor`].
pub(super) fn export(dir: &Path, vault: Option<&Vault>, request: ExportRequest) -> Reply {
    let Some(vault) = vault else {
        return Reply::ExportedFor(Err(ExportFailure::Vault(crate::vault::missing(dir))));
    };
    Reply::ExportedFor(write(vault, request))
}

fn write(vault: &Vault, request: ExportRequest) -> Result<Exported, ExportFailure> {
    let accounts: &[Account] = vault.accounts();
    let file = |bytes: &[u8]| {
        transfer::write_new(&request.path, bytes)
            .map(|()| Exported::File {
                count: accounts.len(),
                path: request.path.clone(),
            })
            .map_err(ExportFailure::Transfer)
    };
    match request.app {
        OtherApp::Aegis => {
            let password = request.password.as_ref().ok_or_else(|| {
                ExportFailure::Transfer(TransferError::Export(
                    "an Aegis export needs a password".into(),
                ))
            })?;
            file(&export::aegis(accounts, password).map_err(ExportFailure::Transfer)?)
        }
        OtherApp::Otpauth => {
            // The window asks for the PIN before sending this; none is a PIN too short.
            let pin = request
                .pin
                .as_ref()
                .ok_or(ExportFailure::Vault(VaultError::Pin(
                    crate::vault::PinError::TooShort,
                )))?;
            vault.verify_pin(pin).map_err(ExportFailure::Vault)?;
            file(export::otpauth_lines(accounts).as_bytes())
        }
        OtherApp::GoogleQr => {
            let qr = export::google_qr(accounts).map_err(ExportFailure::Transfer)?;
            Ok(Exported::Qr {
                codes: qr.codes.into_iter().map(|c| c.png).collect(),
                skipped: qr.skipped,
            })
        }
    }
}
