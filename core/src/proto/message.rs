//! Bounded text copied out of a reply, so errors never borrow the receive buffer.

use super::Value;

/// How many bytes of a message an error keeps.
pub const MESSAGE_CAPACITY: usize = 96;

/// Text copied from the router (a trap message, a fatal reason), decoded as UTF-8 or else
/// Windows-1252, cut at a character boundary if longer than [`MESSAGE_CAPACITY`] bytes (the
/// cut is marked with `…`).
pub type Message = heapless::String<MESSAGE_CAPACITY>;

/// Copies `value` into a [`Message`].
///
/// ```
/// use routeros_core::{proto::message_from, Value};
/// assert_eq!(message_from(Value::new(b"no such item")).as_str(), "no such item");
/// let long = [b'a'; 300];
/// let m = message_from(Value::new(&long));
/// assert!(m.len() <= 96 && m.ends_with('…'));
/// ```
pub fn message_from(value: Value<'_>) -> Message {
    let mut out = Message::new();
    let total: usize = value.chars().map(char::len_utf8).sum();
    let room = if total <= MESSAGE_CAPACITY {
        MESSAGE_CAPACITY
    } else {
        MESSAGE_CAPACITY - '…'.len_utf8()
    };
    for c in value.chars() {
        if out.len() + c.len_utf8() > room {
            // Cannot fail: `room` leaves space for the marker.
            let _ = out.push('…');
            break;
        }
        let _ = out.push(c);
    }
    out
}

/// A [`Message`] from static text.
pub(crate) fn message_str(text: &str) -> Message {
    message_from(Value::new(text.as_bytes()))
}
