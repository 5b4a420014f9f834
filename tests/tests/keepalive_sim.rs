//! Dead-peer detection end to end: the client talks to the simulator through a relay that,
//! at some point, silently stops forwarding (no FIN, no RST: the sockets stay open). The
//! keepalive notices within `idle + deadline`, on the `Client` and on the `Mux`.

mod mux_support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use embedded_io_adapters::tokio_1::FromTokio;
use mux_support::{sim, within};
use routeros_core::keepalive::{Delay, Keepalive, Probe};
use routeros_core::mux::Mux;
use routeros_core::telemetry::Instant;
use routeros_core::{Client, Error};
use routeros_sim::SimConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

/// Copies `from` to `to` until `frozen` is set, then swallows everything, keeping both
/// sockets open as a vanished peer would.
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, frozen: Arc<AtomicBool>) {
    let mut buf = [0u8; 4096];
    loop {
        let n = from.read(&mut buf).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        if !frozen.load(Ordering::SeqCst) && to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    std::future::pending::<()>().await;
    drop(to);
}

/// A relay to `target` for one connection; returns its address.
async fn relay(target: std::net::SocketAddr, frozen: Arc<AtomicBool>) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (client, _) = listener.accept().await.unwrap();
        let server = TcpStream::connect(target).await.unwrap();
        let (cr, cw) = client.into_split();
        let (sr, sw) = server.into_split();
        tokio::spawn(pump(cr, sw, frozen.clone()));
        tokio::spawn(pump(sr, cw, frozen));
    });
    addr
}

/// tokio's timer as the keepalive's `Delay`.
struct Sleep;
impl Delay for Sleep {
    async fn delay_ms(&mut self, ms: u32) {
        tokio::time::sleep(Duration::from_millis(u64::from(ms))).await;
    }
}

/// The clock the caller drives the keepalive with.
fn now(start: StdInstant) -> Instant {
    Instant::from_micros(start.elapsed().as_micros() as u64)
}

const POLICY: Keepalive = Keepalive::new(Duration::from_millis(200), Duration::from_millis(300));

#[tokio::test]
async fn client_notices_a_silent_router() {
    let sim = sim(SimConfig::default()).await;
    let frozen = Arc::new(AtomicBool::new(false));
    let addr = relay(sim.addr(), frozen.clone()).await;
    let stream = TcpStream::connect(addr).await.unwrap();
    let mut client = Client::new(FromTokio::new(stream), vec![0u8; 4096], vec![0u8; 512]);
    within(client.login("admin", "")).await.unwrap();
    let start = StdInstant::now();
    let mut answered = 0;
    while start.elapsed() < Duration::from_millis(500) {
        if within(client.keepalive(now(start), &POLICY, &mut Sleep))
            .await
            .unwrap()
            == Probe::Answered
        {
            answered += 1;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        answered >= 1,
        "an idle connection to a live router is probed"
    );
    frozen.store(true, Ordering::SeqCst);
    let silent = StdInstant::now();
    let error = within(async {
        loop {
            match client.keepalive(now(start), &POLICY, &mut Sleep).await {
                Ok(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(e) => return e,
            }
        }
    })
    .await;
    assert_eq!(error, Error::Timeout);
    assert!(
        silent.elapsed() <= POLICY.bound() + Duration::from_millis(300),
        "{:?}",
        silent.elapsed()
    );
    assert!(!client.is_usable());
}

#[tokio::test]
async fn mux_notices_a_silent_router_and_ends_a_waiting_stream() {
    let sim = sim(SimConfig::default()).await;
    let frozen = Arc::new(AtomicBool::new(false));
    let addr = relay(sim.addr(), frozen.clone()).await;
    let stream = TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (r, w) = stream.into_split();
    let (mut rx, mut tx) = (vec![0u8; 4096], vec![0u8; 512]);
    let mux: Mux<'_, _, _, (), 2, 2048> =
        Mux::new(FromTokio::new(r), FromTokio::new(w), &mut rx, &mut tx);
    within(mux.login("admin", "")).await.unwrap();
    let mut traffic = within(mux.stream(&[
        "/interface/monitor-traffic",
        "=interface=ether1",
        "=interval=50ms",
    ]))
    .await
    .unwrap();
    drop(within(traffic.next()).await.unwrap().unwrap());
    let start = StdInstant::now();
    frozen.store(true, Ordering::SeqCst);
    let watcher = async {
        loop {
            match traffic.next().await {
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Some(e),
                None => return None,
            }
        }
    };
    let prober = async {
        loop {
            match mux.keepalive(now(start), &POLICY, &mut Sleep).await {
                Ok(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(e) => return e,
            }
        }
    };
    let (seen, probed) = within(async { tokio::join!(watcher, prober) }).await;
    assert_eq!(probed, Error::Timeout);
    assert_eq!(seen, Some(Error::Timeout));
    assert!(
        start.elapsed() <= POLICY.bound() + Duration::from_millis(300),
        "{:?}",
        start.elapsed()
    );
    assert!(!mux.is_usable());
}
