//! The terminal commands, run as a user or a script would run them.
//!
//! These use real vaults with the real PBKDF2 cost, so each command takes a fraction of a
//! second. Codes are compared with `oathtool`, an independent implementation
//! (`scripts/install-deps.sh` installs it).

mod common;
#[path = "common/cli_run.rs"]
mod cli_run;

/// Import and export with other apps' files (tests/cli/transfer.rs); the clock and the
/// "code refused?" checks (tests/cli/clock.rs); the man pages and completions of the Debian
/// package (tests/cli/package_files.rs).
mod cli {
    mod clock;
    mod package_files;
    mod transfer;
}

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const PIN: &str = "482916";

/// Runs `pocketpass --data-dir DIR --pin-stdin ARGS...` with `stdin` as standard input.
fn pp(dir: &Path, args: &[&str], stdin: &str) -> Output {
    cli_run::pocketpass(dir, args, stdin)
}

/// Installs bob's TOTP key (RFC 6238's secret) in a new vault under [`PIN`].
fn add_bob(dir: &Path) {
    ok(
        dir,
        &[
            "add",
            "otpauth://totp/HPC:bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        ],
        &pin_line(),
    );
}

/// Gives a spawned child (stdin, stdout and stderr piped) its input and waits for it.
fn finish(mut child: std::process::Child, input: &str) -> Output {
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs and expects success, returning standard output.
fn ok(dir: &Path, args: &[&str], stdin: &str) -> String {
    let output = pp(dir, args, stdin);
    assert!(
        output.status.success(),
        "pocketpass {args:?} failed: {}",
        stderr(&output)
    );
    stdout(&output)
}

fn pin_line() -> String {
    format!("{PIN}\n")
}

/// The code oathtool computes for the same key, as an independent check.
fn oathtool(args: &[&str]) -> String {
    let output = Command::new("oathtool")
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("oathtool is needed for this test ({e}); run scripts/install-deps.sh")
        });
    assert!(
        output.status.success(),
        "oathtool {args:?}: {}",
        stderr(&output)
    );
    stdout(&output)
}

#[test]
fn rfc6238_vectors_through_code_at() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = [
        ("sha1", "SHA1", "12345678901234567890"),
        ("sha256", "SHA256", "12345678901234567890123456789012"),
        (
            "sha512",
            "SHA512",
            "1234567890123456789012345678901234567890123456789012345678901234",
        ),
    ];
    for (name, algorithm, ascii) in secrets {
        let secret = data_encoding::BASE32_NOPAD.encode(ascii.as_bytes());
        let uri =
            format!("otpauth://totp/RFC:{name}?secret={secret}&algorithm={algorithm}&digits=8");
        ok(dir.path(), &["add", &uri], &pin_line());
    }
    for &(time, sha1, sha256, sha512) in common::RFC6238_VECTORS {
        for (name, want) in [("sha1", sha1), ("sha256", sha256), ("sha512", sha512)] {
            let got = ok(
                dir.path(),
                &["code", name, "--at", &time.to_string()],
                &pin_line(),
            );
            assert_eq!(got, want, "{name} at T={time}");
        }
    }
}

#[test]
fn rfc4226_vectors_through_code_and_the_counter_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let uri = "otpauth://hotp/RFC:hotp?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=0";
    ok(dir.path(), &["add", uri], &pin_line());
    for (counter, want) in common::RFC4226_VECTORS.iter().enumerate() {
        assert_eq!(
            ok(dir.path(), &["code"], &pin_line()),
            *want,
            "counter {counter}"
        );
    }
    assert!(ok(dir.path(), &["list"], &pin_line()).contains("counter 10"));
}

#[test]
fn real_world_uris_give_the_same_codes_as_oathtool() {
    // (URI, oathtool arguments before the secret, the secret as oathtool takes it)
    let cases: &[(&str, &[&str], &str)] = &[
        // 80-bit secret, as several large providers issue.
        ("otpauth://totp/Big:a?secret=JBSWY3DPEHPK3PXP", &["--totp"], "JBSWY3DPEHPK3PXP"),
        // Lowercase and grouped.
        ("otpauth://totp/Low:b?secret=jbsw%20y3dp%20ehpk%203pxp%20jbsw%20y3dp", &["--totp"], "JBSWY3DPEHPK3PXPJBSWY3DP"),
        // Padded.
        ("otpauth://totp/Pad:c?secret=GEZDGNBVGY3TQOJQGEZDGNBV====", &["--totp"], "GEZDGNBVGY3TQOJQGEZDGNBV"),
        // SHA512, 8 digits.
        ("otpauth://totp/Long:d?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA512&digits=8", &["--totp=sha512", "-d", "8"], "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
        // Period 60, SHA256.
        ("otpauth://totp/Slow:e?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA256&period=60", &["--totp=sha256", "-s", "60"], "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (uri, _, _) in cases {
        ok(dir.path(), &["add", uri], &pin_line());
    }
    let names = ["Big:a", "Low:b", "Pad:c", "Long:d", "Slow:e"];
    for time in [59u64, 1_111_111_109, 1_764_355_200, 4_102_444_800] {
        for ((_, args, secret), name) in cases.iter().zip(names) {
            let ours = ok(
                dir.path(),
                &["code", name, "--at", &time.to_string()],
                &pin_line(),
            );
            let now = format!("@{time}");
            let mut theirs_args: Vec<&str> = args.to_vec();
            theirs_args.extend(["-N", &now, "--base32", secret]);
            assert_eq!(ours, oathtool(&theirs_args), "{name} at {time}");
        }
    }
    // HOTP at a counter of 7.
    ok(
        dir.path(),
        &[
            "add",
            "otpauth://hotp/Count:f?secret=JBSWY3DPEHPK3PXP&counter=7",
        ],
        &pin_line(),
    );
    for counter in 7..10 {
        let ours = ok(dir.path(), &["code", "Count:f"], &pin_line());
        let c = counter.to_string();
        assert_eq!(
            ours,
            oathtool(&["--hotp", "-c", &c, "--base32", "JBSWY3DPEHPK3PXP"])
        );
    }
}

#[test]
fn no_secret_or_pin_appears_on_disk_or_in_output() {
    let secret_b32 = "KRUGS4ZANFZSAYJAONSWG4TFOQQGWZLZ";
    let secret_raw = b"This is a secret key";
    let new_pin = "739155";
    let password = "backup passphrase 42";
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut outputs = Vec::new();
    let mut run = |args: &[&str], stdin: &str| {
        let output = pp(&data, args, stdin);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        outputs.push(output);
    };
    run(
        &[
            "add",
            &format!("otpauth://totp/HPC:alice?secret={secret_b32}&issuer=HPC"),
        ],
        &pin_line(),
    );
    run(&["list"], &pin_line());
    run(&["code", "alice"], &pin_line());
    run(&["change-pin"], &format!("{PIN}\n{new_pin}\n"));
    let backup = data.join("backup.ppb");
    run(
        &["export", backup.to_str().unwrap()],
        &format!("{new_pin}\n{password}\n"),
    );
    for (path, bytes) in common::files_under(&data) {
        for needle in [
            secret_b32.as_bytes(),
            &secret_raw[..],
            PIN.as_bytes(),
            new_pin.as_bytes(),
            password.as_bytes(),
        ] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{} holds a secret or PIN",
                path.display()
            );
        }
    }
    for output in &outputs {
        for stream in [&output.stdout, &output.stderr] {
            let text = String::from_utf8_lossy(stream);
            for needle in [secret_b32, PIN, new_pin, password] {
                assert!(!text.contains(needle), "output leaks a secret: {text}");
            }
        }
    }
}

#[test]
fn exit_codes_tell_failures_apart() {
    let dir = tempfile::tempdir().unwrap();
    let code = |args: &[&str], stdin: &str| pp(dir.path(), args, stdin).status.code();
    // No vault yet.
    assert_eq!(code(&["list"], &pin_line()), Some(5));
    // Not a key: refused before any PIN is asked or any file written.
    let web = pp(
        dir.path(),
        &["add", "https://portal.example.org/tokens"],
        &pin_line(),
    );
    assert_eq!(web.status.code(), Some(6));
    assert!(stderr(&web).contains("this QR code is not an authenticator key"));
    assert!(!dir.path().join("vault.pocketpass").exists());
    // A weak PIN for a new vault.
    let weak = pp(
        dir.path(),
        &["add", "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP"],
        "123456\n",
    );
    assert_eq!(weak.status.code(), Some(6));
    assert!(stderr(&weak).contains("PIN"));
    ok(
        dir.path(),
        &["add", "otpauth://totp/A:a?secret=JBSWY3DPEHPK3PXP"],
        &pin_line(),
    );
    // The same account twice.
    assert_eq!(
        code(
            &["add", "otpauth://totp/A:a?secret=JBSWY3DPEHPK3PXP"],
            &pin_line()
        ),
        Some(6)
    );
    // Wrong PIN, with the tries left.
    let wrong = pp(dir.path(), &["list"], "000001\n");
    assert_eq!(wrong.status.code(), Some(3));
    assert!(
        stderr(&wrong).contains("9 tries left"),
        "{}",
        stderr(&wrong)
    );
    // No such account.
    assert_eq!(code(&["code", "nobody"], &pin_line()), Some(5));
    // No PIN given at all.
    assert_eq!(code(&["list"], ""), Some(2));
    // Usage error.
    assert_eq!(code(&["code", "--at", "yesterday"], &pin_line()), Some(2));
    // Damaged vault.
    let path = dir.path().join("vault.pocketpass");
    let mut bytes = fs::read(&path).unwrap();
    bytes[60] ^= 1;
    fs::write(&path, &bytes).unwrap();
    let damaged = pp(dir.path(), &["list"], &pin_line());
    assert_eq!(damaged.status.code(), Some(7));
    assert!(stderr(&damaged).contains("damaged"));
}

#[test]
fn ten_wrong_pins_through_the_terminal_wipe_the_keys() {
    let dir = tempfile::tempdir().unwrap();
    ok(
        dir.path(),
        &["add", "otpauth://totp/A:a?secret=JBSWY3DPEHPK3PXP"],
        &pin_line(),
    );
    for left in (1..10).rev() {
        let output = pp(dir.path(), &["code"], "000001\n");
        assert_eq!(output.status.code(), Some(3));
        let plural = if left == 1 { "try" } else { "tries" };
        assert!(
            stderr(&output).contains(&format!("{left} {plural} left")),
            "{}",
            stderr(&output)
        );
    }
    let output = pp(dir.path(), &["code"], "000001\n");
    assert_eq!(output.status.code(), Some(4));
    assert!(stderr(&output).contains("wiped"));
    let output = pp(dir.path(), &["code"], &pin_line());
    assert_eq!(
        output.status.code(),
        Some(4),
        "the right PIN after the wipe is told why"
    );
}

#[test]
fn rename_remove_export_import_and_change_pin() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    ok(
        &a,
        &[
            "add",
            "otpauth://totp/HPC:alice?secret=JBSWY3DPEHPK3PXP&issuer=HPC&expires=2028-11-28",
        ],
        &pin_line(),
    );
    ok(
        &a,
        &[
            "add",
            "otpauth://totp/HPC:bob?secret=GEZDGNBVGY3TQOJQ&issuer=HPC",
        ],
        &pin_line(),
    );
    let list = ok(&a, &["list"], &pin_line());
    assert!(
        list.contains("HPC: alice") && list.contains("expires 2028-11-28"),
        "{list}"
    );
    ok(&a, &["rename", "bob", "bob-laptop"], &pin_line());
    let code_before = ok(
        &a,
        &["code", "HPC: bob-laptop", "--at", "1000"],
        &pin_line(),
    );
    let backup = dir.path().join("keys.ppb");
    let backup = backup.to_str().unwrap();
    let short = pp(&a, &["export", backup], &format!("{PIN}\nshort\n"));
    assert_eq!(short.status.code(), Some(6));
    assert!(ok(
        &a,
        &["export", backup],
        &format!("{PIN}\nlong enough password\n")
    )
    .contains("exported 2"));
    // Importing into a new vault: a new PIN, then the backup password.
    let wrong = pp(&b, &["import", backup], "271828\nnot the password\n");
    assert_eq!(wrong.status.code(), Some(3));
    assert!(ok(&b, &["import", backup], "271828\nlong enough password\n").contains("added 2"));
    assert_eq!(
        ok(&b, &["code", "bob-laptop", "--at", "1000"], "271828\n"),
        code_before
    );
    ok(&a, &["remove", "alice"], &pin_line());
    assert!(!ok(&a, &["list"], &pin_line()).contains("alice"));
    ok(&a, &["change-pin"], &format!("{PIN}\n271828\n"));
    assert_eq!(pp(&a, &["list"], &pin_line()).status.code(), Some(3));
    assert!(ok(&a, &["list"], "271828\n").contains("bob-laptop"));
}

#[test]
fn help_documents_commands_and_exit_codes() {
    let output = Command::new(env!("CARGO_BIN_EXE_pocketpass"))
        .arg("--help")
        .output()
        .unwrap();
    let help = stdout(&output);
    for word in [
        "add",
        "list",
        "code",
        "remove",
        "rename",
        "change-pin",
        "export",
        "import",
        "scan",
        "clock",
        "doctor",
        "--data-dir",
        "--pin-stdin",
        "Exit status",
    ] {
        assert!(help.contains(word), "--help lacks {word}");
    }
}

/// Draws `payload` as a QR code into a PNG file, 6 pixels a module with a quiet zone, as a
/// portal page saved as an image would show it.
fn qr_png(payload: &str, path: &Path) {
    let code = qrcode::QrCode::new(payload.as_bytes()).unwrap();
    let width = code.width();
    let colors = code.to_colors();
    let scale = 6;
    let side = (width + 8) * scale;
    let image = image::GrayImage::from_fn(side as u32, side as u32, |x, y| {
        let (mx, my) = (x as usize / scale, y as usize / scale);
        let dark = (4..width + 4).contains(&mx)
            && (4..width + 4).contains(&my)
            && colors[(my - 4) * width + (mx - 4)] == qrcode::Color::Dark;
        image::Luma([if dark { 0 } else { 255 }])
    });
    image.save(path).unwrap();
}

#[test]
fn add_reads_the_key_from_a_qr_image_and_refuses_a_web_address() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let key = dir.path().join("portal-qr.png");
    qr_png(
        "otpauth://totp/HPC%20Centre:alice-laptop?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=HPC%20Centre&expires=2028-11-28",
        &key,
    );
    let web = dir.path().join("web.png");
    qr_png("https://portal.example.org/help", &web);

    let refused = pp(
        &data,
        &["add", "--scan", web.to_str().unwrap()],
        &pin_line(),
    );
    assert_eq!(refused.status.code(), Some(6));
    assert!(
        stderr(&refused).contains("not an authenticator key"),
        "{}",
        stderr(&refused)
    );
    assert!(
        !data.join("vault.pocketpass").exists(),
        "nothing is created for a non-key"
    );

    let added = ok(
        &data,
        &["add", "--scan", key.to_str().unwrap()],
        &pin_line(),
    );
    assert_eq!(added, "added HPC Centre: alice-laptop");
    // RFC 6238's SHA1 secret: 6 digits at T=59 are the last 6 of 94287082.
    assert_eq!(ok(&data, &["code", "--at", "59"], &pin_line()), "287082");
    assert!(ok(&data, &["list"], &pin_line()).contains("expires 2028-11-28"));
}

#[test]
fn add_without_a_link_reads_it_from_the_first_line_of_input() {
    let dir = tempfile::tempdir().unwrap();
    let link = "otpauth://totp/HPC:bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=HPC";
    assert_eq!(
        ok(dir.path(), &["add"], &format!("{link}\n{PIN}\n")),
        "added HPC: bob"
    );
    assert_eq!(
        ok(dir.path(), &["code", "--at", "59"], &pin_line()),
        "287082"
    );
}

/// Issue 12, item 1: `add` of a Google export with no accounts created a vault and printed
/// "added 0 account(s)" with exit 0. It is bad input (exit 6), and nothing is created.
#[test]
fn adding_a_google_export_with_no_accounts_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let output = pp(
        &data,
        &["add", "otpauth-migration://offline?data="],
        &pin_line(),
    );
    assert_eq!(output.status.code(), Some(6), "{}", stderr(&output));
    assert!(
        stderr(&output)
            .contains("this QR code holds a Google Authenticator export with no accounts"),
        "{}",
        stderr(&output)
    );
    assert!(!data.exists(), "no data folder, no vault");
}

/// Issue 12, item 2: `add` of `data=GP////8P` said "part 1 of 4294967295".
#[test]
fn adding_an_export_claiming_four_billion_parts_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let output = pp(
        dir.path(),
        &["add", "otpauth-migration://offline?data=GP////8P"],
        &pin_line(),
    );
    assert_eq!(output.status.code(), Some(6), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("at most 100"),
        "{}",
        stderr(&output)
    );
    assert!(!stdout(&output).contains("part 1 of"));
    assert!(!dir.path().join("vault.pocketpass").exists());
}

/// Issue 12, item 5: names, issuers and `expires=` values went to the terminal raw, so
/// `otpauth://totp/%1B%5D0%3Bpwned%07...` retitled it. Every command shows them escaped.
#[test]
fn terminal_escapes_in_a_key_never_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let link = "otpauth://totp/%1B%5D0%3Bpwned%07alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
                &issuer=HPC%1B%5B2J&expires=2028-11-28%0Dforged%C2%9B";
    let raw = |output: &Output| {
        let all = [output.stdout.as_slice(), output.stderr.as_slice()].concat();
        let text = String::from_utf8_lossy(&all).into_owned();
        assert!(
            !text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t'),
            "a control character reached the terminal: {text:?}"
        );
        text
    };
    let added = raw(&pp(&data, &["add", link], &pin_line()));
    assert!(added.contains("\\u{1b}]0;pwned\\u{7}alice"), "{added}");
    let listed = raw(&pp(&data, &["list"], &pin_line()));
    assert!(
        listed.contains("expires 2028-11-28\\rforged\\u{9b}"),
        "{listed}"
    );
    // The name is shown escaped but stored as sent: the escaped form finds nothing, and a
    // duplicate is refused with the name escaped.
    let again = pp(&data, &["add", link], &pin_line());
    assert_eq!(again.status.code(), Some(6));
    raw(&again);

    let png = dir.path().join("code.png");
    qr_png(link, &png);
    let plain = Command::new(env!("CARGO_BIN_EXE_pocketpass"))
        .args(["scan", png.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        raw(&plain).contains("%1B%5D0"),
        "the link itself is plain ASCII"
    );
    let weird = dir.path().join("weird.png");
    qr_png("hello \u{1b}]0;pwned\u{7} \u{9b}2J \u{202e}txt", &weird);
    for args in [vec!["scan"], vec!["scan", "--json"]] {
        let output = Command::new(env!("CARGO_BIN_EXE_pocketpass"))
            .args(&args)
            .arg(&weird)
            .output()
            .unwrap();
        let text = raw(&output);
        assert!(!text.contains('\u{202e}'), "{text}");
        if args.len() == 2 {
            let line: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
            assert_eq!(
                line["text"],
                "hello \u{1b}]0;pwned\u{7} \u{9b}2J \u{202e}txt"
            );
        }
    }
}

/// Issue 12, item 6: `--pin-stdin` read through the standard library's buffered `Stdin`,
/// which reads ahead and keeps the PIN (and what follows it) in a buffer that is never wiped.
/// The PIN is now read straight from the descriptor: exactly its own line is consumed, and
/// the rest of the input is still there for the next reader.
#[test]
fn pin_stdin_reads_only_its_own_line() {
    let dir = tempfile::tempdir().unwrap();
    add_bob(dir.path());
    let script = format!(
        "{bin} --data-dir {dir} --pin-stdin code --at 59 && cat",
        bin = env!("CARGO_BIN_EXE_pocketpass"),
        dir = dir.path().display()
    );
    let child = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let output = finish(child, &format!("{PIN}\nthe rest of the input\n"));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "287082\nthe rest of the input");
}

/// Issue 12, item 6: `add URI` kept the key in its arguments, readable by the user's other
/// processes in /proc/PID/cmdline, all the while the PIN prompt waited. The link is overwritten
/// before anything waits.
#[test]
fn a_key_link_on_the_command_line_leaves_proc_before_the_pin_prompt() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    let link = format!("otpauth://totp/HPC:carol?secret={secret}&issuer=HPC");
    let child = Command::new(env!("CARGO_BIN_EXE_pocketpass"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--pin-stdin", "add", &link])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let cmdline = format!("/proc/{}/cmdline", child.id());
    // The process blocks reading the PIN from the pipe until we write it. Wait (bounded) for
    // it to get there: its state is S (sleeping) in a read once the prompt waits.
    let waiting = (0..400).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(25));
        let stat = fs::read_to_string(format!("/proc/{}/stat", child.id())).unwrap_or_default();
        let state = stat
            .rsplit(')')
            .next()
            .and_then(|r| r.split_whitespace().next());
        let wchan = fs::read_to_string(format!("/proc/{}/wchan", child.id())).unwrap_or_default();
        state == Some("S") && (wchan.contains("pipe") || wchan.contains("read") || wchan == "0")
    });
    assert!(waiting, "the add command never waited for the PIN");
    let args = fs::read(&cmdline).unwrap();
    let shown = String::from_utf8_lossy(&args).replace('\0', " ");
    assert!(
        !shown.contains(secret),
        "the key is visible in {cmdline}: {shown}"
    );
    assert!(shown.contains(" add "), "the other arguments stay: {shown}");
    let output = finish(child, &pin_line());
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "added HPC: carol");
}

/// Issue 12, item 4: when the disk failed to flush the folder after the new vault was renamed
/// into place, `change-pin` said "nothing was changed" and the user went on with the old PIN,
/// which the file no longer took. With every folder flush failing (strace injects EIO), the
/// command says the PIN changed, warns that the disk did not confirm it, and the new PIN is
/// the one that works.
#[test]
fn change_pin_when_the_folder_flush_fails_tells_the_truth() {
    let dir = tempfile::tempdir().unwrap();
    add_bob(dir.path());
    let new_pin = "739164";
    let output = Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "-P"])
        .arg(dir.path())
        .args(["-e", "trace=fsync", "-e", "inject=fsync:error=EIO"])
        .arg(env!("CARGO_BIN_EXE_pocketpass"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--pin-stdin", "change-pin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(format!("{PIN}\n{new_pin}\n").as_bytes())?;
            child.wait_with_output()
        })
        .unwrap_or_else(|e| panic!("strace is needed ({e}); run scripts/install-deps.sh"));
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert_eq!(stdout(&output), "PIN changed");
    assert!(err.contains("did not confirm"), "{err}");
    assert!(!err.contains("nothing was changed"), "{err}");
    let old = pp(dir.path(), &["list"], &pin_line());
    assert_eq!(
        old.status.code(),
        Some(3),
        "the old PIN no longer opens the vault"
    );
    assert!(ok(dir.path(), &["list"], &format!("{new_pin}\n")).contains("HPC: bob"));
}

/// Issue 12, item 3: a vault whose header asks for an iteration count Pocket Pass never writes
/// is damage (exit 7), not a wrong PIN: no try is counted however often the right PIN is typed.
#[test]
fn an_edited_vault_header_is_damage_and_counts_no_attempt() {
    use sha2::Digest;
    let dir = tempfile::tempdir().unwrap();
    add_bob(dir.path());
    let path = dir.path().join("vault.pocketpass");
    let mut bytes = fs::read(&path).unwrap();
    bytes[12..16].copy_from_slice(&100_000_000u32.to_le_bytes());
    let body = bytes.len() - 32;
    let checksum = sha2::Sha256::digest(&bytes[..body]);
    bytes[body..].copy_from_slice(&checksum);
    fs::write(&path, &bytes).unwrap();
    for _ in 0..11 {
        let output = pp(dir.path(), &["list"], &pin_line());
        assert_eq!(output.status.code(), Some(7), "{}", stderr(&output));
        assert!(stderr(&output).contains("No PIN attempt was counted"));
    }
    assert!(!dir.path().join("attempts").exists());
    assert_eq!(fs::read(&path).unwrap(), bytes);
}
