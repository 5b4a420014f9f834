//! The command line: a small hand-written parser (the whole tool's start-up is measured, and a
//! general argument library costs more to start than everything else before the first
//! packet).

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

use routeros_tokio::Fingerprint;

/// Receive buffer by default: bounds the largest reply sentence (RouterOS sends words of up
/// to 64 KiB, e.g. `/tool/fetch output=user`). Allocated zeroed by the system, so the pages
/// a reply never reaches cost nothing.
pub(crate) const RX_BUFFER: usize = 1024 * 1024;

/// `--timeout` by default, in milliseconds.
pub(crate) const DEFAULT_TIMEOUT_MS: u64 = 10_000;

/// The environment variable the password is read from when `--password` is not given.
pub(crate) const PASSWORD_ENV: &str = "ROUTEROS_PASSWORD";

/// What the command line asks for.
#[derive(Debug)]
pub(crate) struct Args {
    /// Router to connect to; `None` runs against the built-in simulator.
    pub host: Option<String>,
    /// API port; `None` for the default of the TLS setting.
    pub port: Option<u16>,
    /// User name.
    pub user: String,
    /// Password (`--password`, else `ROUTEROS_PASSWORD`, else empty).
    pub password: Password,
    /// `--tls`.
    pub tls: bool,
    /// `--no-tls`.
    pub no_tls: bool,
    /// `--ca FILE`, any number of times.
    pub ca: Vec<PathBuf>,
    /// `--fingerprint SHA256`.
    pub fingerprint: Option<Fingerprint>,
    /// `--insecure-skip-verify`.
    pub insecure_skip_verify: bool,
    /// `--tls-anonymous`.
    pub tls_anonymous: bool,
    /// `--tls-backend openssl`.
    pub tls_openssl: bool,
    /// `--timeout MS`; 0 for none.
    pub timeout: u64,
    /// `--rx-buffer BYTES`.
    pub rx_buffer: usize,
    /// `--count`.
    pub count: bool,
    /// `--stream N`.
    pub stream: Option<u64>,
    /// The command's words, as given.
    pub words: Vec<OsString>,
}

/// A password: never shown by `Debug`.
#[derive(Clone, Default)]
pub(crate) struct Password(pub String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Why the command line did not give [`Args`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Usage {
    /// `--help`: print this and exit 0.
    Help,
    /// `--version`: print this and exit 0.
    Version,
    /// A mistake, with what is wrong.
    Error(String),
}

pub(crate) const HELP: &str = "\
Command-line client for the MikroTik RouterOS API

Usage: routeros [OPTIONS] [WORD]...

Arguments:
  [WORD]...  The command: its path, then attribute (=name=value), query (?name=value) and API
             (.proplist) words, passed on as they are

Options:
      --host <HOST>          Router to connect to (name or address). Without it, a simulator is
                             started in this process: with no WORDs a short demo runs, with
                             WORDs they run against the simulator
      --port <PORT>          API port [default: 8728, or 8729 with --tls]
      --user <USER>          User name to log in with [default: admin]
      --password <PASSWORD>  Password (empty if not given) [env: ROUTEROS_PASSWORD]
      --tls                  API-SSL: connect with TLS (automatic on port 8729)
      --no-tls               Plain TCP even on port 8729
      --ca <FILE>            Trust the CA certificate(s) in this PEM file instead of the
                             system's (implies --tls; may be repeated)
      --fingerprint <SHA256> Accept only the router certificate with this SHA-256 fingerprint
                             (hex, colons allowed), whoever issued it: for self-signed routers
                             (implies --tls)
      --insecure-skip-verify Do not verify the router's certificate at all. INSECURE: anyone on
                             the path can read the password (implies --tls; prints a warning)
      --tls-anonymous        Anonymous Diffie-Hellman, what api-ssl offers when it has no
                             certificate. INSECURE: nobody is authenticated (implies --tls;
                             prints a warning)
      --tls-backend <NAME>   TLS implementation: rustls, or openssl for RouterOS 6 (DHE-RSA
                             suites, TLS 1.0) [default: rustls]
      --timeout <MS>         Give up when connecting, logging in, or any wait for the router
                             takes longer than this many milliseconds (and when a --stream is
                             not over this long after its /cancel); 0 waits for ever
                             [default: 10000]
      --rx-buffer <BYTES>    Receive buffer in bytes: the largest reply sentence that can be
                             read [default: 1048576]
      --count                Print only the number of rows
      --stream <N>           Take N rows of a streaming command (monitor-traffic, ping, torch,
                             listen), print them, then cancel the command
  -h, --help                 Print help
  -V, --version              Print version

Options go before the command: from the first WORD on, everything is a word.

Examples:
  routeros                                       demo against the built-in simulator
  routeros /interface/print                      one command against the built-in simulator
  routeros --host 192.168.88.1 --user admin /interface/print ?type=ether =.proplist=name,mtu
  routeros --host 192.168.88.1 /ip/address/add =address=10.0.0.1/24 =interface=ether2
  routeros --host 192.168.88.1 --count /ip/firewall/address-list/print
  routeros --host 192.168.88.1 --stream 5 /interface/monitor-traffic =interface=ether1
  routeros --host 192.168.88.1 --port 8729 --fingerprint AB:CD:... /system/resource/print

Output: one JSON object per reply row, keys and values as strings exactly as the router sent
them (UTF-8, or Windows-1252 when the bytes are not UTF-8; a key sent twice appears once, with
the later value; control characters escaped); then {\"ret\": \"...\"} when the command
returned a value (such as the id made by an add).

API-SSL: port 8729 means TLS (or give --tls). The router's certificate is verified against the
system's CAs, or --ca FILE; a router with a self-signed certificate (the usual case) is pinned
with --fingerprint, which `openssl s_client -connect ROUTER:8729 </dev/null | openssl x509
-noout -fingerprint -sha256` shows. --insecure-skip-verify and --tls-anonymous (api-ssl
without a certificate) authenticate nobody and print a warning.

Exit status: 0 success; 1 the router answered with an error (printed on stderr with its
category); 2 no usable connection (refused, timed out, TLS refused, login failed, closed) or
bad usage.

Prefer ROUTEROS_PASSWORD over --password: command lines are visible to other local users.";

/// Options that take a value.
const WITH_VALUE: [&str; 10] = [
    "--host",
    "--port",
    "--user",
    "--password",
    "--ca",
    "--fingerprint",
    "--tls-backend",
    "--timeout",
    "--rx-buffer",
    "--stream",
];

fn number<T: std::str::FromStr>(option: &str, value: &str, what: &str) -> Result<T, Usage> {
    value
        .parse()
        .map_err(|_| Usage::Error(format!("{option}: `{value}` is not {what}")))
}

impl Args {
    /// Parses the process's command line, and `ROUTEROS_PASSWORD` when `--password` is not
    /// given.
    pub(crate) fn from_env() -> Result<Args, Usage> {
        let mut args = Self::parse_from(std::env::args_os())?;
        if !args.password_given {
            if let Some(p) = std::env::var_os(PASSWORD_ENV) {
                args.args.password = Password(
                    p.into_string()
                        .map_err(|_| Usage::Error(format!("{PASSWORD_ENV} is not valid UTF-8")))?,
                );
            }
        }
        Ok(args.args)
    }

    /// Parses `argv` (program name first) without looking at the environment.
    pub(crate) fn parse_from<I, S>(argv: I) -> Result<Parsed, Usage>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let mut args = Args {
            host: None,
            port: None,
            user: "admin".to_owned(),
            password: Password::default(),
            tls: false,
            no_tls: false,
            ca: Vec::new(),
            fingerprint: None,
            insecure_skip_verify: false,
            tls_anonymous: false,
            tls_openssl: false,
            timeout: DEFAULT_TIMEOUT_MS,
            rx_buffer: RX_BUFFER,
            count: false,
            stream: None,
            words: Vec::new(),
        };
        let mut password_given = false;
        let mut argv = argv.into_iter().map(Into::into).skip(1);
        while let Some(arg) = argv.next() {
            let Some(text) = arg.to_str().filter(|t| t.starts_with('-') && t.len() > 1) else {
                // The first word: it and everything after it is the command.
                args.words.push(arg);
                args.words.extend(argv);
                break;
            };
            let (option, inline) = match text.split_once('=') {
                Some((o, v)) if o.starts_with("--") => (o, Some(v.to_owned())),
                _ => (text, None),
            };
            let option = option.to_owned();
            let value = if WITH_VALUE.contains(&option.as_str()) {
                match inline {
                    Some(v) => v,
                    None => argv
                        .next()
                        .ok_or_else(|| Usage::Error(format!("{option} needs a value")))?
                        .into_string()
                        .map_err(|_| Usage::Error(format!("{option}: value is not UTF-8")))?,
                }
            } else if inline.is_some() {
                return Err(Usage::Error(format!("{option} takes no value")));
            } else {
                String::new()
            };
            match option.as_str() {
                "-h" | "--help" => return Err(Usage::Help),
                "-V" | "--version" => return Err(Usage::Version),
                "--host" => args.host = Some(value),
                "--port" => args.port = Some(number(&option, &value, "a port number")?),
                "--user" => args.user = value,
                "--password" => {
                    args.password = Password(value);
                    password_given = true;
                }
                "--tls" => args.tls = true,
                "--no-tls" => args.no_tls = true,
                "--ca" => args.ca.push(PathBuf::from(value)),
                "--fingerprint" => {
                    args.fingerprint = Some(
                        value
                            .parse()
                            .map_err(|e| Usage::Error(format!("--fingerprint: {e}")))?,
                    )
                }
                "--insecure-skip-verify" => args.insecure_skip_verify = true,
                "--tls-anonymous" => args.tls_anonymous = true,
                "--tls-backend" => {
                    args.tls_openssl = match value.as_str() {
                        "rustls" => false,
                        "openssl" => true,
                        _ => {
                            return Err(Usage::Error(format!(
                                "--tls-backend: `{value}` is not rustls or openssl"
                            )))
                        }
                    }
                }
                "--timeout" => args.timeout = number(&option, &value, "milliseconds")?,
                "--rx-buffer" => args.rx_buffer = number(&option, &value, "a number of bytes")?,
                "--count" => args.count = true,
                "--stream" => args.stream = Some(number(&option, &value, "a number of rows")?),
                other => {
                    return Err(Usage::Error(format!(
                        "unknown option {other} (options go before the command; see --help)"
                    )))
                }
            }
        }
        args.check()?;
        Ok(Parsed {
            args,
            password_given,
        })
    }

    /// Options that cannot go together.
    fn check(&self) -> Result<(), Usage> {
        let pairs = [
            (self.count, self.stream.is_some(), "--count", "--stream"),
            (self.tls, self.no_tls, "--tls", "--no-tls"),
            (
                self.fingerprint.is_some(),
                !self.ca.is_empty(),
                "--fingerprint",
                "--ca",
            ),
            (
                self.fingerprint.is_some(),
                self.insecure_skip_verify,
                "--fingerprint",
                "--insecure-skip-verify",
            ),
            (
                self.fingerprint.is_some(),
                self.tls_anonymous,
                "--fingerprint",
                "--tls-anonymous",
            ),
            (
                self.insecure_skip_verify,
                !self.ca.is_empty(),
                "--insecure-skip-verify",
                "--ca",
            ),
            (
                self.insecure_skip_verify,
                self.tls_anonymous,
                "--insecure-skip-verify",
                "--tls-anonymous",
            ),
            (
                self.tls_anonymous,
                !self.ca.is_empty(),
                "--tls-anonymous",
                "--ca",
            ),
        ];
        for (a, b, first, second) in pairs {
            if a && b {
                return Err(Usage::Error(format!(
                    "{first} and {second} cannot be used together"
                )));
            }
        }
        Ok(())
    }
}

/// [`Args`] and whether `--password` was on the command line.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub args: Args,
    pub password_given: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(argv: &[&str]) -> Result<Args, Usage> {
        let mut all = vec!["routeros"];
        all.extend_from_slice(argv);
        Args::parse_from(all).map(|p| p.args)
    }

    #[test]
    fn defaults() {
        let args = parse(&[]).unwrap();
        assert_eq!(args.host, None);
        assert_eq!(args.user, "admin");
        assert_eq!(args.timeout, DEFAULT_TIMEOUT_MS);
        assert_eq!(args.rx_buffer, RX_BUFFER);
        assert!(args.words.is_empty());
    }

    #[test]
    fn values_in_both_forms() {
        let args = parse(&[
            "--host=r1",
            "--port",
            "8729",
            "--ca",
            "a.pem",
            "--ca=b.pem",
            "--timeout=0",
            "--rx-buffer",
            "4096",
            "--stream",
            "3",
            "/ping",
        ])
        .unwrap();
        assert_eq!(args.host.as_deref(), Some("r1"));
        assert_eq!(args.port, Some(8729));
        assert_eq!(args.ca, [PathBuf::from("a.pem"), PathBuf::from("b.pem")]);
        assert_eq!(
            (args.timeout, args.rx_buffer, args.stream),
            (0, 4096, Some(3))
        );
        assert_eq!(args.words, ["/ping"]);
    }

    #[test]
    fn mistakes_are_usage_errors() {
        for (argv, needle) in [
            (&["--port", "x"][..], "not a port number"),
            (&["--port"][..], "needs a value"),
            (&["--frobnicate"][..], "unknown option --frobnicate"),
            (&["--count=yes"][..], "takes no value"),
            (&["--count", "--stream", "1"][..], "cannot be used together"),
            (&["--tls", "--no-tls"][..], "cannot be used together"),
            (&["--fingerprint", "12:34"][..], "64 hexadecimal digits"),
            (&["--tls-backend", "gnutls"][..], "not rustls or openssl"),
            (
                &["--tls-anonymous", "--ca", "x"][..],
                "cannot be used together",
            ),
        ] {
            match parse(argv) {
                Err(Usage::Error(e)) => assert!(e.contains(needle), "{argv:?}: {e}"),
                other => panic!("{argv:?}: {other:?}"),
            }
        }
        assert_eq!(parse(&["--help"]).unwrap_err(), Usage::Help);
        assert_eq!(parse(&["-V"]).unwrap_err(), Usage::Version);
    }

    #[test]
    fn words_keep_their_bytes() {
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStringExt;
            let word = OsString::from_vec(b"=comment=Caf\xe9".to_vec());
            let argv = vec![
                OsString::from("routeros"),
                OsString::from("/x"),
                word.clone(),
            ];
            let args = Args::parse_from(argv).unwrap().args;
            assert_eq!(args.words, [OsString::from("/x"), word]);
        }
    }

    #[test]
    fn help_names_every_option() {
        for option in WITH_VALUE.iter().chain(&[
            "--tls",
            "--no-tls",
            "--insecure-skip-verify",
            "--tls-anonymous",
            "--count",
            "--help",
            "--version",
            PASSWORD_ENV,
        ]) {
            assert!(HELP.contains(option), "{option}");
        }
    }
}
