//! `pocketpass clock`: how far this device's clock is from a time source (issue 17).
//!
//! Needs no vault: it runs before the data folder is looked for, like `scan`.

use std::process::ExitCode;

use super::exit;
use crate::clock::{ClockError, Source, TIMEOUT};
use crate::text::escape_controls as safe;

/// Arguments of `pocketpass clock`.
#[derive(Debug, clap::Args)]
pub struct ClockArgs {
    /// Where to read the time: a portal's http:// address (as in a key's pocketpass_time) or
    /// ntp://HOST[:PORT]. Default: ntp://pool.ntp.org.
    #[arg(long, value_name = "URL|ntp://HOST")]
    pub source: Option<String>,
    /// Print {"offset_seconds": N, "source": "..."} instead of a sentence.
    #[arg(long)]
    pub json: bool,
}

/// The `--json` line.
#[derive(serde::Serialize)]
struct JsonLine {
    offset_seconds: i64,
    source: String,
}

/// Reads a `--source` (or the default NTP server).
pub(super) fn source_of(given: Option<&str>) -> Result<Source, super::CliError> {
    match given {
        None => Ok(Source::default_ntp()),
        Some(text) => {
            Source::parse(text).map_err(|e| super::CliError::new(exit::USAGE, e.to_string()))
        }
    }
}

/// The exit code of a failed measurement: [`exit::NETWORK`] when the source could not be
/// reached or gave no time, [`exit::USAGE`] when it was written wrongly.
pub(super) fn exit_code(e: &ClockError) -> u8 {
    if e.is_network() {
        exit::NETWORK
    } else {
        exit::USAGE
    }
}

/// Runs `pocketpass clock` and returns the process exit code.
pub fn run(args: &ClockArgs) -> ExitCode {
    let fail = |code: u8, message: &str| {
        eprintln!("pocketpass: {}", safe(message));
        ExitCode::from(code)
    };
    let source = match source_of(args.source.as_deref()) {
        Ok(source) => source,
        Err(e) => return fail(e.code, &e.message),
    };
    let measurement = match source.measure(TIMEOUT) {
        Ok(m) => m,
        Err(e) => return fail(exit_code(&e), &e.to_string()),
    };
    let mut out = std::io::stdout().lock();
    let written = if args.json {
        let line = JsonLine {
            offset_seconds: measurement.offset_seconds,
            source: measurement.source.spec(),
        };
        super::json_line(&mut out, &line)
    } else {
        super::line(&mut out, &measurement.summary())
    };
    match written {
        Ok(()) => ExitCode::from(exit::OK),
        Err(e) => fail(e.code, &e.message),
    }
}
