//! Shared set-up for the mux, pool and telemetry tests: a simulator, a multiplexed client
//! over a split tokio socket, a recording observer and a manual clock.
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::time::Duration;

use embedded_io_adapters::tokio_1::FromTokio;
use routeros_core::mux::Mux;
use routeros_core::telemetry::{Clock, Event, Instant, Observer};
use routeros_sim::{SimConfig, SimHandle, Simulator};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

pub type Rd = FromTokio<OwnedReadHalf>;
pub type Wr = FromTokio<OwnedWriteHalf>;
/// The multiplexed client the tests use.
pub type TestMux<Tm, const N: usize, const S: usize> = Mux<'static, Rd, Wr, Tm, N, S>;

/// Starts a simulator inside the test's runtime.
pub async fn sim(config: SimConfig) -> SimHandle {
    Simulator::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("simulator starts")
}

/// Connects to the simulator and splits the socket.
pub async fn halves(sim: &SimHandle) -> (Rd, Wr) {
    let stream = TcpStream::connect(sim.addr()).await.expect("connect");
    stream.set_nodelay(true).unwrap();
    let (r, w) = stream.into_split();
    (FromTokio::new(r), FromTokio::new(w))
}

/// A buffer that lives for the rest of the test process.
pub fn buffer(len: usize) -> &'static mut [u8] {
    Box::leak(vec![0u8; len].into_boxed_slice())
}

/// Connects, logs in, and returns a mux with telemetry `tm`.
pub async fn mux_with<Tm: routeros_core::telemetry::Telemetry, const N: usize, const S: usize>(
    sim: &SimHandle,
    rx: usize,
    tm: Tm,
) -> TestMux<Tm, N, S> {
    let (r, w) = halves(sim).await;
    let mux = Mux::with_telemetry(r, w, buffer(rx), buffer(1024), tm);
    within(mux.login("admin", "")).await.expect("login");
    mux
}

/// Connects, logs in, and returns a mux without telemetry.
pub async fn mux<const N: usize, const S: usize>(sim: &SimHandle) -> TestMux<(), N, S> {
    mux_with::<(), N, S>(sim, 8192, ()).await
}

/// Starts `/interface/monitor-traffic` on `interface`, a sample every 10 ms.
pub async fn monitor<
    'm,
    Tm: routeros_core::telemetry::Telemetry,
    const N: usize,
    const S: usize,
>(
    mux: &'m TestMux<Tm, N, S>,
    interface: &str,
) -> routeros_core::mux::Stream<'m, TestMux<Tm, N, S>> {
    let interface = format!("=interface={interface}");
    let words = [
        "/interface/monitor-traffic",
        interface.as_str(),
        "=interval=10ms",
    ];
    within(mux.stream(&words)).await.expect("the stream starts")
}

/// Runs a future with a deadline so a hang fails the test instead of stalling it.
pub async fn within<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), f)
        .await
        .expect("finished in time")
}

/// Runs `/system/identity/print` until every slot is free again (dropped handles free their
/// slot when their command's `!done` arrives, which needs someone to read).
pub async fn settle<Tm: routeros_core::telemetry::Telemetry, const N: usize, const S: usize>(
    mux: &TestMux<Tm, N, S>,
) {
    for _ in 0..50 {
        if mux.slots_in_use() == 0 {
            return;
        }
        within(mux.run(&["/system/identity/print"]))
            .await
            .expect("identity");
        if mux.slots_in_use() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{} slot(s) leaked", mux.slots_in_use());
}

/// An event copied out, so tests can look at it after the fact.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    ConnectionStart {
        attempt: u32,
    },
    ConnectionStop {
        micros: u128,
    },
    ConnectionException {
        error: String,
    },
    CommandStart {
        tag: u32,
        path: String,
    },
    CommandStop {
        tag: u32,
        path: String,
        micros: u128,
        rows: u32,
    },
    CommandException {
        tag: u32,
        path: String,
        micros: u128,
        error: String,
    },
    StreamStart {
        tag: u32,
        path: String,
    },
    StreamStop {
        tag: u32,
        path: String,
        rows: u32,
        dropped: u32,
        cancelled: bool,
    },
    PoolCheckout {
        index: usize,
        micros: u128,
    },
    PoolCheckin {
        index: usize,
        reusable: bool,
    },
    PoolHealthCheckFailed {
        index: usize,
        error: String,
    },
    Other(String),
}

/// Records every event; also keeps the `Debug` text of each to check no secret leaks.
#[derive(Default)]
pub struct Recorder {
    pub events: RefCell<Vec<Seen>>,
    pub debug: RefCell<Vec<String>>,
}

impl Recorder {
    pub fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut self.events.borrow_mut())
    }
}

impl Observer for Recorder {
    fn on_event(&self, event: &Event<'_>) {
        self.debug.borrow_mut().push(format!("{event:?}"));
        let seen = match *event {
            Event::ConnectionStart { attempt } => Seen::ConnectionStart { attempt },
            Event::ConnectionStop { duration } => Seen::ConnectionStop {
                micros: duration.as_micros(),
            },
            Event::ConnectionException { error, .. } => Seen::ConnectionException {
                error: error.to_string(),
            },
            Event::CommandStart { tag, path } => Seen::CommandStart {
                tag,
                path: path.into(),
            },
            Event::CommandStop {
                tag,
                path,
                duration,
                rows,
            } => Seen::CommandStop {
                tag,
                path: path.into(),
                micros: duration.as_micros(),
                rows,
            },
            Event::CommandException {
                tag,
                path,
                duration,
                error,
            } => Seen::CommandException {
                tag,
                path: path.into(),
                micros: duration.as_micros(),
                error: error.to_string(),
            },
            Event::StreamStart { tag, path } => Seen::StreamStart {
                tag,
                path: path.into(),
            },
            Event::StreamStop {
                tag,
                path,
                rows,
                dropped,
                cancelled,
                ..
            } => Seen::StreamStop {
                tag,
                path: path.into(),
                rows,
                dropped,
                cancelled,
            },
            Event::PoolCheckout { index, waited } => Seen::PoolCheckout {
                index,
                micros: waited.as_micros(),
            },
            Event::PoolCheckin { index, reusable } => Seen::PoolCheckin { index, reusable },
            Event::PoolHealthCheckFailed { index, error } => Seen::PoolHealthCheckFailed {
                index,
                error: error.to_string(),
            },
            ref other => Seen::Other(format!("{other:?}")),
        };
        self.events.borrow_mut().push(seen);
    }
}

/// A clock the test moves by hand: every reading advances it by `step` microseconds.
pub struct StepClock {
    pub now: Cell<u64>,
    pub step: u64,
}

impl StepClock {
    pub fn new(step: u64) -> Self {
        Self {
            now: Cell::new(0),
            step,
        }
    }
}

impl Clock for StepClock {
    fn now(&self) -> Instant {
        let t = self.now.get();
        self.now.set(t + self.step);
        Instant::from_micros(t)
    }
}
