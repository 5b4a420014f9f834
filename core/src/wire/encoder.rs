//! Sentence encoder writing into a caller-provided buffer.

use super::length::{encode_length, prefix_len};
use super::WireError;

/// Writes words into a caller buffer and closes the sentence with [`finish`](Self::finish).
///
/// Every method checks the space it needs first and reports [`WireError::BufferTooSmall`]
/// without writing a partial word.
///
/// ```
/// use routeros_core::wire::SentenceEncoder;
/// let mut buf = [0u8; 64];
/// let mut enc = SentenceEncoder::new(&mut buf);
/// enc.word(b"/interface/print")?.attribute("name", b"ether1")?;
/// let bytes = enc.finish()?;
/// assert_eq!(bytes[0] as usize, "/interface/print".len());
/// assert_eq!(*bytes.last().unwrap(), 0);
/// # Ok::<(), routeros_core::wire::WireError>(())
/// ```
pub struct SentenceEncoder<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> SentenceEncoder<'b> {
    /// An encoder writing from the start of `buf`.
    pub fn new(buf: &'b mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing has been written yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Forgets what was written.
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Appends one word.
    pub fn word(&mut self, word: &[u8]) -> Result<&mut Self, WireError> {
        self.word_from_parts(&[word])
    }

    /// Appends one word made of several parts written back to back, such as `=`, a name,
    /// `=` and a value.
    pub fn word_from_parts(&mut self, parts: &[&[u8]]) -> Result<&mut Self, WireError> {
        let total: usize = parts.iter().map(|p| p.len()).sum();
        if total == 0 {
            // A zero-length word would end the sentence early.
            return Err(WireError::EmptyWord);
        }
        let len = u32::try_from(total).map_err(|_| WireError::BufferTooSmall)?;
        let needed = prefix_len(len) + total;
        if self.buf.len() - self.len < needed {
            return Err(WireError::BufferTooSmall);
        }
        self.len += encode_length(len, &mut self.buf[self.len..])?;
        for part in parts {
            self.put(part);
        }
        Ok(self)
    }

    /// Appends one word made of `lead` followed by `items` separated by `separator`, such as
    /// `=.proplist=name,mtu`.
    pub fn joined_word(
        &mut self,
        lead: &[u8],
        items: &[&str],
        separator: &[u8],
    ) -> Result<&mut Self, WireError> {
        let total = lead.len()
            + items.iter().map(|i| i.len()).sum::<usize>()
            + separator.len() * items.len().saturating_sub(1);
        let len = u32::try_from(total).map_err(|_| WireError::BufferTooSmall)?;
        if total == 0 {
            return Err(WireError::EmptyWord);
        }
        if self.buf.len() - self.len < prefix_len(len) + total {
            return Err(WireError::BufferTooSmall);
        }
        self.len += encode_length(len, &mut self.buf[self.len..])?;
        self.put(lead);
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.put(separator);
            }
            self.put(item.as_bytes());
        }
        Ok(self)
    }

    /// Copies bytes whose room was checked already.
    fn put(&mut self, bytes: &[u8]) {
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    /// Appends an attribute word `=name=value`.
    pub fn attribute(&mut self, name: &str, value: &[u8]) -> Result<&mut Self, WireError> {
        self.word_from_parts(&[b"=", name.as_bytes(), b"=", value])
    }

    /// Appends an API attribute word `.name=value`, such as `.tag=5`.
    pub fn api_attribute(&mut self, name: &str, value: &[u8]) -> Result<&mut Self, WireError> {
        self.word_from_parts(&[b".", name.as_bytes(), b"=", value])
    }

    /// Appends the terminator and returns the whole encoded sentence.
    pub fn finish(&mut self) -> Result<&[u8], WireError> {
        let slot = self
            .buf
            .get_mut(self.len)
            .ok_or(WireError::BufferTooSmall)?;
        *slot = 0;
        self.len += 1;
        Ok(&self.buf[..self.len])
    }
}

impl core::fmt::Debug for SentenceEncoder<'_> {
    /// Shows sizes only: the bytes may hold a password.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SentenceEncoder")
            .field("len", &self.len)
            .field("capacity", &self.buf.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_terminator() {
        let mut buf = [0u8; 32];
        let mut enc = SentenceEncoder::new(&mut buf);
        enc.word(b"/login").unwrap();
        enc.attribute("name", b"admin").unwrap();
        enc.api_attribute("tag", b"1").unwrap();
        let out = enc.finish().unwrap();
        assert_eq!(out, b"\x06/login\x0b=name=admin\x06.tag=1\x00".as_slice());
    }

    #[test]
    fn no_partial_word_when_full() {
        let mut buf = [0u8; 8];
        let mut enc = SentenceEncoder::new(&mut buf);
        enc.word(b"abc").unwrap();
        assert_eq!(enc.word(b"abcd").unwrap_err(), WireError::BufferTooSmall);
        assert_eq!(enc.len(), 4);
        assert_eq!(enc.word(b"abc").unwrap().len(), 8);
        assert_eq!(enc.finish().unwrap_err(), WireError::BufferTooSmall);
    }

    #[test]
    fn empty_word_is_refused() {
        let mut buf = [0u8; 8];
        let mut enc = SentenceEncoder::new(&mut buf);
        assert_eq!(enc.word(b"").unwrap_err(), WireError::EmptyWord);
    }

    #[test]
    fn long_word_uses_long_prefix() {
        let mut buf = [0u8; 0x4000 + 8];
        let word = [b'a'; 0x4000];
        let mut enc = SentenceEncoder::new(&mut buf);
        enc.word(&word).unwrap();
        let out = enc.finish().unwrap();
        assert_eq!(&out[..3], &[0xC0, 0x40, 0x00]);
        assert_eq!(out.len(), 3 + 0x4000 + 1);
    }
}
