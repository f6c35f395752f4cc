//! Issue 15, part 2: what the window does when another process changed the vault.

use super::*;

/// The accounts another process saved: `names`, in that order.
fn saved_elsewhere(f: &mut Flow, names: &[&str]) {
    let accounts = names.iter().map(|n| account(n)).collect();
    f.reply(Reply::Refreshed(Ok(Some(accounts))));
}

#[test]
fn an_unlocked_window_asks_for_changes_once_a_tick_with_one_question_at_a_time() {
    let (mut f, _) = unlocked(&["laptop"]);
    f.tick(false);
    assert!(matches!(jobs(&f.take_effects())[..], [Job::Refresh]));
    // Not answered yet: no second question.
    f.tick(false);
    assert!(jobs(&f.take_effects()).is_empty());
    f.reply(Reply::Refreshed(Ok(None)));
    f.tick(false);
    assert!(matches!(jobs(&f.take_effects())[..], [Job::Refresh]));
}

#[test]
fn a_locked_window_asks_nothing_and_a_late_answer_shows_nothing() {
    let (mut f, _) = unlocked(&["laptop"]);
    f.tick(false);
    f.lock();
    f.take_effects();
    saved_elsewhere(&mut f, &["laptop", "workstation"]);
    assert!(f.tokens().list.is_empty(), "nothing shows behind the PIN");
    f.tick(false);
    assert!(jobs(&f.take_effects()).is_empty());
}

#[test]
fn the_code_screen_stays_on_its_token_wherever_another_process_moved_it() {
    let (mut f, _) = unlocked(&["laptop", "workstation"]);
    f.open(1);
    assert_eq!(
        f.tokens().current.map(|t| t.name),
        Some("workstation".into())
    );
    saved_elsewhere(&mut f, &["desktop", "workstation", "laptop"]);
    assert_eq!(f.nav.screen, Screen::Token);
    assert_eq!(
        f.tokens().current.map(|t| t.name),
        Some("workstation".into())
    );
    assert_eq!(f.tokens().list.len(), 3);
}

#[test]
fn a_token_removed_elsewhere_takes_its_code_screen_back_to_the_list() {
    let (mut f, _) = unlocked(&["laptop", "workstation", "desktop"]);
    f.open(0);
    saved_elsewhere(&mut f, &["workstation", "desktop"]);
    assert_eq!(f.nav.screen, Screen::Tokens);
}

#[test]
fn a_pin_changed_elsewhere_locks_and_says_so() {
    let (mut f, _) = unlocked(&["laptop"]);
    f.reply(Reply::Refreshed(Err(VaultError::ChangedElsewhere)));
    assert_eq!(f.nav.screen, Screen::Unlock);
    assert!(matches!(
        f.pin.error,
        Some(Note::Vault(VaultError::ChangedElsewhere))
    ));
    assert!(f.tokens().list.is_empty());
}

#[test]
fn a_vault_wiped_by_wrong_pins_in_a_terminal_shows_the_wipe() {
    let (mut f, _) = unlocked(&["laptop"]);
    f.reply(Reply::Refreshed(Err(VaultError::Wiped(
        vault::MAX_ATTEMPTS,
    ))));
    assert_eq!(f.nav.screen, Screen::Wiped);
    assert!(f.tokens().list.is_empty());
}

/// An account named `name` with a key of its own (`account` gives every name the same key).
fn keyed(name: &str, secret: &str) -> Account {
    otp::parse_uri(&format!("otpauth://totp/{name}?secret={secret}")).expect("a valid key")
}

#[test]
fn a_token_renamed_elsewhere_keeps_its_code_screen_under_the_new_name() {
    let (mut f, _) = flow();
    probed(&mut f, true);
    f.unlock("482916");
    let laptop = keyed("laptop", "JBSWY3DPEHPK3PXP");
    let workstation = keyed("workstation", "GEZDGNBVGY3TQOJQ");
    f.reply(Reply::Accounts(
        Ok(vec![laptop.clone(), workstation.clone()]),
        Done::Unlocked,
    ));
    f.open(0);
    let mut renamed = laptop;
    renamed.name = "old laptop".into();
    f.reply(Reply::Refreshed(Ok(Some(vec![workstation, renamed]))));
    assert_eq!(f.nav.screen, Screen::Token);
    assert_eq!(
        f.tokens().current.map(|t| t.name),
        Some("old laptop".into())
    );
    // Two tokens: Back still leads to the list.
    assert!(f.nav.can_go_back);
}
