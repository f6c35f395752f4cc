//! PINs: the rules a new PIN must meet, and a type that keeps PINs out of logs and memory dumps.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

/// The shortest PIN accepted for a new vault or a PIN change.
pub const MIN_PIN_DIGITS: usize = 6;
/// The longest PIN accepted; anything longer is a paste gone wrong.
pub const MAX_PIN_DIGITS: usize = 64;

/// PINs refused for a new vault because they are the first ones anyone tries. All-same-digit
/// PINs and straight runs (123456789, 987654) are refused by rule as well.
pub const COMMON_PINS: &[&str] = &[
    "000000", "111111", "222222", "333333", "444444", "555555", "666666", "777777", "888888",
    "999999", "123456", "654321", "123123", "121212", "112233", "123321", "696969", "159753",
    "147258", "789456", "159357", "246810", "102030", "010203", "131313", "252525", "007007",
    "123654", "456789", "987654", "520520", "202020", "101010", "100100", "111222",
];

/// A PIN, zeroized on drop and never shown by `Debug`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Pin(String);

/// Why a new PIN is refused, each with the rule the user must follow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    /// Letters or symbols in the PIN.
    #[error("a PIN may contain only digits 0-9")]
    NotDigits,
    /// Fewer than [`MIN_PIN_DIGITS`] digits.
    #[error("a PIN needs at least {MIN_PIN_DIGITS} digits")]
    TooShort,
    /// More than [`MAX_PIN_DIGITS`] digits.
    #[error("a PIN may have at most {MAX_PIN_DIGITS} digits")]
    TooLong,
    /// On the list of the most common PINs, or a repeated digit or straight run.
    #[error("this PIN is among the first ones anyone would try; choose a less obvious one")]
    TooCommon,
    /// The confirmation differs from the first entry.
    #[error("the two PINs differ; type the same PIN twice")]
    Mismatch,
}

impl Pin {
    /// A PIN as typed to unlock an existing vault. No strength rules apply: the vault decides
    /// whether it is right. Surrounding white space (a newline from a script) is dropped.
    pub fn entered(text: &str) -> Self {
        Self(text.trim().to_owned())
    }

    /// A PIN chosen for a new vault or a PIN change, checked against the rules.
    pub fn new_checked(text: &str) -> Result<Self, PinError> {
        let pin = Self::entered(text);
        pin.check()?;
        Ok(pin)
    }

    /// A PIN chosen for a new vault or a PIN change and typed twice: checked against the rules,
    /// then against its confirmation ([`PinError::Mismatch`]). The window and the terminal
    /// both ask through this.
    pub fn new_confirmed(text: &str, confirmation: &str) -> Result<Self, PinError> {
        let pin = Self::new_checked(text)?;
        if pin.0 != confirmation.trim() {
            return Err(PinError::Mismatch);
        }
        Ok(pin)
    }

    /// Checks a new PIN against the rules: digits only, 6 to 64 of them, not common.
    pub fn check(&self) -> Result<(), PinError> {
        let digits = self.0.as_bytes();
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(PinError::NotDigits);
        }
        if digits.len() < MIN_PIN_DIGITS {
            return Err(PinError::TooShort);
        }
        if digits.len() > MAX_PIN_DIGITS {
            return Err(PinError::TooLong);
        }
        let steps: Vec<i16> = digits
            .windows(2)
            .map(|w| i16::from(w[1]) - i16::from(w[0]))
            .collect();
        let straight = steps.iter().all(|s| *s == steps[0]) && steps[0].abs() <= 1;
        if straight || COMMON_PINS.contains(&self.0.as_str()) {
            return Err(PinError::TooCommon);
        }
        Ok(())
    }

    /// The PIN's bytes, for key derivation.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// True for a PIN with nothing in it.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_and_weak_pins_are_refused() {
        assert!(COMMON_PINS.len() >= 10);
        for pin in COMMON_PINS {
            assert_eq!(
                Pin::new_checked(pin).unwrap_err(),
                PinError::TooCommon,
                "{pin}"
            );
        }
        for pin in ["1234567", "98765432", "0000000", "5555555555"] {
            assert_eq!(
                Pin::new_checked(pin).unwrap_err(),
                PinError::TooCommon,
                "{pin}"
            );
        }
        assert_eq!(Pin::new_checked("12345").unwrap_err(), PinError::TooShort);
        assert_eq!(Pin::new_checked("12a456").unwrap_err(), PinError::NotDigits);
        assert_eq!(
            Pin::new_checked(&"7".repeat(65)).unwrap_err(),
            PinError::TooLong
        );
    }

    #[test]
    fn a_confirmed_pin_meets_the_rules_first_then_its_confirmation() {
        assert!(Pin::new_confirmed("482916", " 482916\n").is_ok());
        assert_eq!(
            Pin::new_confirmed("482916", "482961").unwrap_err(),
            PinError::Mismatch
        );
        // A weak PIN is refused by its rule, even when both entries agree.
        assert_eq!(
            Pin::new_confirmed("123456", "123456").unwrap_err(),
            PinError::TooCommon
        );
    }

    #[test]
    fn ordinary_pins_are_accepted_and_never_printed() {
        for pin in ["482916", "271828", "3141592", "09182736"] {
            let p = Pin::new_checked(pin).unwrap();
            assert!(!format!("{p:?}").contains(pin));
        }
        assert_eq!(Pin::new_checked(" 482916\n").unwrap().as_bytes(), b"482916");
    }
}

/// The shortest backup password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// A backup password: any text, zeroized on drop and never shown by `Debug`.
///
/// Backups leave the device, so they get a password of their own rather than the PIN: a
/// 6-digit PIN would be found in minutes by anyone holding the file.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Password(String);

impl Password {
    /// A password as typed to open an existing backup; the trailing newline of a script is
    /// dropped, other white space is kept (it may be part of the password).
    pub fn entered(text: &str) -> Self {
        Self(text.trim_end_matches(['\n', '\r']).to_owned())
    }

    /// A password chosen for a new backup: at least [`MIN_PASSWORD_CHARS`] characters.
    pub fn new_checked(text: &str) -> Result<Self, super::VaultError> {
        let password = Self::entered(text);
        password.check()?;
        Ok(password)
    }

    /// Checks the rule for new backup passwords.
    pub fn check(&self) -> Result<(), super::VaultError> {
        if self.0.chars().count() < MIN_PASSWORD_CHARS {
            return Err(super::VaultError::WeakPassword(MIN_PASSWORD_CHARS));
        }
        Ok(())
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}
