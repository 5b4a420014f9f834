//! The protocol layer, still without I/O: reply sentences, values, traps, login steps.

mod login;
mod message;
mod reply;
mod tag;
mod trap;
mod value;

pub(crate) use login::{answer_to_plain, auth_error, check_md5_done, LoginRequest};
pub use login::{challenge_response, ChallengeResponse};
pub(crate) use message::message_str;
pub use message::{message_from, Message, MESSAGE_CAPACITY};
pub(crate) use reply::last_attribute;
pub use reply::{split_attribute, Attributes, Reply, ReplyKind};
pub(crate) use tag::TagText;
pub(crate) use trap::Traps;
pub use trap::{Trap, TrapCategory};
pub use value::{windows_1252_byte, windows_1252_char, Chars, Value};

/// Replies that make no sense at the protocol level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ProtocolError {
    /// A sentence opened with a word that is no reply word.
    UnknownReply,
    /// A login challenge (`=ret=` of `/login`) that is not an even number of hex digits.
    BadChallenge,
    /// A reply that is valid but not what this step expects (e.g. `!re` to `/login`).
    UnexpectedReply,
    /// A reply without `.tag` while more than one command could own it (the peer does not
    /// echo tags): it cannot be routed, and dropping it could leave a command waiting
    /// forever, so the connection ends.
    UntaggedReply,
}

impl core::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::UnknownReply => "sentence does not start with a known reply word",
            Self::BadChallenge => "login challenge is not hex",
            Self::UnexpectedReply => "reply does not fit the command",
            Self::UntaggedReply => "untagged reply while several commands could own it",
        })
    }
}

impl core::error::Error for ProtocolError {}
