//! A lenient RFC 4648 base32 decoder for secrets as real portals emit them.
//!
//! Portals hand out secrets in lowercase, grouped with spaces or hyphens, with or without `=`
//! padding, and with lengths whose last character carries unused bits. Strict decoders (and
//! totp-rs' own parsing) reject several of these, so we normalise and decode here.

use zeroize::Zeroizing;

use super::OtpError;

/// Decodes a base32 secret after normalising case, grouping and padding.
///
/// Unused trailing bits are ignored, as every mainstream authenticator does. An invalid character
/// is reported with its position in the text as given (counting from 1).
pub(crate) fn decode(text: &str) -> Result<Zeroizing<Vec<u8>>, OtpError> {
    let mut out = Zeroizing::new(Vec::with_capacity(text.len() * 5 / 8 + 1));
    let mut buffer: u64 = 0;
    let mut bits = 0u32;
    let mut seen_padding = false;
    for (index, c) in text.chars().enumerate() {
        let value = match c {
            ' ' | '-' | '\t' => continue,
            '=' => {
                seen_padding = true;
                continue;
            }
            'A'..='Z' => c as u64 - 'A' as u64,
            'a'..='z' => c as u64 - 'a' as u64,
            '2'..='7' => c as u64 - '2' as u64 + 26,
            _ => {
                return Err(OtpError::InvalidBase32 {
                    position: index + 1,
                    character: printable(c),
                })
            }
        };
        if seen_padding {
            // Data after padding means the secret was cut and pasted together wrongly.
            return Err(OtpError::InvalidBase32 {
                position: index + 1,
                character: printable(c),
            });
        }
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    // The leftover bits are part of the secret too.
    zeroize::Zeroize::zeroize(&mut buffer);
    Ok(out)
}

/// The character as the user would recognise it in an error message.
fn printable(c: char) -> String {
    if c.is_control() {
        format!("U+{:04X}", c as u32)
    } else {
        c.to_string()
    }
}

/// Encodes bytes as unpadded uppercase base32, the canonical form Pocket Pass stores and shows.
pub(crate) fn encode(bytes: &[u8]) -> Zeroizing<String> {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = Zeroizing::new(String::with_capacity(bytes.len().div_ceil(5) * 8));
    let mut buffer: u64 = 0;
    let mut bits = 0u32;
    for &b in bytes {
        buffer = (buffer << 8) | u64::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors_round_trip() {
        // RFC 4648 section 10, without padding.
        let cases = [
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(encode(plain.as_bytes()).as_str(), encoded);
            assert_eq!(decode(encoded).unwrap().as_slice(), plain.as_bytes());
        }
    }

    #[test]
    fn lowercase_spaces_hyphens_and_padding_are_accepted() {
        let want = decode("MZXW6YTBOI").unwrap();
        for text in [
            "mzxw6ytboi",
            "MZXW 6YTB OI",
            "mzxw-6ytb-oi",
            "MZXW6YTBOI======",
        ] {
            assert_eq!(decode(text).unwrap(), want, "{text}");
        }
    }

    #[test]
    fn invalid_characters_are_named_with_their_position() {
        match decode("MZXW1YTB") {
            Err(OtpError::InvalidBase32 {
                position,
                character,
            }) => {
                assert_eq!(position, 5);
                assert_eq!(character, "1");
            }
            other => panic!("expected an invalid base32 error, got {other:?}"),
        }
        assert!(decode("MZ==XW").is_err(), "data after padding");
    }
}
