//! Bitwarden's unencrypted exports, JSON and CSV, as Bitwarden's export documentation describes
//! them. Only items whose login has a TOTP key are authenticator entries; the rest (passwords,
//! notes, cards) are counted in a note and otherwise left alone.
//!
//! JSON: `{"encrypted": false, "items": [{"name", "login": {"username", "totp"}}]}`.
//! CSV: a header row naming the columns, among them `name`, `login_username` and `login_totp`.
//! The TOTP field holds an `otpauth://` URI, `steam://SECRET`, or a bare base32 secret (a
//! 6-digit, 30-second SHA1 key named after the item). Encrypted exports ("encrypted": true,
//! account- or password-protected) need Bitwarden's keys and are refused with a way out.

use serde::Deserialize;
use serde_json::value::RawValue;
use zeroize::Zeroizing;

use super::json::{self, Problem, ZString};
use super::{check_count, damaged, Entry, Format, ImportFile, TransferError};
use crate::otp::{parse_uri, Account, Algorithm, Kind, Secret};

const FORMAT: Format = Format::Bitwarden;

#[derive(Deserialize)]
struct Export<'a> {
    #[serde(default)]
    encrypted: bool,
    #[serde(default, borrow)]
    items: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct Item {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    login: Option<Login>,
}

#[derive(Deserialize)]
struct Login {
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    totp: Option<ZString>,
}

pub(crate) fn read_json(bytes: &[u8]) -> Result<ImportFile, TransferError> {
    let export: Export = json::parse(FORMAT, bytes)?;
    if export.encrypted {
        return Err(TransferError::Unsupported {
            format: FORMAT,
            reason: "it is an encrypted export; export again from Bitwarden as .json or .csv without encryption, import it, then delete that file".into(),
        });
    }
    check_count(FORMAT, export.items.len())?;
    let mut rows = Vec::new();
    for (i, raw) in export.items.iter().enumerate() {
        match serde_json::from_str::<Item>(raw.get()) {
            Ok(item) => {
                let login = item.login.unwrap_or(Login {
                    username: None,
                    totp: None,
                });
                rows.push(Row {
                    name: item.name.unwrap_or_default(),
                    username: login.username.unwrap_or_default(),
                    totp: login.totp.map(|t| t.0).unwrap_or_default(),
                });
            }
            Err(_) => rows.push(Row {
                name: format!("item {}", i + 1),
                username: String::new(),
                // Marks an unreadable item: not a key, so it is reported, not skipped.
                totp: Zeroizing::new("\u{0}".into()),
            }),
        }
    }
    finish(rows, "JSON")
}

pub(crate) fn read_csv(text: &str) -> Result<ImportFile, TransferError> {
    let records = parse_csv(text).ok_or_else(|| damaged(FORMAT, "its CSV quoting is broken"))?;
    let mut records = records.into_iter();
    let header = records.next().unwrap_or_default();
    let column = |name: &str| header.iter().position(|h| h.trim() == name);
    let (Some(totp), name, username) = (
        column("login_totp"),
        column("name"),
        column("login_username"),
    ) else {
        return Err(damaged(FORMAT, "its header has no login_totp column"));
    };
    let rows: Vec<Row> = records
        .map(|record| {
            let get = |i: Option<usize>| i.and_then(|i| record.get(i)).cloned().unwrap_or_default();
            Row {
                name: get(name),
                username: get(username),
                totp: Zeroizing::new(get(Some(totp))),
            }
        })
        .collect();
    check_count(FORMAT, rows.len())?;
    finish(rows, "CSV")
}

struct Row {
    name: String,
    username: String,
    totp: Zeroizing<String>,
}

fn finish(rows: Vec<Row>, variant: &str) -> Result<ImportFile, TransferError> {
    let mut entries = Vec::new();
    let mut without_key = 0;
    for row in rows {
        let totp = row.totp.trim();
        if totp.is_empty() {
            without_key += 1;
            continue;
        }
        let label = json::label(&row.name, &row.username);
        let entry = if totp == "\u{0}" {
            Err(Problem::new(&label, "its fields cannot be read"))
        } else {
            convert(&row.name, &row.username, totp)
        };
        entries.push(match entry {
            Ok(account) => Entry::Account(account),
            Err(problem) => Entry::NotImportable {
                label: problem.label.unwrap_or(label),
                reason: problem.reason,
            },
        });
    }
    let mut file = super::file(FORMAT, variant, false, entries)?;
    if without_key > 0 {
        file.notes.push(format!(
            "{without_key} Bitwarden item{} without an authenticator key {} left out",
            if without_key == 1 { "" } else { "s" },
            if without_key == 1 { "was" } else { "were" },
        ));
    }
    Ok(file)
}

fn convert(item_name: &str, username: &str, totp: &str) -> Result<Account, Problem> {
    let label = json::label(item_name, username);
    let lower = totp.to_ascii_lowercase();
    if lower.starts_with("otpauth://") || lower.starts_with("steam://") {
        let mut account =
            parse_uri(totp).map_err(|e| Problem::new(&label, json::otp_reason(&e)))?;
        // A URI without a label, or steam://, says less than the item: use the item's names.
        if lower.starts_with("steam://") || account.name.is_empty() {
            account.name = if username.is_empty() {
                item_name
            } else {
                username
            }
            .to_owned();
            if lower.starts_with("steam://") && !item_name.is_empty() {
                account.issuer = Some(item_name.to_owned());
            }
        }
        if account.issuer.is_none() && !item_name.is_empty() {
            account.issuer = Some(item_name.to_owned());
        }
        return Ok(account);
    }
    let secret =
        Secret::from_base32(totp).map_err(|e| Problem::new(&label, json::otp_reason(&e)))?;
    json::account(
        item_name,
        username,
        secret,
        Algorithm::Sha1,
        6,
        Kind::Totp { period: 30 },
    )
}

/// RFC 4180 CSV: fields separated by commas, quoted with `"` when they hold commas, quotes
/// (doubled) or line breaks. `None` when a quote is left open.
fn parse_csv(text: &str) -> Option<Vec<Vec<String>>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ',' => record.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
                any = false;
            }
            c => field.push(c),
        }
    }
    if quoted {
        return None;
    }
    if any {
        record.push(field);
        records.push(record);
    }
    records.retain(|r: &Vec<String>| !(r.len() == 1 && r[0].trim().is_empty()));
    Some(records)
}

#[cfg(test)]
mod tests {
    use super::parse_csv;

    #[test]
    fn csv_fields_may_be_quoted_hold_commas_quotes_and_line_breaks() {
        let records = parse_csv("a,b,c\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n").unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[1], vec!["x, y", "say \"hi\"", "two\nlines"]);
        assert!(parse_csv("a,\"open").is_none());
    }
}
