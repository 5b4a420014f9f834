//! A slot's bounded row buffer: whole sentences queued back to back in a fixed array.

/// Bytes of bookkeeping in front of each queued sentence: its length (4) and word count (2).
pub const ENTRY_OVERHEAD: usize = 6;

/// Why a sentence was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PushError {
    /// Not enough room now; consuming rows makes room.
    Full,
    /// Larger than the whole buffer: it can never be queued.
    TooLarge,
}

/// A FIFO of encoded sentences in `S` bytes. Each entry is contiguous so it can be lent out
/// as a [`Sentence`](crate::wire::Sentence) view; the queue compacts when the tail runs out.
pub(crate) struct Ring<const S: usize> {
    buf: [u8; S],
    start: usize,
    end: usize,
    len: usize,
}

impl<const S: usize> Ring<S> {
    pub(crate) const fn new() -> Self {
        Self {
            buf: [0; S],
            start: 0,
            end: 0,
            len: 0,
        }
    }

    /// Sentences queued.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
        self.len = 0;
    }

    /// Queues a sentence (`bytes` are its words, `words` their count).
    pub(crate) fn push(&mut self, bytes: &[u8], words: usize) -> Result<(), PushError> {
        let need = bytes.len() + ENTRY_OVERHEAD;
        if need > S || words > usize::from(u16::MAX) || bytes.len() > u32::MAX as usize {
            return Err(PushError::TooLarge);
        }
        if S - self.end < need {
            if S - (self.end - self.start) < need {
                return Err(PushError::Full);
            }
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let at = self.end;
        self.buf[at..at + 4].copy_from_slice(&(bytes.len() as u32).to_le_bytes());
        self.buf[at + 4..at + 6].copy_from_slice(&(words as u16).to_le_bytes());
        self.buf[at + 6..at + need].copy_from_slice(bytes);
        self.end += need;
        self.len += 1;
        Ok(())
    }

    /// The oldest sentence: its bytes and word count.
    pub(crate) fn front(&self) -> Option<(&[u8], usize)> {
        if self.len == 0 {
            return None;
        }
        let header = self.buf.get(self.start..self.start + ENTRY_OVERHEAD)?;
        let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let words = usize::from(u16::from_le_bytes([header[4], header[5]]));
        let body = self.start + ENTRY_OVERHEAD;
        Some((self.buf.get(body..body + len)?, words))
    }

    /// Drops the oldest sentence; `false` if there was none.
    pub(crate) fn pop(&mut self) -> bool {
        let Some((bytes, _)) = self.front() else {
            return false;
        };
        self.start += bytes.len() + ENTRY_OVERHEAD;
        self.len -= 1;
        if self.len == 0 {
            self.start = 0;
            self.end = 0;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_with_compaction() {
        let mut ring = Ring::<32>::new();
        ring.push(b"aaaaaaaaaa", 1).unwrap(); // 16 bytes
        ring.push(b"bbbbbbbbbb", 2).unwrap(); // 32 bytes: full
        assert_eq!(ring.push(b"c", 1), Err(PushError::Full));
        assert!(ring.pop());
        ring.push(b"cccc", 3).unwrap(); // compacts
        assert_eq!(ring.front(), Some((&b"bbbbbbbbbb"[..], 2)));
        assert!(ring.pop());
        assert_eq!(ring.front(), Some((&b"cccc"[..], 3)));
        assert!(ring.pop());
        assert!(!ring.pop());
        assert!(ring.is_empty());
    }

    #[test]
    fn too_large_is_not_full() {
        let mut ring = Ring::<16>::new();
        assert_eq!(ring.push(&[1; 11], 1), Err(PushError::TooLarge));
        ring.push(&[1; 10], 1).unwrap();
        assert_eq!(ring.len(), 1);
    }
}
