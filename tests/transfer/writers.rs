//! The fixture writers still produce files Pocket Pass imports, the same as the committed ones.
//! They need Debian's python3-cryptography, python3-argon2 and python3-nacl: a machine without
//! them fails here, naming scripts/install-deps.sh, rather than skipping.

use std::process::Command;

use pocketpass::transfer::{self, Entry};

use super::support::{fixture, fixture_dir, password, PYTHON};

#[test]
fn the_writers_regenerate_files_that_import_like_the_committed_ones() {
    let out = tempfile::tempdir().unwrap();
    let writers = fixture_dir().join("writers/make_all.py");
    let output = Command::new(PYTHON)
        .arg(&writers)
        .arg(out.path())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|e| panic!("{PYTHON} is needed ({e}); run scripts/install-deps.sh"));
    assert!(
        output.status.success(),
        "the fixture writers failed (missing python3-cryptography, python3-argon2 or python3-nacl? run scripts/install-deps.sh): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut names: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names.len(), 23, "{names:?}");
    for name in names {
        let fresh = std::fs::read(out.path().join(&name)).unwrap();
        // Seeded randomness: the writers give the very bytes that are committed, except Ente's,
        // whose secretstream header libsodium draws itself (PyNaCl offers no way to pass one).
        if name != "ente-encrypted.txt" {
            assert!(
                fresh == fixture(&name),
                "{name} differs from the committed fixture: regenerate and commit it"
            );
        }
        let fresh_file =
            transfer::read(&fresh, Some(&password())).unwrap_or_else(|e| panic!("{name}: {e}"));
        let committed = transfer::read(&fixture(&name), Some(&password())).unwrap();
        assert_eq!(fresh_file.entries, committed.entries, "{name}");
        assert!(
            fresh_file
                .entries
                .iter()
                .any(|e| matches!(e, Entry::Account(_))),
            "{name}"
        );
    }
}
