//! Rate limits, input bounds and the password-hash queue, under parallel load.
//!
//! Parallel tests fire every request at once (one task each, through `oneshot`) and count the
//! answers; none depends on timing. The portal reserves an attempt before it hashes, so however
//! many requests arrive together, no more than the limit are evaluated.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use pocketpass_portal::password::Hasher;
use serde_json::json;
use tokio::task::JoinSet;

use crate::support::*;

/// How often each answer occurs.
fn tally(answers: impl IntoIterator<Item = String>) -> BTreeMap<String, usize> {
    let mut t = BTreeMap::new();
    for a in answers {
        *t.entry(a).or_insert(0) += 1;
    }
    t
}

/// Runs every task at once and collects their answers.
async fn all<T: Send + 'static>(mut set: JoinSet<T>) -> Vec<T> {
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r.expect("request task"));
    }
    out
}

/// A user with an active token activated at `T0`, logged in from `ip`; returns the secret.
async fn user_with_token(
    p: &std::sync::Arc<pocketpass_portal::Portal>,
    name: &str,
    pw: &str,
    ip: &str,
) -> String {
    add_user(p, name, pw).await;
    let mut c = Client::at(p, ip);
    api_login(&mut c, p, name, pw).await;
    activated_token(&mut c, p, "Phone").await.1
}

#[tokio::test]
async fn parallel_wrong_passwords_never_exceed_the_limit() {
    let p = portal();
    add_user(&p, "alice", "alice password 1").await;
    let mut set = JoinSet::new();
    for _ in 0..100 {
        let mut c = Client::at(&p, "203.0.113.9");
        set.spawn(async move {
            validate(&mut c, "alice", "wrong password", "123456")
                .await
                .1
        });
    }
    let t = tally(all(set).await);
    assert_eq!(
        t,
        BTreeMap::from([
            ("rate_limited".to_owned(), 90),
            ("wrong_credentials".to_owned(), 10)
        ]),
        "100 wrong passwords at once: only the limit (10) is evaluated"
    );
}

#[tokio::test]
async fn parallel_wrong_passwords_on_the_check_page_never_exceed_the_limit() {
    let p = portal();
    add_user(&p, "alice", "alice password 1").await;
    let mut clients = Vec::new();
    for _ in 0..60 {
        let mut c = Client::at(&p, "203.0.113.9");
        let csrf = c.get("/check").await.csrf();
        clients.push((c, csrf));
    }
    let mut set = JoinSet::new();
    for (mut c, csrf) in clients {
        set.spawn(async move {
            let r = c
                .form(
                    "/check",
                    &[
                        ("csrf", &csrf),
                        ("username", "alice"),
                        ("password", "wrong password"),
                        ("code", "123456"),
                    ],
                )
                .await;
            if r.body.contains("Wrong username or password") {
                "wrong".to_owned()
            } else if r.body.contains("Too many attempts") {
                "limited".to_owned()
            } else {
                format!("{} {}", r.status, r.body)
            }
        });
    }
    let t = tally(all(set).await);
    assert_eq!(
        t,
        BTreeMap::from([("limited".to_owned(), 50), ("wrong".to_owned(), 10)])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_passwords_on_api_login_never_exceed_the_limit() {
    let p = portal();
    add_user(&p, "alice", "alice password 1").await;
    let mut set = JoinSet::new();
    for _ in 0..60 {
        let mut c = Client::at(&p, "203.0.113.9");
        set.spawn(async move {
            c.post(
                "/api/login",
                json!({"username": "alice", "password": "wrong password"}),
            )
            .await
            .status
            .to_string()
        });
    }
    let t = tally(all(set).await);
    assert_eq!(
        t,
        BTreeMap::from([
            ("401 Unauthorized".to_owned(), 10),
            ("429 Too Many Requests".to_owned(), 50)
        ])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_passwords_on_the_login_page_never_exceed_the_limit() {
    let p = portal();
    add_user(&p, "alice", "alice password 1").await;
    let mut clients = Vec::new();
    for _ in 0..60 {
        let mut c = Client::at(&p, "203.0.113.9");
        let csrf = c.get("/login").await.csrf();
        clients.push((c, csrf));
    }
    let mut set = JoinSet::new();
    for (mut c, csrf) in clients {
        set.spawn(async move {
            c.form(
                "/login",
                &[
                    ("csrf", &csrf),
                    ("username", "alice"),
                    ("password", "wrong password"),
                ],
            )
            .await
            .status
            .to_string()
        });
    }
    let t = tally(all(set).await);
    assert_eq!(
        t,
        BTreeMap::from([
            ("401 Unauthorized".to_owned(), 10),
            ("429 Too Many Requests".to_owned(), 50)
        ])
    );
}

#[tokio::test]
async fn parallel_wrong_sms_codes_never_exceed_the_tries() {
    let p = portal();
    let mut c = alice_at_the_sms_step(&p).await;
    let good = last_sms_code(&p, "alice");
    let bad = if good == "000000" { "111111" } else { "000000" };
    let mut set = JoinSet::new();
    for _ in 0..20 {
        let mut c = c.clone();
        set.spawn(async move {
            let r = c.post("/api/login/sms", json!({"code": bad})).await;
            r.json()["error"].as_str().unwrap_or("none").to_owned()
        });
    }
    let t = tally(all(set).await);
    assert_eq!(
        t.get("sms_wrong").copied().unwrap_or(0)
            + t.get("sms_too_many_tries").copied().unwrap_or(0),
        5,
        "at most five codes are compared: {t:?}"
    );
    let r = c.post("/api/login/sms", json!({"code": good})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "the attempt is void");
}

#[tokio::test]
async fn parallel_resends_send_one_sms_per_cooldown() {
    let p = portal();
    let mut c = alice_at_the_sms_step(&p).await;
    set_clock(&mut c, 30).await;
    let mut set = JoinSet::new();
    for _ in 0..10 {
        let mut c = c.clone();
        set.spawn(async move {
            let r = c.post("/api/login/sms/resend", json!({})).await;
            r.json()["error"].as_str().unwrap_or("sent").to_owned()
        });
    }
    let t = tally(all(set).await);
    assert_eq!(
        t,
        BTreeMap::from([("sent".to_owned(), 1), ("sms_cooldown".to_owned(), 9)])
    );
    assert_eq!(
        p.outbox().for_user(Some("alice")).len(),
        2,
        "the login's SMS and one resend"
    );
}

#[tokio::test]
async fn a_strangers_wrong_passwords_do_not_lock_the_user_out_of_check() {
    let p = portal();
    let secret = user_with_token(&p, "alice", "alice password 1", "198.51.100.1").await;
    let mut stranger = Client::at(&p, "203.0.113.9");
    for _ in 0..12 {
        validate(&mut stranger, "alice", "a guess", "123456").await;
    }
    set_clock(&mut stranger, 30).await;
    assert_eq!(
        validate(&mut stranger, "alice", "alice password 1", "123456")
            .await
            .1,
        "rate_limited",
        "the stranger's address is blocked"
    );
    let mut alice = Client::at(&p, "198.51.100.1");
    let csrf = alice.get("/check").await.csrf();
    let r = alice
        .form(
            "/check",
            &[
                ("csrf", &csrf),
                ("username", "alice"),
                ("password", "alice password 1"),
                ("code", &oathtool(&secret, T0 + 30)),
            ],
        )
        .await;
    assert!(r.body.contains("Access granted"), "{}", r.body);
}

#[tokio::test]
async fn a_strangers_reset_requests_do_not_use_up_the_users_sms_quota() {
    let p = portal();
    add_user(&p, "alice", "alice password 1").await;
    let mut stranger = Client::at(&p, "203.0.113.9");
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let csrf = stranger.get("/reset").await.csrf();
        let r = stranger
            .form("/reset", &[("csrf", &csrf), ("username", "alice")])
            .await;
        statuses.push(r.status.as_u16());
    }
    assert_eq!(statuses, [303, 303, 303, 303, 303, 429]);
    let mut alice = Client::at(&p, "198.51.100.1");
    let csrf = alice.get("/reset").await.csrf();
    let r = alice
        .form("/reset", &[("csrf", &csrf), ("username", "alice")])
        .await;
    assert_eq!(r.location(), "/reset/sms", "{}", r.body);
    assert_eq!(p.outbox().for_user(Some("alice")).len(), 6);
    let r = alice
        .post(
            "/api/login",
            json!({"username": "alice", "password": "alice password 1"}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "and the login SMS still goes out: {}",
        r.body
    );
}

#[tokio::test]
async fn the_account_cap_stops_many_addresses_but_not_the_users_own() {
    let p = portal();
    let secret = user_with_token(&p, "alice", "alice password 1", "198.51.100.1").await;
    // A hundred wrong passwords from ten addresses, ten each: the account-wide cap.
    for i in 0..10 {
        let mut c = Client::at(&p, &format!("203.0.113.{}", 10 + i));
        for _ in 0..10 {
            assert_eq!(
                validate(&mut c, "alice", "a guess", "123456").await.1,
                "wrong_credentials"
            );
        }
    }
    let mut next = Client::at(&p, "203.0.113.99");
    assert_eq!(
        validate(&mut next, "alice", "another guess", "123456")
            .await
            .1,
        "rate_limited",
        "the 101st failure is not evaluated, from any new address"
    );
    set_clock(&mut next, 30).await;
    let mut alice = Client::at(&p, "198.51.100.1");
    assert_eq!(
        validate(
            &mut alice,
            "alice",
            "alice password 1",
            &oathtool(&secret, T0 + 30)
        )
        .await,
        (true, String::new()),
        "the address alice logged in from still works"
    );
}

#[tokio::test]
async fn an_over_long_username_is_refused_before_anything_else() {
    let p = portal();
    let mut c = Client::new(&p);
    for n in [65, 5_000] {
        let long = "a".repeat(n);
        let r = c
            .post(
                "/api/validate",
                json!({"username": long, "password": "x", "otp": "123456"}),
            )
            .await;
        assert_eq!(
            (r.status, r.json()["error"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_input")),
            "{}",
            r.body
        );
        assert!(r.json()["message"].as_str().unwrap().contains("64"));
        let r = c
            .post("/api/login", json!({"username": long, "password": "x"}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let csrf = c.get("/reset").await.csrf();
        let r = c
            .form("/reset", &[("csrf", &csrf), ("username", &long)])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("at most 64 characters"), "{}", r.body);
    }
}

#[tokio::test]
async fn a_body_over_the_route_limit_is_refused_with_413() {
    let p = portal();
    let mut c = Client::new(&p);
    let big = "x".repeat(64 * 1024);
    let r = c
        .post(
            "/api/validate",
            json!({"username": "alice", "password": big, "otp": "123456"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert_eq!(r.json()["error"], "too_large");
    let csrf = c.get("/login").await.csrf();
    let r = c
        .form(
            "/login",
            &[("csrf", &csrf), ("username", "alice"), ("password", &big)],
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
}

#[tokio::test]
async fn a_full_hash_queue_answers_503_with_retry_after_instead_of_queueing() {
    // The test keeps a clone of the portal's hasher: clones share the queue, so the places the
    // test takes are places the portal's requests cannot have. That makes "full" exact instead
    // of a race between the burst and the hashes finishing (a first hash could end before the
    // last request of a burst arrived, and free a place for it).
    let hasher = Hasher::new(2).unwrap();
    let p = portal_with_hasher(config(), hasher.clone());
    let burst = |n: usize| {
        let mut set = JoinSet::new();
        for i in 0..n {
            let mut c = Client::at(&p, &format!("10.1.{}.{}", i / 200, i % 200 + 1));
            set.spawn(async move {
                let req = Request::post("/api/validate")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(
                        json!({"username": format!("user{i}"), "password": "pw", "otp": "123456"})
                            .to_string(),
                    ))
                    .unwrap();
                c.send(req).await
            });
        }
        set
    };
    let evaluated = |answers: &[Resp]| {
        answers
            .iter()
            .filter(|r| r.status == StatusCode::OK && r.json()["reason"] == "wrong_credentials")
            .count()
    };
    let check_busy = |answers: &[Resp]| {
        let busy: Vec<&Resp> = answers
            .iter()
            .filter(|r| r.status == StatusCode::SERVICE_UNAVAILABLE)
            .collect();
        for r in &busy {
            assert!(
                r.headers.contains_key(header::RETRY_AFTER),
                "{:?}",
                r.headers
            );
            assert_eq!(r.json()["error"], "busy");
        }
        busy.len()
    };

    // The queue full: every request is refused at once, and none takes a place.
    let held: Vec<_> = (0..hasher.queue_limit())
        .map(|_| hasher.permit().expect("a free place"))
        .collect();
    assert_eq!(held.len(), 64, "the default queue holds 64");
    let answers = all(burst(40)).await;
    assert_eq!(
        check_busy(&answers),
        40,
        "a full queue refuses every request"
    );
    assert_eq!(hasher.in_flight(), 64, "refused requests hold no place");

    // One place free: requests take it in turn as it frees, and those that find it taken are
    // refused with Retry-After rather than kept waiting in memory.
    drop(held);
    let held: Vec<_> = (0..63).map(|_| hasher.permit().unwrap()).collect();
    let answers = all(burst(40)).await;
    let (ok, busy) = (evaluated(&answers), check_busy(&answers));
    assert_eq!(
        ok + busy,
        40,
        "every request is answered: {ok} evaluated, {busy} busy"
    );
    assert!(ok >= 1, "the free place was used");
    drop(held);
    assert_eq!(hasher.in_flight(), 0, "every place is given back");

    // A burst of twice the queue: at least the queue's worth is evaluated (a request is only
    // refused while 64 are in the queue, and those 64 are then evaluated), the rest refused.
    let answers = all(burst(128)).await;
    let (ok, busy) = (evaluated(&answers), check_busy(&answers));
    assert_eq!(ok + busy, 128, "{ok} evaluated, {busy} busy");
    assert!(
        ok >= 64,
        "the queue takes 64 before it refuses: {ok} evaluated"
    );
    assert_eq!(hasher.in_flight(), 0, "every place is given back");

    // Fifty at once fit in the queue: none is refused.
    let answers = all(burst(50)).await;
    assert!(
        answers.iter().all(|r| r.status == StatusCode::OK),
        "{:?}",
        answers.iter().map(|r| r.status).collect::<Vec<_>>()
    );
}
