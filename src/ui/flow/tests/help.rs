//! "Code not accepted?": the help page's checks, the clock measurement asked of a thread, the
//! time server, and the corrected time (on, shown, followed, off).

use super::*;
use crate::clock::device::DeviceClock;
use crate::clock::diagnose::{ClockCheck, Expires, Verdict};
use crate::clock::{ClockError, Source};

/// The measurement the flow asked for, if it asked for one.
fn measured_source(effects: &[Effect]) -> Option<Source> {
    effects.iter().find_map(|e| match e {
        Effect::MeasureClock(source) => Some(source.clone()),
        _ => None,
    })
}

fn saved(effects: &[Effect]) -> Option<DeviceClock> {
    effects.iter().find_map(|e| match e {
        Effect::SaveClock(settings) => Some(settings.clone()),
        _ => None,
    })
}

fn verdicts(f: &Flow) -> Vec<Verdict> {
    f.help().items.iter().map(|(v, _)| *v).collect()
}

#[test]
fn help_asks_for_a_clock_measurement_and_puts_an_expired_token_first() {
    let (mut f, _) = flow();
    probed(&mut f, true);
    f.unlock("482916");
    let expired =
        otp::parse_uri("otpauth://totp/old?secret=GEZDGNBVGY3TQOJQ&expires=2020-01-01").unwrap();
    f.reply(Reply::Accounts(Ok(vec![expired]), Done::Unlocked));
    f.take_effects();
    f.open_help();
    assert_eq!(f.nav.screen, Screen::Help);
    assert!(f.nav.can_go_back);
    let effects = f.take_effects();
    assert_eq!(measured_source(&effects), Some(Source::default_ntp()));
    let help = f.help();
    assert_eq!(help.name, "old");
    assert!(
        matches!(help.items[0], (Verdict::Problem, HelpTopic::Expires(Expires::Expired(ref d))) if d == "2020-01-01"),
        "{:?}",
        help.items
    );
    assert!(help.items.iter().any(|(_, t)| matches!(
        t,
        HelpTopic::Clock {
            check: ClockCheck::NotMeasured,
            ..
        }
    )));
    assert!(help.uses_time_server);
    // Checking again while a measurement runs does not start a second one.
    f.check_clock_again();
    assert_eq!(measured_source(&f.take_effects()), None);
    f.back();
    assert_eq!(f.nav.screen, Screen::Token);
    assert!(f.help().items.is_empty());
}

#[test]
fn a_clock_far_off_is_the_problem_and_the_codes_can_follow_the_corrected_time() {
    let (mut f, _) = unlocked(&["laptop"]);
    f.open_help();
    f.take_effects();
    let before = f.tokens().current.unwrap().code;
    f.reply(Reply::ClockMeasured(Source::default_ntp(), Ok(95)));
    assert_eq!(verdicts(&f)[0], Verdict::Problem);
    assert_eq!(f.help().can_correct, Some(95));
    // Off by default: the codes are the device clock's.
    assert_eq!(f.tokens().current.as_ref().unwrap().code, before);
    f.set_corrected(true);
    let effects = f.take_effects();
    assert_eq!(saved(&effects).unwrap().corrected_seconds, Some(95));
    let shown = f.tokens();
    assert_eq!(shown.corrected, Some(95));
    let expected = account("laptop").code_at(START + 95).grouped();
    assert_eq!(shown.current.unwrap().code, expected);
    // A later measurement (the clock fixed) moves the correction with it.
    f.reply(Reply::ClockMeasured(Source::default_ntp(), Ok(1)));
    assert_eq!(saved(&f.take_effects()).unwrap().corrected_seconds, Some(1));
    assert!(f.help().items.iter().any(|(v, t)| *v == Verdict::Fine
        && matches!(
            t,
            HelpTopic::Clock {
                check: ClockCheck::Offset(1),
                ..
            }
        )));
    assert_eq!(f.help().can_correct, None);
    f.correction_off();
    let effects = f.take_effects();
    assert_eq!(saved(&effects).unwrap().corrected_seconds, None);
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::Toast(Note::CorrectionOff))));
    assert_eq!(f.tokens().current.unwrap().code, before);
}

#[test]
fn the_corrected_time_is_not_turned_on_without_a_measurement() {
    let (mut f, _) = unlocked(&["laptop"]);
    f.open_help();
    f.take_effects();
    f.set_corrected(true);
    assert!(saved(&f.take_effects()).is_none());
    let failed = ClockError::Unreachable {
        from: "pool.ntp.org (NTP)".into(),
        seconds: 3,
        reason: "no answer".into(),
    };
    f.reply(Reply::ClockMeasured(Source::default_ntp(), Err(failed)));
    f.set_corrected(true);
    assert!(saved(&f.take_effects()).is_none());
    assert_eq!(f.tokens().corrected, None);
    assert!(f.help().items.iter().any(|(v, t)| *v == Verdict::Unknown
        && matches!(
            t,
            HelpTopic::Clock {
                check: ClockCheck::Failed(_),
                ..
            }
        )));
}

#[test]
fn a_remembered_correction_applies_from_the_first_code() {
    let (mut f, _) = flow();
    f.set_device_clock(Ok(DeviceClock {
        corrected_seconds: Some(-40),
        ..DeviceClock::default()
    }));
    probed(&mut f, true);
    f.unlock("482916");
    f.reply(Reply::Accounts(Ok(vec![account("laptop")]), Done::Unlocked));
    let shown = f.tokens();
    assert_eq!(shown.corrected, Some(-40));
    assert_eq!(
        shown.current.unwrap().code,
        account("laptop").code_at(START - 40).grouped()
    );
}

#[test]
fn a_time_server_typed_wrong_is_refused_and_a_good_one_is_measured_and_saved() {
    let (mut f, _) = unlocked(&["laptop"]);
    f.open_help();
    f.take_effects();
    f.reply(Reply::ClockMeasured(Source::default_ntp(), Ok(0)));
    f.set_time_server("time server");
    assert!(matches!(
        f.help().server_error,
        Some(Note::Clock(ClockError::BadSource(_)))
    ));
    assert!(saved(&f.take_effects()).is_none());
    f.set_time_server("ntp.example.org");
    let effects = f.take_effects();
    assert_eq!(
        saved(&effects).unwrap().fallback.as_deref(),
        Some("ntp://ntp.example.org")
    );
    assert_eq!(
        measured_source(&effects),
        Some(Source::Ntp("ntp.example.org".into()))
    );
    let help = f.help();
    assert!(help.server_error.is_none());
    assert_eq!(help.time_server, "ntp://ntp.example.org");
    // The old server's late answer does not land on the new one's row.
    f.reply(Reply::ClockMeasured(Source::default_ntp(), Ok(500)));
    assert_eq!(f.help().can_correct, None);
}

#[test]
fn an_hotp_key_gets_the_counter_advice_and_no_clock_check() {
    let (mut f, _) = flow();
    probed(&mut f, true);
    f.unlock("482916");
    let hotp = otp::parse_uri("otpauth://hotp/vpn?secret=GEZDGNBVGY3TQOJQ&counter=5").unwrap();
    f.reply(Reply::Accounts(Ok(vec![hotp]), Done::Unlocked));
    f.take_effects();
    f.open_help();
    assert_eq!(measured_source(&f.take_effects()), None);
    let help = f.help();
    assert!(help
        .items
        .iter()
        .any(|(_, t)| matches!(t, HelpTopic::Hotp { counter: 5 })));
    assert!(!help
        .items
        .iter()
        .any(|(_, t)| matches!(t, HelpTopic::Clock { .. } | HelpTopic::Reused { .. })));
}

#[test]
fn locking_closes_the_help_page_and_a_late_measurement_changes_nothing() {
    let (mut f, _) = unlocked(&["laptop"]);
    f.set_device_clock(Ok(DeviceClock {
        corrected_seconds: Some(30),
        ..DeviceClock::default()
    }));
    f.open_help();
    f.lock();
    f.take_effects();
    f.reply(Reply::ClockMeasured(Source::default_ntp(), Ok(200)));
    assert!(saved(&f.take_effects()).is_none());
    assert!(f.help().items.is_empty());
    assert_eq!(f.nav.screen, Screen::Unlock);
}

#[test]
fn a_late_answer_from_a_replaced_time_server_does_not_move_the_correction() {
    let (mut f, _) = unlocked(&["laptop"]);
    f.set_device_clock(Ok(DeviceClock {
        corrected_seconds: Some(30),
        ..DeviceClock::default()
    }));
    f.open_help();
    f.set_time_server("ntp.example.org");
    f.take_effects();
    f.reply(Reply::ClockMeasured(Source::default_ntp(), Ok(500)));
    assert!(saved(&f.take_effects()).is_none());
    assert_eq!(f.tokens().corrected, Some(30));
    f.reply(Reply::ClockMeasured(
        Source::Ntp("ntp.example.org".into()),
        Ok(31),
    ));
    assert_eq!(
        saved(&f.take_effects()).unwrap().corrected_seconds,
        Some(31)
    );
}
