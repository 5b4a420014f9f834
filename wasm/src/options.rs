//! Connection options as read from the JavaScript options object.

use crate::error::{ErrorType, Failure};

/// Default bound on connecting and on each command, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: f64 = 10_000.0;
/// Default receive buffer: the largest reply sentence that can be read.
pub const DEFAULT_RECEIVE_BUFFER: usize = 256 * 1024;
/// Default send buffer: the largest command that can be sent.
pub const DEFAULT_SEND_BUFFER: usize = 64 * 1024;
/// Smallest buffer accepted.
pub const MIN_BUFFER: usize = 1024;
/// Largest buffer accepted.
pub const MAX_BUFFER: usize = 64 * 1024 * 1024;
/// Default keepalive interval: after this long without a byte from the router, it is asked
/// something cheap, and it must answer within the same time.
pub const DEFAULT_KEEPALIVE_MS: f64 = 10_000.0;

/// What [`crate::Connection`] needs besides a transport. `Debug` never shows the password.
#[derive(Clone, PartialEq)]
pub struct Options {
    /// User name for `/login`. Default `admin`.
    pub username: String,
    /// Password for `/login`. Default empty.
    pub password: String,
    /// Bound on connect + login and on each command; `None` waits forever.
    pub timeout_ms: Option<f64>,
    /// Receive buffer size in bytes.
    pub receive_buffer: usize,
    /// Send buffer size in bytes.
    pub send_buffer: usize,
    /// Commands and streams on the wire at once, 1 to [`crate::SLOTS`].
    pub slots: usize,
    /// How many of the slots streams may hold; by default all but one.
    pub max_streams: usize,
    /// Keepalive interval; `None` for no keepalive.
    pub keepalive_ms: Option<f64>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            username: "admin".into(),
            password: String::new(),
            timeout_ms: Some(DEFAULT_TIMEOUT_MS),
            receive_buffer: DEFAULT_RECEIVE_BUFFER,
            send_buffer: DEFAULT_SEND_BUFFER,
            slots: crate::SLOTS,
            max_streams: crate::SLOTS - 1,
            keepalive_ms: Some(DEFAULT_KEEPALIVE_MS),
        }
    }
}

impl core::fmt::Debug for Options {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Options")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("timeout_ms", &self.timeout_ms)
            .field("receive_buffer", &self.receive_buffer)
            .field("send_buffer", &self.send_buffer)
            .field("slots", &self.slots)
            .field("max_streams", &self.max_streams)
            .field("keepalive_ms", &self.keepalive_ms)
            .finish()
    }
}

/// Options as found on the JavaScript object, before checking.
#[derive(Default)]
pub struct RawOptions {
    /// `username`
    pub username: Option<String>,
    /// `user`, accepted as another name for `username`
    pub user: Option<String>,
    /// `password`
    pub password: Option<String>,
    /// `timeoutMs`
    pub timeout_ms: Option<f64>,
    /// `receiveBufferBytes`
    pub receive_buffer: Option<f64>,
    /// `sendBufferBytes`
    pub send_buffer: Option<f64>,
    /// `slots`
    pub slots: Option<f64>,
    /// `maxStreams`
    pub max_streams: Option<f64>,
    /// `keepaliveMs`
    pub keepalive_ms: Option<f64>,
}

fn invalid(message: String) -> Failure {
    Failure::new(ErrorType::InvalidArgument, message)
}

fn buffer(value: Option<f64>, name: &str, default: usize) -> Result<usize, Failure> {
    match value {
        None => Ok(default),
        Some(v) if v.fract() == 0.0 && (MIN_BUFFER as f64..=MAX_BUFFER as f64).contains(&v) => {
            Ok(v as usize)
        }
        Some(_) => Err(invalid(format!(
            "{name} must be a whole number from {MIN_BUFFER} to {MAX_BUFFER}"
        ))),
    }
}

impl RawOptions {
    /// Checks the values and fills in defaults. `timeoutMs: 0` means no limit.
    ///
    /// ```
    /// use routeros_wasm::options::RawOptions;
    /// let o = RawOptions { timeout_ms: Some(0.0), ..Default::default() }.check().unwrap();
    /// assert_eq!((o.username.as_str(), o.timeout_ms), ("admin", None));
    /// assert!(RawOptions { timeout_ms: Some(-1.0), ..Default::default() }.check().is_err());
    /// ```
    pub fn check(self) -> Result<Options, Failure> {
        let defaults = Options::default();
        let timeout_ms = match self.timeout_ms {
            None => defaults.timeout_ms,
            Some(0.0) => None,
            Some(t) if t > 0.0 && t.is_finite() => Some(t),
            Some(_) => {
                return Err(invalid(
                    "timeoutMs must be a positive number of milliseconds (0: no limit)".into(),
                ))
            }
        };
        let username = match (self.username, self.user) {
            (Some(a), Some(b)) if a != b => {
                return Err(invalid(
                    "username and user (another name for it) disagree: give one".into(),
                ))
            }
            (Some(a), _) | (None, Some(a)) => a,
            (None, None) => defaults.username,
        };
        let whole = |v: f64| v.fract() == 0.0 && v.is_finite();
        let slots = match self.slots {
            None => defaults.slots,
            Some(v) if whole(v) && (1.0..=crate::SLOTS as f64).contains(&v) => v as usize,
            Some(_) => {
                return Err(invalid(format!(
                    "slots must be a whole number from 1 to {}",
                    crate::SLOTS
                )))
            }
        };
        let max_streams = match self.max_streams {
            None => slots - 1,
            Some(v) if whole(v) && (0.0..=slots as f64).contains(&v) => v as usize,
            Some(_) => {
                return Err(invalid(format!(
                    "maxStreams must be a whole number from 0 to slots ({slots})"
                )))
            }
        };
        let keepalive_ms = match self.keepalive_ms {
            None => defaults.keepalive_ms,
            Some(0.0) => None,
            Some(t) if t > 0.0 && t.is_finite() => Some(t),
            Some(_) => {
                return Err(invalid(
                    "keepaliveMs must be a positive number of milliseconds (0: no keepalive)"
                        .into(),
                ))
            }
        };
        Ok(Options {
            username,
            slots,
            max_streams,
            keepalive_ms,
            password: self.password.unwrap_or(defaults.password),
            timeout_ms,
            receive_buffer: buffer(
                self.receive_buffer,
                "receiveBufferBytes",
                defaults.receive_buffer,
            )?,
            send_buffer: buffer(self.send_buffer, "sendBufferBytes", defaults.send_buffer)?,
        })
    }
}

impl Options {
    /// Reads `username` (or `user`), `password`, `timeoutMs`, `receiveBufferBytes`,
    /// `sendBufferBytes`, `slots`, `maxStreams` and `keepaliveMs` from a JavaScript object
    /// (`undefined` or `null` for all defaults). Other properties are not looked at (the
    /// package's `connect()` refuses unknown ones before it gets here).
    pub fn from_js(value: &wasm_bindgen::JsValue) -> Result<Self, Failure> {
        use wasm_bindgen::JsValue;
        if value.is_undefined() || value.is_null() {
            return RawOptions::default().check();
        }
        if !value.is_object() {
            return Err(invalid("options must be an object".into()));
        }
        let get = |key: &str| {
            js_sys::Reflect::get(value, &JsValue::from_str(key))
                .ok()
                .filter(|v| !v.is_undefined() && !v.is_null())
        };
        let text = |key: &str| -> Result<Option<String>, Failure> {
            match get(key) {
                None => Ok(None),
                Some(v) => v
                    .as_string()
                    .map(Some)
                    .ok_or_else(|| invalid(format!("{key} must be a string"))),
            }
        };
        let number = |key: &str| -> Result<Option<f64>, Failure> {
            match get(key) {
                None => Ok(None),
                Some(v) => v
                    .as_f64()
                    .map(Some)
                    .ok_or_else(|| invalid(format!("{key} must be a number"))),
            }
        };
        RawOptions {
            username: text("username")?,
            user: text("user")?,
            password: text("password")?,
            slots: number("slots")?,
            max_streams: number("maxStreams")?,
            keepalive_ms: number("keepaliveMs")?,
            timeout_ms: number("timeoutMs")?,
            receive_buffer: number("receiveBufferBytes")?,
            send_buffer: number("sendBufferBytes")?,
        }
        .check()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let o = RawOptions::default().check().unwrap();
        assert_eq!(o, Options::default());
        assert_eq!(o.timeout_ms, Some(DEFAULT_TIMEOUT_MS));
    }

    #[test]
    fn buffers_are_bounded() {
        for bad in [0.0, 100.0, 1e12, 2048.5, f64::NAN] {
            let raw = RawOptions {
                receive_buffer: Some(bad),
                ..Default::default()
            };
            assert_eq!(raw.check().unwrap_err().kind, ErrorType::InvalidArgument);
        }
        let raw = RawOptions {
            send_buffer: Some(4096.0),
            ..Default::default()
        };
        assert_eq!(raw.check().unwrap().send_buffer, 4096);
    }

    #[test]
    fn bad_timeouts() {
        for bad in [-5.0, f64::INFINITY, f64::NAN] {
            let raw = RawOptions {
                timeout_ms: Some(bad),
                ..Default::default()
            };
            assert!(raw.check().is_err());
        }
    }

    #[test]
    fn user_is_another_name_for_username() {
        let raw = RawOptions {
            user: Some("bob".into()),
            ..Default::default()
        };
        assert_eq!(raw.check().unwrap().username, "bob");
        let both = RawOptions {
            user: Some("bob".into()),
            username: Some("alice".into()),
            ..Default::default()
        };
        assert_eq!(both.check().unwrap_err().kind, ErrorType::InvalidArgument);
    }

    #[test]
    fn slots_and_streams() {
        let o = RawOptions::default().check().unwrap();
        assert_eq!((o.slots, o.max_streams), (crate::SLOTS, crate::SLOTS - 1));
        let o = RawOptions {
            slots: Some(3.0),
            ..Default::default()
        }
        .check()
        .unwrap();
        assert_eq!((o.slots, o.max_streams), (3, 2));
        let o = RawOptions {
            slots: Some(3.0),
            max_streams: Some(3.0),
            ..Default::default()
        }
        .check()
        .unwrap();
        assert_eq!(o.max_streams, 3, "all slots to streams when asked");
        for (slots, max) in [
            (Some(0.0), None),
            (Some(9.0), None),
            (Some(2.5), None),
            (Some(2.0), Some(3.0)),
        ] {
            let raw = RawOptions {
                slots,
                max_streams: max,
                ..Default::default()
            };
            assert!(raw.check().is_err(), "{slots:?} {max:?}");
        }
    }

    #[test]
    fn keepalive() {
        let off = RawOptions {
            keepalive_ms: Some(0.0),
            ..Default::default()
        };
        assert_eq!(off.check().unwrap().keepalive_ms, None);
        let bad = RawOptions {
            keepalive_ms: Some(-1.0),
            ..Default::default()
        };
        assert!(bad.check().is_err());
    }

    #[test]
    fn debug_hides_the_password() {
        let o = RawOptions {
            password: Some("hunter2".into()),
            ..Default::default()
        }
        .check()
        .unwrap();
        let shown = format!("{o:?}");
        assert!(!shown.contains("hunter2"));
        assert!(shown.contains("<redacted>"));
    }
}
