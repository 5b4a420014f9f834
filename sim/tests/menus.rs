//! Every menu monitoring tools read answers over a real socket, with the print options they
//! use (`count-only`, `stats`, `active`, `.proplist`, queries, `monitor once` by number).

mod common;

use common::{attr, text, Client};
use routeros_sim::{RosVersion, SimConfig, Simulator, TagPosition};

/// Paths an exporter such as mktxp reads with a plain `print` (each has sample rows).
const MENUS: &[&str] = &[
    "/system/health",
    "/system/package",
    "/system/routerboard",
    "/system/resource",
    "/system/identity",
    "/system/clock",
    "/ip/cloud",
    "/ip/route",
    "/ipv6/route",
    "/ip/firewall/connection",
    "/ip/firewall/filter",
    "/ip/firewall/nat",
    "/ip/firewall/mangle",
    "/ip/firewall/raw",
    "/ip/pool",
    "/ip/pool/used",
    "/ip/neighbor",
    "/ip/dhcp-server",
    "/ip/dhcp-server/lease",
    "/interface",
    "/interface/vlan",
    "/interface/ethernet",
    "/interface/ethernet/poe",
    "/interface/wifi",
    "/interface/wifi/registration-table",
    "/interface/wifi/capsman/remote-cap",
    "/interface/wireless",
    "/interface/wireless/registration-table",
    "/caps-man/remote-cap",
    "/caps-man/registration-table",
    "/caps-man/interface",
    "/tool/netwatch",
    "/queue/simple",
    "/queue/tree",
    "/user",
    "/user/active",
];

fn client(ros: RosVersion) -> (routeros_sim::SimHandle, Client) {
    let h = Simulator::spawn(SimConfig {
        ros,
        tag_position: TagPosition::First,
        ..Default::default()
    })
    .unwrap();
    let c = Client::login(h.addr());
    (h, c)
}

#[test]
fn every_menu_prints_rows() {
    let (_h, mut c) = client(RosVersion::V7_18);
    for path in MENUS {
        let r = c.talk(&[&format!("{path}/print")]);
        assert!(r.len() >= 2, "{path}: {r:?}");
        assert!(
            r[..r.len() - 1].iter().all(|s| s[0] == "!re"),
            "{path}: {r:?}"
        );
        assert_eq!(r.last().unwrap(), &["!done"], "{path}");
    }
}

#[test]
fn print_options_monitoring_tools_use() {
    let (_h, mut c) = client(RosVersion::V7_16);
    let r = c.talk(&["/ip/route/print", "=count-only="]);
    assert_eq!(r, [vec!["!done", "=ret=5"]]);
    // librouteros sends `yes`; the simulator prints `true`.
    let r = c.talk(&["/ip/route/print", "=count-only=", "?static=yes"]);
    assert_eq!(r, [vec!["!done", "=ret=2"]]);
    let r = c.talk(&["/ip/firewall/connection/print", "=count-only="]);
    assert_eq!(r, [vec!["!done", "=ret=4"]]);
    for rules in ["filter", "nat", "mangle", "raw"] {
        let r = c.talk(&[&format!("/ip/firewall/{rules}/print"), "=stats="]);
        assert!(r.len() >= 2 && r[0][0] == "!re", "{rules}: {r:?}");
        assert!(r[0].iter().any(|w| w.starts_with("=bytes=")), "{rules}");
    }
    let all = c.talk(&["/ip/dhcp-server/lease/print"]);
    let active = c.talk(&["/ip/dhcp-server/lease/print", "=active="]);
    assert_eq!(all.len(), 5);
    assert_eq!(active.len(), 4, "only bound leases");
    let r = c.talk(&[
        "/interface/print",
        "=stats=detail",
        "=.proplist=name,rx-byte",
    ]);
    assert_eq!(r.len(), 8);
    // Monitor by position in print order, as mktxp asks.
    let r = c.talk(&["/interface/ethernet/monitor", "=once=", "=numbers=0"]);
    assert_eq!(r.len(), 2, "{r:?}");
    assert!(r[0].contains(&"=status=link-ok".to_string()), "{r:?}");
    let r = c.talk(&["/interface/ethernet/poe/monitor", "=once=", "=numbers=0"]);
    assert!(
        r[0].contains(&"=poe-out-status=powered-on".to_string()),
        "{r:?}"
    );
    let r = c.talk(&["/interface/wifi/monitor", "=once=", "=numbers=wifi1"]);
    assert!(r[0].contains(&"=registered-clients=1".to_string()), "{r:?}");
    let r = c.talk(&[
        "/system/package/print",
        "=.proplist=name,version",
        "?name=routeros",
    ]);
    assert_eq!(r[0], ["!re", "=name=routeros", "=version=7.16.2"]);
}

#[test]
fn counters_advance_with_time() {
    let (_h, mut c) = client(RosVersion::V7_18);
    let read = |c: &mut Client| -> u64 {
        c.send(&["/interface/print", "?name=ether1", "=.proplist=rx-byte"]);
        let s = c.read().unwrap();
        let v = attr(&s, "rx-byte").unwrap().parse().unwrap();
        assert_eq!(text(&c.read().unwrap()), ["!done"]);
        v
    };
    let a = read(&mut c);
    std::thread::sleep(std::time::Duration::from_millis(50));
    let b = read(&mut c);
    assert!(b > a, "{a} then {b}");
}

#[test]
fn a_table_menu_takes_add_set_remove() {
    let (_h, mut c) = client(RosVersion::V7_18);
    let r = c.talk(&[
        "/queue/simple/add",
        "=name=cams",
        "=target=192.168.88.50/32",
    ]);
    assert_eq!(r, [vec!["!done", "=ret=*3"]]);
    let r = c.talk(&[
        "/queue/simple/add",
        "=name=cams",
        "=target=192.168.88.51/32",
    ]);
    assert_eq!(r[0], ["!trap", "=message=failure: already have such name"]);
    let r = c.talk(&["/queue/simple/add", "=name=x"]);
    assert_eq!(
        r[0],
        [
            "!trap",
            "=category=1",
            "=message=missing value(s) of argument(s) target"
        ]
    );
    assert_eq!(
        c.talk(&[
            "/queue/simple/set",
            "=numbers=cams",
            "=max-limit=1000000/2000000"
        ]),
        [vec!["!done"]]
    );
    let r = c.talk(&["/queue/simple/get", "=numbers=*3", "=value-name=max-limit"]);
    assert_eq!(r, [vec!["!done", "=ret=1000000/2000000"]]);
    let r = c.talk(&["/queue/simple/set", "=numbers=cams", "=bytes=1/1"]);
    assert_eq!(
        r[0],
        ["!trap", "=message=unknown parameter bytes"],
        "read-only"
    );
    assert_eq!(
        c.talk(&["/queue/simple/remove", "=numbers=*3"]),
        [vec!["!done"]]
    );
    let r = c.talk(&["/user/active/remove", "=numbers=*1"]);
    assert_eq!(r[0], ["!trap", "=category=0", "=message=no such command"]);
}
