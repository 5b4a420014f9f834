//! The connection pool against the simulator: exhaustion, waiting, health checks,
//! reconnect with back-off, poisoned connections. Every test ends with nothing checked out.

mod mux_support;

use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::time::Duration;

use embedded_io_adapters::tokio_1::FromTokio;
use futures_util::future::join_all;
use mux_support::*;
use routeros_core::pool::{Connector, Delay, Pool, PoolConfig, PoolState};
use routeros_core::{Client, Error};
use routeros_sim::SimConfig;
use tokio::net::TcpStream;

type Conn = Client<FromTokio<TcpStream>, Vec<u8>>;

/// Connects and logs in; fails on purpose for the first `fail_first` attempts.
struct SimConnector {
    addr: SocketAddr,
    fail_first: Cell<u32>,
    attempts: Cell<u32>,
    /// Connect, then never finish logging in.
    hang: Cell<bool>,
}

impl SimConnector {
    fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            fail_first: Cell::new(0),
            attempts: Cell::new(0),
            hang: Cell::new(false),
        }
    }
}

impl Connector for SimConnector {
    type Conn = Conn;
    async fn connect(&mut self) -> Result<Conn, Error> {
        self.attempts.set(self.attempts.get() + 1);
        if self.fail_first.get() > 0 {
            self.fail_first.set(self.fail_first.get() - 1);
            return Err(Error::Io(embedded_io_async::ErrorKind::ConnectionRefused));
        }
        let stream = TcpStream::connect(self.addr)
            .await
            .map_err(|_| Error::Io(embedded_io_async::ErrorKind::ConnectionRefused))?;
        stream.set_nodelay(true).unwrap();
        if self.hang.get() {
            std::future::pending::<()>().await;
        }
        let mut client = Client::new(FromTokio::new(stream), vec![0; 4096], vec![0; 512]);
        client.login("admin", "").await?;
        Ok(client)
    }
}

/// Sleeps for real, and remembers every wait.
#[derive(Default)]
struct RecordingDelay {
    waits: RefCell<Vec<u32>>,
}

impl Delay for &RecordingDelay {
    async fn delay_ms(&mut self, ms: u32) {
        self.waits.borrow_mut().push(ms);
        tokio::time::sleep(Duration::from_millis(u64::from(ms))).await;
    }
}

fn config() -> PoolConfig {
    PoolConfig {
        connect_attempts: 4,
        backoff_initial_ms: 5,
        backoff_max_ms: 15,
        health_check: true,
        keepalive: routeros_core::keepalive::Keepalive::new(Duration::ZERO, Duration::from_secs(5)),
    }
}

async fn identity(conn: &mut Conn) -> String {
    let mut r = conn.command(&["/system/identity/print"]).await.unwrap();
    let name = r
        .next()
        .await
        .unwrap()
        .unwrap()
        .get("name")
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    assert!(r.next().await.is_none());
    name
}

#[tokio::test]
async fn exhaustion_is_an_error_or_a_wait() {
    let sim = sim(SimConfig::default()).await;
    let delay = RecordingDelay::default();
    let state: PoolState<Conn, 2> = PoolState::new();
    let pool = Pool::new(&state, SimConnector::new(sim.addr()), &delay, config());
    let mut a = within(pool.checkout()).await.unwrap();
    let b = within(pool.checkout()).await.unwrap();
    assert_ne!(a.index(), b.index());
    assert_eq!(pool.in_use(), 2);
    assert_eq!(
        within(pool.checkout()).await.err(),
        Some(Error::PoolExhausted)
    );
    // A bounded wait times out while both are out...
    assert!(
        tokio::time::timeout(Duration::from_millis(50), pool.checkout_wait())
            .await
            .is_err()
    );
    assert_eq!(pool.in_use(), 2);
    // ...and succeeds once one comes back.
    let waiter = async {
        let mut c = pool.checkout_wait().await.unwrap();
        assert_eq!(identity(&mut c).await, "MikroTik");
        c.index()
    };
    let giver = async {
        identity(&mut a).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        let index = a.index();
        drop(a);
        index
    };
    let (got, gave) = within(async { tokio::join!(waiter, giver) }).await;
    assert_eq!(got, gave);
    drop(b);
    assert_eq!(pool.in_use(), 0);
    assert_eq!(sim.connections_accepted(), 2, "connections are reused");
    assert_eq!(pool.idle(), 2);
}

#[tokio::test]
async fn many_tasks_share_a_small_pool() {
    let sim = sim(SimConfig::default()).await;
    let delay = RecordingDelay::default();
    let state: PoolState<Conn, 3> = PoolState::new();
    let pool = Pool::new(&state, SimConnector::new(sim.addr()), &delay, config());
    let tasks = (0..12).map(|_| {
        let pool = &pool;
        async move {
            for _ in 0..3 {
                let mut conn = pool.checkout_wait().await.unwrap();
                assert_eq!(identity(&mut conn).await, "MikroTik");
                tokio::task::yield_now().await;
            }
        }
    });
    within(join_all(tasks)).await;
    assert_eq!(pool.in_use(), 0);
    assert!(sim.connections_accepted() <= 3);
}

#[tokio::test]
async fn failed_health_check_reconnects_after_the_router_dropped_us() {
    let sim = sim(SimConfig::default()).await;
    let delay = RecordingDelay::default();
    let state: PoolState<Conn, 2> = PoolState::new();
    let pool = Pool::new(&state, SimConnector::new(sim.addr()), &delay, config());
    {
        let mut conn = within(pool.checkout()).await.unwrap();
        identity(&mut conn).await;
    }
    assert_eq!(sim.connections_accepted(), 1);
    sim.disconnect_all();
    tokio::time::sleep(Duration::from_millis(20)).await;
    // The idle connection is dead: its health check fails, and a new one is opened.
    let mut conn = within(pool.checkout()).await.unwrap();
    assert_eq!(identity(&mut conn).await, "MikroTik");
    assert!(conn.is_usable());
    assert_eq!(sim.connections_accepted(), 2);
    drop(conn);
    assert_eq!(pool.in_use(), 0);
}

#[tokio::test]
async fn connecting_retries_with_backoff() {
    let sim = sim(SimConfig::default()).await;
    let delay = RecordingDelay::default();
    let state: PoolState<Conn, 1> = PoolState::new();
    let connector = SimConnector::new(sim.addr());
    connector.fail_first.set(3);
    let pool = Pool::new(&state, connector, &delay, config());
    let mut conn = within(pool.checkout()).await.unwrap();
    identity(&mut conn).await;
    drop(conn);
    assert_eq!(*delay.waits.borrow(), [5, 10, 15]);
    assert_eq!(pool.connector().attempts.get(), 4);

    // More failures than attempts: the last error comes back and the place stays free.
    let state: PoolState<Conn, 1> = PoolState::new();
    let connector = SimConnector::new(sim.addr());
    connector.fail_first.set(10);
    let pool = Pool::new(&state, connector, &delay, config());
    let err = within(pool.checkout()).await.err().unwrap();
    assert_eq!(
        err,
        Error::Io(embedded_io_async::ErrorKind::ConnectionRefused)
    );
    assert_eq!(pool.connector().attempts.get(), 4);
    assert_eq!(pool.in_use(), 0);
}

#[tokio::test]
async fn unreachable_router_gives_the_connect_error() {
    let sim = sim(SimConfig::default()).await;
    let addr = sim.addr();
    sim.shutdown();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let delay = RecordingDelay::default();
    let state: PoolState<Conn, 1> = PoolState::new();
    let pool = Pool::new(&state, SimConnector::new(addr), &delay, config());
    assert!(within(pool.checkout()).await.is_err());
    assert_eq!(pool.in_use(), 0);
}

#[tokio::test]
async fn a_closed_connection_is_never_handed_out_again() {
    let sim = sim(SimConfig::default()).await;
    let delay = RecordingDelay::default();
    let state: PoolState<Conn, 1> = PoolState::new();
    let config = PoolConfig {
        health_check: false,
        ..config()
    };
    let pool = Pool::new(&state, SimConnector::new(sim.addr()), &delay, config);
    {
        let mut conn = within(pool.checkout()).await.unwrap();
        let err = within(conn.run(&["/quit"])).await.unwrap_err();
        assert!(matches!(err, Error::Fatal(_)), "{err:?}");
        assert!(!conn.is_usable());
    }
    assert_eq!(pool.idle(), 0);
    // Even without health checks, the dead one is replaced.
    let mut conn = within(pool.checkout()).await.unwrap();
    assert!(conn.is_usable());
    identity(&mut conn).await;
    assert_eq!(sim.connections_accepted(), 2);
    drop(conn);
    assert_eq!(pool.in_use(), 0);
}

#[tokio::test]
async fn dropping_a_checkout_mid_connect_frees_the_place() {
    let sim = sim(SimConfig::default()).await;
    let delay = RecordingDelay::default();
    let state: PoolState<Conn, 1> = PoolState::new();
    let connector = SimConnector::new(sim.addr());
    connector.hang.set(true);
    let pool = Pool::new(&state, connector, &delay, config());
    assert!(
        tokio::time::timeout(Duration::from_millis(50), pool.checkout())
            .await
            .is_err()
    );
    assert_eq!(pool.in_use(), 0);
    assert_eq!(pool.idle(), 0);
    // The place and the connector are free again.
    pool.connector().hang.set(false);
    let mut conn = within(pool.checkout()).await.unwrap();
    identity(&mut conn).await;
    drop(conn);
    assert_eq!(pool.in_use(), 0);
}

/// A checkout given up half-way (its future dropped) hands its place over to a task waiting
/// in `checkout_wait`. Separate tasks, so that only the right wake-up can get it going.
#[tokio::test]
async fn an_abandoned_checkout_wakes_a_waiting_one() {
    let sim = sim(SimConfig::default()).await;
    let delay: &'static RecordingDelay = Box::leak(Box::default());
    let state: &'static PoolState<Conn, 1> = Box::leak(Box::new(PoolState::new()));
    let connector = SimConnector::new(sim.addr());
    connector.hang.set(true);
    let pool = Box::leak(Box::new(Pool::new(state, connector, delay, config())));
    let pool: &'static Pool<'static, SimConnector, &'static RecordingDelay, 1> = pool;
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async move {
            let giver = tokio::task::spawn_local(async move {
                assert!(
                    tokio::time::timeout(Duration::from_millis(30), pool.checkout())
                        .await
                        .is_err()
                );
                pool.connector().hang.set(false);
            });
            let waiter = tokio::task::spawn_local(async move {
                tokio::task::yield_now().await;
                let mut conn = pool.checkout_wait().await.unwrap();
                identity(&mut conn).await
            });
            within(giver).await.unwrap();
            assert_eq!(within(waiter).await.unwrap(), "MikroTik");
        })
        .await;
    assert_eq!(pool.in_use(), 0);
}
