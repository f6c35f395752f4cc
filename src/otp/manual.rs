//! A key typed in by hand: what the manual-entry form collects, turned into an account with
//! the same checks a scanned key gets.

use super::{Account, Algorithm, Kind, OtpError, Secret};

/// The code lengths a key may have, in the order forms offer them.
pub const DIGITS: [u8; 3] = [6, 7, 8];

/// Whether a key typed in by hand follows the clock or a counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManualKind {
    /// Time-based, with the period as typed (seconds).
    Totp {
        /// The period field's text.
        period: String,
    },
    /// Counter-based, starting at counter 0 as portals issue new keys.
    Hotp,
}

/// What a person typed to install a key without a QR code.
///
/// `Debug` leaves the secret out.
#[derive(Clone, PartialEq, Eq)]
pub struct ManualKey {
    /// The token's name, as the portal named it.
    pub name: String,
    /// Who issued it; empty for none.
    pub issuer: String,
    /// The secret in base32, as the portal shows it (any case, spaces allowed).
    pub secret: String,
    /// The HMAC hash.
    pub algorithm: Algorithm,
    /// Code length, one of [`DIGITS`].
    pub digits: u8,
    /// Time- or counter-based.
    pub kind: ManualKind,
}

impl std::fmt::Debug for ManualKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManualKey")
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl Drop for ManualKey {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.secret);
    }
}

impl ManualKey {
    /// The account this describes, checked as a scanned key is: an empty secret is
    /// [`OtpError::MissingSecret`], a bad one names the character, a period must be a positive
    /// number of seconds, and the account must validate.
    pub fn to_account(&self) -> Result<Account, OtpError> {
        let secret = Secret::from_base32(&self.secret)?;
        let kind = match &self.kind {
            ManualKind::Totp { period } => match period.trim().parse::<u64>() {
                Ok(p) if p > 0 => Kind::Totp { period: p },
                _ => return Err(OtpError::InvalidPeriod(period.trim().to_owned())),
            },
            ManualKind::Hotp => Kind::Hotp { counter: 0 },
        };
        let issuer = Some(self.issuer.trim().to_owned()).filter(|i| !i.is_empty());
        let account = Account {
            name: self.name.trim().to_owned(),
            issuer,
            label_issuer: None,
            secret,
            algorithm: self.algorithm,
            digits: self.digits,
            kind,
            extra: Vec::new(),
        };
        account.validate()?;
        Ok(account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(secret: &str, kind: ManualKind) -> ManualKey {
        ManualKey {
            name: " workstation ".into(),
            issuer: "HPC".into(),
            secret: secret.into(),
            algorithm: Algorithm::Sha256,
            digits: 8,
            kind,
        }
    }

    #[test]
    fn a_typed_key_becomes_the_account_it_describes() {
        let totp = ManualKind::Totp {
            period: "60".into(),
        };
        let account = key("gezd gnbv gy3t qojq", totp).to_account().unwrap();
        assert_eq!(account.name, "workstation");
        assert_eq!(account.issuer.as_deref(), Some("HPC"));
        assert_eq!(account.kind, Kind::Totp { period: 60 });
        assert_eq!((account.algorithm, account.digits), (Algorithm::Sha256, 8));
        let hotp = key("GEZDGNBVGY3TQOJQ", ManualKind::Hotp)
            .to_account()
            .unwrap();
        assert_eq!(hotp.kind, Kind::Hotp { counter: 0 });
    }

    #[test]
    fn typing_mistakes_are_the_errors_a_scanned_key_gets() {
        let totp = || ManualKind::Totp {
            period: "30".into(),
        };
        assert_eq!(
            key("  ", totp()).to_account().unwrap_err(),
            OtpError::MissingSecret
        );
        assert!(matches!(
            key("not base32!", totp()).to_account().unwrap_err(),
            OtpError::InvalidBase32 { .. }
        ));
        let zero = ManualKind::Totp { period: "0".into() };
        assert!(matches!(
            key("GEZDGNBVGY3TQOJQ", zero).to_account().unwrap_err(),
            OtpError::InvalidPeriod(_)
        ));
    }

    #[test]
    fn debug_leaves_the_secret_out() {
        let k = key("GEZDGNBVGY3TQOJQ", ManualKind::Hotp);
        assert!(!format!("{k:?}").contains("GEZD"));
    }
}
