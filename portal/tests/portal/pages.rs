//! The user's path through the HTML pages, as the centre's instructions describe it.

use axum::http::StatusCode;
use base64::Engine as _;

use crate::support::*;

/// Logs in through the pages: login form, password, SMS code. Returns the client.
async fn page_login(p: &std::sync::Arc<pocketpass_portal::Portal>, user: &str, pw: &str) -> Client {
    let mut c = Client::new(p);
    let r = c.get("/login").await;
    assert_eq!(r.status, StatusCode::OK);
    let csrf = r.csrf();
    let r = c
        .form(
            "/login",
            &[("csrf", &csrf), ("username", user), ("password", pw)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/login/sms");
    let r = c.get("/login/sms").await;
    assert!(
        r.body.contains("•••"),
        "the SMS page names the masked phone: {}",
        r.body
    );
    let code = last_sms_code(p, user);
    let r = c
        .form("/login/sms", &[("csrf", &r.csrf()), ("code", &code)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/portal");
    c
}

fn png_in_page(body: &str) -> Vec<u8> {
    let i = body
        .find("data:image/png;base64,")
        .expect("QR image in page")
        + 22;
    let b64 = &body[i..i + body[i..].find('"').unwrap()];
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
}

#[tokio::test]
async fn installing_a_key_through_the_pages_makes_logins_work() {
    let p = portal();
    add_user(&p, "alice", "alice password 1").await;

    // Login rotates the session id at each step.
    let mut c = Client::new(&p);
    let csrf = c.get("/login").await.csrf();
    let anonymous = c.cookie.clone().unwrap();
    c.form(
        "/login",
        &[
            ("csrf", &csrf),
            ("username", "alice"),
            ("password", "alice password 1"),
        ],
    )
    .await;
    let awaiting_sms = c.cookie.clone().unwrap();
    assert_ne!(anonymous, awaiting_sms);
    let r = c.get("/login/sms").await;
    let r = c
        .form(
            "/login/sms",
            &[("csrf", &r.csrf()), ("code", &last_sms_code(&p, "alice"))],
        )
        .await;
    assert_eq!(r.location(), "/portal");
    let logged_in = c.cookie.clone().unwrap();
    assert_ne!(awaiting_sms, logged_in);
    let cookie = r.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    // GENERAL tab.
    let r = c.get("/portal").await;
    assert_eq!(r.status, StatusCode::OK);
    for fact in [
        "alice Testsson",
        "alice",
        "+46701234567",
        "alice@example.org",
        "GENERAL",
        "TOKENS",
    ] {
        assert!(r.body.contains(fact), "GENERAL shows {fact}");
    }

    // TOKENS tab → Activate Pocket Pass → name → Next → QR.
    let r = c.get("/portal/tokens").await;
    assert!(r.body.contains("Activate Pocket Pass") && r.body.contains("no tokens"));
    let r = c.get("/portal/tokens/new").await;
    assert!(r.body.contains("displayed on your device"));
    let r = c
        .form(
            "/portal/tokens",
            &[("csrf", &r.csrf()), ("name", "Alice's phone")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let qr_path = r.location().to_owned();
    let id: i64 = qr_path
        .trim_start_matches("/portal/tokens/")
        .trim_end_matches("/qr")
        .parse()
        .unwrap();
    let r = c.get(&qr_path).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Do not let anyone else scan this code"));
    let uris = decode_qr(&png_in_page(&r.body));
    assert_eq!(uris.len(), 1);
    assert!(
        uris[0].starts_with("otpauth://totp/Pocket%20Pass%20Portal:Alice%27s%20phone?"),
        "{}",
        uris[0]
    );
    let secret = secret_of(&uris[0]);

    // Until the code is entered the token is pending and cannot log in.
    let mut svc = Client::new(&p);
    assert_eq!(
        validate(
            &mut svc,
            "alice",
            "alice password 1",
            &oathtool(&secret, T0)
        )
        .await,
        (false, "not_activated".into())
    );

    // Next → enter the code from the app; a wrong one first.
    let r = c.get(&format!("/portal/tokens/{id}/verify")).await;
    assert!(
        r.body.contains("Alice&#39;s phone") || r.body.contains("Alice&#x27;s phone"),
        "{}",
        r.body
    );
    let csrf = r.csrf();
    let wrong = if oathtool(&secret, T0) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let r = c
        .form(
            &format!("/portal/tokens/{id}/verify"),
            &[("csrf", &csrf), ("code", wrong)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Wrong code"));
    let r = c
        .form(
            &format!("/portal/tokens/{id}/verify"),
            &[("csrf", &csrf), ("code", &oathtool(&secret, T0))],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("is active") && r.body.contains("2029-01-14"),
        "{}",
        r.body
    );

    // After activation the QR and the secret are never shown again.
    let r = c.get(&qr_path).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(!r.body.contains("data:image/png") && !r.body.contains(&secret));
    let r = c.get("/portal/tokens").await;
    assert!(r.body.contains("state-active") && !r.body.contains("Continue"));

    // "More" shows the dates.
    let r = c.get(&format!("/portal/tokens/{id}")).await;
    for fact in [
        "Created",
        "2027-01-15T08:00:00Z",
        "Expires",
        "2029-01-14T08:00:00Z",
        "Last used",
        "active",
    ] {
        assert!(r.body.contains(fact), "More shows {fact}");
    }

    // The login check page: password then the next code.
    set_clock(&mut c, 30).await;
    let mut b = Client::new(&p);
    let r = b.get("/check").await;
    let r = b
        .form(
            "/check",
            &[
                ("csrf", &r.csrf()),
                ("username", "alice"),
                ("password", "alice password 1"),
                ("code", &oathtool(&secret, T0 + 30)),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Access granted"), "{}", r.body);

    // Revoke from "More"; the check page then says why it refuses.
    let csrf = c.get(&format!("/portal/tokens/{id}")).await.csrf();
    let r = c
        .form(&format!("/portal/tokens/{id}/revoke"), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = c.get(&format!("/portal/tokens/{id}")).await;
    assert!(r.body.contains("state-revoked") && r.body.contains("Revoked"));
    let r = b.get("/check").await;
    let r = b
        .form(
            "/check",
            &[
                ("csrf", &r.csrf()),
                ("username", "alice"),
                ("password", "alice password 1"),
                ("code", &oathtool(&secret, T0 + 60)),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.body.contains("Access denied: The token was revoked"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn pages_other_than_login_require_a_login() {
    let p = portal();
    let mut c = Client::new(&p);
    for path in [
        "/portal",
        "/portal/tokens",
        "/portal/tokens/new",
        "/portal/tokens/1",
        "/portal/tokens/1/qr",
        "/portal/tokens/1/verify",
    ] {
        let r = c.get(path).await;
        assert_eq!(
            (r.status, r.location()),
            (StatusCode::SEE_OTHER, "/login"),
            "{path}"
        );
    }
    assert_eq!(c.get("/").await.location(), "/login");
    let r = c.get("/style.css").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    assert_eq!(c.get("/login/sms").await.location(), "/login");
    assert_eq!(c.get("/reset/sms").await.location(), "/reset");
    assert_eq!(c.get("/reset/password").await.location(), "/reset");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let p = portal();
    add_user(&p, "bob", "bob password 12").await;
    let mut c = Client::new(&p);
    for (user, pw) in [("bob", "wrong password"), ("nobody", "bob password 12")] {
        let csrf = c.get("/login").await.csrf();
        let r = c
            .form(
                "/login",
                &[("csrf", &csrf), ("username", user), ("password", pw)],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.body.contains("Wrong username or password."));
    }
    assert!(
        p.outbox().for_user(None).is_empty(),
        "no SMS without the right password"
    );
}

#[tokio::test]
async fn forms_without_the_session_csrf_token_are_refused() {
    let p = portal();
    add_user(&p, "carol", "carol password 1").await;
    let mut c = Client::new(&p);
    c.get("/login").await;
    let r = c
        .form(
            "/login",
            &[
                ("csrf", "0000"),
                ("username", "carol"),
                ("password", "carol password 1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mut c = page_login(&p, "carol", "carol password 1").await;
    let r = c
        .form("/portal/tokens", &[("csrf", "forged"), ("name", "x")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c
        .form(
            "/portal/phone",
            &[
                ("csrf", "forged"),
                ("phone", "+46709999999"),
                ("password", "carol password 1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c.form("/logout", &[("csrf", "forged")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        c.get("/portal/tokens").await.body.contains("no tokens"),
        "nothing was created"
    );
}

/// Every form of the pages goes through the one CSRF check (`CsrfForm`): each, sent with a
/// forged token, is refused with 403 and changes nothing.
#[tokio::test]
async fn every_page_form_is_refused_with_a_forged_csrf_token() {
    let p = portal();
    add_user(&p, "dora", "dora password 1").await;
    let password = ("password", "dora password 1");
    let mut anonymous = Client::new(&p);
    anonymous.get("/login").await;
    let anonymous_forms: [(&str, &[(&str, &str)]); 7] = [
        ("/login", &[("username", "dora"), password]),
        ("/login/sms", &[("code", "123456")]),
        ("/login/sms/resend", &[]),
        ("/reset", &[("username", "dora")]),
        ("/reset/sms", &[("code", "123456")]),
        ("/reset/sms/resend", &[]),
        (
            "/check",
            &[("username", "dora"), password, ("code", "123456")],
        ),
    ];
    for (path, fields) in anonymous_forms {
        let r = anonymous
            .form(path, &[&[("csrf", "forged")], fields].concat())
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.body);
    }
    assert!(p.outbox().for_user(None).is_empty(), "no SMS was sent");

    let mut c = page_login(&p, "dora", "dora password 1").await;
    let csrf = c.get("/portal/tokens/new").await.csrf();
    let r = c
        .form(
            "/portal/tokens",
            &[("csrf", &csrf), ("name", "Dora's phone")],
        )
        .await;
    let qr = r.location().to_owned();
    let token = qr.trim_end_matches("/qr").to_owned();
    let (verify, revoke) = (format!("{token}/verify"), format!("{token}/revoke"));
    let logged_in_forms: [(&str, &[(&str, &str)]); 5] = [
        ("/portal/phone", &[("phone", "+46709999999"), password]),
        ("/portal/tokens", &[("name", "Another phone")]),
        (&verify, &[("code", "123456")]),
        (&revoke, &[]),
        ("/logout", &[]),
    ];
    for (path, fields) in logged_in_forms {
        let r = c
            .form(path, &[&[("csrf", "forged")], fields].concat())
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.body);
    }
    let general = c.get("/portal").await;
    assert_eq!(general.status, StatusCode::OK, "still logged in");
    assert!(general.body.contains("+46701234567"), "{}", general.body);
    assert_eq!(c.get(&qr).await.status, StatusCode::OK, "still pending");
    let tokens = c.get("/portal/tokens").await.body;
    assert!(!tokens.contains("Another phone"), "{tokens}");
}

#[tokio::test]
async fn a_wrong_sms_code_five_times_voids_the_login_attempt() {
    let p = portal();
    add_user(&p, "dave", "dave password 1").await;
    let mut c = Client::new(&p);
    let csrf = c.get("/login").await.csrf();
    c.form(
        "/login",
        &[
            ("csrf", &csrf),
            ("username", "dave"),
            ("password", "dave password 1"),
        ],
    )
    .await;
    let good = last_sms_code(&p, "dave");
    let bad = if good == "000000" { "111111" } else { "000000" };
    let csrf = c.get("/login/sms").await.csrf();
    for left in (1..5).rev() {
        let r = c
            .form("/login/sms", &[("csrf", &csrf), ("code", bad)])
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.body.contains(&format!("{left} tries left")), "{}", r.body);
    }
    let r = c
        .form("/login/sms", &[("csrf", &csrf), ("code", bad)])
        .await;
    assert!(r.body.contains("Too many wrong SMS codes"), "{}", r.body);
    let csrf = r.csrf();
    let r = c
        .form("/login/sms", &[("csrf", &csrf), ("code", &good)])
        .await;
    assert_ne!(
        r.location(),
        "/portal",
        "the right code no longer works after five wrong ones"
    );
}

#[tokio::test]
async fn an_sms_code_expires_after_ten_minutes_and_works_once() {
    let p = portal();
    add_user(&p, "erin", "erin password 1").await;
    let mut c = Client::new(&p);
    let csrf = c.get("/login").await.csrf();
    c.form(
        "/login",
        &[
            ("csrf", &csrf),
            ("username", "erin"),
            ("password", "erin password 1"),
        ],
    )
    .await;
    let code = last_sms_code(&p, "erin");
    let csrf = c.get("/login/sms").await.csrf();
    set_clock(&mut c, 600).await;
    let r = c
        .form("/login/sms", &[("csrf", &csrf), ("code", &code)])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("expired"), "{}", r.body);

    // A fresh attempt: the code is tied to its attempt and works once.
    set_clock(&mut c, 0).await;
    let mut other = Client::new(&p);
    let csrf = c.get("/login").await.csrf();
    c.form(
        "/login",
        &[
            ("csrf", &csrf),
            ("username", "erin"),
            ("password", "erin password 1"),
        ],
    )
    .await;
    let code = last_sms_code(&p, "erin");
    let csrf_other = other.get("/login").await.csrf();
    let r = other
        .form("/login/sms", &[("csrf", &csrf_other), ("code", &code)])
        .await;
    assert_ne!(
        r.location(),
        "/portal",
        "another browser cannot use this attempt's code"
    );
    let before = c.cookie.clone();
    let csrf = c.get("/login/sms").await.csrf();
    assert_eq!(
        c.form("/login/sms", &[("csrf", &csrf), ("code", &code)])
            .await
            .location(),
        "/portal"
    );
    let mut replay = Client {
        cookie: before,
        ..c.clone()
    };
    let r = replay
        .form("/login/sms", &[("csrf", &csrf), ("code", &code)])
        .await;
    assert_ne!(
        r.location(),
        "/portal",
        "the pre-login session id is dead after login"
    );
}

#[tokio::test]
async fn resending_the_sms_waits_for_the_cooldown_and_replaces_the_code() {
    let p = portal();
    add_user(&p, "fred", "fred password 1").await;
    let mut c = Client::new(&p);
    let csrf = c.get("/login").await.csrf();
    c.form(
        "/login",
        &[
            ("csrf", &csrf),
            ("username", "fred"),
            ("password", "fred password 1"),
        ],
    )
    .await;
    let first = last_sms_code(&p, "fred");
    let csrf = c.get("/login/sms").await.csrf();
    let r = c.form("/login/sms/resend", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("Wait 30 seconds"), "{}", r.body);
    set_clock(&mut c, 30).await;
    let r = c.form("/login/sms/resend", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("A new code was sent"));
    let second = last_sms_code(&p, "fred");
    assert_eq!(p.outbox().for_user(Some("fred")).len(), 2);
    if first != second {
        let r = c
            .form("/login/sms", &[("csrf", &csrf), ("code", &first)])
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "the old code stopped working"
        );
    }
    assert_eq!(
        c.form("/login/sms", &[("csrf", &csrf), ("code", &second)])
            .await
            .location(),
        "/portal"
    );
}

#[tokio::test]
async fn changing_the_phone_number_asks_for_the_password() {
    let p = portal();
    add_user(&p, "gina", "gina password 1").await;
    let mut c = page_login(&p, "gina", "gina password 1").await;
    let csrf = c.get("/portal").await.csrf();
    let r = c
        .form(
            "/portal/phone",
            &[
                ("csrf", &csrf),
                ("phone", "+46 70 999 99 99"),
                ("password", "not it"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = c
        .form(
            "/portal/phone",
            &[
                ("csrf", &csrf),
                ("phone", "call me"),
                ("password", "gina password 1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = c
        .form(
            "/portal/phone",
            &[
                ("csrf", &csrf),
                ("phone", "+46 70 999 99 99"),
                ("password", "gina password 1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("+46709999999") && r.body.contains("was changed"));
}

#[tokio::test]
async fn logging_out_kills_the_session_on_the_server() {
    let p = portal();
    add_user(&p, "hank", "hank password 1").await;
    let mut c = page_login(&p, "hank", "hank password 1").await;
    let stolen = c.cookie.clone();
    let csrf = c.get("/portal").await.csrf();
    let r = c.form("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(r.location(), "/login");
    assert!(c.cookie.is_none(), "the cookie is cleared");
    let mut thief = Client {
        cookie: stolen,
        ..c.clone()
    };
    assert_eq!(thief.get("/portal").await.location(), "/login");
}

#[tokio::test]
async fn a_pending_activation_survives_closing_the_page_and_a_double_click_makes_one_token() {
    let p = portal();
    add_user(&p, "ida", "ida password 12").await;
    let mut c = page_login(&p, "ida", "ida password 12").await;
    let csrf = c.get("/portal/tokens/new").await.csrf();
    let a = c
        .form("/portal/tokens", &[("csrf", &csrf), ("name", "Phone")])
        .await;
    let b = c
        .form("/portal/tokens", &[("csrf", &csrf), ("name", "Phone")])
        .await;
    assert_eq!(a.location(), b.location());
    assert_eq!(p.tokens(1).await.unwrap().len(), 1);
    let r = c
        .form("/portal/tokens", &[("csrf", &csrf), ("name", "Other")])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("already in progress"));

    // Closing the page and coming back: "Continue" leads to the same QR.
    let r = c.get("/portal/tokens").await;
    assert!(
        r.body
            .contains(&format!("href=\"{}\">Continue", a.location())),
        "{}",
        r.body
    );
    assert_eq!(c.get(a.location()).await.status, StatusCode::OK);

    // After 15 minutes the activation is gone; a new one can start.
    set_clock(&mut c, 15 * 60).await;
    let r = c.get(a.location()).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("not finished within 15 minutes"));
    assert!(c.get("/portal/tokens").await.body.contains("state-expired"));
    let r = c
        .form("/portal/tokens", &[("csrf", &csrf), ("name", "Other")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_ne!(r.location(), a.location());
}

#[tokio::test]
async fn a_password_reset_in_progress_gives_the_vague_error_on_activation() {
    let p = portal();
    add_user(&p, "jane", "jane password 1").await;
    let mut c = page_login(&p, "jane", "jane password 1").await;

    // In another browser, jane starts a password reset.
    let mut r_client = Client::new(&p);
    let csrf = r_client.get("/reset").await.csrf();
    let r = r_client
        .form("/reset", &[("csrf", &csrf), ("username", "jane")])
        .await;
    assert_eq!(r.location(), "/reset/sms");

    let csrf = c.get("/portal/tokens/new").await.csrf();
    let r = c
        .form("/portal/tokens", &[("csrf", &csrf), ("name", "Phone")])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.body.contains(
            "<p class=\"error\" role=\"alert\">Check your details to complete the login</p>"
        ),
        "{}",
        r.body
    );

    // Finish the reset: SMS code, then the length rules, then a good password.
    let code = last_sms_code(&p, "jane");
    let sms_csrf = r_client.get("/reset/sms").await.csrf();
    let r = r_client
        .form("/reset/sms", &[("csrf", &sms_csrf), ("code", &code)])
        .await;
    assert_eq!(r.location(), "/reset/password");
    let csrf = r_client.get("/reset/password").await.csrf();
    let r = r_client
        .form(
            "/reset/password",
            &[("csrf", &csrf), ("password", "short"), ("repeat", "short")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("at least 12 characters"));
    let r = r_client
        .form(
            "/reset/password",
            &[
                ("csrf", &csrf),
                ("password", "a brand new secret"),
                ("repeat", "a brand new secreT"),
            ],
        )
        .await;
    assert!(r.body.contains("differ"));
    let r = r_client
        .form(
            "/reset/password",
            &[
                ("csrf", &csrf),
                ("password", "a brand new secret"),
                ("repeat", "a brand new secret"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Your password was changed"));

    // The reset logged jane out everywhere; with the new password activation works, and
    // only the new password logs in.
    assert_eq!(c.get("/portal/tokens/new").await.location(), "/login");
    let mut c = page_login(&p, "jane", "a brand new secret").await;
    let csrf = c.get("/portal/tokens/new").await.csrf();
    let r = c
        .form("/portal/tokens", &[("csrf", &csrf), ("name", "Phone")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mut d = Client::new(&p);
    let csrf = d.get("/login").await.csrf();
    let r = d
        .form(
            "/login",
            &[
                ("csrf", &csrf),
                ("username", "jane"),
                ("password", "jane password 1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    page_login(&p, "jane", "a brand new secret").await;
}

#[tokio::test]
async fn resetting_an_unknown_user_looks_the_same_and_sends_nothing() {
    let p = portal();
    let mut c = Client::new(&p);
    let csrf = c.get("/reset").await.csrf();
    let r = c
        .form("/reset", &[("csrf", &csrf), ("username", "ghost")])
        .await;
    assert_eq!(r.location(), "/reset/sms");
    let r = c.get("/reset/sms").await;
    assert_eq!(r.status, StatusCode::OK);
    let r = c
        .form("/reset/sms", &[("csrf", &r.csrf()), ("code", "123456")])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(p.outbox().for_user(None).is_empty());
}
