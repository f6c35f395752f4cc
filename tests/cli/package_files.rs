//! The hidden `pocketpass package-files DIR` (issue 15): the man pages and shell completions
//! the Debian package installs, made from the same definition as `--help`.

use std::process::Command;

fn pocketpass(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_pocketpass"))
        .args(args)
        .output()
        .expect("the pocketpass binary runs");
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The commands `pocketpass --help` lists, as a user reads them.
fn listed_commands() -> Vec<String> {
    let help = pocketpass(&["--help"]);
    let list = help.split("Commands:\n").nth(1).expect("a Commands: list");
    list.lines()
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn package_files_writes_a_man_page_per_listed_command_and_completions_without_hidden_ones() {
    let dir = tempfile::tempdir().unwrap();
    pocketpass(&["package-files", dir.path().to_str().unwrap()]);
    let commands = listed_commands();
    assert!(commands.iter().any(|c| c == "code"), "{commands:?}");
    assert!(
        !commands.iter().any(|c| c == "package-files"),
        "hidden from --help"
    );

    let mut pages: Vec<String> = std::fs::read_dir(dir.path().join("man"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    pages.sort();
    let mut expected: Vec<String> = commands
        .iter()
        .map(|c| format!("pocketpass-{c}.1"))
        .chain(["pocketpass.1".to_owned()])
        .collect();
    expected.sort();
    assert_eq!(pages, expected);
    let code_page = std::fs::read_to_string(dir.path().join("man/pocketpass-code.1")).unwrap();
    assert!(code_page.contains("UNIX_SECONDS"), "{code_page}");
    assert!(
        code_page.contains("pin\\-stdin"),
        "global options too: {code_page}"
    );

    for (file, shell_words) in [
        ("completions/bash/pocketpass", "complete -F"),
        ("completions/zsh/_pocketpass", "#compdef pocketpass"),
        ("completions/fish/pocketpass.fish", "complete -c pocketpass"),
    ] {
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        assert!(text.contains(shell_words), "{file}");
        assert!(text.contains("change-pin"), "{file} offers the commands");
        assert!(
            text.contains("pin-stdin"),
            "{file} offers the global options"
        );
        assert!(
            !text.contains("package-files"),
            "{file} offers the hidden command"
        );
    }
}

#[test]
fn package_files_says_which_file_it_could_not_write() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, "").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pocketpass"))
        .args(["package-files", blocker.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot write") && err.contains("not-a-folder"),
        "{err}"
    );
}
