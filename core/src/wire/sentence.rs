//! A checked view over one encoded sentence.

use super::length::{decode_length, LengthPrefix};
use super::WireError;

/// One sentence: a run of encoded words whose lengths were validated once, so reading its
/// words can no longer fail.
///
/// The view borrows the bytes it was made from (usually the [`Decoder`](super::Decoder)'s
/// buffer); the terminating zero-length word is not part of it.
///
/// ```
/// use routeros_core::wire::Sentence;
/// let bytes = [3, b'!', b'r', b'e', 5, b'=', b'a', b'=', b'b', b'c'];
/// let sentence = Sentence::new_checked(&bytes).unwrap();
/// let words: Vec<&[u8]> = sentence.words().collect();
/// assert_eq!(words, [&b"!re"[..], &b"=a=bc"[..]]);
/// ```
#[derive(Clone, Copy)]
pub struct Sentence<'a> {
    bytes: &'a [u8],
    words: usize,
    /// Where the first `.tag` word's value stands, when known: the decoder notes it while it
    /// reads the word lengths, so that routing a reply needs no second walk.
    tag: TagSpot,
}

impl PartialEq for Sentence<'_> {
    fn eq(&self, other: &Self) -> bool {
        // `tag` is derived from the bytes (or not yet known): the bytes decide.
        self.bytes == other.bytes && self.words == other.words
    }
}

impl Eq for Sentence<'_> {}

/// Where the value of a sentence's first `.tag` word stands in its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TagSpot {
    /// Not looked for: the words must be walked to find it.
    Unknown,
    /// The sentence has no `.tag` word.
    Absent,
    /// The value is `bytes[start..end]`.
    At { start: u32, end: u32 },
}

impl TagSpot {
    /// The value at `start..end`; [`Unknown`](Self::Unknown) if that does not fit in 32 bits.
    #[inline]
    pub(crate) fn at(start: usize, end: usize) -> Self {
        match (u32::try_from(start), u32::try_from(end)) {
            (Ok(start), Ok(end)) => Self::At { start, end },
            _ => Self::Unknown,
        }
    }
}

/// If `word` is a `.tag` API attribute (`.tag=value`, or a bare `.tag` with an empty value),
/// the offset of its value in `word`.
#[inline]
pub(crate) fn tag_value(word: &[u8]) -> Option<usize> {
    match word {
        [b'.', b't', b'a', b'g'] => Some(4),
        [b'.', b't', b'a', b'g', b'=', ..] => Some(5),
        _ => None,
    }
}

impl<'a> Sentence<'a> {
    /// Validates `bytes` as a run of whole, non-empty words (no terminator) and wraps them.
    pub fn new_checked(bytes: &'a [u8]) -> Result<Self, WireError> {
        let mut pos = 0;
        let mut words = 0;
        let mut tag = TagSpot::Absent;
        while pos < bytes.len() {
            match decode_length(&bytes[pos..])? {
                LengthPrefix::Complete { len: 0, .. } => return Err(WireError::Malformed),
                LengthPrefix::Complete { len, prefix } => {
                    let next = pos
                        .checked_add(prefix)
                        .and_then(|p| p.checked_add(len as usize))
                        .ok_or(WireError::Malformed)?;
                    if next > bytes.len() {
                        return Err(WireError::Malformed);
                    }
                    if tag == TagSpot::Absent {
                        let value = pos + prefix;
                        if let Some(found) = tag_value(&bytes[value..next]) {
                            tag = TagSpot::at(value + found, next);
                        }
                    }
                    pos = next;
                    words += 1;
                }
                LengthPrefix::Partial => return Err(WireError::Malformed),
            }
        }
        Ok(Self { bytes, words, tag })
    }

    /// Wraps bytes the caller has already validated word by word.
    pub(crate) fn from_validated(bytes: &'a [u8], words: usize) -> Self {
        Self {
            bytes,
            words,
            tag: TagSpot::Unknown,
        }
    }

    /// Wraps bytes the decoder validated, with the `.tag` it noted on the way.
    pub(crate) fn from_scan(bytes: &'a [u8], words: usize, tag: TagSpot) -> Self {
        Self { bytes, words, tag }
    }

    /// The value of the first `.tag` word: `Some(None)` when the sentence is known to have
    /// none, `None` when it was not looked for. Only asked for replies, whose first word is
    /// the reply word (`!re`, ...), never a `.tag`.
    #[inline]
    pub(crate) fn known_tag(&self) -> Option<Option<&'a [u8]>> {
        match self.tag {
            TagSpot::Unknown => None,
            TagSpot::Absent => Some(None),
            TagSpot::At { start, end } => Some(self.bytes.get(start as usize..end as usize)),
        }
    }

    /// The words, in order, as raw bytes.
    pub fn words(&self) -> Words<'a> {
        Words {
            rest: self.bytes,
            left: self.words,
        }
    }

    /// How many words the sentence has.
    pub fn len(&self) -> usize {
        self.words
    }

    /// Whether the sentence has no words (never true for a sentence a decoder hands out).
    pub fn is_empty(&self) -> bool {
        self.words == 0
    }

    /// The first word (the reply word such as `!re`, or a command path).
    pub fn first(&self) -> Option<&'a [u8]> {
        self.words().next()
    }

    /// The encoded bytes of all words, without the terminator.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }
}

impl core::fmt::Debug for Sentence<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut list = f.debug_list();
        for word in self.words() {
            match secret_attribute(word) {
                Some(name) => list.entry(&Redacted(name)),
                None => list.entry(&crate::proto::Value::new(word)),
            };
        }
        list.finish()
    }
}

/// Iterator over the words of a [`Sentence`].
#[derive(Clone)]
pub struct Words<'a> {
    rest: &'a [u8],
    left: usize,
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.left == 0 {
            return None;
        }
        // Most words are short: their length is the first byte itself. The sentence was
        // validated when it was made, so decoding cannot fail; stop rather than panic if it
        // ever did.
        let (len, prefix) = match *self.rest.first()? {
            short @ 0..=0x7F => (usize::from(short), 1),
            _ => match decode_length(self.rest).ok()? {
                LengthPrefix::Complete { len, prefix } => (len as usize, prefix),
                LengthPrefix::Partial => return None,
            },
        };
        let end = prefix.checked_add(len)?;
        let word = self.rest.get(prefix..end)?;
        self.rest = &self.rest[end..];
        self.left -= 1;
        Some(word)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Words<'_> {}

/// Attribute names whose values are secrets and never printed.
const SECRET_ATTRIBUTES: [&[u8]; 3] = [b"=password=", b"=response=", b"=passphrase="];

/// If `word` is an attribute carrying a secret, the `=name=` part of it.
fn secret_attribute(word: &[u8]) -> Option<&'static [u8]> {
    SECRET_ATTRIBUTES
        .iter()
        .copied()
        .find(|prefix| word.starts_with(prefix))
}

/// Prints `=name=` followed by a redaction marker.
struct Redacted(&'static [u8]);

impl core::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "\"{}<redacted>\"", crate::proto::Value::new(self.0))
    }
}
