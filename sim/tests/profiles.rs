//! Version profiles (`--ros`) and tag positions (`--tag-position`) over real sockets.

mod common;

use common::{attr, tag_of, text, Client};
use md5::{Digest, Md5};
use routeros_sim::{RosVersion, SimConfig, SimHandle, Simulator, TagPosition};

fn sim(ros: RosVersion) -> SimHandle {
    Simulator::spawn(SimConfig {
        ros,
        password: "pw".into(),
        tag_position: TagPosition::First,
        ..Default::default()
    })
    .unwrap()
}

fn md5_response(password: &str, challenge_hex: &str) -> String {
    let challenge: Vec<u8> = (0..challenge_hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&challenge_hex[i..i + 2], 16).unwrap())
        .collect();
    let mut h = Md5::new();
    h.update([0u8]);
    h.update(password.as_bytes());
    h.update(&challenge);
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("00{hex}")
}

fn challenge_of(reply: &[Vec<String>]) -> String {
    assert_eq!(reply.len(), 1, "{reply:?}");
    reply[0][1].strip_prefix("=ret=").unwrap().to_string()
}

#[test]
fn v6_42_md5_only() {
    let h = sim(RosVersion::V6_42);
    let mut c = Client::connect(h.addr());
    // The plain form is answered with a challenge, which is not a login.
    let ch = challenge_of(&c.talk(&["/login", "=name=admin", "=password=pw"]));
    let r = c.talk(&["/login", "=name=admin", "=response=00ff"]);
    assert_eq!(r, [vec!["!trap", "=message=cannot log in"], vec!["!done"]]);
    let _ = ch;
    let ch = challenge_of(&c.talk(&["/login"]));
    let good = md5_response("pw", &ch);
    let r = c.talk(&["/login", "=name=admin", &format!("=response={good}")]);
    assert_eq!(r, [vec!["!done"]]);
    // v6 spells booleans yes/no.
    let r = c.talk(&[
        "/interface/print",
        "?name=ether1",
        "=.proplist=running,disabled",
    ]);
    assert_eq!(r[0], ["!re", "=running=yes", "=disabled=no"]);
    let r = c.talk(&["/system/resource/get", "=value-name=version"]);
    assert_eq!(r, [vec!["!done", "=ret=6.42.12 (stable)"]]);
}

#[test]
fn v6_48_refuses_md5_after_a_bare_login() {
    let h = sim(RosVersion::V6_48);
    let mut c = Client::connect(h.addr());
    let ch = challenge_of(&c.talk(&["/login"]));
    let good = md5_response("pw", &ch);
    let r = c.talk(&["/login", "=name=admin", &format!("=response={good}")]);
    assert_eq!(
        r,
        [
            vec!["!trap", "=message=invalid user name or password (6)"],
            vec!["!done"]
        ]
    );
    let r = c.talk(&["/login", "=name=admin", "=password=nope"]);
    assert_eq!(
        r[0],
        ["!trap", "=message=invalid user name or password (6)"]
    );
    assert_eq!(
        c.talk(&["/login", "=name=admin", "=password=pw"]),
        [vec!["!done"]]
    );
    // yes/no, and `.dead=yes` on /listen deletions; no !empty.
    c.send(&["/ip/address/listen", ".tag=l"]);
    let r = c.talk(&[
        "/ip/address/add",
        "=address=10.1.2.3/24",
        "=interface=ether3",
    ]);
    let id = r[0][1].strip_prefix("=ret=").unwrap().to_string();
    let added = c.read().unwrap();
    assert_eq!(tag_of(&added).as_deref(), Some("l"));
    assert_eq!(attr(&added, "disabled").as_deref(), Some("no"));
    c.send(&["/ip/address/remove", &format!("=.id={id}"), ".tag=r"]);
    let mut dead = None;
    while dead.is_none() {
        let s = c.read().unwrap();
        if tag_of(&s).as_deref() == Some("l") {
            dead = Some(s);
        }
    }
    let dead = dead.unwrap();
    assert_eq!(attr(&dead, ".dead").as_deref(), Some("yes"));
    assert_eq!(attr(&dead, ".id").as_deref(), Some(id.as_str()));
    let r = c.talk(&["/interface/print", "?type=vlan"]);
    assert_eq!(r, [vec!["!done"]]);
}

#[test]
fn v7_booleans_dead_and_empty() {
    for (ros, empty) in [(RosVersion::V7_16, false), (RosVersion::V7_18, true)] {
        let h = sim(ros);
        let mut c = Client::connect(h.addr());
        c.send(&["/login", "=name=admin", "=password=pw"]);
        assert_eq!(text(&c.read().unwrap()), ["!done"]);
        let r = c.talk(&["/interface/print", "?name=ether1", "=.proplist=running"]);
        assert_eq!(r[0], ["!re", "=running=true"]);
        let r = c.talk(&["/interface/print", "?type=vlan"]);
        if empty {
            assert_eq!(r, [vec!["!empty"], vec!["!done"]]);
        } else {
            assert_eq!(r, [vec!["!done"]]);
        }
        c.send(&["/ip/address/listen", ".tag=l"]);
        c.send(&["/ip/address/remove", "=.id=*2", ".tag=r"]);
        loop {
            let s = c.read().unwrap();
            if tag_of(&s).as_deref() == Some("l") {
                assert_eq!(attr(&s, ".dead").as_deref(), Some("true"));
                break;
            }
        }
    }
}

#[test]
fn default_is_7_18_with_the_tag_last() {
    let h = Simulator::spawn(SimConfig::default()).unwrap();
    let mut c = Client::login(h.addr());
    c.send(&[
        "/interface/print",
        "?name=ether1",
        "=.proplist=name",
        ".tag=7",
    ]);
    let got: Vec<_> = c.until_done(Some("7")).iter().map(text).collect();
    assert_eq!(
        got,
        [
            vec!["!re", "=name=ether1", ".tag=7"],
            vec!["!done", ".tag=7"]
        ]
    );
    c.send(&["/interface/print", "?type=vlan", ".tag=8"]);
    let got: Vec<_> = c.until_done(Some("8")).iter().map(text).collect();
    assert_eq!(got, [vec!["!empty", ".tag=8"], vec!["!done", ".tag=8"]]);
    // A tagged address-list print (the pre-encoded path) puts it last too.
    c.send(&["/ip/firewall/address-list/print", ".tag=9"]);
    let got = c.until_done(Some("9"));
    assert_eq!(got.len(), 17);
    for s in &got[..16] {
        assert_eq!(s.last().unwrap(), b".tag=9");
        assert!(s.iter().any(|w| w.starts_with(b"=list=")));
    }
    c.send(&["/ip/adress/print", ".tag=t"]);
    let got: Vec<_> = c.until_done(Some("t")).iter().map(text).collect();
    assert_eq!(
        got[0],
        [
            "!trap",
            "=category=0",
            "=message=no such command or directory (adress)",
            ".tag=t"
        ]
    );
}

#[test]
fn mixed_tag_positions() {
    let h = Simulator::spawn(SimConfig {
        tag_position: TagPosition::Mixed,
        ..Default::default()
    })
    .unwrap();
    let mut c = Client::login(h.addr());
    c.send(&["/ip/firewall/address-list/print", ".tag=a"]);
    let got = c.until_done(Some("a"));
    let first = got.iter().filter(|s| s[1] == b".tag=a").count();
    let last = got
        .iter()
        .filter(|s| s.last().unwrap() == b".tag=a")
        .count();
    assert!(first > 0 && last > 0, "first {first}, last {last}");
    c.send(&["/interface/print", ".tag=b"]);
    let got = c.until_done(Some("b"));
    assert_eq!(got.len(), 8);
    assert!(got.iter().all(|s| tag_of(s).as_deref() == Some("b")));
}
