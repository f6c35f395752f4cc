//! Arbitrary bytes as an image file, read the way `pocketpass scan FILE` and `pocketpass add
//! --scan FILE` read it: `scan::read_texts(&Source::File(path))`, which decodes the PNG, JPEG or
//! WebP under the size limits and looks for QR codes within the decode budget.
//!
//! Checked: the decoder never hands on a frame beyond `MAX_IMAGE_SIDE` a side, and a refusal is
//! one of the documented errors.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pocketpass::scan::{self, Source, SourceError, MAX_IMAGE_SIDE};

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("code.png");
    std::fs::write(&path, data).expect("write");
    // The limits are checked on the frame the decoder produced, before the QR search.
    if let Ok(frame) = scan::load_image_file(&path) {
        assert!(frame.width() <= MAX_IMAGE_SIDE as usize);
        assert!(frame.height() <= MAX_IMAGE_SIDE as usize);
        assert_eq!(frame.data().len(), frame.width() * frame.height());
    }
    match scan::read_texts(&Source::File(path)) {
        Ok(texts) => assert!(!texts.is_empty()),
        Err(SourceError::BadImage { .. } | SourceError::NoCode(_) | SourceError::OutOfTime(_)) => {}
        Err(e) => panic!("unexpected refusal for a readable file: {e}"),
    }
});
