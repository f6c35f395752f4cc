//! Arbitrary text as scanned or pasted, through `otp::parse_key_link`: the one function that
//! `pocketpass add`, the scanner and the window use to turn a QR code's text into accounts.
//!
//! Beyond "no panic", it checks what the rest of the app relies on: every account that comes out
//! validates and can produce a code, and an export part is within its declared batch.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pocketpass::otp::{self, Account, KeyLink, MAX_BATCH_SIZE};

fuzz_target!(|data: &[u8]| {
    // Scanned payloads reach the parser as text; invalid UTF-8 becomes U+FFFD as it does in the
    // QR character-set decoding, so the fuzzer is not wasted on inputs that never arrive.
    let text = String::from_utf8_lossy(data);
    match otp::parse_key_link(&text) {
        Ok(KeyLink::Account(account)) => check(&account),
        Ok(KeyLink::Migration(part)) => {
            assert!(!part.accounts.is_empty(), "an export part without accounts");
            assert!(part.batch_size >= 1 && part.batch_size <= MAX_BATCH_SIZE);
            assert!(part.batch_index < part.batch_size);
            part.accounts.iter().for_each(check);
        }
        Err(e) => {
            // Error messages are shown to users; building them must not panic either.
            let _ = e.to_string();
        }
    }
});

/// What the vault and the code display assume of every parsed account.
fn check(account: &Account) {
    account.validate().expect("a parsed account validates");
    let code = account.code_at(1_800_000_000);
    assert_eq!(code.as_str().len(), usize::from(account.digits));
    assert!(code.as_str().bytes().all(|b| b.is_ascii_digit()));
    let _ = account.seconds_left(1_800_000_000);
    let _ = account.display_name();
    // The secret survives the base32 form the exports write.
    let b32 = account.secret.to_base32();
    let again = otp::Secret::from_base32(&b32).expect("our own base32 parses");
    assert_eq!(again.expose(), account.secret.expose());
}
