//! Reply sentences: their kind, tag and attributes.

use super::{ProtocolError, TrapCategory, Value};
use crate::wire::{Sentence, Words};

/// The reply word that opens every sentence the router sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ReplyKind {
    /// `!re`: one data row.
    Re,
    /// `!done`: the last sentence of a command; may carry `=ret=`.
    Done,
    /// `!trap`: an error; always followed, sooner or later, by the command's `!done`.
    Trap,
    /// `!fatal`: the router is closing the connection.
    Fatal,
    /// `!empty` (RouterOS 7.18+): no rows; a `!done` still follows.
    Empty,
}

impl ReplyKind {
    /// Recognises a reply word.
    pub fn from_word(word: &[u8]) -> Option<Self> {
        // Byte patterns rather than string comparisons: this runs once per sentence.
        Some(match word {
            [b'!', b'r', b'e'] => Self::Re,
            [b'!', b'd', b'o', b'n', b'e'] => Self::Done,
            [b'!', b't', b'r', b'a', b'p'] => Self::Trap,
            [b'!', b'f', b'a', b't', b'a', b'l'] => Self::Fatal,
            [b'!', b'e', b'm', b'p', b't', b'y'] => Self::Empty,
            _ => return None,
        })
    }
}

/// A reply sentence, checked to open with a known reply word.
///
/// ```
/// use routeros_core::{wire::Sentence, Reply, ReplyKind};
/// let bytes = b"\x03!re\x0c=name=ether1\x06.tag=4";
/// let reply = Reply::parse(Sentence::new_checked(bytes).unwrap()).unwrap();
/// assert_eq!(reply.kind(), ReplyKind::Re);
/// assert_eq!(reply.tag().unwrap().as_bytes(), b"4");
/// assert_eq!(reply.get("name").unwrap().as_str(), Some("ether1"));
/// ```
#[derive(Clone, Copy)]
pub struct Reply<'a> {
    kind: ReplyKind,
    sentence: Sentence<'a>,
}

impl<'a> Reply<'a> {
    /// Checks the reply word of `sentence`.
    pub fn parse(sentence: Sentence<'a>) -> Result<Self, ProtocolError> {
        let first = sentence.first().ok_or(ProtocolError::UnknownReply)?;
        let kind = ReplyKind::from_word(first).ok_or(ProtocolError::UnknownReply)?;
        Ok(Self { kind, sentence })
    }

    /// A `!re` reply from a sentence the caller already checked opens with `!re`.
    pub(crate) fn row(sentence: Sentence<'a>) -> Self {
        Self {
            kind: ReplyKind::Re,
            sentence,
        }
    }

    /// Which reply this is.
    pub fn kind(&self) -> ReplyKind {
        self.kind
    }

    /// The underlying sentence.
    pub fn sentence(&self) -> Sentence<'a> {
        self.sentence
    }

    /// The `.tag=` value, if the command was tagged.
    ///
    /// The decoder notes where the tag stands while it reads the sentence's word lengths, so
    /// this is a lookup, not a walk over the words, wherever the tag stands.
    #[inline]
    pub fn tag(&self) -> Option<Value<'a>> {
        match self.sentence.known_tag() {
            Some(known) => known.map(Value::new),
            None => self.walk_api_attribute("tag"),
        }
    }

    /// The value of the API attribute `.name=value` (such as `.tag` or `.section`).
    pub fn api_attribute(&self, name: &str) -> Option<Value<'a>> {
        if name == "tag" {
            return self.tag();
        }
        self.walk_api_attribute(name)
    }

    fn walk_api_attribute(&self, name: &str) -> Option<Value<'a>> {
        self.body()
            .find_map(|word| attribute_value(word, b'.', name.as_bytes()))
    }

    /// The value of attribute `name` (from the word `=name=value`; a word `=name` without a
    /// second `=` gives an empty value).
    ///
    /// **Duplicate keys**: when the sentence carries `name` more than once (seen on real
    /// routers in `/ip/firewall/address-list/print`), the *last* value wins, as it is the
    /// meaningful one there. [`attributes`](Self::attributes) still yields every occurrence
    /// in order.
    ///
    /// ```
    /// use routeros_core::{wire::Sentence, Reply};
    /// let bytes = b"\x03!re\x07=list=a\x07=list=b\x09=disabled";
    /// let reply = Reply::parse(Sentence::new_checked(bytes).unwrap()).unwrap();
    /// assert_eq!(reply.get("list").unwrap().as_bytes(), b"b");
    /// assert_eq!(reply.get("disabled").unwrap().as_bytes(), b"");
    /// assert_eq!(reply.attributes().count(), 3);
    /// ```
    pub fn get(&self, name: &str) -> Option<Value<'a>> {
        last_attribute(self.body(), name)
    }

    /// All `=name=value` attributes in order, as (name, value); duplicates included, and a
    /// word `=name` without a second `=` as `name` with an empty value.
    pub fn attributes(&self) -> Attributes<'a> {
        Attributes { words: self.body() }
    }

    /// For `!fatal`: the reason, sent as a bare word rather than an attribute.
    pub fn fatal_reason(&self) -> Option<Value<'a>> {
        if self.kind != ReplyKind::Fatal {
            return None;
        }
        self.body()
            .find(|w| !w.starts_with(b"=") && !w.starts_with(b"."))
            .or_else(|| self.get("message").map(|v| v.as_bytes()))
            .map(Value::new)
    }

    /// For `!trap`: the category, if the router sent one.
    pub fn trap_category(&self) -> Option<TrapCategory> {
        let code = self.get("category")?.parse::<u8>()?;
        Some(TrapCategory::from_code(code))
    }

    /// For `!trap`: the message (empty if the router sent none).
    pub fn message(&self) -> Value<'a> {
        self.get("message").unwrap_or_default()
    }

    /// For `!done`: the `=ret=` value, if any.
    pub fn ret(&self) -> Option<Value<'a>> {
        self.get("ret")
    }

    fn body(&self) -> core::iter::Skip<Words<'a>> {
        self.sentence.words().skip(1)
    }
}

impl core::fmt::Debug for Reply<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(&self.sentence, f)
    }
}

/// Iterator over the `=name=value` attributes of a [`Reply`].
#[derive(Clone)]
pub struct Attributes<'a> {
    words: core::iter::Skip<Words<'a>>,
}

impl<'a> Iterator for Attributes<'a> {
    type Item = (Value<'a>, Value<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        self.words.by_ref().find_map(split_attribute)
    }
}

/// The value of the last `=name=value` (or bare `=name`) among `words`: on duplicate keys
/// the later value wins.
#[inline]
pub(crate) fn last_attribute<'a>(
    words: impl Iterator<Item = &'a [u8]>,
    name: &str,
) -> Option<Value<'a>> {
    words
        .filter_map(|word| attribute_value(word, b'=', name.as_bytes()))
        .last()
}

/// The value of `word` if it reads `lead`, `name`, `=`, value, or just `lead`, `name` (an
/// empty value).
#[inline]
fn attribute_value<'a>(word: &'a [u8], lead: u8, name: &[u8]) -> Option<Value<'a>> {
    let head = 1 + name.len();
    // Cheap rejections first: most words are not the one asked for.
    if word.len() < head || word[0] != lead || word[1..head] != *name {
        return None;
    }
    match word.get(head) {
        None => Some(Value::new(&[])),
        Some(b'=') => Some(Value::new(&word[head + 1..])),
        Some(_) => None,
    }
}

/// Splits `=name=value` into its name and value. The name ends at the second `=`; the value
/// may contain further `=` signs. A word `=name` without a second `=` is the attribute
/// `name` with an empty value (as other clients that keep such words read it).
///
/// ```
/// use routeros_core::proto::split_attribute;
/// let (name, value) = split_attribute(b"=comment=a=b").unwrap();
/// assert_eq!((name.as_bytes(), value.as_bytes()), (&b"comment"[..], &b"a=b"[..]));
/// let (name, value) = split_attribute(b"=only-key").unwrap();
/// assert_eq!((name.as_bytes(), value.as_bytes()), (&b"only-key"[..], &b""[..]));
/// assert!(split_attribute(b".tag=1").is_none());
/// ```
pub fn split_attribute(word: &[u8]) -> Option<(Value<'_>, Value<'_>)> {
    let rest = word.strip_prefix(b"=")?;
    match rest.iter().position(|&b| b == b'=') {
        Some(eq) => Some((Value::new(&rest[..eq]), Value::new(&rest[eq + 1..]))),
        None => Some((Value::new(rest), Value::new(&[]))),
    }
}
