//! TLS 1.2 (and 1.3) through MbedTLS under the RouterOS client.
#![allow(unsafe_code)]

use core::convert::Infallible;
use core::ffi::CStr;

use embassy_time::{with_timeout, Duration, Instant};
use embedded_io_async::{Read, Write};
use mbedtls_rs::sys::{
    MBEDTLS_ERR_ECP_ALLOC_FAILED, MBEDTLS_ERR_MPI_ALLOC_FAILED, MBEDTLS_ERR_PK_ALLOC_FAILED,
    MBEDTLS_ERR_SSL_ALLOC_FAILED, MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION,
    MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE, MBEDTLS_ERR_SSL_HANDSHAKE_FAILURE,
    MBEDTLS_ERR_X509_ALLOC_FAILED, MBEDTLS_ERR_X509_CERT_VERIFY_FAILED,
    MBEDTLS_X509_BADCERT_CN_MISMATCH, MBEDTLS_X509_BADCERT_EXPIRED,
    MBEDTLS_X509_BADCERT_EXT_KEY_USAGE, MBEDTLS_X509_BADCERT_FUTURE,
    MBEDTLS_X509_BADCERT_KEY_USAGE, MBEDTLS_X509_BADCERT_NOT_TRUSTED,
};
use mbedtls_rs::{
    AuthMode, Certificate, ClientSessionConfig, Session, SessionConfig, SessionError, Tls,
    TlsVersion,
};
use rand_core::{CryptoRng, RngCore};

use super::observe::{alert_name, HandshakeObserver, Observed};
use super::{heap, TlsInfo};
use crate::config::TLS_HANDSHAKE_TIMEOUT;
use crate::error::{AppError, TlsErrorCode, TlsFailure};
use crate::monitor::{session, Event, Flow, Observer, Progress, SessionEnd};
use crate::settings::{RouterSettings, TlsSettings, TlsStack, TlsVerify};

/// A rand_core 0.6 generator (what the boards' RNG drivers implement) as the rand_core 0.10
/// generator mbedtls-rs takes.
struct Rng010<'a, R>(&'a mut R);

impl<R: RngCore> rand_core_010::TryRng for Rng010<'_, R> {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.0.next_u32())
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.0.next_u64())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.0.fill_bytes(dst);
        Ok(())
    }
}

impl<R: RngCore + CryptoRng> rand_core_010::TryCryptoRng for Rng010<'_, R> {}

/// The server name as the C string MbedTLS wants (DNS names are at most 253 bytes).
struct ServerName([u8; 256]);

impl ServerName {
    fn new(name: &str) -> Result<Self, TlsFailure> {
        let mut buf = [0u8; 256];
        if name.len() >= buf.len() || name.bytes().any(|b| b == 0) {
            return Err(TlsFailure::Unsupported(
                "server name longer than 255 bytes or containing a NUL byte",
            ));
        }
        buf[..name.len()].copy_from_slice(name.as_bytes());
        Ok(Self(buf))
    }

    fn as_cstr(&self) -> &CStr {
        // A NUL follows the name (the buffer is longer than the name and zeroed).
        CStr::from_bytes_until_nul(&self.0).unwrap_or_default()
    }
}

/// Sorts an MbedTLS failure for a clear message, with what was seen of the handshake and the
/// certificate verification flags.
fn classify(e: SessionError, seen: &HandshakeObserver, verify_flags: u32) -> TlsFailure {
    let code = match e {
        SessionError::Io(kind) => {
            return TlsFailure::Other(TlsErrorCode::new(format_args!("transport: {kind:?}")))
        }
        SessionError::MbedTls(m) => m.code(),
    };
    let hex = TlsErrorCode::new(format_args!("MbedTLS error -0x{:04X}", code.unsigned_abs()));
    match code {
        MBEDTLS_ERR_X509_CERT_VERIFY_FAILED => {
            let reasons = [
                (
                    MBEDTLS_X509_BADCERT_NOT_TRUSTED,
                    "not signed by a trusted certificate",
                ),
                (MBEDTLS_X509_BADCERT_CN_MISMATCH, "name mismatch"),
                (MBEDTLS_X509_BADCERT_EXPIRED, "expired"),
                (MBEDTLS_X509_BADCERT_FUTURE, "not yet valid"),
                (MBEDTLS_X509_BADCERT_KEY_USAGE, "key usage"),
                (MBEDTLS_X509_BADCERT_EXT_KEY_USAGE, "extended key usage"),
            ];
            let mut text = TlsErrorCode::new(format_args!("flags 0x{verify_flags:X}"));
            for (bit, why) in reasons {
                if verify_flags & bit != 0 {
                    let so_far = text.0.clone();
                    text = TlsErrorCode::new(format_args!("{so_far}, {why}"));
                }
            }
            TlsFailure::CertificateNotTrusted(text)
        }
        MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE => match seen.alert {
            Some((_, d @ (40 | 71))) => TlsFailure::NoCommonCipherSuite(TlsErrorCode::new(
                format_args!("alert {}", alert_name(d).unwrap_or("?")),
            )),
            Some((_, d)) => TlsFailure::AlertFromRouter(match alert_name(d) {
                Some(name) => TlsErrorCode::new(format_args!("alert {name} ({d})")),
                None => TlsErrorCode::new(format_args!("alert {d}")),
            }),
            None => TlsFailure::AlertFromRouter(hex),
        },
        MBEDTLS_ERR_SSL_HANDSHAKE_FAILURE | MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION => {
            TlsFailure::NoCommonCipherSuite(hex)
        }
        MBEDTLS_ERR_SSL_ALLOC_FAILED
        | MBEDTLS_ERR_X509_ALLOC_FAILED
        | MBEDTLS_ERR_MPI_ALLOC_FAILED
        | MBEDTLS_ERR_ECP_ALLOC_FAILED
        | MBEDTLS_ERR_PK_ALLOC_FAILED => TlsFailure::OutOfMemory(hex),
        _ => TlsFailure::Other(hex),
    }
}

/// Constant-time comparison of two fingerprints.
fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Runs the TLS handshake over `transport` with MbedTLS, checks the router's certificate as
/// `tls.verify` says, then runs a session over the encrypted stream.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn connection<T, R, O>(
    transport: T,
    tls: &TlsSettings<'_>,
    rng: &mut R,
    client_rx: &mut [u8],
    client_tx: &mut [u8],
    settings: &RouterSettings<'_>,
    observer: &mut O,
    progress: &mut Progress,
) -> Result<SessionEnd, AppError>
where
    T: Read + Write,
    R: RngCore + CryptoRng + Send,
    O: Observer,
{
    heap::init();
    let mut rng = Rng010(rng);
    let tls_error = |f| AppError::Tls(f);
    // SAFETY: `mbed` lives in this function only and is dropped (never leaked) before the
    // borrow of `rng` ends; every session made from it is dropped first (declared later).
    let mbed = unsafe { Tls::new_local_borrows(&mut rng) }
        .map_err(|_| tls_error(TlsFailure::Unsupported("two MbedTLS connections at once")))?;
    let name = ServerName::new(tls.server_name).map_err(tls_error)?;
    let mut conf = ClientSessionConfig::new();
    conf.server_name = Some(name.as_cstr());
    match tls.verify {
        TlsVerify::CaCertificate(der) | TlsVerify::PinnedSelfSigned(der) => {
            let anchor = Certificate::new_no_copy(der).map_err(|e| {
                tls_error(match e {
                    SessionError::MbedTls(m)
                        if matches!(
                            m.code(),
                            MBEDTLS_ERR_X509_ALLOC_FAILED | MBEDTLS_ERR_SSL_ALLOC_FAILED
                        ) =>
                    {
                        TlsFailure::OutOfMemory(TlsErrorCode::new(format_args!("{m}")))
                    }
                    other => TlsFailure::TrustAnchorUnreadable(TlsErrorCode::new(format_args!(
                        "{other}"
                    ))),
                })
            })?;
            conf.ca_chain = Some(anchor);
            conf.auth_mode = AuthMode::Required;
        }
        TlsVerify::PinnedFingerprint(_) => {
            // The fingerprint is checked below, on the certificate the router sent in clear
            // (TLS 1.2); MbedTLS still checks the handshake signature against its key.
            conf.auth_mode = AuthMode::None;
            conf.max_version = Some(TlsVersion::Tls1_2);
        }
        TlsVerify::InsecureSkipVerificationForLabRoutersOnly => {
            conf.auth_mode = AuthMode::None;
        }
    }
    let mut s = Session::new(
        mbed.reference(),
        Observed::new(transport),
        &SessionConfig::Client(conf),
    )
    .map_err(|e| tls_error(classify(e, &HandshakeObserver::new(), 0)))?;
    let started = Instant::now();
    match with_timeout(TLS_HANDSHAKE_TIMEOUT, s.connect()).await {
        Err(_) => return Err(AppError::TlsTimeout),
        Ok(Err(e)) => {
            let flags = s.tls_verification_details();
            let seen = &s.stream().observer;
            if matches!(tls.verify, TlsVerify::PinnedFingerprint(_))
                && matches!(seen.alert, Some((_, 70)))
            {
                // Fingerprint pinning offers TLS 1.2 only; this server wants TLS 1.3.
                return Err(tls_error(TlsFailure::Unsupported(
                    "fingerprint pinning against a TLS 1.3-only server (it refused TLS 1.2): pin the certificate itself or its CA",
                )));
            }
            return Err(tls_error(classify(e, seen, flags)));
        }
        Ok(Ok(())) => {}
    }
    let handshake_ms = started.elapsed().as_millis();
    let seen = s.stream().observer.clone();
    if let TlsVerify::PinnedFingerprint(want) = tls.verify {
        match seen.fingerprint {
            None => return Err(tls_error(TlsFailure::NoCertificateSeen)),
            Some(got) if !same(&got, &want) => {
                return Err(tls_error(TlsFailure::FingerprintMismatch { seen: got }))
            }
            Some(_) => {}
        }
    }
    let info = TlsInfo {
        stack: TlsStack::MbedTls,
        version: match s.tls_version() {
            Some(TlsVersion::Tls1_3) => "1.3",
            Some(TlsVersion::Tls1_2) => "1.2",
            None => "?",
        },
        cipher_suite: seen.cipher_suite,
        handshake_ms,
    };
    info!(
        "TLS {} session established with {} ({})",
        info.version,
        tls.server_name,
        info.suite_name()
    );
    if observer.event(&Event::Connected { tls: true }) == Flow::Stop
        || observer.event(&Event::TlsEstablished(info)) == Flow::Stop
    {
        return Ok(SessionEnd::Stopped);
    }
    let result = session(&mut s, client_rx, client_tx, settings, observer, progress).await;
    if result.is_ok() {
        // Tell the router the session ends (close_notify); it may already be gone.
        let _ = with_timeout(Duration::from_secs(2), s.close()).await;
    }
    result
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use mbedtls_rs::sys::MbedtlsError;

    fn mbed(code: i32) -> SessionError {
        SessionError::MbedTls(MbedtlsError::new(code))
    }

    #[test]
    fn failures_are_sorted_for_a_clear_message() {
        let mut seen = HandshakeObserver::new();
        // An ADH-only router: handshake_failure, before anything was encrypted.
        seen.feed(&[21, 3, 3, 0, 2, 2, 40]);
        let f = classify(mbed(MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE), &seen, 0);
        assert!(matches!(f, TlsFailure::NoCommonCipherSuite(_)), "{f:?}");
        let text = std::format!("{f}");
        assert!(text.contains("alert handshake_failure"), "{text}");
        assert!(
            text.contains("cannot use, because MbedTLS has no ADH"),
            "{text}"
        );

        let f = classify(
            mbed(MBEDTLS_ERR_X509_CERT_VERIFY_FAILED),
            &HandshakeObserver::new(),
            MBEDTLS_X509_BADCERT_NOT_TRUSTED | MBEDTLS_X509_BADCERT_CN_MISMATCH,
        );
        let text = std::format!("{}", AppError::Tls(f));
        assert!(
            text.starts_with("TLS handshake failed: router certificate not trusted"),
            "{text}"
        );
        assert!(
            text.contains("not signed by a trusted certificate, name mismatch"),
            "{text}"
        );

        let f = classify(
            mbed(MBEDTLS_ERR_SSL_ALLOC_FAILED),
            &HandshakeObserver::new(),
            0,
        );
        assert!(matches!(f, TlsFailure::OutOfMemory(_)), "{f:?}");
        let f = classify(
            SessionError::Io(embedded_io_async::ErrorKind::ConnectionReset),
            &seen,
            0,
        );
        assert!(std::format!("{f}").contains("ConnectionReset"));
    }

    #[test]
    fn server_names_become_c_strings_or_are_refused() {
        let name = ServerName::new("router.lab").unwrap();
        assert_eq!(name.as_cstr().to_bytes(), b"router.lab");
        assert!(ServerName::new("a\0b").is_err());
        assert!(ServerName::new(&"x".repeat(256)).is_err());
        assert!(same(&[7; 32], &[7; 32]));
        let mut other = [7; 32];
        other[31] = 8;
        assert!(!same(&[7; 32], &other));
    }
}
