//! API-SSL: serving the same protocol over TLS.

use std::io;

/// A certificate and key for API-SSL, both PEM text.
#[derive(Debug, Clone)]
pub struct TlsConfig {
    /// The certificate chain, leaf first (PEM).
    pub cert_pem: String,
    /// The private key (PEM: PKCS#8, PKCS#1 RSA or SEC1 EC).
    pub key_pem: String,
}

/// Accepts TLS on a TCP socket.
#[derive(Clone)]
pub(crate) struct Acceptor;

impl Acceptor {
    pub async fn accept(&self, sock: tokio::net::TcpStream) -> io::Result<tokio::net::TcpStream> {
        Ok(sock)
    }
}

/// Builds the acceptor for a configuration (`None` when TLS is off).
pub(crate) fn acceptor(config: Option<&TlsConfig>) -> io::Result<Option<Acceptor>> {
    match config {
        None => Ok(None),
        Some(_) => Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "TLS is not available yet",
        )),
    }
}
