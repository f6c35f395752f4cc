//! Where PINs and passwords come from: standard input (`--pin-stdin`), read without the
//! standard library's read-ahead buffer, or the terminal without echo.

use zeroize::{Zeroize, Zeroizing};

use super::{exit, CliError};
use crate::otp;
use crate::vault::{self, Password, Pin};

/// The longest line `--pin-stdin` reads: room for any key link (see
/// [`otp::MAX_LINK_BYTES`]) and its line ending.
const MAX_SECRET_LINE: usize = otp::MAX_LINK_BYTES + 2;

/// Reads the next line of standard input (without its line ending), or `None` at its end.
///
/// The bytes come straight from the file descriptor, one at a time, into one zeroized buffer
/// reserved in advance: the standard library's `Stdin` reads ahead into an 8 KiB buffer of its
/// own that is never wiped, which would keep the PIN (and the lines after it) in memory until
/// the process ends, and a growing buffer would leave copies behind when it moves.
fn read_stdin_line() -> std::io::Result<Option<Zeroizing<String>>> {
    use std::io::Read;
    let mut input = raw_stdin()?;
    let mut line = Zeroizing::new(Vec::with_capacity(MAX_SECRET_LINE));
    let mut byte = [0u8; 1];
    loop {
        match input.read(&mut byte) {
            Ok(0) if line.is_empty() => return Ok(None),
            Ok(0) => break,
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) if line.len() == MAX_SECRET_LINE => {
                byte.zeroize();
                return Err(std::io::Error::other(format!(
                    "a line is longer than {MAX_SECRET_LINE} bytes"
                )));
            }
            Ok(_) => line.push(byte[0]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    byte.zeroize();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    // Moves the bytes into the String without a copy; the Vec left behind is empty.
    let text = String::from_utf8(std::mem::take(&mut *line)).map_err(|e| {
        let mut bytes = e.into_bytes();
        bytes.zeroize();
        std::io::Error::other("a line is not valid UTF-8")
    })?;
    Ok(Some(Zeroizing::new(text)))
}

/// Standard input as a file of its own (a duplicate of its descriptor), read without the
/// standard library's buffer.
fn raw_stdin() -> std::io::Result<std::fs::File> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        Ok(std::fs::File::from(
            std::io::stdin().as_fd().try_clone_to_owned()?,
        ))
    }
    #[cfg(windows)]
    {
        use std::os::windows::io::AsHandle;
        Ok(std::fs::File::from(
            std::io::stdin().as_handle().try_clone_to_owned()?,
        ))
    }
}

/// Where PINs and passwords come from: standard input (`--pin-stdin`) or the terminal.
pub(super) struct Secrets {
    /// True with `--pin-stdin`.
    pub(super) from_stdin: bool,
}

impl Secrets {
    pub(super) fn new(from_stdin: bool) -> Self {
        Self { from_stdin }
    }

    /// Reads one secret: the next line of standard input, or a prompt without echo.
    pub(super) fn read(&mut self, prompt: &str) -> Result<Zeroizing<String>, CliError> {
        if self.from_stdin {
            return match read_stdin_line() {
                Ok(Some(line)) => Ok(line),
                Ok(None) => Err(CliError::new(
                    exit::USAGE,
                    format!(
                        "standard input ended before the {} was given",
                        prompt.to_lowercase()
                    ),
                )),
                Err(e) => Err(CliError::new(
                    exit::USAGE,
                    format!("cannot read standard input: {e}"),
                )),
            };
        }
        rpassword::prompt_password(format!("{prompt}: "))
            .map(Zeroizing::new)
            .map_err(|_| {
                CliError::new(
                    exit::USAGE,
                    "no terminal to ask for the PIN on; pass it with --pin-stdin",
                )
            })
    }

    /// Reads a new PIN, checks the rules, and on a terminal asks for it twice.
    pub(super) fn new_pin(&mut self, prompt: &str) -> Result<Pin, CliError> {
        let rules = "at least 6 digits, not an obvious one";
        let first = self.read(&format!("{prompt} ({rules})"))?;
        // The rules first, so nobody repeats a PIN that is refused anyway.
        let pin = Pin::new_checked(&first)?;
        if self.from_stdin {
            return Ok(pin);
        }
        let again = self.read("Repeat the PIN")?;
        Ok(Pin::new_confirmed(&first, &again)?)
    }

    /// Reads a new backup password; on a terminal asks for it twice.
    pub(super) fn new_password(&mut self) -> Result<Password, CliError> {
        let first = self.read(&format!(
            "Backup password (at least {} characters; keep it apart from the backup)",
            vault::MIN_PASSWORD_CHARS
        ))?;
        let password = Password::new_checked(&first)?;
        if !self.from_stdin && *self.read("Repeat the backup password")? != *first {
            return Err(CliError::new(
                exit::BAD_INPUT,
                "the two passwords differ; type the same password twice",
            ));
        }
        Ok(password)
    }
}
