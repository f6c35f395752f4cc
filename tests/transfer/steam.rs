//! Steam Guard codes: five characters from Steam's alphabet, HMAC-SHA1 over 30-second steps,
//! compared with a Python computation written from the published algorithm.

use pocketpass::otp::{parse_uri, Kind, STEAM_ALPHABET};

use super::support::{account, python};

const STEAM_PY: &str = r#"
import hashlib, hmac, struct, sys
ALPHABET = "23456789BCDFGHJKMNPQRTVWXY"
for line in sys.stdin.read().split():
    secret_hex, t = line.split(":")
    mac = hmac.new(bytes.fromhex(secret_hex), struct.pack(">Q", int(t) // 30), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    code = ""
    for _ in range(5):
        code += ALPHABET[value % 26]
        value //= 26
    print(code)
"#;

#[test]
fn steam_codes_equal_an_independent_computation() {
    let steam = account("steam");
    let mut other = account("steam");
    other.secret = pocketpass::otp::Secret::from_bytes(b"another steam secret".to_vec()).unwrap();
    let times = [
        0u64,
        29,
        30,
        1_000_000_000,
        1_700_000_000,
        2_000_000_001,
        4_102_444_800,
    ];
    let mut input = String::new();
    let mut ours = Vec::new();
    for account in [&steam, &other] {
        for t in times {
            input.push_str(&format!(
                "{}:{t}\n",
                data_encoding::HEXLOWER.encode(account.secret.expose())
            ));
            ours.push(account.code_at(t).as_str().to_owned());
        }
    }
    let theirs: Vec<String> = python(STEAM_PY, &[], input.as_bytes())
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(ours, theirs);
    for code in &ours {
        assert_eq!(code.len(), 5);
        assert!(code.bytes().all(|c| STEAM_ALPHABET.contains(&c)), "{code}");
    }
}

#[test]
fn steam_codes_change_every_30_seconds_and_are_shown_whole() {
    let steam = account("steam");
    assert_eq!(steam.code_at(60), steam.code_at(89));
    assert_eq!(steam.seconds_left(65), Some(25));
    let code = steam.code_at(60);
    assert_eq!(
        code.grouped(),
        code.as_str(),
        "one group of five, as Steam shows it"
    );
    assert_eq!(steam.kind.period(), Some(30));
}

#[test]
fn steam_keys_are_read_in_all_three_link_forms() {
    let secret = "AEBAGBAFAYDQQCIKBMGA2DQPCAIREEYUCULBOGAZ"; // bytes 1..=25
    for uri in [
        format!("otpauth://steam/Steam:gamer?secret={secret}&issuer=Steam&digits=5&algorithm=SHA1&period=30"),
        format!("otpauth://totp/Steam:gamer?secret={secret}&issuer=Steam&encoder=steam"),
    ] {
        let account = parse_uri(&uri).unwrap();
        assert_eq!(account.kind, Kind::Steam, "{uri}");
        assert_eq!(account.digits, 5);
        assert_eq!(account.name, "gamer");
        assert!(account.extra.is_empty(), "{:?}", account.extra);
    }
    let account = parse_uri(&format!("steam://{secret}")).unwrap();
    assert_eq!(account.kind, Kind::Steam);
    assert_eq!(account.issuer.as_deref(), Some("Steam"));
}

#[test]
fn vaults_keep_their_json_layout_so_old_vaults_open() {
    // The payload layout before Steam existed is read unchanged, and Steam adds a new value.
    let old: Kind = serde_json::from_str(r#"{"totp":{"period":30}}"#).unwrap();
    assert_eq!(old, Kind::Totp { period: 30 });
    let hotp: Kind = serde_json::from_str(r#"{"hotp":{"counter":7}}"#).unwrap();
    assert_eq!(hotp, Kind::Hotp { counter: 7 });
    assert_eq!(serde_json::to_string(&Kind::Steam).unwrap(), r#""steam""#);
    assert_eq!(
        serde_json::from_str::<Kind>(r#""steam""#).unwrap(),
        Kind::Steam
    );
}
