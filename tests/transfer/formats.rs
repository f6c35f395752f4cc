//! Each fixture imports the accounts its file holds, with the same secret, kind, algorithm,
//! digits, period or counter, issuer and name, and names the one entry it cannot import.

use pocketpass::transfer::{Format, ImportFile};

use super::support::{assert_holds, read, ALL};

fn assert_file(file: &ImportFile, format: Format, encrypted: bool) {
    assert_eq!(file.format, format);
    assert_eq!(file.encrypted, encrypted, "{format:?} {}", file.variant);
}

#[test]
fn otpauth_lines_import_with_steam_and_name_the_bad_line_and_the_stray_text() {
    let file = read("otpauth.txt");
    assert_file(&file, Format::OtpauthUris, false);
    assert_holds(&file, ALL, 2);
}

#[test]
fn google_authenticator_parts_are_put_together() {
    let file = read("google-migration.txt");
    assert_file(&file, Format::GoogleAuthenticator, false);
    assert_holds(&file, &["github", "ubuntu", "rakuten"], 0);
    assert!(file.notes.is_empty(), "{:?}", file.notes);
}

#[test]
fn a_google_export_with_missing_parts_imports_what_it_has_and_says_what_is_missing() {
    let file = read("google-migration-partial.txt");
    assert_holds(&file, &["github"], 1);
    assert_eq!(file.notes.len(), 1);
    assert!(file.notes[0].contains("2, 3"), "{}", file.notes[0]);
}

#[test]
fn aegis_plain_and_encrypted() {
    for (name, encrypted) in [("aegis-plain.json", false), ("aegis-encrypted.json", true)] {
        let file = read(name);
        assert_file(&file, Format::Aegis, encrypted);
        assert_holds(&file, ALL, 1);
    }
}

#[test]
fn twofas_schema_versions_one_to_four_and_encrypted() {
    let file = read("2fas-schema1.2fas");
    assert_file(&file, Format::TwoFas, false);
    assert_holds(&file, &["github", "bank", "societe", "rakuten"], 1);
    for schema in 2..=4 {
        let file = read(&format!("2fas-schema{schema}.2fas"));
        assert_eq!(file.variant, format!("schema {schema}"));
        assert_holds(&file, ALL, 1);
    }
    let file = read("2fas-encrypted.2fas");
    assert_file(&file, Format::TwoFas, true);
    assert_holds(&file, ALL, 1);
}

#[test]
fn andotp_plain_new_and_old_encryption() {
    for (name, encrypted, variant) in [
        ("andotp-plain.json", false, "plain"),
        ("andotp-encrypted.json.aes", true, "encrypted"),
        ("andotp-old.json.aes", true, "old encrypted format"),
    ] {
        let file = read(name);
        assert_file(&file, Format::AndOtp, encrypted);
        assert_eq!(file.variant, variant);
        assert_holds(&file, ALL, 1);
    }
}

#[test]
fn authenticator_pro_plain_encrypted_and_legacy() {
    for (name, encrypted, variant) in [
        ("authpro-plain.json", false, "plain"),
        ("authpro-encrypted.authpro", true, "encrypted"),
        ("authpro-legacy.authpro", true, "legacy encrypted"),
    ] {
        let file = read(name);
        assert_file(&file, Format::AuthenticatorPro, encrypted);
        assert_eq!(file.variant, variant);
        assert_holds(&file, ALL, 1);
    }
}

#[test]
fn freeotp_plus_signed_bytes_and_the_counter_one_lower() {
    let file = read("freeotp-plus.json");
    assert_file(&file, Format::FreeOtpPlus, false);
    // The HOTP counter 42 was stored as 41; `assert_holds` checks it comes back as 42.
    assert_holds(&file, ALL, 1);
}

#[test]
fn bitwarden_json_and_csv_with_uris_bare_secrets_and_steam() {
    for (name, variant) in [("bitwarden.json", "JSON"), ("bitwarden.csv", "CSV")] {
        let file = read(name);
        assert_file(&file, Format::Bitwarden, false);
        assert_eq!(file.variant, variant);
        assert_holds(&file, ALL, 1);
        assert_eq!(file.notes.len(), 1, "{:?}", file.notes);
        assert!(
            file.notes[0].starts_with("2 Bitwarden items"),
            "{}",
            file.notes[0]
        );
    }
}

#[test]
fn proton_authenticator_plain_and_encrypted() {
    for (name, encrypted) in [
        ("proton-plain.json", false),
        ("proton-encrypted.json", true),
    ] {
        let file = read(name);
        assert_file(&file, Format::ProtonAuthenticator, encrypted);
        assert_holds(&file, &["github", "bank", "societe", "steam", "rakuten"], 1);
    }
}

#[test]
fn ente_plain_and_encrypted() {
    let file = read("ente-plain.txt");
    assert_file(&file, Format::OtpauthUris, false);
    assert_holds(&file, ALL, 1);
    let file = read("ente-encrypted.txt");
    assert_file(&file, Format::EnteAuth, true);
    assert_holds(&file, ALL, 1);
}

#[test]
fn reasons_are_in_the_users_words() {
    use pocketpass::transfer::Entry;
    let reasons: Vec<String> = read("aegis-plain.json")
        .entries
        .into_iter()
        .chain(read("otpauth.txt").entries)
        .filter_map(|e| match e {
            Entry::NotImportable { label, reason } => Some(format!("{label}: {reason}")),
            Entry::Account(_) => None,
        })
        .collect();
    assert_eq!(
        reasons[0],
        "Yandex: ivan: its type \"yandex\" is not supported (Pocket Pass holds TOTP, HOTP and Steam accounts)"
    );
    assert!(
        reasons[1].starts_with("line 3: the secret is not valid base32"),
        "{}",
        reasons[1]
    );
    assert_eq!(reasons[2], "line 9: this line is not an otpauth:// link");
}
