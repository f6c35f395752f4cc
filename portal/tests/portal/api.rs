//! The JSON API and the test API.

use axum::http::{Method, StatusCode};
use base64::Engine as _;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn api_login_needs_the_sms_code_and_rotates_the_session() {
    let p = portal();
    add_user(&p, "alice", "alice password 1").await;
    let mut c = Client::new(&p);
    assert_eq!(c.get("/api/me").await.status, StatusCode::UNAUTHORIZED);
    let r = c
        .post(
            "/api/login",
            json!({"username": "alice", "password": "nope"}),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("wrong_credentials"))
    );
    let r = c
        .post(
            "/api/login",
            json!({"username": "alice", "password": "alice password 1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let awaiting = c.cookie.clone();
    assert_eq!(
        c.get("/api/me").await.status,
        StatusCode::UNAUTHORIZED,
        "password alone is not a login"
    );
    let r = c.post("/api/login/sms", json!({"code": "12345x"})).await;
    assert_eq!(r.json()["error"], "sms_wrong");
    let code = last_sms_code(&p, "alice");
    assert!(p.outbox().for_user(Some("alice"))[0].text.contains(&code));
    let r = c.post("/api/login/sms", json!({"code": code})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_ne!(c.cookie, awaiting);
    let me = c.get("/api/me").await.json();
    assert_eq!(
        me,
        json!({"username": "alice", "full_name": "alice Testsson", "phone": "+46701234567", "email": "alice@example.org"})
    );
    let r = c.post("/api/logout", json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(c.get("/api/me").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_qr_code_decodes_to_the_key_and_codes_from_it_activate_the_token() {
    let p = portal();
    add_user(&p, "bob", "bob password 12").await;
    let mut c = Client::new(&p);
    api_login(&mut c, &p, "bob", "bob password 12").await;
    let r = c.post("/api/tokens", json!({"name": "Work laptop"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let v = r.json();
    assert_eq!(v["state"], "pending");
    let uri = v["otpauth_uri"].as_str().unwrap();
    let png = base64::engine::general_purpose::STANDARD
        .decode(v["qr_png_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        decode_qr(&png),
        vec![uri.to_owned()],
        "rqrr reads the same URI from the image"
    );
    assert!(
        uri.starts_with("otpauth://totp/Pocket%20Pass%20Portal:Work%20laptop?secret="),
        "{uri}"
    );
    for part in [
        "&issuer=Pocket%20Pass%20Portal",
        "&algorithm=SHA1",
        "&digits=6",
        "&period=30",
        "&expires=2029-01-14",
        "&username=bob",
    ] {
        assert!(uri.contains(part), "{uri} has {part}");
    }
    let secret = secret_of(uri);
    assert_eq!(secret.len(), 32, "160 bits in base32");

    let list = c.get("/api/tokens").await.json();
    assert_eq!(list[0]["state"], "pending");
    assert!(
        !list.to_string().contains(&secret),
        "the list never carries the secret"
    );

    let id = v["id"].as_i64().unwrap();
    let r = c
        .post(
            &format!("/api/tokens/{id}/activate"),
            json!({"otp": "12345"}),
        )
        .await;
    assert_eq!(r.json()["error"], "code_malformed");
    let r = c
        .post(
            &format!("/api/tokens/{id}/activate"),
            json!({"otp": oathtool(&secret, T0)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let t = r.json();
    assert_eq!(
        (t["state"].as_str(), t["activated"].as_str()),
        (Some("active"), Some("2027-01-15T08:00:00Z"))
    );
    assert_eq!(t["expires_unix"], T0 + 730 * 86_400);
    let r = c
        .post(
            &format!("/api/tokens/{id}/activate"),
            json!({"otp": oathtool(&secret, T0 + 30)}),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (StatusCode::CONFLICT, Some("not_pending"))
    );
    let r = c.get(&format!("/api/tokens/{id}")).await;
    assert_eq!(r.json()["name"], "Work laptop");
    let mut svc = Client::new(&p);
    assert_eq!(
        validate(
            &mut svc,
            "bob",
            "bob password 12",
            &oathtool(&secret, T0 + 30)
        )
        .await,
        (true, String::new())
    );
}

#[tokio::test]
async fn the_api_refuses_foreign_origins_and_non_json_bodies() {
    let p = portal();
    add_user(&p, "carl", "carl password 1").await;
    let mut c = Client::new(&p);
    c.origin = Some("https://evil.example".into());
    let r = c
        .post(
            "/api/login",
            json!({"username": "carl", "password": "carl password 1"}),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    assert!(p.outbox().for_user(None).is_empty());
    c.origin = Some("http://portal.test".into());
    let r = c
        .post(
            "/api/login",
            json!({"username": "carl", "password": "carl password 1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    c.origin = None;
    let r = c
        .form(
            "/api/validate",
            &[("username", "carl"), ("password", "x"), ("otp", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = c
        .json(Method::POST, "/api/validate", json!({"username": "carl"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = c
        .json(Method::POST, "/api/tokens/not-a-number/revoke", json!({}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn tokens_are_limited_per_user_and_revoking_frees_a_place() {
    let p = portal();
    add_user(&p, "dora", "dora password 1").await;
    let mut c = Client::new(&p);
    api_login(&mut c, &p, "dora", "dora password 1").await;
    let mut ids = Vec::new();
    for (i, name) in ["one", "two", "three"].iter().enumerate() {
        set_clock(&mut c, 30 * i as i64).await;
        ids.push(activated_token(&mut c, &p, name).await.0);
    }
    let r = c.post("/api/tokens", json!({"name": "four"})).await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (StatusCode::CONFLICT, Some("token_limit"))
    );
    let r = c
        .post(&format!("/api/tokens/{}/revoke", ids[0]), json!({}))
        .await;
    assert_eq!(r.json()["state"], "revoked");
    let r = c.post("/api/tokens", json!({"name": "four"})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = c.post("/api/tokens", json!({"name": "five"})).await;
    assert_eq!(r.json()["error"], "pending_exists");
    let r = c.post("/api/tokens", json!({"name": "bad:name"})).await;
    assert_eq!(r.json()["error"], "bad_name");
}

#[tokio::test]
async fn another_users_token_is_not_found() {
    let p = portal();
    add_user(&p, "eve", "eve password 12").await;
    add_user(&p, "finn", "finn password 1").await;
    let mut e = Client::new(&p);
    api_login(&mut e, &p, "eve", "eve password 12").await;
    let (id, _) = activated_token(&mut e, &p, "Eve's").await;
    let mut f = Client::new(&p);
    api_login(&mut f, &p, "finn", "finn password 1").await;
    assert_eq!(
        f.get(&format!("/api/tokens/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        f.post(&format!("/api/tokens/{id}/revoke"), json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        f.post(
            &format!("/api/tokens/{id}/activate"),
            json!({"otp": "123456"})
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        f.get(&format!("/portal/tokens/{id}")).await.status,
        StatusCode::NOT_FOUND,
        "the pages say the same"
    );
    assert_eq!(
        f.get(&format!("/portal/tokens/{id}/qr")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        e.get(&format!("/api/tokens/{id}")).await.json()["state"],
        "active"
    );
}

#[tokio::test]
async fn the_test_api_exists_only_when_asked_for() {
    let p = portal_with(pocketpass_portal::Config::default());
    let mut c = Client::new(&p);
    assert_eq!(c.get("/_test/sms").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        c.post("/_test/clock", json!({"offset_seconds": 5}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(p.now(), T0);
}

#[tokio::test]
async fn the_test_api_adds_users_lists_sms_and_moves_the_clock() {
    let p = portal();
    let mut c = Client::new(&p);
    let user = json!({"username": "gus", "full_name": "Gus", "password": "gus password 12", "phone": "+4670111", "email": "g@x"});
    let r = c.post("/_test/users", user.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(
        c.post("/_test/users", user).await.json()["error"],
        "user_exists"
    );
    let r = c
        .post(
            "/_test/users",
            json!({"username": "bad name", "full_name": "", "password": "x", "phone": "1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    c.post(
        "/api/login",
        json!({"username": "gus", "password": "gus password 12"}),
    )
    .await;
    let sms = c.get("/_test/sms?username=gus").await.json();
    assert_eq!(sms.as_array().unwrap().len(), 1);
    assert_eq!(sms[0]["to"], "+4670111");
    assert!(sms[0]["text"]
        .as_str()
        .unwrap()
        .contains(sms[0]["code"].as_str().unwrap()));
    assert_eq!(c.get("/_test/sms?username=nobody").await.json(), json!([]));
    set_clock(&mut c, -3600).await;
    assert_eq!(c.get("/_test/clock").await.json()["offset_seconds"], -3600);
    let r = c
        .post("/_test/clock", json!({"offset_seconds": i64::MAX}))
        .await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_input"))
    );
    assert_eq!(
        c.get("/_test/clock").await.json()["offset_seconds"],
        -3600,
        "an absurd offset changes nothing"
    );
}

#[tokio::test]
async fn logins_and_sms_are_rate_limited_per_user_and_per_address() {
    let p = portal();
    add_user(&p, "hugo", "hugo password 1").await;
    let mut c = Client::new(&p);
    for _ in 0..10 {
        let r = c
            .post(
                "/api/login",
                json!({"username": "hugo", "password": "wrong"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = c
        .post(
            "/api/login",
            json!({"username": "hugo", "password": "hugo password 1"}),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
    );
    // The window slides: five minutes later the user may try again.
    set_clock(&mut c, 300).await;
    let r = c
        .post(
            "/api/login",
            json!({"username": "hugo", "password": "hugo password 1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);

    // SMS: at most 5 sends per user in 15 minutes, however they are asked for.
    for i in 1..5 {
        set_clock(&mut c, 300 + 30 * i).await;
        let r = c.post("/api/login/sms/resend", json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "resend {i}: {}", r.body);
    }
    set_clock(&mut c, 300 + 30 * 5).await;
    let r = c.post("/api/login/sms/resend", json!({})).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(p.outbox().for_user(Some("hugo")).len(), 5);
}

#[tokio::test]
async fn logins_from_one_address_are_limited_across_users() {
    let mut config = config();
    config.password_failures_per_address = pocketpass_portal::config::Limit {
        max: 3,
        window_secs: 300,
    };
    let p = portal_with(config);
    let mut c = Client::new(&p);
    for name in ["u1", "u2", "u3"] {
        let r = c
            .post(
                "/api/login",
                json!({"username": name, "password": "whatever"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = c
        .post(
            "/api/login",
            json!({"username": "u4", "password": "whatever"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn debug_output_of_the_whole_portal_holds_no_secret() {
    let p = portal();
    add_user(&p, "ivy", "ivy password 12").await;
    let mut c = Client::new(&p);
    api_login(&mut c, &p, "ivy", "ivy password 12").await;
    let r = c.post("/api/tokens", json!({"name": "Phone"})).await;
    let secret = secret_of(r.json()["otpauth_uri"].as_str().unwrap());
    c.post(
        "/api/login",
        json!({"username": "ivy", "password": "ivy password 12"}),
    )
    .await;
    let sms = last_sms_code(&p, "ivy");
    let debug = format!(
        "{p:?} {:?}",
        p.store()
            .run_blocking(|conn| pocketpass_portal::store::tokens_of(conn, 1))
            .unwrap()
    );
    for secret_text in [
        secret.as_str(),
        sms.as_str(),
        c.cookie.as_deref().unwrap(),
        "ivy password 12",
    ] {
        assert!(
            !debug.contains(secret_text),
            "Debug shows {secret_text}: {debug}"
        );
    }
    assert!(debug.contains("Sessions"), "{debug}");
}

#[tokio::test]
async fn resending_a_reset_code_works_like_the_login_one() {
    let p = portal();
    add_user(&p, "jon", "jon password 12").await;
    let mut c = Client::new(&p);
    let csrf = c.get("/reset").await.csrf();
    c.form("/reset", &[("csrf", &csrf), ("username", "jon")])
        .await;
    let csrf = c.get("/reset/sms").await.csrf();
    let r = c.form("/reset/sms/resend", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    set_clock(&mut c, 31).await;
    let r = c.form("/reset/sms/resend", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(p.outbox().for_user(Some("jon")).len(), 2);
    assert!(p.outbox().for_user(Some("jon"))[1]
        .text
        .starts_with("Your password reset code is"));
    let r = c
        .form(
            "/reset/sms",
            &[("csrf", &csrf), ("code", &last_sms_code(&p, "jon"))],
        )
        .await;
    assert_eq!(r.location(), "/reset/password");
}

#[tokio::test]
async fn cookies_are_secure_when_served_over_tls() {
    let mut config = config();
    config.secure_cookies = true;
    let p = portal_with(config);
    let mut c = Client::new(&p);
    let r = c.get("/login").await;
    let cookie = r.headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("; Secure")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let plain = Client::new(&portal()).get("/login").await;
    assert!(!plain.headers["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Secure"));
}

#[tokio::test]
async fn every_route_answers_garbage_with_a_clear_answer_not_a_crash() {
    let p = portal();
    add_user(&p, "kim", "kim password 12").await;
    let mut logged_in = Client::new(&p);
    api_login(&mut logged_in, &p, "kim", "kim password 12").await;
    let routes = [
        "/login",
        "/login/sms",
        "/login/sms/resend",
        "/logout",
        "/portal/phone",
        "/portal/tokens",
        "/portal/tokens/1/verify",
        "/portal/tokens/1/revoke",
        "/portal/tokens/-9223372036854775808/verify",
        "/reset",
        "/reset/sms",
        "/reset/sms/resend",
        "/reset/password",
        "/check",
        "/api/login",
        "/api/login/sms",
        "/api/tokens",
        "/api/tokens/99999999999999999999/activate",
        "/api/tokens/1/activate",
        "/api/tokens/1/revoke",
        "/api/validate",
        "/_test/clock",
        "/_test/users",
    ];
    let bodies: [(&str, &str); 6] = [
        ("application/json", "{"),
        ("application/json", "[]"),
        (
            "application/json",
            r#"{"username": 5, "password": null, "otp": [], "name": {}, "code": 1.5}"#,
        ),
        (
            "application/json",
            r#"{"username": "kim", "password": "kim password 12", "otp": "\u0000\u0000", "name": "\u0000", "code": "9999999999999"}"#,
        ),
        (
            "application/x-www-form-urlencoded",
            "csrf=%FF%FE&username=&password=&code=%00&name=a%3Ab",
        ),
        ("text/plain", "\u{1F600}"),
    ];
    for client in [Client::new(&p), logged_in] {
        for route in routes {
            for (ctype, body) in bodies {
                let mut c = client.clone();
                let req = axum::http::Request::post(route)
                    .header("content-type", ctype)
                    .body(axum::body::Body::from(body))
                    .unwrap();
                let r = c.send(req).await;
                assert!(
                    r.status.is_client_error()
                        || r.status.is_redirection()
                        || r.status.is_success(),
                    "{route} {body}: {} {}",
                    r.status,
                    r.body
                );
                assert!(!r.body.contains("panicked"), "{route}: {}", r.body);
            }
        }
    }
}
