//! Reply rows as JSON text.
//!
//! Rows cross into JavaScript as one JSON document that `JSON.parse` turns into plain
//! objects: one call across the boundary per reply instead of one per attribute, which is
//! what makes a 100 000-row print fast.

use core::fmt::Write as _;

use routeros_core::{Reply, Value};

/// Appends `value` to `out` as a JSON string: the characters of [`Value::chars`] (UTF-8 when
/// the bytes are valid UTF-8, otherwise each byte read as Windows-1252), quoted and escaped.
///
/// ```
/// use routeros_core::Value;
/// let mut out = String::new();
/// routeros_wasm::json::push_string(&mut out, Value::new(b"a\"b\\c\n"));
/// assert_eq!(out, r#""a\"b\\c\n""#);
/// out.clear();
/// routeros_wasm::json::push_string(&mut out, Value::new(b"Caf\xe9 \x80"));
/// assert_eq!(out, "\"Café €\"");
/// ```
pub fn push_string(out: &mut String, value: Value<'_>) {
    out.push('"');
    match value.as_str() {
        Some(text) => push_escaped(out, text),
        None => {
            for c in value.chars() {
                push_char(out, c);
            }
        }
    }
    out.push('"');
}

/// Escapes UTF-8 text, copying runs that need no escape in one go.
fn push_escaped(out: &mut String, text: &str) {
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        if b == b'"' || b == b'\\' || b < 0x20 {
            out.push_str(&text[start..i]);
            push_char(out, char::from(b));
            start = i + 1;
        }
    }
    out.push_str(&text[start..]);
}

fn push_char(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x20 => {
            // Writing to a String cannot fail.
            let _ = write!(out, "\\u{:04x}", c as u32);
        }
        c => out.push(c),
    }
}

/// Appends one reply row as a JSON object: every `=name=value` attribute becomes a string
/// property (`.id` keeps its name). API attributes such as `.tag` are left out.
///
/// ```
/// use routeros_core::{wire::Sentence, Reply};
/// let bytes = b"\x03!re\x07=.id=*1\x0c=name=ether1\x06.tag=4";
/// let reply = Reply::parse(Sentence::new_checked(bytes).unwrap()).unwrap();
/// let mut out = String::new();
/// routeros_wasm::json::push_row(&mut out, &reply);
/// assert_eq!(out, r#"{".id":"*1","name":"ether1"}"#);
/// ```
pub fn push_row(out: &mut String, row: &Reply<'_>) {
    out.push('{');
    for (i, (name, value)) in row.attributes().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_string(out, name);
        out.push(':');
        push_string(out, value);
    }
    out.push('}');
}

/// Collects rows into a JSON array, one [`push_row`] at a time.
#[derive(Debug, Default)]
pub struct RowsJson {
    text: String,
    rows: usize,
}

impl RowsJson {
    /// An empty array.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a row.
    pub fn push(&mut self, row: &Reply<'_>) {
        self.text.push(if self.rows == 0 { '[' } else { ',' });
        push_row(&mut self.text, row);
        self.rows += 1;
    }

    /// How many rows were added.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no row was added.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The finished JSON array.
    pub fn finish(mut self) -> String {
        if self.rows == 0 {
            self.text.push('[');
        }
        self.text.push(']');
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use routeros_core::wire::Sentence;

    fn reply(bytes: &[u8]) -> Reply<'_> {
        Reply::parse(Sentence::new_checked(bytes).unwrap()).unwrap()
    }

    fn encode(words: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for w in words {
            assert!(w.len() < 0x80);
            out.push(w.len() as u8);
            out.extend_from_slice(w);
        }
        out
    }

    #[test]
    fn control_characters_are_escaped() {
        let mut out = String::new();
        push_string(&mut out, Value::new(b"\x01\x1f\t\r"));
        assert_eq!(out, "\"\\u0001\\u001f\\t\\r\"");
    }

    #[test]
    fn utf8_passes_through() {
        let mut out = String::new();
        push_string(&mut out, Value::new("žluťoučký kůň €".as_bytes()));
        assert_eq!(out, "\"žluťoučký kůň €\"");
    }

    #[test]
    fn every_windows_1252_byte_gives_one_character() {
        let bytes: Vec<u8> = (0x80..=0xFFu8).collect();
        let mut out = String::new();
        push_string(&mut out, Value::new(&bytes));
        assert_eq!(out.chars().count(), bytes.len() + 2);
        assert!(out.starts_with("\"€\u{81}‚"));
        assert!(out.ends_with("ÿ\""));
    }

    #[test]
    fn rows_make_an_array() {
        let a = encode(&[b"!re", b"=name=ether1", b"=comment=a=b"]);
        let b = encode(&[b"!re", b"=name=", b".section=1"]);
        let mut rows = RowsJson::new();
        assert!(rows.is_empty());
        rows.push(&reply(&a));
        rows.push(&reply(&b));
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows.finish(),
            r#"[{"name":"ether1","comment":"a=b"},{"name":""}]"#
        );
    }

    #[test]
    fn no_rows_is_an_empty_array() {
        assert_eq!(RowsJson::new().finish(), "[]");
    }
}
