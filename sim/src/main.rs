//! `routeros-sim`: run the RouterOS API simulator as a program.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use routeros_sim::{
    ReplyOrder, RosVersion, SimConfig, Simulator, TagPosition, TlsCertificate, TlsConfig,
    TlsProfile,
};

const HELP: &str = "\
routeros-sim: a RouterOS API server simulator

USAGE:
    routeros-sim [OPTIONS]

The first line printed on stdout is the bound address (for example 127.0.0.1:40123).

OPTIONS:
    --listen ADDR            Address to listen on [default: 127.0.0.1:8728]; port 0 picks one
    --user NAME              User name that may log in [default: admin]
    --password PASS          That user's password [default: empty]
    --ros VERSION            RouterOS version to behave as [default: 7.18]:
                               6.42  MD5 challenge login only, `cannot log in`, yes/no
                               6.48  plain login; a bare /login gets =ret= but its MD5
                                     response is refused; yes/no, =.dead=yes
                               7.16  true/false, =.dead=true
                               7.18  as 7.16, and a print with no rows answers !empty
    --legacy-login           Only the pre-6.43 MD5 challenge login, on any --ros
    --empty                  A print with no rows answers !empty then !done, on any --ros
    --tag-position POS       Where .tag= stands in replies [default: last]:
                               first (right after the reply word), last (after the
                               attributes, as MikroTik's examples), mixed (alternating)
    --rows N                 Rows in /ip/firewall/address-list [default: 16]
    --fragment N             Write replies in pieces of at most N bytes
    --delay-ms N             Wait N ms before each reply sentence of ordinary commands
    --disconnect-after-rows N
                             On a print, after N rows send half a sentence and close
    --oversize-word N        ether1's comment is a word of N bytes
    --non-utf8               ether2's comment is Windows-1252 text (not UTF-8)
    --fatal-after N          After N commands send !fatal and close
    --reply-order ORDER      documented | cancel-done-first | stream-done-first
    --tls-cert FILE          Serve API-SSL with this PEM certificate chain (needs --tls-key)
    --tls-key FILE           The PEM private key for --tls-cert
    --tls-generate           Serve API-SSL with a new self-signed RSA 2048 certificate for
                             localhost, 127.0.0.1 and the --listen address
    --tls-cert-out FILE      With --tls-generate: write its certificate (PEM) to FILE
    --tls-anonymous          Certificate-less API-SSL: anonymous DH only (ADH-AES256-GCM-SHA384,
                             ADH-AES256-SHA), TLS 1.0 to 1.2
    --tls-profile PROFILE    v7 (default): TLS 1.2 only, ECDHE-RSA/ECDSA with AES-GCM, X25519
                               and P-256; a TLS 1.3-only client fails, as against a router
                             v6: DHE-RSA-AES256-GCM-SHA384 with 2048-bit DH, TLS 1.0 to 1.2
                             terminator-tls13: not a router but a TLS terminator in front of
                               one: TLS 1.3 only
                             With TLS on, stderr gets `tls profile=P sha256=FINGERPRINT` (the
                             certificate's SHA-256, hex) or `tls profile=P anonymous`
    --routers N              Fleet: N routers on consecutive ports from --listen's (any free
                             ports with port 0), identities router-0 .. router-<N-1>; prints
                             every address, one a line; every second, on stderr, a line
                             `stats router=I addr=A connections=C logins=L` per changed router
    -h, --help               Print this help

LIMITS (what clients can make the simulator hold, like a router):
    --max-sessions N         Connections served at once [default: 20, RouterOS max-sessions];
                             one more is closed at once, without a reply
    --login-timeout SECS     Close a connection not logged in by then [default: 60]
    --idle-timeout SECS      Close a logged-in connection silent for SECS with nothing
                             running [default: 0 = never, as RouterOS documents none]
    --max-sentence BYTES     Largest sentence after login [default: 4194304]; a larger one
                             gets !fatal `sentence too long` and the connection closes.
                             Before login: 16 KiB and 10 sentences, then !fatal
    --max-queued BYTES       Reply bytes queued per connection for a client that does not
                             read [default: 1048576]; commands wait while it is full
    --max-running N          Background commands (streams, tagged prints) per connection
                             [default: 64]; one more gets !trap `too many commands running`
";

struct Args {
    listen: SocketAddr,
    config: SimConfig,
    routers: Option<usize>,
}

fn number<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, String> {
    v.parse()
        .map_err(|_| format!("{flag}: `{v}` is not a valid number"))
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut listen: SocketAddr = "127.0.0.1:8728".parse().map_err(|_| "bad default")?;
    let mut config = SimConfig::default();
    let mut tls = TlsFlags::default();
    let mut routers: Option<usize> = None;
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => it.next().ok_or_else(|| format!("{name} needs a value")),
            }
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--listen" => {
                let v = value("--listen")?;
                listen = v
                    .parse()
                    .map_err(|_| format!("--listen: `{v}` is not an address like 127.0.0.1:8728"))?;
            }
            "--user" => config.username = value("--user")?,
            "--password" => config.password = value("--password")?,
            "--ros" => {
                let v = value("--ros")?;
                config.ros = RosVersion::parse(&v)
                    .ok_or_else(|| format!("--ros: `{v}` is not 6.42, 6.48, 7.16 or 7.18"))?;
            }
            "--tag-position" => {
                let v = value("--tag-position")?;
                config.tag_position = TagPosition::parse(&v)
                    .ok_or_else(|| format!("--tag-position: `{v}` is not first, last or mixed"))?;
            }
            "--max-sessions" => {
                config.limits.max_sessions = number("--max-sessions", &value("--max-sessions")?)?
            }
            "--login-timeout" => {
                let s: u64 = number("--login-timeout", &value("--login-timeout")?)?;
                config.limits.login_timeout = std::time::Duration::from_secs(s);
            }
            "--idle-timeout" => {
                let s: u64 = number("--idle-timeout", &value("--idle-timeout")?)?;
                config.limits.idle_timeout = (s > 0).then(|| std::time::Duration::from_secs(s));
            }
            "--max-sentence" => {
                config.limits.max_sentence = number("--max-sentence", &value("--max-sentence")?)?
            }
            "--max-queued" => {
                config.limits.max_queued_bytes = number("--max-queued", &value("--max-queued")?)?
            }
            "--max-running" => {
                config.limits.max_running = number("--max-running", &value("--max-running")?)?
            }
            "--legacy-login" => config.legacy_login = true,
            "--empty" => config.empty_replies = true,
            "--rows" => config.address_list_rows = number("--rows", &value("--rows")?)?,
            "--fragment" => {
                let n: usize = number("--fragment", &value("--fragment")?)?;
                if n == 0 {
                    return Err("--fragment must be at least 1".into());
                }
                config.faults.fragment = Some(n);
            }
            "--delay-ms" => config.faults.delay_ms = number("--delay-ms", &value("--delay-ms")?)?,
            "--disconnect-after-rows" => {
                config.faults.disconnect_after_rows = Some(number(
                    "--disconnect-after-rows",
                    &value("--disconnect-after-rows")?,
                )?)
            }
            "--oversize-word" => {
                config.faults.oversize_word =
                    Some(number("--oversize-word", &value("--oversize-word")?)?)
            }
            "--non-utf8" => config.faults.non_utf8 = true,
            "--fatal-after" => {
                config.faults.fatal_after_commands =
                    Some(number("--fatal-after", &value("--fatal-after")?)?)
            }
            "--reply-order" => {
                config.reply_order = match value("--reply-order")?.as_str() {
                    "documented" => ReplyOrder::Documented,
                    "cancel-done-first" => ReplyOrder::CancelDoneFirst,
                    "stream-done-first" => ReplyOrder::StreamDoneFirst,
                    other => {
                        return Err(format!(
                            "--reply-order: `{other}` is not documented, cancel-done-first or stream-done-first"
                        ))
                    }
                }
            }
            "--tls-cert" => tls.cert = Some(value("--tls-cert")?),
            "--tls-key" => tls.key = Some(value("--tls-key")?),
            "--tls-generate" => tls.generate = true,
            "--tls-cert-out" => tls.cert_out = Some(value("--tls-cert-out")?),
            "--tls-anonymous" => tls.anonymous = true,
            "--tls-profile" => {
                let v = value("--tls-profile")?;
                tls.profile = Some(v.parse().map_err(|_| {
                    format!("--tls-profile: `{v}` is not v7, v6 or terminator-tls13")
                })?);
            }
            "--routers" => {
                let n: usize = number("--routers", &value("--routers")?)?;
                if n == 0 {
                    return Err("--routers must be at least 1".into());
                }
                routers = Some(n);
            }
            other => return Err(format!("unknown option `{other}` (try --help)")),
        }
    }
    config.tls = tls.into_config(listen)?;
    Ok(Some(Args {
        listen,
        config,
        routers,
    }))
}

/// The `--tls-*` flags as given.
#[derive(Default)]
struct TlsFlags {
    cert: Option<String>,
    key: Option<String>,
    generate: bool,
    cert_out: Option<String>,
    anonymous: bool,
    profile: Option<TlsProfile>,
}

impl TlsFlags {
    /// Checks the combination, reads the files or makes the certificate.
    fn into_config(self, listen: SocketAddr) -> Result<Option<TlsConfig>, String> {
        let profile = self.profile.unwrap_or_default();
        if self.cert_out.is_some() && !self.generate {
            return Err("--tls-cert-out goes with --tls-generate".into());
        }
        let certificate = match (self.cert, self.key, self.generate, self.anonymous) {
            (None, None, false, false) => {
                if self.profile.is_some() {
                    return Err(
                        "--tls-profile needs --tls-cert, --tls-generate or --tls-anonymous".into(),
                    );
                }
                return Ok(None);
            }
            (None, None, false, true) => {
                if profile == TlsProfile::Terminator13 {
                    return Err(
                        "--tls-anonymous: TLS 1.3 (terminator-tls13) has no anonymous suites"
                            .into(),
                    );
                }
                None
            }
            (Some(c), Some(k), false, false) => {
                let cert_pem =
                    std::fs::read_to_string(&c).map_err(|e| format!("--tls-cert {c}: {e}"))?;
                let key_pem =
                    std::fs::read_to_string(&k).map_err(|e| format!("--tls-key {k}: {e}"))?;
                Some(TlsCertificate { cert_pem, key_pem })
            }
            (None, None, true, false) => Some(generate(listen, self.cert_out.as_deref())?),
            (Some(_), None, false, false) | (None, Some(_), false, false) => {
                return Err("--tls-cert and --tls-key go together".into())
            }
            _ => {
                return Err(
                    "choose one of --tls-cert/--tls-key, --tls-generate and --tls-anonymous".into(),
                )
            }
        };
        Ok(Some(TlsConfig {
            profile,
            certificate,
        }))
    }
}

/// `--tls-generate`: a self-signed RSA certificate for localhost, 127.0.0.1 and the listen
/// address, written to `cert_out` if given.
#[cfg(feature = "tls")]
fn generate(listen: SocketAddr, cert_out: Option<&str>) -> Result<TlsCertificate, String> {
    let ip = listen.ip().to_string();
    let mut names = vec!["localhost", "127.0.0.1"];
    if !listen.ip().is_unspecified() && !names.contains(&ip.as_str()) {
        names.push(&ip);
    }
    let cert = TlsCertificate::self_signed(&names, routeros_sim::TlsKeyType::Rsa2048)
        .map_err(|e| format!("--tls-generate: {e}"))?;
    if let Some(path) = cert_out {
        std::fs::write(path, &cert.cert_pem).map_err(|e| format!("--tls-cert-out {path}: {e}"))?;
    }
    Ok(cert)
}

#[cfg(not(feature = "tls"))]
fn generate(_listen: SocketAddr, _cert_out: Option<&str>) -> Result<TlsCertificate, String> {
    Err("--tls-generate: routeros-sim was built without its `tls` feature".into())
}

/// The stderr line that says how API-SSL is served (with the fingerprint a client pins).
fn tls_notice(tls: &TlsConfig) -> String {
    match &tls.certificate {
        None => format!("tls profile={} anonymous", tls.profile),
        #[cfg(feature = "tls")]
        Some(cert) => match cert.fingerprint_sha256() {
            Ok(fp) => format!("tls profile={} sha256={fp}", tls.profile),
            Err(_) => format!("tls profile={}", tls.profile),
        },
        #[cfg(not(feature = "tls"))]
        Some(_) => format!("tls profile={}", tls.profile),
    }
}

/// Ctrl-C and SIGTERM, registered before the address is printed so that a signal sent as
/// soon as the address appears is not lost.
struct Signals {
    #[cfg(unix)]
    streams: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Signals {
    fn register() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let streams = match (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
            ) {
                (Ok(i), Ok(t)) => Some((i, t)),
                _ => None,
            };
            Signals { streams }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    async fn wait(self) {
        #[cfg(unix)]
        if let Some((mut int, mut term)) = self.streams {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(a)) => a,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("routeros-sim: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(tls) = &args.config.tls {
        eprintln!("{}", tls_notice(tls));
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("routeros-sim: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(count) = args.routers {
        return runtime.block_on(run_fleet(args.config, args.listen, count));
    }
    runtime.block_on(async move {
        let handle = match Simulator::start(args.config, args.listen).await {
            Ok(h) => h,
            Err(e) => {
                eprintln!("routeros-sim: cannot listen on {}: {e}", args.listen);
                return ExitCode::FAILURE;
            }
        };
        let signals = Signals::register();
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", handle.addr());
        let _ = out.flush();
        drop(out);
        signals.wait().await;
        handle.shutdown();
        ExitCode::SUCCESS
    })
}

/// `--routers N`: serves a fleet until a signal, printing login statistics on stderr.
async fn run_fleet(config: SimConfig, listen: SocketAddr, count: usize) -> ExitCode {
    let fleet = match routeros_sim::Fleet::start(config, listen, count).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("routeros-sim: cannot listen on {count} ports from {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let signals = Signals::register();
    let mut out = std::io::stdout().lock();
    for addr in fleet.addrs() {
        let _ = writeln!(out, "{addr}");
    }
    let _ = out.flush();
    drop(out);
    let stats = async {
        let mut last = Vec::new();
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tick.tick().await;
            let lines = fleet.stats_lines(&mut last);
            if !lines.is_empty() {
                let mut err = std::io::stderr().lock();
                let _ = err.write_all(lines.as_bytes());
                let _ = err.flush();
            }
        }
    };
    tokio::select! {
        _ = signals.wait() => {}
        _ = stats => {}
    }
    fleet.shutdown();
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: &[&str]) -> Result<Option<Args>, String> {
        parse_args(v.iter().map(|s| s.to_string()))
    }

    #[test]
    fn flags() {
        let a = parse(&[
            "--listen",
            "127.0.0.1:0",
            "--user=u",
            "--password",
            "p",
            "--legacy-login",
            "--empty",
            "--rows",
            "100000",
            "--fragment",
            "3",
            "--delay-ms",
            "5",
            "--disconnect-after-rows",
            "2",
            "--oversize-word",
            "70000",
            "--non-utf8",
            "--fatal-after",
            "4",
            "--reply-order",
            "stream-done-first",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(a.listen.port(), 0);
        let c = a.config;
        assert_eq!((c.username.as_str(), c.password.as_str()), ("u", "p"));
        assert!(c.legacy_login && c.empty_replies && c.faults.non_utf8);
        assert_eq!(c.address_list_rows, 100_000);
        assert_eq!(c.faults.fragment, Some(3));
        assert_eq!(c.faults.delay_ms, 5);
        assert_eq!(c.faults.disconnect_after_rows, Some(2));
        assert_eq!(c.faults.oversize_word, Some(70_000));
        assert_eq!(c.faults.fatal_after_commands, Some(4));
        assert_eq!(c.reply_order, ReplyOrder::StreamDoneFirst);
    }

    #[test]
    fn routers_flag() {
        assert_eq!(
            parse(&["--routers", "1000"]).unwrap().unwrap().routers,
            Some(1000)
        );
        assert_eq!(parse(&[]).unwrap().unwrap().routers, None);
        assert!(parse(&["--routers", "0"]).is_err());
    }

    #[test]
    fn errors_and_help() {
        assert!(parse(&["--help"]).unwrap().is_none());
        assert!(parse(&["--bogus"]).is_err());
        assert!(parse(&["--rows", "x"]).is_err());
        assert!(parse(&["--rows"]).is_err());
        assert!(parse(&["--reply-order", "sideways"]).is_err());
        assert!(parse(&["--ros", "7.1"]).is_err());
        assert!(parse(&["--tag-position", "middle"]).is_err());
        let a = parse(&["--ros", "6.48", "--tag-position=mixed"])
            .unwrap()
            .unwrap();
        assert_eq!(a.config.ros, RosVersion::V6_48);
        assert_eq!(a.config.tag_position, TagPosition::Mixed);
        let a = parse(&[
            "--max-sessions=3",
            "--login-timeout=2",
            "--idle-timeout=0",
            "--max-sentence=1000",
            "--max-queued=5000",
            "--max-running=2",
        ])
        .unwrap()
        .unwrap();
        let l = a.config.limits;
        assert_eq!(
            (l.max_sessions, l.max_sentence, l.max_queued_bytes),
            (3, 1000, 5000)
        );
        assert_eq!(l.login_timeout.as_secs(), 2);
        assert_eq!((l.idle_timeout, l.max_running), (None, 2));
        assert!(parse(&["--tls-cert", "a.pem"]).is_err());
    }

    #[test]
    fn tls_flags() {
        let tls = |v: &[&str]| parse(v).map(|a| a.unwrap().config.tls);
        assert_eq!(tls(&[]).unwrap(), None);
        let anon = tls(&["--tls-anonymous", "--tls-profile", "v6"])
            .unwrap()
            .unwrap();
        assert_eq!((anon.profile, anon.is_anonymous()), (TlsProfile::V6, true));
        assert_eq!(
            tls(&["--tls-anonymous"]).unwrap().unwrap().profile,
            TlsProfile::V7
        );
        for bad in [
            &["--tls-profile", "v8", "--tls-anonymous"][..],
            &["--tls-profile", "v6"],
            &["--tls-key", "k.pem"],
            &["--tls-anonymous", "--tls-profile", "terminator-tls13"],
            &["--tls-anonymous", "--tls-generate"],
            &[
                "--tls-anonymous",
                "--tls-cert",
                "c.pem",
                "--tls-key",
                "k.pem",
            ],
            &["--tls-cert-out", "c.pem", "--tls-anonymous"],
        ] {
            assert!(tls(bad).is_err(), "{bad:?}");
        }
        assert!(tls(&[
            "--tls-cert",
            "/nonexistent/c.pem",
            "--tls-key",
            "/nonexistent/k.pem"
        ])
        .unwrap_err()
        .contains("/nonexistent/c.pem"));
    }

    #[cfg(feature = "tls")]
    #[test]
    fn tls_generate() {
        let dir = std::env::temp_dir().join(format!("routeros-sim-flags-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("cert.pem");
        let a = parse(&[
            "--listen",
            "127.0.0.2:0",
            "--tls-generate",
            "--tls-cert-out",
            out.to_str().unwrap(),
            "--tls-profile=terminator-tls13",
        ])
        .unwrap()
        .unwrap();
        let tls = a.config.tls.unwrap();
        assert_eq!(tls.profile, TlsProfile::Terminator13);
        let cert = tls.certificate.unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), cert.cert_pem);
        let x = openssl::x509::X509::from_pem(cert.cert_pem.as_bytes()).unwrap();
        let ips: Vec<Vec<u8>> = x
            .subject_alt_names()
            .unwrap()
            .iter()
            .filter_map(|n| n.ipaddress().map(<[u8]>::to_vec))
            .collect();
        assert_eq!(ips, [vec![127, 0, 0, 1], vec![127, 0, 0, 2]]);
        let notice = tls_notice(&TlsConfig {
            profile: tls.profile,
            certificate: Some(cert.clone()),
        });
        assert_eq!(
            notice,
            format!(
                "tls profile=terminator-tls13 sha256={}",
                cert.fingerprint_sha256().unwrap()
            )
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
