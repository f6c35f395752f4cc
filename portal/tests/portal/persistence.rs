//! Restarts, the key file, secrets at rest, damaged databases.

use std::sync::Arc;

use axum::http::StatusCode;
use pocketpass_portal::service::key_path_for;
use pocketpass_portal::{Clock, Portal};
use serde_json::json;

use crate::support::*;

fn open(path: &str) -> Arc<Portal> {
    Portal::open(config(), path, Clock::fixed(T0)).expect("portal opens")
}

#[tokio::test]
async fn a_restart_keeps_users_tokens_used_steps_and_failure_counts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("portal.sqlite3");
    let db = db.to_str().unwrap();
    let secret;
    let wrong;
    {
        let p = open(db);
        add_user(&p, "alice", "alice password 1").await;
        let mut c = Client::new(&p);
        api_login(&mut c, &p, "alice", "alice password 1").await;
        secret = activated_token(&mut c, &p, "Phone").await.1;
        set_clock(&mut c, 30).await;
        assert_eq!(
            validate(
                &mut c,
                "alice",
                "alice password 1",
                &oathtool(&secret, T0 + 30)
            )
            .await,
            (true, String::new())
        );
        wrong = if oathtool(&secret, T0 + 60) == "000000" {
            "111111"
        } else {
            "000000"
        };
        for _ in 0..9 {
            assert_eq!(
                validate(&mut c, "alice", "alice password 1", wrong).await.1,
                "wrong_code"
            );
        }
    }
    let p = open(db);
    let mut c = Client::new(&p);
    set_clock(&mut c, 30).await;
    assert_eq!(
        validate(
            &mut c,
            "alice",
            "alice password 1",
            &oathtool(&secret, T0 + 30)
        )
        .await,
        (false, "code_used".into()),
        "the used step survived the restart"
    );
    assert_eq!(
        validate(&mut c, "alice", "alice password 1", wrong).await.1,
        "wrong_code"
    );
    assert_eq!(
        validate(
            &mut c,
            "alice",
            "alice password 1",
            &oathtool(&secret, T0 + 60)
        )
        .await,
        (false, "locked".into()),
        "nine failures before the restart and one after lock the token"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn secrets_are_stored_encrypted_under_a_private_key_file_beside_the_database() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("portal.sqlite3");
    let db = db_path.to_str().unwrap();
    let p = open(db);
    let key = key_path_for(db);
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    add_user(&p, "bob", "bob password 12").await;
    let mut c = Client::new(&p);
    api_login(&mut c, &p, "bob", "bob password 12").await;
    let (_, secret) = activated_token(&mut c, &p, "Phone").await;
    let raw = data_encoding::BASE32_NOPAD
        .decode(secret.as_bytes())
        .unwrap();
    drop(c);
    drop(p);
    let mut on_disk = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path != key {
            on_disk.extend(std::fs::read(path).unwrap());
        }
    }
    assert!(
        on_disk.windows(raw.len()).all(|w| w != raw.as_slice()),
        "raw secret on disk"
    );
    assert!(
        on_disk
            .windows(secret.len())
            .all(|w| w != secret.as_bytes()),
        "base32 secret on disk"
    );

    // With another key the secrets cannot be read: the portal says so instead of guessing.
    std::fs::write(&key, [7u8; 32]).unwrap();
    let p = open(db);
    let mut c = Client::new(&p);
    let r = c
        .post(
            "/api/validate",
            json!({"username": "bob", "password": "bob password 12", "otp": "123456"}),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (StatusCode::INTERNAL_SERVER_ERROR, Some("internal"))
    );
}

#[test]
fn a_damaged_database_or_key_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("portal.sqlite3");
    std::fs::write(
        &db,
        b"this is not a database, it is a shopping list. ".repeat(200),
    )
    .unwrap();
    let err = Portal::open(config(), db.to_str().unwrap(), Clock::fixed(T0))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("portal.sqlite3") && err.contains("Move the file away"),
        "{err}"
    );

    let db2 = dir.path().join("fresh.sqlite3");
    let db2 = db2.to_str().unwrap();
    std::fs::write(key_path_for(db2), b"too short").unwrap();
    let err = Portal::open(config(), db2, Clock::fixed(T0))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("fresh.sqlite3.key") && err.contains("32 bytes"),
        "{err}"
    );
}

/// A database holding a token, left with its key file (returns the folder and the db path).
pub async fn database_with_a_token() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir
        .path()
        .join("portal.sqlite3")
        .to_str()
        .unwrap()
        .to_owned();
    let p = open(&db);
    add_user(&p, "alice", "alice password 1").await;
    let mut c = Client::new(&p);
    api_login(&mut c, &p, "alice", "alice password 1").await;
    activated_token(&mut c, &p, "Phone").await;
    (dir, db)
}

#[tokio::test]
async fn a_missing_key_file_beside_a_database_with_tokens_refuses_to_start() {
    let (_dir, db) = database_with_a_token().await;
    let key = key_path_for(&db);
    std::fs::remove_file(&key).unwrap();
    let err = Portal::open(config(), &db, Clock::fixed(T0))
        .expect_err("a database with tokens and no key must not start")
        .to_string();
    assert!(
        err.contains(key.to_str().unwrap()) && err.contains("restore"),
        "{err}"
    );
    assert!(!key.exists(), "no new key was made in its place");
}

#[cfg(unix)]
#[tokio::test]
async fn a_key_file_readable_by_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, db) = database_with_a_token().await;
    let key = key_path_for(&db);
    for mode in [0o640, 0o604, 0o660] {
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(mode)).unwrap();
        let err = Portal::open(config(), &db, Clock::fixed(T0))
            .expect_err("a key others can read must not be used")
            .to_string();
        assert!(
            err.contains(key.to_str().unwrap())
                && err.contains(&format!("chmod 600 {}", key.display())),
            "{mode:o}: {err}"
        );
    }
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(Portal::open(config(), &db, Clock::fixed(T0)).is_ok());
}

#[cfg(unix)]
#[tokio::test]
async fn the_database_is_created_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, db) = database_with_a_token().await;
    let mut seen = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", path.display());
        seen += 1;
    }
    assert!(seen >= 2, "the database and its key");
    assert!(std::path::Path::new(&db).exists());
}

#[tokio::test]
async fn a_database_without_tokens_gets_a_new_key_and_memory_needs_none() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir
        .path()
        .join("portal.sqlite3")
        .to_str()
        .unwrap()
        .to_owned();
    let p = open(&db);
    add_user(&p, "alice", "alice password 1").await;
    drop(p);
    std::fs::remove_file(key_path_for(&db)).unwrap();
    let p = open(&db);
    assert!(
        key_path_for(&db).exists(),
        "nothing was encrypted: a new key is fine"
    );
    let mut c = Client::new(&p);
    api_login(&mut c, &p, "alice", "alice password 1").await;
    let p = open(":memory:");
    let mut c = Client::new(&p);
    assert_eq!(c.get("/login").await.status, StatusCode::OK);
}
