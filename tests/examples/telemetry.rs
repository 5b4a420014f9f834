//! Telemetry: command events with paths, tags, durations and row counts (never attribute
//! values), from a clock the caller supplies.
//!
//! Run it: `cargo run -p routeros-tests --example telemetry`

use std::time::Instant as StdInstant;

use embedded_io_adapters::tokio_1::FromTokio;
use routeros_core::telemetry::{Clock, Event, Instant, Observer};
use routeros_core::{Client, Error};
use routeros_sim::{SimConfig, Simulator};
use tokio::net::TcpStream;

/// Prints every event.
struct Print;

impl Observer for Print {
    fn on_event(&self, event: &Event<'_>) {
        match event {
            Event::CommandStart { tag, path } => println!("command {tag} {path} started"),
            Event::CommandStop {
                tag,
                path,
                duration,
                rows,
            } => {
                println!("command {tag} {path} done: {rows} rows in {duration:?}")
            }
            Event::CommandException {
                tag,
                path,
                duration,
                error,
            } => {
                println!("command {tag} {path} failed after {duration:?}: {error}")
            }
            other => println!("{other:?}"),
        }
    }
}

/// Microseconds since the program started.
struct Since(StdInstant);

impl Clock for Since {
    fn now(&self) -> Instant {
        Instant::from_micros(self.0.elapsed().as_micros() as u64)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let sim = Simulator::start(SimConfig::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .expect("simulator starts");
    let stream = TcpStream::connect(sim.addr()).await.expect("connect");
    let mut client = Client::with_telemetry(
        FromTokio::new(stream),
        vec![0u8; 4096],
        vec![0u8; 512],
        (Print, Since(StdInstant::now())),
    );
    client.login("admin", "").await?; // the password never reaches an event
    client.list_interfaces::<16>().await?;
    let _ = client.run(&["/ip/address/remove", "=.id=*99"]).await; // a trap
    client.set_identity("edge-1").await?;
    Ok(())
}
