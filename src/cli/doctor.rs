//! `pocketpass doctor`: for each account, the reasons a portal refuses a code that the app
//! can know about, most likely first, and what to do about each (issue 17).
//!
//! The checks themselves are [`crate::clock::diagnose`]'s, shared with the window's "Code not
//! accepted?" page; this puts them into words for the terminal. Nothing here prints a key: only
//! names, dates and offsets.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{json, Map, Value};

use super::{line, now, CliError, Secrets};
use crate::clock::diagnose::{diagnose, ClockCheck, Diagnosis, Expires, Installed, Verdict};
use crate::clock::{ClockError, Source, TIMEOUT};
use crate::otp::{Account, Kind};

/// Arguments of `pocketpass doctor`.
#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// The time source for keys that name no portal (no pocketpass_time): ntp://HOST[:PORT] or
    /// an http:// address. Default: ntp://pool.ntp.org.
    #[arg(long, value_name = "URL|ntp://HOST")]
    pub source: Option<String>,
    /// Print a JSON array, one object per account with its checks' results.
    #[arg(long)]
    pub json: bool,
}

/// The verdict as `--json` writes it.
fn verdict_str(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Problem => "problem",
        Verdict::Possible => "possible",
        Verdict::Unknown => "unknown",
        Verdict::Fine => "ok",
    }
}

/// One check's result.
struct Check {
    id: &'static str,
    verdict: Verdict,
    message: String,
    advice: Option<String>,
    /// Facts for `--json` besides the words (offsets, dates, seconds).
    facts: Map<String, Value>,
}

impl Check {
    fn new(id: &'static str, verdict: Verdict, message: impl Into<String>) -> Self {
        Check {
            id,
            verdict,
            message: message.into(),
            advice: None,
            facts: Map::new(),
        }
    }

    fn advice(mut self, advice: impl Into<String>) -> Self {
        self.advice = Some(advice.into());
        self
    }

    fn fact(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.facts.insert(key.to_owned(), value.into());
        self
    }

    fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("check".into(), self.id.into());
        object.insert("result".into(), verdict_str(self.verdict).into());
        object.insert("message".into(), self.message.clone().into());
        object.insert("advice".into(), self.advice.clone().into());
        object.extend(self.facts.clone());
        Value::Object(object)
    }
}

/// Measurements made once per source: several keys from one portal ask it once.
type Measured = HashMap<Source, Result<i64, ClockError>>;

/// Runs `pocketpass doctor`: unlocks the vault and writes the report to `out`.
pub(super) fn run(
    dir: &Path,
    args: &DoctorArgs,
    secrets: &mut Secrets,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    // A wrong --source is a usage error before the PIN is asked for.
    let fallback = super::clock::source_of(args.source.as_deref())?;
    let mut vault = super::unlock(dir, secrets)?;
    let at = now();
    let mut measured = Measured::new();
    let mut report = Vec::new();
    for account in vault.accounts() {
        report.push((account, checks(account, at, &fallback, &mut measured)));
    }
    if args.json {
        let array: Vec<Value> = report
            .iter()
            .map(|(account, checks)| {
                json!({
                    "account": account.display_name(),
                    "kind": kind_name(account.kind),
                    "checks": checks.iter().map(Check::to_json).collect::<Vec<_>>(),
                })
            })
            .collect();
        super::json_line(out, &array)?;
    } else if report.is_empty() {
        line(out, "no accounts installed; add one with `pocketpass add`")?;
    } else {
        for (i, (account, checks)) in report.iter_mut().enumerate() {
            if i > 0 {
                line(out, "")?;
            }
            line(out, &account.display_name())?;
            // What is wrong first, then what may be, then the rest.
            checks.sort_by_key(|c| c.verdict);
            for check in checks.iter() {
                let label = match check.verdict {
                    Verdict::Problem => "PROBLEM",
                    Verdict::Possible => "maybe",
                    Verdict::Unknown => "cannot tell",
                    Verdict::Fine => "ok",
                };
                line(out, &format!("  {label}: {}", check.message))?;
                if let Some(advice) = &check.advice {
                    line(out, &format!("    what to do: {advice}"))?;
                }
            }
        }
    }
    super::warn_unflushed(&mut vault);
    Ok(())
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Totp { .. } => "totp",
        Kind::Hotp { .. } => "hotp",
        Kind::Steam => "steam",
    }
}

/// The checks of one account at Unix time `at`, most likely cause first, in words.
fn checks(account: &Account, at: u64, fallback: &Source, measured: &mut Measured) -> Vec<Check> {
    let mut found = diagnose(account, at, fallback);
    if found.clock.is_some() {
        // Several keys from one portal ask it once.
        let offset = measured
            .entry(found.time_source.clone())
            .or_insert_with(|| found.time_source.measure(TIMEOUT).map(|m| m.offset_seconds))
            .clone();
        found.clock = Some(match offset {
            Ok(n) => ClockCheck::Offset(n),
            Err(e) => ClockCheck::Failed(e),
        });
    }
    let mut checks = vec![installed(&found), expired(&found)];
    if let Some(counter) = found.hotp_counter {
        checks.push(
            Check::new(
                "hotp_counter",
                Verdict::Unknown,
                format!(
                    "This is a counter-based (HOTP) key at counter {counter}: the clock does not \
                     matter, but each code is accepted once and in order."
                ),
            )
            .advice(
                "Take the next code (`pocketpass code NAME` moves the counter on) and type it. If \
                 codes were taken without being used, the service's counter has fallen behind: \
                 use the portal's resync (where it has one: type two codes in a row), or \
                 activate a new token.",
            )
            .fact("counter", counter),
        );
    }
    if let Some(check) = clock(&found) {
        checks.push(check);
    }
    if let Some(left) = found.seconds_left {
        checks.push(
            Check::new(
                "code_reused",
                Verdict::Unknown,
                "The portal accepts each code once: a code typed a second time is refused.",
            )
            .advice(format!(
                "If you already typed the code shown now, wait {left} s for the next one \
                 and type that."
            ))
            .fact("seconds_left", left),
        );
    }
    checks
}

const FINISH_ACTIVATION: &str =
    "In the portal, click Next and type the code shown now: the token is active only after that.";

/// 1. A key installed recently may belong to an activation that was never finished.
fn installed(found: &Diagnosis) -> Check {
    let verdict = found.installed_verdict();
    let Installed::At { unix, ago } = found.installed else {
        return Check::new(
            "installed_recently",
            verdict,
            "Cannot tell when this key was installed (it was added before Pocket Pass noted \
             that, or imported).",
        )
        .advice(format!("If you installed it just now: {FINISH_ACTIVATION}"));
    };
    let check = if verdict == Verdict::Possible {
        Check::new(
            "installed_recently",
            verdict,
            format!(
                "Installed {} ago: the activation may not be finished.",
                duration(ago)
            ),
        )
        .advice(FINISH_ACTIVATION)
    } else {
        Check::new(
            "installed_recently",
            verdict,
            format!("Installed {} ago.", duration(ago)),
        )
    };
    check.fact("installed_unix", unix)
}

/// 2. An expired token's codes are refused whatever they are.
fn expired(found: &Diagnosis) -> Check {
    let verdict = found.expires_verdict();
    let (check, date) = match &found.expires {
        Expires::Expired(date) => (
            Check::new("expired", verdict, format!("The token expired on {date}.")).advice(
                "Activate a new token in the portal (TOKENS, Activate Pocket Pass) and install \
                 its key; the expired one cannot be renewed.",
            ),
            Some(date),
        ),
        Expires::Soon { date, days } => (
            Check::new(
                "expired",
                verdict,
                format!("The token is valid until {date} ({days} days left)."),
            )
            .advice("Activate a new token in the portal before then."),
            Some(date),
        ),
        Expires::Until(date) => (
            Check::new(
                "expired",
                verdict,
                format!("The token is valid until {date}."),
            ),
            Some(date),
        ),
        Expires::NoDate => (
            Check::new("expired", verdict, "The key carries no expiry date.")
                .advice("The portal's More on the token shows its dates."),
            None,
        ),
    };
    match date {
        Some(date) => check.fact("expires", date.as_str()),
        None => check,
    }
}

/// 3. A device clock that is off makes every time-based code wrong (`None` for HOTP keys).
fn clock(found: &Diagnosis) -> Option<Check> {
    let verdict = found.clock_verdict()?;
    let source = &found.time_source;
    let note = found
        .time_source_unusable
        .as_ref()
        .map(|e| format!(" (the key's portal address cannot be used: {e})"))
        .unwrap_or_default();
    let check = match found.clock.as_ref()? {
        ClockCheck::NotMeasured => Check::new("clock", verdict, "The clock was not measured."),
        ClockCheck::Failed(e) => Check::new(
            "clock",
            verdict,
            format!("Cannot measure the clock: {e}{note}"),
        )
        .advice("Compare this device's clock with a trusted one; it should agree to the second."),
        &ClockCheck::Offset(n) => {
            let summary = crate::clock::Measurement {
                offset_seconds: n,
                source: source.clone(),
            }
            .summary();
            if verdict == Verdict::Problem {
                let way = if n > 0 { "later" } else { "earlier" };
                Check::new("clock", verdict, format!("{summary}{note}")).advice(format!(
                    "Fix the clock: set it {} s {way}, or turn on automatic (network) time, \
                     then try a new code.",
                    n.abs()
                ))
            } else {
                Check::new("clock", verdict, format!("{summary}{note}"))
            }
            .fact("offset_seconds", n)
        }
    };
    Some(check.fact("source", source.spec()))
}

/// A span of seconds in words, to the minute, hour or day.
fn duration(seconds: u64) -> String {
    match seconds {
        s if s < 120 => format!("{s} s"),
        s if s < 2 * 3600 => format!("{} minutes", s / 60),
        s if s < 2 * 86_400 => format!("{} hours", s / 3600),
        s => format!("{} days", s / 86_400),
    }
}
