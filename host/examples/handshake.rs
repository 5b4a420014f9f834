//! Times connecting to the in-process simulator in each API-SSL mode: TCP plus the TLS
//! handshake (`connect_stream`), and the same plus the login (`connect`).
//!
//! ```text
//! cargo run --release -p routeros-tokio --features openssl --example handshake [-- ROUNDS]
//! ```
//!
//! Prints one line per mode: median and best of ROUNDS (default 50) connections, after 3
//! untimed ones.

use std::time::{Duration, Instant};

use routeros_sim::{
    SimConfig, SimHandle, Simulator, TlsCertificate, TlsConfig, TlsKeyType, TlsProfile,
};
use routeros_tokio::{connect, connect_stream, Config, Fingerprint, TlsBackend, TlsMode, Warnings};

fn fingerprint(cert: &TlsCertificate) -> Fingerprint {
    cert.fingerprint_sha256()
        .expect("fingerprint")
        .parse()
        .expect("hex fingerprint")
}

fn sim(tls: Option<TlsConfig>) -> SimHandle {
    Simulator::spawn(SimConfig {
        tls,
        ..SimConfig::default()
    })
    .expect("simulator starts")
}

/// Client settings for `sim`: plain TCP, warnings logged.
fn base(sim: &SimHandle) -> Config {
    Config::new()
        .host("127.0.0.1")
        .port(sim.addr().port())
        .warnings(Warnings::Log)
}

/// Client settings that require TLS through `backend`, pinned to `cert`.
fn pinned(cert: &TlsCertificate, backend: TlsBackend) -> Box<dyn Fn(&SimHandle) -> Config> {
    let fp = fingerprint(cert);
    Box::new(move |s| {
        base(s)
            .tls(TlsMode::Require)
            .backend(backend)
            .fingerprint(fp)
    })
}

/// A mode: its name, the simulator serving it, and the client settings for that simulator.
type Case = (&'static str, SimHandle, Box<dyn Fn(&SimHandle) -> Config>);

fn stats(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    (times[times.len() / 2], times[0])
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50);
    let rsa = TlsCertificate::self_signed(&["127.0.0.1"], TlsKeyType::Rsa2048).unwrap();
    let ec = TlsCertificate::self_signed(&["127.0.0.1"], TlsKeyType::EcP256).unwrap();
    let with = |cert: &TlsCertificate, profile| {
        Some(TlsConfig::new(cert.cert_pem.clone(), cert.key_pem.clone()).with_profile(profile))
    };
    let cases: Vec<Case> = vec![
        ("plain TCP", sim(None), Box::new(base)),
        (
            "v7, RSA 2048, rustls, pinned",
            sim(with(&rsa, TlsProfile::V7)),
            pinned(&rsa, TlsBackend::Rustls),
        ),
        (
            "v7, EC P-256, rustls, pinned",
            sim(with(&ec, TlsProfile::V7)),
            pinned(&ec, TlsBackend::Rustls),
        ),
        (
            "v7, RSA 2048, OpenSSL, pinned",
            sim(with(&rsa, TlsProfile::V7)),
            pinned(&rsa, TlsBackend::OpenSsl),
        ),
        (
            "v6 (DHE-RSA, ffdhe2048), OpenSSL, pinned",
            sim(with(&rsa, TlsProfile::V6)),
            pinned(&rsa, TlsBackend::OpenSsl),
        ),
        (
            "no certificate (ADH), OpenSSL",
            sim(Some(TlsConfig::anonymous())),
            Box::new(move |s| base(s).tls(TlsMode::Require).anonymous_dh()),
        ),
        (
            "TLS 1.3 terminator, RSA 2048, rustls, pinned",
            sim(with(&rsa, TlsProfile::Terminator13)),
            pinned(&rsa, TlsBackend::Rustls),
        ),
    ];
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    println!("| mode | TCP + TLS median | best | + login median |");
    println!("|---|---:|---:|---:|");
    for (name, sim, config) in &cases {
        let config = config(sim);
        let mut handshakes = Vec::new();
        let mut logins = Vec::new();
        for i in 0..rounds + 3 {
            let t = Instant::now();
            let stream = rt.block_on(connect_stream(&config)).expect(name);
            let hs = t.elapsed();
            drop(stream);
            let t = Instant::now();
            let client = rt.block_on(connect(&config)).expect(name);
            let login = t.elapsed();
            drop(client);
            if i >= 3 {
                handshakes.push(hs);
                logins.push(login);
            }
        }
        let (median, best) = stats(handshakes);
        let (login, _) = stats(logins);
        println!(
            "| {name} | {:.2} ms | {:.2} ms | {:.2} ms |",
            median.as_secs_f64() * 1e3,
            best.as_secs_f64() * 1e3,
            login.as_secs_f64() * 1e3
        );
    }
}
