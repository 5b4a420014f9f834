//! Telemetry from the one-at-a-time client: command start/stop/exception with paths, tags,
//! durations and row counts, and never an attribute value.

mod common;

use std::cell::RefCell;
use std::time::Instant as StdInstant;

use common::*;
use embedded_io_adapters::tokio_1::FromTokio;
use routeros_core::telemetry::{Clock, Event, Instant, Observer};
use routeros_core::{Client, Error};
use routeros_sim::SimConfig;

#[derive(Default)]
struct Recorder(RefCell<Vec<String>>);

impl Observer for Recorder {
    fn on_event(&self, event: &Event<'_>) {
        let line = match event {
            Event::CommandStart { tag, path } => format!("start {tag} {path}"),
            Event::CommandStop {
                tag, path, rows, ..
            } => format!("stop {tag} {path} rows={rows}"),
            Event::CommandException {
                tag, path, error, ..
            } => format!("exception {tag} {path} {error:?}"),
            other => format!("{other:?}"),
        };
        self.0.borrow_mut().push(line);
    }
}

struct Wall(StdInstant);

impl Clock for Wall {
    fn now(&self) -> Instant {
        Instant::from_micros(self.0.elapsed().as_micros() as u64)
    }
}

#[tokio::test]
async fn command_events_carry_path_tag_and_rows_but_no_values() {
    let sim = sim(SimConfig {
        password: "pa55word".into(),
        ..SimConfig::default()
    })
    .await;
    let recorder = Recorder::default();
    let stream = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    let mut client = Client::with_telemetry(
        FromTokio::new(stream),
        vec![0u8; 4096],
        vec![0u8; 512],
        (&recorder, Wall(StdInstant::now())),
    );
    within(client.login("admin", "pa55word")).await.unwrap();
    let interfaces = within(client.list_interfaces::<16>()).await.unwrap();
    let err = within(client.run(&["/ip/address/remove", "=.id=*FFFF"]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Trap(_)));
    {
        let mut response = within(client.command(&["/interface/print"])).await.unwrap();
        within(response.next()).await.unwrap().unwrap();
    }

    let events = recorder.0.borrow().clone();
    assert_eq!(
        events[..2],
        [
            "start 1 /login".to_string(),
            "stop 1 /login rows=0".to_string()
        ]
    );
    assert_eq!(events[2], "start 2 /interface/print");
    assert_eq!(
        events[3],
        format!("stop 2 /interface/print rows={}", interfaces.len())
    );
    assert_eq!(events[4], "start 3 /ip/address/remove");
    assert!(
        events[5].starts_with("exception 3 /ip/address/remove Trap"),
        "{}",
        events[5]
    );
    assert_eq!(events[6], "start 4 /interface/print");
    assert_eq!(events[7], "exception 4 /interface/print Cancelled");
    assert_eq!(events.len(), 8);
    assert!(events
        .iter()
        .all(|e| !e.contains("pa55word") && !e.contains("FFFF")));
}
