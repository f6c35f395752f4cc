//! `pocketpass import` and `pocketpass export`: accounts in from other authenticators' export
//! files (and our own backups), and out to files other apps read (issue 14).
//!
//! The order of secrets is part of the terminal contract: the vault PIN first (a new one when
//! there is no vault yet), then the file's password if it turns out to be encrypted; for an
//! Aegis export, the new file's password twice. Nothing is created or written until the file
//! has been read in full: a wrong password or an unreadable file leaves no vault and no export
//! behind.

use std::io::{IsTerminal, Write};
use std::path::Path;

use clap::ValueEnum;

use super::{
    columns, describe_import, exit, line, safe, unlock, warn_unflushed, CliError, Secrets,
};
use crate::otp::Account;
use crate::transfer::{self, export, Entry, ImportFile, PreviewRow, Status, TransferError};
use crate::vault::{self, KdfCost, Password, Vault};

/// The kinds of file `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// A Pocket Pass backup, encrypted under a password of its own (the default).
    Pocketpass,
    /// An Aegis vault, encrypted under a password of its own (plain with --unencrypted).
    Aegis,
    /// Google Authenticator transfer QR codes, as PNG files in a folder (at most 10 accounts a
    /// code).
    GoogleQr,
    /// Plain otpauth:// links, one a line: readable by anyone who has the file.
    Otpauth,
}

/// How many times a terminal user may retype a wrong file password before the command gives
/// up (with `--pin-stdin` there is one try: a script cannot type a second one).
const PASSWORD_TRIES: usize = 3;

impl From<TransferError> for CliError {
    fn from(e: TransferError) -> Self {
        let code = match &e {
            TransferError::NeedsPassword(_) | TransferError::WrongPassword { .. } => {
                exit::WRONG_PIN
            }
            TransferError::UnknownFormat { .. }
            | TransferError::Unsupported { .. }
            | TransferError::TooLarge { .. }
            | TransferError::TooManyEntries { .. } => exit::BAD_INPUT,
            TransferError::Damaged { .. } | TransferError::KdfTooCostly { .. } => exit::DAMAGED,
            TransferError::Unreadable { .. } => exit::NOT_FOUND,
            TransferError::Exists(_) => exit::BAD_INPUT,
            TransferError::PocketPassBackup
            | TransferError::Export(_)
            | TransferError::Unwritable { .. } => exit::FAILURE,
        };
        Self::new(code, e.to_string())
    }
}

/// `pocketpass import [--dry-run] FILE`.
pub(super) fn import(
    dir: &Path,
    file: &Path,
    dry_run: bool,
    secrets: &mut Secrets,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let bytes = transfer::read_file(file)?;
    // The PIN comes first. A new vault's PIN is checked now but the vault is made only once
    // there is something to put in it.
    let mut vault = if vault::exists(dir) {
        Some(unlock(dir, secrets)?)
    } else {
        None
    };
    let new_pin = match (&vault, dry_run) {
        (None, false) => Some(secrets.new_pin("Choose a PIN to protect your keys")?),
        _ => None,
    };
    let existing: &[Account] = vault.as_ref().map_or(&[], |v| v.accounts());

    let read = match transfer::read(&bytes, None) {
        Err(TransferError::PocketPassBackup) => {
            let password = Password::entered(&secrets.read("Backup password")?);
            let cost = vault.as_ref().map_or(KdfCost::STANDARD, Vault::cost);
            let accounts = Vault::read_backup(file, &password, cost)?;
            Read {
                title: "Pocket Pass backup".into(),
                entries: accounts.into_iter().map(Entry::Account).collect(),
                notes: Vec::new(),
            }
        }
        Err(TransferError::NeedsPassword(format)) => {
            Read::of(read_with_password(&bytes, format, secrets)?)
        }
        Err(e) => return Err(e.into()),
        Ok(file) => Read::of(file),
    };
    let rows = transfer::preview_entries(existing, &read.entries);

    print_preview(out, &read, &rows)?;
    if dry_run {
        return Ok(());
    }
    let chosen = transfer::chosen_entries(&read.entries, &rows);
    if chosen.is_empty() {
        if rows
            .iter()
            .any(|r| matches!(r.status, Status::AlreadyHere(_)))
        {
            return line(
                out,
                "nothing new to import: the importable accounts are already here",
            );
        }
        return Err(CliError::new(
            exit::BAD_INPUT,
            "nothing in this file can be imported (see the reasons above); nothing was changed",
        ));
    }
    let vault = match (&mut vault, new_pin) {
        (Some(vault), _) => vault,
        (None, Some(pin)) => vault.insert(Vault::create(dir, &pin)?),
        (None, None) => unreachable!("a new vault's PIN is read unless this is a dry run"),
    };
    let report = vault.merge(chosen)?;
    line(out, &describe_import(&report))?;
    warn_unflushed(vault);
    Ok(())
}

/// What a file held, as the preview shows it.
struct Read {
    /// The kind of file, as users know it: "Aegis (encrypted)".
    title: String,
    entries: Vec<Entry>,
    notes: Vec<String>,
}

impl Read {
    fn of(file: ImportFile) -> Self {
        // Most variants say "encrypted" themselves ("old encrypted format"); say it once.
        let encrypted = if file.encrypted && !file.variant.contains("encrypted") {
            ", encrypted"
        } else {
            ""
        };
        Self {
            title: format!("{} ({}{encrypted})", file.format, file.variant),
            entries: file.entries,
            notes: file.notes,
        }
    }
}

/// Asks for the password of an encrypted export and reads it, letting a terminal user retype
/// a wrong one.
fn read_with_password(
    bytes: &[u8],
    format: transfer::Format,
    secrets: &mut Secrets,
) -> Result<ImportFile, CliError> {
    let tries = if secrets.from_stdin {
        1
    } else {
        PASSWORD_TRIES
    };
    let mut last = None;
    for _ in 0..tries {
        let password =
            Password::entered(&secrets.read(&format!("Password of the {format} export"))?);
        match transfer::read(bytes, Some(&password)) {
            Ok(read) => return Ok(read),
            Err(e) if e.is_retryable() => {
                if !secrets.from_stdin {
                    eprintln!("pocketpass: {e}");
                }
                last = Some(e);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(last
        .map(CliError::from)
        .unwrap_or_else(|| CliError::new(exit::WRONG_PIN, "no password given")))
}

/// The preview table: one line an entry, `new`, `already here` or `not importable`, then a
/// summary. Columns are separated by a tab; every column is escaped for the terminal.
fn print_preview(out: &mut dyn Write, read: &Read, rows: &[PreviewRow]) -> Result<(), CliError> {
    line(out, &format!("{}: {} entries", read.title, rows.len()))?;
    let (mut new, mut here, mut not) = (0, 0, 0);
    for row in rows {
        let status = match &row.status {
            Status::New => {
                new += 1;
                "new".to_owned()
            }
            Status::AlreadyHere(name) => {
                here += 1;
                format!("already here (as {name})")
            }
            Status::NotImportable(reason) => {
                not += 1;
                format!("not importable: {reason}")
            }
        };
        columns(out, &[&row.label, &status])?;
    }
    for note in &read.notes {
        line(out, &format!("note: {note}"))?;
    }
    line(
        out,
        &format!("{new} new, {here} already here, {not} not importable"),
    )
}

/// `pocketpass export [--format F] [--unencrypted] PATH`.
pub(super) fn export(
    dir: &Path,
    format: ExportFormat,
    unencrypted: bool,
    path: &Path,
    secrets: &mut Secrets,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    if unencrypted && format != ExportFormat::Aegis {
        return Err(CliError::new(
            exit::USAGE,
            "--unencrypted applies to --format aegis only",
        ));
    }
    let vault = unlock(dir, secrets)?;
    let accounts = vault.accounts();
    match format {
        ExportFormat::Pocketpass => {
            let password = secrets.new_password()?;
            let count = vault.export(path, &password)?;
            line(
                out,
                &format!(
                    "exported {count} account(s) to {} (read back and verified)",
                    path.display()
                ),
            )
        }
        ExportFormat::Aegis if unencrypted => {
            confirm_plain(path, secrets)?;
            transfer::write_new(path, &export::aegis_unencrypted(accounts)?)?;
            line(
                out,
                &format!(
                    "exported {} account(s) to {} as an unencrypted Aegis vault",
                    accounts.len(),
                    path.display()
                ),
            )
        }
        ExportFormat::Aegis => {
            let password = new_export_password(secrets, "Aegis")?;
            transfer::write_new(path, &export::aegis(accounts, &password)?)?;
            line(
                out,
                &format!(
                    "exported {} account(s) to {} as an encrypted Aegis vault",
                    accounts.len(),
                    path.display()
                ),
            )
        }
        ExportFormat::Otpauth => {
            confirm_plain(path, secrets)?;
            let text = export::otpauth_lines(accounts);
            transfer::write_new(path, text.as_bytes())?;
            line(
                out,
                &format!(
                    "exported {} account(s) to {} as otpauth:// links",
                    accounts.len(),
                    path.display()
                ),
            )
        }
        ExportFormat::GoogleQr => export_google(accounts, path, out),
    }
}

/// Writes the Google Authenticator transfer codes as numbered PNGs into the folder `dir`.
fn export_google(accounts: &[Account], dir: &Path, out: &mut dyn Write) -> Result<(), CliError> {
    let qr = export::google_qr(accounts)?;
    for (name, why) in &qr.skipped {
        eprintln!("pocketpass: left out {}: {}", safe(name), safe(why));
    }
    if qr.codes.is_empty() {
        return Err(CliError::new(
            exit::BAD_INPUT,
            "Google Authenticator can hold none of these accounts; nothing was written",
        ));
    }
    transfer::create_private_dir(dir)?;
    let total = qr.codes.len();
    let names: Vec<_> = (1..=total)
        .map(|i| dir.join(format!("google-authenticator-{i}-of-{total}.png")))
        .collect();
    // Check every name first, so an existing file cannot leave half an export behind.
    if let Some(taken) = names.iter().find(|p| p.exists()) {
        return Err(TransferError::Exists(taken.clone()).into());
    }
    for (code, name) in qr.codes.iter().zip(&names) {
        transfer::write_new(name, &code.png)?;
    }
    let held = accounts.len() - qr.skipped.len();
    line(
        out,
        &format!(
            "wrote {total} QR code(s) with {held} account(s) to {}: in Google Authenticator, \
             choose Transfer accounts > Import accounts and scan them in order, then delete them",
            dir.display()
        ),
    )
}

/// Warns that the export will be readable by anyone, and on a terminal asks to go on.
fn confirm_plain(path: &Path, secrets: &mut Secrets) -> Result<(), CliError> {
    eprintln!(
        "pocketpass: warning: {} will hold your keys unencrypted: anyone who can read it can \
         make your codes. Import it where it is needed, then delete it.",
        path.display()
    );
    if secrets.from_stdin || !std::io::stdin().is_terminal() {
        return Ok(());
    }
    eprint!("Write the unencrypted file? [y/N] ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).ok();
    if answer.trim().eq_ignore_ascii_case("y") {
        Ok(())
    } else {
        Err(CliError::new(exit::FAILURE, "nothing written"))
    }
}

/// Reads a new password for an export: twice, from the terminal or from two lines of
/// standard input.
fn new_export_password(secrets: &mut Secrets, app: &str) -> Result<Password, CliError> {
    let first = secrets.read(&format!(
        "Password for the {app} export (at least {} characters)",
        vault::MIN_PASSWORD_CHARS
    ))?;
    let password = Password::new_checked(&first)?;
    if *secrets.read("Repeat the password")? != *first {
        return Err(CliError::new(
            exit::BAD_INPUT,
            "the two passwords differ; type the same password twice",
        ));
    }
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_file_password_is_exit_3_and_a_damaged_file_exit_7() {
        let wrong = TransferError::WrongPassword {
            format: transfer::Format::Aegis,
            can_be_damage: false,
        };
        assert_eq!(CliError::from(wrong).code, exit::WRONG_PIN);
        let damaged = TransferError::Damaged {
            format: transfer::Format::Aegis,
            reason: "cut short".into(),
        };
        assert_eq!(CliError::from(damaged).code, exit::DAMAGED);
        let unknown = TransferError::UnknownFormat {
            supported: transfer::Format::supported(),
        };
        let e = CliError::from(unknown);
        assert_eq!(e.code, exit::BAD_INPUT);
        assert!(e.message.contains("Aegis"), "{}", e.message);
    }
}
