//! The boundaries `shared/DESIGN.md` draws, checked on the sources: the domain modules (`otp`,
//! `vault`, `scan`, `transfer`, `clock`) import neither the UI, the terminal commands nor the
//! platform glue (nor Slint, axum or clap); `scan` and `clock` need no `vault`; the portal
//! never links the app crate.
//!
//! The check reads the source files as text, so it sees what the compiler sees as imports:
//! paths through `crate::` (or `pocketpass::` for the portal) and crates named outside
//! comments. `check_the_check_*` show it failing on a forbidden import.

use std::fs;
use std::path::{Path, PathBuf};

/// One rule: files under `dir` may not name any of `forbidden`.
struct Rule {
    dir: &'static str,
    forbidden: &'static [&'static str],
    why: &'static str,
}

/// The app's layers, outside in: `ui`, `cli` and `platform` may use the domain; the domain may
/// not use them.
const OUTER: &[&str] = &[
    "crate::ui",
    "crate::cli",
    "crate::platform",
    "slint::",
    "axum::",
    "clap::",
];

/// [`OUTER`], and the vault too: modules that work on keys they are handed, never stored ones.
const NO_VAULT: &[&str] = &[
    "crate::ui",
    "crate::cli",
    "crate::platform",
    "crate::vault",
    "slint::",
    "axum::",
    "clap::",
];

const RULES: &[Rule] = &[
    Rule {
        dir: "src/otp",
        forbidden: OUTER,
        why: "otp is domain code: no UI, terminal or platform types",
    },
    Rule {
        dir: "src/vault",
        forbidden: OUTER,
        why: "vault is domain code: no UI, terminal or platform types",
    },
    Rule {
        dir: "src/scan",
        forbidden: NO_VAULT,
        why: "scan is domain code and needs no vault",
    },
    Rule {
        dir: "src/transfer",
        forbidden: OUTER,
        why: "transfer is domain code: no UI, terminal or platform types",
    },
    Rule {
        dir: "src/clock",
        forbidden: NO_VAULT,
        why: "clock is domain code: no UI, terminal or platform types, and it needs no vault",
    },
    Rule {
        dir: "portal/src",
        forbidden: &["pocketpass::", "crate::ui", "slint::"],
        why: "the portal never links the app crate",
    },
    Rule {
        dir: "src/ui/flow.rs",
        forbidden: FLOW,
        why: "the window's flow is tested without a window: no Slint, no adapters",
    },
    Rule {
        dir: "src/ui/flow",
        forbidden: FLOW,
        why: "the window's flow is tested without a window: no Slint, no adapters",
    },
    Rule {
        dir: "src/ui/worker.rs",
        forbidden: FLOW,
        why: "the worker owns the vault off the UI thread and knows no Slint",
    },
];

/// What the UI flow core and the worker may not name: Slint, the adapters that use it, the
/// other adapters of the app.
const FLOW: &[&str] = &[
    "slint::",
    "adapters::",
    "controller::",
    "crate::cli",
    "crate::platform",
];

/// The source without comments (line comments, doc comments and block comments), so a doc
/// link such as [`crate::ui::run`] in prose is not taken for an import. String literals are
/// kept: a path in a string is not an import, but none of the forbidden names occurs in one
/// today and a false alarm is the safe side.
fn code_only(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("//") {
            let end = after.find('\n').unwrap_or(after.len());
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix("/*") {
            let end = after.find("*/").map_or(after.len(), |i| i + 2);
            rest = &after[end..];
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// Whether `needle` occurs in `code` as a path of its own (not as the tail of a longer name,
/// such as `pocketpass_portal::` for `pocketpass::`).
fn names(code: &str, needle: &str) -> Option<usize> {
    code.match_indices(needle).find_map(|(i, _)| {
        let before = code[..i].chars().next_back();
        let standalone = before.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        standalone.then_some(i)
    })
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    if dir.extension().is_some_and(|e| e == "rs") {
        return vec![dir.to_owned()];
    }
    let mut files = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// The violations of [`RULES`] in the tree at `root`: "file:line: names X (why)".
fn violations(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for rule in RULES {
        for file in rust_files(&root.join(rule.dir)) {
            let code = code_only(&fs::read_to_string(&file).unwrap());
            for needle in rule.forbidden {
                if let Some(at) = names(&code, needle) {
                    let line = code[..at].lines().count().max(1);
                    found.push(format!(
                        "{}:{line}: names `{needle}` ({})",
                        file.strip_prefix(root).unwrap_or(&file).display(),
                        rule.why
                    ));
                }
            }
        }
    }
    // The portal's manifest must not depend on the app's package. Its end-to-end test pairs
    // the two and may (a dev-dependency): the portal itself never links the app.
    let manifest = fs::read_to_string(root.join("portal/Cargo.toml")).unwrap_or_default();
    if linked_dependencies(&manifest)
        .any(|l| l.starts_with("pocketpass ") || l.starts_with("pocketpass="))
    {
        found.push("portal/Cargo.toml: depends on the app crate `pocketpass`".into());
    }
    found
}

/// The lines of a manifest's `[dependencies]` and `[build-dependencies]` tables (and their
/// per-target forms), trimmed: what the built crate links, unlike `[dev-dependencies]`.
fn linked_dependencies(manifest: &str) -> impl Iterator<Item = &str> {
    let mut linked = false;
    manifest.lines().map(str::trim).filter(move |line| {
        if line.starts_with('[') {
            linked = line.ends_with("dependencies]") && !line.ends_with("dev-dependencies]");
            return false;
        }
        linked
    })
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn domain_modules_and_the_portal_keep_to_their_boundaries() {
    let found = violations(repo());
    assert!(
        found.is_empty(),
        "boundary violations:\n{}",
        found.join("\n")
    );
    // The check looked at real files: every rule's folder exists and holds Rust code.
    for rule in RULES {
        assert!(
            !rust_files(&repo().join(rule.dir)).is_empty(),
            "{} holds no Rust files",
            rule.dir
        );
    }
}

/// Copies the files the rules read into a temporary tree.
fn copy_of_the_sources() -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    for rule in RULES {
        for file in rust_files(&repo().join(rule.dir)) {
            let to = copy.path().join(file.strip_prefix(repo()).unwrap());
            fs::create_dir_all(to.parent().unwrap()).unwrap();
            fs::copy(&file, &to).unwrap();
        }
    }
    fs::copy(
        repo().join("portal/Cargo.toml"),
        copy.path().join("portal/Cargo.toml"),
    )
    .unwrap();
    copy
}

fn append(path: &Path, text: &str) {
    let mut source = fs::read_to_string(path).unwrap();
    source.push_str(text);
    fs::write(path, source).unwrap();
}

/// Adds `code` to `file` in a clean copy of the sources and checks that the one violation
/// found names that file and `needle`.
fn one_violation_after_adding(file: &str, code: &str, needle: &str) {
    let copy = copy_of_the_sources();
    assert!(violations(copy.path()).is_empty(), "the copy starts clean");
    append(&copy.path().join(file), code);
    let found = violations(copy.path());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with(&format!("{file}:")), "{found:?}");
    assert!(found[0].contains(needle), "{found:?}");
}

#[test]
fn check_the_check_an_added_ui_import_in_otp_fails_it() {
    one_violation_after_adding(
        "src/otp/mod.rs",
        "\n#[allow(unused_imports)]\nuse crate::ui::Nav;\n",
        "crate::ui",
    );
}

#[test]
fn check_the_check_slint_in_the_ui_flow_fails_it() {
    one_violation_after_adding(
        "src/ui/flow/codes.rs",
        "\nfn _f(_: slint::SharedString) {}\n",
        "slint::",
    );
}

#[test]
fn check_the_check_scan_importing_vault_and_the_portal_linking_the_app_fail_it() {
    let copy = copy_of_the_sources();
    append(
        &copy.path().join("src/scan/mod.rs"),
        "\nfn _f(_: &crate::vault::Pin) {}\n",
    );
    append(
        &copy.path().join("portal/src/lib.rs"),
        "\nuse pocketpass::otp;\n",
    );
    let manifest = copy.path().join("portal/Cargo.toml");
    let text = fs::read_to_string(&manifest).unwrap().replacen(
        "[dependencies]\n",
        "[dependencies]\npocketpass = { path = \"..\" }\n",
        1,
    );
    fs::write(&manifest, text).unwrap();
    let found = violations(copy.path()).join("\n");
    assert!(
        found.contains("src/scan/mod.rs") && found.contains("crate::vault"),
        "{found}"
    );
    assert!(
        found.contains("portal/src/lib.rs") && found.contains("pocketpass::"),
        "{found}"
    );
    assert!(found.contains("portal/Cargo.toml"), "{found}");
}

#[test]
fn check_the_check_dev_dependencies_are_not_links() {
    let manifest = "[dependencies]\naxum = \"0.8\"\n\n[dev-dependencies]\npocketpass = { path = \"..\" }\n\n[target.'cfg(unix)'.dependencies]\nlibc = \"0.2\"\n";
    let linked: Vec<&str> = linked_dependencies(manifest)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(linked, ["axum = \"0.8\"", "libc = \"0.2\""]);
}

#[test]
fn check_the_check_comments_and_longer_names_are_not_imports() {
    let code =
        code_only("/// See [`crate::ui::run`].\n/* crate::cli */ let x = 1; // crate::platform\n");
    for needle in OUTER {
        assert_eq!(names(&code, needle), None, "{needle} in {code:?}");
    }
    assert_eq!(names("use pocketpass_portal::web;", "pocketpass::"), None);
    assert_eq!(names("use my_slint::x;", "slint::"), None);
    assert!(names("x: pocketpass::otp::Account", "pocketpass::").is_some());
}
