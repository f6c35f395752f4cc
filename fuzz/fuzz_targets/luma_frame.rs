//! Arbitrary greyscale frames through the QR decoder, as camera and screen frames reach it.
//!
//! The first four bytes give the width and height (two little-endian u16 each, taken modulo
//! `MAX_SIDE` and plus one, so frames stay small enough for many runs a second); the rest are the
//! pixels, repeated to fill the frame so short inputs still make whole images.
//! Each frame goes through `scan::decode_within` with a short budget and through the live
//! `Scanner` rotation.

#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use pocketpass::scan::{self, LumaFrame, Scanner};

const MAX_SIDE: usize = 512;

fuzz_target!(|data: &[u8]| {
    if data.len() < 5 {
        return;
    }
    let side = |lo: u8, hi: u8| usize::from(u16::from_le_bytes([lo, hi])) % MAX_SIDE + 1;
    let (width, height) = (side(data[0], data[1]), side(data[2], data[3]));
    let pixels = &data[4..];
    let fill: Vec<u8> = pixels
        .iter()
        .copied()
        .cycle()
        .take(width * height)
        .collect();
    let frame = LumaFrame::new(width, height, fill).expect("width * height pixels");
    let decoded = scan::decode_within(&frame, Duration::from_millis(100));
    distinct(&decoded.codes);
    let mut scanner = Scanner::new();
    for _ in 0..2 {
        distinct(&scanner.scan(&frame));
    }
});

/// Both decoders promise each payload once, however many finder triples saw it.
fn distinct(codes: &[scan::FoundCode]) {
    for (i, a) in codes.iter().enumerate() {
        assert!(
            codes[i + 1..].iter().all(|b| b.bytes != a.bytes),
            "a code twice"
        );
    }
}
