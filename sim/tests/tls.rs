//! API-SSL as RouterOS serves it: what each profile accepts and refuses, proved with OpenSSL
//! (the `openssl` crate and the `openssl s_client` program) as the client.
#![cfg(feature = "tls")]

mod common;

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use common::{tcp, text, Client};
use openssl::pkey::Id;
use openssl::ssl::{
    SslConnector, SslConnectorBuilder, SslMethod, SslStream, SslVerifyMode, SslVersion,
};
use openssl::x509::X509;
use routeros_sim::{
    self_signed_cert, SimConfig, SimHandle, Simulator, TlsCertificate, TlsConfig, TlsKeyType,
    TlsProfile,
};

const RSA_CERT: &str = include_str!("data/rsa-cert.pem");
const RSA_KEY: &str = include_str!("data/rsa-key.pem");

fn sim(tls: TlsConfig) -> SimHandle {
    Simulator::spawn(SimConfig {
        tls: Some(tls),
        ..SimConfig::default()
    })
    .unwrap()
}

fn rsa(profile: TlsProfile) -> TlsConfig {
    TlsConfig::new(RSA_CERT, RSA_KEY).with_profile(profile)
}

/// A client that trusts only the test certificate (`trust`), or nothing and verifies nothing
/// (`None`, for anonymous DH), after `tune` set its versions and suites.
fn client(trust: Option<&str>, tune: impl FnOnce(&mut SslConnectorBuilder)) -> SslConnector {
    let mut b = SslConnector::builder(SslMethod::tls_client()).unwrap();
    match trust {
        Some(pem) => {
            let mut store = openssl::x509::store::X509StoreBuilder::new().unwrap();
            store
                .add_cert(X509::from_pem(pem.as_bytes()).unwrap())
                .unwrap();
            b.set_verify_cert_store(store.build()).unwrap();
            b.set_verify(SslVerifyMode::PEER);
        }
        None => b.set_verify(SslVerifyMode::NONE),
    }
    tune(&mut b);
    b.build()
}

/// Versions from `min` to `max`, at security level 0 when TLS 1.0 or 1.1 is among them
/// (OpenSSL 3 refuses those at any higher level).
fn versions(b: &mut SslConnectorBuilder, min: SslVersion, max: SslVersion) {
    b.set_min_proto_version(Some(min)).unwrap();
    b.set_max_proto_version(Some(max)).unwrap();
    if min == SslVersion::TLS1 || min == SslVersion::TLS1_1 {
        b.set_security_level(0);
    }
}

/// Connects and shakes hands; the error text of a refused handshake.
fn handshake(addr: SocketAddr, c: &SslConnector) -> Result<SslStream<std::net::TcpStream>, String> {
    let mut config = c.configure().unwrap();
    config.set_verify_hostname(true);
    config
        .connect("localhost", tcp(addr))
        .map_err(|e| e.to_string())
}

struct Session {
    version: String,
    cipher: String,
    /// The server's ephemeral key: (type, bits).
    key_exchange: (Id, u32),
    stream: SslStream<std::net::TcpStream>,
}

fn session(addr: SocketAddr, c: &SslConnector) -> Session {
    let stream = handshake(addr, c).unwrap_or_else(|e| panic!("handshake refused: {e}"));
    let ssl = stream.ssl();
    let tmp = ssl.peer_tmp_key().unwrap();
    Session {
        version: ssl.version_str().to_string(),
        cipher: ssl.current_cipher().unwrap().name().to_string(),
        key_exchange: (tmp.id(), tmp.bits()),
        stream,
    }
}

/// Logs in and runs a few commands over the session, then `/quit`.
fn full_api_session(s: Session) {
    let mut c = Client::over(Box::new(s.stream));
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

fn refused(addr: SocketAddr, c: &SslConnector, why: &str) {
    match handshake(addr, c) {
        Ok(s) => panic!(
            "{why}: accepted ({} {})",
            s.ssl().version_str(),
            s.ssl().current_cipher().map(|c| c.name()).unwrap_or("?")
        ),
        Err(e) => assert!(!e.is_empty()),
    }
}

/// The error text of a refused handshake must name the reason OpenSSL gives.
fn refused_with(addr: SocketAddr, c: &SslConnector, reason: &str) {
    match handshake(addr, c) {
        Ok(_) => panic!("accepted, expected `{reason}`"),
        Err(e) => assert!(e.contains(reason), "expected `{reason}` in: {e}"),
    }
}

#[test]
fn v7_is_tls12_ecdhe_rsa_aes_gcm() {
    let sim = sim(rsa(TlsProfile::V7));
    let addr = sim.addr();
    // A client that offers TLS 1.3 too still gets TLS 1.2, as from a v7 router.
    let s = session(addr, &client(Some(RSA_CERT), |_| {}));
    assert_eq!(s.version, "TLSv1.2");
    assert_eq!(s.cipher, "ECDHE-RSA-AES256-GCM-SHA384");
    assert_eq!(s.key_exchange, (Id::X25519, 253));
    full_api_session(s);
    // P-256 when the client offers only that group.
    let s = session(
        addr,
        &client(Some(RSA_CERT), |b| b.set_groups_list("P-256").unwrap()),
    );
    assert_eq!((s.key_exchange.0, s.key_exchange.1), (Id::EC, 256));
    // AES-128-GCM when that is all the client offers.
    let s = session(
        addr,
        &client(Some(RSA_CERT), |b| {
            b.set_cipher_list("ECDHE-RSA-AES128-GCM-SHA256").unwrap()
        }),
    );
    assert_eq!(s.cipher, "ECDHE-RSA-AES128-GCM-SHA256");
}

#[test]
fn v7_refuses_tls13_tls11_and_other_suites() {
    let sim = sim(rsa(TlsProfile::V7));
    let addr = sim.addr();
    let tls13 = client(Some(RSA_CERT), |b| {
        versions(b, SslVersion::TLS1_3, SslVersion::TLS1_3)
    });
    refused_with(addr, &tls13, "protocol version");
    let tls11 = client(Some(RSA_CERT), |b| {
        versions(b, SslVersion::TLS1, SslVersion::TLS1_1);
        b.set_cipher_list("ALL:@SECLEVEL=0").unwrap();
    });
    refused_with(addr, &tls11, "protocol version");
    // No DHE, no CBC, no ChaCha20, no anonymous DH.
    for suites in [
        "DHE-RSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES256-SHA",
        "ECDHE-RSA-CHACHA20-POLY1305",
        "ADH-AES256-GCM-SHA384:@SECLEVEL=0",
    ] {
        let c = client(Some(RSA_CERT), |b| {
            versions(b, SslVersion::TLS1_2, SslVersion::TLS1_2);
            b.set_cipher_list(suites).unwrap();
        });
        refused(addr, &c, suites);
    }
    // A group the profile does not offer.
    let c = client(Some(RSA_CERT), |b| b.set_groups_list("P-384").unwrap());
    refused(addr, &c, "P-384 only");
}

#[test]
fn v7_with_an_ec_key_is_ecdhe_ecdsa() {
    let cert =
        TlsCertificate::self_signed(&["localhost", "127.0.0.1"], TlsKeyType::EcP256).unwrap();
    let sim = sim(TlsConfig {
        profile: TlsProfile::V7,
        certificate: Some(cert.clone()),
    });
    let s = session(sim.addr(), &client(Some(&cert.cert_pem), |_| {}));
    assert_eq!(s.version, "TLSv1.2");
    assert_eq!(s.cipher, "ECDHE-ECDSA-AES256-GCM-SHA384");
    full_api_session(s);
}

#[test]
fn v6_is_dhe_rsa_aes256_gcm_with_2048_bit_dh_and_accepts_tls10() {
    let sim = sim(rsa(TlsProfile::V6));
    let addr = sim.addr();
    let s = session(addr, &client(Some(RSA_CERT), |_| {}));
    assert_eq!(s.version, "TLSv1.2");
    assert_eq!(s.cipher, "DHE-RSA-AES256-GCM-SHA384");
    assert_eq!(s.key_exchange, (Id::DH, 2048));
    full_api_session(s);
    // TLS 1.0 (and 1.1), with the CBC suite such clients have.
    for v in [SslVersion::TLS1, SslVersion::TLS1_1] {
        let s = session(
            addr,
            &client(Some(RSA_CERT), |b| {
                versions(b, v, v);
                b.set_cipher_list("ALL:@SECLEVEL=0").unwrap();
            }),
        );
        assert_eq!(
            s.version,
            if v == SslVersion::TLS1 {
                "TLSv1"
            } else {
                "TLSv1.1"
            }
        );
        assert_eq!(s.cipher, "DHE-RSA-AES256-SHA");
        assert_eq!(s.key_exchange, (Id::DH, 2048));
        full_api_session(s);
    }
    // No TLS 1.3, no ECDHE.
    let tls13 = client(Some(RSA_CERT), |b| {
        versions(b, SslVersion::TLS1_3, SslVersion::TLS1_3)
    });
    refused_with(addr, &tls13, "protocol version");
    let ecdhe = client(Some(RSA_CERT), |b| {
        versions(b, SslVersion::TLS1_2, SslVersion::TLS1_2);
        b.set_cipher_list("ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256")
            .unwrap();
    });
    refused(addr, &ecdhe, "ECDHE only");
}

#[test]
fn v6_needs_an_rsa_key() {
    let cert = TlsCertificate::self_signed(&[], TlsKeyType::EcP256).unwrap();
    let err = Simulator::spawn(SimConfig {
        tls: Some(TlsConfig {
            profile: TlsProfile::V6,
            certificate: Some(cert),
        }),
        ..SimConfig::default()
    })
    .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("RSA"), "{err}");
}

fn anonymous_client(tune: impl FnOnce(&mut SslConnectorBuilder)) -> SslConnector {
    client(None, |b| {
        b.set_cipher_list("ADH-AES256-GCM-SHA384:ADH-AES256-SHA:@SECLEVEL=0")
            .unwrap();
        tune(b);
    })
}

#[test]
fn anonymous_is_adh_only() {
    for profile in [TlsProfile::V7, TlsProfile::V6] {
        let sim = sim(TlsConfig::anonymous().with_profile(profile));
        let addr = sim.addr();
        let s = session(addr, &anonymous_client(|_| {}));
        assert_eq!(s.version, "TLSv1.2");
        assert_eq!(s.cipher, "ADH-AES256-GCM-SHA384");
        assert_eq!(s.key_exchange, (Id::DH, 2048));
        assert!(s.stream.ssl().peer_certificate().is_none());
        full_api_session(s);
        // The other anonymous suite, over TLS 1.0.
        let s = session(
            addr,
            &anonymous_client(|b| {
                versions(b, SslVersion::TLS1, SslVersion::TLS1);
                b.set_cipher_list("ADH-AES256-SHA:@SECLEVEL=0").unwrap();
            }),
        );
        assert_eq!(
            (s.version.as_str(), s.cipher.as_str()),
            ("TLSv1", "ADH-AES256-SHA")
        );
        full_api_session(s);
        // A client that demands a certificate (OpenSSL's default suites) finds nothing in common.
        refused_with(addr, &client(None, |_| {}), "handshake failure");
        refused_with(addr, &client(Some(RSA_CERT), |_| {}), "handshake failure");
        // Nor does a TLS 1.3 client.
        let tls13 = anonymous_client(|b| versions(b, SslVersion::TLS1_3, SslVersion::TLS1_3));
        refused(addr, &tls13, "TLS 1.3 against anonymous api-ssl");
    }
}

#[test]
fn terminator_is_tls13_only() {
    let sim = sim(rsa(TlsProfile::Terminator13));
    let addr = sim.addr();
    let s = session(addr, &client(Some(RSA_CERT), |_| {}));
    assert_eq!(s.version, "TLSv1.3");
    assert_eq!(s.cipher, "TLS_AES_256_GCM_SHA384");
    assert_eq!(s.key_exchange.0, Id::X25519);
    full_api_session(s);
    // P-256 and AES-128-GCM, what embedded-tls offers.
    let s = session(
        addr,
        &client(Some(RSA_CERT), |b| {
            b.set_groups_list("P-256").unwrap();
            b.set_ciphersuites("TLS_AES_128_GCM_SHA256").unwrap();
        }),
    );
    assert_eq!(
        (s.version.as_str(), s.cipher.as_str()),
        ("TLSv1.3", "TLS_AES_128_GCM_SHA256")
    );
    assert_eq!(s.key_exchange, (Id::EC, 256));
    full_api_session(s);
    let tls12 = client(Some(RSA_CERT), |b| {
        versions(b, SslVersion::TLS1_2, SslVersion::TLS1_2)
    });
    refused_with(addr, &tls12, "protocol version");
}

#[test]
fn terminator_needs_a_certificate() {
    let err = Simulator::spawn(SimConfig {
        tls: Some(TlsConfig::anonymous().with_profile(TlsProfile::Terminator13)),
        ..SimConfig::default()
    })
    .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn a_wrong_certificate_is_refused_by_a_verifying_client() {
    let sim = sim(rsa(TlsProfile::V7));
    let (other, _) = self_signed_cert(&["localhost"]);
    refused_with(
        sim.addr(),
        &client(Some(&other), |_| {}),
        "certificate verify failed",
    );
}

#[test]
fn self_signed_certificates_and_fingerprints() {
    for key_type in [TlsKeyType::Rsa2048, TlsKeyType::EcP256] {
        let cert =
            TlsCertificate::self_signed(&["localhost", "127.0.0.1", "::1"], key_type).unwrap();
        assert!(cert.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(cert.key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let x = X509::from_pem(cert.cert_pem.as_bytes()).unwrap();
        let want = match key_type {
            TlsKeyType::Rsa2048 => (Id::RSA, 2048),
            TlsKeyType::EcP256 => (Id::EC, 256),
        };
        let key = x.public_key().unwrap();
        assert_eq!((key.id(), key.bits()), want);
        // Trusted as itself, for the names it was made for.
        let sim = sim(TlsConfig::new(cert.cert_pem.clone(), cert.key_pem.clone()));
        let s = session(sim.addr(), &client(Some(&cert.cert_pem), |_| {}));
        // The fingerprint is the SHA-256 of the certificate the client received.
        let seen = s.stream.ssl().peer_certificate().unwrap();
        let digest = seen.digest(openssl::hash::MessageDigest::sha256()).unwrap();
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(cert.fingerprint_sha256().unwrap(), hex);
        assert_eq!(hex.len(), 64);
    }
    // No names: localhost and 127.0.0.1.
    let (pem, _) = self_signed_cert(&[]);
    let x = X509::from_pem(pem.as_bytes()).unwrap();
    let sans: Vec<String> = x
        .subject_alt_names()
        .unwrap()
        .iter()
        .map(|n| {
            n.dnsname()
                .map(str::to_string)
                .or_else(|| n.ipaddress().map(|ip| format!("{ip:?}")))
                .unwrap()
        })
        .collect();
    assert_eq!(sans, ["localhost", "[127, 0, 0, 1]"]);
}

#[test]
fn bad_pem_is_an_error() {
    let bad = |cert_pem: &str, key_pem: &str| {
        Simulator::spawn(SimConfig {
            tls: Some(TlsConfig::new(cert_pem, key_pem)),
            ..SimConfig::default()
        })
        .unwrap_err()
        .kind()
    };
    assert_eq!(
        bad("not a certificate", RSA_KEY),
        std::io::ErrorKind::InvalidInput
    );
    assert_eq!(bad(RSA_CERT, "not a key"), std::io::ErrorKind::InvalidInput);
    // A key that does not belong to the certificate.
    let (cert, _) = self_signed_cert(&[]);
    assert_eq!(bad(&cert, RSA_KEY), std::io::ErrorKind::InvalidInput);
}

#[test]
fn debug_leaves_the_key_out() {
    let config = SimConfig {
        tls: Some(rsa(TlsProfile::V6)),
        ..SimConfig::default()
    };
    let shown = format!("{config:?}");
    let key_line = RSA_KEY.lines().nth(1).unwrap();
    assert!(!shown.contains(key_line), "{shown}");
    assert!(
        shown.contains("V6") && shown.contains("BEGIN CERTIFICATE"),
        "{shown}"
    );
}

#[test]
fn profile_names() {
    for p in TlsProfile::ALL {
        assert_eq!(p.name().parse::<TlsProfile>(), Ok(p));
        assert_eq!(p.to_string(), p.name());
    }
    assert!("v8".parse::<TlsProfile>().is_err());
    assert_eq!(TlsProfile::default(), TlsProfile::V7);
}

#[test]
fn plain_client_on_a_tls_port_gets_nothing() {
    let sim = sim(rsa(TlsProfile::V7));
    let mut c = Client::connect(sim.addr());
    c.send(&["/login", "=name=admin", "=password="]);
    // Not TLS: the server drops it without a RouterOS reply.
    let (got, _) = c.read_to_eof();
    assert!(got.is_empty());
}

/// `openssl s_client` against `addr` with extra flags: (exit success, stdout).
fn s_client(addr: SocketAddr, flags: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .arg("s_client")
        .args(["-connect", &addr.to_string(), "-brief"])
        .args(flags)
        .stdin(Stdio::null())
        .output()
        .expect("the openssl program (apt package openssl)");
    let mut all = String::from_utf8_lossy(&out.stdout).into_owned();
    all.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), all)
}

#[test]
fn s_client_sees_what_a_router_offers() {
    let v7 = sim(rsa(TlsProfile::V7));
    let (ok, out) = s_client(v7.addr(), &["-tls1_2"]);
    assert!(ok && out.contains("Protocol version: TLSv1.2"), "{out}");
    assert!(
        out.contains("Ciphersuite: ECDHE-RSA-AES256-GCM-SHA384"),
        "{out}"
    );
    let (ok, out) = s_client(v7.addr(), &["-tls1_3"]);
    assert!(!ok, "{out}");
    let v6 = sim(rsa(TlsProfile::V6));
    let (ok, out) = s_client(v6.addr(), &["-tls1", "-cipher", "ALL:@SECLEVEL=0"]);
    assert!(ok && out.contains("Protocol version: TLSv1\n"), "{out}");
    let anon = sim(TlsConfig::anonymous());
    let (ok, out) = s_client(anon.addr(), &["-cipher", "aNULL:@SECLEVEL=0", "-tls1_2"]);
    assert!(
        ok && out.contains("Ciphersuite: ADH-AES256-GCM-SHA384"),
        "{out}"
    );
    let term = sim(rsa(TlsProfile::Terminator13));
    let (ok, out) = s_client(term.addr(), &["-tls1_2"]);
    assert!(!ok, "{out}");
    let (ok, out) = s_client(term.addr(), &["-tls1_3"]);
    assert!(ok && out.contains("Protocol version: TLSv1.3"), "{out}");
}

/// The program with `--tls-generate`: the stderr line names the profile and the fingerprint of
/// the certificate it serves and wrote out.
#[test]
fn program_generates_and_announces_its_certificate() {
    struct Running(Child);
    impl Drop for Running {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let dir = std::env::temp_dir().join(format!("routeros-sim-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert_path = dir.join("cert.pem");
    let mut child = Running(
        Command::new(env!("CARGO_BIN_EXE_routeros-sim"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--tls-generate",
                "--tls-profile",
                "v6",
            ])
            .arg("--tls-cert-out")
            .arg(&cert_path)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut err_line = String::new();
    BufReader::new(child.0.stderr.take().unwrap())
        .read_line(&mut err_line)
        .unwrap();
    let mut line = String::new();
    let mut stdout = BufReader::new(child.0.stdout.take().unwrap());
    stdout.read_line(&mut line).unwrap();
    let addr: SocketAddr = line.trim().parse().unwrap();
    let pem = std::fs::read_to_string(&cert_path).unwrap();
    let fp = TlsCertificate {
        cert_pem: pem.clone(),
        key_pem: String::new(),
    }
    .fingerprint_sha256()
    .unwrap();
    assert_eq!(err_line.trim(), format!("tls profile=v6 sha256={fp}"));
    let s = session(addr, &client(Some(&pem), |_| {}));
    assert_eq!(s.cipher, "DHE-RSA-AES256-GCM-SHA384");
    full_api_session(s);
    // Nothing else was printed on stdout.
    drop(child);
    let mut rest = String::new();
    let _ = stdout.read_to_string(&mut rest);
    assert!(rest.is_empty(), "{rest}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Odd host names are an error or a certificate, never a panic; a common name over 64 bytes is
/// refused by OpenSSL.
#[test]
fn odd_host_names_do_not_panic() {
    let long = "a".repeat(100);
    let err = TlsCertificate::self_signed(&[long.as_str()], TlsKeyType::EcP256).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{err}");
    for names in [
        &[""][..],
        &["a\0b"],
        &["localhost", ""],
        &["é.example", "::ffff:1.2.3.4"],
    ] {
        let _ = TlsCertificate::self_signed(names, TlsKeyType::EcP256);
    }
}

/// `Faults::fragment` reaches through TLS: every piece is flushed as its own TLS record, so a
/// client meets sentences split across records.
#[test]
fn fragmented_replies_over_tls() {
    let sim = Simulator::spawn(SimConfig {
        tls: Some(rsa(TlsProfile::V7)),
        faults: routeros_sim::Faults {
            fragment: Some(3),
            ..routeros_sim::Faults::default()
        },
        ..SimConfig::default()
    })
    .unwrap();
    let s = session(sim.addr(), &client(Some(RSA_CERT), |_| {}));
    full_api_session(s);
}
