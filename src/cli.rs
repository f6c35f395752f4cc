//! Terminal commands: `pocketpass add | list | code | remove | rename | change-pin | export |
//! import | scan | clock | doctor` (import and export in `cli/transfer.rs`, the "code refused?"
//! commands in `cli/clock.rs` and `cli/doctor.rs`).
//!
//! This is an adapter: it reads arguments and PINs, calls [`crate::otp`] and [`crate::vault`],
//! and turns their errors into messages and the exit codes documented in `--help`.

mod argv;
pub mod clock;
pub mod doctor;
pub mod package_files;
pub mod scan;
mod secrets;
mod transfer;

use secrets::Secrets;

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Parser, Subcommand};
use zeroize::Zeroizing;

use crate::otp::{self, KeyLink, Kind, OtpError};
use crate::text::{escape_controls as safe, escape_json_for_terminal};
use crate::vault::{self, Pin, PinError, Vault, VaultError};

/// Exit codes, documented in `--help` and docs/user-guide.md; scripts rely on them.
pub mod exit {
    /// The command did what was asked.
    pub const OK: u8 = 0;
    /// Something failed that none of the codes below describes (an I/O error, say).
    pub const FAILURE: u8 = 1;
    /// The command line is wrong (unknown option, missing argument, no terminal for a prompt).
    pub const USAGE: u8 = 2;
    /// Wrong PIN or backup password; tries remain.
    pub const WRONG_PIN: u8 = 3;
    /// The keys were wiped after too many wrong PINs.
    pub const WIPED: u8 = 4;
    /// No vault yet, or no account by that name.
    pub const NOT_FOUND: u8 = 5;
    /// Bad input: not a key, a weak PIN, a taken or ambiguous name.
    pub const BAD_INPUT: u8 = 6;
    /// The vault or backup is damaged, tampered with, or from a newer Pocket Pass.
    pub const DAMAGED: u8 = 7;
    /// `clock`: the time source could not be reached in time, or gave no usable time.
    pub const NETWORK: u8 = 8;
}

const EXIT_CODES_HELP: &str = "\
Exit status: 0 success; 1 other failure (e.g. I/O); 2 usage error; 3 wrong PIN or backup \
password (tries remain); 4 keys wiped after 10 wrong PINs; 5 no vault or no such account; \
6 bad input (not a key, weak PIN, taken or ambiguous name); 7 damaged, tampered or newer-version \
file; 8 (clock) the time source could not be reached or gave no time. `scan` has its own: 0 every file held a code, 1 some did not, 2 usage error.

With --pin-stdin, secrets are read one per line from standard input, in the order the command \
needs them: the PIN (once, also for a new vault), then the new PIN (change-pin), the backup \
password (export, import of a Pocket Pass backup), the file's password (import of an encrypted \
export from another app), or the new file's password twice (export --format aegis).";

/// Pocket Pass: one-time codes for your HPC centre's logins, with keys kept under a PIN.
#[derive(Debug, Parser)]
#[command(name = "pocketpass", version, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    /// Where the vault lives (default: the platform's data folder, e.g. ~/.local/share/pocketpass).
    #[arg(long, global = true, env = "POCKETPASS_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Read PINs and passwords from standard input, one per line, instead of the terminal.
    #[arg(long, global = true)]
    pub pin_stdin: bool,
    /// The command; without one the app's window opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The terminal commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Install a key from an otpauth:// or otpauth-migration:// link, or from a QR code in an
    /// image, on the screen or before the camera (creates the vault, asking for a new PIN, the
    /// first time).
    Add {
        /// The link, as the portal's QR code holds it (quote it: it contains '&'). Leave it out
        /// to paste it at a hidden prompt, which keeps the key out of your shell's history; with
        /// --pin-stdin the link is then the first line of standard input.
        uri: Option<String>,
        /// Read the QR code from this image file (PNG, JPEG, WebP).
        #[arg(long, value_name = "FILE", conflicts_with_all = ["uri", "screen", "camera"])]
        scan: Option<PathBuf>,
        /// Read the QR code shown on the screen.
        #[arg(long, conflicts_with_all = ["uri", "camera"])]
        screen: bool,
        /// Read the QR code the camera sees.
        #[arg(long, conflicts_with = "uri")]
        camera: bool,
        /// How long --camera looks for a code.
        #[arg(
            long,
            value_name = "SECONDS",
            default_value_t = 30,
            requires = "camera"
        )]
        timeout: u64,
    },
    /// List the installed accounts.
    List,
    /// Print the current code of an account, alone on standard output.
    Code {
        /// The account ("Issuer: name", "Issuer:name" or the name alone); optional with one
        /// account.
        name: Option<String>,
        /// Print the code for this moment instead of now (seconds since 1970-01-01 UTC).
        #[arg(long, value_name = "UNIX_SECONDS")]
        at: Option<u64>,
    },
    /// Remove an account (asks for confirmation on a terminal).
    Remove {
        /// The account.
        name: String,
        /// Do not ask for confirmation.
        #[arg(long, short)]
        yes: bool,
    },
    /// Rename an account.
    Rename {
        /// The account's current name.
        old: String,
        /// Its new name.
        new: String,
    },
    /// Change the PIN.
    ChangePin,
    /// Write every account to a file: an encrypted Pocket Pass backup (the default), or an
    /// export for another authenticator app.
    Export {
        /// What to write: a Pocket Pass backup, an Aegis vault (encrypted under a password of
        /// its own), Google Authenticator transfer QR codes (PNG files in the folder PATH), or
        /// plain otpauth:// links (readable by anyone: written only after a warning).
        #[arg(long, value_enum, default_value_t = transfer::ExportFormat::Pocketpass)]
        format: transfer::ExportFormat,
        /// With --format aegis: write the Aegis vault unencrypted (after a warning).
        #[arg(long)]
        unencrypted: bool,
        /// The file to write (a folder for google-qr). An export never replaces a file, except
        /// a Pocket Pass backup by a new one.
        file: PathBuf,
    },
    /// Add the accounts of a Pocket Pass backup or of another app's export (Aegis, 2FAS,
    /// andOTP, Authenticator Pro, FreeOTP+, Bitwarden, Proton Authenticator, Ente Auth, Google
    /// Authenticator transfer links, otpauth:// lists); the kind of file is detected.
    Import {
        /// Show what importing would do (new, already here, not importable, and why) without
        /// changing anything.
        #[arg(long)]
        dry_run: bool,
        /// The file to read.
        file: PathBuf,
    },
    /// Read QR codes from image files, the screen or the camera.
    Scan(scan::ScanArgs),
    /// Show how far this device's clock is from a portal or an NTP server (a clock that is off
    /// makes the portal refuse codes). Needs no PIN.
    Clock(clock::ClockArgs),
    /// Code refused? Check each account for the reasons the app can know (activation not
    /// finished, expired token, clock off, code typed twice, HOTP counter) and say what to do.
    Doctor(doctor::DoctorArgs),
    /// Write the man pages and shell completions the Debian package installs (for
    /// scripts/package-deb.sh; hidden from --help).
    #[command(hide = true)]
    PackageFiles(package_files::PackageFilesArgs),
}

/// An error on its way to the terminal: the message and the exit code.
#[derive(Debug)]
pub struct CliError {
    /// The exit code (see [`exit`]).
    pub code: u8,
    /// What happened and what to do, in the user's words.
    pub message: String,
}

impl CliError {
    fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl From<VaultError> for CliError {
    fn from(e: VaultError) -> Self {
        let code = match &e {
            VaultError::WrongPin { .. } | VaultError::WrongPassword => exit::WRONG_PIN,
            VaultError::Wiped(_) => exit::WIPED,
            VaultError::NotFound(_) | VaultError::NoSuchAccount(_) => exit::NOT_FOUND,
            VaultError::Pin(_)
            | VaultError::WeakPassword(_)
            | VaultError::Account(_)
            | VaultError::Duplicate(_)
            | VaultError::Ambiguous { .. }
            | VaultError::AlreadyExists(_) => exit::BAD_INPUT,
            VaultError::NotAVault(_)
            | VaultError::Corrupt(_)
            | VaultError::UnsafeKdf { .. }
            | VaultError::UnsupportedVersion { .. }
            | VaultError::WrongKind(..) => exit::DAMAGED,
            VaultError::Io { .. }
            | VaultError::NotFlushed { .. }
            | VaultError::Busy
            | VaultError::ChangedElsewhere
            | VaultError::VerifyFailed(_) => exit::FAILURE,
        };
        Self::new(code, e.to_string())
    }
}

impl From<OtpError> for CliError {
    fn from(e: OtpError) -> Self {
        Self::new(exit::BAD_INPUT, e.to_string())
    }
}

impl From<PinError> for CliError {
    fn from(e: PinError) -> Self {
        Self::new(exit::BAD_INPUT, e.to_string())
    }
}

/// Runs a parsed command line and returns the process exit code. Without a command, the
/// app's window opens ([`crate::ui::run`]).
pub fn run(cli: Cli) -> ExitCode {
    let Some(command) = cli.command else {
        let Some(dir) = cli.data_dir.clone().or_else(vault::default_data_dir) else {
            eprintln!("pocketpass: no data folder on this system; give one with --data-dir DIR");
            return ExitCode::from(exit::USAGE);
        };
        return match crate::ui::run(crate::ui::Config::new(dir)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("pocketpass: cannot open the window ({e}); the terminal commands still work (pocketpass --help)");
                ExitCode::FAILURE
            }
        };
    };
    if let Command::Scan(args) = &command {
        return scan::run(args);
    }
    if let Command::Clock(args) = &command {
        return clock::run(args);
    }
    if let Command::PackageFiles(args) = &command {
        return package_files::run(args);
    }
    let dir = match cli.data_dir.clone().or_else(vault::default_data_dir) {
        Some(dir) => dir,
        None => {
            eprintln!("pocketpass: no data folder on this system; give one with --data-dir DIR");
            return ExitCode::from(exit::USAGE);
        }
    };
    // A key link given on the command line is readable by the user's other processes (and
    // root) through /proc while the PIN prompt waits: overwrite our copy of it now.
    if let Command::Add { uri: Some(uri), .. } = &command {
        argv::scrub_argument(uri);
    }
    let mut secrets = Secrets::new(cli.pin_stdin);
    match execute(command, &dir, &mut secrets) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pocketpass: {}", safe(&e.message));
            ExitCode::from(e.code)
        }
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The time codes are for: now, or the corrected time when this device's user chose it on the
/// window's "Code not accepted?" page (said on stderr, so the window and the terminal agree).
fn code_time(dir: &Path) -> u64 {
    match crate::clock::device::DeviceClock::load(dir) {
        Ok(settings) => {
            if let Some(n) = settings.corrected_seconds {
                let way = if n < 0 { "earlier" } else { "later" };
                eprintln!(
                    "note: the code is for the corrected time, {} s {way} than this device's \
                     clock (turn it off on the window's \"Code not accepted?\" page, or fix the \
                     clock)",
                    n.unsigned_abs()
                );
            }
            settings.code_time(now())
        }
        Err(e) => {
            eprintln!("warning: {e}");
            now()
        }
    }
}

fn execute(command: Command, dir: &Path, secrets: &mut Secrets) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match command {
        Command::Add {
            uri,
            scan,
            screen,
            camera,
            timeout,
        } => {
            let source = match (scan, screen, camera) {
                (Some(file), _, _) => Some(crate::scan::Source::File(file)),
                (None, true, _) => Some(crate::scan::Source::Screen),
                (None, false, true) => Some(crate::scan::Source::Camera {
                    index: None,
                    timeout: std::time::Duration::from_secs(timeout),
                }),
                _ => None,
            };
            let links = match (source, uri) {
                (Some(source), _) => scanned_key_links(&source)?,
                (None, Some(uri)) => {
                    // The link holds the secret: wipe our copy once it is parsed.
                    let uri = Zeroizing::new(uri);
                    vec![otp::parse_key_link(&uri)?]
                }
                (None, None) => vec![otp::parse_key_link(&secrets.read("Paste the key link")?)?],
            };
            let mut vault = open_or_create(dir, secrets)?;
            match <[KeyLink; 1]>::try_from(links) {
                Ok([KeyLink::Account(mut account)]) => {
                    // When it was installed, for `doctor` (a fresh key's activation may not be
                    // finished). Only here: an imported key's install time is unknown.
                    account.mark_added(now());
                    let name = account.display_name();
                    vault.add(account)?;
                    line(&mut out, &format!("added {name}"))?;
                    warn_unflushed(&mut vault);
                }
                Ok([KeyLink::Migration(part)]) => {
                    let report = vault.merge(part.accounts)?;
                    line(&mut out, &describe_import(&report))?;
                    warn_unflushed(&mut vault);
                    if part.batch_size > 1 {
                        line(
                            &mut out,
                            &format!(
                                "this was part {} of {} of the export; add the other parts too",
                                part.batch_index + 1,
                                part.batch_size
                            ),
                        )?;
                    }
                }
                Err(several) => {
                    // Several keys in view (a screen, an export over several codes): add them
                    // all, skipping any already installed.
                    let accounts = several
                        .into_iter()
                        .flat_map(|p| match p {
                            KeyLink::Account(a) => vec![a],
                            KeyLink::Migration(part) => part.accounts,
                        })
                        .collect();
                    let report = vault.merge(accounts)?;
                    line(&mut out, &describe_import(&report))?;
                    warn_unflushed(&mut vault);
                }
            }
        }
        Command::List => {
            let mut vault = unlock(dir, secrets)?;
            if vault.accounts().is_empty() {
                line(&mut out, "no accounts installed")?;
            }
            for account in vault.accounts() {
                let kind = match account.kind {
                    Kind::Totp { period } => format!("TOTP, {period} s"),
                    Kind::Hotp { counter } => format!("HOTP, counter {counter}"),
                    Kind::Steam => "Steam Guard, 30 s".to_owned(),
                };
                let mut details =
                    format!("({kind}, {}, {} digits)", account.algorithm, account.digits);
                if let Some(label) = &account.label_issuer {
                    details.push_str(&format!(" label issuer: {label}"));
                }
                if let Some(expires) = account.extra("expires") {
                    details.push_str(&format!(" expires {expires}"));
                }
                columns(&mut out, &[&account.display_name(), &details])?;
            }
            warn_unflushed(&mut vault);
        }
        Command::Code { name, at } => {
            let mut vault = unlock(dir, secrets)?;
            let index = match name {
                Some(name) => vault.find(&name)?,
                None => match vault.accounts().len() {
                    1 => 0,
                    0 => {
                        return Err(CliError::new(
                            exit::NOT_FOUND,
                            "no accounts installed; add one with `pocketpass add`",
                        ))
                    }
                    _ => {
                        let names: Vec<String> =
                            vault.accounts().iter().map(|a| a.display_name()).collect();
                        return Err(CliError::new(
                            exit::BAD_INPUT,
                            format!(
                                "several accounts are installed; name one: {}",
                                names.join(", ")
                            ),
                        ));
                    }
                },
            };
            let code = vault.code(index, at.unwrap_or_else(|| code_time(dir)))?;
            line(&mut out, code.as_str())?;
            warn_unflushed(&mut vault);
        }
        Command::Remove { name, yes } => {
            let mut vault = unlock(dir, secrets)?;
            let index = vault.find(&name)?;
            let shown = vault.accounts()[index].display_name();
            if !yes && std::io::stdin().is_terminal() && !secrets.from_stdin {
                eprint!(
                    "Remove {shown}? Its codes cannot be shown again without the portal. [y/N] "
                );
                let mut answer = String::new();
                std::io::stdin().lock().read_line(&mut answer).ok();
                if !answer.trim().eq_ignore_ascii_case("y") {
                    return Err(CliError::new(exit::FAILURE, "nothing removed"));
                }
            }
            vault.remove(&shown)?;
            line(&mut out, &format!("removed {shown}"))?;
            warn_unflushed(&mut vault);
        }
        Command::Rename { old, new } => {
            let mut vault = unlock(dir, secrets)?;
            let index = vault.find(&old)?;
            let before = vault.accounts()[index].display_name();
            vault.rename(&before, &new)?;
            line(
                &mut out,
                &format!(
                    "renamed {before} to {}",
                    vault.accounts()[index].display_name()
                ),
            )?;
            warn_unflushed(&mut vault);
        }
        Command::ChangePin => {
            let mut vault = unlock(dir, secrets)?;
            let pin = secrets.new_pin("New PIN")?;
            vault.change_pin(&pin)?;
            line(&mut out, "PIN changed")?;
            warn_unflushed(&mut vault);
        }
        Command::Export {
            format,
            unencrypted,
            file,
        } => transfer::export(dir, format, unencrypted, &file, secrets, &mut out)?,
        Command::Import { dry_run, file } => {
            transfer::import(dir, &file, dry_run, secrets, &mut out)?
        }
        Command::Doctor(args) => doctor::run(dir, &args, secrets, &mut out)?,
        Command::Scan(_) | Command::Clock(_) | Command::PackageFiles(_) => {
            unreachable!("scan, clock and package-files are dispatched before the vault is touched")
        }
    }
    Ok(())
}

/// The keys among the QR codes a source shows. Codes that are not keys are skipped when at
/// least one is a key; otherwise the first one's error says what was found instead.
fn scanned_key_links(source: &crate::scan::Source) -> Result<Vec<KeyLink>, CliError> {
    use crate::scan::SourceError;
    let texts = crate::scan::read_texts(source).map_err(|e| {
        let code = match e {
            SourceError::NoCode(_) | SourceError::OutOfTime(_) | SourceError::BadImage { .. } => {
                exit::BAD_INPUT
            }
            _ => exit::FAILURE,
        };
        CliError::new(code, e.to_string())
    })?;
    let mut first_error = None;
    let mut keys = Vec::new();
    for text in texts {
        match otp::parse_key_link(&Zeroizing::new(text)) {
            Ok(link) => keys.push(link),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) if keys.is_empty() => Err(e.into()),
        _ => Ok(keys),
    }
}

/// Writes one line of output. Lines name keys, whose labels come from whoever made the QR
/// code: their control characters never reach the terminal.
fn line(out: &mut dyn Write, text: &str) -> Result<(), CliError> {
    columns(out, &[text])
}

/// Writes `value` as one line of JSON. JSON keeps DEL, C1 and bidirectional controls raw
/// inside strings: those are escaped too before they reach the terminal.
fn json_line(out: &mut dyn Write, value: &impl serde::Serialize) -> Result<(), CliError> {
    let json = serde_json::to_string(value)
        .map_err(|e| CliError::new(exit::FAILURE, format!("cannot write the report: {e}")))?;
    writeln!(out, "{}", escape_json_for_terminal(&json))
        .map_err(|e| CliError::new(exit::FAILURE, format!("cannot write output: {e}")))
}

/// Writes one line of tab-separated columns, each escaped on its own so the tabs stay tabs.
fn columns(out: &mut dyn Write, columns: &[&str]) -> Result<(), CliError> {
    let escaped: Vec<_> = columns.iter().map(|c| safe(c)).collect();
    writeln!(out, "{}", escaped.join("\t"))
        .map_err(|e| CliError::new(exit::FAILURE, format!("cannot write output: {e}")))
}

/// Tells the user about a change that is in place but that the disk did not confirm. The
/// command did what was asked (its output says so), so the exit status stays 0.
fn warn_unflushed(vault: &mut Vault) {
    if let Some(warning) = vault.take_warning() {
        eprintln!("pocketpass: warning: {}", safe(&warning.to_string()));
    }
}

fn describe_import(report: &vault::ImportReport) -> String {
    let mut text = format!("added {} account(s)", report.added);
    if report.duplicates > 0 {
        text.push_str(&format!(", {} already installed", report.duplicates));
    }
    if !report.renamed.is_empty() {
        text.push_str(&format!(
            "; renamed to avoid a clash: {}",
            report.renamed.join(", ")
        ));
    }
    text
}

fn unlock(dir: &Path, secrets: &mut Secrets) -> Result<Vault, CliError> {
    if !vault::exists(dir) {
        return Err(vault::missing(dir).into());
    }
    let failures = Vault::failed_attempts(dir)?;
    let prompt = if failures > 0 {
        format!(
            "PIN ({} of {} tries left)",
            vault::MAX_ATTEMPTS.saturating_sub(failures),
            vault::MAX_ATTEMPTS
        )
    } else {
        "PIN".to_owned()
    };
    let pin = Pin::entered(&secrets.read(&prompt)?);
    Ok(Vault::unlock(dir, &pin)?)
}

fn open_or_create(dir: &Path, secrets: &mut Secrets) -> Result<Vault, CliError> {
    if vault::exists(dir) {
        return unlock(dir, secrets);
    }
    let pin = secrets.new_pin("Choose a PIN to protect your keys")?;
    Ok(Vault::create(dir, &pin)?)
}
