//! `routeros`: run RouterOS API commands from the shell and print the rows as JSON lines, or
//! (with no `--host`) watch a short demo against the built-in simulator.
//!
//! Exit status: 0 success; 1 the router answered with an error (`!trap`) or the command
//! failed on this side; 2 no usable connection (refused, timed out, login failed, closed,
//! `!fatal`) or bad usage.

mod args;
mod demo;
mod escape;
mod output;

use std::ffi::OsString;
use std::fmt;
use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use routeros_core::{Buffer, Error, TrapCategory};
use routeros_tokio::{Config, TlsBackend, TlsError, TlsMode, Warnings};

use args::{Args, Usage};

use escape::escape_text;
use output::Output;

/// The client connection this tool uses.
pub(crate) type Connection = routeros_tokio::Client;

/// Why the tool stopped early.
#[derive(Debug)]
pub(crate) enum Failure {
    /// No logged-in connection could be made (TCP, TLS, login, or a time bound).
    Connect(routeros_tokio::Error),
    /// The built-in simulator could not start.
    Simulator(std::io::Error),
    /// A stream was not over `ms` after its `/cancel`.
    CancelIgnored(u64),
    /// Nothing came from the router for `--timeout` milliseconds, while doing this.
    TimedOut(u64, &'static str),
    /// The client reported an error (a trap, a closed connection...).
    Router(Error),
    /// The router answered with a trap, and then the connection ended before the command's
    /// `!done`.
    TrapThenClosed(Box<(Error, Error)>),
    /// A reply sentence did not fit the receive buffer of this many bytes.
    RxBuffer(usize),
    /// Writing to stdout failed.
    Output(std::io::Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Self::Router(e)
    }
}

impl Failure {
    /// The exit status: 1 for errors of the command itself, 2 for connection trouble.
    fn exit_code(&self) -> u8 {
        match self {
            Self::Router(Error::AuthFailed(_)) => 2,
            Self::Router(e) if e.is_fatal() => 2,
            Self::Router(_) | Self::Output(_) | Self::RxBuffer(_) => 1,
            Self::Connect(_)
            | Self::Simulator(_)
            | Self::CancelIgnored(_)
            | Self::TimedOut(..)
            | Self::TrapThenClosed(..) => 2,
        }
    }
}

/// Writes a router error the way this tool shows it.
fn write_router_error(f: &mut fmt::Formatter<'_>, e: &Error) -> fmt::Result {
    match e {
        Error::Trap(trap) => {
            write!(f, "router error: {}", trap.message)?;
            match trap.category {
                Some(c) => write!(f, " (category {}: {})", c.code(), category_name(c))?,
                None => f.write_str(" (no category)")?,
            }
            if trap.more > 0 {
                write!(f, " (and {} more errors)", trap.more)?;
            }
            Ok(())
        }
        Error::Closed => f.write_str("connection closed by the router"),
        e => write!(f, "{e}"),
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect(routeros_tokio::Error::Tls(e)) => {
                write!(f, "TLS handshake failed: {}", tls_advice(e))
            }
            Self::Connect(routeros_tokio::Error::Login(e))
                if !matches!(e, Error::AuthFailed(_)) =>
            {
                f.write_str("login failed: ")?;
                write_router_error(f, e)
            }
            Self::Connect(e) => write!(f, "{e}"),
            Self::Simulator(e) => write!(f, "cannot start the built-in simulator: {e}"),
            Self::CancelIgnored(ms) => write!(
                f,
                "the router did not end the stream within {ms} ms of its /cancel (see --timeout)"
            ),
            Self::TimedOut(ms, stage) => write!(
                f,
                "timed out after {ms} ms {stage} (--timeout; 0 waits for ever)"
            ),
            Self::Router(e) => write_router_error(f, e),
            Self::TrapThenClosed(errors) => {
                let (trap, end) = &**errors;
                write_router_error(f, trap)?;
                f.write_str("; then the connection ended before the command's end: ")?;
                write_router_error(f, end)
            }
            Self::RxBuffer(size) => write!(
                f,
                "a reply sentence was larger than the receive buffer ({size} bytes) and was \
                 skipped: run again with a larger --rx-buffer (for example --rx-buffer {})",
                size.saturating_mul(4).max(4 * 1024 * 1024)
            ),
            Self::Output(e) => write!(f, "cannot write the output: {e}"),
        }
    }
}

/// A TLS failure, with what to do in this tool's terms.
fn tls_advice(e: &TlsError) -> String {
    match e {
        TlsError::UnknownCa => "the router's certificate is not signed by a trusted CA: pass \
            --ca FILE with the CA that signed it, or --fingerprint SHA256 to pin the router's \
            own (self-signed) certificate"
            .to_owned(),
        TlsError::FingerprintMismatch { seen } => format!(
            "the router's certificate has SHA-256 fingerprint {seen}, not the one given with \
             --fingerprint: if its certificate was changed on purpose, pin the new one; \
             otherwise someone may be in the middle"
        ),
        TlsError::NameMismatch => "the router's certificate is not valid for this host name: \
            use the name in the certificate as --host, or pin it with --fingerprint SHA256"
            .to_owned(),
        TlsError::Expired => "the router's certificate has expired or is not valid yet: check \
            the clocks, renew it, or pin it with --fingerprint SHA256"
            .to_owned(),
        TlsError::ProtocolVersion(detail) => format!(
            "no TLS version in common ({detail}): the router speaks TLS 1.2 at most (RouterOS 6 \
             also TLS 1.0: try --tls-backend openssl)"
        ),
        TlsError::NoCommonCipher(detail) => format!(
            "no cipher suite in common ({detail}): if the router's api-ssl has no certificate it \
             offers only anonymous DH (--tls-anonymous, insecure; better give api-ssl a \
             certificate and use --fingerprint); RouterOS 6 needs --tls-backend openssl"
        ),
        TlsError::NotTls(detail) => format!(
            "the router does not speak TLS on this port ({detail}): api-ssl is port 8729; the \
             plain API (8728) needs no --tls"
        ),
        other => other.to_string(),
    }
}

/// What a trap category means, as RouterOS documents it.
fn category_name(category: TrapCategory) -> &'static str {
    match category {
        TrapCategory::MissingItem => "missing item or command",
        TrapCategory::ArgumentValue => "argument value failure",
        TrapCategory::Interrupted => "execution interrupted",
        TrapCategory::Scripting => "scripting failure",
        TrapCategory::General => "general failure",
        TrapCategory::Api => "API failure",
        TrapCategory::Tty => "TTY failure",
        TrapCategory::Return => "value from :return",
        TrapCategory::Other(_) => "unknown category",
    }
}

/// Prints a security warning of the connector on stderr.
fn warn(warning: routeros_tokio::Warning) {
    eprintln!("routeros: warning: {warning}");
}

/// The `--timeout` bound, `None` for 0.
fn bound(ms: u64) -> Option<Duration> {
    (ms > 0).then(|| Duration::from_millis(ms))
}

/// The connector's settings for these arguments and this host and port.
fn config(args: &Args, host: &str, port: Option<u16>, tx_size: usize) -> Config {
    let timeout = bound(args.timeout);
    let mut config = Config::new()
        .host(host)
        .user(args.user.as_str())
        .password(args.password.0.as_str())
        .connect_timeout(timeout)
        .login_timeout(timeout)
        .command_timeout(timeout)
        .rx_buffer(args.rx_buffer)
        .tx_buffer(tx_size)
        .warnings(Warnings::Call(warn));
    if let Some(port) = port {
        config = config.port(port);
    }
    let tls_option = !args.ca.is_empty()
        || args.fingerprint.is_some()
        || args.insecure_skip_verify
        || args.tls_anonymous;
    if args.no_tls {
        config = config.tls(TlsMode::Disable);
    } else if args.tls || tls_option {
        config = config.tls(TlsMode::Require);
    }
    for ca in &args.ca {
        config = config.ca_file(ca);
    }
    if let Some(fp) = args.fingerprint {
        config = config.fingerprint(fp);
    }
    if args.insecure_skip_verify {
        config = config.insecure_skip_verify();
    }
    if args.tls_anonymous {
        config = config.anonymous_dh();
    }
    if args.tls_openssl {
        config = config.backend(TlsBackend::OpenSsl);
    }
    config
}

/// Connects and logs in.
pub(crate) async fn connect(config: &Config) -> Result<Connection, Failure> {
    routeros_tokio::connect(config)
        .await
        .map_err(Failure::Connect)
}

/// How to run the command given on the command line.
#[derive(Debug, Clone, Copy)]
enum Mode {
    /// Print every row, then the `=ret=` if any.
    Rows,
    /// Print only the number of rows.
    Count,
    /// Print this many rows, then cancel.
    Stream(u64),
}

/// Runs `words` as one command and prints its reply.
async fn execute(
    client: &mut Connection,
    words: &[Vec<u8>],
    mode: Mode,
    out: &mut Output,
    cancel_bound: Option<Duration>,
    rx_size: usize,
) -> Result<(), Failure> {
    let mut response = client.command(words).await?;
    let mut rows = 0u64;
    let mut first_error = None;
    let cancel = |response| async move {
        let ms = cancel_bound.map_or(0, |d| d.as_millis() as u64);
        match cancel_bound {
            Some(d) => tokio::time::timeout(d, routeros_core::client::Response::cancel(response))
                .await
                .unwrap_or(Err(Error::Timeout))
                .map_err(|e| match e {
                    Error::Timeout => Failure::CancelIgnored(ms),
                    e => Failure::Router(e),
                }),
            None => response.cancel().await.map_err(Failure::Router),
        }
    };
    if let Mode::Stream(0) = mode {
        return cancel(response).await;
    }
    while let Some(item) = response.next().await {
        match item {
            Ok(row) => {
                rows += 1;
                match mode {
                    Mode::Count => {}
                    Mode::Rows => out.row(&row)?,
                    Mode::Stream(n) => {
                        out.row(&row)?;
                        out.flush()?;
                        if rows >= n {
                            return cancel(response).await;
                        }
                    }
                }
            }
            Err(e) if e.is_fatal() => {
                // A trap that arrived before the connection ended comes after this error.
                let trap = match response.next().await {
                    Some(Err(trap @ Error::Trap(_))) => Some(trap),
                    _ => first_error.filter(|e| matches!(e, Error::Trap(_))),
                };
                return Err(match trap {
                    Some(trap) => Failure::TrapThenClosed(Box::new((trap, e))),
                    None => Failure::Router(e),
                });
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    let done = response.finish().await?;
    match first_error {
        Some(Error::BufferTooSmall(Buffer::Receive)) => return Err(Failure::RxBuffer(rx_size)),
        Some(e) => return Err(e.into()),
        None => {}
    }
    match mode {
        Mode::Count => out.line(&rows.to_string())?,
        Mode::Rows | Mode::Stream(_) => {
            if let Some(ret) = done.ret() {
                out.ret(ret)?;
            }
        }
    }
    Ok(())
}

/// The words as bytes: RouterOS words are bytes, and a shell may pass non-UTF-8 ones.
fn word_bytes(words: &[OsString]) -> Vec<Vec<u8>> {
    words
        .iter()
        .map(|w| {
            #[cfg(unix)]
            {
                std::os::unix::ffi::OsStrExt::as_bytes(w.as_os_str()).to_vec()
            }
            #[cfg(not(unix))]
            {
                w.to_string_lossy().into_owned().into_bytes()
            }
        })
        .collect()
}

/// Send buffer large enough for the words, their length prefixes and the tag.
fn tx_size(words: &[Vec<u8>]) -> usize {
    words.iter().map(|w| w.len() + 5).sum::<usize>() + 64
}

async fn run(args: &Args, sim: Option<SocketAddr>, out: &mut Output) -> Result<(), Failure> {
    let words = word_bytes(&args.words);
    let (host, port) = match (&args.host, sim) {
        (Some(host), _) => (host.clone(), args.port),
        (None, Some(addr)) => (addr.ip().to_string(), Some(addr.port())),
        (None, None) => return Err(Failure::Simulator(std::io::ErrorKind::NotFound.into())),
    };
    if args.host.is_none() && words.is_empty() {
        let config = config(args, &host, port, 512);
        return demo::run(&config, out).await;
    }
    let config = config(args, &host, port, tx_size(&words));
    let mut client = connect(&config)
        .await
        .map_err(|e| timed_out(e, args.timeout))?;
    let mode = match (args.count, args.stream) {
        (true, _) => Mode::Count,
        (false, Some(n)) => Mode::Stream(n),
        (false, None) => Mode::Rows,
    };
    execute(
        &mut client,
        &words,
        mode,
        out,
        bound(args.timeout),
        args.rx_buffer,
    )
    .await
    .map_err(|e| timed_out(e, args.timeout))
}

/// Names a time bound that passed: the connector's stages, and a wait for a reply that the
/// connection's per-wait bound ended.
fn timed_out(failure: Failure, ms: u64) -> Failure {
    use routeros_tokio::Stage;
    match failure {
        Failure::Connect(routeros_tokio::Error::Timeout(stage)) => Failure::TimedOut(
            ms,
            match stage {
                Stage::Connect => "connecting",
                Stage::Tls => "in the TLS handshake",
                Stage::Login => "logging in",
                _ => "connecting",
            },
        ),
        Failure::Router(Error::Io(kind)) if format!("{kind:?}") == "TimedOut" => {
            Failure::TimedOut(ms, "waiting for the router's reply")
        }
        other => other,
    }
}

fn main() -> ExitCode {
    let args = match Args::from_env() {
        Ok(args) => args,
        Err(Usage::Help) => {
            println!("{}", args::HELP);
            return ExitCode::SUCCESS;
        }
        Err(Usage::Version) => {
            println!("routeros {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(Usage::Error(e)) => {
            let _ = writeln!(std::io::stderr(), "routeros: {e}");
            return ExitCode::from(2);
        }
    };
    if args.host.is_some() && args.words.is_empty() {
        eprintln!("routeros: no command given (for example /system/identity/print); see --help");
        return ExitCode::from(2);
    }
    // Without --host, a simulator runs on its own thread, accepting the given credentials.
    let sim = match args.host {
        Some(_) => None,
        None => match demo::simulator(&args.user, &args.password.0) {
            Ok(sim) => Some(sim),
            Err(e) => return report(Failure::Simulator(e)),
        },
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return report(Failure::Output(e)),
    };
    let mut out = Output::stdout();
    let result = runtime.block_on(run(&args, sim.as_ref().map(|s| s.addr()), &mut out));
    drop(runtime);
    if let Some(sim) = sim {
        sim.shutdown();
    }
    let flushed = out.flush();
    match result.and(flushed) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report(e),
    }
}

/// Prints the failure on stderr, router-controlled text escaped, and gives the exit status.
/// A closed stdout (`| head`) is not an error worth a message.
fn report(failure: Failure) -> ExitCode {
    if let Failure::Output(e) = &failure {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return ExitCode::SUCCESS;
        }
    }
    eprintln!("routeros: {}", escape_text(&failure.to_string()));
    ExitCode::from(failure.exit_code())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses a command line without the environment.
    fn parse<const N: usize>(argv: [&str; N]) -> Args {
        Args::parse_from(argv).expect("valid command line").args
    }

    #[test]
    fn debug_never_shows_the_password() {
        let args = parse([
            "routeros",
            "--host",
            "h",
            "--password",
            "hunter2",
            "/system/identity/print",
        ]);
        assert_eq!(args.password.0, "hunter2");
        assert!(!format!("{args:?}").contains("hunter2"));
    }

    #[test]
    fn command_words_pass_through() {
        let args = parse([
            "routeros",
            "--host",
            "h",
            "/interface/print",
            "?type=ether",
            "?-disabled",
            "=.proplist=name,mtu",
            "--not-an-option",
        ]);
        let words = word_bytes(&args.words);
        assert_eq!(
            words,
            [
                &b"/interface/print"[..],
                b"?type=ether",
                b"?-disabled",
                b"=.proplist=name,mtu",
                b"--not-an-option"
            ]
        );
    }

    #[test]
    fn exit_codes() {
        let trap = Error::Trap(routeros_core::Trap {
            category: Some(TrapCategory::MissingItem),
            message: "no such item".try_into().unwrap(),
            more: 0,
        });
        let failure = Failure::Router(trap);
        assert_eq!(failure.exit_code(), 1);
        assert_eq!(
            failure.to_string(),
            "router error: no such item (category 0: missing item or command)"
        );
        assert_eq!(Failure::Router(Error::Closed).exit_code(), 2);
        assert_eq!(Failure::CancelIgnored(5).exit_code(), 2);
        assert_eq!(
            Failure::Router(Error::AuthFailed("bad".try_into().unwrap())).exit_code(),
            2
        );
    }

    #[test]
    fn port_8729_means_tls_and_tls_options_imply_it() {
        let parse = |extra: &[&str]| {
            let mut argv = vec!["routeros", "--host", "h"];
            argv.extend_from_slice(extra);
            argv.push("/x");
            let args = Args::parse_from(argv).unwrap().args;
            let config = config(&args, "h", args.port, 64);
            (config.uses_tls(), config.get_port())
        };
        assert_eq!(parse(&[]), (false, 8728));
        assert_eq!(parse(&["--port", "8729"]), (true, 8729));
        assert_eq!(parse(&["--port", "8729", "--no-tls"]), (false, 8729));
        assert_eq!(parse(&["--tls"]), (true, 8729));
        assert_eq!(parse(&["--tls", "--port", "9000"]), (true, 9000));
        let fp = "00".repeat(32);
        assert_eq!(parse(&["--fingerprint", &fp]), (true, 8729));
        assert_eq!(parse(&["--insecure-skip-verify"]), (true, 8729));
        assert_eq!(parse(&["--tls-anonymous"]), (true, 8729));
        assert_eq!(parse(&["--ca", "x.pem"]), (true, 8729));
    }

    #[test]
    fn default_timeout_bounds_every_wait() {
        let args = parse(["routeros", "--host", "h", "/x"]);
        assert_eq!(args.timeout, 10_000);
        assert_eq!(bound(args.timeout), Some(Duration::from_secs(10)));
        assert_eq!(bound(0), None);
    }

    #[test]
    fn tx_buffer_fits_the_words() {
        use routeros_core::{wire::SentenceEncoder, Request};
        let words = vec![b"/x".to_vec(), vec![b'a'; 70_000], vec![b'b'; 200]];
        let mut buf = vec![0u8; tx_size(&words)];
        let mut encoder = SentenceEncoder::new(&mut buf);
        words.as_slice().encode(&mut encoder).unwrap();
        encoder.api_attribute("tag", b"4294967295").unwrap();
        assert!(encoder.finish().is_ok());
    }
}
