//! Against the simulator: a future waiting for a `Mux` slot drives the connection itself,
//! so slots held by dropped handles are freed even when nothing else is polled.

mod mux_support;

use mux_support::{monitor, mux, sim, within};
use routeros_sim::SimConfig;

#[tokio::test]
async fn one_slot_dropped_stream_then_run() {
    let sim = sim(SimConfig::default()).await;
    let mux = mux::<1, 1024>(&sim).await;
    drop(monitor(&mux, "ether1").await);
    assert_eq!(mux.slots_in_use(), 1);
    within(mux.run(&["/system/identity/print"])).await.unwrap();
    within(mux.login("admin", "")).await.unwrap();
    assert!(mux.is_usable());
}

#[tokio::test]
async fn two_slots_two_dropped_streams_then_every_waiting_entry_point() {
    let sim = sim(SimConfig::default()).await;
    let mux = mux::<2, 1024>(&sim).await;
    drop(monitor(&mux, "ether1").await);
    drop(monitor(&mux, "ether2").await);
    assert_eq!(mux.slots_in_use(), 2);
    within(mux.run(&["/system/identity/print"])).await.unwrap();

    drop(monitor(&mux, "ether1").await);
    drop(monitor(&mux, "ether2").await);
    let response = within(mux.command_wait(&["/system/identity/print"]))
        .await
        .unwrap();
    within(response.finish()).await.unwrap();

    drop(monitor(&mux, "ether1").await);
    drop(monitor(&mux, "ether2").await);
    let stream = within(mux.stream_wait(&["/interface/monitor-traffic", "=interface=ether1"]))
        .await
        .unwrap();
    within(stream.cancel()).await.unwrap();
}

#[tokio::test]
async fn one_slot_print_dropped_half_way_then_run() {
    let sim = sim(SimConfig::default()).await;
    // The print's reply does not fit the slot's 1 KiB (see mux_doc_example.rs).
    let mux = mux::<1, 1024>(&sim).await;
    let mut print = within(mux.command(&["/interface/print"])).await.unwrap();
    drop(within(print.next()).await.unwrap().unwrap());
    drop(print);
    within(mux.run(&["/system/identity/print"])).await.unwrap();
    assert_eq!(mux.slots_in_use(), 0);
}
