//! Why a connection to the router ended.

use embassy_net::tcp::ConnectError;

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
    /// The router's certificate is not the one whose fingerprint is pinned.
    FingerprintMismatch {
        /// The SHA-256 fingerprint of the certificate the router presented.
        seen: [u8; 32],
    },
    /// Fingerprint pinning saw no certificate: the router did not send one in clear
    /// (TLS 1.3 encrypts it; fingerprint pinning needs TLS 1.2).
    NoCertificateSeen,
    /// The router's handshake signature did not verify, or uses an unsupported scheme.
    BadSignature(TlsErrorCode),
    /// The router accepted none of the offered TLS versions and cipher suites. This is what a
    /// RouterOS api-ssl without a certificate does: it offers only anonymous Diffie-Hellman
    /// (ADH) suites, which neither TLS stack here implements.
    NoCommonCipherSuite(TlsErrorCode),
    /// The TLS 1.3-only stack met a router that does not speak TLS 1.3 (RouterOS api-ssl speaks
    /// TLS 1.2 at most).
    RouterWithoutTls13(TlsErrorCode),
    /// The router ended the handshake with another alert.
    AlertFromRouter(TlsErrorCode),
    /// The configured CA or pinned certificate could not be parsed.
    TrustAnchorUnreadable(TlsErrorCode),
    /// The TLS heap ([`crate::config::TLS_HEAP`]) ran out.
    OutOfMemory(TlsErrorCode),
    /// The settings ask for something the chosen TLS stack cannot do.
    Unsupported(&'static str),
    /// Any other TLS failure (transport error, malformed record, timeout inside TLS).
    Other(TlsErrorCode),
}

/// A short text naming a TLS library error (an error code, alert or verification flags);
/// `Clone` and comparable, cut at 64 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TlsErrorCode(pub heapless::String<64>);

impl TlsErrorCode {
    /// Formats `args`, cut at the capacity.
    pub fn new(args: core::fmt::Arguments<'_>) -> Self {
        use core::fmt::Write;
        let mut s = heapless::String::new();
        // Truncation of a long name is fine: the text is diagnostic only.
        let _ = Truncate(&mut s).write_fmt(args);
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

#[cfg(feature = "embedded-tls")]
impl From<&embedded_tls::TlsError> for TlsFailure {
    fn from(e: &embedded_tls::TlsError) -> Self {
        use embedded_tls::{alert::AlertDescription, TlsError};
        let code = TlsErrorCode::new(format_args!("{e:?}"));
        match e {
            TlsError::InvalidCertificate
            | TlsError::InvalidCertificateEntry
            | TlsError::DecodeError => Self::CertificateNotTrusted(code),
            TlsError::InvalidSignature | TlsError::InvalidSignatureScheme => {
                Self::BadSignature(code)
            }
            TlsError::HandshakeAborted(
                _,
                AlertDescription::ProtocolVersion | AlertDescription::HandshakeFailure,
            ) => Self::RouterWithoutTls13(code),
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
            Self::FingerprintMismatch { seen } => {
                f.write_str("router certificate not trusted: its SHA-256 fingerprint ")?;
                crate::settings::fmt_fingerprint(seen, f)?;
                f.write_str(" is not the pinned one")
            }
            Self::NoCertificateSeen => f.write_str(
                "router certificate not trusted: no certificate seen to compare with the pinned fingerprint (fingerprint pinning needs TLS 1.2)",
            ),
            Self::BadSignature(c) => write!(f, "router handshake signature rejected: {}", c.0),
            Self::NoCommonCipherSuite(c) => write!(
                f,
                "the router accepted none of the offered TLS versions and cipher suites ({}); a RouterOS api-ssl without a certificate offers only anonymous Diffie-Hellman (ADH), which this device cannot use, because MbedTLS has no ADH suites: give the router a certificate",
                c.0
            ),
            Self::RouterWithoutTls13(c) => write!(
                f,
                "the router does not speak TLS 1.3 ({}): RouterOS api-ssl speaks TLS 1.2 at most; use the MbedTLS stack (embedded-tls reaches only TLS 1.3 terminators)",
                c.0
            ),
            Self::AlertFromRouter(c) => write!(f, "router aborted the TLS handshake: {}", c.0),
            Self::TrustAnchorUnreadable(c) => write!(
                f,
                "the configured CA/pinned certificate is not a readable DER certificate: {}",
                c.0
            ),
            Self::OutOfMemory(c) => write!(f, "TLS heap exhausted ({}): raise TLS_HEAP", c.0),
            Self::Unsupported(what) => write!(f, "not supported: {what}"),
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
