//! The `pocketpass` binary: parses the command line and runs a terminal command or opens the GUI.
use clap::Parser;

fn main() -> std::process::ExitCode {
    // iOS: logs to the unified log, the vault kept out of backups (issue 7), and Slint's
    // backend chosen, or a clear error when it was left out (issue 16); see ios/README.md.
    #[cfg(target_os = "ios")]
    {
        pocketpass::platform::ios::init_logging();
        pocketpass::platform::ios::prepare_default_data_dir();
        if let Err(e) = pocketpass::platform::ios::select_slint_backend() {
            tracing::error!("{e}");
            eprintln!("pocketpass: {e}");
            return std::process::ExitCode::FAILURE;
        }
    }
    pocketpass::cli::run(pocketpass::cli::Cli::parse())
}
