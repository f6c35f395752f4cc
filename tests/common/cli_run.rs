//! Runs the `pocketpass` binary as a user in a terminal would, for the test binaries that have
//! it (`cli`, `ui`; included with `#[path]`, since `CARGO_BIN_EXE_pocketpass` exists only where
//! the binary is built, with the `ui` feature).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs `pocketpass --data-dir DIR --pin-stdin ARGS...` with `stdin` as standard input.
pub fn pocketpass(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pocketpass"))
        .arg("--data-dir")
        .arg(dir)
        .arg("--pin-stdin")
        .args(args)
        .env_remove("POCKETPASS_DATA_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the pocketpass binary runs");
    // A command that fails before reading (no vault, wiped) closes its input early.
    let _ = child
        .stdin
        .take()
        .expect("piped")
        .write_all(stdin.as_bytes());
    child.wait_with_output().expect("it ends")
}
