//! The preview shown before an import: each entry of the file beside what is already installed.

use super::{Entry, ImportFile};
use crate::otp::{Account, Kind};

/// What importing an entry would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Not installed yet: importing adds it.
    New,
    /// An account with the same secret and kind is installed already (named here), whatever
    /// its name: importing it again would only duplicate it.
    AlreadyHere(String),
    /// Pocket Pass cannot hold it; the reason is in the user's words.
    NotImportable(String),
}

/// One row of the preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewRow {
    /// The entry's position in [`ImportFile::entries`].
    pub index: usize,
    /// The entry as the user knows it ("GitHub: alice").
    pub label: String,
    /// What importing it would do.
    pub status: Status,
    /// Whether the row starts ticked: new accounts are, the others are not (and entries that
    /// cannot be imported cannot be ticked).
    pub selected: bool,
}

/// Compares the file's entries with `existing` accounts. An entry is "already here" when an
/// installed account has the same secret and the same kind of codes (TOTP, HOTP or Steam; the
/// period and counter may differ, since they are settings of the same key), and also when an
/// earlier entry of the same file is the same key.
pub fn preview(existing: &[Account], file: &ImportFile) -> Vec<PreviewRow> {
    preview_entries(existing, &file.entries)
}

/// [`preview`] of entries that need not come from an [`ImportFile`] (a Pocket Pass backup's
/// accounts, say).
pub fn preview_entries(existing: &[Account], entries: &[Entry]) -> Vec<PreviewRow> {
    let mut seen: Vec<&Account> = existing.iter().collect();
    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            let status = match entry {
                Entry::NotImportable { reason, .. } => Status::NotImportable(reason.clone()),
                Entry::Account(account) => match seen.iter().find(|a| same_key(a, account)) {
                    Some(here) => Status::AlreadyHere(here.display_name()),
                    None => {
                        seen.push(account);
                        Status::New
                    }
                },
            };
            PreviewRow {
                index,
                label: entry.label(),
                selected: status == Status::New,
                status,
            }
        })
        .collect()
}

/// The accounts of the rows the user kept ticked, ready for [`crate::vault::Vault::merge`].
pub fn chosen(file: &ImportFile, rows: &[PreviewRow]) -> Vec<Account> {
    chosen_entries(&file.entries, rows)
}

/// [`chosen`] for the entries given to [`preview_entries`].
pub fn chosen_entries(entries: &[Entry], rows: &[PreviewRow]) -> Vec<Account> {
    rows.iter()
        .filter(|r| r.selected)
        .filter_map(|r| match entries.get(r.index) {
            Some(Entry::Account(account)) => Some(account.clone()),
            _ => None,
        })
        .collect()
}

fn same_key(a: &Account, b: &Account) -> bool {
    let kind = |k: Kind| match k {
        Kind::Totp { .. } => 0,
        Kind::Hotp { .. } => 1,
        Kind::Steam => 2,
    };
    a.secret == b.secret && kind(a.kind) == kind(b.kind)
}
