//! What the transfer tests share: the fixtures, the accounts they hold, and Python.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use pocketpass::otp::{Account, Algorithm, Kind};
use pocketpass::transfer::{self, Entry, ImportFile, TransferError};
use pocketpass::vault::Password;

/// The password of every encrypted fixture (tests/fixtures/transfer/writers/common.py).
pub const PASSWORD: &str = "correct horse battery staple";
/// A password that opens none of them.
pub const WRONG: &str = "wrong password";

pub fn password() -> Password {
    Password::entered(PASSWORD)
}

pub fn wrong() -> Password {
    Password::entered(WRONG)
}

pub fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/transfer")
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Reads a fixture with the fixtures' password.
pub fn read(name: &str) -> ImportFile {
    transfer::read(&fixture(name), Some(&password())).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Reads a fixture and expects an error.
pub fn read_err(bytes: &[u8], password: Option<&Password>) -> TransferError {
    match transfer::read(bytes, password) {
        Ok(file) => panic!("expected an error, got {} entries", file.entries.len()),
        Err(e) => e,
    }
}

/// One account of the fixtures, as common.py has it.
pub struct Expected {
    pub key: &'static str,
    pub issuer: &'static str,
    pub name: &'static str,
    pub kind: Kind,
    pub algorithm: Algorithm,
    pub digits: u8,
    pub secret: &'static [u8],
}

pub const EXPECTED: &[Expected] = &[
    Expected {
        key: "github",
        issuer: "GitHub",
        name: "alice@example.com",
        kind: Kind::Totp { period: 30 },
        algorithm: Algorithm::Sha1,
        digits: 6,
        secret: b"Hello!\xde\xad\xbe\xefHello!\xde\xad\xbe\xef",
    },
    Expected {
        key: "bank",
        issuer: "Bänk Zürich",
        name: "jürgen",
        kind: Kind::Totp { period: 60 },
        algorithm: Algorithm::Sha256,
        digits: 8,
        secret: b"12345678901234567890123456789012",
    },
    Expected {
        key: "societe",
        issuer: "Société Générale",
        name: "élodie",
        kind: Kind::Totp { period: 30 },
        algorithm: Algorithm::Sha512,
        digits: 7,
        secret: b"1234567890123456789012345678901234567890123456789012345678901234",
    },
    Expected {
        key: "ubuntu",
        issuer: "Ubuntu One",
        name: "bob",
        kind: Kind::Hotp { counter: 42 },
        algorithm: Algorithm::Sha1,
        digits: 6,
        secret: b"12345678901234567890",
    },
    Expected {
        key: "steam",
        issuer: "Steam",
        name: "gamer",
        kind: Kind::Steam,
        algorithm: Algorithm::Sha1,
        digits: 5,
        secret: &[
            1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
        ],
    },
    Expected {
        key: "rakuten",
        issuer: "楽天",
        name: "太郎",
        kind: Kind::Totp { period: 30 },
        algorithm: Algorithm::Sha1,
        digits: 6,
        secret: b"abcdefghijklmnopqrst",
    },
];

/// Every fixture account, in common.py's order.
pub const ALL: &[&str] = &["github", "bank", "societe", "ubuntu", "steam", "rakuten"];

pub fn expected(key: &str) -> &'static Expected {
    EXPECTED
        .iter()
        .find(|e| e.key == key)
        .expect("a fixture account")
}

/// The account `key` as Pocket Pass would hold it.
pub fn account(key: &str) -> Account {
    let e = expected(key);
    Account {
        name: e.name.into(),
        issuer: Some(e.issuer.into()),
        label_issuer: None,
        secret: pocketpass::otp::Secret::from_bytes(e.secret.to_vec()).unwrap(),
        algorithm: e.algorithm,
        digits: e.digits,
        kind: e.kind,
        extra: Vec::new(),
    }
}

/// Asserts that `file` holds exactly the accounts `keys` (in order, field for field) and
/// `bad` entries that cannot be imported, each with a reason.
pub fn assert_holds(file: &ImportFile, keys: &[&str], bad: usize) {
    let accounts: Vec<&Account> = file.accounts().collect();
    let names: Vec<String> = accounts.iter().map(|a| a.display_name()).collect();
    assert_eq!(
        accounts.len(),
        keys.len(),
        "{:?}: accounts {names:?}",
        file.format
    );
    for (account, key) in accounts.iter().zip(keys) {
        let e = expected(key);
        let what = format!("{:?} {key}", file.format);
        assert_eq!(account.issuer.as_deref(), Some(e.issuer), "{what}: issuer");
        assert_eq!(account.name, e.name, "{what}: name");
        assert_eq!(account.secret.expose(), e.secret, "{what}: secret");
        assert_eq!(account.kind, e.kind, "{what}: kind");
        assert_eq!(account.algorithm, e.algorithm, "{what}: algorithm");
        assert_eq!(account.digits, e.digits, "{what}: digits");
    }
    let problems: Vec<(&String, &String)> = file
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::NotImportable { label, reason } => Some((label, reason)),
            Entry::Account(_) => None,
        })
        .collect();
    assert_eq!(
        problems.len(),
        bad,
        "{:?}: not importable {problems:?}",
        file.format
    );
    for (label, reason) in problems {
        assert!(!label.is_empty() && !reason.is_empty(), "{label}: {reason}");
    }
}

/// Debian's interpreter, which has python3-cryptography, python3-argon2, python3-nacl and
/// python3-pyotp; one on PATH (pyenv, a venv) may lack them.
pub const PYTHON: &str = "/usr/bin/python3";

/// Runs a Python script with `args` and `stdin`, returning its standard output. A missing
/// interpreter or module fails the test with the way to install them.
pub fn python(script: &str, args: &[&str], stdin: &[u8]) -> String {
    let mut child = Command::new(PYTHON)
        .arg("-c")
        .arg(script)
        .args(args)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{PYTHON} is needed ({e}); run scripts/install-deps.sh"));
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("ModuleNotFoundError"),
        "a Python module is missing; run scripts/install-deps.sh: {stderr}"
    );
    assert!(output.status.success(), "python failed: {stderr}");
    String::from_utf8(output.stdout).unwrap()
}

/// The code oathtool computes, as an independent check.
pub fn oathtool(args: &[&str]) -> String {
    let output = Command::new("oathtool")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("oathtool is needed ({e}); run scripts/install-deps.sh"));
    assert!(output.status.success(), "oathtool {args:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}
