//! `otpauth://` key URIs (Google's Key URI Format), read as real portals write them.

use percent_encoding::percent_decode_str;
use zeroize::Zeroizing;

use super::{
    has_scheme, reconcile_issuer, split_label, Account, Algorithm, Kind, OtpError, Secret,
    STEAM_DIGITS,
};

/// Parses one `otpauth://totp/...` or `otpauth://hotp/...` URI into a validated account.
///
/// Accepted beyond the letter of the format, because real portals emit it: the issuer as a label
/// prefix, as `issuer=`, or both (when they disagree, both are kept); `%20` or `+` for spaces;
/// `:` inside the account name; secrets in lowercase, grouped, or padded; 80-bit secrets.
/// Parameters we do not interpret are kept in [`Account::extra`].
///
/// Steam Guard keys arrive three ways, all read as [`Kind::Steam`]: `otpauth://steam/...` (Aegis,
/// Ente), `otpauth://totp/...?encoder=steam` (KeePassXC and others), and `steam://SECRET`
/// (Bitwarden, Proton), which carries no name: it is named "Steam".
pub fn parse_uri(text: &str) -> Result<Account, OtpError> {
    let text = text.trim();
    const SCHEME: &str = "otpauth://";
    if has_scheme(text, STEAM_SCHEME) {
        return parse_steam_link(&text[STEAM_SCHEME.len()..]);
    }
    if !has_scheme(text, SCHEME) {
        return Err(OtpError::NotAKey(describe_non_key(text)));
    }
    let rest = &text[SCHEME.len()..];
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    // A fragment is never part of a key; drop it rather than let it corrupt the last value.
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    let (kind_name, label) = path.split_once('/').unwrap_or((path, ""));
    let kind_name = kind_name.to_ascii_lowercase();
    if kind_name != "totp" && kind_name != "hotp" && kind_name != "steam" {
        return Err(OtpError::UnknownType(kind_name));
    }

    let label = decode_component(label)?;
    let (label_issuer, name) = split_label(&label);

    let mut secret: Option<Zeroizing<String>> = None;
    let mut issuer: Option<String> = None;
    let mut algorithm: Option<String> = None;
    let mut digits: Option<String> = None;
    let mut period: Option<String> = None;
    let mut counter: Option<String> = None;
    let mut extra = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode_component(key)?.to_ascii_lowercase();
        let value = Zeroizing::new(decode_component(value)?);
        let slot = match key.as_str() {
            "secret" => {
                set_once(&mut secret, value, "secret")?;
                continue;
            }
            "issuer" => &mut issuer,
            "algorithm" => &mut algorithm,
            "digits" => &mut digits,
            "period" => &mut period,
            "counter" => &mut counter,
            _ => {
                extra.push((key, value.to_string()));
                continue;
            }
        };
        set_once(slot, value.to_string(), &key)?;
    }

    // Steam Guard codes have one shape; a digits= or algorithm= beside them is an exporter's
    // default (Aegis writes digits=5) and is not checked against the TOTP rules.
    let steam = kind_name == "steam"
        || (kind_name == "totp"
            && extra
                .iter()
                .any(|(k, v)| k == "encoder" && v.eq_ignore_ascii_case("steam")));
    if steam {
        digits = None;
        algorithm = None;
        extra.retain(|(k, _)| k != "encoder");
    }

    let secret = match secret {
        Some(s) if !s.trim().is_empty() => Secret::from_base32(&s)?,
        _ => return Err(OtpError::MissingSecret),
    };
    let algorithm = algorithm
        .as_deref()
        .map(Algorithm::parse)
        .transpose()?
        .unwrap_or_default();
    let digits = match digits.as_deref() {
        None => 6,
        Some(d) => match d.trim().parse::<u8>() {
            Ok(n) if (6..=8).contains(&n) => n,
            _ => return Err(OtpError::InvalidDigits(d.to_owned())),
        },
    };
    let kind = if steam {
        Kind::Steam
    } else if kind_name == "totp" {
        let period = match period.as_deref() {
            None => 30,
            Some(p) => match p.trim().parse::<u64>() {
                Ok(n) if n > 0 => n,
                _ => return Err(OtpError::InvalidPeriod(p.to_owned())),
            },
        };
        Kind::Totp { period }
    } else {
        // The format requires a counter for HOTP; portals that leave it out mean 0.
        let counter = match counter.as_deref() {
            None => 0,
            Some(c) => c
                .trim()
                .parse::<u64>()
                .map_err(|_| OtpError::InvalidCounter(c.to_owned()))?,
        };
        Kind::Hotp { counter }
    };

    let digits = if steam { STEAM_DIGITS } else { digits };

    let (issuer, label_issuer) = reconcile_issuer(issuer, label_issuer);

    let account = Account {
        name,
        issuer,
        label_issuer,
        secret,
        algorithm,
        digits,
        kind,
        extra,
    };
    account.validate()?;
    Ok(account)
}

const STEAM_SCHEME: &str = "steam://";

/// Reads the part after `steam://`: a base32 secret, as Bitwarden and Proton write it.
fn parse_steam_link(rest: &str) -> Result<Account, OtpError> {
    let secret = Zeroizing::new(decode_component(
        rest.split(['?', '#', '/']).next().unwrap_or(""),
    )?);
    let account = Account {
        name: "Steam".to_owned(),
        issuer: Some("Steam".to_owned()),
        label_issuer: None,
        secret: Secret::from_base32(&secret)?,
        algorithm: Algorithm::Sha1,
        digits: STEAM_DIGITS,
        kind: Kind::Steam,
        extra: Vec::new(),
    };
    account.validate()?;
    Ok(account)
}

/// Stores a parameter's value, refusing a second, different value for the same parameter.
fn set_once<T: PartialEq>(slot: &mut Option<T>, value: T, key: &str) -> Result<(), OtpError> {
    match slot {
        Some(existing) if *existing != value => Err(OtpError::DuplicateParameter(key.to_owned())),
        _ => {
            *slot = Some(value);
            Ok(())
        }
    }
}

/// Percent-decodes a label or query component, reading `+` as a space as form encoding does.
fn decode_component(text: &str) -> Result<String, OtpError> {
    // The component may be the secret: keep the intermediate copy zeroized too.
    let spaced = Zeroizing::new(text.replace('+', " "));
    percent_decode_str(&spaced)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| OtpError::Malformed("a label or parameter is not valid UTF-8".into()))
}

/// Says in a few words what a text that is not a key is, for "this QR code is not an authenticator key".
fn describe_non_key(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        let shown: String = text.chars().take(80).collect();
        format!("a web address, {shown}")
    } else if text.is_empty() {
        "nothing".to_owned()
    } else if let Some((scheme, _)) = text.split_once(':').filter(|(s, _)| {
        !s.is_empty() && s.len() < 20 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    }) {
        format!("a {scheme}: link")
    } else {
        let count = text.chars().count();
        format!("{count} characters of text")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_https_url_is_not_a_key() {
        let err = parse_uri("https://portal.example.org/tokens").unwrap_err();
        assert!(matches!(err, OtpError::NotAKey(_)));
        assert!(err
            .to_string()
            .contains("this QR code is not an authenticator key"));
        assert!(err.to_string().contains("web address"));
    }
}
