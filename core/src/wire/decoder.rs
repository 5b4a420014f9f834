//! Incremental, borrowing sentence decoder over a caller-provided buffer.

use super::length::{decode_length, LengthPrefix};
use super::sentence::{tag_value, TagSpot};
use super::{Sentence, WireError};
use crate::proto::ReplyKind;

/// Turns a byte stream into [`Sentence`] views without allocating.
///
/// The caller owns the buffer. Reading goes in three steps: write received bytes into
/// [`spare`](Self::spare), report how many with [`commit`](Self::commit), then take whole
/// sentences with [`next_sentence`](Self::next_sentence) until it returns `Ok(None)`.
/// Sentences split across any number of reads, down to one byte a read, come out whole.
///
/// A sentence larger than the buffer is skipped as its bytes arrive, so the stream stays in
/// step and later sentences decode normally. It is reported once, as
/// [`WireError::SentenceTooLarge`], when its last byte has passed: by then
/// [`skipped`](Self::skipped) knows its reply word and its `.tag`, wherever the tag stood,
/// so a caller can charge it to the right command.
///
/// Skipping is bounded by the [skip limit](Self::set_skip_limit) (default
/// [`DEFAULT_SKIP_LIMIT`](Self::DEFAULT_SKIP_LIMIT), 16 MiB; real replies carry words up to
/// about 64 KiB). A word that claims more than the limit (and more than the buffer holds), or
/// an oversize sentence whose skipped bytes would pass it, is reported at once, as soon as
/// the length prefix is read, as [`WireError::TooLargeToSkip`]: a peer announcing a 4 GiB
/// word ends the connection rather than keeping it reading for gigabytes. That error, like
/// [`WireError::ControlByte`], cannot be recovered from: the decoder keeps returning it.
/// A word claiming any length up to
/// `u32::MAX` is handled with checked arithmetic on every target (16, 32 or 64-bit). The
/// buffer must hold at least [`MIN_CAPACITY`](Self::MIN_CAPACITY) bytes (a whole length
/// prefix); the clients refuse smaller ones. A reserved control byte ([`WireError::ControlByte`]) cannot be recovered from:
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
    /// Most bytes a word may claim, or an oversize sentence may still drop, before the
    /// stream is given up as [`WireError::TooLargeToSkip`].
    skip_limit: u32,
    /// Bytes the oversize sentence being skipped may still drop within `skip_limit`.
    skip_budget: u32,
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

impl<B> Decoder<B> {
    /// The smallest usable buffer: the longest length prefix. With less, a word with a
    /// 5-byte prefix could never be read and the decoder would stall.
    pub const MIN_CAPACITY: usize = super::MAX_PREFIX_LEN;

    /// The default [skip limit](Decoder::set_skip_limit): 16 MiB, 256 times the largest words
    /// real routers send (about 64 KiB).
    pub const DEFAULT_SKIP_LIMIT: u32 = 16 << 20;
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
            skip_limit: Self::DEFAULT_SKIP_LIMIT,
            skip_budget: 0,
        }
    }

    /// Sets the skip limit: the most bytes a received word may claim, and the most bytes of
    /// an oversize sentence the decoder drops (beyond the buffer-full it first holds), before
    /// it reports [`WireError::TooLargeToSkip`] instead of skipping. A word that fits the
    /// buffer is never refused, whatever the limit. Default:
    /// [`DEFAULT_SKIP_LIMIT`](Self::DEFAULT_SKIP_LIMIT).
    ///
    /// ```
    /// use routeros_core::wire::{Decoder, WireError};
    /// let mut buf = [0u8; 64];
    /// let mut decoder = Decoder::new(&mut buf);
    /// decoder.set_skip_limit(1 << 20);
    /// // `!re`, then a word claiming 2 MiB (prefix 0xE0 0x20 0x00 0x00).
    /// decoder.feed(&[3, b'!', b'r', b'e', 0xE0, 0x20, 0x00, 0x00]);
    /// assert_eq!(decoder.next_sentence().unwrap_err(), WireError::TooLargeToSkip);
    /// ```
    pub fn set_skip_limit(&mut self, bytes: u32) {
        self.skip_limit = bytes;
    }

    /// The current [skip limit](Self::set_skip_limit).
    pub fn skip_limit(&self) -> u32 {
        self.skip_limit
    }

    /// The most bytes a word may claim before it is refused: the skip limit, or the buffer's
    /// size if larger (a word that fits is always read).
    fn word_limit(&self) -> u64 {
        u64::from(self.skip_limit).max(self.buf.as_ref().len() as u64)
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
        self.skip_budget = 0;
    }

    /// Free space to read into. Never empty while the decoder can make progress: when the
    /// buffer is full of one incomplete sentence, [`next_sentence`](Self::next_sentence)
    /// starts skipping it and frees the space (given at least
    /// [`MIN_CAPACITY`](Self::MIN_CAPACITY) bytes).
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
        self.end = self.end.saturating_add(n).min(self.buf.as_ref().len());
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
            if self.skip != Skip::Off {
                if !self.skip_oversize()? {
                    return Ok(None);
                }
                // The whole oversize sentence has passed: its reply word and tag are known,
                // wherever the tag stood.
                return Err(WireError::SentenceTooLarge);
            }
            match self.scan()? {
                Scan::Empty => self.start += 1,
                Scan::Complete { words, body, tag } => {
                    self.release = body + 1;
                    let kind = self
                        .buf
                        .as_ref()
                        .get(self.start..self.start + body)
                        .and_then(reply_kind);
                    return Ok(Some(Frame {
                        start: self.start,
                        body,
                        words,
                        tag,
                        kind,
                    }));
                }
                Scan::Incomplete {
                    whole_words_end,
                    too_large,
                } => {
                    let full = self.start == 0 && self.end == self.buf.as_ref().len();
                    if !(too_large || full) {
                        return Ok(None);
                    }
                    self.skipped = SkippedHead::EMPTY;
                    let head = &self.buf.as_ref()[self.start..whole_words_end];
                    let mut words = leading_words(head);
                    if let Some(reply) = words.next() {
                        self.skipped.set_reply(reply);
                        words.for_each(|word| self.skipped.note(word));
                    }
                    self.start = whole_words_end;
                    self.skip = Skip::Boundary;
                    self.skip_budget = self.skip_limit;
                }
            }
        }
    }

    /// Whether the decoder is dropping the bytes of a sentence too large for its buffer (it
    /// reports [`WireError::SentenceTooLarge`] once that sentence's terminator has passed).
    pub fn is_skipping(&self) -> bool {
        self.skip != Skip::Off
    }

    /// The sentence a [`Frame`] from the latest [`next_frame`](Self::next_frame) points at.
    /// A frame from an earlier call gives an empty sentence rather than wrong bytes when it
    /// no longer fits the buffered data.
    pub fn sentence(&self, frame: Frame) -> Sentence<'_> {
        match self.buf.as_ref().get(frame.start..frame.start + frame.body) {
            Some(bytes) if frame.start + frame.body < self.end => {
                Sentence::from_scan(bytes, frame.words, frame.tag)
            }
            _ => Sentence::from_scan(&[], 0, TagSpot::Absent),
        }
    }

    /// The `.tag` value of the sentence a [`Frame`] from the latest
    /// [`next_frame`](Self::next_frame) points at, as the decoder noted it: `None` when it has
    /// none (or the frame is stale). Lets a client route a row without making a [`Reply`](crate::Reply).
    #[inline]
    pub(crate) fn frame_tag(&self, frame: Frame) -> Option<&[u8]> {
        let TagSpot::At { start, end } = frame.tag else {
            return None;
        };
        if frame.start + frame.body >= self.end {
            return None;
        }
        self.buf
            .as_ref()
            .get(frame.start + start as usize..frame.start + end as usize)
    }

    /// Looks for a whole sentence starting at `self.start`.
    fn scan(&mut self) -> Result<Scan, WireError> {
        let result = scan(
            &self.buf.as_ref()[..self.end],
            self.start,
            self.buf.as_ref().len(),
            self.word_limit(),
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

    /// Drops bytes of an oversize sentence, noting a `.tag=` word wherever it stands.
    /// Returns `true` once its terminator is consumed.
    fn skip_oversize(&mut self) -> Result<bool, WireError> {
        let capacity = self.buf.as_ref().len();
        loop {
            match self.skip {
                Skip::Off => return Ok(true),
                Skip::Word(left) => {
                    let available = (self.end - self.start) as u64;
                    let drop = available.min(u64::from(left));
                    self.start += drop as usize;
                    let left = left - drop as u32;
                    // Charged to the budget when the word's length was read.
                    if left > 0 {
                        self.skip = Skip::Word(left);
                        return Ok(false);
                    }
                    self.skip = Skip::Boundary;
                }
                Skip::Boundary => {
                    let rest = &self.buf.as_ref()[self.start..self.end];
                    let prefix = decode_length(rest).inspect_err(|&e| self.failed = Some(e))?;
                    match prefix {
                        LengthPrefix::Partial => return Ok(false),
                        LengthPrefix::Complete { len: 0, prefix } => {
                            self.start += prefix;
                            self.skip = Skip::Off;
                        }
                        LengthPrefix::Complete { len, prefix } => {
                            // Refused at once when it would take the sentence past the skip
                            // limit: no waiting for gigabytes to pass.
                            let cost = len.saturating_add(prefix as u32);
                            let Some(budget) = self.skip_budget.checked_sub(cost) else {
                                self.failed = Some(WireError::TooLargeToSkip);
                                return Err(WireError::TooLargeToSkip);
                            };
                            self.skip_budget = budget;
                            // A word short enough to be a `.tag=` is looked at whole (waiting
                            // for its bytes if the buffer can hold it); longer ones are
                            // dropped as they arrive.
                            let whole = prefix.checked_add(len as usize);
                            match whole.filter(|&w| len as usize <= TAG_WORD_MAX && w <= capacity) {
                                Some(whole) if rest.len() < whole => return Ok(false),
                                Some(whole) => {
                                    let word = &rest[prefix..whole];
                                    self.skipped.note(word);
                                    self.start += whole;
                                }
                                None => {
                                    self.start += prefix;
                                    self.skip = Skip::Word(len);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The longest word that can carry a tag this crate reads: `.tag=` and ten digits.
const TAG_WORD_MAX: usize = 5 + 10;

/// Looks for a whole sentence in `bytes[start..]`; `capacity` is the buffer's size, to tell
/// a sentence that is still arriving from one that can never fit; a word claiming more than
/// `word_limit` bytes is [`WireError::TooLargeToSkip`].
#[inline]
fn scan(bytes: &[u8], start: usize, capacity: usize, word_limit: u64) -> Result<Scan, WireError> {
    scan_within(bytes, start, capacity, word_limit, usize::MAX)
}

/// [`scan`] for an address space of `limit` bytes: a position past `limit` means the
/// sentence can never fit. `usize::MAX` on the real target; tests pass `u32::MAX` to check
/// the arithmetic of 32-bit targets on a 64-bit host. Every sum is checked, so a length
/// claimed by the peer can never overflow, whatever the width of `usize`.
#[inline]
fn scan_within(
    bytes: &[u8],
    start: usize,
    capacity: usize,
    word_limit: u64,
    limit: usize,
) -> Result<Scan, WireError> {
    let mut pos = start;
    let mut words = 0;
    // Where the first `.tag` word's value stands, noted on the way so that routing a reply
    // needs no second walk over its words.
    let mut tag = TagSpot::Absent;
    // The first byte of a word that may be the tag: `.` until the tag is found, then 0, which
    // a tag never starts with (a word that does fails `tag_value`): no flag to test per word.
    let mut lead = b'.';
    // Start of the last word looked at: where the whole words end if that one is cut off.
    let mut word_start = start;
    while let Some(&first) = bytes.get(pos) {
        word_start = pos;
        // Most words are short: their length (1 to 0x7F) is the first byte itself. `pos`
        // indexes a slice, so adding at most 128 cannot overflow.
        if first.wrapping_sub(1) < 0x7F {
            let value = pos + 1;
            // Only a word that opens with `.` can be the tag: one byte compared for every
            // other word. The first word is looked at too (one test less per word): a
            // sentence that opens with `.tag` is no reply, so its tag is never asked for.
            if bytes.get(value) == Some(&lead) {
                let end = value + usize::from(first);
                if let Some(found) = bytes.get(value..end).and_then(tag_value) {
                    tag = TagSpot::at(value + found - start, end - start);
                    lead = 0;
                }
            }
            pos = value + usize::from(first);
            words += 1;
            continue;
        }
        if first == 0 {
            return Ok(scan_end(words, pos - start, tag));
        }
        // A longer length prefix: where the word's bytes start and end.
        let (value, end) = match decode_length(&bytes[pos..])? {
            LengthPrefix::Complete { len: 0, .. } => {
                return Ok(scan_end(words, pos - start, tag));
            }
            LengthPrefix::Complete { len, prefix } => {
                if u64::from(len) > word_limit {
                    return Err(WireError::TooLargeToSkip);
                }
                let value = pos + prefix;
                match usize::try_from(len)
                    .ok()
                    .and_then(|len| value.checked_add(len))
                {
                    Some(end) => (value, end),
                    None => return Ok(Scan::too_large(word_start)),
                }
            }
            LengthPrefix::Partial => break,
        };
        // Only long words can run past the address space (a short one ends within 128
        // bytes of a slice index).
        if end > limit {
            return Ok(Scan::too_large(word_start));
        }
        if bytes.get(value) == Some(&lead) {
            if let Some(found) = bytes.get(value..end).and_then(tag_value) {
                tag = TagSpot::at(value + found - start, end - start);
                lead = 0;
            }
        }
        pos = end;
        words += 1;
    }
    // Not all here yet. What is here must still fit, with a terminator, once compacted to
    // the start of the buffer.
    let too_large = match pos.max(bytes.len()).checked_sub(start) {
        Some(span) => span >= capacity,
        None => true,
    };
    Ok(Scan::Incomplete {
        whole_words_end: word_start,
        too_large,
    })
}

/// The reply word and `.tag` of a sentence that was too large to hand out. The reply word
/// is read when it opens the sentence and is short; the tag wherever it stands in the
/// sentence (RouterOS puts it last in some replies, second in others).
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

    fn set_reply(&mut self, reply: &[u8]) {
        if let Some(place) = self.reply.get_mut(..reply.len()) {
            place.copy_from_slice(reply);
            self.reply_len = reply.len() as u8;
        }
    }

    /// Looks at one word of the sentence: keeps it if it is a `.tag=` short enough.
    fn note(&mut self, word: &[u8]) {
        let Some(tag) = word.strip_prefix(b".tag=") else {
            return;
        };
        if let Some(place) = self.tag.get_mut(..tag.len()) {
            place.copy_from_slice(tag);
            self.tag_len = tag.len() as u8;
        }
    }

    /// The reply word (`!re`, `!done`, ...), if it was read.
    pub fn reply_word(&self) -> Option<&[u8]> {
        (self.reply_len > 0).then(|| &self.reply[..usize::from(self.reply_len)])
    }

    /// The `.tag` value, wherever it stood in the sentence (`None` for an untagged
    /// sentence, or a tag longer than ten bytes, which this crate never sends).
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
    /// Where the `.tag` value stands, relative to `start`.
    tag: TagSpot,
    /// The reply word, if the sentence opens with one.
    kind: Option<ReplyKind>,
}

impl Frame {
    /// The reply word the sentence opens with (`None` for anything else), read once while
    /// the sentence was framed.
    #[inline]
    pub(crate) fn kind(&self) -> Option<ReplyKind> {
        self.kind
    }
}

/// The reply word that opens the encoded words `body`, if any. Reply words are short, so
/// only a one-byte length is looked at.
#[inline]
fn reply_kind(body: &[u8]) -> Option<ReplyKind> {
    // Rows are most of the traffic: `!re` with its one-byte length is one 4-byte compare.
    if body.get(..4) == Some(&[3, b'!', b'r', b'e'][..]) {
        return Some(ReplyKind::Re);
    }
    let (&len, rest) = body.split_first()?;
    if len >= 0x80 {
        return None;
    }
    ReplyKind::from_word(rest.get(..usize::from(len))?)
}

/// The terminator of a sentence of `words` words in `body` bytes: a whole sentence, or an
/// empty one (a lone terminator) to pass over.
#[inline]
fn scan_end(words: usize, body: usize, tag: TagSpot) -> Scan {
    if words == 0 {
        Scan::Empty
    } else {
        Scan::Complete { words, body, tag }
    }
}

impl Scan {
    /// A sentence that can never fit, whose last whole word ends at `whole_words_end`.
    fn too_large(whole_words_end: usize) -> Self {
        Self::Incomplete {
            whole_words_end,
            too_large: true,
        }
    }
}

enum Scan {
    /// A lone terminator.
    Empty,
    /// A whole sentence: `words` words in `body` bytes, then the terminator; its `.tag`.
    Complete {
        words: usize,
        body: usize,
        tag: TagSpot,
    },
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

    /// Feeds `wire` in chunks of `chunk` bytes; returns the skipped heads (reply word, tag)
    /// and the first word of each whole sentence, in order.
    fn drive(
        wire: &[u8],
        buf: &mut [u8],
        chunk: usize,
    ) -> std::vec::Vec<(bool, std::vec::Vec<u8>, std::vec::Vec<u8>)> {
        let mut d = Decoder::new(buf);
        let mut out = std::vec::Vec::new();
        let mut rest = wire;
        loop {
            loop {
                match d.next_sentence() {
                    Ok(Some(s)) => {
                        out.push((false, s.first().unwrap().to_vec(), std::vec::Vec::new()))
                    }
                    Ok(None) => break,
                    Err(WireError::SentenceTooLarge) => out.push((
                        true,
                        d.skipped().reply_word().unwrap_or_default().to_vec(),
                        d.skipped().tag().unwrap_or_default().to_vec(),
                    )),
                    Err(e) => panic!("{e:?}"),
                }
            }
            if rest.is_empty() {
                return out;
            }
            let k = d.feed(&rest[..rest.len().min(chunk)]);
            rest = &rest[k..];
        }
    }

    #[test]
    fn the_head_of_a_skipped_sentence_is_kept_wherever_the_tag_stands() {
        let big = [b'x'; 100];
        let orders: [&[&[u8]]; 3] = [
            &[b"!done", b".tag=42", &big],
            &[b"!done", &big, b".tag=42"],
            &[b"!done", b"=a=b", &big, b"=c=d", b".tag=42", b"=e=f"],
        ];
        for words in orders {
            let mut wire = [0u8; 512];
            let mut n = encode(words, &mut wire);
            n += encode(&[b"!re", b".tag=7"], &mut wire[n..]);
            for chunk in [1, 3, 7, 32, 512] {
                let mut buf = [0u8; 32];
                let got = drive(&wire[..n], &mut buf, chunk);
                assert_eq!(
                    got,
                    [
                        (true, b"!done".to_vec(), b"42".to_vec()),
                        (false, b"!re".to_vec(), std::vec::Vec::new())
                    ],
                    "chunk {chunk}"
                );
            }
        }
    }

    #[test]
    fn an_untagged_skipped_sentence_has_no_tag() {
        let big = [b'x'; 100];
        let mut wire = [0u8; 256];
        let n = encode(&[b"!re", &big, b"=tag=3"], &mut wire);
        let mut buf = [0u8; 16];
        let got = drive(&wire[..n], &mut buf, 5);
        assert_eq!(got, [(true, b"!re".to_vec(), std::vec::Vec::new())]);
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
    fn huge_declared_length_is_an_error_at_once() {
        // The six bytes of the fuzzer's finding: a word claiming 4 GiB, then one byte of it.
        let mut buf = [0u8; 16];
        let mut d = Decoder::new(&mut buf);
        d.feed(&[0xF0, 0xFF, 0xFF, 0xFF, 0xFF, b'a']);
        assert_eq!(d.next_sentence().unwrap_err(), WireError::TooLargeToSkip);
        assert!(!d.is_skipping());
        // Sticky: the stream cannot be resynchronised.
        assert_eq!(d.next_sentence().unwrap_err(), WireError::TooLargeToSkip);
        d.feed(&[5, b'!', b'd', b'o', b'n', b'e', 0]);
        assert_eq!(d.next_sentence().unwrap_err(), WireError::TooLargeToSkip);
    }

    #[test]
    fn huge_declared_length_is_an_error_at_any_offset_and_chunking() {
        let mut wire = std::vec![3, b'!', b'r', b'e', 6, b'.', b't', b'a', b'g', b'=', b'9'];
        wire.extend_from_slice(&[0xF0, 0xFF, 0xFF, 0xFF, 0xFF, b'a']);
        for chunk in 1..=wire.len() {
            let mut buf = [0u8; 8];
            let mut d = Decoder::new(&mut buf);
            let mut result = Ok(());
            for part in wire.chunks(chunk) {
                let mut rest = part;
                while !rest.is_empty() && result.is_ok() {
                    let k = d.feed(rest);
                    rest = &rest[k..];
                    result = d.next_sentence().map(|s| assert!(s.is_none()));
                }
            }
            assert_eq!(result, Err(WireError::TooLargeToSkip), "chunk {chunk}");
        }
    }

    #[test]
    fn words_up_to_the_skip_limit_are_skipped_and_beyond_it_refused() {
        // A 16-byte buffer and a 1000-byte limit: a 1000-byte word is skipped, a 1001-byte
        // one refused as soon as its length is read.
        for (len, ok) in [(1000u16, true), (1001, false)] {
            let mut wire = std::vec![3, b'!', b'r', b'e'];
            wire.extend_from_slice(&(0x8000 | len).to_be_bytes());
            let mut buf = [0u8; 16];
            let mut d = Decoder::new(&mut buf);
            d.set_skip_limit(1000 + 2);
            d.feed(&wire);
            let got = d.next_sentence().map(|s| s.is_none());
            if ok {
                assert_eq!(got, Ok(true));
                assert!(d.is_skipping());
            } else {
                assert_eq!(got, Err(WireError::TooLargeToSkip));
            }
        }
    }

    #[test]
    fn an_oversize_sentence_that_would_pass_the_skip_limit_is_refused() {
        // Many words each under the limit: the sentence as a whole passes it.
        let mut buf = [0u8; 16];
        let mut d = Decoder::new(&mut buf);
        d.set_skip_limit(500);
        d.feed(&[3, b'!', b'r', b'e']);
        let word = [b'w'; 100];
        let mut error = None;
        for _ in 0..10 {
            let mut rest = &[&[100u8][..], &word[..]].concat()[..];
            while !rest.is_empty() {
                let k = d.feed(rest);
                rest = &rest[k..];
                if let Err(e) = d.next_sentence() {
                    error = Some(e);
                    break;
                }
            }
            if error.is_some() {
                break;
            }
        }
        assert_eq!(error, Some(WireError::TooLargeToSkip));
    }

    #[test]
    fn a_word_that_fits_the_buffer_is_read_whatever_the_limit() {
        let mut wire = [0u8; 256];
        let n = encode(&[b"!re", &[b'x'; 200]], &mut wire);
        let mut buf = [0u8; 256];
        let mut d = Decoder::new(&mut buf);
        d.set_skip_limit(10);
        d.feed(&wire[..n]);
        assert_eq!(d.next_sentence().unwrap().unwrap().len(), 2);
    }

    #[test]
    fn word_lengths_near_the_top_cannot_overflow_on_32_bit() {
        // The arithmetic of a 32-bit target, on any host: a word at offset 0 (or later)
        // claiming up to `u32::MAX` bytes is too large, never an overflow or "need more".
        let limit = u32::MAX as usize;
        for len in [
            0xFFFF_FFF0u32,
            0xFFFF_FFFA,
            0xFFFF_FFFB,
            0xFFFF_FFFE,
            u32::MAX,
        ] {
            let mut bytes = std::vec![0xF0];
            bytes.extend_from_slice(&len.to_be_bytes());
            bytes.push(b'a');
            for offset in [0usize, 3] {
                let mut wire = std::vec![2, b'x', b'y'];
                wire.truncate(offset);
                wire.extend_from_slice(&bytes);
                for within in [limit, usize::MAX] {
                    match scan_within(&wire, 0, 16, u64::MAX, within) {
                        Ok(Scan::Incomplete {
                            too_large: true,
                            whole_words_end,
                        }) => assert_eq!(whole_words_end, offset),
                        _ => panic!("len {len:#x} at {offset} not too large"),
                    }
                }
            }
        }
    }

    #[test]
    fn a_long_word_is_skipped_to_its_end() {
        // The whole path on this target: a word claiming 1000 bytes in a 16-byte buffer.
        let mut wire = std::vec![3, b'!', b'r', b'e', 6, b'.', b't', b'a', b'g', b'=', b'9'];
        wire.extend_from_slice(&[0x80 | 0x03, 0xE8]);
        wire.extend(core::iter::repeat_n(b'z', 1000));
        wire.push(0);
        wire.extend_from_slice(&[5, b'!', b'd', b'o', b'n', b'e', 0]);
        let mut buf = [0u8; 16];
        let got = drive(&wire, &mut buf, 64);
        assert_eq!(
            got,
            [
                (true, b"!re".to_vec(), b"9".to_vec()),
                (false, b"!done".to_vec(), std::vec::Vec::new())
            ]
        );
    }
}
