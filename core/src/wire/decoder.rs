//! Incremental, borrowing sentence decoder over a caller-provided buffer.

use super::length::{decode_length, LengthPrefix};
use super::{Sentence, WireError};

/// Turns a byte stream into [`Sentence`] views without allocating.
///
/// The caller owns the buffer. Reading goes in three steps: write received bytes into
/// [`spare`](Self::spare), report how many with [`commit`](Self::commit), then take whole
/// sentences with [`next_sentence`](Self::next_sentence) until it returns `Ok(None)`.
/// Sentences split across any number of reads, down to one byte a read, come out whole.
///
/// A sentence larger than the buffer is reported once as [`WireError::SentenceTooLarge`] and
/// then skipped as its bytes arrive, so the stream stays in step and later sentences decode
/// normally. A reserved control byte ([`WireError::ControlByte`]) cannot be recovered from:
/// the decoder keeps returning that error.
///
/// ```
/// use routeros_core::wire::Decoder;
/// let mut buf = [0u8; 64];
/// let mut decoder = Decoder::new(&mut buf);
/// let wire = [5, b'!', b'd', b'o', b'n', b'e', 0];
/// for byte in wire {
///     decoder.spare()[0] = byte;
///     decoder.commit(1);
/// }
/// let sentence = decoder.next_sentence().unwrap().unwrap();
/// assert_eq!(sentence.first(), Some(&b"!done"[..]));
/// assert!(decoder.next_sentence().unwrap().is_none());
/// ```
pub struct Decoder<B> {
    buf: B,
    /// First byte not yet handed out.
    start: usize,
    /// End of the bytes received so far.
    end: usize,
    /// Length of the sentence handed out last; released on the next call.
    release: usize,
    skip: Skip,
    failed: Option<WireError>,
    /// The opening words of the sentence skipped last for being too large.
    skipped: SkippedHead,
}

/// Progress through a sentence that did not fit the buffer.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Skip {
    Off,
    /// At a word boundary inside an oversize sentence.
    Boundary,
    /// Inside a word of an oversize sentence, with this many bytes still to drop.
    Word(u32),
}

impl<B: AsRef<[u8]> + AsMut<[u8]>> Decoder<B> {
    /// A decoder reading into `buf` (a `&mut [u8]`, an array, or any owned byte buffer). The
    /// buffer bounds the largest sentence it can hand out.
    pub fn new(buf: B) -> Self {
        Self {
            buf,
            start: 0,
            end: 0,
            release: 0,
            skip: Skip::Off,
            failed: None,
            skipped: SkippedHead::EMPTY,
        }
    }

    /// Capacity of the buffer: the largest sentence (encoded, with terminator) that fits.
    pub fn capacity(&self) -> usize {
        self.buf.as_ref().len()
    }

    /// Bytes received but not yet handed out as sentences.
    pub fn buffered(&self) -> usize {
        self.end - self.start - self.release
    }

    /// Forgets everything buffered, as after a reconnect.
    pub fn reset(&mut self) {
        self.start = 0;
        self.end = 0;
        self.release = 0;
        self.skip = Skip::Off;
        self.failed = None;
        self.skipped = SkippedHead::EMPTY;
    }

    /// Free space to read into. Never empty while the decoder can make progress: when the
    /// buffer is full of one incomplete sentence, [`next_sentence`](Self::next_sentence)
    /// reports it as too large and frees the space.
    pub fn spare(&mut self) -> &mut [u8] {
        self.release_previous();
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.start > 0 && self.buf.as_ref().len() - self.end < self.buf.as_ref().len() / 2
        {
            self.buf.as_mut().copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        &mut self.buf.as_mut()[self.end..]
    }

    /// Records that `n` bytes were written at the start of [`spare`](Self::spare).
    pub fn commit(&mut self, n: usize) {
        self.end = (self.end + n).min(self.buf.as_ref().len());
    }

    /// Copies as much of `bytes` as fits into the buffer; returns how many were taken.
    pub fn feed(&mut self, bytes: &[u8]) -> usize {
        let spare = self.spare();
        let n = spare.len().min(bytes.len());
        spare[..n].copy_from_slice(&bytes[..n]);
        self.commit(n);
        n
    }

    fn release_previous(&mut self) {
        self.start += self.release;
        self.release = 0;
    }

    /// The next whole sentence, or `Ok(None)` when more bytes are needed.
    ///
    /// Empty sentences (a lone terminator) are skipped.
    pub fn next_sentence(&mut self) -> Result<Option<Sentence<'_>>, WireError> {
        Ok(self.next_frame()?.map(|frame| self.sentence(frame)))
    }

    /// Like [`next_sentence`](Self::next_sentence), but returns a [`Frame`] that
    /// [`sentence`](Self::sentence) turns into the view. This lets a caller inspect a
    /// sentence, let go of the borrow, and look at it again, until the next call to
    /// `next_frame`, `next_sentence`, `spare`, `feed` or `reset`.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, WireError> {
        if let Some(error) = self.failed {
            return Err(error);
        }
        self.release_previous();
        loop {
            if self.skip != Skip::Off && !self.skip_oversize()? {
                return Ok(None);
            }
            match self.scan()? {
                Scan::Empty => self.start += 1,
                Scan::Complete { words, body } => {
                    self.release = body + 1;
                    return Ok(Some(Frame {
                        start: self.start,
                        body,
                        words,
                    }));
                }
                Scan::Incomplete {
                    whole_words_end,
                    too_large,
                } => {
                    let full = self.start == 0 && self.end == self.buf.as_ref().len();
                    if too_large || full {
                        self.skipped = SkippedHead::read(
                            &self.buf.as_ref()[self.start..self.end.max(self.start)],
                        );
                        self.start = whole_words_end;
                        self.skip = Skip::Boundary;
                        return Err(WireError::SentenceTooLarge);
                    }
                    return Ok(None);
                }
            }
        }
    }

    /// The sentence a [`Frame`] from the latest [`next_frame`](Self::next_frame) points at.
    /// A frame from an earlier call gives an empty sentence rather than wrong bytes when it
    /// no longer fits the buffered data.
    pub fn sentence(&self, frame: Frame) -> Sentence<'_> {
        match self.buf.as_ref().get(frame.start..frame.start + frame.body) {
            Some(bytes) if frame.start + frame.body < self.end => {
                Sentence::from_validated(bytes, frame.words)
            }
            _ => Sentence::from_validated(&[], 0),
        }
    }

    /// Looks for a whole sentence starting at `self.start`.
    fn scan(&mut self) -> Result<Scan, WireError> {
        let result = scan(
            &self.buf.as_ref()[..self.end],
            self.start,
            self.buf.as_ref().len(),
        );
        if let Err(e) = result {
            self.failed = Some(e);
        }
        result
    }

    /// The opening words of the sentence last reported as
    /// [`WireError::SentenceTooLarge`], as far as they could be read: lets a caller tell a
    /// skipped `!done` or `!trap` (which ends a command) from a skipped `!re`.
    pub fn skipped(&self) -> &SkippedHead {
        &self.skipped
    }

    /// Drops bytes of an oversize sentence. Returns `true` once its terminator is consumed.
    fn skip_oversize(&mut self) -> Result<bool, WireError> {
        loop {
            match self.skip {
                Skip::Off => return Ok(true),
                Skip::Word(left) => {
                    let available = (self.end - self.start) as u64;
                    let drop = available.min(u64::from(left));
                    self.start += drop as usize;
                    let left = left - drop as u32;
                    if left > 0 {
                        self.skip = Skip::Word(left);
                        return Ok(false);
                    }
                    self.skip = Skip::Boundary;
                }
                Skip::Boundary => {
                    let prefix = decode_length(&self.buf.as_ref()[self.start..self.end])
                        .inspect_err(|&e| self.failed = Some(e))?;
                    match prefix {
                        LengthPrefix::Partial => return Ok(false),
                        LengthPrefix::Complete { len: 0, prefix } => {
                            self.start += prefix;
                            self.skip = Skip::Off;
                        }
                        LengthPrefix::Complete { len, prefix } => {
                            self.start += prefix;
                            self.skip = Skip::Word(len);
                        }
                    }
                }
            }
        }
    }
}

/// Looks for a whole sentence in `bytes[start..]`; `capacity` is the buffer's size, to tell
/// a sentence that is still arriving from one that can never fit.
#[inline]
fn scan(bytes: &[u8], start: usize, capacity: usize) -> Result<Scan, WireError> {
    let mut pos = start;
    let mut words = 0;
    // Start of the last word looked at: where the whole words end if that one is cut off.
    let mut word_start = start;
    while let Some(&first) = bytes.get(pos) {
        word_start = pos;
        // Most words are short: their length is the first byte itself.
        let (len, prefix) = if first < 0x80 {
            (usize::from(first), 1)
        } else {
            match decode_length(&bytes[pos..])? {
                LengthPrefix::Complete { len, prefix } => (len as usize, prefix),
                LengthPrefix::Partial => break,
            }
        };
        if len == 0 {
            if words == 0 {
                return Ok(Scan::Empty);
            }
            return Ok(Scan::Complete {
                words,
                body: pos - start,
            });
        }
        pos = pos.saturating_add(prefix).saturating_add(len);
        words += 1;
    }
    // Not all here yet. What is here must still fit, with a terminator, once compacted to
    // the start of the buffer.
    let needed = pos.max(bytes.len()) - start + 1;
    Ok(Scan::Incomplete {
        whole_words_end: word_start,
        too_large: needed > capacity,
    })
}

/// The reply word and `.tag` of a sentence that was too large to hand out, when they were
/// among its first words (RouterOS puts the tag right after the reply word).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkippedHead {
    reply: [u8; 8],
    reply_len: u8,
    tag: [u8; 10],
    tag_len: u8,
}

impl SkippedHead {
    const EMPTY: Self = Self {
        reply: [0; 8],
        reply_len: 0,
        tag: [0; 10],
        tag_len: 0,
    };

    /// Reads the first two words of `bytes`, if whole and short.
    fn read(bytes: &[u8]) -> Self {
        let mut head = Self::EMPTY;
        let mut words = leading_words(bytes);
        if let Some(reply) = words.next() {
            if reply.len() <= head.reply.len() {
                head.reply[..reply.len()].copy_from_slice(reply);
                head.reply_len = reply.len() as u8;
            }
            if let Some(tag) = words.next().and_then(|w| w.strip_prefix(b".tag=")) {
                if tag.len() <= head.tag.len() {
                    head.tag[..tag.len()].copy_from_slice(tag);
                    head.tag_len = tag.len() as u8;
                }
            }
        }
        head
    }

    /// The reply word (`!re`, `!done`, ...), if it was read.
    pub fn reply_word(&self) -> Option<&[u8]> {
        (self.reply_len > 0).then(|| &self.reply[..usize::from(self.reply_len)])
    }

    /// The `.tag` value, if it came right after the reply word.
    pub fn tag(&self) -> Option<&[u8]> {
        (self.tag_len > 0).then(|| &self.tag[..usize::from(self.tag_len)])
    }
}

/// The whole words at the start of encoded bytes that may end mid-word or lack the
/// terminator (a sentence still arriving, or one just encoded). Stops at the first word that
/// is not all there, at a terminator, or at an invalid length.
pub(crate) fn leading_words(bytes: &[u8]) -> LeadingWords<'_> {
    LeadingWords { rest: bytes }
}

/// Iterator returned by [`leading_words`].
pub(crate) struct LeadingWords<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for LeadingWords<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let LengthPrefix::Complete { len, prefix } = decode_length(self.rest).ok()? else {
            return None;
        };
        let end = prefix.checked_add(len as usize)?;
        let word = self.rest.get(prefix..end)?;
        self.rest = &self.rest[end..];
        (!word.is_empty()).then_some(word)
    }
}

/// Where a decoded sentence sits in the buffer; see [`Decoder::next_frame`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    start: usize,
    body: usize,
    words: usize,
}

enum Scan {
    /// A lone terminator.
    Empty,
    /// A whole sentence: `words` words in `body` bytes, then the terminator.
    Complete { words: usize, body: usize },
    /// Not all there yet; `whole_words_end` is where the last whole word ends.
    Incomplete {
        whole_words_end: usize,
        too_large: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::SentenceEncoder;

    fn encode(words: &[&[u8]], out: &mut [u8]) -> usize {
        let mut enc = SentenceEncoder::new(out);
        for w in words {
            enc.word(w).unwrap();
        }
        enc.finish().unwrap().len()
    }

    fn collect<B: AsRef<[u8]> + AsMut<[u8]>>(
        decoder: &mut Decoder<B>,
        out: &mut std::vec::Vec<std::vec::Vec<std::vec::Vec<u8>>>,
    ) -> Result<(), WireError> {
        while let Some(s) = decoder.next_sentence()? {
            out.push(s.words().map(|w| w.to_vec()).collect());
        }
        Ok(())
    }

    extern crate std;

    #[test]
    fn one_byte_at_a_time() {
        let mut wire = [0u8; 128];
        let n = encode(&[b"!re", b"=name=ether1", b".tag=7"], &mut wire);
        let mut buf = [0u8; 32];
        let mut d = Decoder::new(&mut buf);
        let mut got = std::vec::Vec::new();
        for &b in &wire[..n] {
            assert_eq!(d.feed(&[b]), 1);
            collect(&mut d, &mut got).unwrap();
        }
        assert_eq!(got.len(), 1);
        assert_eq!(got[0][1], b"=name=ether1");
    }

    #[test]
    fn empty_sentences_are_ignored() {
        let mut buf = [0u8; 16];
        let mut d = Decoder::new(&mut buf);
        d.feed(&[0, 0, 5, b'!', b'd', b'o', b'n', b'e', 0, 0]);
        let s = d.next_sentence().unwrap().unwrap();
        assert_eq!(s.len(), 1);
        assert!(d.next_sentence().unwrap().is_none());
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn oversize_sentence_is_skipped_and_stream_stays_in_step() {
        let mut wire = [0u8; 256];
        let big = [b'x'; 100];
        let mut n = encode(&[b"!re", &big], &mut wire);
        n += encode(&[b"!done"], &mut wire[n..]);
        let mut buf = [0u8; 32];
        let mut d = Decoder::new(&mut buf);
        let mut errors = 0;
        let mut got = std::vec::Vec::new();
        let mut rest = &wire[..n];
        while !rest.is_empty() {
            let k = d.feed(&rest[..rest.len().min(7)]);
            rest = &rest[k..];
            loop {
                match d.next_sentence() {
                    Ok(Some(s)) => got.push(s.first().unwrap().to_vec()),
                    Ok(None) => break,
                    Err(WireError::SentenceTooLarge) => errors += 1,
                    Err(e) => panic!("{e:?}"),
                }
            }
        }
        assert_eq!(errors, 1);
        assert_eq!(got, [b"!done".to_vec()]);
    }

    #[test]
    fn the_head_of_a_skipped_sentence_is_kept() {
        let mut wire = [0u8; 256];
        let big = [b'x'; 100];
        let n = encode(&[b"!done", b".tag=42", &big], &mut wire);
        let mut buf = [0u8; 32];
        let mut d = Decoder::new(&mut buf);
        d.feed(&wire[..n.min(32)]);
        assert_eq!(d.next_sentence().unwrap_err(), WireError::SentenceTooLarge);
        assert_eq!(d.skipped().reply_word(), Some(&b"!done"[..]));
        assert_eq!(d.skipped().tag(), Some(&b"42"[..]));
    }

    #[test]
    fn control_byte_is_sticky() {
        let mut buf = [0u8; 16];
        let mut d = Decoder::new(&mut buf);
        d.feed(&[3, b'!', b'r', b'e', 0xF9]);
        assert_eq!(d.next_sentence().unwrap_err(), WireError::ControlByte(0xF9));
        assert_eq!(d.next_sentence().unwrap_err(), WireError::ControlByte(0xF9));
    }

    #[test]
    fn huge_declared_length_is_too_large_not_a_panic() {
        let mut buf = [0u8; 16];
        let mut d = Decoder::new(&mut buf);
        d.feed(&[0xF0, 0xFF, 0xFF, 0xFF, 0xFF, b'a']);
        assert_eq!(d.next_sentence().unwrap_err(), WireError::SentenceTooLarge);
        assert!(d.next_sentence().unwrap().is_none());
    }
}
