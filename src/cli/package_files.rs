//! `pocketpass package-files DIR` (hidden): writes the man pages and the shell completions that
//! the Debian package installs (issue 15), generated from the same clap definition as `--help`.
//!
//! It is a hidden command of the real binary rather than a separate generator program so that
//! packaging needs no second build: `scripts/package-deb.sh` runs the binary it packages, and CI
//! runs the one its tests already built. Needs no vault, like `scan` and `clock`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

use super::{exit, Cli};

/// Arguments of the hidden `pocketpass package-files`.
#[derive(Debug, clap::Args)]
pub struct PackageFilesArgs {
    /// The folder to write into (created when missing): `man/` gets one page per command,
    /// `completions/` the bash, zsh and fish completions under the names those shells look for.
    pub dir: PathBuf,
}

/// Writes the files and prints each path; a failure says which file could not be written.
pub fn run(args: &PackageFilesArgs) -> ExitCode {
    match write_all(&args.dir) {
        Ok(paths) => {
            for path in paths {
                println!("{}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("pocketpass: {e}");
            ExitCode::from(exit::FAILURE)
        }
    }
}

/// Writes `dir/man/*.1` (pocketpass.1 and pocketpass-COMMAND.1 for each visible command) and
/// `dir/completions/{bash/pocketpass, zsh/_pocketpass, fish/pocketpass.fish}`, and returns the
/// paths written.
pub fn write_all(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let failed = |path: &Path, e: std::io::Error| format!("cannot write {}: {e}", path.display());
    let man = dir.join("man");
    fs::create_dir_all(&man).map_err(|e| failed(&man, e))?;
    // clap_mangen skips hidden commands (this one), as `--help` does.
    clap_mangen::generate_to(Cli::command(), &man).map_err(|e| failed(&man, e))?;
    let mut written: Vec<PathBuf> = fs::read_dir(&man)
        .map_err(|e| failed(&man, e))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "1"))
        .collect();
    written.sort();
    for (shell, file) in [
        (Shell::Bash, "bash/pocketpass"),
        (Shell::Zsh, "zsh/_pocketpass"),
        (Shell::Fish, "fish/pocketpass.fish"),
    ] {
        let path = dir.join("completions").join(file);
        let mut text = Vec::new();
        clap_complete::generate(shell, &mut visible_command(), "pocketpass", &mut text);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| failed(parent, e))?;
        }
        fs::File::create(&path)
            .and_then(|mut f| f.write_all(&text))
            .map_err(|e| failed(&path, e))?;
        written.push(path);
    }
    Ok(written)
}

/// The command line as users see it: [`Cli`]'s options and commands without the hidden ones
/// (this one), which clap_complete, unlike `--help` and clap_mangen, would offer too.
fn visible_command() -> clap::Command {
    let full = Cli::command();
    clap::Command::new("pocketpass")
        .version(env!("CARGO_PKG_VERSION"))
        .args(full.get_arguments().cloned())
        .subcommands(full.get_subcommands().filter(|c| !c.is_hide_set()).cloned())
}
