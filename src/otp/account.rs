//! An account: one key with its parameters, and the codes it produces.

use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::{base32, OtpError};

/// The shortest secret accepted: 80 bits, as several large providers issue.
pub const MIN_SECRET_BYTES: usize = 10;

/// The extra parameter in which Pocket Pass notes when a key was installed (Unix seconds):
/// written by `pocketpass add` and the window, read by `pocketpass doctor`.
pub const ADDED_PARAM: &str = "pocketpass_added";

/// The HMAC hash an account's codes are computed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Algorithm {
    /// HMAC-SHA1, the default of RFC 4226 and of nearly every portal.
    #[default]
    Sha1,
    /// HMAC-SHA256 (RFC 6238).
    Sha256,
    /// HMAC-SHA512 (RFC 6238).
    Sha512,
}

impl Algorithm {
    /// Every algorithm, in the order forms offer them.
    pub const ALL: [Algorithm; 3] = [Self::Sha1, Self::Sha256, Self::Sha512];

    /// Reads an `algorithm=` value: `SHA1`, `SHA256`, `SHA512`, in any case, with or without a
    /// hyphen (`SHA-256`).
    pub fn parse(text: &str) -> Result<Self, OtpError> {
        let normal: String = text
            .chars()
            .filter(|c| *c != '-')
            .collect::<String>()
            .to_ascii_uppercase();
        match normal.as_str() {
            "SHA1" => Ok(Self::Sha1),
            "SHA256" => Ok(Self::Sha256),
            "SHA512" => Ok(Self::Sha512),
            _ => Err(OtpError::UnknownAlgorithm(text.to_owned())),
        }
    }

    /// The name as it appears in key URIs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
            Self::Sha512 => "SHA512",
        }
    }

    fn to_totp_rs(self) -> totp_rs::Algorithm {
        match self {
            Self::Sha1 => totp_rs::Algorithm::SHA1,
            Self::Sha256 => totp_rs::Algorithm::SHA256,
            Self::Sha512 => totp_rs::Algorithm::SHA512,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether codes follow the clock (TOTP, RFC 6238) or a counter (HOTP, RFC 4226), or are
/// Steam Guard codes.
///
/// The vault stores this with serde's default enum layout (`{"totp":{"period":30}}`,
/// `"steam"`), so vaults written before Steam existed open unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A new code every `period` seconds.
    Totp {
        /// Seconds each code is valid; always positive.
        period: u64,
    },
    /// A new code each time the user asks; `counter` is the next one to use.
    Hotp {
        /// The moving factor of the next code.
        counter: u64,
    },
    /// Steam Guard: TOTP with HMAC-SHA1 and a 30-second period, but the code is
    /// [`STEAM_DIGITS`] characters from [`STEAM_ALPHABET`] instead of decimal digits. Steam
    /// publishes no specification; this is the algorithm every open authenticator implements
    /// (Aegis' `docs/vault.md` points to its `OTP.java`).
    Steam,
}

/// Seconds each Steam Guard code is valid.
pub const STEAM_PERIOD: u64 = 30;
/// Characters in a Steam Guard code; stored as the account's `digits`.
pub const STEAM_DIGITS: u8 = 5;
/// The characters of a Steam Guard code: digits and consonants, without the easily confused
/// ones (0, 1, A, E, I, L, O, S, U, Z).
pub const STEAM_ALPHABET: &[u8; 26] = b"23456789BCDFGHJKMNPQRTVWXY";

impl Kind {
    /// The seconds each code is valid, for the clock-based kinds; `None` for HOTP.
    pub fn period(self) -> Option<u64> {
        match self {
            Self::Totp { period } => Some(period),
            Self::Steam => Some(STEAM_PERIOD),
            Self::Hotp { .. } => None,
        }
    }
}

/// Key bytes. Zeroized on drop and never shown by `Debug`, so a stray `{:?}` cannot leak a key.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wraps raw key bytes, refusing keys under 80 bits.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, OtpError> {
        let secret = Self(bytes);
        if secret.0.len() < MIN_SECRET_BYTES {
            return Err(OtpError::SecretTooShort {
                bits: secret.0.len() * 8,
            });
        }
        Ok(secret)
    }

    /// Decodes a base32 secret as portals write it (any case, spaces, hyphens, padding).
    pub fn from_base32(text: &str) -> Result<Self, OtpError> {
        if text.trim().is_empty() {
            return Err(OtpError::MissingSecret);
        }
        let bytes = base32::decode(text)?;
        Self::from_bytes(bytes.to_vec())
    }

    /// The key bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The key as unpadded uppercase base32, for export to other apps.
    pub fn to_base32(&self) -> Zeroizing<String> {
        base32::encode(&self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(<{} bits, redacted>)", self.0.len() * 8)
    }
}

// The vault stores secrets as base32 text inside its encrypted payload.
impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_base32())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Zeroizing::new(String::deserialize(deserializer)?);
        Secret::from_base32(&text).map_err(serde::de::Error::custom)
    }
}

/// A one-time code, digits as text with leading zeros kept. Zeroized on drop.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Code(String);

impl Code {
    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits grouped for reading aloud or typing: "123 456", "1234 5678", "123 4567".
    /// A Steam Guard code ("R7K2P") is one group, as Steam shows it.
    pub fn grouped(&self) -> String {
        if self.0.len() == usize::from(STEAM_DIGITS) {
            return self.0.clone();
        }
        let split = self.0.len() / 2;
        let split = if self.0.len() == 7 { 3 } else { split };
        format!("{} {}", &self.0[..split], &self.0[split..])
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Code(<redacted>)")
    }
}

/// One key and everything needed to show its codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The account part of the label (for the portal: the token's name), as shown to the user.
    pub name: String,
    /// Who issued the key: the `issuer=` parameter, or else the label's prefix.
    pub issuer: Option<String>,
    /// The label's issuer prefix when it differs from `issuer=`; kept so nothing the portal
    /// sent is lost, and shown beside the issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_issuer: Option<String>,
    /// The key.
    pub secret: Secret,
    /// The HMAC hash.
    pub algorithm: Algorithm,
    /// Code length, 6 to 8.
    pub digits: u8,
    /// Time- or counter-based, with the period or counter.
    pub kind: Kind,
    /// Parameters we do not interpret (for example `expires=`), in the order given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<(String, String)>,
}

impl Account {
    /// Checks the parameters every code depends on; parsing and the vault call this so an
    /// unusable account can never be stored.
    pub fn validate(&self) -> Result<(), OtpError> {
        if self.kind == Kind::Steam {
            // Steam Guard has one fixed shape; anything else would show wrong codes.
            if self.digits != STEAM_DIGITS {
                return Err(OtpError::InvalidDigits(format!(
                    "{} (Steam Guard codes have {STEAM_DIGITS} characters)",
                    self.digits
                )));
            }
            if self.algorithm != Algorithm::Sha1 {
                return Err(OtpError::UnknownAlgorithm(format!(
                    "{} (Steam Guard codes use SHA1)",
                    self.algorithm
                )));
            }
        } else if !(6..=8).contains(&self.digits) {
            return Err(OtpError::InvalidDigits(self.digits.to_string()));
        }
        if let Kind::Totp { period: 0 } = self.kind {
            return Err(OtpError::InvalidPeriod("0".into()));
        }
        if self.secret.expose().len() < MIN_SECRET_BYTES {
            return Err(OtpError::SecretTooShort {
                bits: self.secret.expose().len() * 8,
            });
        }
        Ok(())
    }

    /// The label as users know it: "Issuer: name", or the name alone.
    pub fn display_name(&self) -> String {
        match &self.issuer {
            Some(issuer) if !issuer.is_empty() => format!("{issuer}: {}", self.name),
            _ => self.name.clone(),
        }
    }

    /// Notes that the key was installed at `unix_seconds` (in [`ADDED_PARAM`]), unless its
    /// link carried a time already. `pocketpass doctor` reads it: a key installed minutes ago
    /// may belong to an activation not finished in the portal. Keys imported from a file are
    /// not marked: when they were installed is unknown.
    pub fn mark_added(&mut self, unix_seconds: u64) {
        if self.extra(ADDED_PARAM).is_none() {
            self.extra
                .push((ADDED_PARAM.to_owned(), unix_seconds.to_string()));
        }
    }

    /// An extra parameter by name (case-insensitive), e.g. `extra("expires")`.
    pub fn extra(&self, key: &str) -> Option<&str> {
        self.extra
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// The code for moving factor `factor`: the time step for TOTP, the counter for HOTP.
    fn code_for_factor(&self, factor: u64) -> Code {
        // totp-rs divides the time by the step; with a step of 1 the "time" is the factor
        // itself, which makes it compute HOTP (RFC 4226) as well.
        let totp = totp_rs::Builder::new()
            .with_algorithm(self.algorithm.to_totp_rs())
            .with_digits(self.digits)
            .with_step_duration(1)
            .with_secret(totp_rs::Secret::new(
                self.secret.expose().to_vec().into_boxed_slice(),
            ))
            .build_noncompliant();
        Code(pad(totp.generate(factor).to_string(), self.digits))
    }

    /// The code shown at `unix_seconds`. For HOTP this is the code of the current counter,
    /// whatever the time; advance it with [`Account::advance_counter`] once shown.
    pub fn code_at(&self, unix_seconds: u64) -> Code {
        match self.kind {
            Kind::Totp { period } => self.code_for_factor(unix_seconds / period.max(1)),
            Kind::Hotp { counter } => self.code_for_factor(counter),
            Kind::Steam => steam_code(self.secret.expose(), unix_seconds / STEAM_PERIOD),
        }
    }

    /// Seconds until the code shown at `unix_seconds` changes; `None` for HOTP.
    pub fn seconds_left(&self, unix_seconds: u64) -> Option<u64> {
        self.kind
            .period()
            .map(|period| period - unix_seconds % period.max(1))
    }

    /// Moves an HOTP account to its next counter; does nothing for TOTP. The caller persists
    /// the account before showing the code, so a code is never shown twice.
    pub fn advance_counter(&mut self) {
        if let Kind::Hotp { counter } = &mut self.kind {
            *counter = counter.wrapping_add(1);
        }
    }
}

/// A Steam Guard code: RFC 4226's HMAC-SHA1 and dynamic truncation to 31 bits, then the
/// number written in base 26 with [`STEAM_ALPHABET`], least significant character first.
fn steam_code(key: &[u8], step: u64) -> Code {
    use hmac::{KeyInit, Mac};
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <hmac::Hmac<sha1::Sha1> as KeyInit>::new_from_slice(key)
        .expect("HMAC takes keys of any length");
    mac.update(&step.to_be_bytes());
    let digest = Zeroizing::new(mac.finalize().into_bytes().to_vec());
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let mut value = u32::from_be_bytes([
        digest[offset],
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]) & 0x7fff_ffff;
    let mut code = String::with_capacity(usize::from(STEAM_DIGITS));
    for _ in 0..STEAM_DIGITS {
        code.push(char::from(STEAM_ALPHABET[(value % 26) as usize]));
        value /= 26;
    }
    value.zeroize();
    Code(code)
}

/// Left-pads a code with zeros to `digits`, in case the formatter did not keep them.
fn pad(mut code: String, digits: u8) -> String {
    while code.len() < usize::from(digits) {
        code.insert(0, '0');
    }
    code
}
