//! `pocketpass scan`: decode QR codes from files, the screen or the camera (issue 4).
//!
//! The command's arguments are [`ScanArgs`]; [`run`] executes it and returns the process exit code
//! documented in DESIGN.md (0 every file held a code, 1 some did not, 2 usage errors).

use crate::scan::{self, Source, SourceError};
use crate::text::escape_controls as safe;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Arguments of `pocketpass scan`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Read QR codes from image files, the screen or the camera",
    after_help = "With --json, one line per file: {\"file\": PATH, \"ok\": bool, \"text\": TEXT or null, \
\"texts\": [...], \"ms\": decode milliseconds excluding file reading, \"error\": message or null}.\n\
Exit status: 0 when every file held a code, 1 when some did not, 2 on usage errors."
)]
pub struct ScanArgs {
    /// Image files to decode (PNG, JPEG, WebP).
    pub files: Vec<PathBuf>,
    /// Print one JSON object per file and line instead of the codes' texts.
    #[arg(long)]
    pub json: bool,
    /// Read every QR code shown on the screen(s).
    #[arg(long, conflicts_with = "camera")]
    pub screen: bool,
    /// Read the first QR code the camera sees.
    #[arg(long)]
    pub camera: bool,
    /// Which camera to use with --camera, by its index in the system's list (default: the first).
    #[arg(long, value_name = "INDEX", requires = "camera")]
    pub device: Option<u32>,
    /// How long --camera looks for a code before giving up.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 30.0,
        requires = "camera"
    )]
    pub timeout: f64,
}

/// One line of `--json` output.
#[derive(serde::Serialize)]
struct JsonLine<'a> {
    file: &'a str,
    ok: bool,
    text: Option<&'a str>,
    texts: &'a [String],
    ms: Option<f64>,
    error: Option<String>,
}

/// Writes one result, as JSON or as plain text; `label` prefixes plain lines when there are
/// several inputs.
fn report(
    json: bool,
    label: Option<&str>,
    name: &str,
    result: &Result<Vec<String>, SourceError>,
    ms: Option<f64>,
) {
    let mut out = std::io::stdout().lock();
    if json {
        let (texts, error) = match result {
            Ok(texts) if texts.is_empty() => (
                &[][..],
                Some(SourceError::NoCode(name.to_owned()).to_string()),
            ),
            Ok(texts) => (&texts[..], None),
            Err(e) => (&[][..], Some(e.to_string())),
        };
        let line = JsonLine {
            file: name,
            ok: error.is_none(),
            text: texts.first().map(String::as_str),
            texts,
            ms,
            error,
        };
        // A failed write (a closed pipe) has nobody left to tell.
        let _ = super::json_line(&mut out, &line);
        return;
    }
    // What a QR code holds is anyone's text: never let its control characters reach the
    // terminal.
    match result {
        Ok(texts) if !texts.is_empty() => {
            for text in texts {
                let _ = match label {
                    Some(l) => writeln!(out, "{}: {}", safe(l), safe(text)),
                    None => writeln!(out, "{}", safe(text)),
                };
            }
        }
        Ok(_) => eprintln!(
            "pocketpass scan: {}",
            safe(&SourceError::NoCode(name.to_owned()).to_string())
        ),
        Err(e) => eprintln!("pocketpass scan: {}", safe(&e.to_string())),
    }
}

/// Runs `pocketpass scan`.
pub fn run(args: &ScanArgs) -> ExitCode {
    let sources =
        usize::from(args.screen) + usize::from(args.camera) + usize::from(!args.files.is_empty());
    if sources != 1 {
        eprintln!("pocketpass scan: give image files, or --screen, or --camera (one of them)");
        return ExitCode::from(2);
    }
    if args.screen || args.camera {
        let (source, name) = if args.screen {
            (Source::Screen, "screen")
        } else {
            if !(args.timeout.is_finite() && args.timeout >= 0.0) {
                eprintln!("pocketpass scan: --timeout takes a number of seconds");
                return ExitCode::from(2);
            }
            let timeout = Duration::from_secs_f64(args.timeout.min(86_400.0));
            (
                Source::Camera {
                    index: args.device,
                    timeout,
                },
                "camera",
            )
        };
        let start = Instant::now();
        let result = scan::read_texts(&source);
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        let ok = matches!(&result, Ok(t) if !t.is_empty());
        report(args.json, None, name, &result, Some(ms));
        return if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        };
    }
    let several = args.files.len() > 1;
    let mut all_ok = true;
    for path in &args.files {
        let name = path.display().to_string();
        let (result, ms) = match scan::load_image_file(path) {
            Ok(frame) => {
                let start = Instant::now();
                let texts = scan::frame_texts(&frame, &name);
                (texts, Some(start.elapsed().as_secs_f64() * 1000.0))
            }
            Err(e) => (Err(e), None),
        };
        all_ok &= matches!(&result, Ok(t) if !t.is_empty());
        report(
            args.json,
            several.then_some(name.as_str()),
            &name,
            &result,
            ms,
        );
    }
    if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
