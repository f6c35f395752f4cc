//! Inputs found by the fuzz targets in `fuzz/` (docs/fuzzing.md), kept as plain tests so they
//! run on stable with `cargo test`. A test named after a defect holds the input that showed it
//! and asserts the clear refusal or the right result now given; the others hold a hostile input
//! a target reached, with what the app must say about it.

use std::path::Path;

use pocketpass::otp::{self, OtpError};
use pocketpass::vault::format::{self, FileKind, KdfParams};
use pocketpass::vault::{KdfCost, Password, Pin, Vault, VaultError, VAULT_FILE};

const PIN: &str = "482916";
const PASSWORD: &str = "correct horse battery staple";

/// Seals `payload` as the app seals a vault or backup, with one PBKDF2 iteration, as the
/// `vault_file` target does.
fn sealed(kind: FileKind, secret: &str, payload: &[u8]) -> Vec<u8> {
    let params = KdfParams {
        iterations: 1,
        salt: [7; 16],
    };
    format::seal(
        kind,
        &params,
        &format::derive_key(secret.as_bytes(), &params),
        payload,
    )
    .expect("sealing")
}

/// `vault_file`: a vault or backup whose (authentic) payload holds an account with a code
/// length outside 6 to 8 was loaded without checks, and showing its code panicked in the
/// code generator (ten to the power of the digits overflows). Accounts are now validated when a
/// file is read, so such a file is reported as damaged, as any other payload that does not
/// make sense.
#[test]
fn vault_payload_with_an_impossible_code_length_is_damage_not_a_panic() {
    let payload = br#"{"accounts":[{"name":"alice","issuer":"HPC","secret":"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ","algorithm":"SHA1","digits":10,"kind":{"totp":{"period":30}}}]}"#;
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::write(
        dir.path().join(VAULT_FILE),
        sealed(FileKind::Vault, PIN, payload),
    )
    .expect("write vault");
    let err = Vault::unlock_insecure_for_tests(dir.path(), &Pin::entered(PIN), 1)
        .expect_err("an account no code can be made for");
    assert!(matches!(err, VaultError::Corrupt(_)), "{err:?}");

    let backup = dir.path().join("backup.pocketpass");
    std::fs::write(&backup, sealed(FileKind::Backup, PASSWORD, payload)).expect("write backup");
    let err = Vault::read_backup(
        &backup,
        &Password::entered(PASSWORD),
        KdfCost::insecure_for_tests(1),
    )
    .expect_err("an account no code can be made for");
    assert!(matches!(err, VaultError::Corrupt(_)), "{err:?}");
}

/// `otp_payload` (no crash in its run): a label of NUL bytes and stray `%` signs, no secret.
/// The parser names what is missing instead of tripping over the broken escapes.
#[test]
fn otp_link_with_nul_label_and_broken_escapes_says_the_secret_is_missing() {
    let text = b"otpauth://totp/A\0\0\0\0%%%%%%%%%%%%%%%%%%otp/";
    let text = String::from_utf8_lossy(text);
    let err = otp::parse_key_link(&text).expect_err("no key in it");
    assert!(matches!(err, OtpError::MissingSecret), "{err:?}");
}

/// `vault_file` (no crash in its run): a header the fuzzer made, format version 1 with a
/// checksum that holds, that asks for zero PBKDF2 iterations. It is damage, not a wrong PIN: no
/// attempt is counted and nothing is derived.
#[test]
fn vault_header_asking_for_zero_iterations_is_damage_and_counts_no_attempt() {
    use sha2::Digest;
    let mut file = data_encoding::HEXLOWER
        .decode(
            b"504b545041535300010001010000000000000000010000000c1fe7502cf375000c0001010100\
              001fe750dd76430ed0af1c028959a600000000000000000041014b53e4",
        )
        .expect("hex");
    let sum = sha2::Sha256::digest(&file);
    file.extend_from_slice(&sum);
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::write(dir.path().join(VAULT_FILE), &file).expect("write vault");
    let err = Vault::unlock_insecure_for_tests(dir.path(), &Pin::entered(PIN), 1)
        .expect_err("no key can be derived with zero iterations");
    assert!(matches!(err, VaultError::Corrupt(_)), "{err:?}");
    assert_eq!(Vault::failed_attempts(dir.path()).expect("counter"), 0);
    assert_eq!(
        u16::from_le_bytes([file[8], file[9]]),
        1,
        "the current format"
    );
    assert_eq!(&file[12..16], &[0, 0, 0, 0], "zero iterations");
    assert!(matches!(
        format::parse(&file, Path::new("v")),
        Err(VaultError::Corrupt(_))
    ));
}

/// `image_file` (no crash, timeout or out-of-memory in its run): a PNG from the fuzzer's corpus
/// whose header is cut inside its IHDR chunk. `pocketpass scan FILE` names the file and what
/// the decoder said, instead of a panic or an empty answer.
#[test]
fn image_file_cut_inside_its_png_header_is_a_bad_image_named_by_its_path() {
    let bytes = data_encoding::HEXLOWER
        .decode(b"89504e470d0a1a0a0000000d494844520000005a005a0800000000")
        .expect("hex");
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("cut.png");
    std::fs::write(&path, &bytes).expect("write image");
    let err = pocketpass::scan::read_texts(&pocketpass::scan::Source::File(path.clone()))
        .expect_err("no picture in it");
    match err {
        pocketpass::scan::SourceError::BadImage { path: named, .. } => assert_eq!(named, path),
        other => panic!("expected BadImage, got {other:?}"),
    }
}
