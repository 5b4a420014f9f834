//! TLS through rustls: CA verification, fingerprint pinning, the skip-verify opt-out, and what
//! a failed handshake means.

use std::io;
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{AlertDescription, CertificateError, DigitallySignedStruct, SignatureScheme};
use tokio::net::TcpStream;

use crate::config::{Config, Verify};
use crate::error::{ConfigError, TlsError};
use crate::Fingerprint;

/// The trusted CA certificates: the ones the configuration names, else the system's.
pub(crate) fn ca_certificates(
    config: &Config,
) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let mut certs = Vec::new();
    for path in &config.ca_files {
        let pem = std::fs::read(path).map_err(|e| ConfigError::CaFile {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let found = certs.len();
        for cert in CertificateDer::pem_slice_iter(&pem) {
            certs.push(cert.map_err(|e| ConfigError::CaFile {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?);
        }
        if certs.len() == found {
            return Err(ConfigError::CaFile {
                path: path.display().to_string(),
                reason: "no CERTIFICATE block in it".to_owned(),
            });
        }
    }
    for pem in &config.ca_pem {
        let found = certs.len();
        for cert in CertificateDer::pem_slice_iter(pem) {
            certs.push(cert.map_err(|_| ConfigError::NoCaCertificate)?);
        }
        if certs.len() == found {
            return Err(ConfigError::NoCaCertificate);
        }
    }
    if config.ca_files.is_empty() && config.ca_pem.is_empty() {
        let found = rustls_native_certs::load_native_certs();
        for e in &found.errors {
            log::debug!("system CA store: {e}");
        }
        certs = found.certs;
    }
    Ok(certs)
}

/// The name the certificate is checked against.
pub(crate) fn server_name(config: &Config) -> Result<ServerName<'static>, ConfigError> {
    let name = config.server_name.as_deref().unwrap_or(&config.host);
    let name = name.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(name.to_owned()).map_err(|_| ConfigError::ServerName(name.to_owned()))
}

/// What the pinning verifier saw, to report a mismatch.
type Seen = Arc<Mutex<Option<Fingerprint>>>;

/// Accepts a certificate by its SHA-256 fingerprint (or, with `pin: None`, any certificate),
/// and still checks the handshake signature with the certificate's key.
#[derive(Debug)]
struct PinVerifier {
    pin: Option<Fingerprint>,
    seen: Seen,
    provider: Arc<CryptoProvider>,
}

#[derive(Debug)]
struct Mismatch;

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("certificate fingerprint does not match the pinned one")
    }
}

impl std::error::Error for Mismatch {}

impl ServerCertVerifier for PinVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let seen = Fingerprint::of(end_entity);
        if let Ok(mut slot) = self.seen.lock() {
            *slot = Some(seen);
        }
        match self.pin {
            Some(pin) if pin != seen => Err(rustls::Error::InvalidCertificate(
                CertificateError::Other(rustls::OtherError(Arc::new(Mismatch))),
            )),
            _ => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Runs the rustls handshake over `tcp`.
pub(crate) async fn connect(
    config: &Config,
    tcp: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, crate::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsError::Other(e.to_string()))?;
    let seen = Seen::default();
    let client = match &config.verify {
        Verify::Ca => {
            let mut roots = rustls::RootCertStore::empty();
            let (_, ignored) = roots.add_parsable_certificates(ca_certificates(config)?);
            if ignored > 0 {
                log::debug!("{ignored} CA certificates could not be used");
            }
            if roots.is_empty() {
                return Err(ConfigError::NoCaCertificate.into());
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        Verify::Fingerprint(pin) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinVerifier {
                pin: Some(*pin),
                seen: seen.clone(),
                provider,
            }))
            .with_no_client_auth(),
        Verify::InsecureSkipVerify => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinVerifier {
                pin: None,
                seen: seen.clone(),
                provider,
            }))
            .with_no_client_auth(),
        Verify::AnonymousDh => return Err(ConfigError::OpenSslMissing.into()),
    };
    let name = server_name(config)?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    connector
        .connect(name, tcp)
        .await
        .map_err(|e| crate::Error::Tls(classify(&e, &seen)))
}

/// What a failed rustls handshake means.
fn classify(e: &io::Error, seen: &Seen) -> TlsError {
    let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) else {
        return match e.kind() {
            io::ErrorKind::UnexpectedEof => {
                TlsError::Other("the router closed the connection during the handshake".into())
            }
            _ => TlsError::Other(e.to_string()),
        };
    };
    use rustls::Error as E;
    match tls {
        E::InvalidCertificate(cert) => match cert {
            CertificateError::UnknownIssuer | CertificateError::BadSignature => TlsError::UnknownCa,
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                TlsError::NameMismatch
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => TlsError::Expired,
            CertificateError::Other(other) if other.0.downcast_ref::<Mismatch>().is_some() => {
                match seen.lock().ok().and_then(|s| *s) {
                    Some(seen) => TlsError::FingerprintMismatch { seen },
                    None => TlsError::BadCertificate(tls.to_string()),
                }
            }
            _ => TlsError::BadCertificate(tls.to_string()),
        },
        E::AlertReceived(AlertDescription::ProtocolVersion) => {
            TlsError::ProtocolVersion(tls.to_string())
        }
        E::AlertReceived(AlertDescription::HandshakeFailure)
        | E::AlertReceived(AlertDescription::InsufficientSecurity) => {
            TlsError::NoCommonCipher(tls.to_string())
        }
        E::PeerIncompatible(p) => {
            if format!("{p:?}").contains("Version") {
                TlsError::ProtocolVersion(tls.to_string())
            } else {
                TlsError::NoCommonCipher(tls.to_string())
            }
        }
        E::InvalidMessage(_) => TlsError::NotTls(tls.to_string()),
        _ => TlsError::Other(tls.to_string()),
    }
}
