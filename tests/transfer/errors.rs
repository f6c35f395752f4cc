//! Errors of whole files, each its own: a missing or wrong password (retryable), damage, a
//! hostile key-derivation cost (refused before deriving), an unknown or oversized file.

use pocketpass::transfer::{self, crypto, Format, TransferError};

use super::support::{fixture, password, read_err, wrong};

/// Every encrypted fixture, its format, and whether the format can tell damage apart.
const ENCRYPTED: &[(&str, Format, bool)] = &[
    ("aegis-encrypted.json", Format::Aegis, true),
    ("2fas-encrypted.2fas", Format::TwoFas, true),
    ("andotp-encrypted.json.aes", Format::AndOtp, false),
    ("andotp-old.json.aes", Format::AndOtp, false),
    ("authpro-encrypted.authpro", Format::AuthenticatorPro, false),
    ("authpro-legacy.authpro", Format::AuthenticatorPro, false),
    ("proton-encrypted.json", Format::ProtonAuthenticator, false),
    ("ente-encrypted.txt", Format::EnteAuth, false),
];

#[test]
fn an_encrypted_file_without_a_password_asks_for_one() {
    for &(name, format, _) in ENCRYPTED {
        let e = read_err(&fixture(name), None);
        assert_eq!(e, TransferError::NeedsPassword(format), "{name}");
        assert!(e.is_retryable());
    }
}

#[test]
fn a_wrong_password_is_its_own_error_and_can_be_retried() {
    for &(name, format, tells_damage) in ENCRYPTED {
        let bytes = fixture(name);
        let e = read_err(&bytes, Some(&wrong()));
        assert_eq!(
            e,
            TransferError::WrongPassword {
                format,
                can_be_damage: !tells_damage
            },
            "{name}"
        );
        assert!(e.is_retryable(), "{name}");
        assert!(e.to_string().contains("password"), "{e}");
        // The same bytes then open with the right password.
        assert!(transfer::read(&bytes, Some(&password())).is_ok(), "{name}");
    }
}

/// Decodes, edits and re-encodes one base64 field of a JSON fixture.
fn edit_json(name: &str, edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut value: serde_json::Value = serde_json::from_slice(&fixture(name)).unwrap();
    edit(&mut value);
    serde_json::to_vec(&value).unwrap()
}

fn flip_base64(text: &str, at: usize) -> String {
    let mut bytes = data_encoding::BASE64.decode(text.as_bytes()).unwrap();
    bytes[at] ^= 0x01;
    data_encoding::BASE64.encode(&bytes)
}

#[test]
fn aegis_a_flipped_content_byte_is_damage_not_a_wrong_password() {
    let bytes = edit_json("aegis-encrypted.json", |v| {
        let db = flip_base64(v["db"].as_str().unwrap(), 10);
        v["db"] = db.into();
    });
    let e = read_err(&bytes, Some(&password()));
    assert!(
        matches!(
            e,
            TransferError::Damaged {
                format: Format::Aegis,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn twofas_a_flipped_services_byte_is_damage_because_the_reference_still_opens() {
    let bytes = edit_json("2fas-encrypted.2fas", |v| {
        let sealed = v["servicesEncrypted"].as_str().unwrap().to_owned();
        let mut parts: Vec<String> = sealed.split(':').map(str::to_owned).collect();
        parts[0] = flip_base64(&parts[0], 5);
        v["servicesEncrypted"] = parts.join(":").into();
    });
    let e = read_err(&bytes, Some(&password()));
    assert!(
        matches!(
            e,
            TransferError::Damaged {
                format: Format::TwoFas,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn formats_without_a_check_of_their_own_report_a_flipped_byte_as_password_or_damage() {
    for &(name, format, tells_damage) in ENCRYPTED.iter().filter(|e| !e.2) {
        let mut bytes = fixture(name);
        // A byte in the middle: inside the ciphertext of the binary formats, inside the long
        // base64 of the JSON ones (a letter swapped for another keeps it base64).
        let at = bytes.len() / 2;
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        let e = read_err(&bytes, Some(&password()));
        match e {
            TransferError::WrongPassword {
                format: f,
                can_be_damage,
            } => {
                assert_eq!(f, format, "{name}");
                assert!(can_be_damage && !tells_damage, "{name}");
                assert!(e.to_string().contains("damaged"), "{e}");
            }
            TransferError::Damaged { format: f, .. } => assert_eq!(f, format, "{name}"),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn a_cut_short_file_is_damaged_and_names_its_format() {
    for (name, format) in [
        ("aegis-plain.json", Format::Aegis),
        ("aegis-encrypted.json", Format::Aegis),
        ("2fas-schema4.2fas", Format::TwoFas),
        ("authpro-plain.json", Format::AuthenticatorPro),
        ("freeotp-plus.json", Format::FreeOtpPlus),
        ("bitwarden.json", Format::Bitwarden),
        ("ente-encrypted.txt", Format::EnteAuth),
        ("proton-plain.json", Format::ProtonAuthenticator),
        ("andotp-plain.json", Format::AndOtp),
    ] {
        let bytes = fixture(name);
        let e = read_err(&bytes[..bytes.len() / 2], Some(&password()));
        assert!(
            matches!(&e, TransferError::Damaged { format: f, .. } if *f == format),
            "{name}: {e:?}"
        );
    }
    let bytes = fixture("authpro-encrypted.authpro");
    let e = read_err(&bytes[..30], Some(&password()));
    assert!(
        matches!(
            e,
            TransferError::Damaged {
                format: Format::AuthenticatorPro,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn aegis_a_slot_asking_for_huge_scrypt_is_refused_before_deriving() {
    // N = 2^30 with r = 8 would need 1 TiB: finishing at all shows it never ran.
    let bytes = edit_json("aegis-encrypted.json", |v| {
        v["header"]["slots"][0]["n"] = (1u64 << 30).into();
    });
    let e = read_err(&bytes, Some(&password()));
    assert!(
        matches!(
            e,
            TransferError::KdfTooCostly {
                format: Format::Aegis,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("N = 1073741824"), "{e}");
}

#[test]
fn andotp_a_header_asking_for_a_billion_iterations_is_never_derived() {
    // Without a header, such a file cannot be told from an old-format one under another
    // password (see src/transfer/andotp.rs): it is reported as a wrong password, at once (a
    // billion PBKDF2 iterations would take many minutes).
    let mut bytes = fixture("andotp-encrypted.json.aes");
    bytes[..4].copy_from_slice(&1_000_000_000u32.to_be_bytes());
    let e = read_err(&bytes, Some(&password()));
    assert_eq!(
        e,
        TransferError::WrongPassword {
            format: Format::AndOtp,
            can_be_damage: true
        }
    );
}

#[test]
fn ente_huge_memory_or_passes_are_refused_even_before_the_password_is_asked() {
    for (mem, ops) in [(16u64 << 30, 2u64), (64 << 20, 1_000_000_000)] {
        let bytes = edit_json("ente-encrypted.txt", |v| {
            v["kdfParams"]["memLimit"] = mem.into();
            v["kdfParams"]["opsLimit"] = ops.into();
        });
        for pw in [None, Some(password())] {
            let e = read_err(&bytes, pw.as_ref());
            assert!(
                matches!(
                    e,
                    TransferError::KdfTooCostly {
                        format: Format::EnteAuth,
                        ..
                    }
                ),
                "{e:?}"
            );
        }
    }
}

#[test]
fn the_limits_admit_what_the_apps_really_use() {
    // Aegis: scrypt N = 2^15, r = 8, p = 1.
    assert!(crypto_check_scrypt(1 << 15, 8, 1));
    // 1 GiB of scrypt is refused.
    assert!(!crypto_check_scrypt(1 << 20, 8, 1));
    // Ente's libsodium ladder: 256 MiB × 16, 128 MiB × 32, 64 MiB × 64 passes.
    for (mib, passes) in [(256u64, 16u64), (128, 32), (64, 64)] {
        assert!(
            crypto_check_argon2(mib * 1024, passes, 1),
            "{mib} MiB × {passes}"
        );
    }
    // 1 GiB, or 256 MiB × 17 passes, is refused.
    assert!(!crypto_check_argon2(1024 * 1024, 4, 1));
    assert!(!crypto_check_argon2(256 * 1024, 17, 1));
    assert_eq!(crypto::PBKDF2_MAX_ITERATIONS, 5_000_000);
}

fn crypto_check_scrypt(n: u64, r: u32, p: u32) -> bool {
    crypto::scrypt_allowed(n, r, p)
}

fn crypto_check_argon2(memory_kib: u64, passes: u64, lanes: u32) -> bool {
    crypto::argon2_allowed(memory_kib, passes, lanes)
}

#[test]
fn a_file_of_an_unknown_kind_lists_the_supported_kinds() {
    for bytes in [
        &b"just some notes\nnothing else\n"[..],
        b"{\"hello\": \"world\"}",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
        b"",
    ] {
        let e = read_err(bytes, None);
        let TransferError::UnknownFormat { supported } = &e else {
            panic!("{e:?}");
        };
        assert_eq!(supported.len(), Format::ALL.len());
        for name in [
            "Aegis",
            "2FAS",
            "andOTP",
            "Authenticator Pro",
            "FreeOTP+",
            "Bitwarden",
            "Proton Authenticator",
            "Ente Auth",
            "Google Authenticator",
        ] {
            assert!(e.to_string().contains(name), "{e}");
        }
    }
}

#[test]
fn a_pocket_pass_backup_is_sent_to_the_vault_import() {
    let e = read_err(b"PKTPASS\0\x01\0\x02\x01", None);
    assert_eq!(e, TransferError::PocketPassBackup);
}

#[test]
fn files_over_the_size_limit_are_not_read() {
    let bytes = vec![b' '; transfer::MAX_FILE_BYTES + 1];
    let e = read_err(&bytes, None);
    assert!(matches!(e, TransferError::TooLarge { .. }), "{e:?}");
}

#[test]
fn more_entries_than_the_limit_are_refused() {
    let line = "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP\n";
    let text = line.repeat(transfer::MAX_ENTRIES + 1);
    let e = read_err(text.as_bytes(), None);
    assert!(matches!(e, TransferError::TooManyEntries { .. }), "{e:?}");
}

#[test]
fn unsupported_versions_say_so() {
    let bytes = edit_json("2fas-schema4.2fas", |v| v["schemaVersion"] = 5.into());
    let e = read_err(&bytes, None);
    assert!(
        matches!(
            e,
            TransferError::Unsupported {
                format: Format::TwoFas,
                ..
            }
        ),
        "{e:?}"
    );
    let e = read_err(
        br#"{"encrypted": true, "passwordProtected": true, "items": []}"#,
        None,
    );
    assert!(
        matches!(
            e,
            TransferError::Unsupported {
                format: Format::Bitwarden,
                ..
            }
        ),
        "{e:?}"
    );
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Arbitrary bytes, and fixtures with arbitrary bytes changed, give entries or an
        /// error, never a panic.
        #[test]
        fn on_arbitrary_input(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            check(transfer::read(&bytes, None));
        }

        #[test]
        fn on_edited_plain_fixtures(index in 0usize..7, at in any::<usize>(), byte in any::<u8>()) {
            let names = ["otpauth.txt", "aegis-plain.json", "2fas-schema4.2fas", "andotp-plain.json",
                         "authpro-plain.json", "freeotp-plus.json", "bitwarden.csv"];
            let mut bytes = fixture(names[index]);
            let at = at % bytes.len();
            bytes[at] = byte;
            check(transfer::read(&bytes, None));
        }
    }

    /// Whatever came back can be shown: every row has a label, every error a message.
    fn check(result: Result<transfer::ImportFile, TransferError>) {
        match result {
            Ok(file) => {
                for entry in &file.entries {
                    assert!(
                        !entry.label().is_empty() || matches!(entry, transfer::Entry::Account(_))
                    );
                }
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
}
