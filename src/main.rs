//! The `pocketpass` binary: parses the command line and runs a terminal command or opens the GUI.
use clap::Parser;

fn main() -> std::process::ExitCode {
    // iOS keeps the vault out of backups (issue 7); see ios/README.md.
    #[cfg(target_os = "ios")]
    pocketpass::platform::ios::prepare_default_data_dir();
    pocketpass::cli::run(pocketpass::cli::Cli::parse())
}
