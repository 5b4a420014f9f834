//! One session with the router: log in, read its status, stream an interface's traffic.
//! Generic over the transport: plain TCP, TLS, or anything else implementing
//! `embedded_io_async::{Read, Write}`.

use embassy_time::with_timeout;
use embedded_io_async::{Read, Write};
use heapless::String;
use routeros_core::{Client, Command, Error, FromReply, Reply};

use crate::config::{COMMAND_TIMEOUT, SAMPLE_INTERVAL, SAMPLE_TIMEOUT};
use crate::error::AppError;
use crate::settings::RouterSettings;

/// The parts of `/system/resource/print` the firmware reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Resource {
    /// RouterOS version (`7.16 (stable)`).
    pub version: String<32>,
    /// Board name (`RB4011iGS+`).
    pub board_name: String<32>,
    /// Uptime as RouterOS writes it (`1w2d3h4m5s`).
    pub uptime: String<32>,
    /// CPU load in percent.
    pub cpu_load: Option<u8>,
    /// Free memory in bytes.
    pub free_memory: Option<u64>,
    /// Total memory in bytes.
    pub total_memory: Option<u64>,
}

/// Copies a text value, cut at the capacity (on a character boundary); non-UTF-8 bytes are
/// read as Windows-1252, as RouterOS names often are.
fn text<const N: usize>(row: &Reply<'_>, name: &str) -> String<N> {
    let mut out = String::new();
    if let Some(value) = row.get(name) {
        for c in value.chars() {
            if out.push(c).is_err() {
                break;
            }
        }
    }
    out
}

impl FromReply for Resource {
    fn from_reply(row: &Reply<'_>) -> Result<Self, Error> {
        Ok(Self {
            version: text(row, "version"),
            board_name: text(row, "board-name"),
            uptime: text(row, "uptime"),
            cpu_load: row.get("cpu-load").and_then(|v| v.parse()),
            free_memory: row.get("free-memory").and_then(|v| v.parse()),
            total_memory: row.get("total-memory").and_then(|v| v.parse()),
        })
    }
}

/// `/system/identity/print`: the router's name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Identity {
    /// The router's identity (`MikroTik`).
    pub name: String<64>,
}

impl FromReply for Identity {
    fn from_reply(row: &Reply<'_>) -> Result<Self, Error> {
        Ok(Self {
            name: text(row, "name"),
        })
    }
}

/// One row of `/interface/monitor-traffic`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Sample {
    /// Received bits per second.
    pub rx_bits_per_second: u64,
    /// Sent bits per second.
    pub tx_bits_per_second: u64,
    /// Received packets per second.
    pub rx_packets_per_second: u64,
    /// Sent packets per second.
    pub tx_packets_per_second: u64,
}

impl FromReply for Sample {
    /// Fails with [`Error::NotFound`] when the row lacks the bit rates.
    ///
    /// ```
    /// use routeros_core::{wire::Sentence, FromReply, Reply};
    /// use routeros_embassy_app::monitor::Sample;
    /// let bytes = b"\x03!re\x0c=name=ether1\x1b=rx-bits-per-second=1000000\x18=tx-bits-per-second=2500";
    /// let row = Reply::parse(Sentence::new_checked(bytes).unwrap()).unwrap();
    /// let sample = Sample::from_reply(&row).unwrap();
    /// assert_eq!((sample.rx_bits_per_second, sample.tx_bits_per_second), (1_000_000, 2_500));
    /// ```
    fn from_reply(row: &Reply<'_>) -> Result<Self, Error> {
        let number = |name| row.get(name).and_then(|v| v.parse::<u64>());
        Ok(Self {
            rx_bits_per_second: number("rx-bits-per-second").ok_or(Error::NotFound)?,
            tx_bits_per_second: number("tx-bits-per-second").ok_or(Error::NotFound)?,
            rx_packets_per_second: number("rx-packets-per-second").unwrap_or(0),
            tx_packets_per_second: number("tx-packets-per-second").unwrap_or(0),
        })
    }
}

/// Something the firmware did or saw; given to an [`Observer`] as it happens.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// The network has an address (static, or from DHCP).
    NetworkUp {
        /// The firmware's address and prefix.
        address: embassy_net::Ipv4Cidr,
    },
    /// Connecting to the router (attempt counts from 1 and resets after a good session).
    Connecting {
        /// Attempt number.
        attempt: u32,
    },
    /// TCP (and TLS, when configured) is up.
    Connected {
        /// Whether the connection runs TLS.
        tls: bool,
    },
    /// The TLS handshake finished (right after [`Event::Connected`] with `tls: true`).
    TlsEstablished(crate::tls::TlsInfo),
    /// Logged in.
    LoggedIn,
    /// Logged in again after the connection had been lost.
    Reconnected {
        /// Failed attempts since the last good session.
        failures: u32,
    },
    /// The router's resources.
    Resource(&'a Resource),
    /// The router's identity.
    Identity(&'a Identity),
    /// One traffic sample of the monitored interface.
    Sample {
        /// Samples so far, across reconnects, this one included.
        total: u32,
        /// The interface.
        interface: &'a str,
        /// The rates.
        sample: &'a Sample,
    },
    /// The connection failed or was lost.
    Disconnected(&'a AppError),
    /// Waiting before the next attempt.
    Backoff {
        /// Milliseconds to wait.
        delay_ms: u64,
    },
}

/// Whether to go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Flow {
    /// Keep going.
    Continue,
    /// Stop: end the session cleanly and return.
    Stop,
}

/// Receives every [`Event`]. The runner logs events itself; an observer adds its own output
/// or decides to stop. `()` is the observer that never stops.
pub trait Observer {
    /// Called for each event.
    fn event(&mut self, event: &Event<'_>) -> Flow;
}

impl Observer for () {
    fn event(&mut self, _event: &Event<'_>) -> Flow {
        Flow::Continue
    }
}

/// How a session ended without error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SessionEnd {
    /// The sample limit was reached or the observer asked to stop.
    Stopped,
}

/// Counters kept across sessions.
#[derive(Debug, Default, Clone, Copy)]
pub struct Progress {
    /// Traffic samples seen in total.
    pub samples: u32,
    /// Failed attempts since the last session that produced a sample.
    pub failures: u32,
}

/// Runs one session over an established transport: login, status, then the traffic stream
/// until the limit, the observer, or an error ends it.
///
/// **Cancel safety**: not cancel-safe (dropping it drops the connection mid-command; the
/// transport must then be discarded).
pub async fn session<T: Read + Write, O: Observer>(
    io: T,
    rx: &mut [u8],
    tx: &mut [u8],
    settings: &RouterSettings<'_>,
    observer: &mut O,
    progress: &mut Progress,
) -> Result<SessionEnd, AppError> {
    let mut client = Client::new(io, rx, tx);
    with_timeout(
        COMMAND_TIMEOUT,
        client.login(settings.username, settings.password),
    )
    .await
    .map_err(|_| Error::Timeout)??;
    info!("logged in as {}", settings.username);
    if progress.failures > 0 {
        info!("reconnected after {} failed attempt(s)", progress.failures);
        if observer.event(&Event::Reconnected {
            failures: progress.failures,
        }) == Flow::Stop
        {
            return Ok(SessionEnd::Stopped);
        }
    }
    if observer.event(&Event::LoggedIn) == Flow::Stop {
        return Ok(SessionEnd::Stopped);
    }

    let resources: heapless::Vec<Resource, 1> =
        with_timeout(COMMAND_TIMEOUT, client.collect(&["/system/resource/print"]))
            .await
            .map_err(|_| Error::Timeout)??;
    if let Some(r) = resources.first() {
        info!(
            "router: RouterOS {} on {}, up {}, cpu {}%, memory {}/{} bytes free",
            r.version.as_str(),
            r.board_name.as_str(),
            r.uptime.as_str(),
            r.cpu_load.unwrap_or(0),
            r.free_memory.unwrap_or(0),
            r.total_memory.unwrap_or(0)
        );
        if observer.event(&Event::Resource(r)) == Flow::Stop {
            return Ok(SessionEnd::Stopped);
        }
    }
    let identities: heapless::Vec<Identity, 1> =
        with_timeout(COMMAND_TIMEOUT, client.collect(&["/system/identity/print"]))
            .await
            .map_err(|_| Error::Timeout)??;
    if let Some(id) = identities.first() {
        info!("identity: {}", id.name.as_str());
        if observer.event(&Event::Identity(id)) == Flow::Stop {
            return Ok(SessionEnd::Stopped);
        }
    }

    let command = Command::<4>::new("/interface/monitor-traffic")
        .attr("interface", settings.interface)
        .attr("interval", SAMPLE_INTERVAL);
    let mut stream = client.command(&command).await?;
    loop {
        if settings
            .max_samples
            .is_some_and(|max| progress.samples >= max)
        {
            info!("sample limit reached; cancelling the stream");
            with_timeout(COMMAND_TIMEOUT, stream.cancel())
                .await
                .map_err(|_| Error::Timeout)??;
            with_timeout(COMMAND_TIMEOUT, client.quit())
                .await
                .map_err(|_| Error::Timeout)??;
            return Ok(SessionEnd::Stopped);
        }
        let row = match with_timeout(SAMPLE_TIMEOUT, stream.next()).await {
            Err(_) => return Err(Error::Timeout.into()),
            Ok(None) => return Err(AppError::StreamEnded),
            Ok(Some(Err(e))) => return Err(e.into()),
            Ok(Some(Ok(row))) => row,
        };
        let sample = match Sample::from_reply(&row) {
            Ok(sample) => sample,
            Err(_) => {
                warn!("skipping a traffic row without rates");
                continue;
            }
        };
        progress.samples = progress.samples.saturating_add(1);
        progress.failures = 0;
        info!(
            "{} rx {} bit/s ({} pkt/s) tx {} bit/s ({} pkt/s)",
            settings.interface,
            sample.rx_bits_per_second,
            sample.rx_packets_per_second,
            sample.tx_bits_per_second,
            sample.tx_packets_per_second
        );
        let flow = observer.event(&Event::Sample {
            total: progress.samples,
            interface: settings.interface,
            sample: &sample,
        });
        if flow == Flow::Stop {
            with_timeout(COMMAND_TIMEOUT, stream.cancel())
                .await
                .map_err(|_| Error::Timeout)??;
            return Ok(SessionEnd::Stopped);
        }
    }
}
