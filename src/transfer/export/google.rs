//! Google Authenticator transfer QR codes: `otpauth-migration://offline?data=...`, the
//! protobuf `MigrationPayload` that [`crate::otp::parse_migration`] reads (its layout is in
//! `src/otp/migration.rs`), split over as many codes as needed.

use std::fmt;

use zeroize::Zeroizing;

use crate::otp::{Account, Algorithm, Kind};
use crate::transfer::crypto::random;
use crate::transfer::TransferError;

/// The most accounts on one code, as Google Authenticator itself puts on its codes.
pub const MAX_ACCOUNTS_PER_CODE: usize = 10;
/// The most protobuf bytes on one code, so long names still give a QR code that phone cameras
/// read easily (about version 25 at error correction M).
const MAX_MESSAGE_BYTES: usize = 900;
/// Pixels per QR module and the quiet zone in modules, in the PNGs.
const SCALE: usize = 6;
const QUIET: usize = 4;

/// One transfer code.
pub struct GoogleCode {
    /// The text the code holds, `otpauth-migration://offline?data=...`.
    pub text: Zeroizing<String>,
    /// The code as a PNG image, black on white.
    pub png: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for GoogleCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GoogleCode(<{} bytes of PNG, redacted>)", self.png.len())
    }
}

/// The codes of an export and the accounts left out.
#[derive(Debug)]
pub struct GoogleQr {
    /// The codes, in order; scan them all in Google Authenticator.
    pub codes: Vec<GoogleCode>,
    /// Accounts Google Authenticator cannot hold: (name as shown, why).
    pub skipped: Vec<(String, String)>,
}

/// Why Google Authenticator cannot hold `account`, if it cannot.
fn unsupported(account: &Account) -> Option<String> {
    match account.kind {
        Kind::Steam => return Some("Google Authenticator has no Steam Guard codes".into()),
        Kind::Totp { period } if period != 30 => {
            return Some(format!(
                "its codes change every {period} seconds; Google Authenticator's transfer codes hold only 30-second keys"
            ))
        }
        _ => {}
    }
    match account.digits {
        6 | 8 => None,
        d => Some(format!(
            "its codes have {d} digits; Google Authenticator's transfer codes hold 6 or 8"
        )),
    }
}

fn varint(mut value: u64, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn field_varint(number: u64, value: u64, out: &mut Vec<u8>) {
    varint(number << 3, out);
    varint(value, out);
}

fn field_bytes(number: u64, bytes: &[u8], out: &mut Vec<u8>) {
    varint((number << 3) | 2, out);
    varint(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
}

/// One `OtpParameters` message.
fn parameters(account: &Account) -> Zeroizing<Vec<u8>> {
    // Reserved up front so that no reallocation leaves a copy of the key behind.
    let issuer_len = account.issuer.as_deref().map_or(0, str::len);
    let mut out = Zeroizing::new(Vec::with_capacity(
        64 + account.secret.expose().len() + 2 * (account.name.len() + issuer_len),
    ));
    field_bytes(1, account.secret.expose(), &mut out);
    // Google writes "Issuer:name" as the name when there is an issuer; so do we, which also
    // keeps a colon inside the name from being taken for the issuer's.
    let name = match account.issuer.as_deref().filter(|i| !i.is_empty()) {
        Some(issuer) => format!("{issuer}:{}", account.name),
        None => account.name.clone(),
    };
    field_bytes(2, name.as_bytes(), &mut out);
    field_bytes(
        3,
        account.issuer.as_deref().unwrap_or("").as_bytes(),
        &mut out,
    );
    let algorithm = match account.algorithm {
        Algorithm::Sha1 => 1,
        Algorithm::Sha256 => 2,
        Algorithm::Sha512 => 3,
    };
    field_varint(4, algorithm, &mut out);
    field_varint(5, if account.digits == 8 { 2 } else { 1 }, &mut out);
    match account.kind {
        Kind::Hotp { counter } => {
            field_varint(6, 1, &mut out);
            field_varint(7, counter, &mut out);
        }
        _ => field_varint(6, 2, &mut out),
    }
    out
}

/// The transfer codes for `accounts`: at most [`MAX_ACCOUNTS_PER_CODE`] accounts a code, each
/// code a PNG and its text. Accounts Google Authenticator cannot hold (Steam, 7 digits, periods
/// other than 30 seconds) are named in [`GoogleQr::skipped`] and left out.
pub fn google_qr(accounts: &[Account]) -> Result<GoogleQr, TransferError> {
    let mut skipped = Vec::new();
    let mut batches: Vec<Vec<Zeroizing<Vec<u8>>>> = Vec::new();
    let mut size = 0;
    for account in accounts {
        if let Some(reason) = unsupported(account) {
            skipped.push((account.display_name(), reason));
            continue;
        }
        let message = parameters(account);
        let full = batches.last().is_none_or(|b| {
            b.len() >= MAX_ACCOUNTS_PER_CODE || size + message.len() > MAX_MESSAGE_BYTES
        });
        if full {
            batches.push(Vec::new());
            size = 0;
        }
        size += message.len() + 3;
        batches
            .last_mut()
            .expect("a batch was just pushed")
            .push(message);
    }
    let mut id = [0u8; 4];
    random(&mut id)?;
    let batch_id = u64::from(u32::from_le_bytes(id) & 0x7fff_ffff);
    let count = batches.len() as u64;
    let mut codes = Vec::with_capacity(batches.len());
    for (index, batch) in batches.iter().enumerate() {
        let capacity = batch.iter().map(|m| m.len() + 4).sum::<usize>() + 32;
        let mut payload = Zeroizing::new(Vec::with_capacity(capacity));
        for message in batch {
            field_bytes(1, message, &mut payload);
        }
        field_varint(2, 1, &mut payload);
        field_varint(3, count, &mut payload);
        field_varint(4, index as u64, &mut payload);
        field_varint(5, batch_id, &mut payload);
        let base64 = Zeroizing::new(data_encoding::BASE64.encode(&payload));
        let mut text = Zeroizing::new(String::with_capacity(base64.len() * 3 + 40));
        text.push_str("otpauth-migration://offline?data=");
        for c in base64.chars() {
            match c {
                '+' => text.push_str("%2B"),
                '/' => text.push_str("%2F"),
                '=' => text.push_str("%3D"),
                c => text.push(c),
            }
        }
        let png = render(&text)?;
        codes.push(GoogleCode { text, png });
    }
    Ok(GoogleQr { codes, skipped })
}

/// Draws `text` as a QR code PNG.
fn render(text: &str) -> Result<Zeroizing<Vec<u8>>, TransferError> {
    use image::ImageEncoder;
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| TransferError::Export(format!("the QR code could not be made: {e}")))?;
    let width = code.width();
    let side = (width + 2 * QUIET) * SCALE;
    let colors = code.to_colors();
    let mut pixels = Zeroizing::new(vec![255u8; side * side]);
    for (i, color) in colors.iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (x, y) = ((i % width + QUIET) * SCALE, (i / width + QUIET) * SCALE);
            for row in y..y + SCALE {
                pixels[row * side + x..row * side + x + SCALE].fill(0);
            }
        }
    }
    let mut png = Zeroizing::new(Vec::with_capacity(side * side + 4096));
    image::codecs::png::PngEncoder::new(&mut *png)
        .write_image(
            &pixels,
            side as u32,
            side as u32,
            image::ExtendedColorType::L8,
        )
        .map_err(|e| TransferError::Export(format!("the QR code image could not be made: {e}")))?;
    // The module colours spell out the keys: overwrite our copy before it is freed. (The
    // QR encoder's own buffers are not ours to clear; they hold the same text the PNG does.)
    let mut colors = colors;
    colors.fill(qrcode::Color::Light);
    std::hint::black_box(&colors);
    Ok(png)
}
