//! Text from outside (a key's name or issuer, what a QR code holds) made safe to show.
//!
//! A key's label is whatever the QR code's author wrote. Terminals act on control characters:
//! `ESC ] 0 ; … BEL` retitles the window, other sequences move the cursor or rewrite what is
//! shown, and a newline can forge a line of output. Bidirectional overrides reorder what is
//! displayed without changing the bytes. None of these belongs in a name, so everything Pocket
//! Pass shows of such text (the terminal commands and the window alike) goes through
//! [`escape_controls`], which writes them as visible escapes while leaving the stored text as
//! the portal sent it.

use std::borrow::Cow;
use std::fmt::Write;

/// True for characters that are not shown as themselves: C0 and C1 controls and DEL, the
/// bidirectional embedding, override, isolate and mark characters, and the line and paragraph
/// separators.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// `text` with every character [`is_unsafe_char`] names written as an escape: `\n`, `\t`,
/// `\r`, and `\u{1b}` style for the rest. Text without such characters is returned as is.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe_char(c) {
            match c {
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                c => {
                    // Writing to a String cannot fail.
                    let _ = write!(out, "\\u{{{:x}}}", c as u32);
                }
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Serialised JSON with the characters [`is_unsafe_char`] names, which JSON allows raw inside
/// strings (DEL, C1 controls, bidirectional controls, line separators), written as `\uXXXX`
/// escapes; C0 controls are already escaped by every JSON writer. The result is the same JSON
/// value, safe to print on a terminal.
pub fn escape_json_for_terminal(json: &str) -> Cow<'_, str> {
    if !json.chars().any(is_unsafe_char) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        if is_unsafe_char(c) {
            // Every such character is in the Basic Multilingual Plane: one \uXXXX escape.
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_are_left_alone() {
        for name in [
            "alice",
            "HPC Centre: Min laptop",
            "Grüße",
            "名前",
            "👩‍💻 work",
        ] {
            assert!(matches!(escape_controls(name), Cow::Borrowed(_)), "{name}");
        }
    }

    #[test]
    fn terminal_sequences_are_shown_escaped() {
        assert_eq!(
            escape_controls("\u{1b}]0;pwned\u{7}name"),
            "\\u{1b}]0;pwned\\u{7}name"
        );
        assert_eq!(escape_controls("a\nb\tc\r"), "a\\nb\\tc\\r");
        assert_eq!(escape_controls("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(escape_controls("abc\u{202e}gpj.exe"), "abc\\u{202e}gpj.exe");
        assert!(!escape_controls("\u{7f}\u{85}\u{2028}")
            .chars()
            .any(is_unsafe_char));
    }

    #[test]
    fn json_stays_the_same_value() {
        let value = serde_json::json!({"text": "a\u{1b}[2J\u{7f}\u{9b}\u{202e}b"});
        let json = serde_json::to_string(&value).unwrap();
        let safe = escape_json_for_terminal(&json);
        assert!(!safe.chars().any(is_unsafe_char), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, value);
    }
}
