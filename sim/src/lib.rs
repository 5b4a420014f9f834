#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod codec;
mod commands;
mod conn;
mod engine;
mod fleet;
mod menus;
mod model;
mod profile;
mod query;
mod reply;
mod streams;
mod tls;
mod writer;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

pub use fleet::{fleet_identity, Fleet};
pub use profile::RosVersion;
pub use reply::TagPosition;
#[cfg(feature = "tls")]
pub use tls::self_signed_cert;
pub use tls::{TlsCertificate, TlsConfig, TlsKeyType, TlsProfile, UnknownTlsProfile};

/// How a simulator behaves: credentials, RouterOS version quirks, data sizes and faults.
#[derive(Clone)]
pub struct SimConfig {
    /// The user that may log in. Default `admin`.
    pub username: String,
    /// That user's password. Default empty.
    pub password: String,
    /// Speak only the pre-6.43 MD5 challenge login (`/login` → `!done =ret=challenge`).
    pub legacy_login: bool,
    /// RouterOS 7.18+: a `print` with no rows answers `!empty` and then `!done`.
    pub empty_replies: bool,
    /// Rows in `/ip/firewall/address-list`; 0 means 16. About 120 bytes per row on the wire;
    /// the plain reply is encoded once when the simulator starts (100 000 rows take a few tens
    /// of milliseconds in a release build).
    pub address_list_rows: usize,
    /// Faults to inject.
    pub faults: Faults,
    /// Order of the three replies a `/cancel` of a running command produces.
    pub reply_order: ReplyOrder,
    /// Serve the API over TLS (API-SSL) as RouterOS does: profile, certificate or none.
    pub tls: Option<TlsConfig>,
    /// The RouterOS version to behave as (login, booleans, `!empty`, `.dead`). The
    /// `legacy_login` and `empty_replies` flags force their behaviour on any version.
    /// The default is 7.18, or the environment variable `ROUTEROS_SIM_ROS` (`6.42`, `6.48`,
    /// `7.16`, `7.18`), so that a whole test suite can run against another version.
    pub ros: RosVersion,
    /// Where `.tag=` stands in reply sentences. The default is `last`, or the environment
    /// variable `ROUTEROS_SIM_TAG_POSITION` (`first`, `last`, `mixed`).
    pub tag_position: TagPosition,
    /// What one connection, and the simulator as a whole, may hold.
    pub limits: Limits,
}

/// Bounds on what clients can make the simulator hold, like a router's.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Connections served at once (RouterOS `max-sessions`, default 20); a connection beyond
    /// it is closed at once, without a reply.
    pub max_sessions: usize,
    /// A connection that has not logged in by then is closed. Default 60 s.
    pub login_timeout: std::time::Duration,
    /// A logged-in connection that sends nothing for this long while none of its commands is
    /// running is closed. Default `None` (RouterOS documents no idle timeout).
    pub idle_timeout: Option<std::time::Duration>,
    /// Largest sentence accepted after login; a larger one gets `!fatal` `sentence too long`
    /// and the connection closes. Default 4 MiB. (Before login the limit is 16 KiB.)
    pub max_sentence: usize,
    /// Reply bytes one connection may have queued for a client that does not read; commands
    /// wait (stop producing) while it is full. Default 1 MiB.
    pub max_queued_bytes: usize,
    /// Commands of one connection running at once in the background (streams, tagged
    /// prints); one more is refused with `!trap`. Default 64.
    pub max_running: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_sessions: 20,
            login_timeout: std::time::Duration::from_secs(60),
            idle_timeout: None,
            max_sentence: 4 << 20,
            max_queued_bytes: 1 << 20,
            max_running: 64,
        }
    }
}

impl std::fmt::Debug for SimConfig {
    /// Everything but the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimConfig")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("legacy_login", &self.legacy_login)
            .field("empty_replies", &self.empty_replies)
            .field("address_list_rows", &self.address_list_rows)
            .field("faults", &self.faults)
            .field("reply_order", &self.reply_order)
            .field("tls", &self.tls)
            .field("ros", &self.ros)
            .field("tag_position", &self.tag_position)
            .field("limits", &self.limits)
            .finish()
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            username: "admin".to_string(),
            password: String::new(),
            legacy_login: false,
            empty_replies: false,
            address_list_rows: 0,
            faults: Faults::default(),
            reply_order: ReplyOrder::Documented,
            tls: None,
            ros: std::env::var("ROUTEROS_SIM_ROS")
                .ok()
                .and_then(|v| RosVersion::parse(&v))
                .unwrap_or_default(),
            tag_position: std::env::var("ROUTEROS_SIM_TAG_POSITION")
                .ok()
                .and_then(|v| TagPosition::parse(&v))
                .unwrap_or_default(),
            limits: Limits::default(),
        }
    }
}

impl SimConfig {
    /// Rows the address list has once the `0 → 16` default is applied.
    pub fn effective_address_list_rows(&self) -> usize {
        if self.address_list_rows == 0 {
            16
        } else {
            self.address_list_rows
        }
    }
}

/// Faults the simulator can inject, to test a client's error paths.
#[derive(Debug, Default, Clone)]
pub struct Faults {
    /// Write replies in chunks of at most this many bytes, each written and flushed
    /// separately.
    pub fragment: Option<usize>,
    /// Wait this long before each reply sentence of ordinary (non-streaming) commands.
    /// Login, `/cancel` and streams are not delayed.
    pub delay_ms: u64,
    /// On a `print`, after this many `!re` rows write half of the next sentence and close the
    /// socket.
    pub disconnect_after_rows: Option<usize>,
    /// `ether1`'s `comment` is a word (`=comment=...`) of exactly this many bytes.
    pub oversize_word: Option<usize>,
    /// `ether2`'s comment is the Windows-1252 bytes `b"Caf\xe9 \x80 r\xe9seau"` (not UTF-8).
    pub non_utf8: bool,
    /// After this many commands following login, send an unprompted `!fatal`
    /// `router is shutting down` and close.
    pub fatal_after_commands: Option<usize>,
}

/// The order of the replies to `/cancel =tag=X .tag=C` while command `X` is running.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReplyOrder {
    /// As MikroTik documents it: `!trap .tag=X` (interrupted), `!done .tag=C`, `!done .tag=X`.
    #[default]
    Documented,
    /// The cancel's own `!done .tag=C` first, then the stream's trap and done.
    CancelDoneFirst,
    /// The stream's trap and `!done .tag=X` first, then `!done .tag=C`.
    StreamDoneFirst,
}

/// Entry point: starts simulators.
#[derive(Debug)]
pub struct Simulator;

impl Simulator {
    /// Starts a simulator listening on `listen` inside the current tokio runtime.
    ///
    /// Returns once the socket is bound; connections are served by tasks of that runtime.
    pub async fn start(config: SimConfig, listen: SocketAddr) -> std::io::Result<SimHandle> {
        let acceptor = tls::acceptor(config.tls.as_ref())?;
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let shared = conn::Shared::new(config);
        let task = tokio::spawn(conn::accept_loop(listener, shared.clone(), acceptor));
        Ok(SimHandle {
            addr,
            shared,
            stopper: Some(Stopper::Task(task)),
        })
    }

    /// Starts a simulator on `127.0.0.1` (a free port) with its own runtime on a background
    /// thread. Usable from plain code and from inside any runtime.
    pub fn spawn(config: SimConfig) -> std::io::Result<SimHandle> {
        let acceptor = tls::acceptor(config.tls.as_ref())?;
        let std_listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let shared = conn::Shared::new(config);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("routeros-sim")
            .enable_all()
            .build()?;
        let for_thread = shared.clone();
        let thread = std::thread::Builder::new()
            .name("routeros-sim".into())
            .spawn(move || {
                runtime.block_on(async move {
                    if let Ok(listener) = tokio::net::TcpListener::from_std(std_listener) {
                        conn::accept_loop(listener, for_thread, acceptor).await;
                    }
                });
                // Dropping the runtime drops every connection task and so closes the sockets.
                drop(runtime);
            })?;
        Ok(SimHandle {
            addr,
            shared,
            stopper: Some(Stopper::Thread(thread)),
        })
    }
}

#[derive(Debug)]
enum Stopper {
    Task(tokio::task::JoinHandle<()>),
    Thread(std::thread::JoinHandle<()>),
}

/// A running simulator. Dropping it shuts the simulator down.
pub struct SimHandle {
    addr: SocketAddr,
    shared: Arc<conn::Shared>,
    stopper: Option<Stopper>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("addr", &self.addr)
            .field("connections_accepted", &self.connections_accepted())
            .finish_non_exhaustive()
    }
}

impl SimHandle {
    /// The address the simulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many connections have been accepted so far.
    pub fn connections_accepted(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Closes every live connection now; the simulator keeps listening.
    pub fn disconnect_all(&self) {
        self.shared.disconnect.send_modify(|g| *g += 1);
    }

    /// Stops listening and closes all connections (the same happens on drop).
    ///
    /// For a simulator made by [`Simulator::spawn`] this waits for its thread to end; for one
    /// made by [`Simulator::start`] the listener closes as soon as its task next runs.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let _ = self.shared.shutdown.send(true);
        self.shared.disconnect.send_modify(|g| *g += 1);
        match self.stopper.take() {
            Some(Stopper::Task(task)) => task.abort(),
            Some(Stopper::Thread(thread)) => {
                let _ = thread.join();
            }
            None => {}
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_hides_the_password() {
        let config = super::SimConfig {
            password: "hunter2".into(),
            ..Default::default()
        };
        let shown = format!("{config:?}");
        assert!(
            shown.contains("admin") && !shown.contains("hunter2"),
            "{shown}"
        );
    }
}
