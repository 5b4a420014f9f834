//! API-SSL: serving the same protocol over TLS.
//!
//! rustls with the ring provider, TLS 1.2 and 1.3, RSA or ECDSA keys. (A real router's
//! api-ssl offers TLS 1.2; whether any RouterOS 7 accepts TLS 1.3 is not known, so the
//! simulator offers both and lets the client choose.)

use std::io;

/// A certificate and key for API-SSL, both PEM text. (`Debug` leaves the key out.)
#[derive(Clone)]
pub struct TlsConfig {
    /// The certificate chain, leaf first (PEM).
    pub cert_pem: String,
    /// The private key (PEM: PKCS#8, PKCS#1 RSA or SEC1 EC).
    pub key_pem: String,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("cert_pem", &self.cert_pem)
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

#[cfg(feature = "tls")]
mod imp {
    use std::io;
    use std::sync::Arc;

    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    use super::TlsConfig;

    /// Accepts TLS on a TCP socket.
    #[derive(Clone)]
    pub(crate) struct Acceptor(tokio_rustls::TlsAcceptor);

    impl Acceptor {
        pub async fn accept(
            &self,
            sock: tokio::net::TcpStream,
        ) -> io::Result<tokio_rustls::server::TlsStream<tokio::net::TcpStream>> {
            self.0.accept(sock).await
        }
    }

    fn invalid(what: &str, e: impl std::fmt::Display) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidInput, format!("{what}: {e}"))
    }

    pub(crate) fn acceptor(config: Option<&TlsConfig>) -> io::Result<Option<Acceptor>> {
        let Some(config) = config else {
            return Ok(None);
        };
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(config.cert_pem.as_bytes())
                .collect::<Result<_, _>>()
                .map_err(|e| invalid("TLS certificate", e))?;
        if certs.is_empty() {
            return Err(invalid(
                "TLS certificate",
                "no CERTIFICATE block in the PEM",
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(config.key_pem.as_bytes())
            .map_err(|e| invalid("TLS key", e))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| invalid("TLS versions", e))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| invalid("TLS certificate and key", e))?;
        Ok(Some(Acceptor(tokio_rustls::TlsAcceptor::from(Arc::new(
            server,
        )))))
    }

    pub(crate) fn self_signed(hostnames: &[&str]) -> (String, String) {
        let names: Vec<String> = if hostnames.is_empty() {
            vec!["localhost".to_string(), "127.0.0.1".to_string()]
        } else {
            hostnames.iter().map(|h| h.to_string()).collect()
        };
        let certified = rcgen::generate_simple_self_signed(names)
            .expect("host names must be valid DNS names or IP addresses");
        (certified.cert.pem(), certified.key_pair.serialize_pem())
    }
}

#[cfg(not(feature = "tls"))]
mod imp {
    use std::io;

    use super::TlsConfig;

    /// Stands in for the TLS acceptor when the `tls` feature is off; never constructed.
    #[derive(Clone)]
    pub(crate) enum Acceptor {}

    impl Acceptor {
        pub async fn accept(
            &self,
            _sock: tokio::net::TcpStream,
        ) -> io::Result<tokio::net::TcpStream> {
            match *self {}
        }
    }

    pub(crate) fn acceptor(config: Option<&TlsConfig>) -> io::Result<Option<Acceptor>> {
        match config {
            None => Ok(None),
            Some(_) => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "routeros-sim was built without its `tls` feature",
            )),
        }
    }
}

pub(crate) use imp::Acceptor;

/// Builds the acceptor for a configuration (`None` when TLS is off). Bad PEM, or a key that
/// does not match the certificate, is an `InvalidInput` error.
pub(crate) fn acceptor(config: Option<&TlsConfig>) -> io::Result<Option<Acceptor>> {
    imp::acceptor(config)
}

/// Makes a self-signed certificate for `hostnames` (DNS names or IP addresses; none means
/// `localhost` and `127.0.0.1`). Returns `(certificate PEM, private key PEM)`.
///
/// The key is ECDSA P-256 (signed with SHA-256): the ring backend of `rcgen` cannot generate
/// RSA keys. To test RSA, pass an RSA certificate and key in [`TlsConfig`]; they are served
/// just as well.
///
/// # Panics
///
/// If a host name is neither a valid DNS name nor an IP address.
#[cfg(feature = "tls")]
pub fn self_signed_cert(hostnames: &[&str]) -> (String, String) {
    imp::self_signed(hostnames)
}
