//! Text files of links, one a line: `otpauth://` key URIs (Google's Key URI format; the plain
//! exports of Ente, Bitwarden's authenticator, FreeOTP+ and Aegis), `steam://SECRET`, and
//! Google Authenticator's `otpauth-migration://` transfer links, whose parts are read with
//! [`crate::otp::parse_migration`] and put together by batch.

use std::collections::{BTreeMap, BTreeSet};

use super::{check_count, Entry, Format, ImportFile, TransferError};
use crate::otp::{parse_migration, parse_uri, OtpError};

/// Reads the lines of `text`; blank lines are skipped, any other line that is not a link
/// becomes a not-importable row.
pub(crate) fn read(text: &str) -> Result<ImportFile, TransferError> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
        .collect();
    check_count(Format::OtpauthUris, lines.len())?;

    let mut entries = Vec::new();
    let mut notes = Vec::new();
    let (mut migration_lines, mut other_lines) = (0usize, 0usize);
    // Google exports: for each batch, its size and the parts seen.
    let mut batches: BTreeMap<i64, (u32, BTreeSet<u32>)> = BTreeMap::new();
    for (number, line) in lines {
        if crate::otp::has_scheme(line, "otpauth-migration://") {
            migration_lines += 1;
            match parse_migration(line) {
                Ok(part) => {
                    let (_, seen) = batches
                        .entry(part.batch_id)
                        .or_insert((part.batch_size, BTreeSet::new()));
                    // The same QR code scanned twice adds nothing.
                    if seen.insert(part.batch_index) {
                        check_count(
                            Format::GoogleAuthenticator,
                            entries.len() + part.accounts.len(),
                        )?;
                        entries.extend(part.accounts.into_iter().map(Entry::Account));
                    }
                }
                Err(e) => entries.push(Entry::NotImportable {
                    label: format!("line {number}"),
                    reason: format!("{e} (the accounts of this QR code were left out)"),
                }),
            }
        } else {
            other_lines += 1;
            entries.push(match parse_uri(line) {
                Ok(account) => Entry::Account(account),
                Err(OtpError::NotAKey(_)) => Entry::NotImportable {
                    label: format!("line {number}"),
                    reason: "this line is not an otpauth:// link".into(),
                },
                Err(e) => Entry::NotImportable {
                    label: format!("line {number}"),
                    reason: e.to_string(),
                },
            });
        }
    }
    for (size, seen) in batches.values() {
        let missing: Vec<String> = (0..*size)
            .filter(|i| !seen.contains(i))
            .map(|i| (i + 1).to_string())
            .collect();
        if !missing.is_empty() {
            notes.push(format!(
                "QR code{} {} of the {size} of a Google Authenticator export {} missing; the accounts on {} are not in this file",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", "),
                if missing.len() == 1 { "is" } else { "are" },
                if missing.len() == 1 { "it" } else { "them" },
            ));
        }
    }
    let format = if migration_lines > 0 && other_lines == 0 {
        Format::GoogleAuthenticator
    } else {
        Format::OtpauthUris
    };
    Ok(ImportFile {
        format,
        variant: if format == Format::GoogleAuthenticator {
            "transfer links".to_owned()
        } else {
            "one link a line".to_owned()
        },
        encrypted: false,
        entries,
        notes,
    })
}
