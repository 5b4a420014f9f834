//! Errors as JavaScript sees them: an `Error` whose `type` says what failed.

use routeros_core::{Error, TrapCategory};

/// The `type` property of every error the package throws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorType {
    /// The router answered `!trap`; `category` and `more` say more. The connection is fine.
    Trap,
    /// The router sent `!fatal` and closed the connection.
    Fatal,
    /// Login was refused.
    AuthFailed,
    /// `timeoutMs` passed (connecting, waiting for a slot, or on the wire).
    Timeout,
    /// The connection is closed (by the peer, by `close()`, or after an earlier failure).
    Closed,
    /// The transport could not be opened (refused, unreachable, bad URL).
    ConnectFailed,
    /// The peer sent bytes that are not the RouterOS API.
    Protocol,
    /// A reply sentence or a command did not fit its buffer; the connection is fine.
    BufferTooSmall,
    /// The transport failed in another way.
    Io,
    /// The caller passed something unusable (not a list of words, an empty word, ...).
    InvalidArgument,
    /// An item asked for does not exist.
    NotFound,
    /// The command or stream was cancelled.
    Cancelled,
    /// The call was aborted through its `AbortSignal` (JavaScript sees it named
    /// `AbortError`).
    Aborted,
    /// No slot was free: `maxStreams` streams are open, or a command waited for a slot
    /// until its time limit.
    SlotsExhausted,
    /// A state that should not happen; please report it.
    Internal,
}

impl ErrorType {
    /// The name JavaScript sees, such as `"auth_failed"`.
    ///
    /// ```
    /// assert_eq!(routeros_wasm::ErrorType::AuthFailed.as_str(), "auth_failed");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Trap => "trap",
            Self::Fatal => "fatal",
            Self::AuthFailed => "auth_failed",
            Self::Timeout => "timeout",
            Self::Closed => "closed",
            Self::ConnectFailed => "connect_failed",
            Self::Protocol => "protocol",
            Self::BufferTooSmall => "buffer_too_small",
            Self::Io => "io",
            Self::InvalidArgument => "invalid_argument",
            Self::NotFound => "not_found",
            Self::Cancelled => "cancelled",
            Self::Aborted => "aborted",
            Self::SlotsExhausted => "slots_exhausted",
            Self::Internal => "internal",
        }
    }
}

/// One failure, ready to become a JavaScript error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What failed.
    pub kind: ErrorType,
    /// Human-readable text (for a trap: the router's message).
    pub message: String,
    /// For a trap: the numeric category, if the router sent one.
    pub category: Option<u8>,
    /// For a trap: how many further traps the same command produced.
    pub more: u16,
    /// What led to this failure (JavaScript's `cause`), e.g. the timeout that closed a
    /// connection.
    pub cause: Option<Box<Failure>>,
}

impl Failure {
    /// A failure with a message and no trap details.
    pub fn new(kind: ErrorType, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            category: None,
            more: 0,
            cause: None,
        }
    }

    /// The same failure with `cause` as its cause.
    pub fn with_cause(mut self, cause: Failure) -> Self {
        self.cause = Some(Box::new(cause));
        self
    }

    /// Maps a core error. `close_reason` (what the transport said when it closed) is added
    /// to errors that mean the connection is gone.
    ///
    /// ```
    /// use routeros_wasm::{ErrorType, Failure};
    /// let f = Failure::from_core(&routeros_core::Error::Closed, Some("code 1006"));
    /// assert_eq!(f.kind, ErrorType::Closed);
    /// assert_eq!(f.message, "connection closed (code 1006)");
    /// ```
    pub fn from_core(error: &Error, close_reason: Option<&str>) -> Self {
        use embedded_io::ErrorKind as Io;
        let kind = match error {
            Error::Trap(_) => ErrorType::Trap,
            Error::Fatal(_) => ErrorType::Fatal,
            Error::AuthFailed(_) => ErrorType::AuthFailed,
            Error::Timeout => ErrorType::Timeout,
            Error::Closed | Error::Poisoned => ErrorType::Closed,
            Error::Io(
                Io::NotConnected | Io::BrokenPipe | Io::ConnectionReset | Io::ConnectionAborted,
            ) => ErrorType::Closed,
            Error::Io(_) => ErrorType::Io,
            Error::Wire(_) | Error::Protocol(_) => ErrorType::Protocol,
            Error::BufferTooSmall(_) => ErrorType::BufferTooSmall,
            Error::Cancelled => ErrorType::Cancelled,
            Error::NotFound => ErrorType::NotFound,
            Error::SlotsExhausted | Error::PoolExhausted => ErrorType::SlotsExhausted,
            _ => ErrorType::Internal,
        };
        let mut failure = match error {
            Error::Trap(trap) => Self {
                kind,
                message: escape_text(trap.message.as_str()),
                category: trap.category.map(TrapCategory::code),
                more: trap.more,
                cause: None,
            },
            Error::AuthFailed(message) => Self::new(
                kind,
                format!("login failed: {}", escape_text(message.as_ref())),
            ),
            Error::Io(_) if kind == ErrorType::Closed => Self::new(kind, "connection closed"),
            other => Self::new(kind, escape_text(&other.to_string())),
        };
        if kind == ErrorType::Closed {
            if let Some(reason) = close_reason.filter(|r| !r.is_empty()) {
                failure.message = format!("{} ({})", failure.message, escape_text(reason));
            }
        }
        failure
    }

    /// Whether this is a trap of category 2 ("interrupted"), the normal end of a cancelled
    /// stream.
    pub fn is_interrupted(&self) -> bool {
        self.kind == ErrorType::Trap && self.category == Some(TrapCategory::Interrupted.code())
    }

    /// The JavaScript error: an `Error` named `RouterOsError` with `type`, and for traps
    /// `category` (number or `null`) and `more`.
    pub fn to_js(&self) -> wasm_bindgen::JsValue {
        use wasm_bindgen::JsValue;
        let error = js_sys::Error::new(&self.message);
        error.set_name("RouterOsError");
        let set = |key: &str, value: JsValue| {
            // Setting a property on a fresh Error object cannot fail.
            let _ = js_sys::Reflect::set(&error, &JsValue::from_str(key), &value);
        };
        set("type", JsValue::from_str(self.kind.as_str()));
        if let Some(cause) = &self.cause {
            set("cause", cause.to_js());
        }
        if self.kind == ErrorType::Trap {
            set(
                "category",
                self.category.map_or(JsValue::NULL, JsValue::from),
            );
            set("more", JsValue::from(self.more));
        }
        error.into()
    }
}

impl core::fmt::Display for Failure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.message)
    }
}

/// Text from the network made safe for a terminal: control characters (C0, DEL, C1) are
/// written as `\u{..}` escapes; everything else is kept.
///
/// ```
/// use routeros_wasm::error::escape_text;
/// assert_eq!(escape_text("bad \x1b[31mred\u{9b}"), "bad \\u{1b}[31mred\\u{9b}");
/// assert_eq!(escape_text("žluťoučký"), "žluťoučký");
/// ```
pub fn escape_text(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// Bytes from the network as printable ASCII: printable characters as they are, `\r`,
/// `\n`, `\t` and `\\` escaped, anything else as `\xNN`.
///
/// ```
/// assert_eq!(routeros_wasm::error::escape_bytes(b"SSH-2.0\r\n\xff"), r"SSH-2.0\r\n\xff");
/// ```
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use routeros_core::{proto::message_from, Trap, Value};

    #[test]
    fn traps_keep_category_and_count() {
        let trap = Trap {
            category: Some(TrapCategory::ArgumentValue),
            message: message_from(Value::new(b"invalid value for argument address")),
            more: 2,
        };
        let f = Failure::from_core(&Error::Trap(trap), Some("ignored"));
        assert_eq!(f.kind, ErrorType::Trap);
        assert_eq!(f.category, Some(1));
        assert_eq!(f.more, 2);
        assert_eq!(f.message, "invalid value for argument address");
        assert!(!f.is_interrupted());
    }

    #[test]
    fn unknown_categories_are_kept() {
        let trap = Trap {
            category: Some(TrapCategory::Other(42)),
            message: message_from(Value::new(b"x")),
            more: 0,
        };
        assert_eq!(
            Failure::from_core(&Error::Trap(trap), None).category,
            Some(42)
        );
    }

    #[test]
    fn lost_transports_are_closed() {
        for e in [
            Error::Closed,
            Error::Poisoned,
            Error::Io(embedded_io::ErrorKind::NotConnected),
        ] {
            assert_eq!(Failure::from_core(&e, None).kind, ErrorType::Closed);
        }
        assert_eq!(
            Failure::from_core(&Error::Io(embedded_io::ErrorKind::Other), None).kind,
            ErrorType::Io
        );
    }

    #[test]
    fn auth_and_fatal() {
        let f = Failure::from_core(
            &Error::AuthFailed(message_from(Value::new(b"cannot log in"))),
            None,
        );
        assert_eq!(
            (f.kind, f.message.as_str()),
            (ErrorType::AuthFailed, "login failed: cannot log in")
        );
        let f = Failure::from_core(&Error::Fatal(message_from(Value::new(b"bye"))), None);
        assert_eq!(f.kind, ErrorType::Fatal);
        assert!(f.message.contains("bye"));
    }
}
