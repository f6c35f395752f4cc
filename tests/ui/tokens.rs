//! Several tokens: the list, rename, delete, expiry notices, and HOTP tokens.

use super::support::*;
use pocketpass::ui::Screen;
use pocketpass::vault::{Pin, Vault};

/// 2026-11-28 12:00 UTC.
const NOW: u64 = 1_795_867_200;

/// The app at `NOW`, unlocked, with `links` installed under PIN 482916.
fn unlocked(links: &[String]) -> Harness {
    Harness::unlocked(NOW, "482916", links)
}

/// The code of `link` at `NOW` as a screen reader reads it in a list row ("2 8 7 0 8 2").
fn spoken_code(link: &str) -> String {
    code_label(&account(link).code_at(NOW).grouped())
        .trim_start_matches("Code ")
        .to_owned()
}

#[test]
fn several_tokens_are_listed_with_their_codes_and_open_large() {
    let links = [
        portal_link("laptop", "2028-11-28"),
        portal_link("workstation", "2028-11-28"),
    ];
    let h = unlocked(&links);
    assert_eq!(h.screen(), Screen::Tokens);
    let spoken = spoken_code(&links[0]);
    assert!(
        h.has(&format!("laptop: code {spoken}")),
        "labels: {:?}",
        h.labels()
    );
    assert!(h.has(&format!("workstation: code {spoken}")));
    h.press(&format!("workstation: code {spoken}"));
    assert_eq!(h.screen(), Screen::Token);
    assert!(h.has("Token workstation"));
    h.press("Back");
    assert_eq!(h.screen(), Screen::Tokens);
}

#[test]
fn a_token_is_renamed_and_the_vault_keeps_the_new_name() {
    let links = [
        portal_link("laptop", "2028-11-28"),
        portal_link("workstation", "2028-11-28"),
    ];
    let h = unlocked(&links);
    let spoken = spoken_code(&links[0]);
    h.press(&format!("laptop: code {spoken}"));
    h.press("Rename");
    h.type_into("New name", "old laptop");
    h.press("Save name");
    assert!(h.has("Token old laptop"), "labels: {:?}", h.labels());
    h.press("Back");
    assert!(h.has(&format!("old laptop: code {spoken}")));
    h.press("Lock");
    let vault =
        Vault::unlock_insecure_for_tests(h.dir.path(), &Pin::entered("482916"), TEST_ITERATIONS);
    let vault = vault.expect("the vault opens once the app is locked");
    let names: Vec<&str> = vault.accounts().iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["old laptop", "workstation"]);
}

#[test]
fn deleting_a_token_asks_first() {
    let links = [
        portal_link("laptop", "2028-11-28"),
        portal_link("workstation", "2028-11-28"),
    ];
    let h = unlocked(&links);
    let spoken = spoken_code(&links[0]);
    h.press(&format!("laptop: code {spoken}"));
    h.press("Delete");
    assert!(
        h.notices()[0].starts_with("Delete \"laptop\"?"),
        "{:?}",
        h.notices()
    );
    h.press("Keep key");
    assert!(h.has("Token laptop"), "kept");
    h.press("Delete");
    h.press("Delete key");
    // One token left: the app shows it large.
    assert_eq!(h.screen(), Screen::Token);
    assert!(h.has("Token workstation"));
    assert!(!h.labels().iter().any(|l| l.contains("laptop")));
}

#[test]
fn a_token_that_expires_within_30_days_says_so_and_an_expired_one_says_what_to_do() {
    let h = unlocked(&[portal_link("laptop", "2026-12-10")]);
    assert_eq!(h.screen(), Screen::Token);
    assert_eq!(
        h.notices(),
        vec!["This token expires in 12 days. Activate a new Pocket Pass token in the self-service portal before then.".to_owned()]
    );
    // Thirteen days later: the app locked itself meanwhile; the user unlocks it.
    h.set_time(NOW + 13 * 86_400);
    h.app.tick();
    h.settle();
    assert_eq!(h.screen(), Screen::Unlock);
    h.type_into("PIN", "482916");
    h.press("Unlock");
    let notices = h.notices();
    assert_eq!(notices.len(), 1);
    assert!(
        notices[0].starts_with("This token has expired"),
        "{notices:?}"
    );
    assert!(
        notices[0].contains("Activate a new Pocket Pass token"),
        "{notices:?}"
    );
}

#[test]
fn a_token_far_from_its_expiry_shows_no_notice() {
    let h = unlocked(&[portal_link("laptop", "2028-11-28")]);
    assert_eq!(h.screen(), Screen::Token);
    assert!(h.notices().is_empty(), "{:?}", h.notices());
}

#[test]
fn a_counter_based_token_shows_a_next_code_button_instead_of_a_countdown() {
    // RFC 4226 appendix D: counter 0 → 755224, counter 1 → 287082.
    let link = format!("otpauth://hotp/HPC:counter?secret={RFC_SECRET}&counter=0");
    let h = unlocked(&[link]);
    assert_eq!(h.screen(), Screen::Token);
    assert!(h.has("Code No code shown yet"), "labels: {:?}", h.labels());
    assert!(!h.labels().iter().any(|l| l.ends_with("seconds left")));
    h.press("Show next code");
    assert!(h.has(&code_label("755 224")), "labels: {:?}", h.labels());
    h.press("Show next code");
    assert!(h.has(&code_label("287 082")), "labels: {:?}", h.labels());
}

#[test]
fn tokens_are_reordered_from_their_code_screen_and_the_vault_keeps_the_order() {
    let links = [
        portal_link("laptop", "2028-11-28"),
        portal_link("workstation", "2028-11-28"),
        portal_link("cluster", "2028-11-28"),
    ];
    let h = unlocked(&links);
    let spoken = spoken_code(&links[0]);
    h.press(&format!("cluster: code {spoken}"));
    h.press("Move up in the list");
    assert!(h.has("Token cluster"), "the code screen follows the token");
    h.press("Move up in the list");
    assert!(
        !h.find("Move up in the list")
            .accessible_enabled()
            .unwrap_or(true),
        "the first token cannot move further up"
    );
    h.press("Move down in the list");
    h.press("Back");
    let rows: Vec<String> = h
        .labels()
        .into_iter()
        .filter(|l| l.ends_with(&format!(": code {spoken}")))
        .collect();
    assert_eq!(
        rows,
        [
            format!("laptop: code {spoken}"),
            format!("cluster: code {spoken}"),
            format!("workstation: code {spoken}"),
        ]
    );
    h.press("Lock");
    let vault =
        Vault::unlock_insecure_for_tests(h.dir.path(), &Pin::entered("482916"), TEST_ITERATIONS)
            .expect("vault opens");
    let names: Vec<&str> = vault.accounts().iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["laptop", "cluster", "workstation"]);
}
