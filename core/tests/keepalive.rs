//! Dead-peer detection over a scripted link that silently stops answering (reads pend
//! forever, no FIN, no RST): the probe fails within the bound on the `Client`, the `Mux`
//! and the `Pool`, the connection is marked dead, and the pool drops it.

mod support;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use routeros_core::keepalive::{Delay, Keepalive, Probe};
use routeros_core::mux::Mux;
use routeros_core::pool::{Connector, Pool, PoolConfig, PoolState};
use routeros_core::telemetry::{Clock, Instant};
use routeros_core::{Client, Error};
use support::{run_bounded, tag_word, Script};

const POLLS: usize = 10_000;

/// A fake clock: time moves only when a delay runs out.
#[derive(Clone, Default)]
struct FakeTime(Rc<Cell<u64>>);

impl FakeTime {
    fn now(&self) -> Instant {
        Instant::from_millis(self.0.get())
    }
    fn advance(&self, ms: u64) {
        self.0.set(self.0.get() + ms);
    }
}

impl Clock for FakeTime {
    fn now(&self) -> Instant {
        FakeTime::now(self)
    }
}

/// A delay that lets other futures run for a few polls, then advances the fake clock by
/// its length and ends: a timer firing.
struct Timer(FakeTime);

impl Delay for Timer {
    async fn delay_ms(&mut self, ms: u32) {
        for _ in 0..20 {
            yield_now().await;
        }
        self.0.advance(u64::from(ms));
    }
}

async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

/// Answers every command with `!done` and its tag, until the script goes silent.
fn router(script: &Script) {
    script.respond(|words| {
        let tag = tag_word(words).unwrap_or_default();
        match words[0].as_str() {
            "/interface/monitor-traffic" => vec![vec!["!re".into(), "=rx=1".into(), tag]],
            _ => vec![
                vec!["!re".into(), "=name=MikroTik".into(), tag.clone()],
                vec!["!done".into(), tag],
            ],
        }
    });
}

fn policy() -> Keepalive {
    Keepalive::new(Duration::from_secs(30), Duration::from_secs(5))
}

fn probes(script: &Script) -> usize {
    script
        .written()
        .iter()
        .filter(|s| s[0] == "/system/identity/print")
        .count()
}

#[test]
fn client_probes_when_idle_and_declares_a_silent_peer_dead_within_the_bound() {
    let script = Script::pending();
    router(&script);
    let time = FakeTime::default();
    let mut timer = Timer(time.clone());
    let mut client = Client::new(script.clone(), vec![0u8; 256], vec![0u8; 256]);
    let policy = policy();
    run_bounded(
        async {
            assert_eq!(
                client.keepalive(time.now(), &policy, &mut timer).await,
                Ok(Probe::NotDue)
            );
            time.advance(29_999);
            assert_eq!(
                client.keepalive(time.now(), &policy, &mut timer).await,
                Ok(Probe::NotDue)
            );
            assert_eq!(probes(&script), 0);
            time.advance(1);
            assert_eq!(
                client.keepalive(time.now(), &policy, &mut timer).await,
                Ok(Probe::Answered)
            );
            assert_eq!(probes(&script), 1);
            // Traffic counts as news: no probe 30 s after it.
            time.advance(20_000);
            client.run(&["/interface/print"]).await.unwrap();
            client
                .keepalive(time.now(), &policy, &mut timer)
                .await
                .unwrap();
            time.advance(29_000);
            assert_eq!(
                client.keepalive(time.now(), &policy, &mut timer).await,
                Ok(Probe::NotDue)
            );

            // The peer vanishes without a FIN or RST.
            script.go_silent();
            let silent_since = time.now();
            let mut result = Ok(Probe::NotDue);
            while result == Ok(Probe::NotDue) {
                time.advance(1_000);
                result = client.keepalive(time.now(), &policy, &mut timer).await;
            }
            assert_eq!(result, Err(Error::Timeout));
            let noticed = time.now().duration_since(silent_since);
            assert!(
                noticed <= policy.bound() + Duration::from_secs(1),
                "{noticed:?}"
            );
            assert!(!client.is_usable());
            assert_eq!(
                client.run(&["/system/identity/print"]).await,
                Err(Error::Timeout)
            );
        },
        POLLS,
    )
    .expect("never hangs");
}

/// Polls two futures together until both are done.
fn join2<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let mut a = pin!(a);
    let mut b = pin!(b);
    let (mut ra, mut rb) = (None, None);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..POLLS {
        if ra.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(&mut cx) {
                ra = Some(v);
            }
        }
        if rb.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(&mut cx) {
                rb = Some(v);
            }
        }
        if let (Some(_), Some(_)) = (&ra, &rb) {
            return (ra.take().unwrap(), rb.take().unwrap());
        }
    }
    panic!("hung");
}

#[test]
fn mux_probe_fails_every_handle_waiting_on_a_silent_peer() {
    let script = Script::pending();
    router(&script);
    let time = FakeTime::default();
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    let mux: Mux<'_, _, _, (), 4, 512> = Mux::new(script.clone(), script.clone(), &mut rx, &mut tx);
    let policy = policy();
    let mut stream = run_bounded(mux.stream(&["/interface/monitor-traffic"]), POLLS)
        .unwrap()
        .unwrap();
    run_bounded(
        async {
            drop(stream.next().await.unwrap().unwrap());
            let mut timer = Timer(time.clone());
            assert_eq!(
                mux.keepalive(time.now(), &policy, &mut timer).await,
                Ok(Probe::NotDue)
            );
            time.advance(30_000);
            assert_eq!(
                mux.keepalive(time.now(), &policy, &mut timer).await,
                Ok(Probe::Answered)
            );
        },
        POLLS,
    )
    .expect("alive");
    script.go_silent();
    let watcher = async {
        // Waits for a row that never comes: holds the reader.
        stream.next().await.map(|r| r.map(|_| ()))
    };
    let prober = async {
        let mut timer = Timer(time.clone());
        let mut result = Ok(Probe::NotDue);
        while result == Ok(Probe::NotDue) {
            time.advance(1_000);
            result = mux.keepalive(time.now(), &policy, &mut timer).await;
        }
        result
    };
    let (row, probe) = join2(watcher, prober);
    assert_eq!(probe, Err(Error::Timeout));
    assert_eq!(row, Some(Err(Error::Timeout)));
    assert!(!mux.is_usable());
    assert!(
        time.now().duration_since(Instant::from_millis(30_000))
            <= policy.bound() + Duration::from_secs(1)
    );
}

/// Opens scripted clients; each one's script is kept to silence it later.
struct Scripted {
    scripts: Rc<RefCell<Vec<Script>>>,
}

type Conn = Client<Script, Vec<u8>>;

impl Connector for Scripted {
    type Conn = Conn;
    async fn connect(&mut self) -> Result<Conn, Error> {
        let script = Script::pending();
        router(&script);
        self.scripts.borrow_mut().push(script.clone());
        Ok(Client::new(script, vec![0u8; 256], vec![0u8; 256]))
    }
}

#[test]
fn pool_drops_a_dead_idle_connection_instead_of_handing_it_out() {
    let scripts = Rc::new(RefCell::new(Vec::new()));
    let time = FakeTime::default();
    let state: PoolState<Conn, 2> = PoolState::new();
    let config = PoolConfig {
        keepalive: policy(),
        ..PoolConfig::new()
    };
    let pool = Pool::with_telemetry(
        &state,
        Scripted {
            scripts: scripts.clone(),
        },
        Timer(time.clone()),
        config,
        ((), time.clone()),
    );
    run_bounded(
        async {
            let mut conn = pool.checkout().await.unwrap();
            conn.run(&["/interface/print"]).await.unwrap();
            drop(conn);
            // Idle for less than `idle`: handed out again without a check.
            time.advance(10_000);
            let conn = pool.checkout().await.unwrap();
            assert_eq!(probes(&scripts.borrow()[0]), 0);
            drop(conn);
            // The peer goes silent; a sweep after `idle` finds it dead within the deadline.
            scripts.borrow()[0].go_silent();
            time.advance(10_000);
            assert_eq!(pool.keepalive().await, 0, "not due yet");
            time.advance(20_000);
            let before = time.now();
            assert_eq!(pool.keepalive().await, 1);
            assert!(time.now().duration_since(before) <= policy().deadline);
            assert_eq!(pool.idle(), 0);
            // A checkout opens a fresh connection.
            let mut conn = pool.checkout().await.unwrap();
            conn.run(&["/system/identity/print"]).await.unwrap();
            drop(conn);
            assert_eq!(scripts.borrow().len(), 2);

            // Dead while idle and no sweep: the checkout's own check finds it.
            scripts.borrow()[1].go_silent();
            time.advance(31_000);
            let mut conn = pool.checkout().await.unwrap();
            assert!(conn.is_usable());
            conn.run(&["/system/identity/print"]).await.unwrap();
            assert_eq!(scripts.borrow().len(), 3);
        },
        POLLS,
    )
    .expect("never hangs");
}

#[test]
fn mux_probe_needs_no_slot() {
    let script = Script::pending();
    router(&script);
    let time = FakeTime::default();
    let (mut rx, mut tx) = ([0u8; 256], [0u8; 256]);
    // One slot, held by a command whose handle nobody reads.
    let mux: Mux<'_, _, _, (), 1, 512> = Mux::new(script.clone(), script.clone(), &mut rx, &mut tx);
    let policy = policy();
    run_bounded(
        async {
            let held = mux.command(&["/interface/print"]).await.unwrap();
            let mut timer = Timer(time.clone());
            assert_eq!(
                mux.keepalive(time.now(), &policy, &mut timer).await,
                Ok(Probe::NotDue)
            );
            time.advance(30_000);
            assert_eq!(
                mux.keepalive(time.now(), &policy, &mut timer).await,
                Ok(Probe::Answered)
            );
            assert_eq!(probes(&script), 1);
            assert!(mux.is_usable());
            // The held command's reply was routed meanwhile.
            assert_eq!(
                held.finish().await.map(|done| done.ret().is_none()),
                Ok(true)
            );
            let _still = mux.command(&["/interface/print"]).await.unwrap();
            script.go_silent();
            time.advance(30_000);
            assert_eq!(
                mux.keepalive(time.now(), &policy, &mut timer).await,
                Err(Error::Timeout)
            );
            assert!(!mux.is_usable());
        },
        POLLS,
    )
    .expect("never hangs");
}
