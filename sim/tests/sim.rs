//! The simulator over real sockets, driven by the tiny blocking client in `common`.

mod common;

use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{attr, attr_s, tag_of, take_sentence, text, Client};

use md5::{Digest, Md5};
use routeros_sim::{Faults, RosVersion, SimConfig, SimHandle, Simulator, TagPosition};

/// A simulator that puts tags right after the reply word, so that replies can be compared
/// word by word (the other positions have their own tests in `profiles.rs`).
fn sim(config: SimConfig) -> SimHandle {
    Simulator::spawn(SimConfig {
        tag_position: TagPosition::First,
        ..config
    })
    .unwrap()
}

fn names(replies: &[Vec<String>]) -> Vec<String> {
    replies
        .iter()
        .filter(|s| s[0] == "!re")
        .filter_map(|s| {
            s.iter()
                .find_map(|w| w.strip_prefix("=name=").map(str::to_string))
        })
        .collect()
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
    let d = h.finalize();
    let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
    format!("00{hex}")
}

#[test]
fn plain_login_and_wrong_password() {
    let h = sim(SimConfig {
        password: "secret".into(),
        ..Default::default()
    });
    let mut c = Client::connect(h.addr());
    let r = c.talk(&["/login", "=name=admin", "=password=nope"]);
    assert_eq!(
        r,
        [
            vec!["!trap", "=message=invalid user name or password (6)"],
            vec!["!done"]
        ]
    );
    let r = c.talk(&["/login", "=name=root", "=password=secret"]);
    assert_eq!(r[0][0], "!trap");
    assert_eq!(
        c.talk(&["/login", "=name=admin", "=password=secret"]),
        [vec!["!done"]]
    );
    let r = c.talk(&["/system/identity/print"]);
    assert_eq!(r, [vec!["!re", "=name=MikroTik"], vec!["!done"]]);
}

#[test]
fn legacy_login() {
    let h = sim(SimConfig {
        legacy_login: true,
        password: "pw".into(),
        ..Default::default()
    });
    let mut c = Client::connect(h.addr());
    // An old router answers the new-style login with a challenge too.
    let r = c.talk(&["/login", "=name=admin", "=password=pw"]);
    let challenge = r[0][1].strip_prefix("=ret=").unwrap().to_string();
    assert_eq!(challenge.len(), 32);
    assert!(challenge.bytes().all(|b| b.is_ascii_hexdigit()));
    // A wrong response fails and uses up the challenge.
    let bad = md5_response("wrong", &challenge);
    let r = c.talk(&["/login", "=name=admin", &format!("=response={bad}")]);
    assert_eq!(r, [vec!["!trap", "=message=cannot log in"], vec!["!done"]]);
    let good = md5_response("pw", &challenge);
    let r = c.talk(&["/login", "=name=admin", &format!("=response={good}")]);
    assert_eq!(r[0][0], "!trap", "a challenge answers once");

    let r = c.talk(&["/login"]);
    let challenge = r[0][1].strip_prefix("=ret=").unwrap().to_string();
    let good = md5_response("pw", &challenge);
    assert_eq!(
        c.talk(&["/login", "=name=admin", &format!("=response={good}")]),
        [vec!["!done"]]
    );
    assert_eq!(
        c.talk(&["/system/identity/get", "=value-name=name"]),
        [vec!["!done", "=ret=MikroTik"]]
    );
}

#[test]
fn before_login() {
    let h = sim(SimConfig::default());
    let mut c = Client::connect(h.addr());
    c.send(&["/interface/print", ".tag=x"]);
    let got = c.until_done(Some("x"));
    assert_eq!(
        got.iter().map(text).collect::<Vec<_>>(),
        [
            vec!["!trap", ".tag=x", "=message=not logged in"],
            vec!["!done", ".tag=x"]
        ]
    );
    // Too many sentences before login: !fatal and close. (One was sent already.)
    for _ in 0..10 {
        c.send(&["/system/resource/print"]);
    }
    let (got, rest) = c.read_to_eof();
    assert!(rest.is_empty());
    let last = text(got.last().unwrap());
    assert_eq!(last, ["!fatal", "not logged in"]);
    assert_eq!(got.iter().filter(|s| s[0] == b"!done").count(), 9);

    // A huge sentence before login is refused at once.
    let mut c = Client::connect(h.addr());
    let big = format!("=name={}", "a".repeat(20_000));
    c.send(&["/login", &big]);
    let (got, _) = c.read_to_eof();
    assert_eq!(text(&got[0]), ["!fatal", "not logged in"]);
}

#[test]
fn control_byte_closes_and_empty_sentence_is_ignored() {
    let h = sim(SimConfig::default());
    let mut c = Client::login(h.addr());
    c.send_raw(&[0]);
    assert_eq!(c.talk(&["/system/identity/print"]).len(), 2);
    c.send_raw(&[0xF8, 0, 0, 0, 0, 0]);
    let (got, _) = c.read_to_eof();
    assert!(got.is_empty());
}

#[test]
fn tags_on_every_reply() {
    let h = sim(SimConfig::default());
    let mut c = Client::login(h.addr());
    c.send(&["/interface/print", ".tag=abc", "?type=ether"]);
    let got = c.until_done(Some("abc"));
    assert_eq!(got.len(), 6);
    for s in &got {
        assert_eq!(s[1], b".tag=abc", "{:?}", text(s));
    }
    assert_eq!(
        attr(&got[0], "name").as_deref(),
        Some("ether1"),
        "rows in id order"
    );
    assert_eq!(attr(&got[0], ".id").as_deref(), Some("*1"));
    assert_eq!(attr(&got[0], "running").as_deref(), Some("true"));
    assert_eq!(attr(&got[0], "disabled").as_deref(), Some("false"));
    assert_eq!(attr(&got[2], "running").as_deref(), Some("false"));
}

#[test]
fn queries_proplist_count() {
    // 7.16: before `!empty`.
    let h = sim(SimConfig {
        ros: RosVersion::V7_16,
        ..Default::default()
    });
    let mut c = Client::login(h.addr());
    let r = c.talk(&["/interface/print", "?type=bridge", "?type=wlan", "?#|"]);
    assert_eq!(names(&r), ["bridge1", "wlan1"]);
    let r = c.talk(&["/interface/print", "?type=ether", "?#!"]);
    assert_eq!(names(&r), ["bridge1", "wlan1"]);
    let r = c.talk(&["/interface/print", "?type=ether", "?running=true"]);
    assert_eq!(names(&r), ["ether1", "ether2"]);
    let r = c.talk(&["/interface/print", "?comment"]);
    assert_eq!(names(&r), ["ether1"]);
    let r = c.talk(&["/interface/print", "?-comment", "?=type=ether"]);
    assert_eq!(names(&r), ["ether2", "ether3", "ether4", "ether5"]);
    let r = c.talk(&["/interface/print", "?>l2mtu=1598"]);
    assert_eq!(names(&r), ["bridge1", "wlan1"]);
    let r = c.talk(&["/interface/print", "?<.id=*3"]);
    assert_eq!(names(&r), ["ether1", "ether2"]);
    let r = c.talk(&[
        "/interface/print",
        "=.proplist=mtu,name,.id",
        "?name=ether3",
    ]);
    assert_eq!(
        r,
        [
            vec!["!re", "=mtu=1500", "=name=ether3", "=.id=*3"],
            vec!["!done"]
        ]
    );
    let r = c.talk(&["/interface/print", "=count-only=", "?type=ether"]);
    assert_eq!(r, [vec!["!done", "=ret=5"]]);
    // Without !empty support, no rows is just !done.
    let r = c.talk(&["/interface/print", "?type=vlan"]);
    assert_eq!(r, [vec!["!done"]]);
    let r = c.talk(&["/system/resource/print", "=.proplist=version,platform"]);
    assert_eq!(
        r,
        [
            vec!["!re", "=version=7.16.2 (stable)", "=platform=MikroTik"],
            vec!["!done"]
        ]
    );
}

#[test]
fn empty_replies() {
    let h = sim(SimConfig {
        empty_replies: true,
        ..Default::default()
    });
    let mut c = Client::login(h.addr());
    c.send(&["/interface/print", "?type=vlan", ".tag=e"]);
    let got: Vec<_> = c.until_done(Some("e")).iter().map(text).collect();
    assert_eq!(got, [vec!["!empty", ".tag=e"], vec!["!done", ".tag=e"]]);
    let r = c.talk(&["/interface/print", "?type=wlan"]);
    assert_eq!(r.len(), 2);
    assert_eq!(r[0][0], "!re");
}

#[test]
fn quit_is_fatal() {
    let h = sim(SimConfig::default());
    let mut c = Client::login(h.addr());
    c.send(&["/quit", ".tag=9"]);
    let (got, rest) = c.read_to_eof();
    assert_eq!(
        got.iter().map(text).collect::<Vec<_>>(),
        [vec!["!fatal", "session terminated on request"]]
    );
    assert!(rest.is_empty());
}

#[test]
fn reboot_closes_without_reply() {
    let h = sim(SimConfig::default());
    let mut c = Client::login(h.addr());
    c.send(&["/system/reboot"]);
    let (got, rest) = c.read_to_eof();
    assert!(got.is_empty() && rest.is_empty());
}

#[test]
fn unknown_commands_and_parameters() {
    let h = sim(SimConfig::default());
    let mut c = Client::login(h.addr());
    assert_eq!(
        c.talk(&["/ip/adress/print"]),
        [
            vec![
                "!trap",
                "=category=0",
                "=message=no such command or directory (adress)"
            ],
            vec!["!trap", "=message=no such command prefix"],
            vec!["!done"]
        ]
    );
    assert_eq!(
        c.talk(&["/ip/address/frobnicate"]),
        [
            vec!["!trap", "=category=0", "=message=no such command"],
            vec!["!done"]
        ]
    );
    assert_eq!(
        c.talk(&["/interface/print", "=bogus=1"]),
        [
            vec!["!trap", "=message=unknown parameter bogus"],
            vec!["!done"]
        ]
    );
}

#[test]
fn addresses_add_remove_set() {
    let h = sim(SimConfig::default());
    let mut c = Client::login(h.addr());
    let r = c.talk(&[
        "/ip/address/add",
        "=address=10.9.8.7/16",
        "=interface=ether3",
        "=comment=lab",
    ]);
    assert_eq!(r, [vec!["!done", "=ret=*3"]]);
    let r = c.talk(&["/ip/address/print", "?.id=*3"]);
    assert_eq!(
        r[0],
        [
            "!re",
            "=.id=*3",
            "=address=10.9.8.7/16",
            "=network=10.9.0.0",
            "=interface=ether3",
            "=actual-interface=ether3",
            "=invalid=false",
            "=dynamic=false",
            "=disabled=false",
            "=comment=lab"
        ]
    );
    // Same address again on the same interface.
    let r = c.talk(&[
        "/ip/address/add",
        "=address=10.9.8.7/16",
        "=interface=ether3",
    ]);
    assert_eq!(
        r[0],
        ["!trap", "=message=failure: already have such address"]
    );
    let r = c.talk(&["/ip/address/add", "=address=10.1.1.1/24", "=interface=nope"]);
    assert_eq!(
        r,
        [
            vec![
                "!trap",
                "=category=1",
                "=message=input does not match any value of interface"
            ],
            vec!["!done"]
        ]
    );
    let r = c.talk(&[
        "/ip/address/add",
        "=address=10.1.1.300/24",
        "=interface=ether1",
    ]);
    assert_eq!(r[0][0], "!trap");
    assert_eq!(r[0][1], "=category=1");
    let r = c.talk(&["/ip/address/set", "=.id=*3", "=disabled=yes"]);
    assert_eq!(r, [vec!["!done"]]);
    let r = c.talk(&["/ip/address/print", "?disabled=true", "=.proplist=.id"]);
    assert_eq!(r, [vec!["!re", "=.id=*3"], vec!["!done"]]);
    assert_eq!(c.talk(&["/ip/address/remove", "=.id=*3"]), [vec!["!done"]]);
    assert_eq!(
        c.talk(&["/ip/address/remove", "=.id=*3"]),
        [vec!["!trap", "=message=no such item (4)"], vec!["!done"]]
    );
    // Ids are never reused.
    let r = c.talk(&[
        "/ip/address/add",
        "=address=10.9.8.7/16",
        "=interface=ether3",
    ]);
    assert_eq!(r, [vec!["!done", "=ret=*4"]]);
    let r = c.talk(&["/ip/address/print", "=count-only="]);
    assert_eq!(r, [vec!["!done", "=ret=3"]]);
}

#[test]
fn firewall_and_leases_and_identity() {
    let h = sim(SimConfig::default());
    let mut c = Client::login(h.addr());
    let r = c.talk(&["/ip/firewall/filter/print"]);
    assert_eq!(r.len(), 6);
    assert_eq!(attr_s(&r[0], "chain").as_deref(), Some("input"));
    let r = c.talk(&[
        "/ip/firewall/filter/add",
        "=chain=forward",
        "=action=drop",
        "=protocol=tcp",
        "=dst-port=23",
        "=comment=no telnet",
        "=place-before=*1",
    ]);
    assert_eq!(r, [vec!["!done", "=ret=*6"]]);
    let r = c.talk(&["/ip/firewall/filter/print", "=.proplist=.id"]);
    assert_eq!(r[0], ["!re", "=.id=*6"]);
    assert_eq!(
        c.talk(&["/ip/firewall/filter/move", "=numbers=*6"]),
        [vec!["!done"]]
    );
    let r = c.talk(&["/ip/firewall/filter/print", "=.proplist=.id"]);
    assert_eq!(r[5], ["!re", "=.id=*6"]);
    assert_eq!(
        c.talk(&["/ip/firewall/filter/disable", "=numbers=*6"]),
        [vec!["!done"]]
    );
    let r = c.talk(&[
        "/ip/firewall/filter/print",
        "?disabled=true",
        "=.proplist=comment",
    ]);
    assert_eq!(r[0], ["!re", "=comment=no telnet"]);
    let r = c.talk(&["/ip/firewall/filter/add", "=action=drop"]);
    assert_eq!(r[0][0], "!trap");
    let r = c.talk(&["/ip/firewall/filter/add", "=chain=input", "=action=explode"]);
    assert_eq!(r[0][2], "=message=input does not match any value of action");

    let r = c.talk(&[
        "/ip/dhcp-server/lease/print",
        "?status=bound",
        "=.proplist=host-name",
    ]);
    assert_eq!(names(&r).len(), 0);
    assert_eq!(r.len(), 4);
    assert_eq!(r[0], ["!re", "=host-name=laptop"]);

    assert_eq!(
        c.talk(&["/system/identity/set", "=name=core-rtr"]),
        [vec!["!done"]]
    );
    // The model is shared by all connections.
    let mut d = Client::login(h.addr());
    assert_eq!(
        d.talk(&["/system/identity/get", "=value-name=name"]),
        [vec!["!done", "=ret=core-rtr"]]
    );
    let r = d.talk(&["/system/resource/print"]);
    assert_eq!(attr_s(&r[0], "cpu-count").as_deref(), Some("4"));
}

#[test]
fn interface_set_and_listen() {
    let h = sim(SimConfig::default());
    let mut c = Client::login(h.addr());
    c.send(&["/interface/listen", ".tag=L"]);
    c.send(&["/interface/set", "=.id=ether2", "=disabled=yes", ".tag=S"]);
    let mut seen_done = false;
    let mut seen_row = None;
    while !(seen_done && seen_row.is_some()) {
        let s = c.read().unwrap();
        match tag_of(&s).as_deref() {
            Some("S") => {
                assert_eq!(text(&s), ["!done", ".tag=S"]);
                seen_done = true;
            }
            Some("L") => seen_row = Some(s),
            other => panic!("unexpected {other:?}"),
        }
    }
    let row = seen_row.unwrap();
    assert_eq!(row[0], b"!re");
    assert_eq!(attr(&row, "name").as_deref(), Some("ether2"));
    assert_eq!(attr(&row, "disabled").as_deref(), Some("true"));
    assert_eq!(attr(&row, "running").as_deref(), Some("false"));
    c.send(&["/cancel", "=tag=L", ".tag=C"]);
    let got: Vec<_> = c.until_done(Some("L")).iter().map(text).collect();
    assert_eq!(
        got,
        [
            vec!["!trap", ".tag=L", "=category=2", "=message=interrupted"],
            vec!["!done", ".tag=C"],
            vec!["!done", ".tag=L"]
        ]
    );
    // Bad values change nothing.
    let r = c.talk(&["/interface/set", "=.id=ether1", "=mtu=abc"]);
    assert_eq!(r[0][0], "!trap");
    let r = c.talk(&["/interface/set", "=.id=ether9", "=mtu=1400"]);
    assert_eq!(r[0], ["!trap", "=message=no such item (4)"]);
    assert_eq!(
        c.talk(&["/interface/set", "=.id=*1", "=mtu=1400"]),
        [vec!["!done"]]
    );
    let r = c.talk(&["/interface/get", "=.id=ether1", "=value-name=actual-mtu"]);
    assert_eq!(r, [vec!["!done", "=ret=1400"]]);
}

#[test]
fn address_list_plain_tagged_and_filtered() {
    let h = sim(SimConfig {
        address_list_rows: 2000,
        ..Default::default()
    });
    let mut c = Client::login(h.addr());
    let plain = c.talk(&["/ip/firewall/address-list/print"]);
    assert_eq!(plain.len(), 2001);
    assert_eq!(plain[0][1], "=.id=*1");
    assert_eq!(plain[1999][1], "=.id=*7D0");
    c.send(&["/ip/firewall/address-list/print", ".tag=big"]);
    let tagged = c.until_done(Some("big"));
    assert_eq!(tagged.len(), 2001);
    for (p, t) in plain.iter().zip(&tagged) {
        let mut t = text(t);
        assert_eq!(t.remove(1), ".tag=big");
        assert_eq!(p, &t);
    }
    let r = c.talk(&[
        "/ip/firewall/address-list/print",
        "?list=scanners",
        "=count-only=",
    ]);
    assert_eq!(r, [vec!["!done", "=ret=500"]]);
    let r = c.talk(&[
        "/ip/firewall/address-list/print",
        "?.id=*2",
        "=.proplist=list,address",
    ]);
    assert_eq!(r[0][0], "!re");
    assert_eq!(r[0][1], "=list=allow");
    assert_eq!(r.len(), 2);

    let h = sim(SimConfig::default());
    let mut c = Client::login(h.addr());
    assert_eq!(c.talk(&["/ip/firewall/address-list/print"]).len(), 17);
}

#[test]
fn fault_fragment() {
    let h = sim(SimConfig {
        faults: Faults {
            fragment: Some(3),
            ..Default::default()
        },
        ..Default::default()
    });
    let mut c = Client::login(h.addr());
    let r = c.talk(&["/interface/print"]);
    assert_eq!(names(&r).len(), 7);
}

#[test]
fn fault_delay() {
    let h = sim(SimConfig {
        faults: Faults {
            delay_ms: 40,
            ..Default::default()
        },
        ..Default::default()
    });
    let mut c = Client::login(h.addr());
    let t = Instant::now();
    let r = c.talk(&["/system/identity/print"]);
    assert_eq!(r.len(), 2);
    assert!(t.elapsed() >= Duration::from_millis(80));
    // A delayed command can be cancelled.
    c.send(&["/interface/print", ".tag=slow"]);
    c.send(&["/cancel", "=tag=slow", ".tag=c"]);
    let got = c.until_done(Some("slow"));
    let kinds: Vec<_> = got.iter().map(|s| text(s)[0].clone()).collect();
    assert!(kinds.contains(&"!trap".to_string()), "{kinds:?}");
}

#[test]
fn fault_disconnect_after_rows() {
    let h = sim(SimConfig {
        faults: Faults {
            disconnect_after_rows: Some(2),
            ..Default::default()
        },
        ..Default::default()
    });
    let mut c = Client::login(h.addr());
    c.send(&["/interface/print"]);
    let (got, rest) = c.read_to_eof();
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|s| s[0] == b"!re"));
    assert!(!rest.is_empty(), "half a sentence is left");
    // The cut is inside a sentence: it does not end with a zero-length word where expected.
    assert!(take_sentence(&mut rest.clone()).is_none());
}

#[test]
fn fault_oversize_and_non_utf8() {
    let h = sim(SimConfig {
        faults: Faults {
            oversize_word: Some(70_000),
            non_utf8: true,
            ..Default::default()
        },
        ..Default::default()
    });
    let mut c = Client::login(h.addr());
    c.send(&["/interface/print", "?comment", "=.proplist=name,comment"]);
    let got = c.until_done(None);
    assert_eq!(got.len(), 3);
    assert_eq!(got[0][2].len(), 70_000);
    assert!(got[0][2].starts_with(b"=comment=xxx"));
    assert_eq!(got[1][2], b"=comment=Caf\xe9 \x80 r\xe9seau");
}

#[test]
fn fault_fatal_after_commands() {
    let h = sim(SimConfig {
        faults: Faults {
            fatal_after_commands: Some(2),
            ..Default::default()
        },
        ..Default::default()
    });
    let mut c = Client::login(h.addr());
    assert_eq!(c.talk(&["/system/identity/print"]).len(), 2);
    c.send(&["/system/identity/print"]);
    let (got, _) = c.read_to_eof();
    let got: Vec<_> = got.iter().map(text).collect();
    assert_eq!(got[got.len() - 1], ["!fatal", "router is shutting down"]);
    assert_eq!(got[got.len() - 2], ["!done"]);
}

#[test]
fn disconnect_all_and_shutdown() {
    let h = sim(SimConfig::default());
    let mut a = Client::login(h.addr());
    let mut b = Client::login(h.addr());
    assert_eq!(h.connections_accepted(), 2);
    h.disconnect_all();
    assert!(a.read_to_eof().0.is_empty());
    assert!(b.read_to_eof().0.is_empty());
    let mut c = Client::login(h.addr());
    assert_eq!(c.talk(&["/system/identity/print"]).len(), 2);
    assert_eq!(h.connections_accepted(), 3);
    let addr = h.addr();
    h.shutdown();
    assert!(c.read_to_eof().0.is_empty());
    assert!(TcpStream::connect(addr).is_err());
}

#[test]
fn start_inside_a_runtime() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let h = Simulator::start(SimConfig::default(), "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let addr = h.addr();
        let got = tokio::task::spawn_blocking(move || {
            let mut c = Client::login(addr);
            c.talk(&["/system/identity/print"])
        })
        .await
        .unwrap();
        assert_eq!(got.len(), 2);
        h.shutdown();
    });
}

#[test]
fn disconnect_all_reaches_a_client_that_does_not_read() {
    let h = sim(SimConfig {
        address_list_rows: 20_000,
        ..Default::default()
    });
    let mut c = Client::login(h.addr());
    // Far more output than socket buffers and the writer's queue hold.
    for _ in 0..300 {
        c.send(&["/ip/firewall/address-list/print"]);
    }
    std::thread::sleep(Duration::from_millis(200));
    let t = Instant::now();
    h.disconnect_all();
    let mut n = 0;
    while c.read().is_some() {
        n += 1;
    }
    // Only what was already in flight arrives: a few replies, not all 300.
    assert!(n > 0 && n < 5 * 20_001, "{n} sentences");
    assert!(t.elapsed() < Duration::from_secs(2));
    // The simulator still serves new connections.
    let mut d = Client::login(h.addr());
    assert_eq!(d.talk(&["/system/identity/print"]).len(), 2);
}
