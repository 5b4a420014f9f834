//! TLS 1.3 only, through `embedded-tls` (cargo feature `embedded-tls`): for a TLS 1.3
//! terminator in front of a router. RouterOS api-ssl itself speaks TLS 1.2 at most, so this
//! stack never reaches a router directly; it fails with
//! [`TlsFailure::RouterWithoutTls13`](crate::error::TlsFailure::RouterWithoutTls13).

use embassy_time::{with_timeout, Instant};
use embedded_io_async::{Read, Write};
use embedded_tls::pki::CertVerifier;
use embedded_tls::{
    Aes128GcmSha256, Certificate, CryptoProvider, CryptoRngCore, TlsClock, TlsConfig,
    TlsConnection, TlsContext, TlsError, TlsVerifier,
};

use super::TlsInfo;
use crate::config::{TLS_CERT_CHAIN, TLS_HANDSHAKE_TIMEOUT};
use crate::error::{AppError, TlsFailure};
use crate::monitor::{session, Event, Flow, Observer, Progress, SessionEnd};
use crate::settings::{RouterSettings, TlsSettings, TlsStack, TlsVerify};

/// The cipher suite offered: TLS_AES_128_GCM_SHA256 (mandatory for every TLS 1.3 server).
pub type CipherSuite = Aes128GcmSha256;

/// The certificate verifier used when verification is on.
pub type Verifier<'a, C> = CertVerifier<'a, CipherSuite, C, TLS_CERT_CHAIN>;

/// The crypto provider handed to embedded-tls: a random number generator and, unless
/// verification was explicitly switched off, a certificate verifier.
///
/// `C` supplies the current time for certificate validity checks; `NoClock` (boards
/// without a real-time clock) skips the validity-period check but still checks the
/// signature chain and the server name.
pub struct Provider<'a, R, C: TlsClock> {
    rng: R,
    verifier: Option<Verifier<'a, C>>,
}

impl<'a, R: CryptoRngCore, C: TlsClock> Provider<'a, R, C> {
    /// A provider that verifies (or not) as `verify` says. Fingerprint pinning is not
    /// available with this stack (see [`connection`]).
    pub fn new(rng: R, verify: TlsVerify<'a>) -> Self {
        let verifier = match verify {
            TlsVerify::CaCertificate(der) | TlsVerify::PinnedSelfSigned(der) => {
                Some(CertVerifier::new(Certificate::X509(der)))
            }
            TlsVerify::PinnedFingerprint(_)
            | TlsVerify::InsecureSkipVerificationForLabRoutersOnly => None,
        };
        Self { rng, verifier }
    }
}

impl<R: CryptoRngCore, C: TlsClock> CryptoProvider for Provider<'_, R, C> {
    type CipherSuite = CipherSuite;
    type Signature = &'static [u8];

    fn rng(&mut self) -> impl CryptoRngCore {
        &mut self.rng
    }

    fn verifier(&mut self) -> Result<&mut impl TlsVerifier<CipherSuite>, TlsError> {
        // embedded-tls skips verification when the provider has no verifier.
        self.verifier.as_mut().ok_or(TlsError::Unimplemented)
    }
}

/// Runs the TLS 1.3 handshake over `transport`, then a session over it.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn connection<C, T, R, O>(
    transport: T,
    tls: &TlsSettings<'_>,
    rng: &mut R,
    (record_read, record_write): (&mut [u8], &mut [u8]),
    (client_rx, client_tx): (&mut [u8], &mut [u8]),
    settings: &RouterSettings<'_>,
    observer: &mut O,
    progress: &mut Progress,
) -> Result<SessionEnd, AppError>
where
    C: TlsClock,
    T: Read + Write,
    R: CryptoRngCore,
    O: Observer,
{
    if matches!(tls.verify, TlsVerify::PinnedFingerprint(_)) {
        // In TLS 1.3 the certificate is encrypted and embedded-tls does not hand it out.
        return Err(AppError::Tls(TlsFailure::Unsupported(
            "fingerprint pinning with the embedded-tls stack (pin the certificate itself)",
        )));
    }
    let mut conn: TlsConnection<'_, _, CipherSuite> =
        TlsConnection::new(transport, record_read, record_write);
    // With the `rsa` feature of embedded-tls, `TlsConfig::new` already offers the RSA
    // signature schemes (`enable_rsa_signatures`) that RouterOS certificates need.
    let config = TlsConfig::new().with_server_name(tls.server_name);
    let provider: Provider<'_, _, C> = Provider::new(&mut *rng, tls.verify);
    let started = Instant::now();
    match with_timeout(
        TLS_HANDSHAKE_TIMEOUT,
        conn.open(TlsContext::new(&config, provider)),
    )
    .await
    {
        Err(_) => return Err(AppError::TlsTimeout),
        Ok(Err(e)) => return Err(AppError::Tls(TlsFailure::from(&e))),
        Ok(Ok(())) => {}
    }
    let info = TlsInfo {
        stack: TlsStack::EmbeddedTls13,
        version: "1.3",
        cipher_suite: Some(0x1301),
        handshake_ms: started.elapsed().as_millis(),
    };
    info!("TLS 1.3 session established with {}", tls.server_name);
    if observer.event(&Event::Connected { tls: true }) == Flow::Stop
        || observer.event(&Event::TlsEstablished(info)) == Flow::Stop
    {
        return Ok(SessionEnd::Stopped);
    }
    session(
        &mut conn, client_rx, client_tx, settings, observer, progress,
    )
    .await
}
