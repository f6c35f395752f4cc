//! `pocketpass clock` and `doctor` (issue 17, "Why was my code refused?"), against time
//! sources started by the test on 127.0.0.1: a tiny HTTP server that answers with a chosen
//! `Date` (as the portal does from its validation clock) and a tiny SNTP responder with a
//! chosen transmit time. Offsets are asserted as ranges, never as timings.

use std::net::{TcpListener, UdpSocket};
use std::path::Path;

use serde_json::Value;

use super::super::common::time_sources::{
    http_date, http_time_source, sntp_time_source, time_param, unix_now,
};
use super::super::{ok, pin_line, pp, stderr, stdout};

/// The exit code of an unreachable time source (`exit::NETWORK` in src/cli.rs).
const NETWORK: i32 = 8;

#[test]
fn the_test_http_dates_are_right() {
    assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
}

/// Runs `clock --json --source SOURCE` and returns the parsed line.
fn clock_json(dir: &Path, source: &str) -> Value {
    let text = ok(dir, &["clock", "--json", "--source", source], "");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text:?} is not JSON: {e}"))
}

#[test]
fn clock_reads_a_portal_date_ninety_seconds_ahead_as_ninety_seconds_behind() {
    let dir = tempfile::tempdir().unwrap();
    let url = http_time_source(90);
    let value = clock_json(dir.path(), &url);
    let object = value.as_object().unwrap();
    assert_eq!(
        object.keys().collect::<Vec<_>>(),
        ["offset_seconds", "source"],
        "exactly the documented fields: {value}"
    );
    let n = value["offset_seconds"].as_i64().unwrap();
    assert!((88..=92).contains(&n), "offset {n} is not about 90");
    assert_eq!(value["source"], url.as_str());
    // No vault was needed or made.
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());

    let words = ok(dir.path(), &["clock", "--source", &url], "");
    assert!(
        words.starts_with("This device's clock is ")
            && words.contains(" s behind the portal at http://127.0.0.1:"),
        "{words}"
    );
}

#[test]
fn clock_reads_a_portal_behind_and_one_in_step() {
    let dir = tempfile::tempdir().unwrap();
    let n = clock_json(dir.path(), &http_time_source(-45))["offset_seconds"]
        .as_i64()
        .unwrap();
    assert!((-47..=-43).contains(&n), "offset {n} is not about -45");
    let words = ok(dir.path(), &["clock", "--source", &http_time_source(0)], "");
    // In step, the 1 s resolution of Date allows a second either way.
    assert!(
        words.contains("is within 1 s of the portal")
            || words.contains(" 2 s ")
            || words.contains(" 1 s "),
        "{words}"
    );
}

#[test]
fn clock_asks_an_sntp_server_and_reports_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    let source = sntp_time_source(90.0);
    let value = clock_json(dir.path(), &source);
    let n = value["offset_seconds"].as_i64().unwrap();
    assert!((88..=92).contains(&n), "offset {n} is not about 90");
    assert_eq!(value["source"], source.as_str());
    let words = ok(dir.path(), &["clock", "--source", &source], "");
    assert!(
        words.ends_with(&format!("behind {} (NTP).", &source["ntp://".len()..])),
        "{words}"
    );

    let n = clock_json(dir.path(), &sntp_time_source(-30.0))["offset_seconds"]
        .as_i64()
        .unwrap();
    assert!((-32..=-28).contains(&n), "offset {n} is not about -30");
    let words = ok(
        dir.path(),
        &["clock", "--source", &sntp_time_source(-30.0)],
        "",
    );
    assert!(words.contains(" s ahead of 127.0.0.1:"), "{words}");
}

#[test]
fn an_unreachable_source_says_so_with_its_own_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    // A UDP port that is open but never answers: the wait ends at the timeout.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let source = format!("ntp://{}", silent.local_addr().unwrap());
    let output = pp(dir.path(), &["clock", "--json", "--source", &source], "");
    assert_eq!(output.status.code(), Some(NETWORK), "{}", stderr(&output));
    assert_eq!(stdout(&output), "", "nothing on standard output");
    let message = stderr(&output);
    assert!(
        message.contains(&format!(
            "could not reach {} (NTP) within 3 s",
            &source["ntp://".len()..]
        )) && message.contains("check the network, or choose another source with --source"),
        "{message}"
    );

    // A TCP port nobody listens on: refused at once.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = pp(
        dir.path(),
        &["clock", "--source", &format!("http://127.0.0.1:{port}")],
        "",
    );
    assert_eq!(output.status.code(), Some(NETWORK), "{}", stderr(&output));
    assert!(stderr(&output).contains("could not reach the portal at http://127.0.0.1:"));
}

#[test]
fn a_source_written_wrongly_is_a_usage_error_and_https_is_refused_with_what_to_use() {
    let dir = tempfile::tempdir().unwrap();
    let output = pp(
        dir.path(),
        &["clock", "--source", "https://portal.example"],
        "",
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output)
            .contains("https time sources are not supported yet; use --source ntp://HOST"),
        "{}",
        stderr(&output)
    );
    let output = pp(dir.path(), &["clock", "--source", "pool.ntp.org"], "");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("give ntp://HOST"),
        "{}",
        stderr(&output)
    );
}

/// A key link for `name` with the given expiry and time source (percent-encoded, as the
/// portal writes it).
fn portal_link(name: &str, expires: &str, time_source: &str) -> String {
    format!(
        "otpauth://totp/HPC:{name}?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=HPC&period=30\
         &expires={expires}&username={name}{}",
        time_param(time_source)
    )
}

/// The checks of one account in `doctor --json`, by their ids.
fn check<'a>(account: &'a Value, id: &str) -> &'a Value {
    account["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == id)
        .unwrap_or_else(|| panic!("no {id} check in {account}"))
}

#[test]
fn doctor_names_the_expired_token_and_the_portal_clock_sixty_seconds_off() {
    let dir = tempfile::tempdir().unwrap();
    let in_step = http_time_source(0);
    let moved = http_time_source(60);
    ok(
        dir.path(),
        &["add", &portal_link("old", "2020-01-01", &in_step)],
        &pin_line(),
    );
    ok(
        dir.path(),
        &["add", &portal_link("new", "2099-12-31", &moved)],
        &pin_line(),
    );
    // Keys naming a portal never need the fallback; a silent one would show if they did.
    let fallback = sntp_time_source(0.0);

    let text = ok(
        dir.path(),
        &["doctor", "--json", "--source", &fallback],
        &pin_line(),
    );
    assert!(!text.contains("GEZDGNBV"), "no key in the report: {text}");
    let report: Value = serde_json::from_str(&text).unwrap();
    let accounts = report.as_array().unwrap();
    assert_eq!(accounts.len(), 2, "{report}");
    let (old, new) = (&accounts[0], &accounts[1]);
    assert_eq!(old["account"], "HPC: old");
    assert_eq!(old["kind"], "totp");

    let expired = check(old, "expired");
    assert_eq!(expired["result"], "problem");
    assert_eq!(expired["expires"], "2020-01-01");
    assert!(expired["advice"]
        .as_str()
        .unwrap()
        .contains("Activate a new token in the portal"));
    assert_eq!(check(old, "clock")["result"], "ok", "{old}");
    assert_eq!(check(new, "expired")["result"], "ok", "{new}");

    let clock = check(new, "clock");
    assert_eq!(clock["result"], "problem", "{new}");
    assert_eq!(clock["source"], moved.as_str());
    let n = clock["offset_seconds"].as_i64().unwrap();
    assert!((58..=62).contains(&n), "offset {n} is not about 60");
    assert!(clock["advice"]
        .as_str()
        .unwrap()
        .starts_with(&format!("Fix the clock: set it {n} s later")));

    // Both were installed just now by `add`: the unfinished activation comes first.
    let installed = check(new, "installed_recently");
    assert_eq!(installed["result"], "possible");
    assert!(installed["advice"]
        .as_str()
        .unwrap()
        .contains("In the portal, click Next and type the code shown now"));
    let reused = check(new, "code_reused");
    let left = reused["seconds_left"].as_u64().unwrap();
    assert!((1..=30).contains(&left), "{reused}");

    // In words: the account, its problems first, and what to do.
    let words = ok(dir.path(), &["doctor", "--source", &fallback], &pin_line());
    let old_part = &words[..words.find("HPC: new").unwrap()];
    assert!(
        old_part.starts_with("HPC: old\n  PROBLEM: The token expired on 2020-01-01."),
        "{words}"
    );
    assert!(
        words.contains("s behind the portal at http://127.0.0.1:"),
        "{words}"
    );
    assert!(
        words.contains("what to do: Fix the clock: set it"),
        "{words}"
    );
}

#[test]
fn doctor_on_a_key_without_a_portal_uses_the_ntp_source_and_says_what_it_cannot_tell() {
    let dir = tempfile::tempdir().unwrap();
    ok(
        dir.path(),
        &[
            "add",
            "otpauth://hotp/Lab:ci?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=5",
        ],
        &pin_line(),
    );
    ok(
        dir.path(),
        &[
            "add",
            "otpauth://totp/Lab:bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        ],
        &pin_line(),
    );
    let ahead = sntp_time_source(-120.0);
    let report: Value = serde_json::from_str(&ok(
        dir.path(),
        &["doctor", "--json", "--source", &ahead],
        &pin_line(),
    ))
    .unwrap();
    let (hotp, totp) = (&report[0], &report[1]);
    assert_eq!(hotp["kind"], "hotp");
    let counter = check(hotp, "hotp_counter");
    assert_eq!(counter["counter"], 5);
    assert!(counter["advice"].as_str().unwrap().contains("resync"));
    assert!(
        hotp["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["check"] != "clock"),
        "the clock does not matter to HOTP: {hotp}"
    );
    assert_eq!(check(totp, "expired")["result"], "unknown");
    let clock = check(totp, "clock");
    assert_eq!(clock["source"], ahead.as_str());
    let n = clock["offset_seconds"].as_i64().unwrap();
    assert!((-122..=-118).contains(&n), "offset {n} is not about -120");
    assert!(clock["advice"].as_str().unwrap().contains("s earlier"));

    // The PIN is asked for as by every command that opens the vault.
    let output = pp(dir.path(), &["doctor", "--source", &ahead], "000000\n");
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
}

#[test]
fn code_follows_the_corrected_time_the_window_saved_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    ok(
        dir.path(),
        &[
            "add",
            "otpauth://totp/HPC:bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        ],
        &pin_line(),
    );
    // What the window writes when "Show codes for the corrected time" is on: 100 periods on.
    std::fs::write(
        dir.path().join("clock.json"),
        r#"{"corrected_seconds": 3000}"#,
    )
    .unwrap();
    let before = unix_now() as u64;
    let output = pp(dir.path(), &["code"], &pin_line());
    let after = unix_now() as u64;
    assert!(output.status.success(), "{}", stderr(&output));
    // The codes for every second the command may have taken, shifted by the correction
    // (computed by oathtool, an independent implementation).
    let expected: Vec<String> = (before..=after)
        .map(|t| {
            super::super::oathtool(&[
                "--totp",
                "-b",
                "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
                "--now",
                &format!("@{}", t + 3000),
            ])
        })
        .collect();
    assert!(
        expected.contains(&stdout(&output)),
        "{} not among {expected:?}",
        stdout(&output)
    );
    assert!(
        stderr(&output).contains("the code is for the corrected time, 3000 s later"),
        "{}",
        stderr(&output)
    );
    // --at names the time: no correction.
    let at = ok(dir.path(), &["code", "--at", "59"], &pin_line());
    assert_eq!(at, "287082");
}
