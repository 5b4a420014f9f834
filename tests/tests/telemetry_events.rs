//! Telemetry: the events of the mux client and of the pool, with their fields, times from the
//! caller's clock, and no secret in any of them.

mod mux_support;

use std::cell::Cell;
use std::net::SocketAddr;
use std::time::Duration;

use embedded_io_adapters::tokio_1::FromTokio;
use mux_support::*;
use routeros_core::pool::{Connector, Delay, Pool, PoolConfig, PoolState};
use routeros_core::telemetry::{Clock, Event, Instant, Observer, Telemetry};
use routeros_core::{Client, Error};
use routeros_sim::SimConfig;
use tokio::net::TcpStream;

const PASSWORD: &str = "s3cret-pw";

fn config() -> SimConfig {
    SimConfig {
        password: PASSWORD.into(),
        ..SimConfig::default()
    }
}

async fn logged_in<'t>(
    sim: &routeros_sim::SimHandle,
    tm: &'t (Recorder, StepClock),
) -> TestMux<&'t (Recorder, StepClock), 4, 1024> {
    let (r, w) = halves(sim).await;
    let mux = routeros_core::mux::Mux::with_telemetry(r, w, buffer(8192), buffer(1024), tm);
    within(mux.login("admin", PASSWORD)).await.unwrap();
    mux
}

#[tokio::test]
async fn command_events_carry_tag_path_duration_and_rows() {
    let sim = sim(config()).await;
    let tm = (Recorder::default(), StepClock::new(250));
    let mux = logged_in(&sim, &tm).await;
    let login = tm.0.take();
    assert!(
        matches!(&login[0], Seen::CommandStart { path, .. } if path == "/login"),
        "{login:?}"
    );
    assert!(
        matches!(&login[1], Seen::CommandStop { path, rows: 0, .. } if path == "/login"),
        "{login:?}"
    );

    let mut r = within(mux.command(&["/interface/print", "?type=ether"]))
        .await
        .unwrap();
    let tag = r.tag();
    while let Some(row) = within(r.next()).await {
        row.unwrap();
    }
    let events = tm.0.take();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(
        events[0],
        Seen::CommandStart {
            tag,
            path: "/interface/print".into()
        }
    );
    let Seen::CommandStop {
        tag: t,
        path,
        micros,
        rows,
    } = &events[1]
    else {
        panic!("{events:?}");
    };
    assert_eq!((*t, path.as_str(), *rows), (tag, "/interface/print", 5));
    // The clock advances 250 µs a reading: start and stop are some readings apart.
    assert!(*micros > 0 && *micros % 250 == 0, "{micros}");
    settle(&mux).await;
}

#[tokio::test]
async fn traps_are_command_exceptions() {
    let sim = sim(config()).await;
    let tm = (Recorder::default(), StepClock::new(1));
    let mux = logged_in(&sim, &tm).await;
    tm.0.take();
    let err = within(mux.run(&["/ip/address/remove", "=numbers=*77"]))
        .await
        .unwrap_err();
    let events = tm.0.take();
    let Seen::CommandException { path, error, .. } = &events[1] else {
        panic!("{events:?}");
    };
    assert_eq!(path, "/ip/address/remove");
    assert_eq!(error, &err.to_string());
}

#[tokio::test]
async fn stream_events_count_rows_and_cancels() {
    let sim = sim(config()).await;
    let tm = (Recorder::default(), StepClock::new(1));
    let mux = logged_in(&sim, &tm).await;
    tm.0.take();

    let mut s = within(mux.stream(&[
        "/interface/monitor-traffic",
        "=interface=ether1",
        "=interval=10ms",
    ]))
    .await
    .unwrap();
    let tag = s.tag();
    for _ in 0..3 {
        within(s.next()).await.unwrap().unwrap();
    }
    let end = within(s.cancel()).await.unwrap();
    let events = tm.0.take();
    assert_eq!(
        events[0],
        Seen::StreamStart {
            tag,
            path: "/interface/monitor-traffic".into()
        }
    );
    assert_eq!(
        events[1],
        Seen::StreamStop {
            tag,
            path: "/interface/monitor-traffic".into(),
            rows: end.rows,
            // Rows keep coming every 10 ms while the cancel is on its way: on a busy machine
            // the slot may overflow and drop some, and the event must say as many as the
            // stream does.
            dropped: end.dropped,
            cancelled: true
        }
    );
    assert!(end.rows >= 3, "the three rows read were counted: {end:?}");

    // A stream that ends by itself is not "cancelled"; a dropped one is, once its !done came.
    let ping = within(mux.stream(&["/ping", "=address=10.1.1.1", "=count=2", "=interval=10ms"]))
        .await
        .unwrap();
    within(ping.finish()).await.unwrap();
    let mut dropped = within(mux.stream(&[
        "/interface/monitor-traffic",
        "=interface=ether2",
        "=interval=10ms",
    ]))
    .await
    .unwrap();
    within(dropped.next()).await.unwrap().unwrap();
    drop(dropped);
    settle(&mux).await;
    let stops: Vec<Seen> =
        tm.0.take()
            .into_iter()
            .filter(|e| matches!(e, Seen::StreamStop { .. }))
            .collect();
    assert!(
        matches!(&stops[0], Seen::StreamStop { path, rows: 2, cancelled: false, .. } if path == "/ping"),
        "{stops:?}"
    );
    assert!(
        matches!(
            &stops[1],
            Seen::StreamStop {
                cancelled: true,
                ..
            }
        ),
        "{stops:?}"
    );
    assert_eq!(stops.len(), 2);
}

#[tokio::test]
async fn no_secret_reaches_the_observer() {
    let sim = sim(config()).await;
    let tm = (Recorder::default(), StepClock::new(1));
    let mux = logged_in(&sim, &tm).await;
    within(mux.run(&["/system/identity/set", "=name=secret-identity"]))
        .await
        .unwrap();
    let wrong = async {
        let (r, w) = halves(&sim).await;
        let other = routeros_core::mux::Mux::<_, _, _, 2, 512>::with_telemetry(
            r,
            w,
            buffer(4096),
            buffer(512),
            &tm,
        );
        other.login("admin", "wrong-pw-value").await
    };
    assert!(matches!(within(wrong).await, Err(Error::AuthFailed(_))));
    for text in tm.0.debug.borrow().iter() {
        assert!(
            !text.contains(PASSWORD) && !text.contains("wrong-pw-value"),
            "{text}"
        );
        assert!(
            !text.contains("secret-identity"),
            "attribute values must not appear: {text}"
        );
    }
    assert!(!tm.0.debug.borrow().is_empty());
}

#[tokio::test]
async fn connection_failure_is_reported() {
    let sim = sim(config()).await;
    let tm = (Recorder::default(), StepClock::new(1));
    let mux = logged_in(&sim, &tm).await;
    tm.0.take();
    let mut s = within(mux.stream(&[
        "/interface/monitor-traffic",
        "=interface=ether1",
        "=interval=10ms",
    ]))
    .await
    .unwrap();
    within(s.next()).await.unwrap().unwrap();
    sim.disconnect_all();
    while let Some(Ok(_)) = within(s.next()).await {}
    drop(s);
    let events = tm.0.take();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Seen::ConnectionException { .. })),
        "{events:?}"
    );
    assert!(
        matches!(events.last(), Some(Seen::StreamStop { .. })),
        "{events:?}"
    );
    assert_eq!(mux.slots_in_use(), 0);
}

type Conn = Client<FromTokio<TcpStream>, Vec<u8>>;

struct Dial {
    addr: SocketAddr,
    fail_first: Cell<u32>,
}

impl Connector for Dial {
    type Conn = Conn;
    async fn connect(&mut self) -> Result<Conn, Error> {
        if self.fail_first.get() > 0 {
            self.fail_first.set(self.fail_first.get() - 1);
            return Err(Error::Timeout);
        }
        let stream = TcpStream::connect(self.addr)
            .await
            .map_err(|_| Error::Closed)?;
        let mut client = Client::new(FromTokio::new(stream), vec![0; 4096], vec![0; 512]);
        client.login("admin", PASSWORD).await?;
        Ok(client)
    }
}

struct Sleep;
impl Delay for Sleep {
    async fn delay_ms(&mut self, ms: u32) {
        tokio::time::sleep(Duration::from_millis(u64::from(ms))).await;
    }
}

#[tokio::test]
async fn pool_events() {
    let sim = sim(config()).await;
    let tm = (Recorder::default(), StepClock::new(100));
    let state: PoolState<Conn, 2> = PoolState::new();
    let dial = Dial {
        addr: sim.addr(),
        fail_first: Cell::new(1),
    };
    let config = PoolConfig {
        backoff_initial_ms: 1,
        ..PoolConfig::new()
    };
    let pool = Pool::with_telemetry(&state, dial, Sleep, config, &tm);
    let conn = within(pool.checkout()).await.unwrap();
    let index = conn.index();
    drop(conn);
    let events = tm.0.take();
    assert_eq!(events[0], Seen::ConnectionStart { attempt: 1 });
    assert!(
        matches!(&events[1], Seen::ConnectionException { error } if error == "timed out"),
        "{events:?}"
    );
    assert_eq!(events[2], Seen::ConnectionStart { attempt: 2 });
    assert!(
        matches!(events[3], Seen::ConnectionStop { micros: 100 }),
        "{events:?}"
    );
    assert!(
        matches!(events[4], Seen::PoolCheckout { index: i, micros } if i == index && micros > 0),
        "{events:?}"
    );
    assert_eq!(
        events[5],
        Seen::PoolCheckin {
            index,
            reusable: true
        }
    );
    assert_eq!(events.len(), 6);

    // The router drops the idle connection: the next checkout reports the failed check.
    sim.disconnect_all();
    tokio::time::sleep(Duration::from_millis(20)).await;
    drop(within(pool.checkout()).await.unwrap());
    let events = tm.0.take();
    assert!(
        matches!(events[0], Seen::PoolHealthCheckFailed { index: i, .. } if i == index),
        "{events:?}"
    );
    assert_eq!(events[1], Seen::ConnectionStart { attempt: 1 });
    assert!(matches!(
        events.last(),
        Some(Seen::PoolCheckin { reusable: true, .. })
    ));
    assert_eq!(pool.in_use(), 0);
}

/// `()` is the no-op telemetry: it never reads a clock and costs nothing.
#[test]
fn unit_telemetry_is_disabled_and_free() {
    const { assert!(!<() as Telemetry>::ENABLED) };
    assert_eq!(std::mem::size_of::<()>(), 0);
    struct Panicking;
    impl Clock for Panicking {
        fn now(&self) -> Instant {
            unreachable!()
        }
    }
    impl Observer for Panicking {
        fn on_event(&self, _: &Event<'_>) {}
    }
    const { assert!(<(Panicking, Panicking) as Telemetry>::ENABLED) };
    ().event(&Event::ConnectionStart { attempt: 1 });
    assert_eq!(().now(), Instant::ZERO);
}
