//! libsodium's `crypto_secretstream_xchacha20poly1305`, which Ente Auth's exports are sealed
//! with. No maintained RustCrypto crate implements this construction (it is not the
//! XChaCha20-Poly1305 AEAD), so it is built here from libsodium's published description and
//! checked against PyNaCl's bindings in `tests/transfer.rs`.
//!
//! The stream is keyed by a 32-byte key and a 24-byte header:
//! - state key `k` = HChaCha20(key, header[0..16]); state nonce = counter (4 bytes little-endian,
//!   starting at 1) ‖ inonce (header[16..24]);
//! - each message becomes `tag' ‖ c ‖ mac` (17 bytes longer): with ChaCha20 (IETF, 96-bit
//!   nonce) under the state, block 0 gives the Poly1305 key, block 1 encrypts the tag byte
//!   (the rest of that block's key stream is authenticated as is), blocks 2.. encrypt the
//!   message;
//! - the MAC covers `ad ‖ pad16 ‖ block1 (64 bytes) ‖ c ‖ pad ‖ le64(ad length) ‖
//!   le64(64 + message length)`, where `pad` is `message length mod 16` zero bytes, exactly as
//!   libsodium computes `(0x10 - 64 + mlen) & 0xf`;
//! - afterwards the inonce is XORed with the MAC's first 8 bytes and the counter incremented;
//!   a REKEY tag, or the counter wrapping to 0, rekeys: `k ‖ inonce` is XORed with ChaCha20's
//!   key stream under the state, and the counter is reset to 1.

use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
use chacha20::ChaCha20;
use poly1305::universal_hash::KeyInit;
use poly1305::Poly1305;
use zeroize::{Zeroize, Zeroizing};

/// Bytes of the stream header.
pub const HEADER_BYTES: usize = 24;
/// Bytes each message grows by: the encrypted tag byte and the 16-byte MAC.
pub const ABYTES: usize = 17;
/// An ordinary message.
pub const TAG_MESSAGE: u8 = 0;
/// The end of a set of messages.
pub const TAG_PUSH: u8 = 1;
/// Rekey after this message.
pub const TAG_REKEY: u8 = 2;
/// The last message of the stream.
pub const TAG_FINAL: u8 = TAG_PUSH | TAG_REKEY;

/// The state of one stream, in either direction. Zeroized on drop, never printed.
pub struct State {
    key: Zeroizing<[u8; 32]>,
    nonce: Zeroizing<[u8; 12]>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("secretstream::State(<redacted>)")
    }
}

impl State {
    /// The state for a stream under `key` that starts with `header`.
    pub fn new(key: &[u8; 32], header: &[u8; HEADER_BYTES]) -> Self {
        let mut input = [0u8; 16];
        input.copy_from_slice(&header[..16]);
        let subkey = chacha20::hchacha::<chacha20::R20>(&(*key).into(), &input.into());
        let mut state = Self {
            key: Zeroizing::new([0u8; 32]),
            nonce: Zeroizing::new([0u8; 12]),
        };
        state.key.copy_from_slice(&subkey);
        state.nonce[4..].copy_from_slice(&header[16..]);
        state.reset_counter();
        state
    }

    fn reset_counter(&mut self) {
        self.nonce[..4].copy_from_slice(&1u32.to_le_bytes());
    }

    fn cipher(&self, block: u64) -> ChaCha20 {
        let mut cipher = ChaCha20::new(&(*self.key).into(), &(*self.nonce).into());
        cipher.seek(block * 64);
        cipher
    }

    /// The MAC over the message's layout (see the module documentation).
    fn mac(&self, ad: &[u8], block1: &[u8; 64], c: &[u8]) -> [u8; 16] {
        let mut poly_key = Zeroizing::new([0u8; 64]);
        self.cipher(0).apply_keystream(&mut poly_key[..]);
        let mut input = Vec::with_capacity(ad.len() + c.len() + 64 + 48);
        input.extend_from_slice(ad);
        input.resize(input.len() + (16 - ad.len() % 16) % 16, 0);
        input.extend_from_slice(block1);
        input.extend_from_slice(c);
        // libsodium's `(0x10 - sizeof block + mlen) & 0xf`, which is mlen mod 16.
        input.resize(input.len() + c.len() % 16, 0);
        input.extend_from_slice(&(ad.len() as u64).to_le_bytes());
        input.extend_from_slice(&(64 + c.len() as u64).to_le_bytes());
        let mut one_time = [0u8; 32];
        one_time.copy_from_slice(&poly_key[..32]);
        let tag = Poly1305::new(&one_time.into()).compute_unpadded(&input);
        one_time.zeroize();
        tag.into()
    }

    /// Moves the state on after a message with `tag` and `mac`.
    fn advance(&mut self, tag: u8, mac: &[u8; 16]) {
        for (n, m) in self.nonce[4..].iter_mut().zip(mac) {
            *n ^= m;
        }
        let counter = u32::from_le_bytes(self.nonce[..4].try_into().expect("4 bytes"));
        let counter = counter.wrapping_add(1);
        self.nonce[..4].copy_from_slice(&counter.to_le_bytes());
        if tag & TAG_REKEY != 0 || counter == 0 {
            self.rekey();
        }
    }

    fn rekey(&mut self) {
        let mut next = Zeroizing::new([0u8; 40]);
        next[..32].copy_from_slice(&self.key[..]);
        next[32..].copy_from_slice(&self.nonce[4..]);
        self.cipher(0).apply_keystream(&mut next[..]);
        self.key.copy_from_slice(&next[..32]);
        self.nonce[4..].copy_from_slice(&next[32..]);
        self.reset_counter();
    }

    /// Seals one message with `tag` and associated data `ad`.
    pub fn push(&mut self, message: &[u8], ad: &[u8], tag: u8) -> Vec<u8> {
        let mut block1 = [0u8; 64];
        block1[0] = tag;
        self.cipher(1).apply_keystream(&mut block1);
        let mut out = Vec::with_capacity(message.len() + ABYTES);
        out.push(block1[0]);
        out.extend_from_slice(message);
        self.cipher(2).apply_keystream(&mut out[1..]);
        let mac = self.mac(ad, &block1, &out[1..]);
        block1.zeroize();
        out.extend_from_slice(&mac);
        self.advance(tag, &mac);
        out
    }

    /// Opens one sealed message, returning its plaintext and tag; `None` when the MAC does not
    /// match (wrong key, damaged data, or a message out of order).
    pub fn pull(&mut self, sealed: &[u8], ad: &[u8]) -> Option<(Zeroizing<Vec<u8>>, u8)> {
        if sealed.len() < ABYTES {
            return None;
        }
        let (c, mac) = sealed[1..].split_at(sealed.len() - ABYTES);
        let mut block1 = [0u8; 64];
        block1[0] = sealed[0];
        self.cipher(1).apply_keystream(&mut block1);
        let tag = block1[0];
        block1[0] = sealed[0];
        let expected = self.mac(ad, &block1, c);
        block1.zeroize();
        if !constant_time_eq(&expected, mac) {
            return None;
        }
        let mut message = Zeroizing::new(c.to_vec());
        self.cipher(2).apply_keystream(&mut message);
        self.advance(tag, &expected);
        Some((message, tag))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
