//! `routeros`: run RouterOS API commands from the shell and print the rows as JSON lines, or
//! (with no `--host`) watch a short demo against the built-in simulator.
//!
//! Exit status: 0 success; 1 the router answered with an error (`!trap`) or the command
//! failed on this side; 2 no usable connection (refused, timed out, login failed, closed,
//! `!fatal`) or bad usage.

mod demo;
mod output;

use std::ffi::OsString;
use std::fmt;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

use clap::Parser;
use embedded_io_adapters::tokio_1::FromTokio;
use routeros_core::{Client, Error, TrapCategory};
use routeros_sim::{SimConfig, Simulator};
use tokio::net::TcpStream;

use output::Output;

/// Receive buffer: bounds the largest reply sentence (RouterOS sends words of up to 64 KiB,
/// e.g. `/tool/fetch output=user`). Allocated zeroed, so untouched pages cost nothing.
const RX_BUFFER: usize = 1024 * 1024;

/// The client connection this tool uses.
pub(crate) type Connection = Client<FromTokio<TcpStream>, Vec<u8>>;

const EXAMPLES: &str = "\
Examples:
  routeros                                       demo against the built-in simulator
  routeros /interface/print                      one command against the built-in simulator
  routeros --host 192.168.88.1 --user admin /interface/print ?type=ether =.proplist=name,mtu
  routeros --host 192.168.88.1 /ip/address/add =address=10.0.0.1/24 =interface=ether2
  routeros --host 192.168.88.1 --count /ip/firewall/address-list/print
  routeros --host 192.168.88.1 --stream 5 /interface/monitor-traffic =interface=ether1

Output: one JSON object per reply row, keys and values as strings exactly as the router sent
them (UTF-8, or Windows-1252 when the bytes are not UTF-8); then {\"ret\": \"...\"} when the
command returned a value (such as the id made by an add).

Exit status: 0 success; 1 the router answered with an error (printed on stderr with its
category); 2 no usable connection (refused, timed out, login failed, closed) or bad usage.

Prefer ROUTEROS_PASSWORD over --password: command lines are visible to other local users.";

/// Command-line client for the MikroTik RouterOS API.
#[derive(Parser, Debug)]
#[command(name = "routeros", version, about, after_help = EXAMPLES)]
struct Args {
    /// Router to connect to (name or address). Without it, a simulator is started in this
    /// process: with no WORDs a short demo runs, with WORDs they run against the simulator.
    #[arg(long, value_name = "HOST")]
    host: Option<String>,

    /// API port.
    #[arg(long, value_name = "PORT", default_value_t = 8728)]
    port: u16,

    /// User name to log in with.
    #[arg(long, value_name = "USER", default_value = "admin")]
    user: String,

    /// Password (empty if not given).
    #[arg(
        long,
        value_name = "PASSWORD",
        env = "ROUTEROS_PASSWORD",
        hide_env_values = true,
        default_value = "",
        hide_default_value = true
    )]
    password: Password,

    /// Give up after this many milliseconds (connect, login and the whole command).
    #[arg(long, value_name = "MS")]
    timeout: Option<u64>,

    /// Print only the number of rows.
    #[arg(long, conflicts_with = "stream")]
    count: bool,

    /// Take N rows of a streaming command (monitor-traffic, ping, torch, listen), print
    /// them, then cancel the command.
    #[arg(long, value_name = "N")]
    stream: Option<u64>,

    /// The command: its path, then attribute (=name=value), query (?name=value) and API
    /// (.proplist) words, passed on as they are.
    #[arg(
        value_name = "WORD",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    words: Vec<OsString>,
}

/// A password: never shown by `Debug`.
#[derive(Clone, Default)]
struct Password(String);

impl FromStr for Password {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_string()))
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Why the tool stopped early.
#[derive(Debug)]
pub(crate) enum Failure {
    /// No TCP connection could be made.
    Connect {
        target: String,
        source: std::io::Error,
    },
    /// The built-in simulator could not start.
    Simulator(std::io::Error),
    /// `--timeout` passed.
    TimedOut(u64),
    /// The client reported an error (a trap, a failed login, a closed connection...).
    Router(Error),
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
            Self::Router(_) | Self::Output(_) => 1,
            Self::Connect { .. } | Self::Simulator(_) | Self::TimedOut(_) => 2,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect { target, source } => write!(f, "cannot connect to {target}: {source}"),
            Self::Simulator(e) => write!(f, "cannot start the built-in simulator: {e}"),
            Self::TimedOut(ms) => write!(f, "timed out after {ms} ms"),
            Self::Router(Error::Trap(trap)) => {
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
            Self::Router(Error::Closed) => f.write_str("connection closed by the router"),
            Self::Router(e) => write!(f, "{e}"),
            Self::Output(e) => write!(f, "cannot write the output: {e}"),
        }
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

/// Connects with TCP_NODELAY and logs in.
pub(crate) async fn connect(
    host: &str,
    port: u16,
    user: &str,
    password: &str,
    tx_size: usize,
) -> Result<Connection, Failure> {
    let target = match host.contains(':') {
        true => format!("[{host}]:{port}"),
        false => format!("{host}:{port}"),
    };
    let connect_error = |source| Failure::Connect {
        target: target.clone(),
        source,
    };
    let stream = TcpStream::connect((host, port))
        .await
        .map_err(connect_error)?;
    stream.set_nodelay(true).map_err(connect_error)?;
    let mut client = Client::new(
        FromTokio::new(stream),
        vec![0u8; RX_BUFFER],
        vec![0u8; tx_size],
    );
    client.login(user, password).await?;
    Ok(client)
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
) -> Result<(), Failure> {
    let mut response = client.command(words).await?;
    let mut rows = 0u64;
    let mut first_error = None;
    if let Mode::Stream(0) = mode {
        response.cancel().await?;
        return Ok(());
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
                            response.cancel().await?;
                            return Ok(());
                        }
                    }
                }
            }
            Err(e) if e.is_fatal() => return Err(e.into()),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    let done = response.finish().await?;
    if let Some(e) = first_error {
        return Err(e.into());
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
        (None, Some(addr)) => (addr.ip().to_string(), addr.port()),
        (None, None) => return Err(Failure::Simulator(std::io::ErrorKind::NotFound.into())),
    };
    if args.host.is_none() && words.is_empty() {
        return demo::run(&host, port, &args.user, &args.password.0, out).await;
    }
    let mut client = connect(&host, port, &args.user, &args.password.0, tx_size(&words)).await?;
    let mode = match (args.count, args.stream) {
        (true, _) => Mode::Count,
        (false, Some(n)) => Mode::Stream(n),
        (false, None) => Mode::Rows,
    };
    execute(&mut client, &words, mode, out).await
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.host.is_some() && args.words.is_empty() {
        eprintln!("routeros: no command given (for example /system/identity/print); see --help");
        return ExitCode::from(2);
    }
    // Without --host, a simulator runs on its own thread, accepting the given credentials.
    let sim = match args.host {
        Some(_) => None,
        None => {
            let config = SimConfig {
                username: args.user.clone(),
                password: args.password.0.clone(),
                ..SimConfig::default()
            };
            match Simulator::spawn(config) {
                Ok(sim) => Some(sim),
                Err(e) => return report(Failure::Simulator(e)),
            }
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return report(Failure::Output(e)),
    };
    let mut out = Output::stdout();
    let result = runtime.block_on(async {
        let work = run(&args, sim.as_ref().map(|s| s.addr()), &mut out);
        match args.timeout {
            Some(ms) => tokio::time::timeout(Duration::from_millis(ms), work)
                .await
                .unwrap_or(Err(Failure::TimedOut(ms))),
            None => work.await,
        }
    });
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

/// Prints the failure on stderr and gives the exit status. A closed stdout (`| head`) is
/// not an error worth a message.
fn report(failure: Failure) -> ExitCode {
    if let Failure::Output(e) = &failure {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return ExitCode::SUCCESS;
        }
    }
    eprintln!("routeros: {failure}");
    ExitCode::from(failure.exit_code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_password() {
        let args = Args::parse_from([
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
        let args = Args::parse_from([
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
        assert_eq!(Failure::TimedOut(5).exit_code(), 2);
        assert_eq!(
            Failure::Router(Error::AuthFailed("bad".try_into().unwrap())).exit_code(),
            2
        );
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
