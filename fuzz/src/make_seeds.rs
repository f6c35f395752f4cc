//! Writes the seed corpora the fuzz targets start from: a few small, valid inputs per target,
//! made with the app's own code (and the `image` and `qrcode` crates for the pictures), so that
//! no file is copied from elsewhere and the seeds follow the format as it is now.
//!
//! Usage: `make_seeds CORPUS_DIR`, which fills `CORPUS_DIR/<target>/`. `scripts/fuzz.sh` runs it.

use std::fs;
use std::io::Cursor;
use std::path::Path;

use pocketpass::otp;
use pocketpass::vault::{Password, Pin, Vault, VAULT_FILE};

const URI: &str = "otpauth://totp/HPC:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=HPC";
const PIN: &str = "482916";
const PASSWORD: &str = "correct horse battery staple";

fn main() {
    let root = std::env::args()
        .nth(1)
        .expect("usage: make_seeds CORPUS_DIR");
    let root = Path::new(&root);
    let put = |target: &str, name: &str, bytes: &[u8]| {
        let dir = root.join(target);
        fs::create_dir_all(&dir).expect("corpus folder");
        fs::write(dir.join(name), bytes).expect("seed file");
    };

    // Text payloads: the portal's kind of link, the variants the URI parser knows, an export.
    let uris = [
        URI.to_owned(),
        "otpauth://hotp/Example:bob@example.org?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&counter=7&digits=8&algorithm=SHA512".to_owned(),
        "otpauth://totp/ACME%20Co:carol?secret=jbswy3dpehpk3pxpjbswy3dpehpk3pxp&period=60&algorithm=SHA256&issuer=ACME%20Co&expires=2029-01-15".to_owned(),
        "otpauth://steam/Steam:dave?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".to_owned(),
    ];
    for (i, uri) in uris.iter().enumerate() {
        put("otp_payload", &format!("uri{i}"), uri.as_bytes());
    }
    let one = export(
        &[account(b"12345678901234567890", "HPC:alice", "HPC", 1)],
        1,
        0,
        7,
    );
    put("otp_payload", "migration", migration_link(&one).as_bytes());

    // An export of two parts, as raw protobuf (mode 0) and as a link (mode 1).
    let part0 = export(
        &[account(b"12345678901234567890", "alice", "HPC", 2)],
        2,
        0,
        -5,
    );
    let part1 = export(
        &[
            account(b"abcdefghijabcdefghij", "bob", "ACME", 1),
            account(b"ABCDEFGHIJABCDEFGHIJ", "carol", "", 1),
        ],
        2,
        1,
        -5,
    );
    let mut batch = vec![0u8];
    batch.extend_from_slice(&part0);
    batch.push(0xff);
    batch.push(1);
    batch.extend_from_slice(migration_link(&part1).as_bytes());
    put("migration_batch", "two_parts", &batch);
    let mut single = vec![0u8];
    single.extend_from_slice(&one);
    put("migration_batch", "one_part", &single);

    // A vault and a backup as the app writes them, with the cheap test cost.
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut vault =
        Vault::create_insecure_for_tests(dir.path(), &Pin::entered(PIN), 1).expect("test vault");
    vault
        .add(otp::parse_uri(URI).expect("seed URI"))
        .expect("add");
    let backup = dir.path().join("backup.pocketpass");
    vault
        .export(&backup, &Password::entered(PASSWORD))
        .expect("export");
    for (name, file) in [
        (
            "vault",
            fs::read(dir.path().join(VAULT_FILE)).expect("vault file"),
        ),
        ("backup", fs::read(&backup).expect("backup file")),
    ] {
        put(
            "vault_file",
            &format!("{name}_whole"),
            &[&[0u8][..], &file].concat(),
        );
        let body = &file[..file.len() - 32];
        put(
            "vault_file",
            &format!("{name}_unsummed"),
            &[&[1u8][..], body].concat(),
        );
    }
    let contents = serde_json::json!({ "accounts": vault.accounts() }).to_string();
    put(
        "vault_file",
        "payload",
        &[&[2u8][..], contents.as_bytes()].concat(),
    );

    // The same link as a QR code: a PNG, a JPEG and a WebP file, and a raw luma frame.
    let qr = qrcode::QrCode::new(URI.as_bytes()).expect("QR code");
    let image = render(&qr, 2);
    for (name, format) in [
        ("qr.png", image::ImageFormat::Png),
        ("qr.jpg", image::ImageFormat::Jpeg),
        ("qr.webp", image::ImageFormat::WebP),
    ] {
        let mut out = Cursor::new(Vec::new());
        image::DynamicImage::ImageLuma8(image.clone())
            .write_to(&mut out, format)
            .expect("encode seed image");
        put("image_file", name, out.get_ref());
    }
    let (w, h) = (image.width() as u16, image.height() as u16);
    let mut frame = Vec::new();
    frame.extend_from_slice(&(w - 1).to_le_bytes());
    frame.extend_from_slice(&(h - 1).to_le_bytes());
    frame.extend_from_slice(image.as_raw());
    put("luma_frame", "qr", &frame);

    // Portal bodies: route byte, content-type/Origin byte, body (see portal_bodies.rs).
    let bodies: [(u8, u8, &str); 6] = [
        (
            0,
            0,
            r#"{"username":"alice","password":"correct horse battery"}"#,
        ),
        (3, 0, r#"{"name":"Laptop"}"#),
        (4, 4, r#"{"otp":"123456"}"#),
        (
            6,
            0,
            r#"{"username":"alice","password":"x","otp":"123456"}"#,
        ),
        (7, 0, r#"{"offset_seconds":86400}"#),
        (12, 1, "csrf=@csrf@&name=Phone"),
    ];
    for (i, (route, kind, body)) in bodies.iter().enumerate() {
        put(
            "portal_bodies",
            &format!("body{i}"),
            &[&[*route, *kind][..], body.as_bytes()].concat(),
        );
    }
}

/// Draws `qr` with `scale` pixels a module and the standard four-module quiet zone.
fn render(qr: &qrcode::QrCode, scale: u32) -> image::GrayImage {
    let modules = qr.width() as u32;
    let colors = qr.to_colors();
    let side = (modules + 8) * scale;
    image::GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = ((x / scale).wrapping_sub(4), (y / scale).wrapping_sub(4));
        let dark = mx < modules
            && my < modules
            && colors[(my * modules + mx) as usize] == qrcode::Color::Dark;
        image::Luma([if dark { 0 } else { 255 }])
    })
}

/// One `OtpParameters` message: secret, name, issuer, algorithm SHA-1, six digits, type.
fn account(secret: &[u8], name: &str, issuer: &str, kind: u64) -> Vec<u8> {
    let mut m = Vec::new();
    bytes_field(&mut m, 1, secret);
    bytes_field(&mut m, 2, name.as_bytes());
    bytes_field(&mut m, 3, issuer.as_bytes());
    varint_field(&mut m, 4, 1);
    varint_field(&mut m, 5, 1);
    varint_field(&mut m, 6, kind);
    if kind == 1 {
        varint_field(&mut m, 7, 3);
    }
    m
}

/// A `MigrationPayload` with `accounts`, version 1 and the batch fields.
fn export(accounts: &[Vec<u8>], size: u64, index: u64, id: i64) -> Vec<u8> {
    let mut m = Vec::new();
    for a in accounts {
        bytes_field(&mut m, 1, a);
    }
    varint_field(&mut m, 2, 1);
    varint_field(&mut m, 3, size);
    varint_field(&mut m, 4, index);
    varint_field(&mut m, 5, id as u64);
    m
}

fn migration_link(payload: &[u8]) -> String {
    let data = data_encoding::BASE64.encode(payload);
    let data = data
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    format!("otpauth-migration://offline?data={data}")
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn varint_field(out: &mut Vec<u8>, number: u64, v: u64) {
    varint(out, number << 3);
    varint(out, v);
}

fn bytes_field(out: &mut Vec<u8>, number: u64, bytes: &[u8]) {
    varint(out, number << 3 | 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}
