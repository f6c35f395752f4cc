//! "Code not accepted?" (issue 17): the help page for each reason a code is refused, with the
//! clock measured against time sources the tests start on 127.0.0.1 (a portal-like HTTP
//! server with a moved `Date`, an SNTP responder), the time server setting, and the corrected
//! time: off by default, shown while on, remembered by this device, turned off again.

use super::super::common::time_sources::{http_time_source, sntp_time_source, time_param};
use super::support::*;
use pocketpass::otp::Account;
use pocketpass::ui::Screen;

/// 2026-11-28 12:00:15 UTC: the middle of a 30-second period, so a clock measured a second
/// either way still falls in the same code.
const NOW: u64 = 1_795_867_215;
const PIN: &str = "482916";

/// The verdict words a help row's label starts with.
const VERDICTS: [&str; 4] = [
    "Likely the cause: ",
    "Maybe: ",
    "Worth checking: ",
    "Fine: ",
];

/// A portal key whose link names `time_source` as its portal (as our portal's keys do).
fn portal_key(name: &str, expires: &str, time_source: &str) -> Account {
    account(&format!(
        "{}{}",
        portal_link(name, expires),
        time_param(time_source)
    ))
}

/// The app unlocked on `accounts`, on the help page of the first one.
fn help_for(accounts: Vec<Account>) -> Harness {
    help_after(accounts, |_| {})
}

/// [`help_for`], with `prepare` run on the data folder before the app starts.
fn help_after(accounts: Vec<Account>, prepare: impl FnOnce(&std::path::Path)) -> Harness {
    let h = Harness::with_accounts_and(NOW, PIN, accounts, prepare);
    h.type_into("PIN", PIN);
    h.press("Unlock");
    assert_eq!(h.screen(), Screen::Token, "labels: {:?}", h.labels());
    h.press("Code not accepted?");
    assert_eq!(h.screen(), Screen::Help);
    h
}

/// The help rows in the order shown ("Maybe: Installed 2 minutes ago: …").
fn rows(h: &Harness) -> Vec<String> {
    h.labels()
        .into_iter()
        .filter(|l| VERDICTS.iter().any(|v| l.starts_with(v)))
        .collect()
}

/// The number of seconds in "… is 121 s behind …".
fn seconds_in(text: &str, before: &str) -> i64 {
    let end = text
        .find(before)
        .unwrap_or_else(|| panic!("{before:?} in {text:?}"));
    let start = text[..end].rfind(' ').map_or(0, |i| i + 1);
    text[start..end]
        .parse()
        .unwrap_or_else(|_| panic!("seconds in {text:?}"))
}

#[test]
fn help_on_a_key_installed_minutes_ago_says_to_finish_the_activation_first() {
    let portal = http_time_source(0);
    let mut key = portal_key("laptop", "2027-11-28", &portal);
    key.mark_added(NOW - 150);
    let h = help_for(vec![key]);
    let rows = rows(&h);
    assert_eq!(
        rows[0], "Maybe: Installed 2 minutes ago: the activation may not be finished.",
        "{rows:?}"
    );
    assert!(h.has(
        "In the portal, click Next and type the code shown now: the token is active only after that."
    ));
    assert!(
        rows.iter().any(|r| r.starts_with(&format!(
            "Fine: This device's clock agrees with the portal at {portal} to within"
        ))),
        "{rows:?}"
    );
    assert!(rows.contains(&"Fine: The token is valid until 2027-11-28.".to_owned()));
    // A clock in step offers no correction.
    assert!(!h.has("Use the corrected time"));
    h.press("Back");
    assert_eq!(h.screen(), Screen::Token);
}

#[test]
fn help_on_an_expired_token_puts_the_expiry_first_with_what_to_do() {
    let mut key = portal_key("laptop", "2026-11-01", &http_time_source(0));
    key.mark_added(NOW - 90 * 86_400);
    let h = help_for(vec![key]);
    let rows = rows(&h);
    assert_eq!(
        rows[0], "Likely the cause: This token expired on 2026-11-01.",
        "{rows:?}"
    );
    assert!(h.has(
        "Activate a new token in the portal (TOKENS, Activate Pocket Pass) and install its key; \
         an expired token cannot be renewed."
    ));
    assert!(
        rows.contains(&"Fine: Installed 90 days ago.".to_owned()),
        "{rows:?}"
    );
}

#[test]
fn a_clock_two_minutes_behind_the_portal_is_found_and_codes_for_the_corrected_time_are_remembered()
{
    let portal = http_time_source(120);
    let key = portal_key("laptop", "2027-11-28", &portal);
    let plain = key.code_at(NOW).grouped();
    let h = help_for(vec![key.clone()]);
    let rows = rows(&h);
    let first = &rows[0];
    assert!(
        first.starts_with("Likely the cause: This device's clock is ")
            && first.ends_with(&format!(" s behind the portal at {portal}.")),
        "{rows:?}"
    );
    let offset = seconds_in(first, " s behind");
    assert!((118..=122).contains(&offset), "{first}");
    // Off by default: the code screen still shows the device clock's code.
    h.press("Back");
    assert_eq!(h.shown_code(), plain.replace(' ', ""));
    assert!(h.notices().is_empty(), "{:?}", h.notices());

    h.press("Code not accepted?");
    h.press("Use the corrected time");
    h.press("Back");
    let corrected = key.code_at(NOW + offset as u64).grouped();
    assert_ne!(corrected, plain);
    assert_eq!(h.shown_code(), corrected.replace(' ', ""));
    assert_eq!(
        h.notices(),
        [format!(
            "Codes are shown for the corrected time: {offset} s later than this device's clock. \
             Fix the clock, then turn this off."
        )]
    );

    // This device remembers it: the next start shows corrected codes from the first one.
    h.press("Lock");
    let Harness { app, dir, .. } = h;
    drop(app);
    let h = Harness::on(dir, NOW, Vec::new());
    h.type_into("PIN", PIN);
    h.press("Unlock");
    assert_eq!(h.shown_code(), corrected.replace(' ', ""));
    assert_eq!(h.notices().len(), 1, "{:?}", h.notices());

    h.press("Turn off the corrected time");
    assert_eq!(h.shown_code(), plain.replace(' ', ""));
    assert!(h.notices().is_empty(), "{:?}", h.notices());
    let saved = std::fs::read_to_string(h.dir.path().join("clock.json")).unwrap();
    assert!(!saved.contains("corrected_seconds"), "{saved}");
}

#[test]
fn help_says_a_used_code_is_refused_and_counts_down_to_the_next() {
    let h = help_for(vec![portal_key(
        "laptop",
        "2027-11-28",
        &http_time_source(0),
    )]);
    assert!(
        rows(&h).contains(
            &"Worth checking: The portal accepts each code once: a code typed a second time is \
              refused."
                .to_owned()
        ),
        "{:?}",
        rows(&h)
    );
    assert!(h.has("If you already typed the code shown now, wait 15 seconds for the next one."));
    h.wait(14);
    assert!(
        h.has("If you already typed the code shown now, wait 1 second for the next one."),
        "{:?}",
        h.labels()
    );
}

#[test]
fn help_on_an_hotp_key_explains_the_counter_and_checks_no_clock() {
    let hotp = account(&format!(
        "otpauth://hotp/HPC%20Centre:vpn?secret={RFC_SECRET}&issuer=HPC%20Centre&counter=4"
    ));
    let h = help_for(vec![hotp]);
    let rows = rows(&h);
    assert!(
        rows.iter().any(|r| r
            .starts_with("Worth checking: This is a counter-based (HOTP) key, now at counter 4")),
        "{rows:?}"
    );
    assert!(h.has(
        "Show the next code and type it. If codes were shown without being used, the portal's \
         counter has fallen behind: use the portal's resync where it has one (type two codes in \
         a row), or activate a new token."
    ));
    assert!(
        !rows.iter().any(|r| r.contains("device's clock")),
        "{rows:?}"
    );
}

#[test]
fn a_portal_that_does_not_answer_is_said_and_offers_no_correction() {
    // A port nothing listens on: bound, then closed again.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let h = help_for(vec![portal_key("laptop", "2027-11-28", &closed)]);
    let rows = rows(&h);
    assert!(
        rows.iter().any(|r| r.starts_with(&format!(
            "Worth checking: The clock could not be checked: could not reach the portal at \
             {closed} within 3 s"
        ))),
        "{rows:?}"
    );
    assert!(h.has(
        "Check the network connection and check again, or compare this device's clock with a \
         trusted one: it should agree to the second."
    ));
    assert!(!h.has("Use the corrected time"));
    h.press("Check the clock again");
    assert_eq!(h.screen(), Screen::Help);
}

#[test]
fn a_key_without_a_portal_is_checked_against_the_time_server_set_on_the_page() {
    // The server this device was set to before (so no test asks pool.ntp.org), in step.
    let before = sntp_time_source(0.0);
    let sntp = sntp_time_source(-50.0);
    let server = sntp.trim_start_matches("ntp://").to_owned();
    let h = help_after(vec![account(&portal_link("laptop", "2027-11-28"))], |dir| {
        std::fs::write(
            dir.join("clock.json"),
            format!(r#"{{"fallback": "{before}"}}"#),
        )
        .unwrap();
    });
    let old = before.trim_start_matches("ntp://");
    assert!(
        rows(&h).iter().any(|r| r.starts_with(&format!(
            "Fine: This device's clock agrees with {old} (NTP) to within"
        ))),
        "{:?}",
        rows(&h)
    );
    h.type_into("Time server", "not a server");
    h.press("Use this time server");
    assert!(
        h.notices()
            .iter()
            .any(|n| n.starts_with("\"not a server\" is not a time server.")),
        "{:?}",
        h.notices()
    );
    h.type_into("Time server", &server);
    h.press("Use this time server");
    let rows = rows(&h);
    let clock = rows
        .iter()
        .find(|r| r.contains(&format!("ahead of {server} (NTP)")))
        .unwrap_or_else(|| panic!("{rows:?}"));
    assert!(clock.starts_with("Likely the cause: "), "{rows:?}");
    let offset = seconds_in(clock, " s ahead");
    assert!((49..=51).contains(&offset), "{clock}");
    let saved = std::fs::read_to_string(h.dir.path().join("clock.json")).unwrap();
    assert!(saved.contains(&sntp), "{saved}");
}
