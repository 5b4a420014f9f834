//! Making router-controlled text safe to print on a terminal.
//!
//! A router (or anyone who can write a comment, an identity or a trap message on it) chooses
//! the text of rows, traps and `!fatal` reasons. Printed raw, control characters in it could
//! move the cursor, clear the screen, rewrite earlier lines or fake new ones. Everything a
//! router sent is therefore escaped before it is printed: on stderr by [`escape_text`], in
//! JSON by [`push_json_string`].

use std::fmt::Write as _;

/// Whether `c` must never reach a terminal as it is: C0 and C1 controls, DEL, the line and
/// paragraph separators, and the bidirectional formatting characters (which can make text
/// read differently from what it is).
pub(crate) fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{200e}' | '\u{200f}'
        | '\u{2028}' | '\u{2029}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
    )
}

/// `text` with backslashes doubled and every unsafe character written as `\n`, `\r`, `\t`,
/// `\xNN` (below 0x80) or `\u{NNNN}`, so it prints on one line and shows what was sent.
pub(crate) fn escape_text(text: &str) -> String {
    if !text.chars().any(|c| c == '\\' || is_unsafe(c)) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) && (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Appends `text` as a JSON string literal. Besides what JSON requires (`"`, `\`, U+0000 to
/// U+001F), every other unsafe character is written as `\uNNNN` too: the string means the
/// same to a JSON reader, and nothing in it acts on a terminal.
pub(crate) fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    let mut start = 0;
    for (i, c) in text.char_indices() {
        let escaped = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            c if is_unsafe(c) => "",
            _ => continue,
        };
        out.push_str(&text[start..i]);
        if escaped.is_empty() {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push_str(escaped);
        }
        start = i + c.len_utf8();
    }
    out.push_str(&text[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_for_stderr() {
        assert_eq!(escape_text("no such item"), "no such item");
        assert_eq!(
            escape_text("bad\x1b[2J\r\nrouteros: all good\u{9b}31m\u{202e}x\\"),
            "bad\\x1b[2J\\r\\nrouteros: all good\\u{009b}31m\\u{202e}x\\\\"
        );
        assert_eq!(escape_text("Café € réseau"), "Café € réseau");
    }

    #[test]
    fn json_strings_stay_json() {
        let nasty = "a\"b\\c\nd\x1b[31m\x7f\u{85}\u{9b}\u{2028}\u{202e}é€";
        let mut out = String::new();
        push_json_string(&mut out, nasty);
        assert_eq!(
            out,
            r#""a\"b\\c\nd\u001b[31m\u007f\u0085\u009b\u2028\u202eé€""#
        );
        assert!(!out.chars().any(is_unsafe), "{out}");
        let back: String = serde_json::from_str(&out).unwrap();
        assert_eq!(back, nasty);
    }
}
