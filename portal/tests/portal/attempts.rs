//! "Why was my code refused?" (issue 17): the window options at their edges, the matched step
//! offset in every answer, the attempt history (both APIs, the More page, its bound, its
//! owner), the clock hint, the `Date` header and the key's `pocketpass_time`. Every portal here
//! keeps its database in a real SQLite file.

use std::sync::Arc;

use axum::http::{header, StatusCode};
use pocketpass_portal::clock::format_http_date;
use pocketpass_portal::config::Window;
use pocketpass_portal::{Clock, Config, Portal};
use serde_json::{json, Value};

use crate::process::*;
use crate::support::*;

const PW: &str = "alice password 1";

/// A portal with `config` on a database file in `dir`, on the clock frozen at [`T0`].
fn file_portal(dir: &tempfile::TempDir, config: Config) -> Arc<Portal> {
    let db = dir.path().join("portal.sqlite3");
    Portal::open(config, db.to_str().unwrap(), Clock::fixed(T0)).expect("portal opens")
}

/// Alice, logged in from 192.0.2.7, with one token activated at `T0`: (client, token id, secret).
async fn alice_with_token(p: &Arc<Portal>) -> (Client, i64, String) {
    add_user(p, "alice", PW).await;
    let mut c = Client::at(p, "192.0.2.7");
    api_login(&mut c, p, "alice", PW).await;
    let (id, secret) = activated_token(&mut c, p, "Phone").await;
    (c, id, secret)
}

/// `/api/validate` for alice with `otp`: the whole answer.
async fn validate_json(c: &mut Client, otp: &str) -> Value {
    let r = c
        .post(
            "/api/validate",
            json!({"username": "alice", "password": PW, "otp": otp}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

/// The owner's view of token `id`'s history.
async fn history(c: &mut Client, id: i64) -> Value {
    let r = c.get(&format!("/api/tokens/{id}/attempts")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

/// Checks a window of `past` and `future` steps at its four edges through `/api/validate`.
async fn window_edges(past: u32, future: u32) {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        window: Window::new(past, future).unwrap(),
        ..config()
    };
    let p = file_portal(&dir, config);
    let (mut c, _, secret) = alice_with_token(&p).await;
    // The activation used T0's step; from here every step checked is later than it.
    let delta = (i64::from(past) + 2) * 30;
    set_clock(&mut c, delta).await;
    let now = T0 + delta;
    let at = |steps: i64| oathtool(&secret, now + steps * 30);
    let (past, future) = (i64::from(past), i64::from(future));
    let v = validate_json(&mut c, &at(-past - 1)).await;
    assert_eq!(v["reason"], "wrong_code", "{past} steps back: {v}");
    let v = validate_json(&mut c, &at(-past)).await;
    assert_eq!(
        (v["ok"].clone(), v["offset"].clone()),
        (json!(true), json!(-past)),
        "{v}"
    );
    let v = validate_json(&mut c, &at(future + 1)).await;
    assert_eq!(v["reason"], "wrong_code", "{future} steps ahead: {v}");
    let v = validate_json(&mut c, &at(future)).await;
    assert_eq!(
        (v["ok"].clone(), v["offset"].clone()),
        (json!(true), json!(future)),
        "{v}"
    );
}

#[tokio::test]
async fn window_past_n_accepts_a_code_n_steps_back_and_refuses_n_plus_one() {
    window_edges(3, 0).await;
}

#[tokio::test]
async fn window_future_n_accepts_a_code_n_steps_ahead_and_refuses_n_plus_one() {
    window_edges(0, 3).await;
}

#[tokio::test]
async fn the_widest_window_reaches_ten_steps_either_way_and_no_further() {
    window_edges(Window::MAX, Window::MAX).await;
    assert!(Window::new(Window::MAX + 1, 1).is_err());
}

#[tokio::test]
async fn activation_api_and_check_page_report_the_matched_offset() {
    let dir = tempfile::tempdir().unwrap();
    let p = file_portal(&dir, config());
    add_user(&p, "alice", PW).await;
    let mut c = Client::at(&p, "192.0.2.7");
    api_login(&mut c, &p, "alice", PW).await;
    let r = c.post("/api/tokens", json!({"name": "Phone"})).await;
    let id = r.json()["id"].as_i64().unwrap();
    let secret = secret_of(r.json()["otpauth_uri"].as_str().unwrap());
    // A device 30 s behind activates with the previous step's code.
    let r = c
        .post(
            &format!("/api/tokens/{id}/activate"),
            json!({"otp": oathtool(&secret, T0 - 30)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (r.json()["state"].clone(), r.json()["offset"].clone()),
        (json!("active"), json!(-1))
    );

    set_clock(&mut c, 300).await;
    let v = validate_json(&mut c, &oathtool(&secret, T0 + 330)).await;
    assert_eq!(v["offset"], 1, "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("1 step (30 s) after"),
        "{v}"
    );
    let v = validate_json(&mut c, "000000").await;
    assert_eq!(v["offset"], Value::Null, "a refusal has no offset: {v}");

    set_clock(&mut c, 600).await;
    let mut b = Client::new(&p);
    let form = b.get("/check").await;
    let r = b
        .form(
            "/check",
            &[
                ("csrf", &form.csrf()),
                ("username", "alice"),
                ("password", PW),
                ("code", &oathtool(&secret, T0 + 600)),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Access granted"), "{}", r.body);
    assert!(
        text(&r).contains("The code matched the portal's current time step."),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn every_code_attempt_is_kept_with_place_result_reason_offset_and_client() {
    let dir = tempfile::tempdir().unwrap();
    let p = file_portal(&dir, config());
    let (mut c, id, secret) = alice_with_token(&p).await;
    set_clock(&mut c, 300).await;
    let wrong = if oathtool(&secret, T0 + 300) == "000000" {
        "111111"
    } else {
        "000000"
    };
    assert_eq!(validate_json(&mut c, wrong).await["reason"], "wrong_code");
    let code = oathtool(&secret, T0 + 270);
    assert_eq!(validate_json(&mut c, &code).await["offset"], -1);
    assert_eq!(validate_json(&mut c, &code).await["reason"], "code_used");
    // A wrong password names no token: nothing is recorded for it.
    let r = c
        .post(
            "/api/validate",
            json!({"username": "alice", "password": "not it", "otp": code}),
        )
        .await;
    assert_eq!(r.json()["reason"], "wrong_credentials");

    let h = history(&mut c, id).await;
    let seen: Vec<(String, String, Value, Value)> = h["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["place"].as_str().unwrap().to_owned(),
                a["result"].as_str().unwrap().to_owned(),
                a["reason"].clone(),
                a["offset"].clone(),
            )
        })
        .collect();
    let s = |x: &str| x.to_owned();
    assert_eq!(
        seen,
        vec![
            (s("api"), s("refused"), json!("code_used"), json!(-1)),
            (s("api"), s("accepted"), Value::Null, json!(-1)),
            (s("api"), s("refused"), json!("wrong_code"), Value::Null),
            (s("activation"), s("accepted"), Value::Null, json!(0)),
        ],
        "newest first: {h}"
    );
    let newest = &h["attempts"][0];
    assert_eq!(newest["client"], "192.0.2.7");
    assert_eq!(newest["token_id"], id);
    assert_eq!(newest["at_unix"], T0 + 300);
    assert_eq!(newest["at"], "2027-01-15T08:05:00Z");
    assert!(
        !h.to_string().contains(&code),
        "the typed code is never kept: {h}"
    );

    // The testers' view lists the same, by username; and the file keeps it across a restart.
    let r = c.get("/_test/attempts?username=alice").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["attempts"], h["attempts"]);
    drop(c);
    drop(p);
    let p = file_portal(&dir, config());
    let mut t = Client::new(&p);
    let r = t.get("/_test/attempts?username=alice").await;
    assert_eq!(
        r.json()["attempts"],
        h["attempts"],
        "kept in the database file"
    );
    let r = t.get("/_test/attempts?username=nobody").await;
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (StatusCode::NOT_FOUND, json!("user_not_found"))
    );
    let r = t.get("/_test/attempts").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("username="), "{}", r.body);
}

#[tokio::test]
async fn the_history_keeps_only_the_latest_attempts_per_token() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        attempts_kept_per_token: 5,
        ..config()
    };
    let p = file_portal(&dir, config);
    add_user(&p, "alice", PW).await;
    let mut c = Client::new(&p);
    api_login(&mut c, &p, "alice", PW).await;
    let r = c.post("/api/tokens", json!({"name": "Phone"})).await;
    let id = r.json()["id"].as_i64().unwrap();
    // Seven malformed codes, told apart by the clock: each is an attempt of its own second.
    for i in 0..7 {
        set_clock(&mut c, i).await;
        let r = c
            .post(&format!("/api/tokens/{id}/activate"), json!({"otp": "12"}))
            .await;
        assert_eq!(r.json()["error"], "code_malformed", "{}", r.body);
    }
    let h = history(&mut c, id).await;
    let times: Vec<i64> = h["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["at_unix"].as_i64().unwrap() - T0)
        .collect();
    assert_eq!(
        times,
        vec![6, 5, 4, 3, 2],
        "the two oldest were pruned: {h}"
    );
    let r = c.get("/_test/attempts?username=alice").await;
    assert_eq!(r.json()["attempts"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn another_users_token_history_is_not_found_and_their_attempts_leave_no_trace() {
    let dir = tempfile::tempdir().unwrap();
    let p = file_portal(&dir, config());
    let (mut alice, id, _) = alice_with_token(&p).await;
    add_user(&p, "bob", "bob password 12").await;
    let mut bob = Client::at(&p, "198.51.100.9");
    api_login(&mut bob, &p, "bob", "bob password 12").await;
    let r = bob.get(&format!("/api/tokens/{id}/attempts")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "404, not 403: {}", r.body);
    assert_eq!(r.json()["error"], "token_not_found");
    let r = bob
        .post(
            &format!("/api/tokens/{id}/activate"),
            json!({"otp": "123456"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = bob.get(&format!("/portal/tokens/{id}")).await;
    assert!(!r.body.contains("id=\"attempts\""), "{}", r.body);
    assert_eq!(
        history(&mut alice, id).await["attempts"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "only alice's activation"
    );
    let mut anonymous = Client::new(&p);
    let r = anonymous.get(&format!("/api/tokens/{id}/attempts")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn three_accepted_codes_two_steps_behind_say_the_clock_is_60_s_behind() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        window: Window::new(2, 1).unwrap(),
        ..config()
    };
    let p = file_portal(&dir, config);
    let (mut c, id, secret) = alice_with_token(&p).await;
    const HINT: &str = "this device's clock seems about 60 s behind";
    for i in 1..=3 {
        let delta = 300 + 30 * i;
        set_clock(&mut c, delta).await;
        let v = validate_json(&mut c, &oathtool(&secret, T0 + delta - 60)).await;
        assert_eq!(v["offset"], -2, "{v}");
        let more = c.get(&format!("/portal/tokens/{id}")).await;
        let hint = history(&mut c, id).await["clock_hint"].clone();
        if i < 3 {
            assert_eq!(hint, Value::Null, "after {i} codes");
            assert!(!more.body.contains("clock-hint"), "{}", more.body);
        } else {
            assert_eq!(hint["seconds"], -60, "{hint}");
            assert_eq!(
                hint["message"],
                "this device's clock seems about 60 s behind"
            );
            assert!(text(&more).contains(HINT), "{}", more.body);
        }
    }
    // The More page's table lists the attempts, newest first.
    let more = c.get(&format!("/portal/tokens/{id}")).await;
    let table = &more.body[more.body.find("id=\"attempts\"").expect("a table")..];
    assert_eq!(
        table.matches("<tr>").count(),
        1 + 4,
        "header and four attempts"
    );
    assert!(table.contains("<td>api</td>") && table.contains("<td>activation</td>"));
    assert!(table.contains("<td>-2</td>") && table.contains("192.0.2.7"));
    // One code at the current step ends the run.
    set_clock(&mut c, 600).await;
    assert_eq!(
        validate_json(&mut c, &oathtool(&secret, T0 + 600)).await["offset"],
        0
    );
    assert_eq!(history(&mut c, id).await["clock_hint"], Value::Null);
}

#[tokio::test]
async fn the_date_header_follows_the_moved_test_clock() {
    let dir = tempfile::tempdir().unwrap();
    let p = file_portal(&dir, config());
    let mut c = Client::new(&p);
    let date = |r: &Resp| r.headers[header::DATE].to_str().unwrap().to_owned();
    assert_eq!(
        date(&c.get("/login").await),
        "Fri, 15 Jan 2027 08:00:00 GMT"
    );
    set_clock(&mut c, -86_400 - 90).await;
    assert_eq!(
        date(&c.get("/login").await),
        format_http_date(T0 - 86_400 - 90)
    );
    assert_eq!(
        date(&c.get("/login").await),
        "Thu, 14 Jan 2027 07:58:30 GMT"
    );
    // Refusals too: a page that needs a login, and a request naming another host.
    assert_eq!(
        date(&c.get("/portal").await),
        "Thu, 14 Jan 2027 07:58:30 GMT"
    );
    c.host = "evil.test".into();
    let r = c.get("/login").await;
    assert_eq!(r.status, StatusCode::MISDIRECTED_REQUEST);
    assert_eq!(date(&r), "Thu, 14 Jan 2027 07:58:30 GMT");
}

#[tokio::test]
async fn new_keys_name_the_portal_as_their_time_source() {
    let dir = tempfile::tempdir().unwrap();
    let p = file_portal(&dir, config());
    add_user(&p, "alice", PW).await;
    let mut c = Client::new(&p);
    api_login(&mut c, &p, "alice", PW).await;
    let r = c.post("/api/tokens", json!({"name": "Phone"})).await;
    let uri = r.json()["otpauth_uri"].as_str().unwrap().to_owned();
    assert!(
        uri.ends_with("&pocketpass_time=http%3A%2F%2Fportal.test"),
        "{uri}"
    );
    // The QR code carries the same URI.
    let id = r.json()["id"].as_i64().unwrap();
    let page = c.get(&format!("/portal/tokens/{id}/qr")).await;
    let b64 = page.body.split("data:image/png;base64,").nth(1).unwrap();
    let png = base64_decode(&b64[..b64.find('"').unwrap()]);
    assert_eq!(decode_qr(&png), vec![uri]);
}

/// The binary's `--help` names both window options and their default; a window beyond the
/// bound stops it with a message naming the option.
#[test]
fn the_binary_documents_and_bounds_the_window_options() {
    let out = std::process::Command::new(BIN)
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for option in ["--window-past <N>", "--window-future <N>"] {
        let line = help
            .lines()
            .position(|l| l.contains(option))
            .unwrap_or_else(|| panic!("{option} in {help}"));
        let text: String = help.lines().skip(line).take(4).collect();
        assert!(
            text.contains("[default: 1]") && text.contains("at most 10"),
            "{text}"
        );
    }
    for option in ["--window-past", "--window-future"] {
        let out = std::process::Command::new(BIN)
            .args(["--listen", "127.0.0.1:0", "--db", ":memory:", option, "11"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("{option} 11: at most 10 steps")),
            "{err}"
        );
    }
}

/// The real process: `--window-past 4` reaches a code two steps old (two or three by the time
/// it is checked, should a step boundary pass), which the default window refuses; its `Date`
/// header, not hyper's, follows the test clock; its keys name it as their time source.
#[test]
fn the_binary_applies_its_window_and_dates_answers_by_its_moved_clock() {
    let p = Proc::start(&in_memory_with(&["--window-past", "4"]));
    let (_, cookie, v) = p.log_in_and_add_token("demo", "pocketpass-demo", "Phone");
    let uri = v["otpauth_uri"].as_str().unwrap();
    let own = format!(
        "&pocketpass_time=http%3A%2F%2F127.0.0.1%3A{}",
        p.addr.port()
    );
    assert!(uri.ends_with(&own), "{uri}");
    let secret = secret_of(uri);
    // Activated with a code three (or four) steps old: the later steps stay unused.
    p.activate(&cookie, &v, &oathtool(&secret, unix_now() - 90));
    let (_, _, body) = http(p.addr, "POST", "/api/validate", Some(&json!({"username": "demo", "password": "pocketpass-demo", "otp": oathtool(&secret, unix_now() - 60)})), None).unwrap();
    let v = json_of(&body);
    assert_eq!(v["ok"], true, "{body}");
    assert!(v["offset"] == -2 || v["offset"] == -3, "{body}");

    // Back to RFC 7231's example day: the Date header says so.
    let offset = 784_111_777 - unix_now();
    let (status, _, body) = http(
        p.addr,
        "POST",
        "/_test/clock",
        Some(&json!({"offset_seconds": offset})),
        None,
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let host = p.addr.to_string();
    let (_, head, _) =
        http_raw_with_head(p.addr, "GET", "/login", &[("Host", &host)], b"").unwrap();
    let dates: Vec<&str> = head
        .iter()
        .filter(|(k, _)| k == "date")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(dates.len(), 1, "one Date header: {head:?}");
    assert!(dates[0].starts_with("Sun, 06 Nov 1994 "), "{head:?}");
}

/// A page's HTML with askama's escaped apostrophes read back.
fn text(r: &Resp) -> String {
    r.body.replace("&#39;", "'").replace("&#x27;", "'")
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}
