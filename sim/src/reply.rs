//! Parsed commands and encoded replies.

use crate::codec::{encode_len, encode_sentence, encode_word};
use crate::model::Row;
use crate::query::{parse_proplist, QueryWord};

/// A command sentence from a client, split into its parts.
#[derive(Debug, Clone, Default)]
pub struct Command {
    /// The command word, e.g. `/interface/print`.
    pub path: String,
    /// Attribute words `=name=value`, in order (without `.proplist`).
    pub attrs: Vec<(String, Vec<u8>)>,
    /// The API attribute `.tag`.
    pub tag: Option<Vec<u8>>,
    /// `=.proplist=` (or the API attribute `.proplist=`).
    pub proplist: Option<Vec<String>>,
    /// Query words (`?...`), in order.
    pub queries: Vec<QueryWord>,
    /// Size of the sentence on the wire, in bytes.
    pub wire_size: usize,
    /// Where replies to this command put the tag (set by the connection).
    pub tag_position: TagPosition,
}

/// Where `.tag=` stands in a reply sentence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TagPosition {
    /// Right after the reply word (`!re .tag=1 =name=x`), as one router capture has it.
    First,
    /// After the attributes (`!re =name=x .tag=1`), as MikroTik's own examples and a
    /// real router's transcript show it. The default.
    #[default]
    Last,
    /// First and last in turn, sentence by sentence (a deterministic alternation shared by
    /// every connection of the process).
    Mixed,
}

impl TagPosition {
    /// Parses `first`, `last` or `mixed`.
    pub fn parse(s: &str) -> Option<TagPosition> {
        match s {
            "first" => Some(TagPosition::First),
            "last" => Some(TagPosition::Last),
            "mixed" => Some(TagPosition::Mixed),
            _ => None,
        }
    }

    /// Whether the next sentence puts its tag first.
    fn first(self) -> bool {
        static TURN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        match self {
            TagPosition::First => true,
            TagPosition::Last => false,
            TagPosition::Mixed => TURN.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 2 == 0,
        }
    }
}

impl Command {
    /// Splits a sentence's words. The first word is the command.
    pub fn parse(words: Vec<Vec<u8>>) -> Command {
        let mut cmd = Command::default();
        let mut it = words.into_iter();
        if let Some(first) = it.next() {
            cmd.wire_size += first.len() + 5;
            cmd.path = String::from_utf8_lossy(&first).into_owned();
        }
        for w in it {
            cmd.wire_size += w.len() + 5;
            if let Some(rest) = w.strip_prefix(b"=") {
                let (name, value) = match rest.iter().position(|&b| b == b'=') {
                    Some(i) => (&rest[..i], rest[i + 1..].to_vec()),
                    None => (rest, Vec::new()),
                };
                if name == b".proplist" {
                    cmd.proplist = Some(parse_proplist(&value));
                } else {
                    cmd.attrs
                        .push((String::from_utf8_lossy(name).into_owned(), value));
                }
            } else if let Some(v) = w.strip_prefix(b".tag=") {
                cmd.tag = Some(v.to_vec());
            } else if let Some(v) = w.strip_prefix(b".proplist=") {
                cmd.proplist = Some(parse_proplist(v));
            } else if let Some(q) = w.strip_prefix(b"?") {
                cmd.queries.push(QueryWord::parse(q));
            }
            // Anything else is ignored, as RouterOS ignores unknown API attributes.
        }
        cmd
    }

    /// The value of an attribute, if given.
    pub fn attr(&self, name: &str) -> Option<&[u8]> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_slice())
    }

    /// Whether a valueless-style flag attribute (`=once=`) is on. `no`/`false` turn it off.
    pub fn flag(&self, name: &str) -> bool {
        match self.attr(name) {
            Some(v) => !matches!(v, b"no" | b"false"),
            None => false,
        }
    }

    /// The first attribute not in `allowed` (names starting with `.` are API attributes and
    /// are always allowed).
    pub fn unknown_attr(&self, allowed: &[&str]) -> Option<&str> {
        self.attrs
            .iter()
            .map(|(k, _)| k.as_str())
            .find(|k| !k.starts_with('.') && !allowed.contains(k))
    }
}

/// Encodes reply sentences for one command, adding its tag to each.
#[derive(Debug, Clone, Default)]
pub struct Reply {
    tag: Option<Vec<u8>>,
    position: TagPosition,
}

fn encode_attr(name: &str, value: &[u8], out: &mut Vec<u8>) {
    encode_len(name.len() + value.len() + 2, out);
    out.push(b'=');
    out.extend_from_slice(name.as_bytes());
    out.push(b'=');
    out.extend_from_slice(value);
}

impl Reply {
    /// A reply builder for a command with this tag, put right after the reply word.
    pub fn new(tag: Option<Vec<u8>>) -> Reply {
        Reply::with_position(tag, TagPosition::First)
    }

    /// A reply builder for a command with this tag, put where `position` says.
    pub fn with_position(tag: Option<Vec<u8>>, position: TagPosition) -> Reply {
        Reply { tag, position }
    }

    /// The tag, if the command had one.
    pub fn tag(&self) -> Option<&[u8]> {
        self.tag.as_deref()
    }

    /// Where the tag goes.
    pub fn position(&self) -> TagPosition {
        self.position
    }

    fn tag_word(&self, out: &mut Vec<u8>) {
        if let Some(t) = &self.tag {
            encode_len(t.len() + 5, out);
            out.extend_from_slice(b".tag=");
            out.extend_from_slice(t);
        }
    }

    /// Writes the reply word (and the tag, if it goes first); returns whether the tag is
    /// still to be written after the attributes.
    fn head(&self, kind: &str, out: &mut Vec<u8>) -> bool {
        encode_word(kind.as_bytes(), out);
        if self.tag.is_none() {
            return false;
        }
        if self.position.first() {
            self.tag_word(out);
            false
        } else {
            true
        }
    }

    /// Appends a sentence: the reply word, `=name=value` attributes and the tag.
    pub fn sentence_into(&self, kind: &str, attrs: &[(&str, &[u8])], out: &mut Vec<u8>) {
        let tag_last = self.head(kind, out);
        for (k, v) in attrs {
            encode_attr(k, v, out);
        }
        if tag_last {
            self.tag_word(out);
        }
        out.push(0);
    }

    /// One sentence as bytes.
    pub fn sentence(&self, kind: &str, attrs: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        self.sentence_into(kind, attrs, &mut out);
        out
    }

    /// Appends a `!re` with the row's properties.
    pub fn re_into(&self, row: &Row, out: &mut Vec<u8>) {
        let tag_last = self.head("!re", out);
        for (k, v) in &row.fields {
            encode_attr(k, v, out);
        }
        if tag_last {
            self.tag_word(out);
        }
        out.push(0);
    }

    /// A `!re` sentence.
    pub fn re(&self, row: &Row) -> Vec<u8> {
        let mut out = Vec::new();
        self.re_into(row, &mut out);
        out
    }

    /// `!done`.
    pub fn done(&self) -> Vec<u8> {
        self.sentence("!done", &[])
    }

    /// `!done =ret=value`.
    pub fn done_ret(&self, value: &[u8]) -> Vec<u8> {
        self.sentence("!done", &[("ret", value)])
    }

    /// `!empty` (RouterOS 7.18+).
    pub fn empty(&self) -> Vec<u8> {
        self.sentence("!empty", &[])
    }

    /// `!trap` with an optional category and a message.
    pub fn trap(&self, category: Option<u8>, message: &str) -> Vec<u8> {
        let cat = category.map(|c| c.to_string());
        let mut attrs: Vec<(&str, &[u8])> = Vec::new();
        if let Some(c) = &cat {
            attrs.push(("category", c.as_bytes()));
        }
        attrs.push(("message", message.as_bytes()));
        self.sentence("!trap", &attrs)
    }
}

/// `!fatal` with its bare reason word (never tagged).
pub fn fatal(reason: &str) -> Vec<u8> {
    let mut out = Vec::new();
    encode_sentence(&[b"!fatal".as_slice(), reason.as_bytes()], &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{parse_sentence, Parsed};

    fn words(bytes: &[u8]) -> Vec<String> {
        match parse_sentence(bytes, 1 << 20).unwrap() {
            Parsed::Sentence { words, used } => {
                assert_eq!(used, bytes.len());
                words
                    .into_iter()
                    .map(|w| String::from_utf8(w).unwrap())
                    .collect()
            }
            Parsed::Partial => panic!("partial"),
        }
    }

    #[test]
    fn tag_follows_reply_word() {
        let r = Reply::new(Some(b"7".to_vec()));
        assert_eq!(
            words(&r.trap(Some(2), "interrupted")),
            ["!trap", ".tag=7", "=category=2", "=message=interrupted"]
        );
        assert_eq!(
            words(&Reply::default().done_ret(b"*3")),
            ["!done", "=ret=*3"]
        );
        assert_eq!(
            words(&fatal("session terminated on request")),
            ["!fatal", "session terminated on request"]
        );
    }

    #[test]
    fn tag_last_and_mixed() {
        let r = Reply::with_position(Some(b"7".to_vec()), TagPosition::Last);
        assert_eq!(
            words(&r.trap(Some(2), "interrupted")),
            ["!trap", "=category=2", "=message=interrupted", ".tag=7"]
        );
        let mut row = Row::default();
        row.push("name", "ether1");
        assert_eq!(words(&r.re(&row)), ["!re", "=name=ether1", ".tag=7"]);
        let m = Reply::with_position(Some(b"7".to_vec()), TagPosition::Mixed);
        let seen: Vec<bool> = (0..4).map(|_| words(&m.re(&row))[1] == ".tag=7").collect();
        assert!(seen.contains(&true) && seen.contains(&false), "{seen:?}");
    }

    #[test]
    fn command_parts() {
        let c = Command::parse(vec![
            b"/interface/print".to_vec(),
            b"=.proplist=name,mtu".to_vec(),
            b".tag=abc".to_vec(),
            b"?type=ether".to_vec(),
            b"=detail=".to_vec(),
            b"=flag".to_vec(),
        ]);
        assert_eq!(c.path, "/interface/print");
        assert_eq!(c.tag.as_deref(), Some(&b"abc"[..]));
        assert_eq!(
            c.proplist,
            Some(vec!["name".to_string(), "mtu".to_string()])
        );
        assert_eq!(c.queries.len(), 1);
        assert_eq!(c.attr("detail"), Some(&b""[..]));
        assert!(c.flag("flag"));
        assert_eq!(c.unknown_attr(&["detail"]), Some("flag"));
    }
}
