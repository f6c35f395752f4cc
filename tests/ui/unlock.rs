//! Later starts: Enter PIN with the tries left, the wipe at the limit, lock and auto-lock.

use super::support::*;
use pocketpass::ui::Screen;
use pocketpass::vault::{self, MAX_ATTEMPTS};

const NOW: u64 = 1_795_000_000;

fn one_token() -> Vec<String> {
    vec![portal_link("Pocket Pass 1", "2028-11-28")]
}

#[test]
fn a_later_start_asks_for_the_pin_and_counts_a_wrong_one() {
    let h = Harness::with_vault(NOW, "482916", &one_token());
    assert_eq!(h.screen(), Screen::Unlock);
    h.type_into("PIN", "111111");
    h.press("Unlock");
    assert_eq!(h.screen(), Screen::Unlock);
    assert_eq!(
        h.notices(),
        vec![format!(
            "Wrong PIN. {} tries left before the keys are wiped.",
            MAX_ATTEMPTS - 1
        )]
    );
    h.type_into("PIN", "482916");
    h.press("Unlock");
    assert_eq!(h.screen(), Screen::Token);
    let code = account(&one_token()[0]).code_at(NOW).grouped();
    assert!(h.has(&code_label(&code)), "labels: {:?}", h.labels());
}

#[test]
fn the_tries_left_are_shown_before_asking_after_a_restart() {
    let h = Harness::with_vault(NOW, "482916", &one_token());
    for _ in 0..3 {
        h.type_into("PIN", "000000");
        h.press("Unlock");
    }
    // The app closes and starts again: the count survives, and is said up front.
    let dir = {
        let Harness { dir, app, .. } = h;
        drop(app);
        dir
    };
    let h = Harness::on(dir, NOW, Vec::new());
    assert_eq!(h.screen(), Screen::Unlock);
    assert_eq!(
        h.notices(),
        vec![format!(
            "{} tries left before the keys are wiped.",
            MAX_ATTEMPTS - 3
        )]
    );
}

#[test]
fn the_last_wrong_pin_wipes_the_keys_and_says_what_to_do() {
    let h = Harness::with_vault(NOW, "482916", &one_token());
    for n in 1..MAX_ATTEMPTS {
        h.type_into("PIN", "000000");
        h.press("Unlock");
        assert_eq!(h.screen(), Screen::Unlock, "after {n} wrong PINs");
    }
    assert!(h.notices()[0].contains("1 try left"), "{:?}", h.notices());
    h.type_into("PIN", "000000");
    h.press("Unlock");
    assert_eq!(h.screen(), Screen::Wiped);
    assert!(!vault::exists(h.dir.path()), "the vault is gone");
    assert!(h.notices()[0].contains("wiped"), "{:?}", h.notices());
    // The way out is installing a new key from the portal.
    h.press("Install key");
    assert_eq!(h.screen(), Screen::Add);
}

#[test]
fn lock_hides_the_codes_until_the_pin_is_entered_again() {
    let h = Harness::unlocked(NOW, "482916", &one_token());
    assert_eq!(h.screen(), Screen::Token);
    h.press("Lock");
    assert_eq!(h.screen(), Screen::Unlock);
    assert!(!h.labels().iter().any(|l| l.starts_with("Code ")));
    h.type_into("PIN", "482916");
    h.press("Unlock");
    assert_eq!(h.screen(), Screen::Token);
}

#[test]
fn two_minutes_without_use_lock_the_app() {
    let h = Harness::unlocked(NOW, "482916", &one_token());
    h.wait(119);
    assert_eq!(h.screen(), Screen::Token, "not yet");
    h.wait(1);
    assert_eq!(h.screen(), Screen::Unlock);
}

#[test]
fn minimising_the_window_locks_the_app() {
    let h = Harness::unlocked(NOW, "482916", &one_token());
    assert_eq!(h.screen(), Screen::Token);
    h.wait(1);
    assert_eq!(h.screen(), Screen::Token, "a visible window stays unlocked");
    slint::ComponentHandle::window(h.app.window()).set_minimized(true);
    h.wait(1);
    assert_eq!(h.screen(), Screen::Unlock);
    assert!(!h.labels().iter().any(|l| l.starts_with("Code ")));
}
