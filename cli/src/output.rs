//! Printing reply rows as JSON lines.

use std::io::{BufWriter, Stdout, Write};
use std::time::{Duration, Instant};

use routeros_core::proto::split_attribute;
use routeros_core::{Reply, Value};

use crate::Failure;

/// Rows are flushed at least this often, so a slow stream shows each row as it comes while
/// a bulk print is written in large pieces.
const FLUSH_EVERY: Duration = Duration::from_millis(100);

/// Buffered standard output.
pub(crate) struct Output {
    out: BufWriter<Stdout>,
    /// When the output was last flushed; `None` before the first flush.
    flushed: Option<Instant>,
}

impl Output {
    pub(crate) fn stdout() -> Self {
        Self {
            out: BufWriter::new(std::io::stdout()),
            flushed: None,
        }
    }

    /// Writes one line.
    pub(crate) fn line(&mut self, text: &str) -> Result<(), Failure> {
        writeln!(self.out, "{text}").map_err(Failure::Output)
    }

    /// Writes a row as a JSON object; flushes if the last flush is [`FLUSH_EVERY`] old.
    pub(crate) fn row(&mut self, row: &Reply<'_>) -> Result<(), Failure> {
        self.line(&row_json(row))?;
        if self.flushed.is_none_or(|t| t.elapsed() >= FLUSH_EVERY) {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes `{"ret": "..."}`.
    pub(crate) fn ret(&mut self, ret: Value<'_>) -> Result<(), Failure> {
        self.line(&format!("{{\"ret\": {}}}", json_string(&ret.to_string())))
    }

    pub(crate) fn flush(&mut self) -> Result<(), Failure> {
        self.flushed = Some(Instant::now());
        self.out.flush().map_err(Failure::Output)
    }
}

/// A JSON string literal.
fn json_string(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

/// One `!re` row as a JSON object: every `=name=value` attribute in the order sent, and API
/// attributes (`.section=...`) other than the client's own `.tag`. Keys and values are the
/// bytes the router sent, read as UTF-8 or else Windows-1252.
pub(crate) fn row_json(row: &Reply<'_>) -> String {
    let mut out = String::from("{");
    for word in row.sentence().words().skip(1) {
        let pair = split_attribute(word).or_else(|| api_attribute(word));
        let Some((key, value)) = pair else { continue };
        if out.len() > 1 {
            out.push_str(", ");
        }
        out.push_str(&json_string(&key.to_string()));
        out.push_str(": ");
        out.push_str(&json_string(&value.to_string()));
    }
    out.push('}');
    out
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
        row_json(&Reply::parse(sentence).unwrap())
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
}
