//! Exports for other authenticators: an Aegis vault ([`aegis()`]), Google Authenticator
//! transfer QR codes ([`google_qr`]) and plain `otpauth://` URIs ([`otpauth_lines`]).
//!
//! Every result holds keys in the clear (QR codes and URI lists by their nature, the
//! unencrypted Aegis vault by the user's explicit choice), so each is returned in zeroized
//! memory and the caller writes it where the user asked, nowhere else.

mod aegis;
mod google;
mod uri;

pub use aegis::{aegis, aegis_unencrypted, AEGIS_SCRYPT_LOG_N};
pub use google::{google_qr, GoogleCode, GoogleQr, MAX_ACCOUNTS_PER_CODE};
pub use uri::{otpauth_lines, otpauth_uri};
