//! Several Google Authenticator export parts fed one after another into `MigrationBatch`, as the
//! window does while the camera sees the codes of a multi-part export.
//!
//! The input is split at 0xFF bytes into parts (0xFF never occurs in UTF-8 text). A part whose
//! first byte is even is the raw protobuf message, which the harness wraps into an
//! `otpauth-migration://offline?data=` link (base64url) so the fuzzer reaches the protobuf reader
//! directly; an odd first byte means the rest is the link's text as scanned.
//!
//! The batch is checked against a simple model of what it should hold.

#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use pocketpass::otp::{self, MigrationBatch, KeyLink, MAX_BATCH_SIZE};

fuzz_target!(|data: &[u8]| {
    let mut batch = MigrationBatch::new();
    // The model: the export of the first accepted part, and each index's latest accounts.
    let mut export: Option<(i64, u32)> = None;
    let mut parts: BTreeMap<u32, usize> = BTreeMap::new();
    for raw in data.split(|&b| b == 0xff).take(2 * MAX_BATCH_SIZE as usize) {
        let Some((&mode, body)) = raw.split_first() else {
            continue;
        };
        let text = if mode % 2 == 0 {
            format!(
                "otpauth-migration://offline?data={}",
                data_encoding::BASE64URL_NOPAD.encode(body)
            )
        } else {
            String::from_utf8_lossy(body).into_owned()
        };
        let Ok(KeyLink::Migration(part)) = otp::parse_key_link(&text) else {
            continue;
        };
        let (id, size, index, count) = (
            part.batch_id,
            part.batch_size,
            part.batch_index,
            part.accounts.len(),
        );
        let result = batch.add(part);
        match export {
            Some(e) if e != (id, size) => {
                assert!(result.is_err(), "a part of another export was accepted")
            }
            _ => {
                result.expect("a part of the same export is accepted");
                export = Some((id, size));
                parts.insert(index, count);
            }
        }
        let missing = batch.missing();
        let expected: Vec<u32> = (0..export.map_or(1, |e| e.1))
            .filter(|i| !parts.contains_key(i))
            .map(|i| i + 1)
            .collect();
        assert_eq!(missing, expected);
        assert!(missing.len() <= MAX_BATCH_SIZE as usize);
        match batch.accounts() {
            Some(accounts) => {
                assert!(missing.is_empty() && export.is_some());
                assert!(!accounts.is_empty(), "a complete export without accounts");
                assert_eq!(accounts.len(), parts.values().sum::<usize>());
                for a in &accounts {
                    a.validate().expect("an exported account validates");
                }
            }
            None => assert!(!missing.is_empty() || export.is_none()),
        }
    }
});
