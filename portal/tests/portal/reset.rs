//! The password reset: what its pages reveal, and what it does to the user's sessions.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::*;

/// The page with every CSRF token replaced, so two sessions' pages compare equal.
fn without_csrf(r: &Resp) -> String {
    without_csrf_and(r, "\u{0}")
}

/// [`without_csrf`], also replacing `name` (the username the form echoes).
fn without_csrf_and(r: &Resp, name: &str) -> String {
    let mut body = r.body.clone();
    while let Some(i) = body.find("name=\"csrf\" value=\"") {
        let start = i + 19;
        let end = start + body[start..].find('"').unwrap();
        body.replace_range(i..end, "CSRF");
    }
    format!("{} {}", r.status, body.replace(name, "NAME"))
}

/// One reset attempt through the pages, step by step; each step's answer, comparable.
struct Walk {
    c: Client,
    username: &'static str,
    seen: Vec<String>,
}

impl Walk {
    async fn start(&mut self) {
        let csrf = self.c.get("/reset").await.csrf();
        let r = self
            .c
            .form("/reset", &[("csrf", &csrf), ("username", self.username)])
            .await;
        self.seen.push(format!(
            "start: {} {}",
            r.location(),
            without_csrf_and(&r, self.username)
        ));
    }

    async fn sms_page(&mut self) -> String {
        let r = self.c.get("/reset/sms").await;
        self.seen.push(format!("sms page: {}", without_csrf(&r)));
        if r.status == StatusCode::OK {
            r.csrf()
        } else {
            String::new()
        }
    }

    async fn resend(&mut self) {
        let csrf = self.sms_page().await;
        let r = self.c.form("/reset/sms/resend", &[("csrf", &csrf)]).await;
        self.seen.push(format!("resend: {}", without_csrf(&r)));
    }

    async fn wrong_code(&mut self) {
        let csrf = self.sms_page().await;
        let r = self
            .c
            .form("/reset/sms", &[("csrf", &csrf), ("code", "000000")])
            .await;
        self.seen.push(format!("wrong code: {}", without_csrf(&r)));
    }
}

#[tokio::test]
async fn reset_pages_do_not_tell_known_from_unknown_usernames() {
    let p = portal();
    add_user(&p, "jon", "jon password 12").await;
    // Both from the same kind of place: their own address each, so each has its own quota.
    let mut known = Walk {
        c: Client::at(&p, "198.51.100.1"),
        username: "jon",
        seen: Vec::new(),
    };
    let mut unknown = Walk {
        c: Client::at(&p, "198.51.100.2"),
        username: "ghost",
        seen: Vec::new(),
    };
    let mut clock = Client::new(&p);
    for w in [&mut known, &mut unknown] {
        w.start().await;
        w.sms_page().await;
        w.resend().await; // too soon: the cooldown
    }
    set_clock(&mut clock, 31).await;
    for w in [&mut known, &mut unknown] {
        w.resend().await; // a second SMS
        w.wrong_code().await;
    }
    // Starting again until the SMS quota says no: the same number of times for both.
    for i in 0..5 {
        set_clock(&mut clock, 62 + 31 * i).await;
        for w in [&mut known, &mut unknown] {
            w.start().await;
            w.sms_page().await;
        }
    }
    for (k, u) in known.seen.iter().zip(&unknown.seen) {
        assert_eq!(k, u, "a known and an unknown username answer alike");
    }
    assert_eq!(known.seen.len(), unknown.seen.len());
    assert!(
        known.seen.iter().any(|s| s.contains("429")),
        "the quota was reached: {:?}",
        known.seen
    );
    assert_eq!(p.outbox().for_user(Some("jon")).len(), 5, "jon's SMS quota");
    assert!(
        p.outbox().for_user(Some("ghost")).is_empty(),
        "no SMS for nobody"
    );
}

#[tokio::test]
async fn a_password_reset_ends_the_users_other_sessions() {
    let p = portal();
    add_user(&p, "alice", "alice password 1").await;
    add_user(&p, "bob", "bob password 12").await;
    let mut logged_in = Client::new(&p);
    api_login(&mut logged_in, &p, "alice", "alice password 1").await;
    let mut halfway = Client::new(&p);
    halfway
        .post(
            "/api/login",
            json!({"username": "alice", "password": "alice password 1"}),
        )
        .await;
    let halfway_code = last_sms_code(&p, "alice");
    let mut bob = Client::new(&p);
    api_login(&mut bob, &p, "bob", "bob password 12").await;

    let mut r = Client::new(&p);
    let csrf = r.get("/reset").await.csrf();
    r.form("/reset", &[("csrf", &csrf), ("username", "alice")])
        .await;
    let csrf = r.get("/reset/sms").await.csrf();
    r.form(
        "/reset/sms",
        &[("csrf", &csrf), ("code", &last_sms_code(&p, "alice"))],
    )
    .await;
    let csrf = r.get("/reset/password").await.csrf();
    let done = r
        .form(
            "/reset/password",
            &[
                ("csrf", &csrf),
                ("password", "a brand new secret"),
                ("repeat", "a brand new secret"),
            ],
        )
        .await;
    assert!(
        done.body.contains("Your password was changed"),
        "{}",
        done.body
    );

    assert_eq!(
        logged_in.get("/api/me").await.status,
        StatusCode::UNAUTHORIZED,
        "the session logged in with the old password has ended"
    );
    let r = halfway
        .post("/api/login/sms", json!({"code": halfway_code}))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "a login half-way with the old password cannot finish: {}",
        r.body
    );
    assert_eq!(
        bob.get("/api/me").await.status,
        StatusCode::OK,
        "other users stay logged in"
    );
}

#[tokio::test]
async fn the_reset_sms_step_rotates_the_session_id() {
    let p = portal();
    add_user(&p, "alice", "alice password 1").await;
    let mut c = Client::new(&p);
    let csrf = c.get("/reset").await.csrf();
    c.form("/reset", &[("csrf", &csrf), ("username", "alice")])
        .await;
    let before = c.cookie.clone();
    let csrf = c.get("/reset/sms").await.csrf();
    let r = c
        .form(
            "/reset/sms",
            &[("csrf", &csrf), ("code", &last_sms_code(&p, "alice"))],
        )
        .await;
    assert_eq!(r.location(), "/reset/password");
    assert_ne!(c.cookie, before, "a new session id after the SMS step");
    assert_eq!(c.get("/reset/password").await.status, StatusCode::OK);
    let mut old = Client {
        cookie: before,
        ..c.clone()
    };
    assert_eq!(
        old.get("/reset/password").await.location(),
        "/reset",
        "the id from before the SMS step is dead"
    );
}

#[tokio::test]
async fn cookies_take_the_host_prefix_over_tls() {
    let mut config = config();
    config.secure_cookies = true;
    let p = portal_with(config);
    add_user(&p, "alice", "alice password 1").await;
    let mut c = Client::new(&p);
    let r = c.get("/login").await;
    let cookie = r.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("__Host-pp_session="), "{cookie}");
    assert!(
        cookie.contains("; Secure") && cookie.contains("; Path=/") && !cookie.contains("Domain"),
        "{cookie}"
    );
    // The whole login works on the prefixed cookie; the unprefixed name is not read.
    api_login(&mut c, &p, "alice", "alice password 1").await;
    assert_eq!(c.cookie_name, "__Host-pp_session");
    assert_eq!(c.get("/api/me").await.status, StatusCode::OK);
    let mut plain = Client {
        cookie_name: "pp_session".into(),
        ..c.clone()
    };
    assert_eq!(plain.get("/api/me").await.status, StatusCode::UNAUTHORIZED);
}
