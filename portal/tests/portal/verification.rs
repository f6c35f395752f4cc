//! The code rules, as the most trusted OTP servers apply them.

use std::process::Command;

use axum::http::StatusCode;
use serde_json::json;

use crate::support::*;

/// A portal with one user holding one token activated at `T0`; returns the secret too.
async fn user_with_token() -> (std::sync::Arc<pocketpass_portal::Portal>, Client, String) {
    let p = portal();
    add_user(&p, "alice", "alice password 1").await;
    let mut c = Client::new(&p);
    api_login(&mut c, &p, "alice", "alice password 1").await;
    let (_, secret) = activated_token(&mut c, &p, "Phone").await;
    (p, c, secret)
}

const PW: &str = "alice password 1";

#[tokio::test]
async fn codes_one_step_off_are_accepted_and_two_steps_off_refused() {
    let (_p, mut c, secret) = user_with_token().await;
    // The activation used step T0; work ten minutes later so no step here was used.
    set_clock(&mut c, 600).await;
    let now = T0 + 600;
    assert_eq!(
        validate(&mut c, "alice", PW, &oathtool(&secret, now - 60)).await,
        (false, "wrong_code".into())
    );
    assert_eq!(
        validate(&mut c, "alice", PW, &oathtool(&secret, now + 60)).await,
        (false, "wrong_code".into())
    );
    assert_eq!(
        validate(&mut c, "alice", PW, &oathtool(&secret, now - 30)).await,
        (true, String::new())
    );
    // A device clock running 30 s ahead is fine.
    assert_eq!(
        validate(&mut c, "alice", PW, &oathtool(&secret, now + 30)).await,
        (true, String::new())
    );
}

#[tokio::test]
async fn a_code_is_accepted_once_and_older_steps_never_again() {
    let (_p, mut c, secret) = user_with_token().await;
    set_clock(&mut c, 600).await;
    let code = oathtool(&secret, T0 + 600);
    assert_eq!(
        validate(&mut c, "alice", PW, &code).await,
        (true, String::new())
    );
    assert_eq!(
        validate(&mut c, "alice", PW, &code).await,
        (false, "code_used".into())
    );
    // The previous step's code is still in the window but older than the highest step used.
    assert_eq!(
        validate(&mut c, "alice", PW, &oathtool(&secret, T0 + 570)).await,
        (false, "code_used".into())
    );
    assert_eq!(
        validate(&mut c, "alice", PW, &oathtool(&secret, T0 + 630)).await,
        (true, String::new())
    );
}

#[tokio::test]
async fn twenty_parallel_submissions_of_one_code_give_exactly_one_success() {
    let (p, mut c, secret) = user_with_token().await;
    set_clock(&mut c, 600).await;
    let code = oathtool(&secret, T0 + 600);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let mut c = Client::new(&p);
            let code = code.clone();
            tokio::spawn(async move { validate(&mut c, "alice", PW, &code).await })
        })
        .collect();
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    assert_eq!(results.iter().filter(|r| r.0).count(), 1, "{results:?}");
    assert!(
        results.iter().filter(|r| !r.0).all(|r| r.1 == "code_used"),
        "{results:?}"
    );
}

#[tokio::test]
async fn ten_wrong_codes_in_a_row_lock_the_token_and_a_success_resets_the_count() {
    let (_p, mut c, secret) = user_with_token().await;
    let now = T0 + 600;
    set_clock(&mut c, 600).await;
    let good = oathtool(&secret, now);
    let wrong = if good == "000000" { "111111" } else { "000000" };
    for _ in 0..9 {
        assert_eq!(
            validate(&mut c, "alice", PW, wrong).await,
            (false, "wrong_code".into())
        );
    }
    assert_eq!(
        validate(&mut c, "alice", PW, &good).await,
        (true, String::new()),
        "nine failures do not lock"
    );
    set_clock(&mut c, 630).await;
    for _ in 0..10 {
        assert_eq!(
            validate(&mut c, "alice", PW, wrong).await,
            (false, "wrong_code".into())
        );
    }
    let next = oathtool(&secret, now + 30);
    assert_eq!(
        validate(&mut c, "alice", PW, &next).await,
        (false, "locked".into()),
        "the right code no longer works"
    );
    let t = c.get("/api/tokens").await.json();
    assert_eq!(
        (t[0]["locked"].as_bool(), t[0]["state"].as_str()),
        (Some(true), Some("active"))
    );
    // The lock is on the token, not the session: a fresh client sees it too.
    let mut other = Client::new(&_p);
    assert_eq!(
        validate(&mut other, "alice", PW, &oathtool(&secret, now + 60)).await,
        (false, "locked".into())
    );
}

#[tokio::test]
async fn a_token_expires_exactly_two_years_after_activation() {
    let (_p, mut c, secret) = user_with_token().await;
    let two_years = 730 * 86_400;
    set_clock(&mut c, two_years - 1).await;
    assert_eq!(
        validate(&mut c, "alice", PW, &oathtool(&secret, T0 + two_years - 1)).await,
        (true, String::new())
    );
    set_clock(&mut c, two_years + 1).await;
    let (ok, reason) = validate(&mut c, "alice", PW, &oathtool(&secret, T0 + two_years + 1)).await;
    assert_eq!((ok, reason.as_str()), (false, "expired"));
    let r = c
        .post(
            "/api/validate",
            json!({"username": "alice", "password": PW, "otp": "123456"}),
        )
        .await;
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("expired on 2029-01-14T08:00:00Z"),
        "{}",
        r.body
    );
    // Two years idle ended the session; log in again to look at the token.
    api_login(&mut c, &_p, "alice", PW).await;
    assert_eq!(c.get("/api/tokens").await.json()[0]["state"], "expired");
}

#[tokio::test]
async fn pending_revoked_and_missing_tokens_are_refused_with_the_reason() {
    let p = portal();
    add_user(&p, "bob", "bob password 12").await;
    let mut c = Client::new(&p);
    assert_eq!(
        validate(&mut c, "bob", "bob password 12", "123456").await,
        (false, "no_token".into())
    );
    assert_eq!(
        validate(&mut c, "bob", "wrong password", "123456").await,
        (false, "wrong_credentials".into())
    );
    assert_eq!(
        validate(&mut c, "nobody", "bob password 12", "123456").await,
        (false, "wrong_credentials".into())
    );
    api_login(&mut c, &p, "bob", "bob password 12").await;
    let r = c.post("/api/tokens", json!({"name": "Phone"})).await;
    let id = r.json()["id"].as_i64().unwrap();
    let secret = secret_of(r.json()["otpauth_uri"].as_str().unwrap());
    assert_eq!(
        validate(&mut c, "bob", "bob password 12", &oathtool(&secret, T0)).await,
        (false, "not_activated".into())
    );
    c.post(&format!("/api/tokens/{id}/revoke"), json!({})).await;
    assert_eq!(
        validate(&mut c, "bob", "bob password 12", &oathtool(&secret, T0)).await,
        (false, "revoked".into())
    );
    let r = c
        .post(
            &format!("/api/tokens/{id}/activate"),
            json!({"otp": oathtool(&secret, T0)}),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (StatusCode::CONFLICT, Some("not_pending"))
    );
    assert_eq!(
        validate(&mut c, "bob", "bob password 12", "12ab56").await,
        (false, "revoked".into())
    );
}

#[tokio::test]
async fn an_activation_that_sees_ten_wrong_codes_must_start_again() {
    let p = portal();
    add_user(&p, "cleo", "cleo password 1").await;
    let mut c = Client::new(&p);
    api_login(&mut c, &p, "cleo", "cleo password 1").await;
    let r = c.post("/api/tokens", json!({"name": "Phone"})).await;
    let id = r.json()["id"].as_i64().unwrap();
    let secret = secret_of(r.json()["otpauth_uri"].as_str().unwrap());
    let good = oathtool(&secret, T0);
    let wrong = if good == "000000" { "111111" } else { "000000" };
    for _ in 0..10 {
        let r = c
            .post(&format!("/api/tokens/{id}/activate"), json!({"otp": wrong}))
            .await;
        assert_eq!(r.json()["error"], "wrong_code");
    }
    let r = c
        .post(&format!("/api/tokens/{id}/activate"), json!({"otp": good}))
        .await;
    assert_eq!(r.json()["error"], "pending_expired");
    assert_eq!(
        c.post("/api/tokens", json!({"name": "Phone"})).await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn wrong_passwords_on_the_login_check_are_limited_per_user() {
    let (_p, mut c, _) = user_with_token().await;
    for _ in 0..10 {
        assert_eq!(
            validate(&mut c, "alice", "wrong", "123456").await,
            (false, "wrong_credentials".into())
        );
    }
    assert_eq!(
        validate(&mut c, "alice", PW, "123456").await,
        (false, "rate_limited".into())
    );
    set_clock(&mut c, 300).await;
    assert_eq!(
        validate(&mut c, "alice", PW, "12345").await,
        (false, "code_malformed".into())
    );
}

/// A Python with pyotp, the reference Python implementation: `POCKETPASS_PEERS_PYTHON` if set,
/// else Debian's interpreter with `python3-pyotp` (scripts/install-deps.sh installs it).
fn pyotp_python() -> String {
    if let Ok(p) = std::env::var("POCKETPASS_PEERS_PYTHON") {
        return p;
    }
    ["/usr/bin/python3", "python3"]
        .into_iter()
        .find(|p| !p.starts_with('/') || std::path::Path::new(p).exists())
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn codes_computed_by_pyotp_from_the_qr_uri_are_accepted() {
    let p = portal();
    add_user(&p, "dan", "dan password 12").await;
    let mut c = Client::new(&p);
    api_login(&mut c, &p, "dan", "dan password 12").await;
    let r = c.post("/api/tokens", json!({"name": "Dan's phone"})).await;
    let uri = r.json()["otpauth_uri"].as_str().unwrap().to_owned();
    let id = r.json()["id"].as_i64().unwrap();
    // pyotp parses the URI itself, name and all, then computes codes at given times. Older
    // pyotp releases (Debian's) refuse parameters outside Google's format, so the portal's
    // extras (username=, expires=) are dropped first; everything that makes the code stays.
    let script = "import sys, pyotp, urllib.parse as u\n\
                  p = u.urlsplit(sys.argv[1])\n\
                  std = ('secret', 'issuer', 'algorithm', 'digits', 'period', 'counter')\n\
                  q = u.urlencode([kv for kv in u.parse_qsl(p.query) if kv[0] in std], quote_via=u.quote)\n\
                  t = pyotp.parse_uri(u.urlunsplit(p._replace(query=q)))\n\
                  print(t.name)\n\
                  for s in sys.argv[2:]: print(t.at(int(s)))\n";
    let out = Command::new(pyotp_python())
        .args(["-c", script, &uri, &T0.to_string(), &(T0 + 30).to_string()])
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0], "Dan's phone",
        "pyotp shows the token name the user typed"
    );
    let r = c
        .post(
            &format!("/api/tokens/{id}/activate"),
            json!({"otp": lines[1]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    set_clock(&mut c, 30).await;
    assert_eq!(
        validate(&mut c, "dan", "dan password 12", lines[2]).await,
        (true, String::new())
    );
}

#[tokio::test]
async fn sha256_eight_digit_tokens_work_when_configured() {
    let mut config = config();
    config.otp = pocketpass_portal::config::OtpParams {
        algorithm: pocketpass_portal::config::OtpAlgorithm::Sha256,
        digits: 8,
        period: 60,
    };
    let p = portal_with(config);
    add_user(&p, "erik", "erik password 1").await;
    let mut c = Client::new(&p);
    api_login(&mut c, &p, "erik", "erik password 1").await;
    let r = c.post("/api/tokens", json!({"name": "Phone"})).await;
    let uri = r.json()["otpauth_uri"].as_str().unwrap().to_owned();
    assert!(
        uri.contains("&algorithm=SHA256&digits=8&period=60"),
        "{uri}"
    );
    let id = r.json()["id"].as_i64().unwrap();
    let out = Command::new("oathtool")
        .args([
            "--totp=sha256",
            "--base32",
            "--digits=8",
            "--time-step-size=60s",
            &format!("--now=@{T0}"),
            &secret_of(&uri),
        ])
        .output()
        .unwrap();
    let code = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(code.len(), 8);
    let r = c
        .post(&format!("/api/tokens/{id}/activate"), json!({"otp": code}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}
