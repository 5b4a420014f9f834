//! The simulator's own word and sentence codec.
//!
//! This is deliberately independent of `routeros-core`: the simulator is used as an oracle for
//! the client, so it must not share the client's bugs.
//!
//! A word is a length prefix followed by that many bytes. The length is big-endian:
//!
//! | length            | prefix bytes | form                    |
//! |-------------------|--------------|-------------------------|
//! | `< 0x80`          | 1            | `len`                   |
//! | `< 0x4000`        | 2            | `len \| 0x8000`         |
//! | `< 0x20_0000`     | 3            | `len \| 0xC0_0000`      |
//! | `< 0x1000_0000`   | 4            | `len \| 0xE000_0000`    |
//! | otherwise         | 5            | `0xF0` then 4 bytes     |
//!
//! A first byte of `0xF8..=0xFF` is a reserved control byte and a protocol error. A sentence is
//! a run of words closed by a zero-length word.

use std::fmt;

/// Appends the length prefix for a word of `len` bytes to `out`.
pub fn encode_len(len: usize, out: &mut Vec<u8>) {
    let len = len as u64;
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x4000 {
        out.extend_from_slice(&((len as u16) | 0x8000).to_be_bytes());
    } else if len < 0x20_0000 {
        let v = (len as u32) | 0xC0_0000;
        out.extend_from_slice(&v.to_be_bytes()[1..]);
    } else if len < 0x1000_0000 {
        out.extend_from_slice(&((len as u32) | 0xE000_0000).to_be_bytes());
    } else {
        out.push(0xF0);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

/// Appends one word (prefix and bytes) to `out`.
pub fn encode_word(word: &[u8], out: &mut Vec<u8>) {
    encode_len(word.len(), out);
    out.extend_from_slice(word);
}

/// Appends a whole sentence (the words and the closing zero-length word) to `out`.
pub fn encode_sentence<W: AsRef<[u8]>>(words: &[W], out: &mut Vec<u8>) {
    for w in words {
        encode_word(w.as_ref(), out);
    }
    out.push(0);
}

/// Errors found while decoding bytes from a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// A length prefix began with a reserved control byte (`0xF8..=0xFF`).
    ControlByte(u8),
    /// A word is longer than the configured limit.
    WordTooLong(usize),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::ControlByte(b) => write!(f, "reserved control byte 0x{b:02X}"),
            DecodeError::WordTooLong(n) => write!(f, "word of {n} bytes is over the limit"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Result of reading one length prefix from the front of a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Len {
    /// More bytes are needed to know the length.
    Partial,
    /// The word has `len` bytes and its prefix took `prefix` bytes.
    Complete { len: usize, prefix: usize },
}

/// Reads one length prefix from the start of `buf`.
pub fn decode_len(buf: &[u8]) -> Result<Len, DecodeError> {
    let Some(&b0) = buf.first() else {
        return Ok(Len::Partial);
    };
    let (prefix, len) = match b0 {
        0x00..=0x7F => (1, u64::from(b0)),
        0x80..=0xBF => {
            if buf.len() < 2 {
                return Ok(Len::Partial);
            }
            (2, u64::from(u16::from_be_bytes([b0, buf[1]]) & 0x3FFF))
        }
        0xC0..=0xDF => {
            if buf.len() < 3 {
                return Ok(Len::Partial);
            }
            (
                3,
                u64::from(u32::from_be_bytes([0, b0, buf[1], buf[2]]) & 0x1F_FFFF),
            )
        }
        0xE0..=0xEF => {
            if buf.len() < 4 {
                return Ok(Len::Partial);
            }
            (
                4,
                u64::from(u32::from_be_bytes([b0, buf[1], buf[2], buf[3]]) & 0x0FFF_FFFF),
            )
        }
        0xF0..=0xF7 => {
            if buf.len() < 5 {
                return Ok(Len::Partial);
            }
            (
                5,
                u64::from(u32::from_be_bytes([buf[1], buf[2], buf[3], buf[4]])),
            )
        }
        _ => return Err(DecodeError::ControlByte(b0)),
    };
    Ok(Len::Complete {
        len: usize::try_from(len).unwrap_or(usize::MAX),
        prefix,
    })
}

/// Outcome of [`parse_sentence`].
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// The buffer does not yet hold a whole sentence.
    Partial,
    /// A whole sentence: its words, and how many bytes of the buffer it used.
    Sentence { words: Vec<Vec<u8>>, used: usize },
}

/// Tries to take one whole sentence from the start of `buf`.
///
/// `max_word` bounds a single word; a longer one is an error (checked as soon as its prefix
/// arrives, so a hostile length never makes the caller buffer it).
pub fn parse_sentence(buf: &[u8], max_word: usize) -> Result<Parsed, DecodeError> {
    let mut pos = 0;
    let mut words = Vec::new();
    loop {
        match decode_len(&buf[pos..])? {
            Len::Partial => return Ok(Parsed::Partial),
            Len::Complete { len, prefix } => {
                if len > max_word {
                    return Err(DecodeError::WordTooLong(len));
                }
                let start = pos + prefix;
                if len == 0 {
                    return Ok(Parsed::Sentence { words, used: start });
                }
                let Some(end) = start.checked_add(len) else {
                    return Err(DecodeError::WordTooLong(len));
                };
                if end > buf.len() {
                    return Ok(Parsed::Partial);
                }
                words.push(buf[start..end].to_vec());
                pos = end;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn len_bytes(n: usize) -> Vec<u8> {
        let mut v = Vec::new();
        encode_len(n, &mut v);
        v
    }

    #[test]
    fn length_vectors() {
        assert_eq!(len_bytes(0x87), [0x80, 0x87]);
        assert_eq!(len_bytes(0x4321), [0xC0, 0x43, 0x21]);
        assert_eq!(len_bytes(0x2A_CDEF), [0xE0, 0x2A, 0xCD, 0xEF]);
        assert_eq!(len_bytes(0x1000_0080), [0xF0, 0x10, 0x00, 0x00, 0x80]);
    }

    #[test]
    fn length_boundaries() {
        for (n, size) in [
            (0usize, 1usize),
            (0x7F, 1),
            (0x80, 2),
            (0x3FFF, 2),
            (0x4000, 3),
            (0x1F_FFFF, 3),
            (0x20_0000, 4),
            (0x0FFF_FFFF, 4),
            (0x1000_0000, 5),
        ] {
            let b = len_bytes(n);
            assert_eq!(b.len(), size, "length {n:#x}");
            assert_eq!(
                decode_len(&b).unwrap(),
                Len::Complete {
                    len: n,
                    prefix: size
                },
                "length {n:#x}"
            );
            // Every strict prefix of the length is partial.
            for cut in 0..size {
                assert_eq!(decode_len(&b[..cut]).unwrap(), Len::Partial);
            }
        }
    }

    #[test]
    fn control_bytes_are_errors() {
        for b in 0xF8..=0xFFu8 {
            assert_eq!(
                decode_len(&[b, 0, 0, 0, 0]),
                Err(DecodeError::ControlByte(b))
            );
        }
    }

    #[test]
    fn sentence_round_trip_at_every_cut() {
        let words: Vec<Vec<u8>> = vec![
            b"/interface/print".to_vec(),
            vec![b'x'; 200],
            b".tag=7".to_vec(),
            vec![0xE9; 0x4001],
        ];
        let mut buf = Vec::new();
        encode_sentence(&words, &mut buf);
        encode_sentence(&[b"!done"], &mut buf);
        let first_len = buf.len() - 7;
        for cut in 0..first_len {
            assert_eq!(
                parse_sentence(&buf[..cut], 1 << 20).unwrap(),
                Parsed::Partial
            );
        }
        match parse_sentence(&buf, 1 << 20).unwrap() {
            Parsed::Sentence { words: got, used } => {
                assert_eq!(got, words);
                assert_eq!(used, first_len);
                assert_eq!(
                    parse_sentence(&buf[used..], 1 << 20).unwrap(),
                    Parsed::Sentence {
                        words: vec![b"!done".to_vec()],
                        used: 7
                    }
                );
            }
            Parsed::Partial => panic!("expected a sentence"),
        }
    }

    #[test]
    fn empty_sentence_and_limits() {
        assert_eq!(
            parse_sentence(&[0], 10).unwrap(),
            Parsed::Sentence {
                words: vec![],
                used: 1
            }
        );
        assert_eq!(
            parse_sentence(&[0x80, 0x20], 10),
            Err(DecodeError::WordTooLong(0x20))
        );
    }
}
