//! A fixed-capacity pool of connections against the built-in simulator: checkout, return on
//! drop, a health check before reuse, and reconnect with back-off after the router dropped
//! every connection.
//!
//! Run it: `cargo run -p routeros-tests --example pool`

use std::net::SocketAddr;
use std::time::Duration;

use embedded_io_adapters::tokio_1::FromTokio;
use routeros_core::pool::{Connector, Delay, Pool, PoolConfig, PoolState};
use routeros_core::{Client, Error};
use routeros_sim::{SimConfig, Simulator};
use tokio::net::TcpStream;

type Conn = Client<FromTokio<TcpStream>, Vec<u8>>;

/// Opens and logs in a connection; the pool calls it when it needs one.
struct Dial {
    addr: SocketAddr,
}

impl Connector for Dial {
    type Conn = Conn;

    async fn connect(&mut self) -> Result<Conn, Error> {
        let stream = TcpStream::connect(self.addr)
            .await
            .map_err(|_| Error::Io(embedded_io_async::ErrorKind::ConnectionRefused))?;
        stream.set_nodelay(true).ok();
        let mut client = Client::new(FromTokio::new(stream), vec![0; 4096], vec![0; 512]);
        client.login("admin", "").await?;
        Ok(client)
    }
}

/// Back-off waits through tokio's timer.
struct Sleep;

impl Delay for Sleep {
    async fn delay_ms(&mut self, ms: u32) {
        tokio::time::sleep(Duration::from_millis(u64::from(ms))).await;
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let sim = Simulator::start(SimConfig::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .expect("simulator starts");
    // Firmware would put the state in a `StaticCell`; `PoolState::new` is a `const fn`.
    let state: PoolState<Conn, 2> = PoolState::new();
    let pool = Pool::new(&state, Dial { addr: sim.addr() }, Sleep, PoolConfig::new());

    {
        let mut a = pool.checkout().await?;
        let mut b = pool.checkout().await?;
        println!(
            "two connections out: {} and {}",
            a.identity().await?,
            b.system_resource().await?.version
        );
        match pool.checkout().await {
            Err(Error::PoolExhausted) => println!("a third checkout: pool exhausted"),
            other => println!("unexpected: {:?}", other.map(|_| ())),
        }
    } // both go back to the pool here

    sim.disconnect_all();
    // The idle connections fail their health check and are replaced.
    let mut c = pool.checkout().await?;
    println!(
        "after the router dropped everything: {} interfaces on a fresh connection; in use {}",
        c.list_interfaces::<16>().await?.len(),
        pool.in_use()
    );
    drop(c);
    println!("all returned: in use {}", pool.in_use());
    Ok(())
}
