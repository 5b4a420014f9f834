//! The firmware's main loop: wait for the network, connect (plain or TLS), run a session,
//! and reconnect with exponential backoff when the link or the router goes away.

use embassy_net::tcp::TcpSocket;
use embassy_net::Stack;
use embassy_time::{with_timeout, Duration, Timer};
use rand_core::{CryptoRng, RngCore};

use crate::config::{
    Buffers, BACKOFF_MAX, BACKOFF_MIN, CONNECT_TIMEOUT, TCP_KEEP_ALIVE, TCP_TIMEOUT,
};
use crate::error::AppError;
use crate::monitor::{session, Event, Flow, Observer, Progress, SessionEnd};
use crate::settings::{RouterSettings, TlsStack};
use crate::tls::mbed;

/// Exponential backoff between reconnect attempts.
///
/// ```
/// use embassy_time::Duration;
/// use routeros_embassy_app::runner::Backoff;
/// let mut b = Backoff::new(Duration::from_millis(500), Duration::from_secs(2));
/// assert_eq!(b.next_delay(), Duration::from_millis(500));
/// assert_eq!(b.next_delay(), Duration::from_secs(1));
/// assert_eq!(b.next_delay(), Duration::from_secs(2));
/// assert_eq!(b.next_delay(), Duration::from_secs(2));
/// b.reset();
/// assert_eq!(b.next_delay(), Duration::from_millis(500));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    /// Starts at `min`, doubles up to `max`.
    pub const fn new(min: Duration, max: Duration) -> Self {
        Self {
            min,
            max,
            next: min,
        }
    }

    /// The delay to wait now; the following one doubles.
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        let doubled = Duration::from_ticks(self.next.as_ticks().saturating_mul(2));
        self.next = if doubled > self.max {
            self.max
        } else {
            doubled
        };
        delay
    }

    /// Back to the shortest delay (after a good session).
    pub fn reset(&mut self) {
        self.next = self.min;
    }
}

/// A clock for certificate validity dates of the `embedded-tls` stack (MbedTLS here checks
/// no dates: the boards have no real-time clock).
#[cfg(feature = "embedded-tls")]
pub use embedded_tls::TlsClock as Clock;
/// Without `embedded-tls` no clock is used: a placeholder trait.
#[cfg(not(feature = "embedded-tls"))]
pub trait Clock {}
/// No clock: validity dates are not checked.
#[cfg(feature = "embedded-tls")]
pub use embedded_tls::NoClock;
/// No clock: validity dates are not checked.
#[cfg(not(feature = "embedded-tls"))]
pub struct NoClock;
#[cfg(not(feature = "embedded-tls"))]
impl Clock for NoClock {}

/// Runs until the sample limit is reached or the observer stops; without a limit, forever.
/// TLS certificates are checked without a clock (validity dates are not checked); use
/// [`run_with_clock`] where the time is known.
pub async fn run<R: RngCore + CryptoRng + Send, O: Observer>(
    stack: Stack<'_>,
    buffers: &mut Buffers,
    settings: &RouterSettings<'_>,
    rng: &mut R,
    observer: &mut O,
) -> SessionEnd {
    run_with_clock::<NoClock, R, O>(stack, buffers, settings, rng, observer).await
}

/// [`run`] with a clock `C` for the certificate validity checks of the `embedded-tls` stack.
pub async fn run_with_clock<C: Clock, R: RngCore + CryptoRng + Send, O: Observer>(
    stack: Stack<'_>,
    buffers: &mut Buffers,
    settings: &RouterSettings<'_>,
    rng: &mut R,
    observer: &mut O,
) -> SessionEnd {
    let mut backoff = Backoff::new(BACKOFF_MIN, BACKOFF_MAX);
    let mut progress = Progress::default();
    let mut attempt = 0u32;
    loop {
        if !stack.is_config_up() {
            info!("waiting for the network");
            stack.wait_config_up().await;
        }
        if let Some(config) = stack.config_v4() {
            info!("network up: {}", config.address);
            if observer.event(&Event::NetworkUp {
                address: config.address,
            }) == Flow::Stop
            {
                return SessionEnd::Stopped;
            }
        }
        attempt = attempt.saturating_add(1);
        info!(
            "connecting to {}:{} (attempt {})",
            settings.address, settings.port, attempt
        );
        if observer.event(&Event::Connecting { attempt }) == Flow::Stop {
            return SessionEnd::Stopped;
        }
        let samples_before = progress.samples;
        let result =
            connection::<C, R, O>(stack, buffers, settings, rng, observer, &mut progress).await;
        match result {
            Ok(end) => return end,
            Err(e) => {
                progress.failures = progress.failures.saturating_add(1);
                if progress.samples > samples_before {
                    // The session worked for a while: start the backoff afresh.
                    backoff.reset();
                    attempt = 0;
                }
                error!("connection lost: {}", e);
                if observer.event(&Event::Disconnected(&e)) == Flow::Stop {
                    return SessionEnd::Stopped;
                }
            }
        }
        let delay = backoff.next_delay();
        info!("reconnecting in {} ms", delay.as_millis());
        if observer.event(&Event::Backoff {
            delay_ms: delay.as_millis(),
        }) == Flow::Stop
        {
            return SessionEnd::Stopped;
        }
        Timer::after(delay).await;
    }
}

/// One connection: TCP, optional TLS, then a session. (`C` is used by the `embedded-tls`
/// stack only.)
#[cfg_attr(
    not(feature = "embedded-tls"),
    allow(clippy::extra_unused_type_parameters)
)]
async fn connection<C: Clock, R: RngCore + CryptoRng + Send, O: Observer>(
    stack: Stack<'_>,
    buffers: &mut Buffers,
    settings: &RouterSettings<'_>,
    rng: &mut R,
    observer: &mut O,
    progress: &mut Progress,
) -> Result<SessionEnd, AppError> {
    let Buffers {
        tcp_rx,
        tcp_tx,
        client_rx,
        client_tx,
        #[cfg(feature = "embedded-tls")]
        tls_read,
        #[cfg(feature = "embedded-tls")]
        tls_write,
    } = buffers;
    let mut socket = TcpSocket::new(stack, tcp_rx, tcp_tx);
    socket.set_timeout(Some(TCP_TIMEOUT));
    socket.set_keep_alive(Some(TCP_KEEP_ALIVE));
    let connected = with_timeout(
        CONNECT_TIMEOUT,
        socket.connect((settings.address, settings.port)),
    )
    .await;
    let result = match connected {
        Err(_) => Err(AppError::ConnectTimeout),
        Ok(Err(e)) => Err(AppError::Connect(e)),
        Ok(Ok(())) => match &settings.tls {
            None => {
                if observer.event(&Event::Connected { tls: false }) == Flow::Stop {
                    return Ok(SessionEnd::Stopped);
                }
                session(
                    &mut socket,
                    client_rx,
                    client_tx,
                    settings,
                    observer,
                    progress,
                )
                .await
            }
            Some(tls) => {
                if !tls.verify.verifies() {
                    warn!("TLS certificate verification is OFF (lab routers only)");
                }
                match tls.stack {
                    TlsStack::MbedTls => {
                        mbed::connection(
                            &mut socket,
                            tls,
                            rng,
                            client_rx,
                            client_tx,
                            settings,
                            observer,
                            progress,
                        )
                        .await
                    }
                    #[cfg(feature = "embedded-tls")]
                    TlsStack::EmbeddedTls13 => {
                        crate::tls::tls13::connection::<C, _, _, _>(
                            &mut socket,
                            tls,
                            rng,
                            (tls_read, tls_write),
                            (client_rx, client_tx),
                            settings,
                            observer,
                            progress,
                        )
                        .await
                    }
                    #[cfg(not(feature = "embedded-tls"))]
                    TlsStack::EmbeddedTls13 => {
                        Err(AppError::Tls(crate::error::TlsFailure::Unsupported(
                            "the embedded-tls stack (build with the `embedded-tls` feature)",
                        )))
                    }
                }
            }
        },
    };
    // Leave nothing half-open behind: a clean close after a clean end, a reset otherwise.
    if result.is_ok() {
        socket.close();
    } else {
        socket.abort();
    }
    let _ = with_timeout(Duration::from_secs(2), socket.flush()).await;
    result
}
