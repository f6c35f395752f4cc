//! Leaving the foreground, the phone's Back, and Scan barcode's camera on phones (issue 16).

use super::*;

fn camera_started(effects: &[Effect]) -> bool {
    effects.iter().any(|e| matches!(e, Effect::StartCamera(_)))
}

#[test]
fn going_to_the_background_covers_and_locks_an_unlocked_app() {
    let (mut f, _) = unlocked(&["alice", "bob"]);
    assert!(!f.tokens().list.is_empty());
    f.lifecycle(Lifecycle::Background, false);
    assert!(f.nav.covered);
    assert_eq!(f.nav.screen, Screen::Unlock);
    assert!(f.tokens().list.is_empty(), "no code is left to show");
    assert!(f.tokens().current.is_none());
    assert!(
        jobs(&f.take_effects())
            .iter()
            .any(|j| matches!(j, Job::Lock)),
        "the worker closes the vault"
    );
    // Back in front: the cover goes, the lock stays.
    f.lifecycle(Lifecycle::Foreground, false);
    assert!(!f.nav.covered);
    assert_eq!(f.nav.screen, Screen::Unlock);
    assert!(f.tokens().list.is_empty());
}

#[test]
fn an_interruption_covers_the_codes_without_locking() {
    let (mut f, _) = unlocked(&["alice"]);
    assert_eq!(f.nav.screen, Screen::Token);
    f.lifecycle(Lifecycle::Interrupted, false);
    assert!(f.nav.covered);
    assert_eq!(f.nav.screen, Screen::Token, "still where the user was");
    assert!(!jobs(&f.take_effects())
        .iter()
        .any(|j| matches!(j, Job::Lock)));
    f.lifecycle(Lifecycle::Foreground, false);
    assert!(!f.nav.covered);
    assert_eq!(f.nav.screen, Screen::Token);
    assert!(f.tokens().current.is_some());
}

#[test]
fn an_interruption_longer_than_the_auto_lock_locks_before_the_cover_goes() {
    let (mut f, now) = unlocked(&["alice"]);
    f.lifecycle(Lifecycle::Interrupted, false);
    // Two minutes (the default auto-lock) pass under the system's dialog.
    now.fetch_add(120, Ordering::SeqCst);
    f.lifecycle(Lifecycle::Foreground, false);
    assert!(!f.nav.covered);
    assert_eq!(f.nav.screen, Screen::Unlock);
    assert!(f.tokens().current.is_none());
}

#[test]
fn a_short_interruption_does_not_count_as_activity() {
    let (mut f, now) = unlocked(&["alice"]);
    now.fetch_add(100, Ordering::SeqCst);
    f.lifecycle(Lifecycle::Interrupted, false);
    f.lifecycle(Lifecycle::Foreground, false);
    assert_eq!(f.nav.screen, Screen::Token, "100 s: not yet");
    // The countdown did not start again at the interruption: 20 s more locks.
    now.fetch_add(20, Ordering::SeqCst);
    assert!(f.tick(false));
    assert_eq!(f.nav.screen, Screen::Unlock);
}

#[test]
fn with_no_vault_yet_the_background_keeps_the_key_waiting_for_its_pin() {
    let (mut f, _) = flow();
    probed(&mut f, false);
    f.paste_link(KEY);
    f.confirm();
    assert_eq!(f.nav.screen, Screen::ChoosePin);
    f.lifecycle(Lifecycle::Background, false);
    assert!(f.nav.covered);
    f.lifecycle(Lifecycle::Foreground, false);
    assert_eq!(f.nav.screen, Screen::ChoosePin, "nothing to lock");
    f.choose_pin("482916", "482916");
    assert!(matches!(
        jobs(&f.take_effects())[..],
        [Job::Create { accounts, .. }] if accounts.len() == 1
    ));
}

#[test]
fn a_key_found_while_unlocked_is_dropped_when_the_app_locks() {
    let (mut f, _) = unlocked(&["alice"]);
    f.install_key();
    f.paste_link(KEY);
    assert_eq!(f.nav.screen, Screen::Found);
    f.lifecycle(Lifecycle::Background, false);
    assert_eq!(f.nav.screen, Screen::Unlock);
    // Installing after unlocking again needs a new scan: nothing waits in memory.
    f.unlock("482916");
    f.reply(Reply::Accounts(Ok(vec![account("alice")]), Done::Unlocked));
    f.take_effects();
    f.confirm();
    assert!(
        jobs(&f.take_effects()).is_empty(),
        "no key was left to install"
    );
}

#[test]
fn the_camera_stops_in_the_background_and_starts_again_on_return() {
    let (mut f, _) = flow();
    probed(&mut f, false);
    f.install_key();
    f.start_camera();
    assert!(f.camera_running());
    f.take_effects();
    f.lifecycle(Lifecycle::Background, false);
    assert!(!f.camera_running(), "no camera while away");
    assert!(!f.install.camera_on);
    f.lifecycle(Lifecycle::Foreground, false);
    assert!(f.camera_running());
    assert!(camera_started(&f.take_effects()));
    // A camera the user had stopped stays stopped.
    f.stop_camera();
    f.lifecycle(Lifecycle::Interrupted, false);
    f.lifecycle(Lifecycle::Foreground, false);
    assert!(!f.camera_running());
}

#[test]
fn scan_barcode_starts_the_camera_as_it_opens_on_phones() {
    let (mut f, _) = flow();
    f.set_camera_on_open(true);
    probed(&mut f, false);
    f.install_key();
    assert_eq!(f.nav.screen, Screen::Add);
    assert!(f.camera_running());
    assert!(camera_started(&f.take_effects()));
    // Enter key manually stops it; coming back starts it again.
    f.show_manual();
    assert!(!f.camera_running());
    f.back();
    assert_eq!(f.nav.screen, Screen::Add);
    assert!(f.camera_running());
}

#[test]
fn on_desktops_scan_barcode_waits_for_use_camera() {
    let (mut f, _) = flow();
    probed(&mut f, false);
    f.install_key();
    assert_eq!(f.nav.screen, Screen::Add);
    assert!(!f.camera_running());
    assert!(!camera_started(&f.take_effects()));
}

#[test]
fn the_phones_back_on_the_code_screen_locks_before_the_system_takes_the_app_away() {
    let (mut f, _) = unlocked(&["alice"]);
    assert_eq!(f.nav.screen, Screen::Token);
    assert!(!f.nav.can_go_back, "nothing behind the only token's code");
    f.leave();
    assert_eq!(f.nav.screen, Screen::Unlock);
    assert!(f.tokens().current.is_none());
    // On Enter PIN there is nothing to lock.
    f.leave();
    assert_eq!(f.nav.screen, Screen::Unlock);
}
