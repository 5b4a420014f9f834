//! The word-length prefix: five big-endian forms of one to five bytes.
//!
//! | length                    | bytes | first byte      |
//! |---------------------------|-------|-----------------|
//! | `< 0x80`                  | 1     | `0xxxxxxx`      |
//! | `< 0x4000`                | 2     | `10xxxxxx`      |
//! | `< 0x20_0000`             | 3     | `110xxxxx`      |
//! | `< 0x1000_0000`           | 4     | `1110xxxx`      |
//! | up to `u32::MAX`          | 5     | `0xF0` then 4   |
//!
//! A first byte in `0xF8..=0xFF` is a reserved control byte, never a length; `0xF1..=0xF7`
//! name no length form either and are rejected the same way.

use super::WireError;

/// The most bytes a length prefix can take.
pub const MAX_PREFIX_LEN: usize = 5;

/// How many bytes the prefix for a word of `len` bytes takes.
///
/// ```
/// use routeros_core::wire::prefix_len;
/// assert_eq!(prefix_len(0x7F), 1);
/// assert_eq!(prefix_len(0x80), 2);
/// assert_eq!(prefix_len(0x1000_0000), 5);
/// ```
pub const fn prefix_len(len: u32) -> usize {
    if len < 0x80 {
        1
    } else if len < 0x4000 {
        2
    } else if len < 0x20_0000 {
        3
    } else if len < 0x1000_0000 {
        4
    } else {
        5
    }
}

/// Writes the prefix for a word of `len` bytes into `out` and returns how many bytes it took.
///
/// ```
/// use routeros_core::wire::encode_length;
/// let mut out = [0u8; 5];
/// let n = encode_length(0x4321, &mut out).unwrap();
/// assert_eq!(&out[..n], &[0xC0, 0x43, 0x21]);
/// ```
pub fn encode_length(len: u32, out: &mut [u8]) -> Result<usize, WireError> {
    let n = prefix_len(len);
    let dst = out.get_mut(..n).ok_or(WireError::BufferTooSmall)?;
    let be = len.to_be_bytes();
    match n {
        1 => dst[0] = be[3],
        2 => dst.copy_from_slice(&(len as u16 | 0x8000).to_be_bytes()),
        3 => dst.copy_from_slice(&(len | 0xC0_0000).to_be_bytes()[1..]),
        4 => dst.copy_from_slice(&(len | 0xE000_0000).to_be_bytes()),
        _ => {
            dst[0] = 0xF0;
            dst[1..].copy_from_slice(&be);
        }
    }
    Ok(n)
}

/// The outcome of reading a prefix from the start of a byte slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LengthPrefix {
    /// A whole prefix: the word's length and how many bytes the prefix took.
    Complete {
        /// Length of the word that follows.
        len: u32,
        /// Bytes the prefix itself took (1..=5).
        prefix: usize,
    },
    /// More bytes are needed to know the length.
    Partial,
}

/// Reads a length prefix from the start of `buf`.
///
/// ```
/// use routeros_core::wire::{decode_length, LengthPrefix, WireError};
/// assert_eq!(decode_length(&[0x80, 0x87]), Ok(LengthPrefix::Complete { len: 0x87, prefix: 2 }));
/// assert_eq!(decode_length(&[0xE0, 0x2A]), Ok(LengthPrefix::Partial));
/// assert_eq!(decode_length(&[0xF8]), Err(WireError::ControlByte(0xF8)));
/// ```
pub fn decode_length(buf: &[u8]) -> Result<LengthPrefix, WireError> {
    let Some(&first) = buf.first() else {
        return Ok(LengthPrefix::Partial);
    };
    let prefix = match first {
        0x00..=0x7F => 1,
        0x80..=0xBF => 2,
        0xC0..=0xDF => 3,
        0xE0..=0xEF => 4,
        0xF0 => 5,
        control => return Err(WireError::ControlByte(control)),
    };
    let Some(bytes) = buf.get(..prefix) else {
        return Ok(LengthPrefix::Partial);
    };
    let len = match prefix {
        1 => u32::from(first),
        2 => u32::from(u16::from_be_bytes([bytes[0], bytes[1]]) & 0x3FFF),
        3 => u32::from_be_bytes([0, bytes[0], bytes[1], bytes[2]]) & 0x1F_FFFF,
        4 => u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) & 0x0FFF_FFFF,
        _ => u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]),
    };
    Ok(LengthPrefix::Complete { len, prefix })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(len: u32) -> heapless::Vec<u8, 5> {
        let mut out = [0u8; 5];
        let n = encode_length(len, &mut out).unwrap();
        heapless::Vec::from_slice(&out[..n]).unwrap()
    }

    #[test]
    fn protocol_vectors() {
        assert_eq!(enc(0x87), [0x80, 0x87]);
        assert_eq!(enc(0x4321), [0xC0, 0x43, 0x21]);
        assert_eq!(enc(0x2A_CDEF), [0xE0, 0x2A, 0xCD, 0xEF]);
        assert_eq!(enc(0x1000_0080), [0xF0, 0x10, 0x00, 0x00, 0x80]);
        assert_eq!(enc(0), [0x00]);
    }

    #[test]
    fn boundaries_switch_form() {
        assert_eq!(enc(0x7F), [0x7F]);
        assert_eq!(enc(0x80), [0x80, 0x80]);
        assert_eq!(enc(0x3FFF), [0xBF, 0xFF]);
        assert_eq!(enc(0x4000), [0xC0, 0x40, 0x00]);
        assert_eq!(enc(0x1F_FFFF), [0xDF, 0xFF, 0xFF]);
        assert_eq!(enc(0x20_0000), [0xE0, 0x20, 0x00, 0x00]);
        assert_eq!(enc(0x0FFF_FFFF), [0xEF, 0xFF, 0xFF, 0xFF]);
        assert_eq!(enc(0x1000_0000), [0xF0, 0x10, 0x00, 0x00, 0x00]);
        assert_eq!(enc(u32::MAX), [0xF0, 0xFF, 0xFF, 0xFF, 0xFF]);
    }

    #[test]
    fn every_boundary_round_trips() {
        for len in [
            0,
            1,
            0x7F,
            0x80,
            0x3FFF,
            0x4000,
            0x1F_FFFF,
            0x20_0000,
            0x0FFF_FFFF,
            0x1000_0000,
            u32::MAX,
        ] {
            let bytes = enc(len);
            assert_eq!(bytes.len(), prefix_len(len));
            assert_eq!(
                decode_length(&bytes),
                Ok(LengthPrefix::Complete {
                    len,
                    prefix: bytes.len()
                })
            );
            for cut in 0..bytes.len() {
                assert_eq!(decode_length(&bytes[..cut]), Ok(LengthPrefix::Partial));
            }
        }
    }

    #[test]
    fn control_bytes_are_rejected() {
        for b in 0xF8..=0xFFu8 {
            assert_eq!(
                decode_length(&[b, 0, 0, 0, 0]),
                Err(WireError::ControlByte(b))
            );
        }
        // 0xF1..=0xF7 are not lengths either.
        for b in 0xF1..=0xF7u8 {
            assert_eq!(
                decode_length(&[b, 0, 0, 0, 0]),
                Err(WireError::ControlByte(b))
            );
        }
    }

    #[test]
    fn too_small_output_is_an_error() {
        let mut out = [0u8; 1];
        assert_eq!(
            encode_length(0x80, &mut out),
            Err(WireError::BufferTooSmall)
        );
    }
}
