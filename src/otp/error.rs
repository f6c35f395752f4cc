//! Why a QR code or link could not be turned into an account.

use thiserror::Error;

/// Why a key link is not a usable authenticator key. Each message names the problem in the
/// user's words; the UI and the terminal show it as is.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OtpError {
    /// The text is something else entirely, most often a web address.
    #[error("this QR code is not an authenticator key (it holds {0})")]
    NotAKey(String),
    /// The text starts like a key URI but cannot be read as one.
    #[error("the key link is malformed: {0}")]
    Malformed(String),
    /// `otpauth://` followed by something other than `totp`, `hotp` or `steam`.
    #[error("unknown key type \"{0}\": only totp, hotp and steam keys are supported")]
    UnknownType(String),
    /// No `secret=` parameter, or an empty one.
    #[error("the key has no secret (the secret= parameter is missing or empty)")]
    MissingSecret,
    /// The secret holds a character outside the base32 alphabet.
    #[error("the secret is not valid base32: character {character:?} at position {position}")]
    InvalidBase32 {
        /// Position of the offending character, counting from 1.
        position: usize,
        /// The offending character.
        character: String,
    },
    /// The secret is shorter than 80 bits, too weak to be a real key.
    #[error(
        "the secret is only {bits} bits long; at least 80 bits (16 base32 characters) are needed"
    )]
    SecretTooShort {
        /// The secret's length in bits.
        bits: usize,
    },
    /// `digits=` outside 6 to 8.
    #[error("the code length must be 6, 7 or 8 digits, not \"{0}\"")]
    InvalidDigits(String),
    /// `period=` not a positive whole number of seconds.
    #[error("the period must be a positive number of seconds, not \"{0}\"")]
    InvalidPeriod(String),
    /// `counter=` of an HOTP key not a whole number.
    #[error("the counter must be a whole number, not \"{0}\"")]
    InvalidCounter(String),
    /// `algorithm=` other than SHA1, SHA256 or SHA512.
    #[error("unknown algorithm \"{0}\": only SHA1, SHA256 and SHA512 are supported")]
    UnknownAlgorithm(String),
    /// A parameter that must appear once appears twice with different values.
    #[error("the parameter {0}= appears more than once with different values")]
    DuplicateParameter(String),
    /// A Google Authenticator export that cannot be read.
    #[error("this Google Authenticator export cannot be read: {0}")]
    Migration(String),
    /// A Google Authenticator export that holds no accounts: there is nothing to install.
    #[error("this QR code holds a Google Authenticator export with no accounts; export the accounts again in Google Authenticator and scan the new code")]
    EmptyExport,
    /// More text than any QR code or key link holds: refused before it is parsed.
    #[error("this is {0} characters long, more than any key link holds; copy the link alone")]
    TooLong(usize),
}
