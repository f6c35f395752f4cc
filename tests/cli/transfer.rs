//! `pocketpass import` and `export` with other apps' files (issue 14), run as a script runs
//! them: the PIN first, then the file's password, as the terminal contract says. The formats
//! themselves are tested field by field in tests/transfer/; here it is the command: the
//! preview, exit statuses, nothing made on failure, and exports read back by the commands.

use std::fs;
use std::path::Path;

use super::super::{ok, pin_line, pp, stderr, stdout, PIN};

/// The password of the encrypted fixtures (tests/fixtures/transfer/writers/common.py).
const FILE_PASSWORD: &str = "correct horse battery staple";

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/transfer")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// `list`'s names, one a line, without the details column.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = ok(dir, &["list"], &pin_line())
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn import_dry_run_previews_every_entry_and_makes_no_vault() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(
        dir.path(),
        &["import", "--dry-run", &fixture("otpauth.txt")],
        "",
    );
    assert!(out.contains("GitHub: alice@example.com\tnew"), "{out}");
    assert!(out.contains("Steam: gamer\tnew"), "{out}");
    // The broken link and the stray line are rows of their own, with a reason.
    let not: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("\tnot importable: "))
        .collect();
    assert_eq!(not.len(), 2, "{out}");
    assert!(
        out.ends_with("6 new, 0 already here, 2 not importable"),
        "{out}"
    );
    assert!(
        !pocketpass::vault::exists(dir.path()),
        "a dry run creates no vault"
    );
}

#[test]
fn an_encrypted_aegis_vault_imports_after_the_pin_and_reimporting_finds_all_already_here() {
    let dir = tempfile::tempdir().unwrap();
    let file = fixture("aegis-encrypted.json");
    let input = format!("{PIN}\n{FILE_PASSWORD}\n");
    let out = ok(dir.path(), &["import", &file], &input);
    // The kind of file, said once: "Aegis (encrypted)", not "(encrypted, encrypted)".
    assert!(out.starts_with("Aegis (encrypted): "), "{out}");
    let added: usize = out
        .lines()
        .last()
        .and_then(|l| l.strip_prefix("added "))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no 'added N' line: {out}"));
    assert!(added >= 5, "{out}");
    assert_eq!(names(dir.path()).len(), added);

    // Once the vault exists its PIN comes first, then the file's password.
    let again = ok(dir.path(), &["import", &file], &input);
    assert!(again.contains("0 new"), "{again}");
    assert!(
        again.ends_with("nothing new to import: the importable accounts are already here"),
        "{again}"
    );
    assert_eq!(names(dir.path()).len(), added, "a re-import adds nothing");
}

#[test]
fn a_wrong_file_password_is_exit_3_and_leaves_no_vault() {
    let dir = tempfile::tempdir().unwrap();
    let output = pp(
        dir.path(),
        &["import", &fixture("aegis-encrypted.json")],
        &format!("{PIN}\nwrong password\n"),
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(stderr(&output).contains("password"), "{}", stderr(&output));
    assert!(!pocketpass::vault::exists(dir.path()));
}

#[test]
fn a_file_of_an_unknown_kind_names_the_kinds_supported() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    fs::write(&file, "shopping list: milk, eggs\n").unwrap();
    let output = pp(dir.path(), &["import", file.to_str().unwrap()], &pin_line());
    assert_eq!(output.status.code(), Some(6), "{}", stderr(&output));
    let err = stderr(&output);
    for kind in ["Aegis", "2FAS", "andOTP", "Bitwarden", "Ente Auth"] {
        assert!(err.contains(kind), "{kind} missing from: {err}");
    }
    assert!(!pocketpass::vault::exists(dir.path()));
}

#[test]
fn exports_for_other_apps_are_private_never_replace_a_file_and_read_back() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("vault");
    ok(&dir, &["import", &fixture("otpauth.txt")], &pin_line());
    let before = names(&dir);
    assert_eq!(before.len(), 6);

    // Plain links: a warning, 0600, and read back by `import`.
    let links = home.path().join("links.txt");
    let output = pp(
        &dir,
        &["export", "--format", "otpauth", links.to_str().unwrap()],
        &pin_line(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("unencrypted"),
        "{}",
        stderr(&output)
    );
    #[cfg(unix)]
    assert_eq!(mode(&links), 0o600);
    assert!(fs::read_to_string(&links)
        .unwrap()
        .contains("otpauth://steam/"));
    let other = home.path().join("other");
    ok(&other, &["import", links.to_str().unwrap()], &pin_line());
    assert_eq!(names(&other), before);

    // Never over an existing file: the file stays as it was.
    fs::write(&links, "precious").unwrap();
    let output = pp(
        &dir,
        &["export", "--format", "otpauth", links.to_str().unwrap()],
        &pin_line(),
    );
    assert_eq!(output.status.code(), Some(6), "{}", stderr(&output));
    assert_eq!(fs::read_to_string(&links).unwrap(), "precious");

    // Aegis, under a password given twice after the PIN, opened by `import`.
    let aegis = home.path().join("aegis.json");
    let password = "a new export password";
    ok(
        &dir,
        &["export", "--format", "aegis", aegis.to_str().unwrap()],
        &format!("{PIN}\n{password}\n{password}\n"),
    );
    #[cfg(unix)]
    assert_eq!(mode(&aegis), 0o600);
    let third = home.path().join("third");
    let out = ok(
        &third,
        &["import", aegis.to_str().unwrap()],
        &format!("{PIN}\n{password}\n"),
    );
    assert!(out.contains("Aegis"), "{out}");
    assert_eq!(names(&third), before);

    // Google Authenticator codes: Steam, the 7-digit and the 60-second account are named and
    // left out; the PNG is read back by `add --scan`.
    let qr = home.path().join("qr");
    let output = pp(
        &dir,
        &["export", "--format", "google-qr", qr.to_str().unwrap()],
        &pin_line(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("left out Steam: gamer"),
        "{}",
        stderr(&output)
    );
    let pngs: Vec<_> = fs::read_dir(&qr)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(pngs.len(), 1, "{}", stdout(&output));
    #[cfg(unix)]
    assert_eq!(mode(&pngs[0]), 0o600);
    let fourth = home.path().join("fourth");
    ok(
        &fourth,
        &["add", "--scan", pngs[0].to_str().unwrap()],
        &pin_line(),
    );
    let google = names(&fourth);
    assert_eq!(google.len(), 3, "{google:?}");
    assert!(google.iter().all(|n| before.contains(n)), "{google:?}");
}
