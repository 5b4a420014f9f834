//! The `routeros` binary against the simulator's API-SSL in each mode.

use std::path::PathBuf;
use std::process::{Command, Output};

use routeros_sim::{
    SimConfig, SimHandle, Simulator, TlsCertificate, TlsConfig, TlsKeyType, TlsProfile,
};

fn sim(tls: TlsConfig) -> SimHandle {
    Simulator::spawn(SimConfig {
        tls: Some(tls),
        ..SimConfig::default()
    })
    .expect("simulator starts")
}

/// A CA and a leaf certificate it signed for 127.0.0.1 (ECDSA P-256); the CA's PEM in a file.
fn pki(dir: &str) -> (PathBuf, TlsCertificate) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, format!("{dir} CA"));
    let ca = params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    let dir = std::env::temp_dir().join(format!("routeros-cli-tls-{}-{dir}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    (
        ca_file,
        TlsCertificate {
            cert_pem: leaf.pem(),
            key_pem: key.serialize_pem(),
        },
    )
}

fn routeros(sim: &SimHandle, args: &[&str]) -> Output {
    let port = sim.addr().port().to_string();
    Command::new(env!("CARGO_BIN_EXE_routeros"))
        .args(["--host", "127.0.0.1", "--port", &port, "--timeout", "10000"])
        .args(args)
        .arg("/system/identity/print")
        .env_remove("ROUTEROS_PASSWORD")
        .output()
        .expect("routeros runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn ok(out: &Output) {
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"name\": \"MikroTik\"}\n"
    );
}

/// Exit 2 with a message that contains every one of `needles`.
fn refused(out: &Output, needles: &[&str]) {
    assert_eq!(out.status.code(), Some(2), "stderr: {}", stderr(out));
    let err = stderr(out);
    for needle in needles {
        assert!(err.contains(needle), "{needle:?} not in: {err}");
    }
}

fn fingerprint(cert: &TlsCertificate) -> String {
    cert.fingerprint_sha256().unwrap()
}

#[test]
fn v7_with_the_right_ca() {
    let (ca, leaf) = pki("right");
    let sim = sim(TlsConfig::new(leaf.cert_pem, leaf.key_pem));
    ok(&routeros(&sim, &["--ca", ca.to_str().unwrap()]));
}

#[test]
fn v7_unknown_ca_says_what_to_do() {
    let (_, leaf) = pki("router");
    let (other_ca, _) = pki("other");
    let sim = sim(TlsConfig::new(leaf.cert_pem, leaf.key_pem));
    refused(
        &routeros(&sim, &["--ca", other_ca.to_str().unwrap()]),
        &["TLS", "--ca FILE", "--fingerprint"],
    );
    // Without --ca the system's CAs do not know it either.
    let out = routeros(&sim, &["--tls"]);
    assert_eq!(out.status.code(), Some(2), "stderr: {}", stderr(&out));
}

#[test]
fn v7_pinned_fingerprint_and_a_wrong_one() {
    let cert = TlsCertificate::self_signed(&["router.lan"], TlsKeyType::EcP256).unwrap();
    let fp = fingerprint(&cert);
    let sim = sim(TlsConfig::new(cert.cert_pem.clone(), cert.key_pem.clone()));
    // --fingerprint implies TLS, whatever the name in the certificate.
    ok(&routeros(&sim, &["--fingerprint", &fp]));

    let wrong = format!(
        "{}{}",
        if fp.starts_with('0') { "1" } else { "0" },
        &fp[1..]
    );
    let out = routeros(&sim, &["--fingerprint", &wrong]);
    refused(&out, &["--fingerprint"]);
    // The message shows the fingerprint the router has (upper case, with colons).
    let seen: String = stderr(&out)
        .chars()
        .filter(|c| c.is_ascii_hexdigit() || *c == ':')
        .collect::<String>()
        .replace(':', "")
        .to_lowercase();
    assert!(
        seen.contains(&fp.replace(':', "").to_lowercase()),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bad_fingerprint_text_is_a_usage_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_routeros"))
        .args(["--host", "127.0.0.1", "--fingerprint", "12:34", "/x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("64 hexadecimal digits"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn v7_skip_verify_works_and_warns() {
    let cert = TlsCertificate::self_signed(&["elsewhere"], TlsKeyType::EcP256).unwrap();
    let sim = sim(TlsConfig::new(cert.cert_pem, cert.key_pem));
    let out = routeros(&sim, &["--insecure-skip-verify"]);
    ok(&out);
    assert!(
        stderr(&out).contains("warning: TLS certificate verification is OFF"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn v6_needs_the_openssl_backend() {
    let cert = TlsCertificate::self_signed(&["127.0.0.1"], TlsKeyType::Rsa2048).unwrap();
    let fp = fingerprint(&cert);
    let sim = sim(TlsConfig::new(cert.cert_pem, cert.key_pem).with_profile(TlsProfile::V6));
    refused(
        &routeros(&sim, &["--fingerprint", &fp]),
        &["--tls-backend openssl"],
    );
    ok(&routeros(
        &sim,
        &["--fingerprint", &fp, "--tls-backend", "openssl"],
    ));
}

#[test]
fn anonymous_needs_the_option_and_warns() {
    let sim = sim(TlsConfig::anonymous());
    refused(
        &routeros(&sim, &["--insecure-skip-verify"]),
        &["--tls-anonymous"],
    );
    let out = routeros(&sim, &["--tls-anonymous"]);
    ok(&out);
    assert!(
        stderr(&out).contains("warning: anonymous TLS"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn terminator_tls13_with_the_ca() {
    let (ca, leaf) = pki("terminator");
    let sim =
        sim(TlsConfig::new(leaf.cert_pem, leaf.key_pem).with_profile(TlsProfile::Terminator13));
    ok(&routeros(&sim, &["--ca", ca.to_str().unwrap()]));
}

#[test]
fn tls_against_the_plain_port_fails_cleanly() {
    let sim = Simulator::spawn(SimConfig::default()).unwrap();
    let port = sim.addr().port().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_routeros"))
        .args(["--host", "127.0.0.1", "--port", &port, "--timeout", "2000"])
        .args(["--insecure-skip-verify", "/system/identity/print"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "stderr: {}", stderr(&out));
}
