//! What connecting can fail with.

use std::fmt;
use std::io;

use crate::Fingerprint;

/// A setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A word of a `key=value` string without `=`.
    Syntax(String),
    /// A key that is not a setting.
    UnknownKey(String),
    /// A value of the wrong form.
    Value {
        /// The key.
        key: String,
        /// What the value should have been.
        expected: &'static str,
    },
    /// A fingerprint that is not 32 bytes of hexadecimal (colons allowed).
    Fingerprint,
    /// A CA file that cannot be read.
    CaFile {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// CA text without a usable certificate.
    NoCaCertificate,
    /// The host cannot be used as a TLS server name.
    ServerName(String),
    /// Anonymous DH or the OpenSSL backend was asked for, but the crate was built without
    /// the `openssl` feature.
    OpenSslMissing,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax(word) => write!(f, "expected key=value, found {word:?}"),
            Self::UnknownKey(key) => write!(f, "unknown setting {key:?}"),
            Self::Value { key, expected } => write!(f, "{key}: expected {expected}"),
            Self::Fingerprint => f.write_str(
                "a SHA-256 fingerprint is 64 hexadecimal digits, colons allowed \
                 (openssl x509 -noout -fingerprint -sha256 -in cert.pem)",
            ),
            Self::CaFile { path, reason } => write!(f, "cannot read CA file {path}: {reason}"),
            Self::NoCaCertificate => f.write_str("no CA certificate found in the PEM text"),
            Self::ServerName(name) => write!(f, "{name:?} cannot be a TLS server name"),
            Self::OpenSslMissing => f.write_str(
                "anonymous DH and the OpenSSL backend need routeros-tokio's `openssl` feature",
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Why a TLS handshake failed, each with what to do about it.
#[derive(Debug)]
#[non_exhaustive]
pub enum TlsError {
    /// The certificate is not signed by a trusted CA (a self-signed router certificate, or
    /// the wrong CA given). Pass the CA that signed it, or pin its fingerprint.
    UnknownCa,
    /// The pinned fingerprint is not the one the router showed.
    FingerprintMismatch {
        /// The fingerprint of the certificate the router showed.
        seen: Fingerprint,
    },
    /// The certificate is not valid for the host name connected to.
    NameMismatch,
    /// The certificate has expired or is not valid yet.
    Expired,
    /// Another certificate problem.
    BadCertificate(String),
    /// No TLS version in common: RouterOS speaks TLS 1.2 at most (RouterOS 6 also 1.0).
    ProtocolVersion(String),
    /// No cipher suite in common: RouterOS 6 offers DHE-RSA, which rustls lacks; api-ssl
    /// without a certificate offers only anonymous DH.
    NoCommonCipher(String),
    /// The peer does not speak TLS (for example the plain API port).
    NotTls(String),
    /// Anything else the TLS library reported.
    Other(String),
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownCa => f.write_str(
                "the router's certificate is not signed by a trusted CA: give the CA \
                 certificate that signed it, or pin the router's certificate by its SHA-256 \
                 fingerprint (routers usually carry self-signed certificates)",
            ),
            Self::FingerprintMismatch { seen } => write!(
                f,
                "the router's certificate does not have the pinned fingerprint; it has \
                 SHA-256 {seen}: if the router's certificate was changed on purpose, pin \
                 that one, otherwise someone may be in the middle"
            ),
            Self::NameMismatch => f.write_str(
                "the router's certificate is not valid for this host name: connect by the \
                 name in the certificate, set the expected server name, or pin the \
                 certificate's fingerprint",
            ),
            Self::Expired => f.write_str(
                "the router's certificate has expired or is not valid yet: check the clocks, \
                 renew the certificate, or pin its fingerprint",
            ),
            Self::BadCertificate(e) => write!(f, "the router's certificate was refused: {e}"),
            Self::ProtocolVersion(e) => write!(
                f,
                "no TLS version in common ({e}): the router speaks TLS 1.2 at most (RouterOS \
                 6 also TLS 1.0); use a client that offers TLS 1.2"
            ),
            Self::NoCommonCipher(e) => write!(
                f,
                "no cipher suite in common ({e}): an api-ssl service without a certificate \
                 offers only anonymous DH (use the anonymous-DH option, or better give the \
                 service a certificate); RouterOS 6 offers DHE-RSA (use the OpenSSL backend)"
            ),
            Self::NotTls(e) => write!(
                f,
                "the peer does not speak TLS ({e}): is this the api-ssl port (8729) and is \
                 api-ssl enabled? The plain API port is 8728"
            ),
            Self::Other(e) => write!(f, "TLS handshake failed: {e}"),
        }
    }
}

impl std::error::Error for TlsError {}

/// What [`connect`](crate::connect) was doing when a time bound passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stage {
    /// Resolving the host and opening TCP.
    Connect,
    /// The TLS handshake.
    Tls,
    /// Logging in.
    Login,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "connecting",
            Self::Tls => "the TLS handshake",
            Self::Login => "logging in",
        })
    }
}

/// Everything connecting can fail with.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The settings cannot be used.
    Config(ConfigError),
    /// No TCP connection could be made to `target`.
    Connect {
        /// `host:port`.
        target: String,
        /// The last address's error.
        source: io::Error,
    },
    /// The TLS handshake failed.
    Tls(TlsError),
    /// The login failed (`AuthFailed` for wrong credentials) or the connection broke during it.
    Login(routeros_core::Error),
    /// A time bound passed.
    Timeout(Stage),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(e) => write!(f, "bad settings: {e}"),
            Self::Connect { target, source } => write!(f, "cannot connect to {target}: {source}"),
            Self::Tls(e) => write!(f, "TLS: {e}"),
            Self::Login(routeros_core::Error::AuthFailed(m)) => write!(f, "login failed: {m}"),
            Self::Login(e) => write!(f, "login failed: {e}"),
            Self::Timeout(stage) => write!(f, "timed out while {stage}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Config(e) => Some(e),
            Self::Connect { source, .. } => Some(source),
            Self::Tls(e) => Some(e),
            Self::Login(e) => Some(e),
            Self::Timeout(_) => None,
        }
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Self::Config(e)
    }
}

impl From<TlsError> for Error {
    fn from(e: TlsError) -> Self {
        Self::Tls(e)
    }
}
