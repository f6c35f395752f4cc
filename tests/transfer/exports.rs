//! Exports read back by tools other than ours: an Aegis vault decrypted by a Python script
//! written from Aegis' docs/vault.md, Google Authenticator QR codes decoded by crates.io's rqrr and by zbar
//! and their payload by a Python protobuf reader, otpauth lines parsed by pyotp, and codes equal
//! to oathtool's.

use pocketpass::otp::{Account, Algorithm, Kind};
use pocketpass::transfer::{self, export, Format};
use pocketpass::vault::Password;

use super::support::{account, assert_holds, oathtool, password, python, read_err, ALL};

/// The text zbar's `zbarimg` reads from a PNG (written to a private temporary folder: the
/// test's keys are made up).
fn zbarimg(png: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("code.png");
    std::fs::write(&path, png).unwrap();
    let out = std::process::Command::new("zbarimg")
        .args(["--raw", "-q", "-Sdisable", "-Sqrcode.enable"])
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("zbarimg is needed ({e}); run scripts/install-deps.sh"));
    assert!(
        out.status.success(),
        "zbarimg: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim_end().to_owned()
}

fn accounts() -> Vec<Account> {
    ALL.iter().map(|k| account(k)).collect()
}

/// Aegis' docs/vault.md, "Encryption" and "Slots": derive the slot key with scrypt, unwrap the
/// master key with AES-GCM, decrypt the content with AES-GCM.
const AEGIS_DECRYPT_PY: &str = r#"
import base64, hashlib, json, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
vault = json.loads(sys.stdin.buffer.read())
password = sys.argv[1].encode()
assert vault["version"] == 1
master = None
for slot in vault["header"]["slots"]:
    if slot["type"] != 1:
        continue
    key = hashlib.scrypt(password, salt=bytes.fromhex(slot["salt"]), n=slot["n"], r=slot["r"],
                         p=slot["p"], maxmem=256 * slot["n"] * slot["r"], dklen=32)
    params = slot["key_params"]
    master = AESGCM(key).decrypt(bytes.fromhex(params["nonce"]),
                                 bytes.fromhex(slot["key"]) + bytes.fromhex(params["tag"]), None)
params = vault["header"]["params"]
content = AESGCM(master).decrypt(bytes.fromhex(params["nonce"]),
                                 base64.b64decode(vault["db"]) + bytes.fromhex(params["tag"]), None)
print(content.decode())
"#;

fn check_aegis_content(db: &serde_json::Value, accounts: &[Account]) {
    let entries = db["entries"].as_array().unwrap();
    assert_eq!(entries.len(), accounts.len());
    for (entry, account) in entries.iter().zip(accounts) {
        let kind = match account.kind {
            Kind::Totp { .. } => "totp",
            Kind::Hotp { .. } => "hotp",
            Kind::Steam => "steam",
        };
        assert_eq!(entry["type"], kind);
        assert_eq!(entry["name"], account.name.as_str());
        assert_eq!(entry["issuer"], account.issuer.as_deref().unwrap());
        let info = &entry["info"];
        assert_eq!(info["secret"], account.secret.to_base32().as_str());
        assert_eq!(info["algo"], account.algorithm.as_str());
        assert_eq!(info["digits"], account.digits);
        match account.kind {
            Kind::Hotp { counter } => assert_eq!(info["counter"], counter),
            _ => assert_eq!(info["period"], account.kind.period().unwrap()),
        }
    }
}

#[test]
fn an_aegis_export_opens_with_a_decryptor_written_from_aegis_docs() {
    let accounts = accounts();
    let vault = export::aegis(&accounts, &password()).unwrap();
    let text = String::from_utf8(vault.clone()).unwrap();
    assert!(
        !text.contains(accounts[0].secret.to_base32().as_str()),
        "no key in the clear"
    );
    let out = python(AEGIS_DECRYPT_PY, &[super::support::PASSWORD], &vault);
    check_aegis_content(&serde_json::from_str(&out).unwrap(), &accounts);
    // And it reads back here, wrong password refused.
    assert_holds(&transfer::read(&vault, Some(&password())).unwrap(), ALL, 0);
    let e = read_err(&vault, Some(&Password::entered("not it at all")));
    assert!(matches!(
        e,
        transfer::TransferError::WrongPassword {
            format: Format::Aegis,
            ..
        }
    ));
}

#[test]
fn an_aegis_export_needs_a_real_password_and_plain_only_when_asked() {
    let e = export::aegis(&accounts(), &Password::entered("short")).unwrap_err();
    assert!(e.to_string().contains("8"), "{e}");
    let plain = export::aegis_unencrypted(&accounts()).unwrap();
    let vault: serde_json::Value = serde_json::from_slice(&plain).unwrap();
    assert!(vault["header"]["slots"].is_null() && vault["header"]["params"].is_null());
    check_aegis_content(&vault["db"], &accounts());
    assert_holds(&transfer::read(&plain, None).unwrap(), ALL, 0);
}

/// A protobuf reader written from the MigrationPayload description in Aegis' google_auth.proto.
const MIGRATION_PY: &str = r#"
import base64, json, sys
from urllib.parse import unquote

def fields(data):
    i = 0
    def varint():
        nonlocal i
        n = shift = 0
        while True:
            b = data[i]; i += 1
            n |= (b & 0x7F) << shift; shift += 7
            if b < 0x80:
                return n
    while i < len(data):
        key = varint()
        if key & 7 == 0:
            yield key >> 3, varint()
        else:
            n = varint(); yield key >> 3, data[i:i + n]; i += n

out = []
for line in sys.stdin.read().split():
    assert line.startswith("otpauth-migration://offline?data=")
    payload = base64.b64decode(unquote(line.split("data=", 1)[1]))
    part = {"accounts": []}
    for number, value in fields(payload):
        if number == 1:
            a = {k: v for k, v in fields(value)}
            part["accounts"].append({"secret": a[1].hex(), "name": a[2].decode(), "issuer": a[3].decode(),
                                     "algorithm": a[4], "digits": a[5], "type": a[6], "counter": a.get(7, 0)})
        else:
            part[{2: "version", 3: "size", 4: "index", 5: "id"}[number]] = value
    out.append(part)
print(json.dumps(out))
"#;

#[test]
fn google_codes_decode_with_another_qr_reader_and_hold_at_most_ten_accounts() {
    // 23 Google-compatible accounts (3 fixture ones and 20 more), and the 3 Google cannot hold.
    let mut accounts: Vec<Account> = accounts();
    for i in 0..20u8 {
        let mut a = account("github");
        a.name = format!("user{i}");
        a.secret = pocketpass::otp::Secret::from_bytes(vec![i + 1; 20]).unwrap();
        accounts.push(a);
    }
    let qr = export::google_qr(&accounts).unwrap();
    let skipped: Vec<&str> = qr.skipped.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        skipped,
        [
            "Bänk Zürich: jürgen",
            "Société Générale: élodie",
            "Steam: gamer"
        ]
    );
    assert!(
        qr.skipped[0].1.contains("60 seconds"),
        "{}",
        qr.skipped[0].1
    );
    assert!(qr.skipped[1].1.contains("7 digits"), "{}", qr.skipped[1].1);
    assert_eq!(qr.codes.len(), 3);

    let mut texts = String::new();
    for code in &qr.codes {
        let image = image::load_from_memory(&code.png).unwrap().to_luma8();
        let (w, h) = image.dimensions();
        let mut prepared =
            rqrr_upstream::PreparedImage::prepare_from_greyscale(w as usize, h as usize, |x, y| {
                image.get_pixel(x as u32, y as u32).0[0]
            });
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, text) = grids[0].decode().unwrap();
        assert_eq!(text, code.text.as_str());
        // And zbar, a decoder in C sharing no code with ours.
        assert_eq!(zbarimg(&code.png), code.text.as_str());
        texts.push_str(&text);
        texts.push('\n');
    }
    let parts: serde_json::Value =
        serde_json::from_str(&python(MIGRATION_PY, &[], texts.as_bytes())).unwrap();
    let parts = parts.as_array().unwrap();
    let counts: Vec<usize> = parts
        .iter()
        .map(|p| p["accounts"].as_array().unwrap().len())
        .collect();
    assert_eq!(counts, [10, 10, 3]);
    let ids: Vec<&serde_json::Value> = parts.iter().map(|p| &p["id"]).collect();
    assert!(ids.iter().all(|id| *id == ids[0]));
    for (i, part) in parts.iter().enumerate() {
        assert_eq!(part["size"], 3);
        assert_eq!(part["index"].as_u64().unwrap_or(0), i as u64);
    }
    let kept: Vec<&Account> = accounts
        .iter()
        .filter(|a| !skipped.contains(&a.display_name().as_str()))
        .collect();
    let decoded: Vec<&serde_json::Value> = parts
        .iter()
        .flat_map(|p| p["accounts"].as_array().unwrap())
        .collect();
    for (a, d) in kept.iter().zip(&decoded) {
        assert_eq!(
            d["secret"],
            data_encoding::HEXLOWER.encode(a.secret.expose())
        );
        assert_eq!(
            d["name"],
            format!("{}:{}", a.issuer.as_deref().unwrap(), a.name)
        );
        assert_eq!(d["issuer"], a.issuer.as_deref().unwrap());
        assert_eq!(
            d["algorithm"],
            match a.algorithm {
                Algorithm::Sha1 => 1,
                Algorithm::Sha256 => 2,
                Algorithm::Sha512 => 3,
            }
        );
        assert_eq!(d["digits"], if a.digits == 8 { 2 } else { 1 });
        match a.kind {
            Kind::Hotp { counter } => {
                assert_eq!(d["type"], 1);
                assert_eq!(d["counter"], counter);
            }
            _ => assert_eq!(d["type"], 2),
        }
    }
    // Our own reader puts the parts back together too.
    let file = transfer::read(texts.as_bytes(), None).unwrap();
    assert_eq!(file.format, Format::GoogleAuthenticator);
    assert_eq!(file.accounts().count(), 23);
    assert!(file.notes.is_empty());
}

const PYOTP_PY: &str = r#"
import json, sys, pyotp
t = int(sys.argv[1])
out = []
for line in sys.stdin.read().splitlines():
    if line.startswith("otpauth://steam/"):
        out.append({"steam": line})
        continue
    otp = pyotp.parse_uri(line)
    code = otp.at(0) if isinstance(otp, pyotp.HOTP) else otp.at(t)
    out.append({"name": otp.name, "issuer": otp.issuer, "code": code, "secret": otp.secret})
print(json.dumps(out))
"#;

#[test]
fn otpauth_lines_parse_with_pyotp_and_codes_equal_oathtools() {
    let accounts = accounts();
    let text = export::otpauth_lines(&accounts);
    let t: u64 = 1_700_000_000;
    let parsed: serde_json::Value =
        serde_json::from_str(&python(PYOTP_PY, &[&t.to_string()], text.as_bytes())).unwrap();
    let parsed = parsed.as_array().unwrap();
    assert_eq!(parsed.len(), accounts.len());
    for (account, p) in accounts.iter().zip(parsed) {
        let ours = account.code_at(t);
        if account.kind == Kind::Steam {
            let line = p["steam"].as_str().unwrap();
            assert!(
                line.starts_with("otpauth://steam/Steam:gamer?secret="),
                "{line}"
            );
            assert_eq!(pocketpass::otp::parse_uri(line).unwrap().code_at(t), ours);
            continue;
        }
        assert_eq!(p["name"], account.name.as_str());
        assert_eq!(p["issuer"], account.issuer.as_deref().unwrap());
        assert_eq!(p["code"], ours.as_str(), "{}", account.display_name());
        let secret = account.secret.to_base32();
        let digits = account.digits.to_string();
        let theirs = match account.kind {
            Kind::Hotp { counter } => {
                oathtool(&["-b", "-d", &digits, "-c", &counter.to_string(), &secret])
            }
            _ => {
                let mode = format!("--totp={}", account.algorithm.as_str().to_ascii_lowercase());
                let step = format!("{}s", account.kind.period().unwrap());
                oathtool(&[
                    &mode,
                    "-b",
                    "-d",
                    &digits,
                    "-s",
                    &step,
                    "-N",
                    &format!("@{t}"),
                    &secret,
                ])
            }
        };
        assert_eq!(theirs, ours.as_str(), "{}", account.display_name());
    }
    // And the lines read back here, every field intact.
    assert_holds(&transfer::read(text.as_bytes(), None).unwrap(), ALL, 0);
}
