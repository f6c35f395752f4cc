//! One-time codes: RFC vectors, the table of URIs real portals emit, Google Authenticator exports.

mod common;

use common::{RFC4226_VECTORS, RFC6238_VECTORS};
use pocketpass::otp::{
    self, parse_key_link, parse_uri, Account, Algorithm, KeyLink, Kind, MigrationBatch, OtpError,
    Secret,
};

/// Base32 of the ASCII secrets RFC 6238 Appendix B uses for each hash.
fn rfc6238_secret(algorithm: Algorithm) -> &'static [u8] {
    match algorithm {
        Algorithm::Sha1 => b"12345678901234567890",
        Algorithm::Sha256 => b"12345678901234567890123456789012",
        Algorithm::Sha512 => b"1234567890123456789012345678901234567890123456789012345678901234",
    }
}

fn rfc_account(algorithm: Algorithm, digits: u8, kind: Kind) -> Account {
    Account {
        name: "rfc".into(),
        issuer: None,
        label_issuer: None,
        secret: Secret::from_bytes(rfc6238_secret(algorithm).to_vec()).unwrap(),
        algorithm,
        digits,
        kind,
        extra: vec![],
    }
}

#[test]
fn rfc6238_appendix_b_vectors() {
    for &(time, sha1, sha256, sha512) in RFC6238_VECTORS {
        for (algorithm, want) in [
            (Algorithm::Sha1, sha1),
            (Algorithm::Sha256, sha256),
            (Algorithm::Sha512, sha512),
        ] {
            let account = rfc_account(algorithm, 8, Kind::Totp { period: 30 });
            assert_eq!(
                account.code_at(time).as_str(),
                want,
                "{algorithm} at T={time}"
            );
        }
    }
}

#[test]
fn rfc4226_appendix_d_vectors() {
    let mut account = rfc_account(Algorithm::Sha1, 6, Kind::Hotp { counter: 0 });
    for want in RFC4226_VECTORS {
        assert_eq!(account.code_at(0).as_str(), *want);
        account.advance_counter();
    }
    assert_eq!(account.kind, Kind::Hotp { counter: 10 });
}

#[test]
fn codes_are_grouped_for_reading() {
    let account = rfc_account(Algorithm::Sha1, 8, Kind::Totp { period: 30 });
    assert_eq!(account.code_at(59).grouped(), "9428 7082");
    let six = rfc_account(Algorithm::Sha1, 6, Kind::Hotp { counter: 0 });
    assert_eq!(six.code_at(0).grouped(), "755 224");
}

#[test]
fn secrets_never_appear_in_debug_output() {
    let account = parse_uri("otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").unwrap();
    let debug = format!("{account:?}");
    assert!(!debug.contains("JBSWY3DP"), "{debug}");
    assert!(debug.contains("redacted"), "{debug}");
    assert!(!format!("{:?}", account.code_at(0))
        .chars()
        .any(|c| c.is_ascii_digit()));
}

/// A good URI and what it must become: (uri, name, issuer, label issuer, algorithm, digits, kind).
type Good = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Algorithm,
    u8,
    Kind,
);

const TOTP30: Kind = Kind::Totp { period: 30 };

#[test]
fn uris_real_portals_emit_are_accepted() {
    let table: &[Good] = &[
        // The portal's own form.
        ("otpauth://totp/HPC%20Centre:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=HPC%20Centre&algorithm=SHA1&digits=6&period=30",
         "alice", Some("HPC Centre"), None, Algorithm::Sha1, 6, TOTP30),
        // Issuer only as a label prefix.
        ("otpauth://totp/ACME:bob@example.com?secret=JBSWY3DPEHPK3PXP",
         "bob@example.com", Some("ACME"), None, Algorithm::Sha1, 6, TOTP30),
        // Issuer only as a parameter.
        ("otpauth://totp/bob?secret=JBSWY3DPEHPK3PXP&issuer=ACME",
         "bob", Some("ACME"), None, Algorithm::Sha1, 6, TOTP30),
        // Both, disagreeing: the parameter wins and the prefix is kept.
        ("otpauth://totp/Old%20Name:bob?secret=JBSWY3DPEHPK3PXP&issuer=New%20Name",
         "bob", Some("New Name"), Some("Old Name"), Algorithm::Sha1, 6, TOTP30),
        // '+' for spaces, ':' inside the account name.
        ("otpauth://totp/Big+Corp:user:with:colons?secret=JBSWY3DPEHPK3PXP&issuer=Big+Corp",
         "user:with:colons", Some("Big Corp"), None, Algorithm::Sha1, 6, TOTP30),
        // Lowercase secret with spaces, as read aloud.
        ("otpauth://totp/x?secret=jbsw%20y3dp%20ehpk%203pxp",
         "x", None, None, Algorithm::Sha1, 6, TOTP30),
        // Padded secret (20 bytes -> 32 characters; 15 bytes -> 24 characters + padding).
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXPJBSWY3DP====",
         "x", None, None, Algorithm::Sha1, 6, TOTP30),
        // 80-bit secret, the shortest real providers issue.
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP",
         "x", None, None, Algorithm::Sha1, 6, TOTP30),
        // SHA512, 8 digits, period 60.
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=sha512&digits=8&period=60",
         "x", None, None, Algorithm::Sha512, 8, Kind::Totp { period: 60 }),
        ("otpauth://TOTP/x?secret=JBSWY3DPEHPK3PXP&algorithm=SHA256&digits=7",
         "x", None, None, Algorithm::Sha256, 7, TOTP30),
        // HOTP with a counter.
        ("otpauth://hotp/ACME:carol?secret=JBSWY3DPEHPK3PXP&counter=42",
         "carol", Some("ACME"), None, Algorithm::Sha1, 6, Kind::Hotp { counter: 42 }),
        // Surrounding white space from a paste.
        ("  otpauth://totp/x?secret=JBSWY3DPEHPK3PXP\n",
         "x", None, None, Algorithm::Sha1, 6, TOTP30),
    ];
    for (uri, name, issuer, label_issuer, algorithm, digits, kind) in table {
        let account = parse_uri(uri).unwrap_or_else(|e| panic!("{uri}: {e}"));
        assert_eq!(account.name, *name, "{uri}");
        assert_eq!(account.issuer.as_deref(), *issuer, "{uri}");
        assert_eq!(account.label_issuer.as_deref(), *label_issuer, "{uri}");
        assert_eq!(account.algorithm, *algorithm, "{uri}");
        assert_eq!(account.digits, *digits, "{uri}");
        assert_eq!(account.kind, *kind, "{uri}");
    }
}

#[test]
fn unknown_parameters_are_kept() {
    let account = parse_uri(
        "otpauth://totp/HPC:alice?secret=JBSWY3DPEHPK3PXP&issuer=HPC&expires=2028-11-28&image=https%3A%2F%2Fx",
    )
    .unwrap();
    assert_eq!(account.extra("expires"), Some("2028-11-28"));
    assert_eq!(account.extra("image"), Some("https://x"));
    assert_eq!(account.extra.len(), 2);
}

#[test]
fn bad_uris_are_refused_with_the_problem_named() {
    type Check = fn(&OtpError) -> bool;
    let table: &[(&str, Check, &str)] = &[
        (
            "https://portal.example.org/activate",
            |e| matches!(e, OtpError::NotAKey(_)),
            "not an authenticator key",
        ),
        (
            "hello world",
            |e| matches!(e, OtpError::NotAKey(_)),
            "not an authenticator key",
        ),
        (
            "otpauth://totp/x?issuer=A",
            |e| *e == OtpError::MissingSecret,
            "no secret",
        ),
        (
            "otpauth://totp/x?secret=&issuer=A",
            |e| *e == OtpError::MissingSecret,
            "no secret",
        ),
        (
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PX1",
            |e| matches!(e, OtpError::InvalidBase32 { position: 16, .. }),
            "not valid base32",
        ),
        (
            "otpauth://totp/x?secret=JBSWY3DPEHPK3P",
            |e| matches!(e, OtpError::SecretTooShort { bits: 64 }),
            "at least 80 bits",
        ),
        (
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=5",
            |e| matches!(e, OtpError::InvalidDigits(_)),
            "6, 7 or 8",
        ),
        (
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=9",
            |e| matches!(e, OtpError::InvalidDigits(_)),
            "6, 7 or 8",
        ),
        (
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=six",
            |e| matches!(e, OtpError::InvalidDigits(_)),
            "6, 7 or 8",
        ),
        (
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=0",
            |e| matches!(e, OtpError::InvalidPeriod(_)),
            "positive number",
        ),
        (
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=-30",
            |e| matches!(e, OtpError::InvalidPeriod(_)),
            "positive number",
        ),
        (
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=MD5",
            |e| matches!(e, OtpError::UnknownAlgorithm(_)),
            "unknown algorithm",
        ),
        (
            "otpauth://yandex/x?secret=JBSWY3DPEHPK3PXP",
            |e| matches!(e, OtpError::UnknownType(_)),
            "unknown key type",
        ),
        (
            "otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=x",
            |e| matches!(e, OtpError::InvalidCounter(_)),
            "whole number",
        ),
        (
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&secret=GEZDGNBVGY3TQOJQ",
            |e| matches!(e, OtpError::DuplicateParameter(_)),
            "more than once",
        ),
    ];
    for (uri, check, words) in table {
        let err = parse_key_link(uri).expect_err(uri);
        assert!(check(&err), "{uri}: unexpected error {err:?}");
        assert!(
            err.to_string().contains(words),
            "{uri}: message {err} lacks {words:?}"
        );
    }
}

// A minimal protobuf writer, to build Google Authenticator exports independently of the reader.
fn varint(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}
fn field_bytes(n: u64, bytes: &[u8], out: &mut Vec<u8>) {
    varint(n << 3 | 2, out);
    varint(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
}
fn field_varint(n: u64, v: u64, out: &mut Vec<u8>) {
    varint(n << 3, out);
    varint(v, out);
}
fn otp_parameters(
    secret: &[u8],
    name: &str,
    issuer: &str,
    alg: u64,
    digits: u64,
    kind: u64,
    counter: u64,
) -> Vec<u8> {
    let mut p = Vec::new();
    field_bytes(1, secret, &mut p);
    field_bytes(2, name.as_bytes(), &mut p);
    field_bytes(3, issuer.as_bytes(), &mut p);
    field_varint(4, alg, &mut p);
    field_varint(5, digits, &mut p);
    field_varint(6, kind, &mut p);
    field_varint(7, counter, &mut p);
    p
}
fn migration_uri(params: &[Vec<u8>], size: u64, index: u64, id: u64) -> String {
    let mut payload = Vec::new();
    for p in params {
        field_bytes(1, p, &mut payload);
    }
    field_varint(2, 1, &mut payload);
    field_varint(3, size, &mut payload);
    field_varint(4, index, &mut payload);
    field_varint(5, id, &mut payload);
    let b64 = data_encoding::BASE64.encode(&payload);
    let encoded: String = b64
        .chars()
        .map(|c| match c {
            '+' => "%2B".to_string(),
            '/' => "%2F".to_string(),
            '=' => "%3D".to_string(),
            c => c.to_string(),
        })
        .collect();
    format!("otpauth-migration://offline?data={encoded}")
}

#[test]
fn google_authenticator_export_with_several_accounts() {
    let uri = migration_uri(
        &[
            otp_parameters(b"12345678901234567890", "ACME:alice", "ACME", 1, 1, 2, 0),
            otp_parameters(
                b"12345678901234567890123456789012",
                "bob",
                "Other",
                2,
                2,
                2,
                0,
            ),
            otp_parameters(b"12345678901234567890", "carol", "", 1, 1, 1, 5),
        ],
        1,
        0,
        7,
    );
    let KeyLink::Migration(part) = parse_key_link(&uri).unwrap() else {
        panic!("expected an export");
    };
    assert_eq!(part.accounts.len(), 3);
    let alice = &part.accounts[0];
    assert_eq!(
        (alice.name.as_str(), alice.issuer.as_deref()),
        ("alice", Some("ACME"))
    );
    let bob = &part.accounts[1];
    assert_eq!((bob.algorithm, bob.digits), (Algorithm::Sha256, 8));
    // Bob's code equals the RFC 6238 SHA256 vector at T=59 (same secret, 8 digits).
    assert_eq!(bob.code_at(59).as_str(), "46119246");
    let carol = &part.accounts[2];
    assert_eq!(carol.kind, Kind::Hotp { counter: 5 });
    assert_eq!(carol.code_at(0).as_str(), RFC4226_VECTORS[5]);
}

#[test]
fn google_authenticator_export_split_over_two_codes() {
    let first = migration_uri(
        &[otp_parameters(
            b"12345678901234567890",
            "a",
            "X",
            1,
            1,
            2,
            0,
        )],
        2,
        0,
        99,
    );
    let second = migration_uri(
        &[otp_parameters(
            b"12345678901234567890",
            "b",
            "X",
            1,
            1,
            2,
            0,
        )],
        2,
        1,
        99,
    );
    let other_export = migration_uri(
        &[otp_parameters(
            b"12345678901234567890",
            "c",
            "X",
            1,
            1,
            2,
            0,
        )],
        2,
        1,
        5,
    );
    let part = |uri: &str| match parse_key_link(uri).unwrap() {
        KeyLink::Migration(p) => p,
        other => panic!("expected an export, got {other:?}"),
    };
    let mut batch = MigrationBatch::new();
    batch.add(part(&second)).unwrap();
    assert_eq!(batch.missing(), vec![1]);
    assert!(batch.accounts().is_none());
    assert!(batch.add(part(&other_export)).is_err());
    batch.add(part(&first)).unwrap();
    batch.add(part(&first)).unwrap(); // seen twice by the camera: harmless
    let names: Vec<String> = batch
        .accounts()
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["a", "b"]);
}

#[test]
fn damaged_exports_are_errors() {
    let good = migration_uri(
        &[otp_parameters(
            b"12345678901234567890",
            "a",
            "X",
            1,
            1,
            2,
            0,
        )],
        1,
        0,
        1,
    );
    // Cut inside the first account, as a partly read QR code would be.
    let cut = &good[..60];
    for uri in [
        cut,
        "otpauth-migration://offline?data=%%%%",
        "otpauth-migration://offline",
    ] {
        let err = parse_key_link(uri).expect_err(uri);
        assert!(matches!(err, OtpError::Migration(_)), "{uri}: {err:?}");
    }
    let md5 = migration_uri(
        &[otp_parameters(
            b"12345678901234567890",
            "a",
            "X",
            4,
            1,
            2,
            0,
        )],
        1,
        0,
        1,
    );
    assert!(matches!(
        parse_key_link(&md5),
        Err(OtpError::UnknownAlgorithm(_))
    ));
}

/// Issue 12, item 1: an export with no accounts was accepted ("added 0 account(s)", and a
/// panic in the window). It is refused with its own error.
#[test]
fn a_google_export_with_no_accounts_is_refused() {
    for uri in [
        "otpauth-migration://offline?data=".to_owned(),
        migration_uri(&[], 1, 0, 7),
    ] {
        let err = parse_key_link(&uri).unwrap_err();
        assert_eq!(err, OtpError::EmptyExport, "{uri}");
        assert!(err
            .to_string()
            .contains("this QR code holds a Google Authenticator export with no accounts"));
    }
}

/// Issue 12, item 2: `data=GP////8P` claims 4,294,967,295 parts; the batch then listed every
/// missing part (gigabytes). Sizes above the documented bound are refused.
#[test]
fn an_export_claiming_four_billion_parts_is_refused() {
    let err = parse_key_link("otpauth-migration://offline?data=GP////8P").unwrap_err();
    assert!(matches!(err, OtpError::Migration(_)), "{err:?}");
    assert!(err.to_string().contains("at most 100"), "{err}");
    let a = otp_parameters(b"12345678901234567890", "a", "X", 1, 1, 2, 0);
    let too_many = migration_uri(
        std::slice::from_ref(&a),
        u64::from(otp::MAX_BATCH_SIZE) + 1,
        0,
        1,
    );
    assert!(parse_key_link(&too_many).is_err());
    let most = migration_uri(&[a], u64::from(otp::MAX_BATCH_SIZE), 99, 1);
    let KeyLink::Migration(part) = parse_key_link(&most).unwrap() else {
        panic!("expected an export");
    };
    let mut batch = MigrationBatch::new();
    batch.add(part).unwrap();
    assert_eq!(batch.missing().len(), 99);
}

/// Issue 12, item 2: a part number of 4,294,967,295 overflowed `batch_index + 1` while the
/// error was being written (a panic in debug builds); a part past the end is refused calmly.
#[test]
fn a_part_number_past_the_end_is_refused_without_overflow() {
    let a = otp_parameters(b"12345678901234567890", "a", "X", 1, 1, 2, 0);
    for index in [1, 2, u64::from(u32::MAX), u64::MAX >> 1] {
        let uri = migration_uri(std::slice::from_ref(&a), 1, index, 1);
        let err = parse_key_link(&uri).unwrap_err();
        assert!(matches!(err, OtpError::Migration(_)), "{index}: {err:?}");
        assert!(err.to_string().contains("does not exist"), "{err}");
    }
}

/// Issue 12, item 2: one export, one id: a part that names two different ids (or sizes) is
/// refused instead of silently taking the last.
#[test]
fn a_part_with_two_batch_ids_is_refused() {
    let a = otp_parameters(b"12345678901234567890", "a", "X", 1, 1, 2, 0);
    let mut payload = Vec::new();
    field_bytes(1, &a, &mut payload);
    field_varint(3, 2, &mut payload);
    field_varint(4, 0, &mut payload);
    field_varint(5, 11, &mut payload);
    field_varint(5, 12, &mut payload);
    let uri = format!(
        "otpauth-migration://offline?data={}",
        data_encoding::BASE64URL_NOPAD.encode(&payload)
    );
    let err = parse_key_link(&uri).unwrap_err();
    assert!(err.to_string().contains("two different values"), "{err}");
}

/// A paste longer than any QR code holds is refused before parsing.
#[test]
fn text_longer_than_any_key_link_is_refused() {
    let long = format!(
        "otpauth://totp/a?secret=GEZDGNBVGY3TQOJQ&issuer={}",
        "x".repeat(otp::MAX_LINK_BYTES)
    );
    assert!(matches!(parse_key_link(&long), Err(OtpError::TooLong(_))));
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever a QR code holds, parsing answers with an account or an error.
        #[test]
        fn on_arbitrary_text(text in ".{0,300}") {
            let _ = parse_key_link(&text);
        }

        /// Near-misses of real links: every parameter mangled.
        #[test]
        fn on_mangled_key_links(
            kind in "(totp|hotp|TOTP|x|)",
            label in "[A-Za-z0-9%:+@ ]{0,30}",
            secret in "[A-Za-z2-7= %-]{0,40}",
            algorithm in "(SHA1|sha256|SHA-512|MD5|)",
            digits in "[0-9a-z-]{0,3}",
            period in "[0-9-]{0,4}",
        ) {
            let uri = format!(
                "otpauth://{kind}/{label}?secret={secret}&algorithm={algorithm}&digits={digits}&period={period}&counter={period}"
            );
            if let Ok(KeyLink::Account(account)) = parse_key_link(&uri) {
                // Whatever is accepted is usable.
                prop_assert!(account.validate().is_ok());
                prop_assert_eq!(account.code_at(1_700_000_000).as_str().len(), usize::from(account.digits));
            }
        }

        /// Arbitrary bytes as a Google Authenticator export.
        #[test]
        fn on_arbitrary_exports(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let uri = format!("otpauth-migration://offline?data={}", data_encoding::BASE64URL.encode(&bytes));
            let _ = parse_key_link(&uri);
        }
    }
}
