//! End to end: the app paired with the portal in a real browser, exactly as the centre's
//! instructions read. Real parts throughout: the `pocketpass-portal` binary on a random
//! loopback port with a fresh SQLite file and `--test-api`; Debian's headless Chromium driven
//! over WebDriver (chromedriver); the app (`pocketpass`) on Slint's testing backend, drawn by
//! the software renderer, with real vault crypto, whose camera is fed the browser's screenshot
//! of the QR code.
//!
//! - `the_centres_five_steps_...`: install the app, log in (password + SMS), activate a token
//!   on TOKENS, scan its QR in the app and protect the key with a PIN, enter the app's code in
//!   the portal (a wrong one first); then "More", the login check, and the token's expiry.
//! - `failure_paths_...`: a wrong SMS code, the vague error of an activation during a
//!   password reset, an activation not finished within 15 minutes.
//! - `the_more_page_lists_...`: codes refused at the activation appear in the token's history
//!   on its More page (issue 17).
//!
//! Each step is named; a failure says which ("step 4 (install the key in the app): ...").
//! Screenshots of both sides: see [`steps::Shots`]. Needs `chromium` and `chromium-driver`
//! (`scripts/install-deps.sh`); without them the tests fail saying so.

#[path = "../../../tests/ui/support.rs"]
mod app;
mod browser;
#[path = "../common/process.rs"]
mod process;
mod portal;
mod steps;

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{ensure, Context, Result};
use pocketpass::scan::LumaFrame;
use pocketpass::ui::Screen;

use app::Harness;
use browser::Browser;
use portal::{Portal, PASSWORD, USER};
use steps::{step, unix_of, Shots};

/// The name the user gives the token in the portal ("displayed on your device").
const TOKEN_NAME: &str = "My laptop";
/// The PIN chosen in the app.
const PIN: &str = "482916";
/// A token's life: two years (the portal's default `--token-validity-days 730`).
const VALIDITY: i64 = 730 * 86_400;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs()
}

/// The browser on a fresh portal, both started as the test's step 0.
fn start() -> (Portal, Browser, Shots) {
    step("step 0 (start the portal and the browser)", || {
        let portal = Portal::start()?;
        let browser = Browser::start(&portal.base())?;
        Ok((portal, browser, Shots::new()?))
    })
}

/// Logs in on `/login` with the demo user's password and the SMS code from the outbox.
/// With `shots`, saves the pages as the README shows them.
fn log_in(browser: &Browser, portal: &Portal, shots: Option<&Shots>) -> Result<()> {
    browser.goto("/login")?;
    ensure!(
        browser.heading()? == "Log in",
        "the login page: {}",
        browser.heading()?
    );
    browser.fill("username", USER)?;
    browser.fill("password", PASSWORD)?;
    if let Some(s) = shots {
        s.portal(browser, "1-login")?;
    }
    browser.press("Log in")?;
    ensure!(
        browser.path()? == "/login/sms",
        "after the password: {} ({:?})",
        browser.path()?,
        browser.error()?
    );
    browser.fill("code", &portal.latest_sms_code(USER)?)?;
    if let Some(s) = shots {
        s.portal(browser, "2-sms-code")?;
    }
    browser.press("Continue")?;
    ensure!(
        browser.heading()? == "GENERAL",
        "after the SMS code: {:?} ({:?})",
        browser.heading()?,
        browser.error()?
    );
    Ok(())
}

/// Starts an activation: TOKENS → Activate Pocket Pass → the name → Next.
fn start_activation(browser: &Browser, name: &str, shots: Option<&Shots>) -> Result<()> {
    browser.press("TOKENS")?;
    if let Some(s) = shots {
        s.portal(browser, "4-tokens")?;
    }
    browser.press("Activate Pocket Pass")?;
    let label = browser.text_of("label[for=name]")?;
    ensure!(
        label.contains("displayed on your device"),
        "the name field says {label:?}"
    );
    browser.fill("name", name)?;
    if let Some(s) = shots {
        s.portal(browser, "5-token-name")?;
    }
    browser.press("Next")
}

/// The browser's screenshot as camera frames: grey levels, as the camera source delivers.
/// The scanner spreads its costlier attempts over frames, as a camera sends many.
fn camera_frames(png: &[u8]) -> Result<Vec<LumaFrame>> {
    let grey = image::load_from_memory(png)
        .context("decoding the browser's screenshot")?
        .to_luma8();
    let (w, h) = (grey.width() as usize, grey.height() as usize);
    let frame = LumaFrame::new(w, h, grey.into_raw()).context("a frame of the screenshot")?;
    Ok(vec![frame; 12])
}

/// The code the app shows at `t` (the app's clock moved there, the screen refreshed).
fn app_code_at(h: &Harness, t: u64) -> String {
    h.set_time(t);
    h.app.tick();
    h.settle();
    h.shown_code()
}

/// Submits `code` on the login check page; returns the verdict shown.
fn login_check(browser: &Browser, code: &str) -> Result<String> {
    browser.goto("/check")?;
    browser.fill("username", USER)?;
    browser.fill("password", PASSWORD)?;
    browser.fill("code", code)?;
    browser.press("Log in")?;
    browser.text_of("#result")
}

/// The "More" page's facts by name.
fn fact<'a>(facts: &'a [(String, String)], name: &str) -> Result<&'a str> {
    facts
        .iter()
        .find(|(t, _)| t == name)
        .map(|(_, v)| v.as_str())
        .with_context(|| format!("no {name:?} on the More page: {facts:?}"))
}

#[test]
fn the_centres_five_steps_pair_the_app_with_the_portal_in_a_real_browser() {
    let (portal, browser, shots) = start();

    let h = step("step 1 (install the app)", || {
        let h = Harness::drawn(now());
        ensure!(
            h.screen() == Screen::Welcome,
            "first start shows {:?}",
            h.screen()
        );
        h.find("Install key");
        shots.app(&h, "1-welcome");
        Ok(h)
    });

    step("step 2 (log in with password and the SMS code)", || {
        log_in(&browser, &portal, Some(&shots))?;
        ensure!(
            browser.main_text()?.contains(USER),
            "GENERAL shows the user"
        );
        shots.portal(&browser, "3-general")?;
        Ok(())
    });

    let qr_page = step(
        "step 3 (activate a token on TOKENS: name, Next, QR code)",
        || {
            start_activation(&browser, TOKEN_NAME, Some(&shots))?;
            ensure!(
                browser.heading()? == "Scan the QR code",
                "after naming the token: {:?} ({:?})",
                browser.heading()?,
                browser.error()?
            );
            shots.portal(&browser, "6-qr-code")
        },
    );

    let app_expiry = step(
        "step 4 (install the key in the app: scan, PIN, code)",
        || {
            h.show_camera(camera_frames(&qr_page)?);
            h.press("Install key");
            ensure!(
                h.screen() == Screen::Add,
                "Install key shows {:?}",
                h.screen()
            );
            h.press("Use camera");
            ensure!(
                h.screen() == Screen::Found,
                "the camera, fed the browser's screenshot, found no key: {:?}; labels {:?}",
                h.screen(),
                h.labels()
            );
            // The name the user typed in the portal is the name the app shows.
            h.find(&format!("Token name: {TOKEN_NAME}"));
            let expiry = h
                .labels()
                .iter()
                .find_map(|l| l.strip_prefix("Expires ").map(str::to_owned))
                .with_context(|| format!("no expiry date shown: {:?}", h.labels()))?;
            shots.app(&h, "2-key-found");
            h.press("Install this key");
            ensure!(h.screen() == Screen::ChoosePin, "then {:?}", h.screen());
            h.type_into("New PIN", PIN);
            h.type_into("Confirm PIN", PIN);
            shots.app(&h, "3-choose-pin");
            h.press("Protect key");
            ensure!(
                h.screen() == Screen::Installed,
                "after the PIN: {:?}, notices {:?}",
                h.screen(),
                h.notices()
            );
            shots.app(&h, "4-key-installed");
            h.press("Continue");
            ensure!(
                h.screen() == Screen::Token,
                "Continue shows {:?}",
                h.screen()
            );
            h.find(&format!("Token {TOKEN_NAME}"));
            app_code_at(&h, now());
            shots.app(&h, "5-code");
            Ok(expiry)
        },
    );

    step(
        "step 5 (enter the app's code in the portal: a wrong one, then the right one)",
        || {
            browser.press("Next")?;
            ensure!(
                browser.heading()? == "Enter the code from the app",
                "after the QR code: {:?}",
                browser.heading()?
            );
            // A wrong code: one the app shows for none of the steps the portal accepts now.
            let t = now();
            let near: Vec<String> = [t - 30, t, t + 30].map(|t| app_code_at(&h, t)).into();
            let wrong = (0..)
                .map(|i| {
                    format!(
                        "{:06}",
                        (near[1].parse::<u32>().unwrap_or(0) + 1 + i) % 1_000_000
                    )
                })
                .find(|c| !near.contains(c))
                .expect("a code not shown");
            browser.fill("code", &wrong)?;
            browser.press("Activate")?;
            let error = browser.error()?.unwrap_or_default();
            ensure!(error.starts_with("Wrong code"), "a wrong code: {error:?}");
            shots.portal(&browser, "7-wrong-code")?;

            browser.fill("code", &app_code_at(&h, now()))?;
            browser.press("Activate")?;
            ensure!(
                browser.heading()? == "Pocket Pass is active",
                "the app's code: {:?} ({:?})",
                browser.heading()?,
                browser.error()?
            );
            let text = browser.main_text()?;
            ensure!(
                text.contains(&format!("\"{TOKEN_NAME}\" is active")),
                "{text}"
            );
            shots.portal(&browser, "8-active")?;
            Ok(())
        },
    );

    step(
        "step 6 (More: the token is active and expires two years after activation)",
        || {
            browser.press("Back to tokens")?;
            let row = browser.text_of("table.tokens tbody tr")?;
            ensure!(row.contains(TOKEN_NAME) && row.contains("active"), "{row}");
            browser.press("More")?;
            let facts = browser.facts()?;
            ensure!(fact(&facts, "Name")? == TOKEN_NAME, "{facts:?}");
            ensure!(fact(&facts, "State")? == "active", "{facts:?}");
            let activated = unix_of(fact(&facts, "Activated")?)?;
            let expires = unix_of(fact(&facts, "Expires")?)?;
            ensure!(expires - activated == VALIDITY, "two years: {facts:?}");
            // The app showed the date from the QR code (creation + two years); activation came
            // at most 15 minutes later, so the exact expiry is that day or, past midnight, the next.
            let shown = unix_of(&app_expiry)?;
            let day = expires.div_euclid(86_400) * 86_400;
            ensure!(
                day == shown || day == shown + 86_400,
                "the app showed {app_expiry}, the portal says {facts:?}"
            );
            shots.portal(&browser, "9-more")?;
            Ok(())
        },
    );

    step(
        "step 7 (the login check: password + the next code, once)",
        || {
            let next = app_code_at(&h, now() + 30);
            let verdict = login_check(&browser, &next)?;
            ensure!(verdict.starts_with("Access granted"), "{verdict}");
            shots.portal(&browser, "10-check-granted")?;
            let verdict = login_check(&browser, &next)?;
            ensure!(
                verdict.starts_with("Access denied") && verdict.contains("already used"),
                "the same code again: {verdict}"
            );
            shots.portal(&browser, "11-check-code-used")?;
            Ok(())
        },
    );

    step(
        "step 8 (two years and a day later: the token has expired, everywhere)",
        || {
            let offset = VALIDITY + 86_400;
            portal.set_clock_offset(offset)?;
            let later = now() + offset as u64;
            h.set_time(later);
            h.app.tick();
            h.settle();
            // The app locked itself meanwhile; the user unlocks it.
            if h.screen() == Screen::Unlock {
                h.type_into("PIN", PIN);
                h.press("Unlock");
            }
            ensure!(
                h.screen() == Screen::Token,
                "after unlocking: {:?}",
                h.screen()
            );
            let notices = h.notices();
            ensure!(
                notices
                    .first()
                    .is_some_and(|n| n.starts_with("This token has expired")),
                "the app: {notices:?}"
            );
            shots.app(&h, "6-expired");

            let verdict = login_check(&browser, &app_code_at(&h, later))?;
            ensure!(
                verdict.starts_with("Access denied") && verdict.contains("expired"),
                "an expired token at the login check: {verdict}"
            );
            shots.portal(&browser, "12-check-expired")?;

            // Two years of idleness ended the portal session too: log in again.
            log_in(&browser, &portal, None)?;
            browser.press("TOKENS")?;
            let row = browser.text_of("table.tokens tbody tr")?;
            ensure!(row.contains(TOKEN_NAME) && row.contains("expired"), "{row}");
            browser.press("More")?;
            let facts = browser.facts()?;
            ensure!(fact(&facts, "State")? == "expired", "{facts:?}");
            shots.portal(&browser, "13-more-expired")?;
            Ok(())
        },
    );
}

#[test]
fn failure_paths_in_the_browser_say_what_went_wrong() {
    let (portal, browser, shots) = start();

    step("failure 1 (a password reset is started)", || {
        browser.goto("/reset")?;
        browser.fill("username", USER)?;
        browser.press("Next")?;
        ensure!(
            browser.path()? == "/reset/sms",
            "the reset's SMS step: {} ({:?})",
            browser.path()?,
            browser.error()?
        );
        Ok(())
    });

    step("failure 2 (a wrong SMS code, then the right one)", || {
        browser.goto("/login")?;
        browser.fill("username", USER)?;
        browser.fill("password", PASSWORD)?;
        browser.press("Log in")?;
        let right = portal.latest_sms_code(USER)?;
        let wrong: String = right
            .chars()
            .map(|c| char::from(b'0' + (c as u8 - b'0' + 1) % 10))
            .collect();
        browser.fill("code", &wrong)?;
        browser.press("Continue")?;
        let error = browser.error()?.unwrap_or_default();
        ensure!(
            browser.path()? == "/login/sms" && !error.is_empty(),
            "a wrong SMS code: {} {error:?}",
            browser.path()?
        );
        shots.portal(&browser, "wrong-sms-code")?;
        browser.fill("code", &right)?;
        browser.press("Continue")?;
        ensure!(browser.heading()? == "GENERAL", "{:?}", browser.error()?);
        Ok(())
    });

    step(
        "failure 3 (activation during the password reset: the vague error)",
        || {
            start_activation(&browser, TOKEN_NAME, None)?;
            let error = browser.error()?.unwrap_or_default();
            ensure!(
                error == "Check your details to complete the login",
                "an activation while a reset is in progress: {error:?}"
            );
            shots.portal(&browser, "reset-conflict")?;
            Ok(())
        },
    );

    step(
        "failure 4 (an activation not finished within 15 minutes)",
        || {
            // Eleven minutes on, the reset has lapsed (10 minutes) and the activation starts.
            portal.set_clock_offset(11 * 60)?;
            start_activation(&browser, TOKEN_NAME, None)?;
            ensure!(
                browser.heading()? == "Scan the QR code",
                "after the reset lapsed: {:?} ({:?})",
                browser.heading()?,
                browser.error()?
            );
            // Sixteen minutes later the user comes back to it.
            portal.set_clock_offset(27 * 60)?;
            browser.press("Next")?;
            browser.fill("code", "123456")?;
            browser.press("Activate")?;
            let error = browser.error()?.unwrap_or_default();
            ensure!(
                error.contains("not finished within 15 minutes"),
                "a late code: {error:?}"
            );
            shots.portal(&browser, "activation-expired")?;
            // A new activation starts afresh.
            start_activation(&browser, TOKEN_NAME, None)?;
            ensure!(
                browser.heading()? == "Scan the QR code",
                "a new activation: {:?} ({:?})",
                browser.heading()?,
                browser.error()?
            );
            Ok(())
        },
    );
}

#[test]
fn the_more_page_lists_the_code_attempts_on_the_token() {
    let (portal, browser, _shots) = start();
    step("attempts 1 (log in and start an activation)", || {
        log_in(&browser, &portal, None)?;
        start_activation(&browser, TOKEN_NAME, None)?;
        ensure!(
            browser.heading()? == "Scan the QR code",
            "{:?}",
            browser.error()?
        );
        browser.press("Next")
    });
    step("attempts 2 (two codes refused at the activation)", || {
        for (code, minutes) in [("12", 1), ("1234", 2)] {
            // A minute apart, so the history's order is the order typed.
            portal.set_clock_offset(minutes * 60)?;
            browser.fill("code", code)?;
            browser.press("Activate")?;
            let error = browser.error()?.unwrap_or_default();
            ensure!(error.contains("must be 6 digits"), "{code}: {error:?}");
        }
        Ok(())
    });
    step(
        "attempts 3 (the More page lists them, newest first)",
        || {
            // The demo user's first token in a fresh database.
            browser.goto("/portal/tokens/1")?;
            ensure!(
                browser.heading()? == "Token details",
                "{:?}",
                browser.heading()?
            );
            let rows = browser.text_of("#attempts tbody")?;
            let rows: Vec<&str> = rows.lines().filter(|l| !l.trim().is_empty()).collect();
            ensure!(rows.len() == 2, "two attempts: {rows:?}");
            for row in &rows {
                ensure!(
                    row.contains("activation")
                        && row.contains("refused (code_malformed)")
                        && row.contains("127.0.0.1"),
                    "{row}"
                );
            }
            ensure!(rows[0] > rows[1], "newest first: {rows:?}");
            ensure!(
                !browser.main_text()?.contains("1234"),
                "the typed codes are not shown"
            );
            Ok(())
        },
    );
}

/// Issue 17: the clock check that `pocketpass clock --source URL` and the window's "Code not
/// accepted?" page run (`pocketpass::clock`), against the real portal with its test clock moved:
/// the app reads the portal's `Date` header and sees the move.
#[test]
fn the_apps_clock_check_sees_the_portals_moved_clock() {
    let portal = Portal::start().expect("the portal starts");
    let source = pocketpass::clock::Source::parse(&portal.base()).expect("the portal's address");
    let before = source
        .measure(pocketpass::clock::TIMEOUT)
        .expect("the portal answers");
    // Same machine, same clock: the Date header's whole seconds are within a second or two.
    assert!(
        before.offset_seconds.abs() <= 2,
        "{}",
        before.offset_seconds
    );
    portal
        .set_clock_offset(90)
        .expect("the test API moves the clock");
    let after = source
        .measure(pocketpass::clock::TIMEOUT)
        .expect("the portal answers");
    assert!(
        (88..=92).contains(&after.offset_seconds),
        "the portal is 90 s ahead: {}",
        after.offset_seconds
    );
}
