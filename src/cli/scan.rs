//! `pocketpass scan`: decode QR codes from files, the screen or the camera (issue 4).
//!
//! The command's arguments are [`ScanArgs`]; [`run`] executes it and returns the process exit code
//! documented in DESIGN.md (0 every file held a code, 1 some did not, 2 usage errors).

/// Arguments of `pocketpass scan` (being built).
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Image files to decode (PNG, JPEG, WebP).
    pub files: Vec<std::path::PathBuf>,
}

/// Runs `pocketpass scan` (being built).
pub fn run(_args: &ScanArgs) -> std::process::ExitCode {
    eprintln!("pocketpass scan: not built yet");
    std::process::ExitCode::from(2)
}
