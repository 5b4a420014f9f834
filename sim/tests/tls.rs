//! API-SSL: the same protocol over TLS 1.2 and 1.3, with ECDSA and RSA certificates.
#![cfg(feature = "tls")]

mod common;

use std::sync::Arc;

use common::{tcp, text, Client};
use routeros_sim::{self_signed_cert, SimConfig, SimHandle, Simulator, TlsConfig};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

const RSA_CERT: &str = include_str!("data/rsa-cert.pem");
const RSA_KEY: &str = include_str!("data/rsa-key.pem");

fn tls_sim(cert_pem: &str, key_pem: &str) -> SimHandle {
    Simulator::spawn(SimConfig {
        tls: Some(TlsConfig {
            cert_pem: cert_pem.to_string(),
            key_pem: key_pem.to_string(),
        }),
        ..SimConfig::default()
    })
    .unwrap()
}

/// A TLS client that trusts exactly `cert_pem` and speaks only `version`.
fn tls_client(
    sim: &SimHandle,
    cert_pem: &str,
    version: &'static rustls::SupportedProtocolVersion,
) -> (Client, Option<rustls::ProtocolVersion>) {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(cert_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[version])
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut stream = rustls::StreamOwned::new(conn, tcp(sim.addr()));
    // Finish the handshake now, to learn the version.
    while stream.conn.is_handshaking() {
        stream.conn.complete_io(&mut stream.sock).unwrap();
    }
    let v = stream.conn.protocol_version();
    (Client::over(Box::new(stream)), v)
}

fn exercise(sim: &SimHandle, cert: &str) {
    for (version, expect) in [
        (&rustls::version::TLS12, rustls::ProtocolVersion::TLSv1_2),
        (&rustls::version::TLS13, rustls::ProtocolVersion::TLSv1_3),
    ] {
        let (mut c, got) = tls_client(sim, cert, version);
        assert_eq!(got, Some(expect));
        c.log_in();
        assert_eq!(
            c.talk(&["/system/identity/print"]),
            [vec!["!re", "=name=MikroTik"], vec!["!done"]]
        );
        let r = c.talk(&["/ip/firewall/address-list/print", "=count-only="]);
        assert_eq!(r, [vec!["!done", "=ret=16"]]);
        assert_eq!(c.talk(&["/ip/firewall/address-list/print"]).len(), 17);
        c.send(&["/quit"]);
        let (got, _) = c.read_to_eof();
        assert_eq!(text(&got[0]), ["!fatal", "session terminated on request"]);
    }
}

#[test]
fn ecdsa_self_signed_over_tls12_and_tls13() {
    let (cert, key) = self_signed_cert(&["localhost", "127.0.0.1"]);
    assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(key.contains("PRIVATE KEY"));
    let sim = tls_sim(&cert, &key);
    exercise(&sim, &cert);
}

#[test]
fn rsa_over_tls12_and_tls13() {
    let sim = tls_sim(RSA_CERT, RSA_KEY);
    exercise(&sim, RSA_CERT);
}

#[test]
fn bad_pem_is_an_error() {
    let err = Simulator::spawn(SimConfig {
        tls: Some(TlsConfig {
            cert_pem: "not a certificate".into(),
            key_pem: RSA_KEY.into(),
        }),
        ..SimConfig::default()
    })
    .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    // A key that does not belong to the certificate.
    let (cert, _) = self_signed_cert(&[]);
    let err = Simulator::spawn(SimConfig {
        tls: Some(TlsConfig {
            cert_pem: cert,
            key_pem: RSA_KEY.into(),
        }),
        ..SimConfig::default()
    })
    .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn plain_client_on_a_tls_port_gets_nothing() {
    let (cert, key) = self_signed_cert(&["localhost"]);
    let sim = tls_sim(&cert, &key);
    let mut c = Client::connect(sim.addr());
    c.send(&["/login", "=name=admin", "=password="]);
    // Not TLS: the server drops it without a RouterOS reply.
    let (got, _) = c.read_to_eof();
    assert!(got.is_empty());
}
