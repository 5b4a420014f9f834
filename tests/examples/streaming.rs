//! Streaming and cancel, two ways, against the built-in simulator:
//!
//! 1. the one-at-a-time `Client`: take a few `/interface/monitor-traffic` samples, then
//!    `cancel()`;
//! 2. the multiplexing `Mux`: two streams and an ordinary command at once on one connection.
//!
//! Run it: `cargo run -p routeros-tests --example streaming`

use embedded_io_adapters::tokio_1::FromTokio;
use routeros_core::mux::Mux;
use routeros_core::{Client, Error};
use routeros_sim::{SimConfig, Simulator};
use tokio::net::TcpStream;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let sim = Simulator::start(SimConfig::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .expect("simulator starts");
    let connect = || async {
        let stream = TcpStream::connect(sim.addr()).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        stream
    };

    // 1. One command at a time: a stream is a command whose rows keep coming.
    let mut client = Client::new(
        FromTokio::new(connect().await),
        vec![0u8; 4096],
        vec![0u8; 512],
    );
    client.login("admin", "").await?;
    let mut traffic = client
        .command(&[
            "/interface/monitor-traffic",
            "=interface=ether1",
            "=interval=0.1",
        ])
        .await?;
    for _ in 0..3 {
        let row = traffic.next().await.expect("a sample")?;
        println!(
            "client: ether1 rx {} bit/s, tx {} bit/s",
            row.get("rx-bits-per-second").unwrap_or_default(),
            row.get("tx-bits-per-second").unwrap_or_default()
        );
    }
    // Sends `/cancel =tag=...` and reads to the stream's `!done`, whatever the reply order.
    traffic.cancel().await?;
    println!(
        "client: stream cancelled; identity is {}",
        client.identity().await?
    );

    // 2. Several at once: 4 slots of 2 KiB, replies routed by tag.
    let (read, write) = connect().await.into_split();
    let (mut rx, mut tx) = ([0u8; 4096], [0u8; 512]);
    let mux: Mux<'_, _, _, (), 4, 2048> = Mux::new(
        FromTokio::new(read),
        FromTokio::new(write),
        &mut rx,
        &mut tx,
    );
    mux.login("admin", "").await?;
    let mut ether1 = mux
        .stream(&[
            "/interface/monitor-traffic",
            "=interface=ether1",
            "=interval=0.05",
        ])
        .await?;
    let mut ether2 = mux
        .stream(&[
            "/interface/monitor-traffic",
            "=interface=ether2",
            "=interval=0.05",
        ])
        .await?;
    let mut interfaces = mux.command(&["/interface/print", "?type=ether"]).await?;
    let mut names = Vec::new();
    while let Some(row) = interfaces.next().await {
        names.push(row?.get("name").unwrap_or_default().to_string());
    }
    println!("mux: ethernet interfaces while two streams run: {names:?}");
    for _ in 0..2 {
        let a = ether1
            .next()
            .await
            .expect("sample")?
            .get("rx-bits-per-second")
            .unwrap_or_default()
            .to_string();
        let b = ether2
            .next()
            .await
            .expect("sample")?
            .get("rx-bits-per-second")
            .unwrap_or_default()
            .to_string();
        println!("mux: rx ether1 {a} bit/s, ether2 {b} bit/s");
    }
    let end1 = ether1.cancel().await?;
    let end2 = ether2.cancel().await?;
    println!(
        "mux: streams cancelled after {} and {} rows ({} dropped); slots in use: {}",
        end1.rows,
        end2.rows,
        end1.dropped + end2.dropped,
        mux.slots_in_use()
    );
    Ok(())
}
