//! `pocketpass doctor`: for each account, the reasons a portal refuses a code that the app
//! can know about, most likely first, and what to do about each (issue 17).
//!
//! The order follows what the centre sees most: an activation never finished (Next and the
//! code in the portal), an expired token, a clock that is off, a code typed twice, an HOTP
//! counter out of step. Nothing here prints a key: only names, dates and offsets.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{json, Map, Value};

use super::{line, now, CliError, Secrets};
use crate::clock::{Source, TIMEOUT, TIME_PARAM};
use crate::otp::{expiry, Account, Expiry, Kind};

use crate::otp::ADDED_PARAM;

/// How long after installing a key an unfinished activation is the likely cause.
const RECENT_SECONDS: u64 = 24 * 3600;

/// A clock further off than this is reported as the problem: the portal accepts a step or so
/// either side, and 10 s leaves room for the second the measurement cannot tell.
const CLOCK_TOLERANCE: i64 = 10;

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

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Verdict {
    /// This is wrong and stops codes from being accepted.
    Problem,
    /// This may be the reason; the app cannot tell for sure.
    Possible,
    /// The app cannot tell; the advice says what to try.
    Unknown,
    /// Nothing wrong here.
    Fine,
}

impl Verdict {
    fn as_str(self) -> &'static str {
        match self {
            Verdict::Problem => "problem",
            Verdict::Possible => "possible",
            Verdict::Unknown => "unknown",
            Verdict::Fine => "ok",
        }
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
        object.insert("result".into(), self.verdict.as_str().into());
        object.insert("message".into(), self.message.clone().into());
        object.insert("advice".into(), self.advice.clone().into());
        object.extend(self.facts.clone());
        Value::Object(object)
    }
}

/// Measurements made once per source: several keys from one portal ask it once.
type Measured = HashMap<Source, Result<i64, String>>;

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

/// The checks of one account at Unix time `at`, most likely cause first.
fn checks(account: &Account, at: u64, fallback: &Source, measured: &mut Measured) -> Vec<Check> {
    let mut checks = vec![installed(account, at), expired(account, at)];
    match account.kind {
        Kind::Hotp { counter } => checks.push(
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
        ),
        Kind::Totp { .. } | Kind::Steam => {
            checks.push(clock(account, fallback, measured));
            let left = account.seconds_left(at).unwrap_or(0);
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
    }
    checks
}

const FINISH_ACTIVATION: &str =
    "In the portal, click Next and type the code shown now: the token is active only after that.";

/// 1. A key installed recently may belong to an activation that was never finished.
fn installed(account: &Account, at: u64) -> Check {
    let added = account
        .extra(ADDED_PARAM)
        .and_then(|t| t.parse::<u64>().ok());
    let Some(added) = added else {
        return Check::new(
            "installed_recently",
            Verdict::Unknown,
            "Cannot tell when this key was installed (it was added before Pocket Pass noted \
             that, imported, or installed in the window).",
        )
        .advice(format!("If you installed it just now: {FINISH_ACTIVATION}"));
    };
    let ago = at.saturating_sub(added);
    let check = if ago <= RECENT_SECONDS {
        Check::new(
            "installed_recently",
            Verdict::Possible,
            format!(
                "Installed {} ago: the activation may not be finished.",
                duration(ago)
            ),
        )
        .advice(FINISH_ACTIVATION)
    } else {
        Check::new(
            "installed_recently",
            Verdict::Fine,
            format!("Installed {} ago.", duration(ago)),
        )
    };
    check.fact("installed_unix", added)
}

/// 2. An expired token's codes are refused whatever they are.
fn expired(account: &Account, at: u64) -> Check {
    let date = account.extra("expires");
    let check = match (expiry::status(date, at), date) {
        (Expiry::Expired, Some(date)) => Check::new(
            "expired",
            Verdict::Problem,
            format!("The token expired on {date}."),
        )
        .advice(
            "Activate a new token in the portal (TOKENS, Activate Pocket Pass) and install its \
             key; the expired one cannot be renewed.",
        ),
        (Expiry::Soon(days), Some(date)) => Check::new(
            "expired",
            Verdict::Fine,
            format!("The token is valid until {date} ({days} days left)."),
        )
        .advice("Activate a new token in the portal before then."),
        (_, Some(date)) if expiry::parse_date(date).is_some() => Check::new(
            "expired",
            Verdict::Fine,
            format!("The token is valid until {date}."),
        ),
        _ => Check::new(
            "expired",
            Verdict::Unknown,
            "The key carries no expiry date.",
        )
        .advice("The portal's More on the token shows its dates."),
    };
    match date {
        Some(date) => check.fact("expires", date),
        None => check,
    }
}

/// 3. A device clock that is off makes every time-based code wrong.
fn clock(account: &Account, fallback: &Source, measured: &mut Measured) -> Check {
    let mut note = String::new();
    let source = match account.extra(TIME_PARAM).map(Source::parse) {
        Some(Ok(source)) => source,
        Some(Err(e)) => {
            note = format!(" (the key's portal address cannot be used: {e})");
            fallback.clone()
        }
        None => fallback.clone(),
    };
    let result = measured
        .entry(source.clone())
        .or_insert_with(|| {
            source
                .measure(TIMEOUT)
                .map(|m| m.offset_seconds)
                .map_err(|e| e.to_string())
        })
        .clone();
    let check = match result {
        Err(e) => Check::new(
            "clock",
            Verdict::Unknown,
            format!("Cannot measure the clock: {e}{note}"),
        )
        .advice("Compare this device's clock with a trusted one; it should agree to the second."),
        Ok(n) => {
            let summary = crate::clock::Measurement {
                offset_seconds: n,
                source: source.clone(),
            }
            .summary();
            if n.abs() > CLOCK_TOLERANCE {
                let way = if n > 0 { "later" } else { "earlier" };
                Check::new("clock", Verdict::Problem, format!("{summary}{note}")).advice(format!(
                    "Fix the clock: set it {} s {way}, or turn on automatic (network) time, \
                         then try a new code.",
                    n.abs()
                ))
            } else {
                Check::new("clock", Verdict::Fine, format!("{summary}{note}"))
            }
            .fact("offset_seconds", n)
        }
    };
    check.fact("source", source.spec())
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
