//! `routeros-exporter`: a Prometheus exporter for fleets of RouterOS routers.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use routeros_exporter::config::Config;
use routeros_exporter::{selected, Shard};

const HELP: &str = "\
routeros-exporter: Prometheus exporter for fleets of MikroTik RouterOS routers

USAGE:
    routeros-exporter --config FILE [OPTIONS]

Polls every configured router over one persistent API connection each and serves
/metrics (every router) and /probe?target=NAME (one router). The first line on stdout is
the bound HTTP address.

OPTIONS:
    -c, --config FILE     The TOML configuration (see the README)
    --listen ADDR         HTTP address, overriding the configuration's `listen`
    --shard I/N           Poll only the routers whose name hashes to I modulo N (0 <= I < N)
    --once                Collect every router once and exit (0 if all were up, 1 if not)
    --json                With --once: print one JSON object per router, one a line
    --check               Check the configuration, print the routers this shard polls, exit
    -h, --help            Print this help
";

#[derive(Debug, Default)]
struct Args {
    config: Option<PathBuf>,
    listen: Option<SocketAddr>,
    shard: Option<Shard>,
    once: bool,
    json: bool,
    check: bool,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut a = Args::default();
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
            "-c" | "--config" => a.config = Some(PathBuf::from(value("--config")?)),
            "--listen" => {
                let v = value("--listen")?;
                a.listen = Some(v.parse().map_err(|_| {
                    format!(
                        "--listen: `{}` is not an address like 0.0.0.0:9436",
                        v.escape_debug()
                    )
                })?);
            }
            "--shard" => {
                a.shard = Some(
                    value("--shard")?
                        .parse()
                        .map_err(|e| format!("--shard: {e}"))?,
                )
            }
            "--once" => a.once = true,
            "--json" => a.json = true,
            "--check" => a.check = true,
            other => {
                return Err(format!(
                    "unknown option `{}` (try --help)",
                    other.escape_debug()
                ))
            }
        }
    }
    if a.config.is_none() {
        return Err("--config FILE is required (try --help)".into());
    }
    if a.json && !a.once {
        return Err("--json goes with --once".into());
    }
    Ok(Some(a))
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(a)) => a,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("routeros-exporter: {e}");
            return ExitCode::from(2);
        }
    };
    let path = args.config.clone().unwrap_or_default();
    let mut config = match Config::load(&path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("routeros-exporter: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(l) = args.listen {
        config.listen = l;
    }
    let routers = selected(&config, args.shard);
    if args.check {
        let mut out = std::io::stdout().lock();
        for r in &routers {
            let _ = writeln!(out, "{}", r.name.escape_debug());
        }
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("routeros-exporter: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let local = tokio::task::LocalSet::new();
    if args.once {
        let lines = local.block_on(
            &runtime,
            routeros_exporter::collect_once_json(&config, &routers),
        );
        let mut out = std::io::stdout().lock();
        let mut all_up = true;
        for line in &lines {
            all_up &= line["up"].as_bool().unwrap_or(false);
            if args.json {
                let _ = writeln!(out, "{line}");
            } else {
                let _ = writeln!(
                    out,
                    "{} {}",
                    line["router"].as_str().unwrap_or_default().escape_debug(),
                    if line["up"].as_bool().unwrap_or(false) {
                        "up"
                    } else {
                        "down"
                    }
                );
            }
        }
        let _ = out.flush();
        return if all_up {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        };
    }
    local.block_on(&runtime, async move {
        let listener = match tokio::net::TcpListener::bind(config.listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("routeros-exporter: cannot listen on {}: {e}", config.listen);
                return ExitCode::FAILURE;
            }
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "{}",
            listener
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_default()
        );
        let _ = out.flush();
        drop(out);
        eprintln!(
            "routeros-exporter: polling {} routers every {:?} with {} collectors",
            routers.len(),
            config.timing.interval,
            config.collectors.len()
        );
        tokio::select! {
            r = routeros_exporter::serve(&config, routers, listener) => {
                if let Err(e) = r {
                    eprintln!("routeros-exporter: {e}");
                    return ExitCode::FAILURE;
                }
                ExitCode::SUCCESS
            }
            _ = shutdown() => ExitCode::SUCCESS,
        }
    })
}

/// Ctrl-C or SIGTERM.
async fn shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let (Ok(mut i), Ok(mut t)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            tokio::select! {
                _ = i.recv() => {}
                _ = t.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
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
            "-c",
            "x.toml",
            "--shard=1/4",
            "--once",
            "--json",
            "--listen",
            "127.0.0.1:0",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(a.shard, Some(Shard { index: 1, count: 4 }));
        assert!(a.once && a.json);
        assert!(parse(&["--help"]).unwrap().is_none());
        assert!(parse(&[]).is_err());
        assert!(parse(&["-c", "x", "--json"]).is_err());
        assert!(parse(&["-c", "x", "--shard", "4/4"]).is_err());
        assert!(parse(&["-c", "x", "--bogus"]).is_err());
    }
}
