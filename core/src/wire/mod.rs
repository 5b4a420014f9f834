//! The wire layer: pure functions and views over bytes, no I/O.
//!
//! - [`encode_length`] / [`decode_length`]: the 1–5 byte word-length prefix.
//! - [`SentenceEncoder`]: words into a caller buffer.
//! - [`Decoder`]: a byte stream into borrowed [`Sentence`] views.

mod decoder;
mod encoder;
mod length;
mod sentence;

pub(crate) use decoder::leading_words;
pub use decoder::{Decoder, Frame, SkippedHead};
pub use encoder::SentenceEncoder;
pub use length::{decode_length, encode_length, prefix_len, LengthPrefix, MAX_PREFIX_LEN};
pub use sentence::{Sentence, Words};

/// What can go wrong turning bytes into sentences or sentences into bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum WireError {
    /// A length prefix started with a reserved control byte (`0xF1..=0xFF`). The stream cannot
    /// be resynchronised after this.
    ControlByte(u8),
    /// A received sentence did not fit the receive buffer. It was skipped; the stream is
    /// still in step.
    SentenceTooLarge,
    /// A received word claimed more bytes than the decoder's skip limit (see
    /// [`Decoder::set_skip_limit`]; 16 MiB by default), or an oversize sentence would have
    /// run past it. Reported as soon as the length is read; the stream is given up (the
    /// decoder keeps returning this error) and the connection must be closed.
    TooLargeToSkip,
    /// The output buffer cannot hold what was to be written.
    BufferTooSmall,
    /// A zero-length word was to be written; it would end the sentence early.
    EmptyWord,
    /// Bytes that should hold whole words do not.
    Malformed,
}

impl core::fmt::Display for WireError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::ControlByte(b) => write!(
                f,
                "reserved control byte 0x{b:02X} where a word length was expected"
            ),
            Self::SentenceTooLarge => {
                f.write_str("received sentence is larger than the receive buffer")
            }
            Self::TooLargeToSkip => f.write_str(
                "received word or sentence claims more bytes than the decoder's skip limit",
            ),
            Self::BufferTooSmall => f.write_str("buffer too small for the sentence"),
            Self::EmptyWord => f.write_str("a word cannot be empty"),
            Self::Malformed => f.write_str("bytes are not a run of whole words"),
        }
    }
}

impl core::error::Error for WireError {}
