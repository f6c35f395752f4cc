//! Every text the window shows goes through `@tr()` and has a Swedish translation: a string
//! added to `ui/` without one fails here, naming it.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

/// The string literal starting at `text` (just after its opening quote), unescaped, and the
/// rest of the input after its closing quote.
fn literal(text: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &text[i + 1..])),
            '\\' => out.push(chars.next()?.1),
            c => out.push(c),
        }
    }
    None
}

/// The message ids of every `@tr("…")` (and plural `@tr("…" | "…" % n)`) in `source`.
fn tr_ids(source: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find("@tr(\"") {
        let Some((id, after)) = literal(&rest[start + 5..]) else {
            break;
        };
        ids.push(id);
        rest = after;
    }
    ids
}

/// The non-empty translations of a `.po` file, by message id (multi-line strings joined).
fn po_ids(po: &str) -> BTreeSet<String> {
    let mut done = BTreeSet::new();
    let (mut id, mut translated, mut field) = (String::new(), false, "");
    let mut finish = |id: &mut String, translated: &mut bool| {
        if *translated && !id.is_empty() {
            done.insert(std::mem::take(id));
        }
        id.clear();
        *translated = false;
    };
    for line in po.lines().map(str::trim) {
        if let Some(text) = line.strip_prefix("msgid ") {
            finish(&mut id, &mut translated);
            field = "id";
            id = literal(text.trim_start_matches('"'))
                .map(|l| l.0)
                .unwrap_or_default();
        } else if let Some(text) = line
            .strip_prefix("msgstr ")
            .or_else(|| line.strip_prefix("msgstr[0] "))
        {
            field = "str";
            let value = literal(text.trim_start_matches('"'))
                .map(|l| l.0)
                .unwrap_or_default();
            translated |= !value.is_empty();
        } else if line.starts_with("msgid_plural") || line.starts_with("msgstr[") {
            field = "";
        } else if let Some(text) = line.strip_prefix('"') {
            let value = literal(text).map(|l| l.0).unwrap_or_default();
            match field {
                "id" => id.push_str(&value),
                "str" => translated |= !value.is_empty(),
                _ => {}
            }
        }
    }
    finish(&mut id, &mut translated);
    done
}

fn slint_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).expect("ui/ is readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            slint_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "slint") {
            out.push(path);
        }
    }
}

#[test]
fn every_ui_text_has_a_swedish_translation() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let po = fs::read_to_string(root.join("ui/translations/sv/LC_MESSAGES/pocketpass.po"))
        .expect("the Swedish catalogue exists");
    let swedish = po_ids(&po);
    let mut files = Vec::new();
    slint_files(&root.join("ui"), &mut files);
    let mut ids = BTreeSet::new();
    for file in &files {
        ids.extend(tr_ids(
            &fs::read_to_string(file).expect("readable .slint file"),
        ));
    }
    assert!(
        ids.len() > 50,
        "found only {} texts: the parser broke",
        ids.len()
    );
    let missing: Vec<&String> = ids.iter().filter(|id| !swedish.contains(*id)).collect();
    assert!(
        missing.is_empty(),
        "texts without a Swedish translation in ui/translations/sv: {missing:#?}"
    );
}

#[test]
fn the_catalogue_parser_reads_plurals_and_continued_lines() {
    let po = "msgid \"\"\nmsgstr \"header\"\n\nmsgid \"a \"\n\"b\"\nmsgstr \"x\"\n\n\
              msgid \"{n} day\"\nmsgid_plural \"{n} days\"\nmsgstr[0] \"{n} dag\"\n\
              msgstr[1] \"{n} dagar\"\n\nmsgid \"untranslated\"\nmsgstr \"\"\n";
    let ids = po_ids(po);
    assert_eq!(
        ids.into_iter().collect::<Vec<_>>(),
        ["a b".to_owned(), "{n} day".to_owned()]
    );
    assert_eq!(
        tr_ids(r#"text: @tr("Say \"hi\""); t: @tr("{n} x" | "{n} xs" % n);"#),
        ["Say \"hi\"", "{n} x"]
    );
}
