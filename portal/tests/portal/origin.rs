//! Which requests the portal answers: its own host names only, and state-changing API requests
//! only with an `Origin` of its own or a header no other site's page can send.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn a_dns_rebinding_host_is_refused() {
    let p = portal();
    let _alice = alice_at_the_sms_step(&p).await;
    // A page on rebind.attacker.example whose name now points at the portal's address: the
    // browser sends the attacker's name as Host (and Origin), with no cookie of the portal's.
    let mut evil = Client::new(&p);
    evil.host = "rebind.attacker.example:8080".into();
    for path in ["/_test/sms", "/login", "/check"] {
        let r = evil.get(path).await;
        assert_eq!(
            r.status,
            StatusCode::MISDIRECTED_REQUEST,
            "{path}: {}",
            r.body
        );
        assert!(!r.body.contains("code"), "{path}: {}", r.body);
    }
    let r = evil
        .post(
            "/api/validate",
            json!({"username": "alice", "password": "guess", "otp": "123456"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::MISDIRECTED_REQUEST);
    assert_eq!(r.json()["error"], "wrong_host");
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("--public-url"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn body_less_api_posts_need_an_origin_or_a_custom_header() {
    let p = portal();
    add_user(&p, "alice", "alice password 1").await;
    let mut c = Client::new(&p);
    api_login(&mut c, &p, "alice", "alice password 1").await;
    let (id, _) = activated_token(&mut c, &p, "Phone").await;
    let bare = || {
        Request::post(format!("/api/tokens/{id}/revoke"))
            .body(Body::empty())
            .unwrap()
    };
    let r = c.send(bare()).await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "{}",
        r.body
    );
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("X-Requested-With"));
    assert_eq!(
        c.get(&format!("/api/tokens/{id}")).await.json()["state"],
        "active",
        "nothing was revoked"
    );
    let r = c.send(bare_logout()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        c.get("/api/me").await.status,
        StatusCode::OK,
        "still logged in"
    );

    // With the portal's own Origin, or a header a cross-site page cannot send without asking.
    let mut own = c.clone();
    own.origin = Some("http://portal.test".into());
    assert_eq!(own.send(bare()).await.json()["state"], "revoked");
    let mut script = c.clone();
    script.headers.push(("x-requested-with", "curl".into()));
    assert_eq!(script.send(bare_logout()).await.status, StatusCode::OK);
}

fn bare_logout() -> Request<Body> {
    Request::post("/api/logout").body(Body::empty()).unwrap()
}

#[tokio::test]
async fn the_test_api_refuses_foreign_origins() {
    let p = portal();
    let mut c = Client::new(&p);
    c.origin = Some("https://evil.example".into());
    let r = c
        .post("/_test/clock", json!({"offset_seconds": 3600}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(p.now(), T0, "the clock did not move");
    let r = c.get("/_test/sms").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A form post (what a cross-site page can send) is refused too.
    let mut c = Client::new(&p);
    let req = Request::post("/_test/clock")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(r#"{"offset_seconds": 3600}"#))
        .unwrap();
    assert!(c.send(req).await.status.is_client_error());
    assert_eq!(p.now(), T0);
}
