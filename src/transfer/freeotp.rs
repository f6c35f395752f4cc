//! FreeOTP+ JSON exports, as FreeOTP+'s source writes them (its legacy `Token` serialised by
//! Gson).
//!
//! `{"tokenOrder": [...], "tokens": [{"algo", "counter", "digits", "issuerExt", "issuerInt",
//! "issuerAlt", "label", "labelAlt", "period", "secret", "type"}]}`. The secret is a list of
//! Java bytes (signed, -128 to 127). The HOTP counter is stored one lower than the next code's
//! (FreeOTP+ writes `counter + 1` into its URIs), so the next counter is the stored one plus 1.
//! Steam accounts are TOTP tokens whose `issuerExt` is "Steam".

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use zeroize::Zeroizing;

use super::json::{self, Num, Problem};
use super::{file, Format, ImportFile, TransferError};
use crate::otp::{Account, Kind, Secret};

const FORMAT: Format = Format::FreeOtpPlus;

#[derive(Deserialize)]
struct Export<'a> {
    #[serde(borrow)]
    tokens: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Token {
    #[serde(default)]
    algo: Option<String>,
    #[serde(default)]
    counter: Num,
    #[serde(default)]
    digits: Num,
    #[serde(default)]
    issuer_ext: Option<String>,
    #[serde(default)]
    issuer_int: Option<String>,
    #[serde(default)]
    issuer_alt: Option<String>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    label_alt: Option<String>,
    #[serde(default)]
    period: Num,
    secret: JavaBytes,
    #[serde(rename = "type", default)]
    kind: Option<String>,
}

/// Java's signed bytes, kept zeroized; values outside -128..=255 are refused.
struct JavaBytes(Result<Zeroizing<Vec<u8>>, String>);

impl<'de> Deserialize<'de> for JavaBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let values = Zeroizing::new(Vec::<i64>::deserialize(d)?);
        let bytes: Result<Vec<u8>, String> = values
            .iter()
            .map(|&v| match v {
                -128..=255 => Ok(v as u8),
                _ => Err(format!("its secret holds {v}, which is not a byte")),
            })
            .collect();
        Ok(Self(bytes.map(Zeroizing::new)))
    }
}

fn nonempty(text: &Option<String>) -> Option<&str> {
    text.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

pub(crate) fn read(bytes: &[u8]) -> Result<ImportFile, TransferError> {
    let export: Export = json::parse(FORMAT, bytes)?;
    let entries = json::entries(FORMAT, &export.tokens, convert)?;
    file(FORMAT, "JSON", false, entries)
}

fn convert(token: Token) -> Result<Account, Problem> {
    let issuer_ext = nonempty(&token.issuer_ext).unwrap_or("").to_owned();
    let issuer = nonempty(&token.issuer_alt)
        .or(nonempty(&token.issuer_ext))
        .or(nonempty(&token.issuer_int))
        .unwrap_or("")
        .to_owned();
    let name = nonempty(&token.label_alt)
        .or(nonempty(&token.label))
        .unwrap_or("")
        .to_owned();
    let label = json::label(&issuer, &name);
    let kind_name = token.kind.unwrap_or_else(|| "TOTP".into());
    let kind = match kind_name.to_ascii_uppercase().as_str() {
        "TOTP" if issuer_ext == "Steam" => Kind::Steam,
        "TOTP" => json::totp(&label, token.period.0)?,
        "HOTP" => json::hotp(&label, token.counter.0.map(|c| c.saturating_add(1)))?,
        _ => return Err(json::unsupported_type(&label, &kind_name)),
    };
    let bytes = token
        .secret
        .0
        .map_err(|reason| Problem::new(&label, reason))?;
    let secret = Secret::from_bytes(bytes.to_vec())
        .map_err(|e| Problem::new(&label, json::otp_reason(&e)))?;
    let algorithm = json::algorithm(&label, token.algo.as_deref())?;
    let digits = json::digits(&label, kind, token.digits.0)?;
    json::account(&issuer, &name, secret, algorithm, digits, kind)
}
