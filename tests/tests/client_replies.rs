//! Reply handling against the simulator: rows, traps, `!empty`, `!fatal`, tags, `=ret=`.

mod common;

use common::*;
use routeros_core::{Command, Error, QueryOp, TrapCategory};
use routeros_sim::SimConfig;

#[tokio::test]
async fn rows_stream_through_a_small_buffer() {
    let sim = sim(SimConfig {
        address_list_rows: 5000,
        ..SimConfig::default()
    })
    .await;
    let mut client = login(&sim).await;
    let mut response = within(client.command(&["/ip/firewall/address-list/print"]))
        .await
        .unwrap();
    let mut rows = 0;
    let mut ids = std::collections::HashSet::new();
    while let Some(row) = within(response.next()).await {
        let row = row.unwrap();
        ids.insert(row.get(".id").unwrap().as_str().unwrap().to_string());
        assert!(row.get("address").is_some());
        rows += 1;
    }
    assert_eq!(rows, 5000);
    assert_eq!(ids.len(), 5000);
}

#[tokio::test]
async fn trap_then_next_command_stays_in_step() {
    let sim = sim(SimConfig::default()).await;
    let mut client = login(&sim).await;
    for _ in 0..3 {
        let err = within(client.run(&["/ip/address/remove", "=.id=*FFFF"]))
            .await
            .unwrap_err();
        let trap = err.as_trap().expect("a trap");
        assert!(!trap.message.is_empty());
        // The trap's `!done` was consumed: the next reply is the identity, not a stale done.
        assert_in_step(&mut client).await;
    }
}

#[tokio::test]
async fn unknown_command_is_a_trap_with_a_category() {
    let sim = sim(SimConfig::default()).await;
    let mut client = login(&sim).await;
    let err = within(client.run(&["/no/such/thing"])).await.unwrap_err();
    let trap = err.as_trap().expect("a trap");
    assert_eq!(trap.category, Some(TrapCategory::MissingItem), "{trap:?}");
}

#[tokio::test]
async fn empty_reply_on_7_18() {
    let sim = sim(SimConfig {
        empty_replies: true,
        ..SimConfig::default()
    })
    .await;
    let mut client = login(&sim).await;
    let command = Command::<1>::new("/interface/print").query("name", "nope");
    let mut response = within(client.command(&command)).await.unwrap();
    assert!(within(response.next()).await.is_none());
    drop(response);
    // Still in step afterwards.
    let rows = within(client.list_interfaces::<16>()).await.unwrap();
    assert!(rows.len() >= 5);
}

#[tokio::test]
async fn quit_gives_fatal_with_the_bare_reason() {
    let sim = sim(SimConfig::default()).await;
    let mut client = login(&sim).await;
    let err = within(client.run(&["/quit"])).await.unwrap_err();
    assert_eq!(
        err,
        Error::Fatal("session terminated on request".try_into().unwrap())
    );
    assert!(!client.is_usable());
    assert_eq!(
        within(client.run(&["/system/identity/print"]))
            .await
            .unwrap_err(),
        Error::Closed
    );
}

#[tokio::test]
async fn unprompted_fatal_ends_the_connection() {
    let sim = sim(SimConfig {
        faults: routeros_sim::Faults {
            fatal_after_commands: Some(1),
            ..Default::default()
        },
        ..SimConfig::default()
    })
    .await;
    let mut client = login(&sim).await;
    let first = within(client.identity()).await;
    let second = match first {
        Ok(_) => within(client.identity()).await,
        Err(e) => Err(e),
    };
    let err = second.unwrap_err();
    assert!(matches!(err, Error::Fatal(_) | Error::Closed), "{err:?}");
}

#[tokio::test]
async fn queries_and_proplist() {
    let sim = sim(SimConfig::default()).await;
    let mut client = login(&sim).await;
    let command = Command::<4>::new("/interface/print")
        .query("type", "ether")
        .query_op(QueryOp::Lacks, "nothing", "")
        .proplist(&["name", "type"]);
    let mut response = within(client.command(&command)).await.unwrap();
    let mut names = Vec::new();
    while let Some(row) = within(response.next()).await {
        let row = row.unwrap();
        assert_eq!(row.get("type").unwrap().as_str(), Some("ether"));
        assert!(row.get("mtu").is_none(), "proplist limits the attributes");
        names.push(row.get("name").unwrap().to_string());
    }
    assert_eq!(names, ["ether1", "ether2", "ether3", "ether4", "ether5"]);
}

#[tokio::test]
async fn ret_of_add_and_count_only() {
    let sim = sim(SimConfig::default()).await;
    let mut client = login(&sim).await;
    let done = within(client.run(&[
        "/ip/address/add",
        "=address=10.9.9.1/24",
        "=interface=ether3",
    ]))
    .await
    .unwrap();
    let id = done.ret().unwrap().as_str().unwrap().to_string();
    assert!(id.starts_with('*'), "{id}");
    let done = within(client.run(&["/interface/print", "=count-only="]))
        .await
        .unwrap();
    assert_eq!(done.ret().unwrap().parse::<u32>(), Some(7));
}

#[tokio::test]
async fn dropped_response_does_not_desync_the_next_command() {
    let sim = sim(SimConfig {
        address_list_rows: 2000,
        ..SimConfig::default()
    })
    .await;
    let mut client = login(&sim).await;
    {
        let mut response = within(client.command(&["/ip/firewall/address-list/print"]))
            .await
            .unwrap();
        within(response.next()).await.unwrap().unwrap();
        // dropped with ~2000 rows still coming
    }
    assert_in_step(&mut client).await;
}

#[tokio::test]
async fn stream_take_then_cancel() {
    let sim = sim(SimConfig::default()).await;
    let mut client = login(&sim).await;
    let mut stream = within(client.command(&[
        "/interface/monitor-traffic",
        "=interface=ether1",
        "=interval=0.05",
    ]))
    .await
    .unwrap();
    for _ in 0..3 {
        let row = within(stream.next()).await.unwrap().unwrap();
        assert_eq!(row.get("name").unwrap().as_str(), Some("ether1"));
        assert!(row
            .get("rx-bits-per-second")
            .unwrap()
            .parse::<u64>()
            .is_some());
    }
    within(stream.cancel()).await.unwrap();
    assert_in_step(&mut client).await;
}

#[tokio::test]
async fn dropped_stream_is_cancelled_before_the_next_command() {
    let sim = sim(SimConfig::default()).await;
    let mut client = login(&sim).await;
    {
        let mut stream = within(client.command(&[
            "/interface/monitor-traffic",
            "=interface=ether1",
            "=interval=0.02",
        ]))
        .await
        .unwrap();
        within(stream.next()).await.unwrap().unwrap();
    }
    for _ in 0..5 {
        assert_in_step(&mut client).await;
    }
}

#[tokio::test]
async fn stream_with_duration_ends_by_itself() {
    let sim = sim(SimConfig::default()).await;
    let mut client = login(&sim).await;
    let mut stream = within(client.command(&[
        "/interface/monitor-traffic",
        "=interface=ether2",
        "=interval=0.05",
        "=duration=0.3",
    ]))
    .await
    .unwrap();
    let mut rows = 0;
    while let Some(row) = within(stream.next()).await {
        row.unwrap();
        rows += 1;
    }
    assert!((2..=8).contains(&rows), "{rows} rows");
}
