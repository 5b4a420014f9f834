//! Why a connection to the router ended.

use embassy_net::tcp::ConnectError;
use embedded_tls::TlsError;

/// What went wrong with one connection attempt or session. Every variant leads to a
/// reconnect with backoff.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum AppError {
    /// The TCP connection could not be made.
    Connect(ConnectError),
    /// The TCP connection was not made in time.
    ConnectTimeout,
    /// The TLS handshake failed.
    Tls(TlsFailure),
    /// The TLS handshake did not finish in time.
    TlsTimeout,
    /// The RouterOS client failed (login refused, trap, connection closed, timeout...).
    Router(routeros_core::Error),
    /// The traffic stream ended without being asked to.
    StreamEnded,
}

/// Why a TLS handshake failed, sorted for a clear message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TlsFailure {
    /// The router's certificate did not verify against the configured CA or pinned
    /// certificate, or does not name the configured server name.
    CertificateNotTrusted(TlsErrorCode),
    /// The router's handshake signature did not verify, or uses an unsupported scheme.
    BadSignature(TlsErrorCode),
    /// The router ended the handshake with an alert (for example: it speaks only TLS 1.2,
    /// which this TLS stack does not).
    AlertFromRouter(TlsErrorCode),
    /// Any other TLS failure (transport error, malformed record, buffer too small).
    Other(TlsErrorCode),
}

/// A copy of [`embedded_tls::TlsError`] that is `Clone` and comparable.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TlsErrorCode(pub heapless::String<48>);

impl TlsErrorCode {
    fn of(e: &TlsError) -> Self {
        use core::fmt::Write;
        let mut s = heapless::String::new();
        // Truncation of a long name is fine: the text is diagnostic only.
        let _ = write!(Truncate(&mut s), "{e:?}");
        Self(s)
    }
}

struct Truncate<'a, const N: usize>(&'a mut heapless::String<N>);

impl<const N: usize> core::fmt::Write for Truncate<'_, N> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for c in s.chars() {
            if self.0.push(c).is_err() {
                break;
            }
        }
        Ok(())
    }
}

impl From<&TlsError> for TlsFailure {
    fn from(e: &TlsError) -> Self {
        let code = TlsErrorCode::of(e);
        match e {
            TlsError::InvalidCertificate
            | TlsError::InvalidCertificateEntry
            | TlsError::DecodeError => Self::CertificateNotTrusted(code),
            TlsError::InvalidSignature | TlsError::InvalidSignatureScheme => {
                Self::BadSignature(code)
            }
            TlsError::HandshakeAborted(..) => Self::AlertFromRouter(code),
            _ => Self::Other(code),
        }
    }
}

impl From<routeros_core::Error> for AppError {
    fn from(e: routeros_core::Error) -> Self {
        Self::Router(e)
    }
}

impl core::fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::CertificateNotTrusted(c) => write!(
                f,
                "router certificate not trusted (not signed by the configured CA/pinned certificate, or wrong server name): {}",
                c.0
            ),
            Self::BadSignature(c) => write!(f, "router handshake signature rejected: {}", c.0),
            Self::AlertFromRouter(c) => write!(
                f,
                "router aborted the TLS handshake (does it offer TLS 1.3?): {}",
                c.0
            ),
            Self::Other(c) => write!(f, "TLS failure: {}", c.0),
        }
    }
}

impl core::fmt::Display for AppError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Connect(e) => write!(f, "TCP connect failed: {e:?}"),
            Self::ConnectTimeout => f.write_str("TCP connect timed out"),
            Self::Tls(e) => write!(f, "TLS handshake failed: {e}"),
            Self::TlsTimeout => f.write_str("TLS handshake timed out"),
            Self::Router(e) => write!(f, "{e}"),
            Self::StreamEnded => f.write_str("the traffic stream ended"),
        }
    }
}

impl core::error::Error for AppError {}
