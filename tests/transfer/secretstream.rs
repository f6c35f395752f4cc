//! Our libsodium secretstream (src/transfer/secretstream.rs) against PyNaCl's bindings of
//! libsodium itself, both ways, over several messages with associated data, a REKEY and a
//! FINAL tag.

use pocketpass::transfer::secretstream::{State, TAG_FINAL, TAG_MESSAGE, TAG_PUSH, TAG_REKEY};

use super::support::python;

const KEY: [u8; 32] = *b"0123456789abcdef0123456789ABCDEF";
const HEADER: [u8; 24] = *b"a header of 24 bytes....";

/// (message, associated data, tag). Lengths straddle the 16-byte padding and the 64-byte block.
fn messages() -> Vec<(Vec<u8>, Vec<u8>, u8)> {
    vec![
        (b"".to_vec(), b"".to_vec(), TAG_MESSAGE),
        (b"x".to_vec(), b"ad".to_vec(), TAG_MESSAGE),
        (vec![7; 15], vec![1; 16], TAG_PUSH),
        (vec![8; 16], vec![2; 17], TAG_REKEY),
        (vec![9; 63], b"".to_vec(), TAG_MESSAGE),
        (vec![10; 65], vec![3; 5], TAG_MESSAGE),
        (
            "otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP\n"
                .repeat(40)
                .into_bytes(),
            b"".to_vec(),
            TAG_FINAL,
        ),
    ]
}

const PY: &str = r#"
import sys, nacl.bindings as s
key, header = bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2])
lines = sys.stdin.read().split()
mode = lines[0]
if mode == "pull":
    st = s.crypto_secretstream_xchacha20poly1305_state()
    s.crypto_secretstream_xchacha20poly1305_init_pull(st, header, key)
    for line in lines[1:]:
        c, ad = line.split(":")
        m, tag = s.crypto_secretstream_xchacha20poly1305_pull(st, bytes.fromhex(c), bytes.fromhex(ad) or None)
        print(m.hex() + ":" + str(tag))
else:
    st = s.crypto_secretstream_xchacha20poly1305_state()
    header = s.crypto_secretstream_xchacha20poly1305_init_push(st, key)
    print(header.hex())
    for line in lines[1:]:
        m, ad, tag = line.split(":")
        print(s.crypto_secretstream_xchacha20poly1305_push(st, bytes.fromhex(m), bytes.fromhex(ad) or None, int(tag)).hex())
"#;

fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

#[test]
fn libsodium_opens_what_we_seal() {
    let mut state = State::new(&KEY, &HEADER);
    let mut input = String::from("pull\n");
    for (m, ad, tag) in messages() {
        input.push_str(&format!(
            "{}:{}\n",
            hex(&state.push(&m, &ad, tag)),
            hex(&ad)
        ));
    }
    let out = python(PY, &[&hex(&KEY), &hex(&HEADER)], input.as_bytes());
    let want: Vec<String> = messages()
        .iter()
        .map(|(m, _, tag)| format!("{}:{tag}", hex(m)))
        .collect();
    assert_eq!(out.lines().collect::<Vec<_>>(), want);
}

#[test]
fn we_open_what_libsodium_seals_and_refuse_a_changed_byte() {
    let mut input = String::from("push\n");
    for (m, ad, tag) in messages() {
        input.push_str(&format!("{}:{}:{tag}\n", hex(&m), hex(&ad)));
    }
    let out = python(PY, &[&hex(&KEY), &hex(&HEADER)], input.as_bytes());
    let mut lines = out.lines();
    let header: [u8; 24] = data_encoding::HEXLOWER
        .decode(lines.next().unwrap().as_bytes())
        .unwrap()
        .try_into()
        .unwrap();
    let sealed: Vec<Vec<u8>> = lines
        .map(|l| data_encoding::HEXLOWER.decode(l.as_bytes()).unwrap())
        .collect();
    let mut state = State::new(&KEY, &header);
    for ((m, ad, tag), c) in messages().into_iter().zip(&sealed) {
        let (plain, got_tag) = state.pull(c, &ad).expect("libsodium's message opens");
        assert_eq!((plain.to_vec(), got_tag), (m, tag));
    }
    // A changed byte, other associated data, or another key: refused.
    let mut changed = sealed[1].clone();
    changed[1] ^= 1;
    assert!(State::new(&KEY, &header).pull(&sealed[0], b"").is_some());
    let mut state = State::new(&KEY, &header);
    state.pull(&sealed[0], b"").unwrap();
    assert!(state.pull(&changed, b"ad").is_none());
    let mut state = State::new(&KEY, &header);
    state.pull(&sealed[0], b"").unwrap();
    assert!(state.pull(&sealed[1], b"other").is_none());
    assert!(State::new(&[9; 32], &header)
        .pull(&sealed[0], b"")
        .is_none());
}
