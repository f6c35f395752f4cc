//! Plain `otpauth://` URIs (Google's Key URI format), one a line.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use zeroize::Zeroizing;

use crate::otp::{Account, Kind};

/// Everything but RFC 3986's unreserved characters is escaped, so labels with colons,
/// spaces or non-ASCII letters survive every parser.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn encode(text: &str) -> String {
    utf8_percent_encode(text, COMPONENT).to_string()
}

/// The key URI of one account: `otpauth://totp/Issuer:name?secret=...&issuer=...&algorithm=...
/// &digits=...&period=...`, `hotp` with `counter=`, and `otpauth://steam/...` for Steam.
pub fn otpauth_uri(account: &Account) -> Zeroizing<String> {
    let (kind, tail) = match account.kind {
        Kind::Totp { period } => ("totp", format!("&period={period}")),
        Kind::Hotp { counter } => ("hotp", format!("&counter={counter}")),
        Kind::Steam => ("steam", "&period=30".to_owned()),
    };
    let label = match account.issuer.as_deref().filter(|i| !i.is_empty()) {
        Some(issuer) => format!("{}:{}", encode(issuer), encode(&account.name)),
        None => encode(&account.name),
    };
    let issuer = account
        .issuer
        .as_deref()
        .filter(|i| !i.is_empty())
        .map(|i| format!("&issuer={}", encode(i)))
        .unwrap_or_default();
    let secret = account.secret.to_base32();
    let mut uri = Zeroizing::new(String::with_capacity(
        128 + secret.len() + label.len() + issuer.len(),
    ));
    uri.push_str("otpauth://");
    uri.push_str(kind);
    uri.push('/');
    uri.push_str(&label);
    uri.push_str("?secret=");
    uri.push_str(&secret);
    uri.push_str(&issuer);
    uri.push_str("&algorithm=");
    uri.push_str(account.algorithm.as_str());
    uri.push_str(&format!("&digits={}", account.digits));
    uri.push_str(&tail);
    uri
}

/// Every account as a key URI, one a line, each line ending with a newline.
pub fn otpauth_lines(accounts: &[Account]) -> Zeroizing<String> {
    let uris: Vec<Zeroizing<String>> = accounts.iter().map(otpauth_uri).collect();
    // The exact size, so that no reallocation leaves a copy of the keys behind.
    let mut text = Zeroizing::new(String::with_capacity(
        uris.iter().map(|u| u.len() + 1).sum(),
    ));
    for uri in &uris {
        text.push_str(uri);
        text.push('\n');
    }
    text
}
