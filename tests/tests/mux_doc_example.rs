//! The `Mux` module's documented example, run as written against the simulator with
//! `Mux<4, 1024>`: it must finish (reading `/interface/print` after waiting on a command
//! started later would stall, since its reply does not fit the 1 KiB slot).

mod mux_support;

use embedded_io_async::{Read, Write};
use mux_support::{halves, sim, within};
use routeros_core::mux::Mux;
use routeros_core::Error;
use routeros_sim::SimConfig;

/// The example from `core/src/mux/README.md`, word for word inside the function.
async fn demo<R: Read, W: Write>(r: R, w: W) -> Result<(), Error> {
    let (mut rx, mut tx) = ([0u8; 2048], [0u8; 256]);
    let mux: Mux<'_, R, W, (), 4, 1024> = Mux::new(r, w, &mut rx, &mut tx);
    mux.login("admin", "").await?;

    let mut traffic = mux
        .stream(&[
            "/interface/monitor-traffic",
            "=interface=ether1",
            "=interval=100ms",
        ])
        .await?;
    let mut interfaces = mux.command(&["/interface/print"]).await?;
    let identity = mux.command(&["/system/identity/print"]).await?;

    // Each handle drives the connection when it needs data. Commands are read in the order
    // they were started: `/interface/print` may not fit its 1 KiB slot, and its rows wait
    // there (holding up all reading) until they are read. Stream rows never hold anything up.
    while let Some(row) = interfaces.next().await {
        let row = row?;
        let _name = row.get("name");
    }
    let done = identity.finish().await?;
    for _ in 0..3 {
        if let Some(sample) = traffic.next().await {
            let _rx_bps = sample?.get("rx-bits-per-second");
        }
    }
    let end = traffic.cancel().await?;
    assert!(end.rows >= 3);
    let _ = done;
    Ok(())
}

#[tokio::test]
async fn the_documented_example_runs_against_the_simulator() {
    let sim = sim(SimConfig::default()).await;
    let (r, w) = halves(&sim).await;
    within(demo(r, w)).await.expect("the example succeeds");
}

#[tokio::test]
async fn the_interface_print_reply_is_larger_than_one_slot() {
    // What makes the order matter: the reply does not fit `S = 1024`.
    let sim = sim(SimConfig::default()).await;
    let (r, w) = halves(&sim).await;
    let (mut rx, mut tx) = ([0u8; 2048], [0u8; 256]);
    let mux: Mux<'_, _, _, (), 4, 1024> = Mux::new(r, w, &mut rx, &mut tx);
    within(mux.login("admin", "")).await.unwrap();
    let mut interfaces = within(mux.command(&["/interface/print"])).await.unwrap();
    let mut bytes = 0;
    while let Some(row) = within(interfaces.next()).await {
        bytes += row.unwrap().sentence().as_bytes().len();
    }
    assert!(bytes > 1024, "only {bytes} bytes");
}
