//! The QR character-set rules: turning a decoded symbol's segments into text.
//!
//! Numeric and alphanumeric segments are ASCII. Kanji segments are Shift_JIS. Byte segments are
//! in the character set of the ECI designator in force; without one the standard says
//! ISO-8859-1, but many generators write UTF-8 or Shift_JIS without saying so, so — like ZXing —
//! the bytes are examined and the likeliest of the three is used. A key's `otpauth://` URI is
//! ASCII and reads the same under all of them.

use encoding_rs::Encoding;
use rqrr::{Payload, SegmentKind};

/// How a run of bytes is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Charset {
    /// ISO-8859-1: each byte is the code point of the same number.
    Latin1,
    /// A character set `encoding_rs` knows.
    Other(&'static Encoding),
    /// ECI 899: binary data, no text.
    Binary,
}

/// The character set an ECI designator names, or `None` for designators that name no character
/// set we can read.
fn charset_of_eci(eci: u32) -> Option<Charset> {
    use encoding_rs::*;
    let enc: &'static Encoding = match eci {
        // 0 and 2 are CP437, which encoding_rs lacks; its printable ASCII half is shared.
        0..=3 => return Some(Charset::Latin1),
        4 => ISO_8859_2,
        5 => ISO_8859_3,
        6 => ISO_8859_4,
        7 => ISO_8859_5,
        8 => ISO_8859_6,
        9 => ISO_8859_7,
        10 => ISO_8859_8,
        11 => WINDOWS_1254,
        12 => ISO_8859_10,
        13 => WINDOWS_874,
        15 => ISO_8859_13,
        16 => ISO_8859_14,
        17 => ISO_8859_15,
        18 => ISO_8859_16,
        20 => SHIFT_JIS,
        21 => WINDOWS_1250,
        22 => WINDOWS_1251,
        23 => WINDOWS_1252,
        24 => WINDOWS_1256,
        25 => UTF_16BE,
        26 => UTF_8,
        27 | 170 => return Some(Charset::Latin1),
        28 => BIG5,
        29 => GB18030,
        30 => EUC_KR,
        899 => return Some(Charset::Binary),
        _ => return None,
    };
    Some(Charset::Other(enc))
}

/// Guesses the character set of byte-mode data that came without an ECI designator, following
/// ZXing's `StringUtils.guessEncoding`: valid UTF-8 with multi-byte sequences is UTF-8; text with
/// runs of Shift_JIS katakana or double-byte characters is Shift_JIS; otherwise ISO-8859-1.
fn guess(bytes: &[u8]) -> Charset {
    let mut can_iso = true;
    let mut can_sjis = true;
    let mut can_utf8 = true;
    let (mut utf8_left, mut utf8_multi) = (0usize, 0usize);
    let (mut sjis_left, mut sjis_kana) = (0usize, 0usize);
    let (mut kana_run, mut double_run, mut max_kana_run, mut max_double_run) = (0, 0, 0, 0);
    let mut iso_high_other = 0usize;
    let bom = bytes.starts_with(&[0xef, 0xbb, 0xbf]);
    for &v in bytes {
        if !(can_iso || can_sjis || can_utf8) {
            break;
        }
        if can_utf8 {
            if utf8_left > 0 {
                if v & 0x80 == 0 {
                    can_utf8 = false;
                } else {
                    utf8_left -= 1;
                }
            } else if v & 0x80 != 0 {
                if v & 0x40 == 0 {
                    can_utf8 = false;
                } else {
                    utf8_multi += 1;
                    utf8_left = if v & 0x20 == 0 {
                        1
                    } else if v & 0x10 == 0 {
                        2
                    } else if v & 0x08 == 0 {
                        3
                    } else {
                        can_utf8 = false;
                        0
                    };
                }
            }
        }
        if can_iso {
            if v > 0x7f && v < 0xa0 {
                can_iso = false;
            } else if v > 0x9f && (v < 0xc0 || v == 0xd7 || v == 0xf7) {
                iso_high_other += 1;
            }
        }
        if can_sjis {
            if sjis_left > 0 {
                if v < 0x40 || v == 0x7f || v > 0xfc {
                    can_sjis = false;
                } else {
                    sjis_left -= 1;
                }
            } else if v == 0x80 || v == 0xa0 || v > 0xef {
                can_sjis = false;
            } else if v > 0xa0 && v < 0xe0 {
                sjis_kana += 1;
                double_run = 0;
                kana_run += 1;
                max_kana_run = max_kana_run.max(kana_run);
            } else if v > 0x7f {
                sjis_left += 1;
                kana_run = 0;
                double_run += 1;
                max_double_run = max_double_run.max(double_run);
            } else {
                kana_run = 0;
                double_run = 0;
            }
        }
    }
    can_utf8 &= utf8_left == 0;
    can_sjis &= sjis_left == 0;
    if can_utf8 && (bom || utf8_multi > 0) {
        return Charset::Other(encoding_rs::UTF_8);
    }
    if can_sjis && (max_kana_run >= 3 || max_double_run >= 3) {
        return Charset::Other(encoding_rs::SHIFT_JIS);
    }
    if can_iso && can_sjis {
        return if (max_kana_run == 2 && sjis_kana == 2) || iso_high_other * 10 >= bytes.len() {
            Charset::Other(encoding_rs::SHIFT_JIS)
        } else {
            Charset::Latin1
        };
    }
    if can_iso {
        return Charset::Latin1;
    }
    if can_sjis {
        return Charset::Other(encoding_rs::SHIFT_JIS);
    }
    if can_utf8 {
        return Charset::Other(encoding_rs::UTF_8);
    }
    Charset::Latin1
}

/// Reads `bytes` in `charset`; `None` for binary data or bytes that are invalid in it.
fn read(bytes: &[u8], charset: Charset) -> Option<String> {
    match charset {
        Charset::Latin1 => Some(bytes.iter().map(|&b| b as char).collect()),
        Charset::Binary => None,
        Charset::Other(enc) => {
            let (text, had_errors) = enc.decode_without_bom_handling(bytes);
            (!had_errors).then(|| text.into_owned())
        }
    }
}

/// `bytes` read as one unlabelled byte segment would be: the character set guessed as ZXing
/// does. `None` for binary data.
pub fn guessed_text(bytes: &[u8]) -> Option<String> {
    read(bytes, guess(bytes))
}

/// The payload's bytes as they were encoded (Kanji segments as Shift_JIS), and its text where a
/// character set applies.
pub fn payload_text(payload: &Payload) -> (Vec<u8>, Option<String>) {
    let bytes: Vec<u8> = payload
        .segments
        .iter()
        .flat_map(|s| s.data.iter().copied())
        .collect();
    let unlabelled: Vec<u8> = payload
        .segments
        .iter()
        .filter(|s| s.kind == SegmentKind::Bytes(None))
        .flat_map(|s| s.data.iter().copied())
        .collect();
    let guessed = guess(&unlabelled);
    let mut text = String::new();
    for segment in &payload.segments {
        let charset = match segment.kind {
            SegmentKind::Ascii => Charset::Latin1,
            SegmentKind::Kanji => Charset::Other(encoding_rs::SHIFT_JIS),
            SegmentKind::Hanzi => Charset::Other(encoding_rs::GB18030),
            SegmentKind::Bytes(None) => guessed,
            SegmentKind::Bytes(Some(eci)) => match charset_of_eci(eci) {
                Some(c) => c,
                None => return (bytes, None),
            },
        };
        match read(&segment.data, charset) {
            Some(part) => text.push_str(&part),
            None => return (bytes, None),
        }
    }
    (bytes, Some(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_follow_zxing() {
        assert_eq!(guess(b"otpauth://totp/x?secret=AB"), Charset::Latin1);
        assert_eq!(
            guess("Grüße".as_bytes()),
            Charset::Other(encoding_rs::UTF_8)
        );
        assert_eq!(guess(&[b'G', 0xfc, b'n']), Charset::Latin1);
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("今度のバージョン");
        assert_eq!(guess(&sjis), Charset::Other(encoding_rs::SHIFT_JIS));
    }

    #[test]
    fn unknown_and_binary_ecis_give_bytes_only() {
        assert_eq!(read(&[0, 159, 255], Charset::Binary), None);
        assert_eq!(charset_of_eci(899), Some(Charset::Binary));
        assert_eq!(charset_of_eci(1000), None);
    }
}
