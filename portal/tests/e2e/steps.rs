//! Named steps, screenshots, and the few date calculations the checks need.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::app::Harness;
use crate::browser::Browser;

/// Runs one step of the walk; any failure inside (an error or a panic) fails the test with
/// the step's name first, e.g. "step 3 (activate a token in TOKENS): ...".
pub fn step<T>(name: &str, f: impl FnOnce() -> Result<T>) -> T {
    eprintln!("e2e: {name}");
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => value,
        Ok(Err(e)) => panic!("{name}: {e:#}"),
        Err(panic) => panic!("{name}: {}", panic_text(&*panic)),
    }
}

fn panic_text(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

/// Where the screenshots go: `docs/screenshots/` when `POCKETPASS_UPDATE_SCREENSHOTS=1`
/// (to refresh the README's pictures), otherwise a folder under Cargo's target directory, so
/// that a test run does not change tracked files.
pub struct Shots {
    dir: PathBuf,
}

impl Shots {
    /// The folder for this run, created if needed.
    pub fn new() -> Result<Shots> {
        let dir = if std::env::var_os("POCKETPASS_UPDATE_SCREENSHOTS").is_some_and(|v| v == "1") {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots")
        } else {
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("e2e-screenshots")
        };
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Shots { dir })
    }

    /// Saves the browser window as `portal-NAME.png`; returns the PNG.
    pub fn portal(&self, browser: &Browser, name: &str) -> Result<Vec<u8>> {
        let png = browser.screenshot()?;
        let path = self.dir.join(format!("portal-{name}.png"));
        std::fs::write(&path, &png).with_context(|| format!("writing {}", path.display()))?;
        Ok(png)
    }

    /// Saves the app's screen as `e2e-NAME.png`.
    pub fn app(&self, h: &Harness, name: &str) {
        h.save_screen(&self.dir.join(format!("e2e-{name}.png")));
    }
}

/// Seconds since the Unix epoch of an RFC 3339 UTC time as the portal writes it
/// (`2028-11-28T19:04:16Z`) or of a date (`2028-11-28`, at midnight).
pub fn unix_of(text: &str) -> Result<i64> {
    let bad = || format!("not a UTC time or date: {text:?}");
    let (date, time) = text.split_once('T').unwrap_or((text, "00:00:00Z"));
    let mut d = date.split('-').map(str::parse::<i64>);
    let (Some(Ok(y)), Some(Ok(m)), Some(Ok(day)), None) = (d.next(), d.next(), d.next(), d.next())
    else {
        anyhow::bail!(bad());
    };
    let mut t = time.trim_end_matches('Z').split(':').map(str::parse::<i64>);
    let (Some(Ok(hh)), Some(Ok(mm)), Some(Ok(ss)), None) = (t.next(), t.next(), t.next(), t.next())
    else {
        anyhow::bail!(bad());
    };
    Ok(days_from_civil(y, m, day) * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[test]
fn dates_read_as_the_portal_writes_them() {
    assert_eq!(unix_of("1970-01-01T00:00:00Z").unwrap(), 0);
    assert_eq!(unix_of("2001-09-09T01:46:40Z").unwrap(), 1_000_000_000);
    assert_eq!(unix_of("2000-02-29").unwrap(), 951_782_400);
    assert!(unix_of("soon").is_err());
}
