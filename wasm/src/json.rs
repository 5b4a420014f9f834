//! Reply rows as JSON text.
//!
//! Rows cross into JavaScript as one JSON document that `JSON.parse` turns into plain
//! objects: one call across the boundary per reply instead of one per attribute, which is
//! what makes a 100 000-row print fast. The text is written as UTF-8 bytes (valid by
//! construction) and decoded by the host's `TextDecoder` straight from WebAssembly memory.

use core::fmt::Write as _;

use routeros_core::{Reply, Value};

/// Appends `value` to `out` as a JSON string: the characters of [`Value::chars`] (UTF-8 when
/// the bytes are valid UTF-8, otherwise each byte read as Windows-1252), quoted and escaped.
///
/// ```
/// use routeros_core::Value;
/// let mut out = Vec::new();
/// routeros_wasm::json::push_string(&mut out, Value::new(b"a\"b\\c\n"));
/// assert_eq!(out, br#""a\"b\\c\n""#);
/// out.clear();
/// routeros_wasm::json::push_string(&mut out, Value::new(b"Caf\xe9 \x80"));
/// assert_eq!(String::from_utf8(out).unwrap(), "\"Café €\"");
/// ```
pub fn push_string(out: &mut Vec<u8>, value: Value<'_>) {
    let bytes = value.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    // ASCII and UTF-8 alike: bytes of multi-byte characters are all >= 0x80, so escaping
    // byte by byte is right for both.
    if bytes.is_ascii() || core::str::from_utf8(bytes).is_ok() {
        push_escaped(out, bytes);
    } else {
        let mut utf8 = [0u8; 4];
        for c in value.chars() {
            if c.is_ascii() {
                push_escaped(out, &[c as u8]);
            } else {
                out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
            }
        }
    }
    out.push(b'"');
}

/// Escapes text, copying runs that need no escape in one go.
fn push_escaped(out: &mut Vec<u8>, text: &[u8]) {
    let mut start = 0;
    for (i, &b) in text.iter().enumerate() {
        if b == b'"' || b == b'\\' || b < 0x20 {
            out.extend_from_slice(&text[start..i]);
            push_escape(out, b);
            start = i + 1;
        }
    }
    out.extend_from_slice(&text[start..]);
}

fn push_escape(out: &mut Vec<u8>, b: u8) {
    match b {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        _ => {
            let mut text = String::new();
            // Writing to a String cannot fail.
            let _ = write!(text, "\\u{:04x}", b);
            out.extend_from_slice(text.as_bytes());
        }
    }
}

/// Appends one reply row as a JSON object: every `=name=value` attribute becomes a string
/// property (`.id` keeps its name). API attributes such as `.tag` are left out.
///
/// ```
/// use routeros_core::{wire::Sentence, Reply};
/// let bytes = b"\x03!re\x07=.id=*1\x0c=name=ether1\x06.tag=4";
/// let reply = Reply::parse(Sentence::new_checked(bytes).unwrap()).unwrap();
/// let mut out = Vec::new();
/// routeros_wasm::json::push_row(&mut out, &reply);
/// assert_eq!(out, br#"{".id":"*1","name":"ether1"}"#);
/// ```
pub fn push_row(out: &mut Vec<u8>, row: &Reply<'_>) {
    // The JSON is about as long as the sentence: reserve once for the whole row.
    out.reserve(row.sentence().as_bytes().len() + 16);
    out.push(b'{');
    for (i, (name, value)) in row.attributes().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_string(out, name);
        out.push(b':');
        push_string(out, value);
    }
    out.push(b'}');
}

/// Collects rows into a JSON array, one [`push_row`] at a time.
#[derive(Debug, Default)]
pub struct RowsJson {
    text: Vec<u8>,
    rows: usize,
}

impl RowsJson {
    /// An empty array.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a row.
    pub fn push(&mut self, row: &Reply<'_>) {
        self.text.push(if self.rows == 0 { b'[' } else { b',' });
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

    /// The finished JSON array, as UTF-8 bytes.
    pub fn finish(mut self) -> Vec<u8> {
        if self.rows == 0 {
            self.text.push(b'[');
        }
        self.text.push(b']');
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

    fn text(out: Vec<u8>) -> String {
        String::from_utf8(out).expect("valid UTF-8")
    }

    #[test]
    fn control_characters_are_escaped() {
        let mut out = Vec::new();
        push_string(&mut out, Value::new(b"\x01\x1f\t\r"));
        assert_eq!(text(out), "\"\\u0001\\u001f\\t\\r\"");
    }

    #[test]
    fn utf8_passes_through() {
        let mut out = Vec::new();
        push_string(&mut out, Value::new("žluťoučký \"kůň\" €".as_bytes()));
        assert_eq!(text(out), "\"žluťoučký \\\"kůň\\\" €\"");
    }

    #[test]
    fn windows_1252_is_escaped_too() {
        let mut out = Vec::new();
        push_string(&mut out, Value::new(b"\xe9\"\x01"));
        assert_eq!(text(out), "\"é\\\"\\u0001\"");
    }

    #[test]
    fn every_windows_1252_byte_gives_one_character() {
        let bytes: Vec<u8> = (0x80..=0xFFu8).collect();
        let mut out = Vec::new();
        push_string(&mut out, Value::new(&bytes));
        let out = text(out);
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
            text(rows.finish()),
            r#"[{"name":"ether1","comment":"a=b"},{"name":""}]"#
        );
    }

    #[test]
    fn no_rows_is_an_empty_array() {
        assert_eq!(RowsJson::new().finish(), b"[]");
    }
}
