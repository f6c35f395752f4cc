//! Google Authenticator's export: `otpauth-migration://offline?data=...`.
//!
//! The data is base64 of a small protobuf message (`MigrationPayload`, as reverse-engineered
//! and documented by several open projects):
//!
//! ```text
//! message MigrationPayload {
//!   repeated OtpParameters otp_parameters = 1;
//!   int32 version = 2; int32 batch_size = 3; int32 batch_index = 4; int32 batch_id = 5;
//! }
//! message OtpParameters {
//!   bytes secret = 1; string name = 2; string issuer = 3;
//!   Algorithm algorithm = 4;   // 0 unspecified, 1 SHA1, 2 SHA256, 3 SHA512, 4 MD5
//!   DigitCount digits = 5;     // 0 unspecified, 1 six, 2 eight
//!   OtpType type = 6;          // 0 unspecified, 1 HOTP, 2 TOTP
//!   int64 counter = 7;
//! }
//! ```
//!
//! The format is small enough that a hand-written reader is clearer than a protobuf dependency.
//! Large exports are split over several QR codes; [`MigrationBatch`] puts them back together.

use std::collections::BTreeMap;

use percent_encoding::percent_decode_str;
use zeroize::Zeroizing;

use super::{
    has_scheme, reconcile_issuer, split_label, Account, Algorithm, Kind, OtpError, Secret,
};

/// One QR code's worth of a Google Authenticator export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationPart {
    /// The accounts in this part.
    pub accounts: Vec<Account>,
    /// How many QR codes the whole export spans (at least 1).
    pub batch_size: u32,
    /// This part's position, counting from 0.
    pub batch_index: u32,
    /// Identifies the export the parts belong to.
    pub batch_id: i64,
}

/// Parses an `otpauth-migration://offline?data=...` link.
pub fn parse_migration(text: &str) -> Result<MigrationPart, OtpError> {
    let text = text.trim();
    const SCHEME: &str = "otpauth-migration://";
    if !has_scheme(text, SCHEME) {
        return Err(OtpError::Migration(
            "it does not start with otpauth-migration://".into(),
        ));
    }
    let query = text.split_once('?').map(|(_, q)| q).unwrap_or("");
    let data = query
        .split('&')
        .find_map(|p| p.strip_prefix("data="))
        .ok_or_else(|| OtpError::Migration("the data= parameter is missing".into()))?;
    // Base64 uses '+', so unlike other parameters '+' is not a space here; a space can only be
    // a '+' that a form encoder turned into one.
    let data = Zeroizing::new(
        percent_decode_str(data)
            .decode_utf8()
            .map_err(|_| OtpError::Migration("the data is not valid text".into()))?
            .replace(' ', "+"),
    );
    let bytes = decode_base64(&data)?;
    parse_message(&bytes)
}

/// Decodes standard or URL-safe base64, with or without padding.
fn decode_base64(text: &str) -> Result<Zeroizing<Vec<u8>>, OtpError> {
    let trimmed = Zeroizing::new(
        text.trim_end_matches('=')
            .chars()
            .map(|c| match c {
                '-' => '+',
                '_' => '/',
                c => c,
            })
            .collect::<String>(),
    );
    data_encoding::BASE64_NOPAD
        .decode(trimmed.as_bytes())
        .map(Zeroizing::new)
        .map_err(|_| OtpError::Migration("the data is not valid base64".into()))
}

/// A protobuf wire-format reader over a byte slice.
struct Reader<'a> {
    bytes: &'a [u8],
}

enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Result<u64, OtpError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self.bytes.split_first().ok_or_else(truncated)?;
            self.bytes = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(OtpError::Migration("a number is too long".into()))
    }

    /// The next field as (number, value), or `None` at the end.
    fn field(&mut self) -> Result<Option<(u64, Value<'a>)>, OtpError> {
        if self.bytes.is_empty() {
            return Ok(None);
        }
        let key = self.varint()?;
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|_| truncated())?;
                if len > self.bytes.len() {
                    return Err(truncated());
                }
                let (value, rest) = self.bytes.split_at(len);
                self.bytes = rest;
                Value::Bytes(value)
            }
            1 => Value::Bytes(self.take(8)?),
            5 => Value::Bytes(self.take(4)?),
            other => {
                return Err(OtpError::Migration(format!(
                    "unsupported field encoding {other}"
                )))
            }
        };
        Ok(Some((key >> 3, value)))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], OtpError> {
        if n > self.bytes.len() {
            return Err(truncated());
        }
        let (value, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(value)
    }
}

fn truncated() -> OtpError {
    OtpError::Migration("the data is cut short (was the whole QR code read?)".into())
}

/// The most QR codes one export may claim to span. Google's exporter puts about ten accounts in
/// each code, so this allows some thousand accounts, while a hostile code claiming four billion
/// parts (which the window would list as "missing") is refused.
pub const MAX_BATCH_SIZE: u32 = 100;

fn parse_message(bytes: &[u8]) -> Result<MigrationPart, OtpError> {
    let mut reader = Reader { bytes };
    let mut accounts = Vec::new();
    let (mut size, mut index, mut id) = (None, None, None);
    while let Some((number, value)) = reader.field()? {
        match (number, value) {
            (1, Value::Bytes(b)) => accounts.push(parse_otp_parameters(b)?),
            (3, Value::Varint(v)) => set_once(&mut size, v, "number of parts")?,
            (4, Value::Varint(v)) => set_once(&mut index, v, "part number")?,
            (5, Value::Varint(v)) => set_once(&mut id, v, "export id")?,
            _ => {} // version and future fields
        }
    }
    // An export of one code may leave the size out (proto3's default, 0): it means one part.
    let size = size.unwrap_or(0).max(1);
    let index = index.unwrap_or(0);
    if size > u64::from(MAX_BATCH_SIZE) {
        return Err(OtpError::Migration(format!(
            "it claims to be one of {size} QR codes; an export has at most {MAX_BATCH_SIZE}"
        )));
    }
    if index >= size {
        return Err(OtpError::Migration(format!(
            "it claims to be part {} of {size}, which does not exist",
            index.saturating_add(1)
        )));
    }
    if accounts.is_empty() {
        return Err(OtpError::EmptyExport);
    }
    Ok(MigrationPart {
        accounts,
        // Both checked against MAX_BATCH_SIZE above, so they fit.
        batch_size: size as u32,
        batch_index: index as u32,
        // Google writes the id as an int32; a negative one arrives sign-extended to 64 bits.
        batch_id: id.unwrap_or(0) as i64,
    })
}

/// Keeps the first value of a field that must appear once; a second, different value makes
/// the export ambiguous (which export, which part?) and is refused.
fn set_once(slot: &mut Option<u64>, value: u64, what: &str) -> Result<(), OtpError> {
    match *slot {
        Some(existing) if existing != value => Err(OtpError::Migration(format!(
            "it gives two different values for its {what}"
        ))),
        _ => {
            *slot = Some(value);
            Ok(())
        }
    }
}

fn parse_otp_parameters(bytes: &[u8]) -> Result<Account, OtpError> {
    let mut reader = Reader { bytes };
    let mut secret: Option<Secret> = None;
    let (mut name, mut issuer) = (String::new(), String::new());
    let (mut algorithm, mut digits, mut kind, mut counter) = (0u64, 0u64, 0u64, 0u64);
    while let Some((number, value)) = reader.field()? {
        match (number, value) {
            (1, Value::Bytes(b)) => secret = Some(Secret::from_bytes(b.to_vec())?),
            (2, Value::Bytes(b)) => name = String::from_utf8_lossy(b).into_owned(),
            (3, Value::Bytes(b)) => issuer = String::from_utf8_lossy(b).into_owned(),
            (4, Value::Varint(v)) => algorithm = v,
            (5, Value::Varint(v)) => digits = v,
            (6, Value::Varint(v)) => kind = v,
            (7, Value::Varint(v)) => counter = v,
            _ => {}
        }
    }
    let secret = secret.ok_or(OtpError::MissingSecret)?;
    let algorithm = match algorithm {
        0 | 1 => Algorithm::Sha1,
        2 => Algorithm::Sha256,
        3 => Algorithm::Sha512,
        4 => return Err(OtpError::UnknownAlgorithm("MD5".into())),
        other => return Err(OtpError::UnknownAlgorithm(format!("number {other}"))),
    };
    let digits = match digits {
        0 | 1 => 6,
        2 => 8,
        other => return Err(OtpError::InvalidDigits(format!("code {other}"))),
    };
    let kind = match kind {
        0 | 2 => Kind::Totp { period: 30 },
        1 => Kind::Hotp { counter },
        other => return Err(OtpError::UnknownType(format!("number {other}"))),
    };
    // Google puts "Issuer:name" in the name when it has both; split it as the URI parser does.
    let (label_issuer, name) = split_label(&name);
    let (issuer, label_issuer) = reconcile_issuer(Some(issuer), label_issuer);
    let account = Account {
        name,
        issuer,
        label_issuer,
        secret,
        algorithm,
        digits,
        kind,
        extra: Vec::new(),
    };
    account.validate()?;
    Ok(account)
}

/// Collects the parts of an export split over several QR codes.
#[derive(Debug, Default)]
pub struct MigrationBatch {
    parts: BTreeMap<u32, MigrationPart>,
    size: Option<(i64, u32)>,
}

impl MigrationBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a part; refuses a part of another export. Adding the same part twice is harmless
    /// (cameras see the same code many times).
    pub fn add(&mut self, part: MigrationPart) -> Result<(), OtpError> {
        match self.size {
            Some((id, size)) if id != part.batch_id || size != part.batch_size => {
                return Err(OtpError::Migration(
                    "this QR code belongs to a different export than the ones scanned before"
                        .into(),
                ))
            }
            _ => self.size = Some((part.batch_id, part.batch_size)),
        }
        self.parts.insert(part.batch_index, part);
        Ok(())
    }

    /// The positions (counting from 1) of parts not yet seen; at most [`MAX_BATCH_SIZE`].
    pub fn missing(&self) -> Vec<u32> {
        let size = self.size.map_or(1, |(_, s)| s);
        (0..size)
            .filter(|i| !self.parts.contains_key(i))
            .map(|i| i + 1)
            .collect()
    }

    /// All accounts, in export order, once every part has been seen; never an empty list,
    /// since every part holds at least one account.
    pub fn accounts(&self) -> Option<Vec<Account>> {
        if self.size.is_none() || !self.missing().is_empty() {
            return None;
        }
        Some(
            self.parts
                .values()
                .flat_map(|p| p.accounts.clone())
                .collect(),
        )
    }
}
