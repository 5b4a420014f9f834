//! TLS 1.3 (embedded-tls) under the RouterOS client, with certificate verification on by
//! default.

use embedded_tls::pki::CertVerifier;
use embedded_tls::{
    Aes128GcmSha256, Certificate, CryptoProvider, CryptoRngCore, NoClock, TlsClock, TlsError,
    TlsVerifier,
};

use crate::config::TLS_CERT_CHAIN;
use crate::settings::TlsVerify;

/// The cipher suite offered: TLS_AES_128_GCM_SHA256 (mandatory for every TLS 1.3 server).
pub type CipherSuite = Aes128GcmSha256;

/// The certificate verifier used when verification is on.
pub type Verifier<'a, C> = CertVerifier<'a, CipherSuite, C, TLS_CERT_CHAIN>;

/// The crypto provider handed to embedded-tls: a random number generator and, unless
/// verification was explicitly switched off, a certificate verifier.
///
/// `C` supplies the current time for certificate validity checks; [`NoClock`] (boards
/// without a real-time clock) skips the validity-period check but still checks the
/// signature chain and the server name.
pub struct Provider<'a, R, C: TlsClock = NoClock> {
    rng: R,
    verifier: Option<Verifier<'a, C>>,
}

impl<'a, R: CryptoRngCore, C: TlsClock> Provider<'a, R, C> {
    /// A provider that verifies (or not) as `verify` says.
    pub fn new(rng: R, verify: TlsVerify<'a>) -> Self {
        let verifier = match verify {
            TlsVerify::CaCertificate(der) | TlsVerify::PinnedSelfSigned(der) => {
                Some(CertVerifier::new(Certificate::X509(der)))
            }
            TlsVerify::InsecureSkipVerificationForLabRoutersOnly => None,
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
