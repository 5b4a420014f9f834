//! The multiplexing client against the simulator: many commands in flight, streams beside
//! commands, cancel in every reply order, dropped streams, stale handles, exhausted slots,
//! bounded buffers. Every test ends by checking that no slot leaked.

mod mux_support;

use std::time::Duration;

use futures_util::future::join_all;
use mux_support::*;
use routeros_core::{Buffer, Error, TrapCategory};
use routeros_sim::{ReplyOrder, SimConfig};

const NAMES: [&str; 7] = [
    "ether1", "ether2", "ether3", "ether4", "ether5", "bridge1", "wlan1",
];

#[tokio::test]
async fn sixteen_commands_in_flight_none_lost_none_misrouted() {
    let sim = sim(SimConfig::default()).await;
    let mux = mux::<16, 1024>(&sim).await;
    for round in 0..5 {
        let queries: Vec<String> = (0..16)
            .map(|i| format!("?name={}", NAMES[(i + round) % 7]))
            .collect();
        let futures = queries.iter().enumerate().map(|(i, query)| {
            let mux = &mux;
            async move {
                let mut response = mux
                    .command(&["/interface/print", query.as_str()])
                    .await
                    .unwrap();
                let mut names = Vec::new();
                while let Some(row) = response.next().await {
                    names.push(
                        row.unwrap()
                            .get("name")
                            .unwrap()
                            .as_str()
                            .unwrap()
                            .to_string(),
                    );
                }
                (i, names)
            }
        });
        let results = within(join_all(futures)).await;
        assert_eq!(results.len(), 16);
        for (i, names) in results {
            assert_eq!(
                names,
                [NAMES[(i + round) % 7]],
                "command {i} got another's reply"
            );
        }
        assert_eq!(mux.slots_in_use(), 0);
    }
}

#[tokio::test]
async fn sixteen_large_prints_share_small_buffers_without_loss() {
    let sim = sim(SimConfig {
        address_list_rows: 300,
        ..SimConfig::default()
    })
    .await;
    // 512 bytes a slot: about four rows; back-pressure must keep every row.
    let mux = mux::<16, 512>(&sim).await;
    let futures = (0..16).map(|_| {
        let mux = &mux;
        async move {
            let mut response = mux
                .command(&["/ip/firewall/address-list/print"])
                .await
                .unwrap();
            let mut ids = std::collections::HashSet::new();
            while let Some(row) = response.next().await {
                ids.insert(
                    row.unwrap()
                        .get(".id")
                        .unwrap()
                        .as_str()
                        .unwrap()
                        .to_string(),
                );
            }
            ids.len()
        }
    });
    let counts = within(join_all(futures)).await;
    assert_eq!(counts, vec![300; 16]);
    assert_eq!(mux.slots_in_use(), 0);
}

#[tokio::test]
async fn two_streams_and_commands_interleave() {
    let sim = sim(SimConfig::default()).await;
    let mux = mux::<4, 1024>(&sim).await;
    let mut traffic = mux
        .stream(&[
            "/interface/monitor-traffic",
            "=interface=ether1",
            "=interval=20ms",
        ])
        .await
        .unwrap();
    let mut ping = mux
        .stream(&["/ping", "=address=10.0.0.1", "=count=5", "=interval=20ms"])
        .await
        .unwrap();
    let traffic_rows = async {
        let mut n = 0;
        while n < 10 {
            let row = traffic.next().await.unwrap().unwrap();
            assert_eq!(row.get("name").unwrap().as_str(), Some("ether1"));
            assert!(row.get("rx-bits-per-second").is_some());
            n += 1;
        }
        traffic.cancel().await.unwrap()
    };
    let ping_rows = async {
        let mut n = 0;
        while let Some(row) = ping.next().await {
            let row = row.unwrap();
            assert!(row.get("seq").is_some(), "{row:?}");
            n += 1;
        }
        n
    };
    let commands = async {
        for name in NAMES {
            let done = mux
                .run(&["/interface/print", &format!("?name={name}") as &str])
                .await
                .unwrap();
            assert!(done.ret().is_none());
            let mut r = mux
                .command(&["/interface/print", &format!("?name={name}") as &str])
                .await
                .unwrap();
            let row = r.next().await.unwrap().unwrap();
            assert_eq!(row.get("name").unwrap().as_str(), Some(name));
        }
    };
    let (end, pings, ()) = within(async { tokio::join!(traffic_rows, ping_rows, commands) }).await;
    assert!(end.rows >= 10);
    assert_eq!(pings, 5);
    settle(&mux).await;
}

#[tokio::test]
async fn cancel_completes_in_every_reply_order() {
    for order in [
        ReplyOrder::Documented,
        ReplyOrder::CancelDoneFirst,
        ReplyOrder::StreamDoneFirst,
    ] {
        let sim = sim(SimConfig {
            reply_order: order,
            ..SimConfig::default()
        })
        .await;
        let mux = mux::<4, 1024>(&sim).await;
        for _ in 0..3 {
            let mut stream = monitor(&mux, "ether2").await;
            for _ in 0..2 {
                within(stream.next()).await.unwrap().unwrap();
            }
            let end = within(stream.cancel())
                .await
                .unwrap_or_else(|e| panic!("{order:?}: {e}"));
            assert!(end.rows >= 2);
            // The connection is in step: a command right after gets its own reply.
            let mut r = within(mux.command(&["/system/identity/print"]))
                .await
                .unwrap();
            let row = within(r.next()).await.unwrap().unwrap();
            assert!(row.get("name").is_some());
            drop(row);
            assert!(within(r.next()).await.is_none());
        }
        settle(&mux).await;
        assert!(mux.is_usable());
    }
}

#[tokio::test]
async fn cancel_with_another_stream_running() {
    for order in [
        ReplyOrder::Documented,
        ReplyOrder::CancelDoneFirst,
        ReplyOrder::StreamDoneFirst,
    ] {
        let sim = sim(SimConfig {
            reply_order: order,
            ..SimConfig::default()
        })
        .await;
        let mux = mux::<4, 1024>(&sim).await;
        let mut a = monitor(&mux, "ether1").await;
        let mut b = monitor(&mux, "ether3").await;
        within(a.next()).await.unwrap().unwrap();
        within(b.next()).await.unwrap().unwrap();
        within(a.cancel()).await.unwrap();
        for _ in 0..5 {
            let row = within(b.next()).await.unwrap().unwrap();
            assert_eq!(row.get("name").unwrap().as_str(), Some("ether3"));
        }
        within(b.cancel()).await.unwrap();
        settle(&mux).await;
    }
}

#[tokio::test]
async fn stream_ends_by_itself() {
    let sim = sim(SimConfig::default()).await;
    let mux = mux::<4, 1024>(&sim).await;
    let mut ping = mux
        .stream(&["/ping", "=address=10.0.0.1", "=count=3", "=interval=10ms"])
        .await
        .unwrap();
    let mut rows = 0;
    while let Some(row) = within(ping.next()).await {
        row.unwrap();
        rows += 1;
    }
    assert_eq!(rows, 3);
    assert_eq!(ping.rows(), 3);
    assert_eq!(mux.slots_in_use(), 0);

    let traffic = mux
        .stream(&[
            "/interface/monitor-traffic",
            "=interface=ether1",
            "=interval=10ms",
            "=duration=100ms",
        ])
        .await
        .unwrap();
    let end = within(traffic.finish()).await.unwrap();
    assert!(end.rows >= 5, "{end:?}");
    assert_eq!(mux.slots_in_use(), 0);
}

#[tokio::test]
async fn dropped_stream_is_cancelled_and_its_slot_freed() {
    let sim = sim(SimConfig::default()).await;
    let mux = mux::<2, 1024>(&sim).await;
    for _ in 0..4 {
        let mut stream = monitor(&mux, "ether1").await;
        within(stream.next()).await.unwrap().unwrap();
        drop(stream);
        // The slot stays taken until the stream's !done, which a command's reading picks up.
        within(mux.run(&["/system/identity/print"])).await.unwrap();
        settle(&mux).await;
    }
    // With two slots, four dropped streams in a row only work if every slot came back.
    assert_eq!(mux.slots_in_use(), 0);
}

#[tokio::test]
async fn dropped_command_mid_reply_frees_its_slot() {
    let sim = sim(SimConfig {
        address_list_rows: 500,
        ..SimConfig::default()
    })
    .await;
    let mux = mux::<2, 512>(&sim).await;
    let mut response = mux
        .command(&["/ip/firewall/address-list/print"])
        .await
        .unwrap();
    for _ in 0..3 {
        within(response.next()).await.unwrap().unwrap();
    }
    drop(response);
    let done = within(mux.run(&["/system/identity/print"])).await.unwrap();
    assert!(done.ret().is_none());
    settle(&mux).await;
}

#[tokio::test]
async fn handles_from_before_a_reconnect_are_stale() {
    let sim = sim(SimConfig::default()).await;
    let mux = mux::<4, 1024>(&sim).await;
    let mut stream = monitor(&mux, "ether1").await;
    let mut response = mux.command(&["/interface/print"]).await.unwrap();
    let (r, w) = halves(&sim).await;
    within(mux.reconnect(r, w)).await.unwrap();
    within(mux.login("admin", "")).await.unwrap();
    assert_eq!(
        within(stream.next()).await.unwrap().unwrap_err(),
        Error::StaleHandle
    );
    assert!(within(stream.next()).await.is_none());
    assert_eq!(
        within(response.next()).await.unwrap().unwrap_err(),
        Error::StaleHandle
    );
    // The new connection works, and the slots were reused with new generations.
    let mut fresh = mux
        .command(&["/interface/print", "?name=ether2"])
        .await
        .unwrap();
    assert_ne!(fresh.id().generation, response.id().generation);
    let row = within(fresh.next()).await.unwrap().unwrap();
    assert_eq!(row.get("name").unwrap().as_str(), Some("ether2"));
    drop(row);
    assert!(within(fresh.next()).await.is_none());
    drop((stream, response));
    settle(&mux).await;
}

#[tokio::test]
async fn slots_exhausted_or_wait_by_choice() {
    let sim = sim(SimConfig::default()).await;
    let mux = mux::<2, 1024>(&sim).await;
    let a = monitor(&mux, "ether1").await;
    let mut b = monitor(&mux, "ether2").await;
    assert_eq!(
        mux.command(&["/system/identity/print"]).await.err(),
        Some(Error::SlotsExhausted)
    );
    assert_eq!(
        mux.stream(&["/ping", "=address=1.1.1.1"]).await.err(),
        Some(Error::SlotsExhausted)
    );
    // Waiting instead: gets a slot once `a` is cancelled.
    let waiter = async {
        let done = mux.run(&["/system/identity/print"]).await;
        done.unwrap();
    };
    let canceller = async {
        within(b.next()).await.unwrap().unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
        a.cancel().await.unwrap();
    };
    within(async { tokio::join!(waiter, canceller) }).await;
    within(b.next()).await.unwrap().unwrap();
    drop(b);
    settle(&mux).await;
}

#[tokio::test]
async fn slow_stream_consumer_drops_oldest_and_blocks_nobody() {
    let sim = sim(SimConfig::default()).await;
    // Room for two or three rows of monitor-traffic a slot.
    let mux = mux::<4, 600>(&sim).await;
    let mut stream = monitor(&mux, "ether1").await;
    within(stream.next()).await.unwrap().unwrap();
    // Not reading the stream for a while; commands keep working meanwhile.
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_millis(300) {
        let mut r = within(mux.command(&["/interface/print"])).await.unwrap();
        let mut n = 0;
        while let Some(row) = within(r.next()).await {
            row.unwrap();
            n += 1;
        }
        assert_eq!(n, 7);
    }
    assert!(
        stream.dropped() > 0,
        "rows: {}, dropped: {}",
        stream.rows(),
        stream.dropped()
    );
    // The newest rows are still there and arrive in order.
    within(stream.next()).await.unwrap().unwrap();
    let end = within(stream.cancel()).await.unwrap();
    assert!(end.dropped > 0 && end.rows > end.dropped);
    settle(&mux).await;
}

#[tokio::test]
async fn a_row_larger_than_its_slot_fails_the_command_cleanly() {
    let sim = sim(SimConfig::default()).await;
    let mux = mux::<2, 128>(&sim).await;
    let err = within(mux.run(&["/system/resource/print"]))
        .await
        .unwrap_err();
    assert_eq!(err, Error::BufferTooSmall(Buffer::Rows));
    // The connection is fine.
    let mut r = within(mux.command(&["/interface/print", "?name=ether1", "=.proplist=name"]))
        .await
        .unwrap();
    assert!(within(r.next()).await.unwrap().is_ok());
    drop(r);
    settle(&mux).await;
}

#[tokio::test]
async fn traps_are_reported_and_the_connection_stays_in_step() {
    let sim = sim(SimConfig::default()).await;
    let mux = mux::<4, 1024>(&sim).await;
    let bad = mux.run(&["/ip/address/remove", "=numbers=*99"]);
    let good = mux.run(&["/system/identity/print"]);
    let (bad, good) = within(async { tokio::join!(bad, good) }).await;
    let trap = bad.unwrap_err();
    assert!(trap.as_trap().is_some(), "{trap:?}");
    good.unwrap();
    let added = within(mux.run(&[
        "/ip/address/add",
        "=address=10.9.9.1/24",
        "=interface=ether1",
    ]))
    .await
    .unwrap();
    assert!(added.ret().unwrap().as_str().unwrap().starts_with('*'));
    settle(&mux).await;
}

#[tokio::test]
async fn fatal_ends_every_handle() {
    let sim = sim(SimConfig::default()).await;
    let mux = mux::<4, 1024>(&sim).await;
    let mut stream = monitor(&mux, "ether1").await;
    within(stream.next()).await.unwrap().unwrap();
    let quit = within(mux.run(&["/quit"])).await.unwrap_err();
    assert!(matches!(quit, Error::Fatal(_)), "{quit:?}");
    loop {
        match within(stream.next()).await {
            Some(Ok(_)) => continue,
            Some(Err(e)) => {
                assert!(matches!(e, Error::Fatal(_)), "{e:?}");
                break;
            }
            None => panic!("stream ended without the error"),
        }
    }
    assert!(!mux.is_usable());
    assert!(matches!(
        mux.command(&["/interface/print"]).await.err(),
        Some(Error::Fatal(_))
    ));
    drop(stream);
    assert_eq!(mux.slots_in_use(), 0);
}

#[tokio::test]
async fn disconnect_fails_handles_and_reconnect_recovers() {
    let sim = sim(SimConfig::default()).await;
    let mux = mux::<4, 1024>(&sim).await;
    let mut stream = monitor(&mux, "ether1").await;
    within(stream.next()).await.unwrap().unwrap();
    sim.disconnect_all();
    let error = loop {
        match within(stream.next()).await {
            Some(Ok(_)) => continue,
            Some(Err(e)) => break e,
            None => panic!("no error"),
        }
    };
    assert!(error.is_fatal(), "{error:?}");
    drop(stream);
    assert_eq!(mux.slots_in_use(), 0);
    let (r, w) = halves(&sim).await;
    within(mux.reconnect(r, w)).await.unwrap();
    within(mux.login("admin", "")).await.unwrap();
    within(mux.run(&["/system/identity/print"])).await.unwrap();
    settle(&mux).await;
}

#[tokio::test]
async fn several_tasks_on_a_local_set() {
    let sim = sim(SimConfig::default()).await;
    let mux: &'static TestMux<(), 4, 1024> = Box::leak(Box::new(mux::<4, 1024>(&sim).await));
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async move {
            let mut tasks = Vec::new();
            for (i, name) in NAMES.iter().enumerate().take(6) {
                tasks.push(tokio::task::spawn_local(async move {
                    for _ in 0..10 {
                        let mut r = mux
                            .command_wait(&["/interface/print", &format!("?name={name}") as &str])
                            .await
                            .unwrap();
                        let row = r.next().await.unwrap().unwrap();
                        assert_eq!(row.get("name").unwrap().as_str(), Some(*name), "task {i}");
                        drop(row);
                        assert!(r.next().await.is_none());
                    }
                }));
            }
            let stream_task = tokio::task::spawn_local(async move {
                let mut s = mux
                    .stream_wait(&[
                        "/interface/monitor-traffic",
                        "=interface=wlan1",
                        "=interval=10ms",
                    ])
                    .await
                    .unwrap();
                for _ in 0..5 {
                    s.next().await.unwrap().unwrap();
                }
                s.cancel().await.unwrap();
            });
            for t in tasks {
                within(t).await.unwrap();
            }
            within(stream_task).await.unwrap();
        })
        .await;
    settle(mux).await;
    let _ = TrapCategory::Interrupted;
}

#[tokio::test]
async fn typed_helpers_run_on_the_mux_concurrently() {
    let sim = sim(SimConfig::default()).await;
    let mux = mux::<4, 2048>(&sim).await;
    let mut traffic = monitor(&mux, "ether1").await;
    let (identity, interfaces, resource, leases, rules) = within(async {
        tokio::join!(
            mux.identity(),
            mux.list_interfaces::<16>(),
            mux.system_resource(),
            mux.list_dhcp_leases::<16>(),
            mux.list_firewall_rules::<16>(),
        )
    })
    .await;
    assert_eq!(identity.unwrap().as_str(), "MikroTik");
    assert_eq!(interfaces.unwrap().len(), 7);
    assert!(resource.unwrap().version.starts_with('7'));
    assert!(!leases.unwrap().is_empty());
    assert!(!rules.unwrap().is_empty());
    within(traffic.next()).await.unwrap().unwrap();

    let id = within(mux.add_ip_address("10.44.0.1/24", "ether2"))
        .await
        .unwrap();
    let listed = within(mux.list_ip_addresses::<16>()).await.unwrap();
    assert!(listed.iter().any(|a| a.id == id));
    within(mux.remove_ip_address(&id)).await.unwrap();
    within(mux.set_identity("mux-router")).await.unwrap();
    assert_eq!(
        within(mux.get_interface("ether3"))
            .await
            .unwrap()
            .name
            .as_str(),
        "ether3"
    );
    assert_eq!(
        within(mux.get_interface("nope")).await.unwrap_err(),
        Error::NotFound
    );
    within(traffic.cancel()).await.unwrap();
    settle(&mux).await;
}
