//! The second decoder: rxing, a pure-Rust port of ZXing, for the frames our rqrr pipeline cannot
//! read.
//!
//! rqrr with our binarizers reads most photos, but its detector still fails on codes whose
//! finder patterns are cut by the photo's edge, misshapen or drawn as round dots, on very large
//! codes (version 40) and on QR Model 1: ZXing's finder search (which tolerates uneven finder
//! runs), its perspective sampling from the alignment pattern and its Model 1 reader read
//! those. The
//! issue that asked for rqrr allowed a second pure-Rust decoder as a fallback; which decoder reads
//! which corpus image is listed in `docs/scanning.md`.
//!
//! The text follows the same character-set rules as ours (ZXing's, which `charset` imitates:
//! ECI, ISO-8859-1 by default with UTF-8 and Shift_JIS guessed for unlabelled byte segments).
//! rxing runs under `catch_unwind` like rqrr: a decoder bug must give "no code", never abort.

use super::{charset, FoundCode, LumaFrame};
use rxing::common::HybridBinarizer;
use rxing::multi::MultipleBarcodeReader;
use rxing::qrcode::cpp_port::QrReader;
use rxing::qrcode::QRCodeReader;
use rxing::{
    BarcodeFormat, BinaryBitmap, DecodeHints, Luma8Source, RXingResult, RXingResultMetadataType,
    RXingResultMetadataValue, Reader,
};
use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Every QR code rxing finds in `frame` (ZXing's hybrid binarizer, "try harder"); empty when it
/// finds none or panicked.
pub(super) fn decode(frame: &LumaFrame) -> Vec<FoundCode> {
    let (w, h) = (frame.width as u32, frame.height as u32);
    let found = catch_unwind(AssertUnwindSafe(|| {
        let source = Luma8Source::new_with_slice(&frame.data, w, h).ok()?;
        let mut image = BinaryBitmap::new(HybridBinarizer::new(source));
        let hints = DecodeHints {
            PossibleFormats: Some(HashSet::from([BarcodeFormat::QR_CODE])),
            TryHarder: Some(true),
            ..DecodeHints::default()
        };
        // The zxing-cpp port reads several codes at once (a screen may show more than one)
        // and QR Model 1; rxing's own reader tries the older Java port's detector, which
        // works differently, when it finds none, and so do we.
        let results = QrReader
            .decode_multiple_with_hints(&mut image, &hints)
            .unwrap_or_default();
        if !results.is_empty() {
            return Some((results, true));
        }
        let java = QRCodeReader.decode_with_hints(&mut image, &hints).ok();
        Some((java.into_iter().collect(), false))
    }));
    match found {
        Ok(Some((results, cpp))) => results
            .iter()
            .filter(|r| *r.getBarcodeFormat() == BarcodeFormat::QR_CODE)
            .map(|r| code(r, cpp))
            .collect(),
        Ok(None) => Vec::new(),
        Err(_) => {
            tracing::debug!("the fallback QR decoder panicked; treating the frame as empty");
            Vec::new()
        }
    }
}

/// Our [`FoundCode`] for one rxing result; `cpp` when the zxing-cpp port read it.
fn code(result: &RXingResult, cpp: bool) -> FoundCode {
    let text = result.getText().to_owned();
    let bytes = if cpp {
        // The zxing-cpp port's "raw bytes" are the payload as encoded (Kanji as Shift_JIS),
        // which is what `FoundCode::bytes` holds.
        result.getRawBytes().to_vec()
    } else {
        // The Java port's raw bytes are codewords; it lists byte segments separately. Where
        // the whole payload was one byte segment (reading it as ours would gives the same
        // text), that segment; otherwise the text in UTF-8.
        let segment = match result
            .getRXingResultMetadata()
            .get(&RXingResultMetadataType::BYTE_SEGMENTS)
        {
            Some(RXingResultMetadataValue::ByteSegments(s)) if s.len() == 1 => Some(&s[0]),
            _ => None,
        };
        match segment {
            Some(s) if charset::guessed_text(s).as_deref() == Some(text.as_str()) => s.clone(),
            _ => text.clone().into_bytes(),
        }
    };
    FoundCode {
        bytes,
        text: Some(text),
        corners: corners(result, cpp),
    }
}

/// Top-left, top-right, bottom-right, bottom-left of the code. The zxing-cpp port gives the four
/// corners (top-left and top-right first; rxing puts bottom-left before bottom-right, so the
/// one farther from top-left is taken as bottom-right); the Java port gives the finder centres
/// (bottom-left, top-left, top-right, then maybe the alignment pattern), from which the fourth
/// corner is extrapolated.
fn corners(result: &RXingResult, cpp: bool) -> [(f32, f32); 4] {
    let p: Vec<(f32, f32)> = result.getPoints().iter().map(|p| (p.x, p.y)).collect();
    let far = |a: (f32, f32), b: (f32, f32)| (a.0 - b.0).powi(2) + (a.1 - b.1).powi(2);
    match (cpp, p.as_slice()) {
        (true, [tl, tr, c, d]) if far(*c, *tl) >= far(*d, *tl) => [*tl, *tr, *c, *d],
        (true, [tl, tr, c, d]) => [*tl, *tr, *d, *c],
        (false, [bl, tl, tr, ..]) => [*tl, *tr, (tr.0 + bl.0 - tl.0, tr.1 + bl.1 - tl.1), *bl],
        _ => [(0.0, 0.0); 4],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qrcode::bits::Bits;
    use qrcode::{Color, EcLevel, QrCode, Version};

    /// A clean frame of `bits` at 4 px a module with a 4-module quiet zone.
    fn render(bits: Bits) -> LumaFrame {
        let code = QrCode::with_bits(bits, EcLevel::L).expect("payload fits");
        let (n, px, quiet) = (code.width(), 4, 4);
        let dim = (n + 2 * quiet) * px;
        let colors = code.to_colors();
        let data = (0..dim * dim)
            .map(|i| {
                let (x, y) = ((i % dim) / px, (i / dim) / px);
                let inside = (quiet..quiet + n).contains(&x) && (quiet..quiet + n).contains(&y);
                let dark = inside && colors[(y - quiet) * n + (x - quiet)] == Color::Dark;
                if dark {
                    0
                } else {
                    255
                }
            })
            .collect();
        LumaFrame::new(dim, dim, data).expect("square frame")
    }

    fn read(bits: Bits) -> FoundCode {
        let mut codes = decode(&render(bits));
        assert_eq!(codes.len(), 1, "one code in the frame");
        codes.remove(0)
    }

    #[test]
    fn a_key_uri_keeps_its_bytes() {
        let uri = "otpauth://totp/HPC:alice?secret=JBSWY3DPEHPK3PXP&issuer=HPC";
        let mut bits = Bits::new(Version::Normal(5));
        bits.push_byte_data(uri.as_bytes()).unwrap();
        bits.push_terminator(EcLevel::L).unwrap();
        let code = read(bits);
        assert_eq!(code.text.as_deref(), Some(uri));
        assert_eq!(code.bytes, uri.as_bytes());
        let (tl, br) = (code.corners[0], code.corners[2]);
        assert!(
            tl.0 < br.0 && tl.1 < br.1,
            "corners in order: {:?}",
            code.corners
        );
    }

    #[test]
    fn latin1_bytes_stay_as_encoded_and_read_as_text() {
        let latin1: Vec<u8> = "Grüße".chars().map(|c| c as u32 as u8).collect();
        let mut bits = Bits::new(Version::Normal(2));
        bits.push_byte_data(&latin1).unwrap();
        bits.push_terminator(EcLevel::L).unwrap();
        let code = read(bits);
        assert_eq!(code.text.as_deref(), Some("Grüße"));
        assert_eq!(code.bytes, latin1);
    }

    #[test]
    fn mixed_segments_give_the_text_in_utf8() {
        let mut bits = Bits::new(Version::Normal(2));
        bits.push_numeric_data(b"2026").unwrap();
        bits.push_byte_data("-åtta".as_bytes()).unwrap();
        bits.push_terminator(EcLevel::L).unwrap();
        let code = read(bits);
        assert_eq!(code.text.as_deref(), Some("2026-åtta"));
        assert_eq!(code.bytes, "2026-åtta".as_bytes());
    }

    #[test]
    fn a_blank_or_tiny_frame_holds_no_code() {
        let blank = LumaFrame::new(200, 100, vec![200; 200 * 100]).unwrap();
        assert!(decode(&blank).is_empty());
        let tiny = LumaFrame::new(1, 1, vec![0]).unwrap();
        assert!(decode(&tiny).is_empty());
    }
}
