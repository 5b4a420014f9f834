//! The client's error type.

use crate::proto::{Message, ProtocolError, Trap};
use crate::wire::WireError;

/// Which bounded buffer was too small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Buffer {
    /// The receive buffer could not hold a reply sentence; the sentence was skipped and the
    /// connection stays usable. Also: a receive buffer under 5 bytes (the longest length
    /// prefix), refused when the client is built.
    Receive,
    /// The send buffer could not hold the command.
    Send,
    /// A caller-sized container could not hold all rows.
    Rows,
    /// A fixed-capacity field could not hold a value (for example an over-long name).
    Field,
    /// A `Command` had more words than its capacity.
    Words,
}

/// Everything a client call can fail with.
///
/// Small and `Clone`: texts from the router are copied into bounded [`Message`]s, so an
/// error never borrows the receive buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The router answered with `!trap` (the first one, with a count of any others). The
    /// command's `!done` was read; the connection is in step.
    Trap(Trap),
    /// The router sent `!fatal` with this reason and closed the connection.
    Fatal(Message),
    /// Login was refused (wrong user name or password).
    AuthFailed(Message),
    /// The caller's deadline passed, or a keepalive probe went unanswered: the peer is gone
    /// (see [`keepalive`](crate::keepalive)).
    Timeout,
    /// The connection was closed by the peer.
    Closed,
    /// The peer sent bytes that are not valid words (e.g. a reserved control byte).
    Wire(WireError),
    /// The peer sent valid words that make no sense at this point.
    Protocol(ProtocolError),
    /// A bounded buffer was too small.
    BufferTooSmall(Buffer),
    /// An earlier failure left the connection in an unknown state (a write cut short, a
    /// wire error); it must be reconnected.
    Poisoned,
    /// The transport failed.
    Io(embedded_io::ErrorKind),
    /// The command or stream was cancelled.
    Cancelled,
    /// A handle refers to a slot that has since been reused or reconnected.
    StaleHandle,
    /// Every command/stream slot is busy.
    SlotsExhausted,
    /// Every pooled connection is checked out.
    PoolExhausted,
    /// The item asked for does not exist.
    NotFound,
}

impl Error {
    /// Whether the connection can still be used after this error.
    ///
    /// ```
    /// use routeros_core::Error;
    /// assert!(!Error::Closed.is_fatal() == false);
    /// assert!(Error::NotFound.is_fatal() == false);
    /// ```
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            Self::Fatal(_)
                | Self::Closed
                | Self::Wire(_)
                | Self::Protocol(_)
                | Self::Poisoned
                | Self::Io(_)
                | Self::Timeout
        )
    }

    /// The trap, if this is one.
    pub fn as_trap(&self) -> Option<&Trap> {
        match self {
            Self::Trap(trap) => Some(trap),
            _ => None,
        }
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Trap(trap) => write!(f, "router error: {trap}"),
            Self::Fatal(reason) => write!(f, "router closed the connection: {reason}"),
            Self::AuthFailed(message) => write!(f, "login failed: {message}"),
            Self::Timeout => f.write_str("timed out"),
            Self::Closed => f.write_str("connection closed"),
            Self::Wire(e) => write!(f, "wire error: {e}"),
            Self::Protocol(e) => write!(f, "protocol error: {e}"),
            Self::BufferTooSmall(which) => write!(f, "buffer too small: {which:?}"),
            Self::Poisoned => {
                f.write_str("connection is in an unknown state and must be reconnected")
            }
            Self::Io(kind) => write!(f, "I/O error: {kind:?}"),
            Self::Cancelled => f.write_str("cancelled"),
            Self::StaleHandle => f.write_str("handle refers to a finished or reused slot"),
            Self::SlotsExhausted => f.write_str("every command slot is busy"),
            Self::PoolExhausted => f.write_str("every pooled connection is in use"),
            Self::NotFound => f.write_str("no such item"),
        }
    }
}

impl core::error::Error for Error {}

impl From<WireError> for Error {
    fn from(e: WireError) -> Self {
        match e {
            WireError::SentenceTooLarge => Self::BufferTooSmall(Buffer::Receive),
            WireError::BufferTooSmall => Self::BufferTooSmall(Buffer::Send),
            other => Self::Wire(other),
        }
    }
}

impl From<ProtocolError> for Error {
    fn from(e: ProtocolError) -> Self {
        Self::Protocol(e)
    }
}
