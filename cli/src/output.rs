//! Printing reply rows as JSON lines.

use std::io::{BufWriter, Stdout, Write};
use std::time::{Duration, Instant};

use routeros_core::proto::split_attribute;
use routeros_core::{Reply, Value};

use crate::escape::push_json_string;
use crate::Failure;

/// Rows are flushed at least this often, so a slow stream shows each row as it comes while
/// a bulk print is written in large pieces.
const FLUSH_EVERY: Duration = Duration::from_millis(100);

/// Buffered standard output.
pub(crate) struct Output {
    out: BufWriter<Stdout>,
    /// When the output was last flushed; `None` before the first flush.
    flushed: Option<Instant>,
    /// The line being built (reused from row to row).
    line: String,
}

impl Output {
    pub(crate) fn stdout() -> Self {
        Self {
            out: BufWriter::new(std::io::stdout()),
            flushed: None,
            line: String::new(),
        }
    }

    /// Writes one line.
    pub(crate) fn line(&mut self, text: &str) -> Result<(), Failure> {
        writeln!(self.out, "{text}").map_err(Failure::Output)
    }

    /// Writes a row as a JSON object; flushes if the last flush is [`FLUSH_EVERY`] old.
    pub(crate) fn row(&mut self, row: &Reply<'_>) -> Result<(), Failure> {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        row_json(row, &mut line);
        let written = self.line(&line);
        self.line = line;
        written?;
        if self.flushed.is_none_or(|t| t.elapsed() >= FLUSH_EVERY) {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes `{"ret": "..."}`.
    pub(crate) fn ret(&mut self, ret: Value<'_>) -> Result<(), Failure> {
        let mut line = String::from("{\"ret\": ");
        push_json_string(&mut line, &ret.to_string());
        line.push('}');
        self.line(&line)
    }

    pub(crate) fn flush(&mut self) -> Result<(), Failure> {
        self.flushed = Some(Instant::now());
        self.out.flush().map_err(Failure::Output)
    }
}

/// One `!re` row as a JSON object: every `=name=value` attribute (a bare `=name` with an empty
/// value), and API attributes (`.section=...`) other than the client's own `.tag`. Keys and
/// values are the bytes the router sent, read as UTF-8 or else Windows-1252; control
/// characters are escaped.
///
/// A key the router sent twice becomes one JSON key with the *later* value, where the key
/// first appeared: the rule of `routeros_core`'s `Reply::get` (a client that met duplicate
/// keys on a real router reports that the later value is the meaningful one).
pub(crate) fn row_json(row: &Reply<'_>, out: &mut String) {
    let mut pairs: Vec<(Value<'_>, Value<'_>)> = Vec::new();
    for word in row.sentence().words().skip(1) {
        let Some((key, value)) = split_attribute(word).or_else(|| api_attribute(word)) else {
            continue;
        };
        match pairs
            .iter_mut()
            .find(|(k, _)| k.as_bytes() == key.as_bytes())
        {
            Some(pair) => pair.1 = value,
            None => pairs.push((key, value)),
        }
    }
    out.push('{');
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_json_string(out, &key.to_string());
        out.push_str(": ");
        push_json_string(out, &value.to_string());
    }
    out.push('}');
}

/// Splits an API attribute `.name=value` other than `.tag`.
fn api_attribute(word: &[u8]) -> Option<(Value<'_>, Value<'_>)> {
    if !word.starts_with(b".") || word.starts_with(b".tag=") {
        return None;
    }
    let eq = word.iter().position(|&b| b == b'=')?;
    Some((Value::new(&word[..eq]), Value::new(&word[eq + 1..])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use routeros_core::wire::{Sentence, SentenceEncoder};

    fn reply(words: &[&[u8]], buf: &mut [u8]) -> String {
        let mut enc = SentenceEncoder::new(buf);
        for w in words {
            enc.word(w).unwrap();
        }
        let len = enc.len();
        let sentence = Sentence::new_checked(&buf[..len]).unwrap();
        let mut out = String::new();
        row_json(&Reply::parse(sentence).unwrap(), &mut out);
        out
    }

    #[test]
    fn rows_keep_order_ids_and_bytes() {
        let mut buf = [0u8; 256];
        let json = reply(
            &[
                b"!re",
                b"=.id=*1A",
                b"=name=ether1",
                b"=comment=Caf\xe9 \"quoted\"",
                b"=empty=",
                b"=formula=a=b",
                b".tag=3",
                b".section=2",
            ],
            &mut buf,
        );
        assert_eq!(
            json,
            r#"{".id": "*1A", "name": "ether1", "comment": "Café \"quoted\"", "empty": "", "formula": "a=b", ".section": "2"}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["comment"], "Café \"quoted\"");
    }

    #[test]
    fn empty_row() {
        let mut buf = [0u8; 32];
        assert_eq!(reply(&[b"!re", b".tag=1"], &mut buf), "{}");
    }

    #[test]
    fn duplicate_keys_give_one_key_with_the_later_value() {
        let mut buf = [0u8; 128];
        let words: [&[u8]; 5] = [
            b"!re",
            b"=address=10.0.0.1",
            b"=list=a",
            b"=address=10.0.0.2",
            b"=bare",
        ];
        let json = reply(&words, &mut buf);
        assert_eq!(json, r#"{"address": "10.0.0.2", "list": "a", "bare": ""}"#);
        // The same value `get` gives.
        let mut enc = SentenceEncoder::new(&mut buf);
        for w in words {
            enc.word(w).unwrap();
        }
        let len = enc.len();
        let reply = Reply::parse(Sentence::new_checked(&buf[..len]).unwrap()).unwrap();
        assert_eq!(reply.get("address").unwrap().to_string(), "10.0.0.2");
    }
}
