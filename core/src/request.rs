//! Commands: anything that can write its words into a sentence.

use crate::wire::{SentenceEncoder, WireError};

/// A command the client can send: it writes its words (path first) into an encoder. The
/// client adds `.tag=` and the terminator itself.
///
/// Implemented for lists of words (`["/interface/print", "?type=ether"]`, slices of `&str`
/// or `&[u8]`) and for [`Command`].
pub trait Request {
    /// Writes the words of the command.
    fn encode(&self, encoder: &mut SentenceEncoder<'_>) -> Result<(), WireError>;
}

impl<W: AsRef<[u8]>> Request for [W] {
    fn encode(&self, encoder: &mut SentenceEncoder<'_>) -> Result<(), WireError> {
        for word in self {
            encoder.word(word.as_ref())?;
        }
        Ok(())
    }
}

impl<W: AsRef<[u8]>, const N: usize> Request for [W; N] {
    fn encode(&self, encoder: &mut SentenceEncoder<'_>) -> Result<(), WireError> {
        self.as_slice().encode(encoder)
    }
}

impl<R: Request + ?Sized> Request for &R {
    fn encode(&self, encoder: &mut SentenceEncoder<'_>) -> Result<(), WireError> {
        (**self).encode(encoder)
    }
}

/// Encodes `request` followed by `.tag=tag` as one sentence into `buf`; returns its length.
/// The one way both clients put a tagged command on the wire.
pub(crate) fn encode_tagged<R: Request + ?Sized>(
    request: &R,
    tag: u32,
    buf: &mut [u8],
) -> Result<usize, WireError> {
    let mut encoder = SentenceEncoder::new(buf);
    request.encode(&mut encoder)?;
    encoder
        .api_attribute("tag", crate::proto::TagText::new(tag).as_bytes())?
        .finish()
        .map(|wire| wire.len())
}

/// `/cancel =tag=X`: stops the command tagged `X`.
pub(crate) struct CancelRequest {
    target: crate::proto::TagText,
}

impl CancelRequest {
    /// Cancels the command tagged `target`.
    pub(crate) fn new(target: u32) -> Self {
        Self {
            target: crate::proto::TagText::new(target),
        }
    }
}

impl Request for CancelRequest {
    fn encode(&self, encoder: &mut SentenceEncoder<'_>) -> Result<(), WireError> {
        encoder.word(b"/cancel")?;
        encoder.word_from_parts(&[b"=tag=", self.target.as_bytes()])?;
        Ok(())
    }
}

/// The comparison in a query word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum QueryOp {
    /// `?name`: the item has the property.
    Has,
    /// `?-name`: the item lacks the property.
    Lacks,
    /// `?name=value`: the property equals the value.
    Equals,
    /// `?<name=value`: the property is less than the value.
    Less,
    /// `?>name=value`: the property is greater than the value.
    Greater,
}

#[derive(Clone, Copy)]
enum Part<'a> {
    Attribute(&'a str, &'a [u8]),
    Query(QueryOp, &'a str, &'a [u8]),
    Operations(&'a str),
    Proplist(&'a [&'a str]),
    Raw(&'a [u8]),
}

/// A command built word by word, borrowing its strings. `N` bounds the number of words
/// after the path.
///
/// ```
/// use routeros_core::{Command, QueryOp, wire::SentenceEncoder, Request};
/// let cmd = Command::<8>::new("/interface/print")
///     .query("type", "ether")
///     .query("type", "vlan")
///     .operations("|")
///     .proplist(&["name", "mtu"]);
/// let mut buf = [0u8; 128];
/// let mut enc = SentenceEncoder::new(&mut buf);
/// cmd.encode(&mut enc).unwrap();
/// let len = enc.len();
/// let sentence = routeros_core::wire::Sentence::new_checked(&buf[..len]).unwrap();
/// let words: Vec<&[u8]> = sentence.words().collect();
/// assert_eq!(words, [&b"/interface/print"[..], b"?type=ether", b"?type=vlan", b"?#|", b"=.proplist=name,mtu"]);
/// ```
#[derive(Clone)]
pub struct Command<'a, const N: usize = 16> {
    path: &'a str,
    parts: heapless::Vec<Part<'a>, N>,
    overflow: bool,
}

impl<'a, const N: usize> Command<'a, N> {
    /// A command with just its path, such as `/ip/address/add`.
    pub const fn new(path: &'a str) -> Self {
        Self {
            path,
            parts: heapless::Vec::new(),
            overflow: false,
        }
    }

    /// The command path.
    pub fn path(&self) -> &'a str {
        self.path
    }

    fn push(mut self, part: Part<'a>) -> Self {
        if self.parts.push(part).is_err() {
            self.overflow = true;
        }
        self
    }

    /// Adds `=name=value`.
    pub fn attr(self, name: &'a str, value: &'a str) -> Self {
        self.attr_bytes(name, value.as_bytes())
    }

    /// Adds `=name=value` with a raw byte value.
    pub fn attr_bytes(self, name: &'a str, value: &'a [u8]) -> Self {
        self.push(Part::Attribute(name, value))
    }

    /// Adds the query word `?name=value`.
    pub fn query(self, name: &'a str, value: &'a str) -> Self {
        self.query_op(QueryOp::Equals, name, value)
    }

    /// Adds a query word with any comparison.
    pub fn query_op(self, op: QueryOp, name: &'a str, value: &'a str) -> Self {
        self.push(Part::Query(op, name, value.as_bytes()))
    }

    /// Adds `?#` followed by stack operations: `!` not, `&` and, `|` or, `.` duplicate,
    /// digits to index the stack.
    pub fn operations(self, ops: &'a str) -> Self {
        self.push(Part::Operations(ops))
    }

    /// Adds `=.proplist=a,b,...`: only these properties come back.
    pub fn proplist(self, names: &'a [&'a str]) -> Self {
        self.push(Part::Proplist(names))
    }

    /// Adds a word as it is.
    pub fn word(self, word: &'a str) -> Self {
        self.push(Part::Raw(word.as_bytes()))
    }
}

impl<const N: usize> Request for Command<'_, N> {
    fn encode(&self, encoder: &mut SentenceEncoder<'_>) -> Result<(), WireError> {
        if self.overflow {
            return Err(WireError::BufferTooSmall);
        }
        encoder.word(self.path.as_bytes())?;
        for part in &self.parts {
            match *part {
                Part::Attribute(name, value) => encoder.attribute(name, value)?,
                Part::Query(op, name, value) => {
                    let (lead, with_value): (&[u8], bool) = match op {
                        QueryOp::Has => (b"?", false),
                        QueryOp::Lacks => (b"?-", false),
                        QueryOp::Equals => (b"?", true),
                        QueryOp::Less => (b"?<", true),
                        QueryOp::Greater => (b"?>", true),
                    };
                    if with_value {
                        encoder.word_from_parts(&[lead, name.as_bytes(), b"=", value])?
                    } else {
                        encoder.word_from_parts(&[lead, name.as_bytes()])?
                    }
                }
                Part::Operations(ops) => encoder.word_from_parts(&[b"?#", ops.as_bytes()])?,
                Part::Proplist(names) => encoder.joined_word(b"=.proplist=", names, b",")?,
                Part::Raw(word) => encoder.word(word)?,
            };
        }
        Ok(())
    }
}

impl<const N: usize> core::fmt::Debug for Command<'_, N> {
    /// Shows the path and the number of words only: values may be secrets.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Command")
            .field("path", &self.path)
            .field("words", &self.parts.len())
            .finish()
    }
}
