//! Streams, `/cancel` (every reply order) and `/tool/fetch` over real sockets, driven by the
//! tiny blocking client in `common`.

mod common;

use std::time::{Duration, Instant};

use common::{attr, attr_s, tag_of, text, Client};
use routeros_sim::{ReplyOrder, SimConfig, SimHandle, Simulator, TagPosition};

/// A simulator that puts tags right after the reply word, so that replies can be compared
/// word by word.
fn sim(config: SimConfig) -> SimHandle {
    Simulator::spawn(SimConfig {
        tag_position: TagPosition::First,
        ..config
    })
    .unwrap()
}

fn stream_and_cancel(order: ReplyOrder) -> Vec<Vec<String>> {
    let h = sim(SimConfig {
        reply_order: order,
        ..Default::default()
    });
    let mut c = Client::login(h.addr());
    c.send(&[
        "/interface/monitor-traffic",
        "=interface=ether1,ether3",
        "=interval=20ms",
        ".tag=m",
    ]);
    // A later command is answered while the stream runs.
    c.send(&["/system/identity/print", ".tag=i"]);
    let mut rows = 0;
    let mut identity_done = false;
    while rows < 6 || !identity_done {
        let s = c.read().unwrap();
        match tag_of(&s).as_deref() {
            Some("m") => {
                assert_eq!(s[0], b"!re");
                let name = attr(&s, "name").unwrap();
                assert_eq!(name, if rows % 2 == 0 { "ether1" } else { "ether3" });
                let bits: u64 = attr(&s, "rx-bits-per-second").unwrap().parse().unwrap();
                if name == "ether1" {
                    assert!(bits > 0);
                } else {
                    assert_eq!(bits, 0, "ether3 has no link");
                }
                rows += 1;
            }
            Some("i") => identity_done |= s[0] == b"!done",
            other => panic!("unexpected tag {other:?}"),
        }
    }
    c.send(&["/cancel", "=tag=m", ".tag=c"]);
    let mut tail = Vec::new();
    let mut dones = 0;
    while dones < 2 {
        let s = c.read().unwrap();
        if s[0] == b"!re" {
            continue;
        }
        if s[0] == b"!done" {
            dones += 1;
        }
        tail.push(text(&s));
    }
    // Nothing more from the stream afterwards.
    c.send(&["/system/identity/print", ".tag=z"]);
    let after = c.until_done(Some("z"));
    assert!(after.iter().all(|s| tag_of(s).as_deref() == Some("z")));
    tail
}

#[test]
fn cancel_documented_order() {
    assert_eq!(
        stream_and_cancel(ReplyOrder::Documented),
        [
            vec!["!trap", ".tag=m", "=category=2", "=message=interrupted"],
            vec!["!done", ".tag=c"],
            vec!["!done", ".tag=m"]
        ]
    );
}

#[test]
fn cancel_done_first_order() {
    assert_eq!(
        stream_and_cancel(ReplyOrder::CancelDoneFirst),
        [
            vec!["!done", ".tag=c"],
            vec!["!trap", ".tag=m", "=category=2", "=message=interrupted"],
            vec!["!done", ".tag=m"]
        ]
    );
}

#[test]
fn stream_done_first_order() {
    assert_eq!(
        stream_and_cancel(ReplyOrder::StreamDoneFirst),
        [
            vec!["!trap", ".tag=m", "=category=2", "=message=interrupted"],
            vec!["!done", ".tag=m"],
            vec!["!done", ".tag=c"]
        ]
    );
}

#[test]
fn cancel_unknown_and_cancel_all() {
    let h = sim(SimConfig::default());
    let mut c = Client::login(h.addr());
    c.send(&["/cancel", "=tag=nope", ".tag=c1"]);
    let got: Vec<_> = c.until_done(Some("c1")).iter().map(text).collect();
    assert_eq!(
        got,
        [
            vec!["!trap", ".tag=c1", "=message=unknown command tag"],
            vec!["!done", ".tag=c1"]
        ]
    );
    c.send(&[
        "/tool/torch",
        "=interface=ether1",
        "=interval=30ms",
        ".tag=t",
    ]);
    c.send(&["/ping", "=address=10.0.0.1", "=interval=30ms", ".tag=p"]);
    let mut seen = (false, false);
    while !(seen.0 && seen.1) {
        let s = c.read().unwrap();
        match tag_of(&s).as_deref() {
            Some("t") => {
                assert!(attr(&s, "src-address").is_some());
                assert!(attr(&s, ".section").is_some());
                seen.0 = true
            }
            Some("p") => {
                assert_eq!(attr(&s, "host").as_deref(), Some("10.0.0.1"));
                seen.1 = true
            }
            other => panic!("{other:?}"),
        }
    }
    c.send(&["/cancel", ".tag=all"]);
    let mut traps = Vec::new();
    let mut dones = Vec::new();
    while dones.len() < 3 {
        let s = c.read().unwrap();
        match &s[0][..] {
            b"!trap" => traps.push(tag_of(&s).unwrap()),
            b"!done" => dones.push(tag_of(&s).unwrap()),
            _ => {}
        }
    }
    traps.sort();
    assert_eq!(traps, ["p", "t"]);
    assert_eq!(dones[0], "all");
    // The connection is still fine.
    assert_eq!(c.talk(&["/system/identity/print"]).len(), 2);
}

#[test]
fn streams_that_end_by_themselves() {
    let h = sim(SimConfig::default());
    let mut c = Client::login(h.addr());
    let r = c.talk(&["/interface/monitor-traffic", "=interface=ether1", "=once="]);
    assert_eq!(r.len(), 2);
    assert_eq!(r[0][1], "=name=ether1");
    let t = Instant::now();
    let r = c.talk(&[
        "/interface/monitor-traffic",
        "=interface=ether2",
        "=interval=0.05",
        "=duration=180ms",
    ]);
    assert!(t.elapsed() >= Duration::from_millis(170));
    assert!((3..=5).contains(&(r.len() - 1)), "{} rows", r.len() - 1);
    let r = c.talk(&["/interface/monitor-traffic", "=interface=eth9", "=once="]);
    assert_eq!(
        r,
        [vec!["!trap", "=message=no such item (4)"], vec!["!done"]]
    );
    let r = c.talk(&["/ping", "=address=192.0.2.1", "=count=2", "=interval=10ms"]);
    assert_eq!(r.len(), 3);
    assert_eq!(attr_s(&r[1], "status").as_deref(), Some("timeout"));
    let r = c.talk(&["/ping", "=address=10.1.1.1", "=count=3", "=interval=10ms"]);
    assert_eq!(r.len(), 4);
    let last = &r[2];
    assert_eq!(attr_s(last, "seq").as_deref(), Some("2"));
    assert_eq!(attr_s(last, "sent").as_deref(), Some("3"));
    assert_eq!(attr_s(last, "received").as_deref(), Some("3"));
    assert_eq!(attr_s(last, "packet-loss").as_deref(), Some("0"));
    assert!(attr_s(last, "avg-rtt").unwrap().contains("ms"));
}

#[test]
fn cancel_with_dot_tag_attribute_cancels_everything() {
    // `=.tag=X` is not a cancel target; RouterOS ignores it, so every command is cancelled.
    let h = sim(SimConfig::default());
    let mut c = Client::login(h.addr());
    c.send(&["/interface/listen", ".tag=a"]);
    c.send(&["/ip/address/listen", ".tag=b"]);
    c.send(&["/cancel", "=.tag=a", ".tag=c"]);
    let mut dones = Vec::new();
    while dones.len() < 3 {
        let s = c.read().unwrap();
        if s[0] == b"!done" {
            dones.push(tag_of(&s).unwrap());
        }
    }
    dones.sort();
    assert_eq!(dones, ["a", "b", "c"]);
}

#[test]
fn fetch_reports_progress_in_sections() {
    let h = sim(SimConfig::default());
    let mut c = Client::login(h.addr());
    c.send(&[
        "/tool/fetch",
        "=url=http://198.51.100.7/config.rsc",
        "=output=user",
        ".tag=f",
    ]);
    let got = c.until_done(Some("f"));
    let sections: Vec<String> = got[..got.len() - 1]
        .iter()
        .map(|s| attr(s, ".section").unwrap())
        .collect();
    assert_eq!(sections, ["0", "1", "2", "3"]);
    let last = &got[got.len() - 2];
    assert_eq!(attr(last, "status").as_deref(), Some("finished"));
    let data = attr(last, "data").unwrap();
    assert_eq!(data.len(), 1 + "http://198.51.100.7/config.rsc".len() * 97);
    assert_eq!(text(got.last().unwrap()), ["!done", ".tag=f"]);
    let r = c.talk(&["/tool/fetch", "=url=http://192.0.2.1/x"]);
    assert_eq!(r[0], ["!re", "=status=connecting", "=.section=0"]);
    assert_eq!(
        r[1],
        [
            "!trap",
            "=category=4",
            "=message=failure: connection timeout"
        ]
    );
    assert_eq!(r[2], ["!done"]);
    let r = c.talk(&["/tool/fetch"]);
    assert_eq!(r[0][2], "=message=missing value(s) of argument(s) url");
}
