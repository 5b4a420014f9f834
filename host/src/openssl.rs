//! TLS through the system's OpenSSL: anonymous Diffie-Hellman for api-ssl without a
//! certificate, and DHE-RSA / older TLS versions for RouterOS 6.

use std::pin::Pin;
use std::sync::{Arc, Mutex};

use openssl::ssl::{Ssl, SslContextBuilder, SslMethod, SslVerifyMode, SslVersion};
use openssl::x509::verify::X509CheckFlags;
use openssl::x509::X509VerifyResult;
use tokio::net::TcpStream;
use tokio_openssl::SslStream;

use crate::config::{Config, Verify};
use crate::error::TlsError;
use crate::Fingerprint;

/// The suites a RouterOS api-ssl service without a certificate offers.
pub(crate) const ADH_CIPHERS: &str = "ADH-AES256-GCM-SHA384:ADH-AES256-SHA:@SECLEVEL=0";

fn other(e: impl std::fmt::Display) -> crate::Error {
    crate::Error::Tls(TlsError::Other(e.to_string()))
}

/// Runs the OpenSSL handshake over `tcp`.
pub(crate) async fn connect(
    config: &Config,
    tcp: TcpStream,
) -> Result<SslStream<TcpStream>, crate::Error> {
    // A bare context: `SslConnector::builder` would load the system's CA store on every
    // connection (tens of milliseconds), which only CA verification without a CA file needs.
    let mut builder = SslContextBuilder::new(SslMethod::tls_client()).map_err(other)?;
    let seen: Arc<Mutex<Option<Fingerprint>>> = Arc::default();
    let mut check_name = false;
    match &config.verify {
        Verify::AnonymousDh => {
            builder.set_cipher_list(ADH_CIPHERS).map_err(other)?;
            builder
                .set_max_proto_version(Some(SslVersion::TLS1_2))
                .map_err(other)?;
            builder.set_verify(SslVerifyMode::NONE);
        }
        Verify::InsecureSkipVerify => builder.set_verify(SslVerifyMode::NONE),
        Verify::Fingerprint(pin) => {
            let (pin, seen) = (*pin, seen.clone());
            builder.set_verify_callback(SslVerifyMode::PEER, move |_, ctx| {
                // Only the router's own certificate counts; the chain above it is ignored.
                if ctx.error_depth() != 0 {
                    return true;
                }
                let Some(der) = ctx.current_cert().and_then(|c| c.to_der().ok()) else {
                    return false;
                };
                let fp = Fingerprint::of(&der);
                if let Ok(mut slot) = seen.lock() {
                    *slot = Some(fp);
                }
                fp == pin
            });
        }
        Verify::Ca => {
            check_name = true;
            if config.ca_files.is_empty() && config.ca_pem.is_empty() {
                builder.set_default_verify_paths().map_err(other)?;
            } else {
                let store = builder.cert_store_mut();
                for der in crate::tls::ca_certificates(config)? {
                    let cert = openssl::x509::X509::from_der(&der).map_err(other)?;
                    // A duplicate of a certificate already there is not worth stopping for.
                    let _ = store.add_cert(cert);
                }
            }
            builder.set_verify(SslVerifyMode::PEER);
        }
    }
    let name = crate::tls::server_name(config)?.to_str().into_owned();
    let ip = name.parse::<std::net::IpAddr>().ok();
    let mut ssl = Ssl::new(&builder.build()).map_err(other)?;
    if ip.is_none() {
        ssl.set_hostname(&name).map_err(other)?;
    }
    if check_name {
        let param = ssl.param_mut();
        param.set_hostflags(X509CheckFlags::NO_PARTIAL_WILDCARDS);
        match ip {
            Some(ip) => param.set_ip(ip).map_err(other)?,
            None => param.set_host(&name).map_err(other)?,
        }
    }
    let mut stream = SslStream::new(ssl, tcp).map_err(other)?;
    match Pin::new(&mut stream).connect().await {
        Ok(()) => Ok(stream),
        Err(e) => {
            let verify = stream.ssl().verify_result();
            Err(crate::Error::Tls(classify(
                &e,
                verify,
                &config.verify,
                &seen,
            )))
        }
    }
}

fn classify(
    e: &openssl::ssl::Error,
    verify: X509VerifyResult,
    mode: &Verify,
    seen: &Mutex<Option<Fingerprint>>,
) -> TlsError {
    let text = e.to_string();
    if let Verify::Fingerprint(_) = mode {
        if let Some(seen) = seen.lock().ok().and_then(|s| *s) {
            if text.contains("certificate verify failed") {
                return TlsError::FingerprintMismatch { seen };
            }
        }
    }
    if verify != X509VerifyResult::OK && text.contains("certificate verify failed") {
        // X509_V_ERR_* codes.
        return match verify.as_raw() {
            // 7: signed by a different key than the trusted CA of that name.
            7 | 18..=21 => TlsError::UnknownCa,
            62 => TlsError::NameMismatch,
            9 | 10 => TlsError::Expired,
            _ => TlsError::BadCertificate(verify.error_string().to_owned()),
        };
    }
    let lower = text.to_lowercase();
    if lower.contains("no shared cipher")
        || lower.contains("handshake failure")
        || lower.contains("no ciphers available")
    {
        TlsError::NoCommonCipher(text)
    } else if lower.contains("wrong version number") || lower.contains("packet length too long") {
        TlsError::NotTls(text)
    } else if lower.contains("protocol version") || lower.contains("unsupported protocol") {
        TlsError::ProtocolVersion(text)
    } else {
        TlsError::Other(text)
    }
}
