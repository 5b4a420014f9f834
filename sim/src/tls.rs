//! API-SSL: serving the same protocol over TLS, as RouterOS does it.
//!
//! RouterOS api-ssl speaks TLS 1.2 at most on every version seen: 7.x offers ECDHE with
//! AES-GCM, 6.x chose `DHE-RSA-AES256-GCM-SHA384` with 2048-bit DH and still accepted TLS 1.0,
//! and without a certificate api-ssl offers only anonymous Diffie-Hellman suites. OpenSSL is
//! the one maintained TLS library that still speaks all of these, so the simulator's TLS goes
//! through the system OpenSSL (the `openssl` crate). A separate profile,
//! [`TlsProfile::Terminator13`], speaks TLS 1.3 only, as a TLS terminator in front of a router
//! would.

use std::io;
use std::str::FromStr;

/// Which api-ssl the simulator imitates (see the crate README for the exact suites).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum TlsProfile {
    /// RouterOS 7: TLS 1.2 only; ECDHE-RSA (ECDHE-ECDSA for an EC key) with AES-GCM, groups
    /// X25519 and P-256. A TLS 1.3-only client fails, as against a router.
    #[default]
    V7,
    /// RouterOS 6: `DHE-RSA-AES256-GCM-SHA384` with the 2048-bit `ffdhe2048` group, and TLS 1.0
    /// through 1.2 (TLS 1.0 and 1.1 get `DHE-RSA-AES256-SHA`). Needs an RSA key.
    V6,
    /// Not a router: a TLS terminator in front of one (stunnel, haproxy, nginx), speaking TLS
    /// 1.3 only (AES-GCM and ChaCha20-Poly1305, groups X25519 and P-256). The path for TLS
    /// 1.3-only clients such as `embedded-tls`.
    Terminator13,
}

impl TlsProfile {
    /// Every profile, in the order of [`TlsProfile::name`]'s documentation.
    pub const ALL: [TlsProfile; 3] = [TlsProfile::V7, TlsProfile::V6, TlsProfile::Terminator13];

    /// The name used by `--tls-profile`: `v7`, `v6` or `terminator-tls13`.
    pub fn name(self) -> &'static str {
        match self {
            TlsProfile::V7 => "v7",
            TlsProfile::V6 => "v6",
            TlsProfile::Terminator13 => "terminator-tls13",
        }
    }
}

impl std::fmt::Display for TlsProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not one of [`TlsProfile::name`]'s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownTlsProfile;

impl std::fmt::Display for UnknownTlsProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TLS profile is not v7, v6 or terminator-tls13")
    }
}

impl std::error::Error for UnknownTlsProfile {}

impl FromStr for TlsProfile {
    type Err = UnknownTlsProfile;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TlsProfile::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or(UnknownTlsProfile)
    }
}

/// The kind of key [`TlsCertificate::self_signed`] makes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum TlsKeyType {
    /// RSA 2048 (what RouterOS makes by default). Works with every profile.
    #[default]
    Rsa2048,
    /// ECDSA P-256. Served with ECDHE-ECDSA by [`TlsProfile::V7`] and by the terminator;
    /// [`TlsProfile::V6`] refuses it (its suites are DHE-RSA only).
    EcP256,
}

/// A certificate chain and its private key, both PEM text. (`Debug` leaves the key out.)
#[derive(Clone, PartialEq, Eq)]
pub struct TlsCertificate {
    /// The certificate chain, leaf first (PEM).
    pub cert_pem: String,
    /// The private key (PEM: PKCS#8, PKCS#1 RSA or SEC1 EC).
    pub key_pem: String,
}

impl std::fmt::Debug for TlsCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsCertificate")
            .field("cert_pem", &self.cert_pem)
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

/// How the simulator serves API-SSL: which RouterOS to imitate, with or without a certificate.
///
/// The `Default` is what a router's api-ssl does before it is given a certificate:
/// [`TlsProfile::V7`] with no certificate, that is anonymous Diffie-Hellman only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsConfig {
    /// Which api-ssl to imitate. Default [`TlsProfile::V7`].
    pub profile: TlsProfile,
    /// The router's certificate and key. `None` is certificate-less api-ssl: only the
    /// anonymous Diffie-Hellman suites `ADH-AES256-GCM-SHA384` and `ADH-AES256-SHA` over TLS
    /// 1.0 to 1.2 (`@SECLEVEL=0`), whatever the profile, except that
    /// [`TlsProfile::Terminator13`] needs a certificate (TLS 1.3 has no anonymous suites).
    pub certificate: Option<TlsCertificate>,
}

impl TlsConfig {
    /// RouterOS 7 api-ssl ([`TlsProfile::V7`]) with this certificate chain and key (PEM).
    pub fn new(cert_pem: impl Into<String>, key_pem: impl Into<String>) -> TlsConfig {
        TlsConfig {
            profile: TlsProfile::V7,
            certificate: Some(TlsCertificate {
                cert_pem: cert_pem.into(),
                key_pem: key_pem.into(),
            }),
        }
    }

    /// Certificate-less api-ssl: anonymous Diffie-Hellman only.
    pub fn anonymous() -> TlsConfig {
        TlsConfig {
            profile: TlsProfile::V7,
            certificate: None,
        }
    }

    /// The same with another profile.
    pub fn with_profile(self, profile: TlsProfile) -> TlsConfig {
        TlsConfig { profile, ..self }
    }

    /// Whether this is certificate-less (anonymous DH) api-ssl.
    pub fn is_anonymous(&self) -> bool {
        self.certificate.is_none()
    }
}

#[cfg(feature = "tls")]
mod imp {
    use std::io;
    use std::pin::Pin;

    use openssl::asn1::Asn1Time;
    use openssl::bn::{BigNum, MsbOption};
    use openssl::dh::Dh;
    use openssl::ec::{EcGroup, EcKey};
    use openssl::hash::MessageDigest;
    use openssl::nid::Nid;
    use openssl::pkey::{Id, PKey};
    use openssl::rsa::Rsa;
    use openssl::ssl::{Ssl, SslContext, SslContextBuilder, SslMethod, SslOptions, SslVersion};
    use openssl::x509::extension::{BasicConstraints, SubjectAlternativeName};
    use openssl::x509::{X509NameBuilder, X509};

    use super::{TlsCertificate, TlsConfig, TlsKeyType, TlsProfile};

    /// The 2048-bit finite-field group `ffdhe2048` of RFC 7919, appendix A.1 (PEM as written by
    /// `openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048`).
    const FFDHE2048: &str = "-----BEGIN DH PARAMETERS-----
MIIBCAKCAQEA//////////+t+FRYortKmq/cViAnPTzx2LnFg84tNpWp4TZBFGQz
+8yTnc4kmz75fS/jY2MMddj2gbICrsRhetPfHtXV/WVhJDP1H18GbtCFY2VVPe0a
87VXE15/V8k1mE8McODmi3fipona8+/och3xWKE2rec1MKzKT0g6eXq8CrGCsyT7
YdEIqUuyyOP7uWrat2DX9GgdT0Kj3jlN9K5W7edjcrsZCwenyO4KbXCeAvzhzffi
7MA0BM0oNC9hkXL+nOmFg/+OTxIy7vKBg8P+OxtMb61zO7X8vC7CIAXFjvGDfRaD
ssbzSibBsu/6iGtCOGEoXJf//////////wIBAg==
-----END DH PARAMETERS-----
";

    /// RouterOS 7: ECDHE with AES-GCM, AES-256 first (what v7 routers choose).
    const V7_CIPHERS: &str = "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:\
        ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";
    /// RouterOS 6: DHE-RSA only; the CBC suites are what TLS 1.0 and 1.1 clients can use.
    /// `@SECLEVEL=0` because OpenSSL 3 refuses TLS 1.0 and 1.1 at any higher level.
    const V6_CIPHERS: &str =
        "DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES256-SHA256:DHE-RSA-AES256-SHA:@SECLEVEL=0";
    /// Certificate-less api-ssl: anonymous DH only (OpenSSL offers it only at `@SECLEVEL=0`).
    const ANON_CIPHERS: &str = "ADH-AES256-GCM-SHA384:ADH-AES256-SHA:@SECLEVEL=0";
    /// The terminator's TLS 1.3 suites.
    const TLS13_SUITES: &str =
        "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256";
    const GROUPS: &str = "X25519:P-256";

    /// Accepts TLS on a TCP socket.
    #[derive(Clone)]
    pub(crate) struct Acceptor(SslContext);

    impl Acceptor {
        pub async fn accept(
            &self,
            sock: tokio::net::TcpStream,
        ) -> io::Result<tokio_openssl::SslStream<tokio::net::TcpStream>> {
            let ssl = Ssl::new(&self.0).map_err(io::Error::other)?;
            let mut stream = tokio_openssl::SslStream::new(ssl, sock).map_err(io::Error::other)?;
            Pin::new(&mut stream)
                .accept()
                .await
                .map_err(|e| match e.into_io_error() {
                    Ok(io) => io,
                    Err(e) => io::Error::new(io::ErrorKind::ConnectionAborted, e),
                })?;
            Ok(stream)
        }
    }

    fn invalid(what: &str, e: impl std::fmt::Display) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidInput, format!("{what}: {e}"))
    }

    fn other(what: &str, e: impl std::fmt::Display) -> io::Error {
        io::Error::other(format!("{what}: {e}"))
    }

    pub(crate) fn acceptor(config: Option<&TlsConfig>) -> io::Result<Option<Acceptor>> {
        let Some(config) = config else {
            return Ok(None);
        };
        let ctx = context(config)?;
        Ok(Some(Acceptor(ctx)))
    }

    fn context(config: &TlsConfig) -> io::Result<SslContext> {
        let setup = |e| other("OpenSSL set-up", e);
        let mut b = SslContextBuilder::new(SslMethod::tls_server()).map_err(setup)?;
        b.set_options(
            SslOptions::CIPHER_SERVER_PREFERENCE
                | SslOptions::NO_COMPRESSION
                | SslOptions::NO_RENEGOTIATION,
        );
        let dh = || Dh::params_from_pem(FFDHE2048.as_bytes()).map_err(setup);
        match (&config.certificate, config.profile) {
            (None, TlsProfile::Terminator13) => {
                return Err(invalid(
                    "TLS profile terminator-tls13",
                    "TLS 1.3 has no anonymous suites: give it a certificate",
                ))
            }
            (None, TlsProfile::V7 | TlsProfile::V6) => {
                versions(&mut b, SslVersion::TLS1, SslVersion::TLS1_2)?;
                b.set_cipher_list(ANON_CIPHERS).map_err(setup)?;
                let params = dh()?;
                b.set_tmp_dh(&params).map_err(setup)?;
                return Ok(b.build());
            }
            (Some(cert), profile) => {
                let key_id = install_certificate(&mut b, cert)?;
                match profile {
                    TlsProfile::V7 => {
                        versions(&mut b, SslVersion::TLS1_2, SslVersion::TLS1_2)?;
                        b.set_cipher_list(V7_CIPHERS).map_err(setup)?;
                        b.set_groups_list(GROUPS).map_err(setup)?;
                    }
                    TlsProfile::V6 => {
                        if key_id != Id::RSA {
                            return Err(invalid(
                                "TLS profile v6",
                                "its suites are DHE-RSA only: it needs an RSA key",
                            ));
                        }
                        versions(&mut b, SslVersion::TLS1, SslVersion::TLS1_2)?;
                        b.set_cipher_list(V6_CIPHERS).map_err(setup)?;
                        let params = dh()?;
                        b.set_tmp_dh(&params).map_err(setup)?;
                    }
                    TlsProfile::Terminator13 => {
                        versions(&mut b, SslVersion::TLS1_3, SslVersion::TLS1_3)?;
                        b.set_ciphersuites(TLS13_SUITES).map_err(setup)?;
                        b.set_groups_list(GROUPS).map_err(setup)?;
                    }
                }
            }
        }
        Ok(b.build())
    }

    fn versions(b: &mut SslContextBuilder, min: SslVersion, max: SslVersion) -> io::Result<()> {
        b.set_min_proto_version(Some(min))
            .and_then(|()| b.set_max_proto_version(Some(max)))
            .map_err(|e| other("TLS versions", e))
    }

    /// Loads the chain and key, checks they belong together, and returns the key's type.
    fn install_certificate(b: &mut SslContextBuilder, cert: &TlsCertificate) -> io::Result<Id> {
        let chain = X509::stack_from_pem(cert.cert_pem.as_bytes())
            .map_err(|e| invalid("TLS certificate", e))?;
        let mut chain = chain.into_iter();
        let Some(leaf) = chain.next() else {
            return Err(invalid(
                "TLS certificate",
                "no CERTIFICATE block in the PEM",
            ));
        };
        let key = PKey::private_key_from_pem(cert.key_pem.as_bytes())
            .map_err(|e| invalid("TLS key", e))?;
        b.set_certificate(&leaf)
            .map_err(|e| invalid("TLS certificate", e))?;
        for extra in chain {
            b.add_extra_chain_cert(extra)
                .map_err(|e| invalid("TLS certificate chain", e))?;
        }
        b.set_private_key(&key).map_err(|e| invalid("TLS key", e))?;
        b.check_private_key()
            .map_err(|e| invalid("TLS certificate and key do not belong together", e))?;
        Ok(key.id())
    }

    pub(crate) fn self_signed(
        hostnames: &[&str],
        key_type: TlsKeyType,
    ) -> io::Result<TlsCertificate> {
        let fail = |e: openssl::error::ErrorStack| other("making a self-signed certificate", e);
        let utf8 = |e: std::string::FromUtf8Error| other("PEM", e);
        let names: Vec<&str> = if hostnames.is_empty() {
            vec!["localhost", "127.0.0.1"]
        } else {
            hostnames.to_vec()
        };
        let key = match key_type {
            TlsKeyType::Rsa2048 => PKey::from_rsa(Rsa::generate(2048).map_err(fail)?),
            TlsKeyType::EcP256 => {
                let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).map_err(fail)?;
                PKey::from_ec_key(EcKey::generate(&group).map_err(fail)?)
            }
        }
        .map_err(fail)?;
        let mut name = X509NameBuilder::new().map_err(fail)?;
        name.append_entry_by_nid(Nid::COMMONNAME, names[0])
            .map_err(|e| invalid("certificate host name", e))?;
        let name = name.build();
        let mut san = SubjectAlternativeName::new();
        for n in &names {
            if n.parse::<std::net::IpAddr>().is_ok() {
                san.ip(n);
            } else {
                san.dns(n);
            }
        }
        let mut x = X509::builder().map_err(fail)?;
        x.set_version(2).map_err(fail)?;
        let mut serial = BigNum::new().map_err(fail)?;
        serial
            .rand(127, MsbOption::MAYBE_ZERO, false)
            .map_err(fail)?;
        let serial = serial.to_asn1_integer().map_err(fail)?;
        x.set_serial_number(&serial).map_err(fail)?;
        x.set_subject_name(&name).map_err(fail)?;
        x.set_issuer_name(&name).map_err(fail)?;
        x.set_pubkey(&key).map_err(fail)?;
        let not_before = Asn1Time::days_from_now(0).map_err(fail)?;
        let not_after = Asn1Time::days_from_now(3650).map_err(fail)?;
        x.set_not_before(&not_before).map_err(fail)?;
        x.set_not_after(&not_after).map_err(fail)?;
        x.append_extension(BasicConstraints::new().critical().build().map_err(fail)?)
            .map_err(fail)?;
        let san = san
            .build(&x.x509v3_context(None, None))
            .map_err(|e| invalid("certificate host names", e))?;
        x.append_extension(san).map_err(fail)?;
        x.sign(&key, MessageDigest::sha256()).map_err(fail)?;
        let cert = x.build();
        let cert_pem = String::from_utf8(cert.to_pem().map_err(fail)?).map_err(utf8)?;
        let key_pem =
            String::from_utf8(key.private_key_to_pem_pkcs8().map_err(fail)?).map_err(utf8)?;
        Ok(TlsCertificate { cert_pem, key_pem })
    }

    pub(crate) fn fingerprint(cert_pem: &str) -> io::Result<String> {
        let leaf =
            X509::from_pem(cert_pem.as_bytes()).map_err(|e| invalid("TLS certificate", e))?;
        let digest = leaf
            .digest(MessageDigest::sha256())
            .map_err(|e| other("SHA-256", e))?;
        Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
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

/// Builds the acceptor for a configuration (`None` when TLS is off). Bad PEM, a key that does
/// not match the certificate, an EC key with [`TlsProfile::V6`] or no certificate with
/// [`TlsProfile::Terminator13`] is an `InvalidInput` error.
pub(crate) fn acceptor(config: Option<&TlsConfig>) -> io::Result<Option<Acceptor>> {
    imp::acceptor(config)
}

#[cfg(feature = "tls")]
impl TlsCertificate {
    /// Makes a self-signed certificate (valid from now for ten years, SHA-256 signature) for
    /// `hostnames`: DNS names or IP addresses, the first also the subject's common name; none
    /// means `localhost` and `127.0.0.1`.
    ///
    /// Errors: `InvalidInput` if OpenSSL refuses a name, `Other` if it cannot make a key.
    pub fn self_signed(hostnames: &[&str], key_type: TlsKeyType) -> io::Result<TlsCertificate> {
        imp::self_signed(hostnames, key_type)
    }

    /// The SHA-256 fingerprint of the leaf certificate (its DER bytes), as 64 lowercase hex
    /// digits without separators: what a client pins.
    pub fn fingerprint_sha256(&self) -> io::Result<String> {
        imp::fingerprint(&self.cert_pem)
    }
}

/// Makes a self-signed RSA 2048 certificate for `hostnames` (DNS names or IP addresses; none
/// means `localhost` and `127.0.0.1`). Returns `(certificate PEM, private key PEM)`.
/// [`TlsCertificate::self_signed`] does the same without panicking and for EC keys too.
///
/// # Panics
///
/// If OpenSSL refuses a host name or cannot make a key.
#[cfg(feature = "tls")]
pub fn self_signed_cert(hostnames: &[&str]) -> (String, String) {
    match imp::self_signed(hostnames, TlsKeyType::Rsa2048) {
        Ok(c) => (c.cert_pem, c.key_pem),
        Err(e) => panic!("self-signed certificate: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_a_certificate_leaves_the_key_out() {
        let cert = TlsCertificate {
            cert_pem: "CERT".into(),
            key_pem: "-----BEGIN PRIVATE KEY-----\nSECRET".into(),
        };
        let shown = format!(
            "{:?}",
            TlsConfig::new(cert.cert_pem.clone(), cert.key_pem.clone())
        );
        assert!(
            shown.contains("CERT") && !shown.contains("SECRET"),
            "{shown}"
        );
        assert!(!format!("{cert:?}").contains("SECRET"));
    }

    /// Built without the `tls` feature, a TLS configuration is refused, not served in clear.
    #[cfg(not(feature = "tls"))]
    #[test]
    fn without_the_feature_tls_is_unsupported() {
        assert!(acceptor(None).unwrap().is_none());
        for tls in [TlsConfig::anonymous(), TlsConfig::new("c", "k")] {
            let err = acceptor(Some(&tls)).err().unwrap();
            assert_eq!(err.kind(), io::ErrorKind::Unsupported);
        }
    }
}
