//! Time of a full TLS handshake with the simulator in each API-SSL mode, as an OpenSSL client
//! sees it over loopback (TCP connect included, no session resumption).
//!
//! `cargo run --release -p routeros-sim --example tls_handshakes [-- N]` prints one line per
//! mode: the negotiated version and suite, then the median and 90th percentile of N handshakes
//! (default 200).

use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode, SslVersion};
use routeros_sim::{SimConfig, Simulator, TlsCertificate, TlsConfig, TlsKeyType, TlsProfile};

struct Mode {
    name: &'static str,
    tls: TlsConfig,
    client: SslConnector,
}

fn connector(tune: impl FnOnce(&mut openssl::ssl::SslConnectorBuilder)) -> SslConnector {
    let mut b = SslConnector::builder(SslMethod::tls_client()).expect("OpenSSL client");
    // The figure is the handshake's cost, not the verification's.
    b.set_verify(SslVerifyMode::NONE);
    tune(&mut b);
    b.build()
}

fn handshake(addr: SocketAddr, client: &SslConnector) -> Result<(Duration, String), String> {
    let start = Instant::now();
    let tcp = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    let stream = client
        .configure()
        .map_err(|e| e.to_string())?
        .verify_hostname(false)
        .connect("localhost", tcp)
        .map_err(|e| e.to_string())?;
    let took = start.elapsed();
    let ssl = stream.ssl();
    let what = format!(
        "{} {}",
        ssl.version_str(),
        ssl.current_cipher().map(|c| c.name()).unwrap_or("?")
    );
    Ok((took, what))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = match std::env::args().nth(1) {
        Some(v) => v.parse().map_err(|_| format!("`{v}` is not a count"))?,
        None => 200,
    };
    let rsa = TlsCertificate::self_signed(&["localhost"], TlsKeyType::Rsa2048)?;
    let ec = TlsCertificate::self_signed(&["localhost"], TlsKeyType::EcP256)?;
    let with = |profile, cert: &TlsCertificate| TlsConfig {
        profile,
        certificate: Some(cert.clone()),
    };
    let modes = [
        Mode {
            name: "v7, RSA 2048",
            tls: with(TlsProfile::V7, &rsa),
            client: connector(|_| {}),
        },
        Mode {
            name: "v7, EC P-256",
            tls: with(TlsProfile::V7, &ec),
            client: connector(|_| {}),
        },
        Mode {
            name: "v6, RSA 2048",
            tls: with(TlsProfile::V6, &rsa),
            client: connector(|_| {}),
        },
        Mode {
            name: "v6, RSA 2048, TLS 1.0",
            tls: with(TlsProfile::V6, &rsa),
            client: connector(|b| {
                let _ = b.set_min_proto_version(Some(SslVersion::TLS1));
                let _ = b.set_max_proto_version(Some(SslVersion::TLS1));
                let _ = b.set_cipher_list("ALL:@SECLEVEL=0");
            }),
        },
        Mode {
            name: "anonymous DH",
            tls: TlsConfig::anonymous(),
            client: connector(|b| {
                let _ = b.set_cipher_list("ADH-AES256-GCM-SHA384:ADH-AES256-SHA:@SECLEVEL=0");
            }),
        },
        Mode {
            name: "terminator-tls13, RSA 2048",
            tls: with(TlsProfile::Terminator13, &rsa),
            client: connector(|_| {}),
        },
    ];
    println!("{n} full handshakes per mode over loopback, OpenSSL client");
    for mode in modes {
        let sim = Simulator::spawn(SimConfig {
            tls: Some(mode.tls),
            ..SimConfig::default()
        })?;
        let mut times = Vec::with_capacity(n);
        let mut what = String::new();
        for _ in 0..n.max(1) {
            let (took, w) = handshake(sim.addr(), &mode.client)
                .map_err(|e| format!("{}: handshake failed: {e}", mode.name))?;
            times.push(took);
            what = w;
        }
        times.sort();
        let pct = |p: usize| times[(times.len() - 1) * p / 100].as_secs_f64() * 1e3;
        println!(
            "{:<28} {:<40} median {:6.2} ms  p90 {:6.2} ms",
            mode.name,
            what,
            pct(50),
            pct(90)
        );
        sim.shutdown();
    }
    Ok(())
}
