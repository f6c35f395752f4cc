//! The `pocketpass` binary: parses the command line and runs a terminal command or opens the GUI.
use clap::Parser;

fn main() -> std::process::ExitCode {
    pocketpass::cli::run(pocketpass::cli::Cli::parse())
}
