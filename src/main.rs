//! The `pocketpass` binary: parses the command line and runs a terminal command or opens the GUI.
fn main() -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}
