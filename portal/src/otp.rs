//! The keys the portal issues: `otpauth://` URIs, QR images, and code checks.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use subtle::ConstantTimeEq;
use totp_rs::Builder;

use crate::config::{OtpAlgorithm, OtpParams, Window};
use crate::crypto::SecretBytes;

/// Bytes in a newly issued secret: 160 bits, the size RFC 4226 recommends for HMAC-SHA1.
pub const SECRET_LEN: usize = 20;

/// Characters escaped in the label and parameter values: everything but unreserved ones.
const ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Base32 (RFC 4648) without padding, as authenticator apps expect it.
pub fn base32(secret: &SecretBytes) -> String {
    data_encoding::BASE32_NOPAD.encode(secret.expose())
}

/// What goes into an `otpauth://` URI besides the secret.
#[derive(Debug, Clone)]
pub struct UriFields<'a> {
    /// The issuer (the portal's `--issuer`).
    pub issuer: &'a str,
    /// The token name the user typed; it becomes the account part of the label.
    pub token_name: &'a str,
    /// The user's username, carried in the `username` parameter.
    pub username: &'a str,
    /// Code parameters.
    pub params: OtpParams,
    /// Expected expiry date (`YYYY-MM-DD`), carried in the `expires` parameter.
    pub expires: &'a str,
    /// The portal's base URL, carried in the `pocketpass_time` parameter so the app can measure
    /// its clock against the clock that checks its codes; `None` when the portal does not know
    /// an address people can reach it at.
    pub time_source: Option<&'a str>,
}

/// The extra `otpauth://` parameter naming the portal whose `Date` header is the time its codes
/// are checked against. Other apps ignore parameters they do not know.
pub const TIME_PARAM: &str = "pocketpass_time";

/// Builds `otpauth://totp/ISSUER:TOKEN_NAME?secret=...&issuer=...&algorithm=...&digits=...
/// &period=...&expires=YYYY-MM-DD&username=...[&pocketpass_time=BASE_URL]`.
///
/// The label carries the token name (not the username) because the centre's instructions say
/// the name the user types "is displayed on your device": every authenticator app shows the
/// label's account part. The username travels in its own parameter, which other apps ignore.
pub fn otpauth_uri(f: &UriFields<'_>, secret: &SecretBytes) -> String {
    let enc = |s: &str| utf8_percent_encode(s, ESCAPE).to_string();
    let time = f
        .time_source
        .map(|url| format!("&{TIME_PARAM}={}", enc(url)))
        .unwrap_or_default();
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm={}&digits={}&period={}&expires={}&username={}{time}",
        enc(f.issuer),
        enc(f.token_name),
        base32(secret),
        enc(f.issuer),
        f.params.algorithm.as_str(),
        f.params.digits,
        f.params.period,
        enc(f.expires),
        enc(f.username),
    )
}

fn totp(secret: &SecretBytes, params: OtpParams) -> Option<totp_rs::Totp> {
    let algorithm = match params.algorithm {
        OtpAlgorithm::Sha1 => totp_rs::Algorithm::SHA1,
        OtpAlgorithm::Sha256 => totp_rs::Algorithm::SHA256,
        OtpAlgorithm::Sha512 => totp_rs::Algorithm::SHA512,
    };
    Builder::new()
        .with_algorithm(algorithm)
        .with_digits(u8::try_from(params.digits).ok()?)
        .with_step_duration(u64::from(params.period))
        .with_skew(0)
        .with_secret(secret.expose().to_vec())
        .build()
        .ok()
}

/// The code for Unix time `t`, or `None` for parameters totp-rs refuses (digits outside 6–8).
pub fn code_at(secret: &SecretBytes, params: OtpParams, t: i64) -> Option<String> {
    let t = u64::try_from(t).ok()?;
    Some(totp(secret, params)?.generate(t).to_string())
}

/// The time step that Unix time `t` falls in.
pub fn step_of(params: OtpParams, t: i64) -> i64 {
    t.div_euclid(i64::from(params.period.max(1)))
}

/// A step whose code matched: the step itself and where it lies from the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    /// The time step whose code equals the one given.
    pub step: i64,
    /// `step` minus the current step: negative when the code is from the past (the device's
    /// clock behind the portal's), positive when from the future (ahead).
    pub offset: i64,
}

/// The highest step within `window` of `now`'s step whose code equals `code`, if any.
///
/// Every candidate is computed and compared in constant time, so the answer's timing does not
/// tell which step (if any) matched.
pub fn matching_step(
    secret: &SecretBytes,
    params: OtpParams,
    window: Window,
    code: &str,
    now: i64,
) -> Option<Match> {
    let totp = totp(secret, params)?;
    let current = step_of(params, now);
    let mut found = None;
    // Window's constructor bounds both sides; the `min` keeps the loop short even so.
    let past = i64::from(window.past().min(Window::MAX));
    let future = i64::from(window.future().min(Window::MAX));
    for step in current - past..=current + future {
        let Ok(t) = u64::try_from(step * i64::from(params.period)) else {
            continue;
        };
        let expected = totp.generate(t).to_string();
        if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) {
            found = Some(Match {
                step,
                offset: step - current,
            });
        }
    }
    found
}

/// Whether `code` has the shape of a code for `params` (exactly `digits` ASCII digits).
pub fn well_formed(code: &str, params: OtpParams) -> bool {
    code.len() == params.digits as usize && code.bytes().all(|b| b.is_ascii_digit())
}

/// Renders `text` as a QR code PNG (black on white, with the standard quiet zone).
pub fn qr_png(text: &str) -> Result<Vec<u8>, String> {
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M)
        .map_err(|e| e.to_string())?;
    let img = code
        .render::<image::Luma<u8>>()
        .min_dimensions(320, 320)
        .build();
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA1 vectors, 8 digits, secret "12345678901234567890".
    #[test]
    fn rfc6238_sha1_vectors() {
        let s = SecretBytes::new(b"12345678901234567890".to_vec());
        let p = OtpParams {
            algorithm: OtpAlgorithm::Sha1,
            digits: 8,
            period: 30,
        };
        assert_eq!(code_at(&s, p, 59).unwrap(), "94287082");
        assert_eq!(code_at(&s, p, 1_111_111_109).unwrap(), "07081804");
        assert_eq!(code_at(&s, p, 20_000_000_000).unwrap(), "65353130");
    }

    #[test]
    fn default_window_is_one_step_each_side_and_reports_the_offset() {
        let s = SecretBytes::new(b"12345678901234567890".to_vec());
        let p = OtpParams::default();
        let now = 1_700_000_000;
        let step = step_of(p, now);
        for (dt, expect) in [
            (-60, None),
            (-30, Some(-1)),
            (0, Some(0)),
            (30, Some(1)),
            (60, None),
        ] {
            let code = code_at(&s, p, now + dt).unwrap();
            let found = matching_step(&s, p, Window::default(), &code, now);
            assert_eq!(found.map(|m| m.offset), expect, "offset {dt}");
            if let Some(m) = found {
                assert_eq!(m.step, step + m.offset);
            }
        }
        assert!(well_formed("012345", p));
        assert!(!well_formed("01234", p));
        assert!(!well_formed("01234a", p));
    }

    #[test]
    fn uri_carries_name_issuer_and_expiry() {
        let s = SecretBytes::new(vec![0; 20]);
        let f = UriFields {
            issuer: "Centre X",
            token_name: "My phone",
            username: "alice",
            params: OtpParams::default(),
            expires: "2028-11-28",
            time_source: None,
        };
        assert_eq!(
            otpauth_uri(&f, &s),
            "otpauth://totp/Centre%20X:My%20phone?secret=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&issuer=Centre%20X\
             &algorithm=SHA1&digits=6&period=30&expires=2028-11-28&username=alice"
        );
    }

    #[test]
    fn uri_names_the_portal_as_time_source_percent_encoded() {
        let s = SecretBytes::new(vec![0; 20]);
        let f = UriFields {
            issuer: "I",
            token_name: "T",
            username: "u",
            params: OtpParams::default(),
            expires: "2028-11-28",
            time_source: Some("https://portal.example:8443"),
        };
        assert!(otpauth_uri(&f, &s)
            .ends_with("&username=u&pocketpass_time=https%3A%2F%2Fportal.example%3A8443"));
    }

    #[test]
    fn a_wider_window_reaches_exactly_its_steps() {
        let s = SecretBytes::new(b"12345678901234567890".to_vec());
        let p = OtpParams::default();
        let now = 1_700_000_000;
        let w = Window::new(3, 2).unwrap();
        for (steps, accepted) in [(-4, false), (-3, true), (2, true), (3, false)] {
            let code = code_at(&s, p, now + steps * 30).unwrap();
            let found = matching_step(&s, p, w, &code, now).map(|m| m.offset);
            assert_eq!(found, accepted.then_some(steps), "{steps} steps");
        }
    }
}
