//! What the JSON-based formats share: secret-holding strings that are zeroized, entry lists
//! read one entry at a time (so one malformed entry cannot fail the file), and the checks that
//! turn a foreign entry's fields into a validated [`Account`] or a reason in the user's words.

use std::fmt;

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use zeroize::Zeroizing;

use super::{check_count, damaged, Entry, Format, TransferError};
use crate::otp::{Account, Algorithm, Kind, OtpError, Secret, STEAM_DIGITS};

/// A JSON string that may hold a secret: zeroized on drop, never printed.
#[derive(Default, Clone)]
pub(crate) struct ZString(pub Zeroizing<String>);

impl<'de> Deserialize<'de> for ZString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self(Zeroizing::new(String::deserialize(d)?)))
    }
}

impl fmt::Debug for ZString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl ZString {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Parses a whole document of type `T`, or says the file is damaged.
pub(crate) fn parse<'a, T: Deserialize<'a>>(
    format: Format,
    bytes: &'a [u8],
) -> Result<T, TransferError> {
    serde_json::from_slice(bytes).map_err(|e| damaged(format, format!("it is not valid JSON: {e}")))
}

/// Reads each raw entry of a list as `T` on its own, turning each into an [`Entry`] with
/// `convert`; an entry that is not even of `T`'s shape becomes a not-importable row.
pub(crate) fn entries<'a, T, F>(
    format: Format,
    raw: &[&'a RawValue],
    mut convert: F,
) -> Result<Vec<Entry>, TransferError>
where
    T: Deserialize<'a>,
    F: FnMut(T) -> Result<Account, Problem>,
{
    check_count(format, raw.len())?;
    Ok(raw
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            let position = format!("entry {}", i + 1);
            match serde_json::from_str::<T>(raw.get()) {
                Ok(item) => match convert(item) {
                    Ok(account) => Entry::Account(account),
                    Err(problem) => Entry::NotImportable {
                        label: problem.label.unwrap_or(position),
                        reason: problem.reason,
                    },
                },
                Err(e) => Entry::NotImportable {
                    label: position,
                    reason: format!("its fields cannot be read ({})", plain_serde_error(&e)),
                },
            }
        })
        .collect())
}

/// serde's message without the position, which means nothing to users.
fn plain_serde_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.find(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// Why an entry cannot be imported, and what to call it.
#[derive(Debug)]
pub(crate) struct Problem {
    /// The entry's name, when it has one.
    pub label: Option<String>,
    /// The reason, in the user's words.
    pub reason: String,
}

impl Problem {
    /// A problem of the entry `label`.
    pub fn new(label: &str, reason: impl Into<String>) -> Self {
        Self {
            label: (!label.is_empty()).then(|| label.to_owned()),
            reason: reason.into(),
        }
    }
}

/// "Issuer: name", "name" or "issuer": how the preview names an entry.
pub(crate) fn label(issuer: &str, name: &str) -> String {
    match (issuer.trim(), name.trim()) {
        ("", name) => name.to_owned(),
        (issuer, "") => issuer.to_owned(),
        (issuer, name) => format!("{issuer}: {name}"),
    }
}

/// Decodes a base32 secret, reason on failure.
pub(crate) fn base32_secret(label: &str, text: &str) -> Result<Secret, Problem> {
    Secret::from_base32(text).map_err(|e| Problem::new(label, otp_reason(&e)))
}

/// An [`OtpError`] as the reason of an entry.
pub(crate) fn otp_reason(e: &OtpError) -> String {
    e.to_string()
}

/// The algorithm named `text` (default SHA1 when absent or empty).
pub(crate) fn algorithm(label: &str, text: Option<&str>) -> Result<Algorithm, Problem> {
    match text.map(str::trim) {
        None | Some("") => Ok(Algorithm::Sha1),
        Some(text) => Algorithm::parse(text).map_err(|e| Problem::new(label, otp_reason(&e))),
    }
}

/// The code length (default 6); 6 to 8 for TOTP and HOTP, 5 for Steam.
pub(crate) fn digits(label: &str, kind: Kind, digits: Option<i64>) -> Result<u8, Problem> {
    if kind == Kind::Steam {
        return match digits {
            None | Some(5) => Ok(STEAM_DIGITS),
            Some(d) => Err(Problem::new(
                label,
                format!("it is a Steam entry with {d} characters; Steam Guard codes have 5"),
            )),
        };
    }
    match digits.unwrap_or(6) {
        d @ 6..=8 => Ok(d as u8),
        d => Err(Problem::new(
            label,
            format!("its codes have {d} digits; Pocket Pass shows codes of 6, 7 or 8 digits"),
        )),
    }
}

/// A TOTP kind with `period` seconds (default 30).
pub(crate) fn totp(label: &str, period: Option<i64>) -> Result<Kind, Problem> {
    match period.unwrap_or(30) {
        p if p > 0 => Ok(Kind::Totp { period: p as u64 }),
        p => Err(Problem::new(
            label,
            format!("its period of {p} seconds is not a positive number"),
        )),
    }
}

/// An HOTP kind whose next code uses `counter` (default 0).
pub(crate) fn hotp(label: &str, counter: Option<i64>) -> Result<Kind, Problem> {
    match counter.unwrap_or(0) {
        c if c >= 0 => Ok(Kind::Hotp { counter: c as u64 }),
        c => Err(Problem::new(label, format!("its counter {c} is negative"))),
    }
}

/// The usual "this type is not supported" reason.
pub(crate) fn unsupported_type(label: &str, kind: &str) -> Problem {
    Problem::new(
        label,
        format!("its type \"{kind}\" is not supported (Pocket Pass holds TOTP, HOTP and Steam accounts)"),
    )
}

/// Assembles and validates an account.
pub(crate) fn account(
    issuer: &str,
    name: &str,
    secret: Secret,
    algorithm: Algorithm,
    digits: u8,
    kind: Kind,
) -> Result<Account, Problem> {
    let issuer = issuer.trim();
    let account = Account {
        name: name.trim().to_owned(),
        issuer: (!issuer.is_empty()).then(|| issuer.to_owned()),
        label_issuer: None,
        secret,
        algorithm,
        digits,
        kind,
        extra: Vec::new(),
    };
    let label = account.display_name();
    if kind == Kind::Steam && algorithm != Algorithm::Sha1 {
        return Err(Problem::new(
            &label,
            format!("it is a Steam entry with {algorithm}; Steam Guard codes use SHA1"),
        ));
    }
    account
        .validate()
        .map_err(|e| Problem::new(&label, otp_reason(&e)))?;
    Ok(account)
}

/// A number that some exporters write as a string ("6").
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Num(pub Option<i64>);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Int(i64),
            Float(f64),
            Text(String),
            Null(()),
        }
        Ok(Num(match Either::deserialize(d)? {
            Either::Int(i) => Some(i),
            Either::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(f as i64),
            Either::Float(_) => return Err(serde::de::Error::custom("a number is not whole")),
            Either::Text(t) if t.trim().is_empty() => None,
            Either::Text(t) => Some(
                t.trim()
                    .parse()
                    .map_err(|_| serde::de::Error::custom(format!("\"{t}\" is not a number")))?,
            ),
            Either::Null(()) => None,
        }))
    }
}

/// Standard base64, padded or not (exporters differ).
pub(crate) fn base64(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    data_encoding::BASE64
        .decode(text.as_bytes())
        .or_else(|_| data_encoding::BASE64_NOPAD.decode(text.trim_end_matches('=').as_bytes()))
        .ok()
}

/// Hexadecimal in either case.
pub(crate) fn hex(text: &str) -> Option<Vec<u8>> {
    data_encoding::HEXLOWER_PERMISSIVE
        .decode(text.trim().as_bytes())
        .ok()
}
