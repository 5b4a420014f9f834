//! `routeros-sim`: run the RouterOS API simulator as a program.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use routeros_sim::{ReplyOrder, SimConfig, Simulator, TlsConfig};

const HELP: &str = "\
routeros-sim: a RouterOS API server simulator

USAGE:
    routeros-sim [OPTIONS]

The first line printed on stdout is the bound address (for example 127.0.0.1:40123).

OPTIONS:
    --listen ADDR            Address to listen on [default: 127.0.0.1:8728]; port 0 picks one
    --user NAME              User name that may log in [default: admin]
    --password PASS          That user's password [default: empty]
    --legacy-login           Only the pre-6.43 MD5 challenge login
    --empty                  RouterOS 7.18+: a print with no rows answers !empty then !done
    --rows N                 Rows in /ip/firewall/address-list [default: 16]
    --fragment N             Write replies in pieces of at most N bytes
    --delay-ms N             Wait N ms before each reply sentence of ordinary commands
    --disconnect-after-rows N
                             On a print, after N rows send half a sentence and close
    --oversize-word N        ether1's comment is a word of N bytes
    --non-utf8               ether2's comment is Windows-1252 text (not UTF-8)
    --fatal-after N          After N commands send !fatal and close
    --reply-order ORDER      documented | cancel-done-first | stream-done-first
    --tls-cert FILE          Serve API-SSL with this PEM certificate (needs --tls-key)
    --tls-key FILE           The PEM private key for --tls-cert
    -h, --help               Print this help
";

struct Args {
    listen: SocketAddr,
    config: SimConfig,
}

fn number<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, String> {
    v.parse()
        .map_err(|_| format!("{flag}: `{v}` is not a valid number"))
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut listen: SocketAddr = "127.0.0.1:8728".parse().map_err(|_| "bad default")?;
    let mut config = SimConfig::default();
    let mut cert: Option<String> = None;
    let mut key: Option<String> = None;
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
            "--tls-cert" => cert = Some(value("--tls-cert")?),
            "--tls-key" => key = Some(value("--tls-key")?),
            other => return Err(format!("unknown option `{other}` (try --help)")),
        }
    }
    match (cert, key) {
        (None, None) => {}
        (Some(c), Some(k)) => {
            let cert_pem =
                std::fs::read_to_string(&c).map_err(|e| format!("--tls-cert {c}: {e}"))?;
            let key_pem = std::fs::read_to_string(&k).map_err(|e| format!("--tls-key {k}: {e}"))?;
            config.tls = Some(TlsConfig { cert_pem, key_pem });
        }
        _ => return Err("--tls-cert and --tls-key go together".into()),
    }
    Ok(Some(Args { listen, config }))
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
    fn errors_and_help() {
        assert!(parse(&["--help"]).unwrap().is_none());
        assert!(parse(&["--bogus"]).is_err());
        assert!(parse(&["--rows", "x"]).is_err());
        assert!(parse(&["--rows"]).is_err());
        assert!(parse(&["--reply-order", "sideways"]).is_err());
        assert!(parse(&["--tls-cert", "a.pem"]).is_err());
    }
}
