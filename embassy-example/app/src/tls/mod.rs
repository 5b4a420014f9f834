//! TLS under the RouterOS client.
//!
//! - `mbed`: MbedTLS 3.x (`mbedtls-rs`), TLS 1.2 and 1.3, the default: what RouterOS api-ssl
//!   (TLS 1.2 at most) needs. It allocates from the fixed [`heap`].
//! - `tls13` (cargo feature `embedded-tls`): `embedded-tls`, TLS 1.3 only, for TLS 1.3
//!   terminators in front of a router.
//! - [`observe`]: reads the unencrypted part of the handshake (chosen suite, certificate
//!   fingerprint, alerts) for fingerprint pinning and clear error messages.

pub mod heap;
pub(crate) mod mbed;
pub mod observe;
#[cfg(feature = "embedded-tls")]
pub mod tls13;

use crate::settings::TlsStack;

/// What a finished TLS handshake negotiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TlsInfo {
    /// The TLS implementation used.
    pub stack: TlsStack,
    /// `"1.2"` or `"1.3"`.
    pub version: &'static str,
    /// The cipher suite the router chose (IANA number), when it was seen.
    pub cipher_suite: Option<u16>,
    /// How long the handshake took, in milliseconds.
    pub handshake_ms: u64,
}

impl TlsInfo {
    /// The OpenSSL-style name of the cipher suite (`ECDHE-RSA-AES256-GCM-SHA384`), or `"?"`.
    pub fn suite_name(&self) -> &'static str {
        self.cipher_suite
            .and_then(observe::suite_name)
            .unwrap_or("?")
    }
}
