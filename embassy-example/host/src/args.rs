//! Command-line options (hand-parsed: no dependency needed for a dozen flags).

/// Usage text.
pub const USAGE: &str = "\
usage: routeros-monitor-host --router IP [options]
  --tap NAME            TAP device to use (default tap0; must exist and be up)
  --ip ADDR/PREFIX      static address of the firmware (default: DHCP)
  --gateway IP          default gateway with --ip
  --router IP           router address (required)
  --port N              API port (default 8728, or 8729 with TLS)
  --user NAME           API user (default admin)
  --password-env VAR    environment variable holding the password (default ROUTEROS_PASSWORD)
  --interface NAME      interface to monitor (default ether1)
  --tls-ca FILE         TLS, trusting this CA certificate (DER)
  --tls-pinned FILE     TLS, trusting only this self-signed router certificate (DER)
  --tls-fingerprint SHA256
                        TLS, trusting only the certificate with this SHA-256 fingerprint
                        (64 hex digits, colons allowed; TLS 1.2, MbedTLS stack)
  --tls-insecure-skip-verify-for-lab-routers-only
                        TLS without certificate verification (lab routers only)
  --server-name NAME    TLS server name to expect in the certificate (default router.lab)
  --tls-stack NAME      mbedtls (default: TLS 1.2 and 1.3) or embedded-tls13 (TLS 1.3 only,
                        for TLS 1.3 terminators)
  --samples N           exit 0 after N traffic samples in total
  --max-failures N      exit 2 after N consecutive failed connection attempts
  --print-future-sizes  connect, print the sizes of the client's futures, exit
  --help                this text";

/// How TLS is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verify {
    /// No TLS.
    Plain,
    /// TLS, verified against a CA certificate file.
    Ca(String),
    /// TLS, verified against the router's pinned self-signed certificate file.
    Pinned(String),
    /// TLS, verified against a pinned SHA-256 certificate fingerprint.
    Fingerprint([u8; 32]),
    /// TLS without verification.
    Insecure,
}

/// Parsed options.
#[derive(Debug)]
pub struct Args {
    pub tap: String,
    pub ip: Option<String>,
    pub gateway: Option<String>,
    pub router: String,
    pub port: Option<u16>,
    pub user: String,
    pub password_env: String,
    pub interface: String,
    pub verify: Verify,
    pub server_name: String,
    pub stack: routeros_embassy_app::TlsStack,
    pub samples: Option<u32>,
    pub max_failures: Option<u32>,
    pub print_future_sizes: bool,
    pub help: bool,
}

impl Args {
    /// Parses the options after the program name.
    pub fn parse(mut it: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut args = Args {
            tap: "tap0".into(),
            ip: None,
            gateway: None,
            router: String::new(),
            port: None,
            user: "admin".into(),
            password_env: "ROUTEROS_PASSWORD".into(),
            interface: "ether1".into(),
            verify: Verify::Plain,
            server_name: "router.lab".into(),
            stack: routeros_embassy_app::TlsStack::MbedTls,
            samples: None,
            max_failures: None,
            print_future_sizes: false,
            help: false,
        };
        while let Some(flag) = it.next() {
            let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
            let number = |name: &str, v: String| -> Result<u32, String> {
                v.parse()
                    .map_err(|_| format!("{name} needs a number, not {v:?}"))
            };
            let mut set_verify = |v: Verify| -> Result<(), String> {
                if args.verify != Verify::Plain {
                    return Err("choose one of --tls-ca, --tls-pinned, --tls-fingerprint, --tls-insecure-...".into());
                }
                args.verify = v;
                Ok(())
            };
            match flag.as_str() {
                "--tap" => args.tap = value("--tap")?,
                "--ip" => args.ip = Some(value("--ip")?),
                "--gateway" => args.gateway = Some(value("--gateway")?),
                "--router" => args.router = value("--router")?,
                "--port" => {
                    let v = value("--port")?;
                    args.port = Some(v.parse().map_err(|_| format!("bad --port {v:?}"))?)
                }
                "--user" => args.user = value("--user")?,
                "--password-env" => args.password_env = value("--password-env")?,
                "--interface" => args.interface = value("--interface")?,
                "--tls-ca" => set_verify(Verify::Ca(value("--tls-ca")?))?,
                "--tls-pinned" => set_verify(Verify::Pinned(value("--tls-pinned")?))?,
                "--tls-fingerprint" => {
                    let v = value("--tls-fingerprint")?;
                    let fp = routeros_embassy_app::settings::parse_fingerprint(&v).ok_or(
                        "--tls-fingerprint needs 64 hex digits (colons allowed)".to_string(),
                    )?;
                    set_verify(Verify::Fingerprint(fp))?
                }
                "--tls-stack" => {
                    args.stack = match value("--tls-stack")?.as_str() {
                        "mbedtls" => routeros_embassy_app::TlsStack::MbedTls,
                        "embedded-tls13" => routeros_embassy_app::TlsStack::EmbeddedTls13,
                        other => {
                            return Err(format!(
                                "--tls-stack {other:?}: use mbedtls or embedded-tls13"
                            ))
                        }
                    }
                }
                "--tls-insecure-skip-verify-for-lab-routers-only" => set_verify(Verify::Insecure)?,
                "--server-name" => args.server_name = value("--server-name")?,
                "--samples" => args.samples = Some(number("--samples", value("--samples")?)?),
                "--max-failures" => {
                    args.max_failures = Some(number("--max-failures", value("--max-failures")?)?)
                }
                "--print-future-sizes" => args.print_future_sizes = true,
                "--help" | "-h" => args.help = true,
                other => return Err(format!("unknown option {other:?}")),
            }
        }
        if args.router.is_empty() && !args.help {
            return Err("--router is required".into());
        }
        Ok(args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(words: &[&str]) -> Result<Args, String> {
        Args::parse(words.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults_and_tls_choice() {
        let a = parse(&["--router", "10.0.0.1"]).unwrap();
        assert_eq!(
            (a.tap.as_str(), a.verify.clone(), a.samples),
            ("tap0", Verify::Plain, None)
        );
        let a = parse(&[
            "--router",
            "10.0.0.1",
            "--tls-ca",
            "ca.der",
            "--samples",
            "3",
        ])
        .unwrap();
        assert_eq!(
            (a.verify, a.samples),
            (Verify::Ca("ca.der".into()), Some(3))
        );
    }

    #[test]
    fn rejects_bad_input() {
        assert!(parse(&[]).is_err());
        assert!(parse(&["--router"]).is_err());
        assert!(parse(&["--router", "x", "--samples", "many"]).is_err());
        assert!(parse(&["--router", "x", "--tls-ca", "a", "--tls-pinned", "b"]).is_err());
        assert!(parse(&["--router", "x", "--bogus"]).is_err());
        assert!(parse(&["--router", "x", "--tls-fingerprint", "AB:CD"]).is_err());
        assert!(parse(&["--router", "x", "--tls-stack", "openssl"]).is_err());
        let fp = "AB".repeat(32);
        let a = parse(&[
            "--router",
            "x",
            "--tls-fingerprint",
            &fp,
            "--tls-stack",
            "embedded-tls13",
        ])
        .unwrap();
        assert_eq!(a.verify, Verify::Fingerprint([0xAB; 32]));
        assert_eq!(a.stack, routeros_embassy_app::TlsStack::EmbeddedTls13);
    }
}
