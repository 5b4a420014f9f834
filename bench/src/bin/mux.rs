//! Many commands at once: tagged multiplexing on one connection versus a pool of connections
//! versus one command at a time, against the in-process simulator over loopback.
//!
//! ```text
//! cargo run --release -p routeros-bench --bin mux [-- --commands N --stream-rows N]
//! ```
//!
//! - `sequential`: one `Client`, one command after the other (N concurrent callers would wait
//!   for each other exactly like this).
//! - `mux xN`: one connection, N futures each running its share of the commands at once
//!   (`Mux` with 16 slots of 1 KiB).
//! - `pool xN`: N futures sharing a pool of up to N connections (`Pool` over `Client`s).
//!
//! Every command is `/interface/print` (7 rows of about 110 bytes), each row's `name` read.
//! Times exclude connecting and logging in; each configuration runs once untimed first.
//! Streams: rows per second through stream slots (the simulator paces monitor-traffic at its
//! 10 ms minimum interval, so that figure is the simulator's rate; the bulk figure pushes an
//! address-list print through a stream slot as fast as the socket goes).

use std::cell::Cell;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use embedded_io_adapters::tokio_1::FromTokio;
use futures_util::future::join_all;
use routeros_core::mux::Mux;
use routeros_core::pool::{Connector, Delay, Pool, PoolConfig, PoolState};
use routeros_core::{Client, Error};
use routeros_sim::{SimConfig, Simulator};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

type Rd = FromTokio<OwnedReadHalf>;
type Wr = FromTokio<OwnedWriteHalf>;
type Conn = Client<FromTokio<TcpStream>, Vec<u8>>;
type BenchMux = Mux<'static, Rd, Wr, (), 16, 1024>;

const COMMAND: [&str; 1] = ["/interface/print"];

struct Dial(SocketAddr);

impl Connector for Dial {
    type Conn = Conn;
    async fn connect(&mut self) -> Result<Conn, Error> {
        let stream = TcpStream::connect(self.0)
            .await
            .map_err(|_| Error::Closed)?;
        stream.set_nodelay(true).map_err(|_| Error::Closed)?;
        let mut client = Client::new(FromTokio::new(stream), vec![0; 8192], vec![0; 512]);
        client.login("admin", "").await?;
        Ok(client)
    }
}

struct Sleep;
impl Delay for Sleep {
    async fn delay_ms(&mut self, ms: u32) {
        tokio::time::sleep(Duration::from_millis(u64::from(ms))).await;
    }
}

async fn halves(addr: SocketAddr) -> (Rd, Wr) {
    let stream = TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let (r, w) = stream.into_split();
    (FromTokio::new(r), FromTokio::new(w))
}

fn leak(len: usize) -> &'static mut [u8] {
    Box::leak(vec![0u8; len].into_boxed_slice())
}

async fn sequential(conn: &mut Conn, commands: usize) -> usize {
    let mut rows = 0;
    for _ in 0..commands {
        let mut r = conn.command(&COMMAND).await.expect("command");
        while let Some(row) = r.next().await {
            rows += usize::from(row.expect("row").get("name").is_some());
        }
    }
    rows
}

async fn muxed(mux: &BenchMux, callers: usize, commands: usize) -> usize {
    let each = commands / callers;
    let futures = (0..callers).map(|_| async move {
        let mut rows = 0;
        for _ in 0..each {
            let mut r = mux.command_wait(&COMMAND).await.expect("command");
            while let Some(row) = r.next().await {
                rows += usize::from(row.expect("row").get("name").is_some());
            }
        }
        rows
    });
    join_all(futures).await.into_iter().sum()
}

async fn pooled<D: Delay>(pool: &Pool<'_, Dial, D, 16>, callers: usize, commands: usize) -> usize {
    let each = commands / callers;
    let futures = (0..callers).map(|_| async move {
        let mut rows = 0;
        for _ in 0..each {
            let mut conn = pool.checkout_wait().await.expect("checkout");
            let mut r = conn.command(&COMMAND).await.expect("command");
            while let Some(row) = r.next().await {
                rows += usize::from(row.expect("row").get("name").is_some());
            }
        }
        rows
    });
    join_all(futures).await.into_iter().sum()
}

async fn bulk<const N: usize, const S: usize>(
    mut stream: routeros_core::mux::Stream<'_, Mux<'static, Rd, Wr, (), N, S>>,
) -> (usize, u32, u32) {
    let mut delivered = 0usize;
    while let Some(row) = stream.next().await {
        delivered += usize::from(row.expect("row").get("address").is_some());
    }
    (delivered, stream.rows(), stream.dropped())
}

fn line(name: &str, commands: usize, rows: usize, took: Duration) {
    println!(
        "{name:<14} {commands:>8} {rows:>8} {:>10.1} {:>12.0} {:>10.1}",
        took.as_secs_f64() * 1000.0,
        commands as f64 / took.as_secs_f64(),
        took.as_micros() as f64 / commands as f64
    );
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let commands = arg("--commands", 4800);
    let bulk_rows = arg("--stream-rows", 100_000);
    let sim = Simulator::spawn(SimConfig {
        address_list_rows: bulk_rows,
        ..SimConfig::default()
    })
    .expect("simulator");
    let addr = sim.addr();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        println!("# {commands} x /interface/print (7 rows each) against the simulator at {addr}");
        println!(
            "{:<14} {:>8} {:>8} {:>10} {:>12} {:>10}",
            "mode", "commands", "rows", "total ms", "commands/s", "µs/command"
        );

        let mut conn = Dial(addr).connect().await.expect("connect");
        sequential(&mut conn, 100).await;
        let t = Instant::now();
        let rows = sequential(&mut conn, commands).await;
        line("sequential", commands, rows, t.elapsed());

        let (r, w) = halves(addr).await;
        let mux: &'static BenchMux = Box::leak(Box::new(Mux::new(r, w, leak(16 * 1024), leak(512))));
        mux.login("admin", "").await.expect("login");
        for n in [1usize, 4, 16] {
            muxed(mux, n, 16 * n).await;
            let t = Instant::now();
            let rows = muxed(mux, n, commands).await;
            line(&format!("mux x{n}"), commands, rows, t.elapsed());
            assert_eq!(mux.slots_in_use(), 0);
        }

        for (label, health_check) in [("pool", true), ("pool-nohc", false)] {
            for n in [1usize, 4, 16] {
                let state: PoolState<Conn, 16> = PoolState::new();
                let config = PoolConfig {
                    health_check,
                    ..PoolConfig::new()
                };
                let pool = Pool::new(&state, Dial(addr), Sleep, config);
                pooled(&pool, n, 16 * n).await;
                let t = Instant::now();
                let rows = pooled(&pool, n, commands).await;
                line(&format!("{label} x{n}"), commands, rows, t.elapsed());
                assert_eq!(pool.in_use(), 0);
            }
        }

        println!();
        println!("# streams");
        // Sixteen monitor-traffic streams on one connection, paced by the simulator.
        let streams: Vec<_> = {
            let mut v = Vec::new();
            for _ in 0..16 {
                v.push(
                    mux.stream(&[
                        "/interface/monitor-traffic",
                        ["=interface=ether1", "=interface=ether2", "=interface=ether3", "=interface=ether4"][v.len() % 4],
                        "=interval=10ms",
                    ])
                    .await
                    .expect("stream"),
                );
            }
            v
        };
        let window = Duration::from_secs(2);
        let t = Instant::now();
        let counted = Cell::new(0usize);
        let readers = streams.into_iter().map(|mut s| {
            let counted = &counted;
            async move {
                while t.elapsed() < window {
                    if let Some(row) = s.next().await {
                        row.expect("row");
                        counted.set(counted.get() + 1);
                    }
                }
                s.cancel().await.expect("cancel")
            }
        });
        let ends = join_all(readers).await;
        let took = t.elapsed();
        let dropped: u32 = ends.iter().map(|e| e.dropped).sum();
        println!(
            "monitor-traffic x16 streams, one connection: {} rows in {:.2} s = {:.0} rows/s, {} dropped",
            counted.get(),
            took.as_secs_f64(),
            counted.get() as f64 / took.as_secs_f64(),
            dropped
        );
        assert_eq!(mux.slots_in_use(), 0);

        // A print pushed through stream slots as fast as the socket goes: with 1 KiB slots a
        // burst overflows (oldest rows dropped, counted); with a slot larger than the receive
        // buffer nothing is dropped.
        let (r, w) = halves(addr).await;
        let big: &'static Mux<'static, Rd, Wr, (), 2, 32768> =
            Box::leak(Box::new(Mux::new(r, w, leak(16 * 1024), leak(512))));
        big.login("admin", "").await.expect("login");
        for (label, which) in [("1 KiB slot", 0), ("32 KiB slot", 1)] {
            let t = Instant::now();
            let (delivered, total, dropped) = if which == 0 {
                bulk(mux.stream(&["/ip/firewall/address-list/print"]).await.expect("stream")).await
            } else {
                bulk(big.stream(&["/ip/firewall/address-list/print"]).await.expect("stream")).await
            };
            let took = t.elapsed();
            println!(
                "bulk print through one stream, {label}: {total} rows in {:.1} ms = {:.0} rows/s; {delivered} delivered, {dropped} dropped",
                took.as_secs_f64() * 1000.0,
                total as f64 / took.as_secs_f64(),
            );
        }

        println!();
        println!("# static memory (bytes)");
        println!(
            "Mux<4 slots x 1 KiB> over tokio halves: {}",
            std::mem::size_of::<Mux<'static, Rd, Wr, (), 4, 1024>>()
        );
        println!(
            "Mux<4 slots x 1 KiB> over zero-sized halves (the core's own state): {}",
            std::mem::size_of::<Mux<'static, Nothing, Nothing, (), 4, 1024>>()
        );
        println!(
            "Mux<16 slots x 1 KiB> over zero-sized halves: {}",
            std::mem::size_of::<Mux<'static, Nothing, Nothing, (), 16, 1024>>()
        );
        println!(
            "PoolState<Client over zero-sized transport, 4>: {}  (+ Pool: {})",
            std::mem::size_of::<PoolState<Client<Nothing, &'static mut [u8]>, 4>>(),
            std::mem::size_of::<Pool<'static, NoDial, Sleep, 4>>()
        );
        println!(
            "PoolState<Client over tokio socket, 4>: {}",
            std::mem::size_of::<PoolState<Conn, 4>>()
        );
        println!("(plus the caller's receive/send buffers, and each Client's own buffers)");
    });
    sim.shutdown();
}

/// A transport of size zero, to measure the client's own state.
struct Nothing;
impl embedded_io_async::ErrorType for Nothing {
    type Error = core::convert::Infallible;
}
impl embedded_io_async::Read for Nothing {
    async fn read(&mut self, _: &mut [u8]) -> Result<usize, Self::Error> {
        Ok(0)
    }
}
impl embedded_io_async::Write for Nothing {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        Ok(buf.len())
    }
    async fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}
/// A connector of size zero.
struct NoDial;
impl Connector for NoDial {
    type Conn = Client<Nothing, &'static mut [u8]>;
    async fn connect(&mut self) -> Result<Self::Conn, Error> {
        Err(Error::Closed)
    }
}
