#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod config;
mod error;
mod fingerprint;
#[cfg(feature = "openssl")]
mod openssl;
mod stream;
mod tls;

use std::future::Future;
use std::time::Duration;

use embedded_io_adapters::tokio_1::FromTokio;
use tokio::io::{ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use tokio::time::Instant;

pub use config::{
    Config, Keepalive, Password, TlsBackend, TlsMode, Verify, Warning, Warnings, API_PORT,
    API_SSL_PORT,
};
pub use error::{ConfigError, Error, Stage, TlsError};
pub use fingerprint::Fingerprint;
pub use routeros_core;
pub use stream::Stream;

/// The one-command-at-a-time client [`connect`] returns: `routeros_core::Client` over a
/// [`Stream`], with buffers of the configured sizes.
pub type Client = routeros_core::Client<FromTokio<Stream>, Vec<u8>>;

/// The read half a [`Mux`] owns.
pub type MuxReader = FromTokio<ReadHalf<Stream>>;
/// The write half a [`Mux`] owns.
pub type MuxWriter = FromTokio<WriteHalf<Stream>>;
/// The many-commands-at-once client [`connect_mux`] returns: `N` slots of `S` bytes, over
/// owned halves of a [`Stream`], borrowing the caller's receive and send buffers.
pub type Mux<'b, const N: usize = 4, const S: usize = 1024> =
    routeros_core::mux::Mux<'b, MuxReader, MuxWriter, (), N, S>;

/// Runs `fut` until `deadline` (if any); `Err(stage)` when it passes.
async fn bounded<T>(
    deadline: Option<Instant>,
    stage: Stage,
    fut: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    match deadline {
        Some(at) => tokio::time::timeout_at(at, fut)
            .await
            .unwrap_or(Err(Error::Timeout(stage))),
        None => fut.await,
    }
}

fn deadline(bound: Option<Duration>) -> Option<Instant> {
    bound.map(|d| Instant::now() + d)
}

/// Resolves the host and opens TCP to the first address that answers, with TCP_NODELAY and
/// keepalive set.
async fn tcp(config: &Config) -> Result<TcpStream, Error> {
    let port = config.get_port();
    let host = config.host.trim_start_matches('[').trim_end_matches(']');
    let target = match host.contains(':') {
        true => format!("[{host}]:{port}"),
        false => format!("{host}:{port}"),
    };
    let fail = |source| Error::Connect {
        target: target.clone(),
        source,
    };
    let stream = bounded(deadline(config.connect_timeout), Stage::Connect, async {
        let mut last = None;
        for addr in tokio::net::lookup_host((host, port)).await.map_err(fail)? {
            match TcpStream::connect(addr).await {
                Ok(stream) => return Ok(stream),
                Err(e) => last = Some(e),
            }
        }
        Err(fail(last.unwrap_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::NotFound, "no address for this host")
        })))
    })
    .await?;
    stream.set_nodelay(true).map_err(fail)?;
    if let Some(k) = config.keepalive {
        let keepalive = socket2::TcpKeepalive::new()
            .with_time(k.idle)
            .with_interval(k.interval);
        #[cfg(any(
            target_os = "linux",
            target_os = "android",
            target_os = "macos",
            target_os = "freebsd"
        ))]
        let keepalive = keepalive.with_retries(k.retries);
        socket2::SockRef::from(&stream)
            .set_tcp_keepalive(&keepalive)
            .map_err(fail)?;
    }
    Ok(stream)
}

/// Opens the connection [`Config`] describes (TCP, then TLS if it uses TLS) without logging
/// in. The TLS handshake is bounded by the login timeout.
///
/// Skipped verification and anonymous DH are announced through [`Config::warnings`].
pub async fn connect_stream(config: &Config) -> Result<Stream, Error> {
    connect_stream_until(config, deadline(config.login_timeout)).await
}

async fn connect_stream_until(
    config: &Config,
    login_deadline: Option<Instant>,
) -> Result<Stream, Error> {
    // Settings are checked before any traffic.
    if config.uses_tls() {
        tls::server_name(config)?;
        let needs_openssl =
            config.verify == Verify::AnonymousDh || config.backend == TlsBackend::OpenSsl;
        if needs_openssl && !cfg!(feature = "openssl") {
            return Err(ConfigError::OpenSslMissing.into());
        }
    }
    let tcp = tcp(config).await?;
    if !config.uses_tls() {
        return Ok(Stream::new(
            stream::Inner::Plain(tcp),
            config.command_timeout,
        ));
    }
    match config.verify {
        Verify::InsecureSkipVerify => config.warnings.emit(Warning::InsecureSkipVerify),
        Verify::AnonymousDh => config.warnings.emit(Warning::AnonymousDh),
        _ => {}
    }
    let inner = bounded(login_deadline, Stage::Tls, handshake(config, tcp)).await?;
    Ok(Stream::new(inner, config.command_timeout))
}

async fn handshake(config: &Config, tcp: TcpStream) -> Result<stream::Inner, Error> {
    #[cfg(feature = "openssl")]
    if config.verify == Verify::AnonymousDh || config.backend == TlsBackend::OpenSsl {
        let s = openssl::connect(config, tcp).await?;
        return Ok(stream::Inner::OpenSsl(Box::new(s)));
    }
    let s = tls::connect(config, tcp).await?;
    Ok(stream::Inner::Rustls(Box::new(s)))
}

/// Connects, logs in, and returns the client: one call for TCP or TLS as [`Config`] says.
///
/// Connecting is bounded by [`Config::connect_timeout`], the TLS handshake and the login
/// together by [`Config::login_timeout`]; afterwards each wait for the router by
/// [`Config::command_timeout`].
pub async fn connect(config: &Config) -> Result<Client, Error> {
    let login_deadline = deadline(config.login_timeout);
    let stream = connect_stream_until(config, login_deadline).await?;
    let mut client = routeros_core::Client::new(
        FromTokio::new(stream),
        vec![0u8; config.rx_buffer],
        vec![0u8; config.tx_buffer],
    );
    bounded(login_deadline, Stage::Login, async {
        client
            .login(&config.user, config.password.expose())
            .await
            .map_err(Error::Login)
    })
    .await?;
    Ok(client)
}

/// Connects, logs in, and returns a [`Mux`] that owns the two halves of the connection and
/// borrows `rx` (bounds the largest reply sentence) and `tx` (bounds the largest command).
///
/// A `Mux` is `!Sync`: run every future that uses it on one thread — several futures of one
/// task (`tokio::join!`, `select!`), or tasks spawned with `spawn_local` on a `LocalSet`
/// or on a `current_thread` runtime. See the crate documentation for an example.
pub async fn connect_mux<'b, const N: usize, const S: usize>(
    config: &Config,
    rx: &'b mut [u8],
    tx: &'b mut [u8],
) -> Result<Mux<'b, N, S>, Error> {
    let login_deadline = deadline(config.login_timeout);
    let stream = connect_stream_until(config, login_deadline).await?;
    let (read, write) = tokio::io::split(stream);
    let mux = routeros_core::mux::Mux::new(FromTokio::new(read), FromTokio::new(write), rx, tx);
    bounded(login_deadline, Stage::Login, async {
        mux.login(&config.user, config.password.expose())
            .await
            .map_err(Error::Login)
    })
    .await?;
    Ok(mux)
}
