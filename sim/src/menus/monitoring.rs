//! Menus that monitoring tools (Prometheus exporters such as `mktxp`) read: health, packages,
//! routerboard, cloud, VLANs, Ethernet and PoE, netwatch, queues, users and the clock (the IP
//! menus they read are in `ip.rs`).

use super::{counter, flag, grows, ro, ro_flag, s, Hooks, Kind, MenuDef};
use crate::model::{Db, Row};

/// Every menu of this file.
pub(super) static MENUS: [MenuDef; 13] = [
    HEALTH,
    PACKAGE,
    ROUTERBOARD,
    CLOUD,
    VLAN,
    ETHERNET,
    POE,
    NETWATCH,
    QUEUE_SIMPLE,
    QUEUE_TREE,
    USER_ACTIVE,
    USER,
    CLOCK,
];

/// `/system/health` as RouterOS 7 prints it: one row per sensor (`name`, `value`, `type`).
const HEALTH: MenuDef = MenuDef {
    rows: &[
        &[("name", "voltage"), ("value", "24.1"), ("type", "V")],
        &[("name", "temperature"), ("value", "41"), ("type", "C")],
        &[("name", "cpu-temperature"), ("value", "52"), ("type", "C")],
        &[
            ("name", "power-consumption"),
            ("value", "9.8"),
            ("type", "W"),
        ],
        &[("name", "fan1-speed"), ("value", "3120"), ("type", "RPM")],
        &[("name", "psu1-state"), ("value", "ok"), ("type", "")],
    ],
    ..MenuDef::list(
        "system/health",
        &[ro("name"), ro("value"), ro("type"), ro("state").def("ok")],
    )
};

/// `/system/package`: the version follows the profile.
const PACKAGE: MenuDef = MenuDef {
    rows: &[
        &[("name", "routeros"), ("size", "12816384")],
        &[("name", "wifi-qcom"), ("size", "4042752")],
        &[
            ("name", "container"),
            ("size", "102400"),
            ("disabled", "true"),
        ],
    ],
    hooks: Hooks {
        on_write: None,
        live: Some(version_live),
        monitor: None,
    },
    ..MenuDef::list(
        "system/package",
        &[
            ro("name"),
            ro("version").def(""),
            ro("build-time").def("2025-02-24 12:46:33"),
            ro("scheduled").def(""),
            ro("size"),
            ro_flag("bundle"),
            ro_flag("available"),
            ro_flag("disabled"),
        ],
    )
};

fn version_live(db: &Db, _: usize, row: &mut Row) {
    for key in ["version", "current-firmware", "upgrade-firmware"] {
        if row.get(key).is_some() {
            row.set(key, db.version);
        }
    }
}

/// `/system/routerboard`.
const ROUTERBOARD: MenuDef = MenuDef {
    hooks: Hooks {
        on_write: None,
        live: Some(version_live),
        monitor: None,
    },
    ..MenuDef::single(
        "system/routerboard",
        &[
            ro_flag("routerboard").def("true"),
            ro("board-name").def("RB4011iGS+"),
            ro("model").def("RB4011iGS+"),
            ro("serial-number").def("D4C10B5A7E21"),
            ro("firmware-type").def("al2"),
            ro("factory-firmware").def("6.45.9"),
            ro("current-firmware").def(""),
            ro("upgrade-firmware").def(""),
        ],
    )
};

/// `/ip/cloud`.
const CLOUD: MenuDef = MenuDef {
    writable: true,
    ..MenuDef::single(
        "ip/cloud",
        &[
            flag("ddns-enabled").def("true"),
            s("ddns-update-interval").def("none"),
            flag("update-time").def("true"),
            ro("public-address").def("203.0.113.45"),
            ro("public-address-ipv6").def("2001:db8:45::1"),
            ro("dns-name").def("8f3a1c2b4d5e.sn.mynetname.net"),
            ro("status").def("updated"),
        ],
    )
};

/// `/interface/vlan`.
const VLAN: MenuDef = MenuDef {
    rows: &[
        &[
            ("name", "vlan10-office"),
            ("vlan-id", "10"),
            ("interface", "bridge1"),
            ("mac-address", "4C:5E:0C:12:34:55"),
            ("running", "true"),
        ],
        &[
            ("name", "vlan20-guest"),
            ("vlan-id", "20"),
            ("interface", "bridge1"),
            ("mac-address", "4C:5E:0C:12:34:55"),
            ("running", "true"),
        ],
    ],
    writable: true,
    settable: true,
    unique: &[(&["name"], "failure: already have interface with such name")],
    ..MenuDef::list(
        "interface/vlan",
        &[
            s("name").required(),
            s("mtu").kind(Kind::Int(68, 65535)).def("1500"),
            s("vlan-id").kind(Kind::Int(1, 4095)).required(),
            s("interface").kind(Kind::Ref("interface")).required(),
            ro("mac-address"),
            flag("use-service-tag"),
            ro_flag("running"),
            flag("disabled"),
            s("comment"),
        ],
    )
};

const ETHERNET_NAMES: [&str; 5] = ["ether1", "ether2", "ether3", "ether4", "ether5"];

/// `/interface/ethernet`, with `monitor` (link status, rate, duplex).
const ETHERNET: MenuDef = MenuDef {
    rows: &[
        &[("name", ETHERNET_NAMES[0]), ("default-name", "ether1"), ("mac-address", "4C:5E:0C:12:34:50"), ("running", "true")],
        &[("name", ETHERNET_NAMES[1]), ("default-name", "ether2"), ("mac-address", "4C:5E:0C:12:34:51"), ("running", "true")],
        &[("name", ETHERNET_NAMES[2]), ("default-name", "ether3"), ("mac-address", "4C:5E:0C:12:34:52")],
        &[("name", ETHERNET_NAMES[3]), ("default-name", "ether4"), ("mac-address", "4C:5E:0C:12:34:53")],
        &[("name", ETHERNET_NAMES[4]), ("default-name", "ether5"), ("mac-address", "4C:5E:0C:12:34:54")],
    ],
    settable: true,
    hooks: Hooks {
        on_write: None,
        live: None,
        monitor: Some(ethernet_monitor),
    },
    ..MenuDef::list(
        "interface/ethernet",
        &[
            s("name"),
            ro("default-name"),
            s("mtu").kind(Kind::Int(68, 65535)).def("1500"),
            ro("mac-address"),
            flag("auto-negotiation").def("true"),
            s("speed").def("1G-baseT-full"),
            s("advertise").def("10M-baseT-half,10M-baseT-full,100M-baseT-half,100M-baseT-full,1G-baseT-half,1G-baseT-full"),
            ro_flag("running"),
            ro_flag("slave"),
            flag("disabled"),
            s("comment"),
        ],
    )
};

fn ethernet_monitor(_: &Db, row: &Row) -> Row {
    let up = row.get("running") == Some(b"true");
    let mut out = Row::default().with("name", row.get("name").unwrap_or(b"").to_vec());
    if up {
        out.push("status", "link-ok");
        out.push("auto-negotiation", "done");
        out.push("rate", "1Gbps");
        out.push("full-duplex", "true");
        out.push("tx-flow-control", "false");
        out.push("rx-flow-control", "false");
        out.push(
            "advertising",
            "10M-baseT-half,10M-baseT-full,100M-baseT-half,100M-baseT-full,1G-baseT-full",
        );
        out.push(
            "link-partner-advertising",
            "10M-baseT-half,10M-baseT-full,100M-baseT-half,100M-baseT-full,1G-baseT-full",
        );
    } else {
        out.push("status", "no-link");
        out.push("auto-negotiation", "failed");
    }
    out
}

/// `/interface/ethernet/poe`, with `monitor` (status, voltage, current, power).
const POE: MenuDef = MenuDef {
    rows: &[
        &[("name", "ether2"), ("poe-out", "auto-on")],
        &[("name", "ether3"), ("poe-out", "auto-on")],
        &[("name", "ether4"), ("poe-out", "off")],
        &[
            ("name", "ether5"),
            ("poe-out", "forced-on"),
            ("poe-priority", "1"),
        ],
    ],
    settable: true,
    hooks: Hooks {
        on_write: None,
        live: None,
        monitor: Some(poe_monitor),
    },
    ..MenuDef::list(
        "interface/ethernet/poe",
        &[
            ro("name"),
            s("poe-out")
                .kind(Kind::Enum(&["auto-on", "forced-on", "off"]))
                .def("auto-on"),
            s("poe-priority").kind(Kind::Int(0, 99)).def("10"),
            s("poe-voltage").def("auto"),
            s("poe-out-power-cycle-ping-enabled").def("false"),
        ],
    )
};

fn poe_monitor(_: &Db, row: &Row) -> Row {
    let name = row.get("name").unwrap_or(b"").to_vec();
    let mode = row.get("poe-out").unwrap_or(b"off");
    let mut out = Row::default()
        .with("name", name.clone())
        .with("poe-out", mode.to_vec());
    if mode == b"off" {
        out.push("poe-out-status", "disabled");
    } else if name == b"ether3" {
        out.push("poe-out-status", "waiting-for-load");
    } else {
        out.push("poe-out-status", "powered-on");
        out.push("poe-out-voltage", "23.9");
        out.push("poe-out-current", "167");
        out.push("poe-out-power", "4.0");
    }
    out
}

/// `/tool/netwatch`.
const NETWATCH: MenuDef = MenuDef {
    rows: &[
        &[
            ("host", "1.1.1.1"),
            ("name", "cloudflare"),
            ("type", "icmp"),
            ("status", "up"),
            ("since", "2024-11-02 09:15:00"),
            ("done-tests", "1520"),
            ("loss-count", "0"),
            ("loss-percent", "0"),
            ("rtt-avg", "11.8"),
            ("rtt-min", "10.2"),
            ("rtt-max", "15.9"),
            ("rtt-jitter", "5.7"),
            ("rtt-stdev", "1.1"),
        ],
        &[
            ("host", "192.0.2.77"),
            ("name", "old-nas"),
            ("type", "tcp-conn"),
            ("port", "445"),
            ("status", "down"),
            ("since", "2024-11-03 22:01:40"),
            ("done-tests", "1520"),
            ("failed-tests", "1519"),
            ("comment", "decommissioned?"),
        ],
        &[
            ("host", "192.168.88.10"),
            ("name", "web"),
            ("type", "http-get"),
            ("port", "80"),
            ("status", "up"),
            ("since", "2024-11-02 09:15:10"),
            ("done-tests", "760"),
            ("http-status-code", "200"),
            ("http-resp-time", "4.1"),
            ("tcp-connect-time", "0.6"),
        ],
    ],
    writable: true,
    settable: true,
    ..MenuDef::list(
        "tool/netwatch",
        &[
            s("host").required(),
            s("name"),
            s("type")
                .kind(Kind::Enum(&[
                    "simple",
                    "icmp",
                    "tcp-conn",
                    "http-get",
                    "https-get",
                    "dns",
                ]))
                .def("simple"),
            s("port"),
            s("interval").def("10s"),
            s("timeout").def("1s"),
            ro("status").def("unknown"),
            ro("since"),
            counter("done-tests"),
            counter("failed-tests"),
            ro("loss-count"),
            ro("loss-percent"),
            ro("rtt-avg"),
            ro("rtt-min"),
            ro("rtt-max"),
            ro("rtt-jitter"),
            ro("rtt-stdev"),
            ro("tcp-connect-time"),
            ro("http-status-code"),
            ro("http-resp-time"),
            flag("disabled"),
            s("comment"),
        ],
    )
};

/// `/queue/simple`: `upload/download` pairs, as RouterOS prints them.
const QUEUE_SIMPLE: MenuDef = MenuDef {
    rows: &[
        &[
            ("name", "guests"),
            ("target", "192.168.20.0/24"),
            ("max-limit", "20000000/50000000"),
            ("bytes", "1234567/98765432"),
            ("packets", "12000/80000"),
            ("dropped", "3/120"),
            ("rate", "120000/2400000"),
            ("packet-rate", "40/210"),
            ("queued-bytes", "0/3000"),
            ("queued-packets", "0/2"),
        ],
        &[
            ("name", "nas-backup"),
            ("target", "192.168.88.10/32"),
            ("max-limit", "100000000/100000000"),
            ("priority", "7/7"),
            ("bytes", "55555555/4444444"),
            ("packets", "40000/30000"),
            ("rate", "0/0"),
        ],
    ],
    writable: true,
    settable: true,
    ordered: true,
    unique: &[(&["name"], "failure: already have such name")],
    ..MenuDef::list(
        "queue/simple",
        &[
            s("name").required(),
            s("target").required(),
            s("parent").def("none"),
            s("packet-marks").def(""),
            s("priority").def("8/8"),
            s("queue").def("default-small/default-small"),
            s("limit-at").def("0/0"),
            s("max-limit").def("0/0"),
            ro("bytes").def("0/0"),
            ro("packets").def("0/0"),
            ro("dropped").def("0/0"),
            ro("rate").def("0/0"),
            ro("packet-rate").def("0/0"),
            ro("queued-bytes").def("0/0"),
            ro("queued-packets").def("0/0"),
            ro_flag("invalid"),
            ro_flag("dynamic"),
            flag("disabled"),
            s("comment"),
        ],
    )
};

/// `/queue/tree`.
const QUEUE_TREE: MenuDef = MenuDef {
    rows: &[
        &[
            ("name", "download"),
            ("parent", "bridge1"),
            ("max-limit", "100000000"),
            ("bytes", "987654321"),
            ("packets", "700000"),
            ("dropped", "42"),
            ("rate", "3100000"),
            ("packet-rate", "280"),
        ],
        &[
            ("name", "voip"),
            ("parent", "download"),
            ("packet-mark", "voip"),
            ("priority", "1"),
            ("limit-at", "2000000"),
            ("bytes", "1234500"),
            ("packets", "9000"),
            ("rate", "64000"),
            ("packet-rate", "50"),
        ],
    ],
    counters: &[grows("bytes", 40_000, None), grows("packets", 30, None)],
    writable: true,
    settable: true,
    unique: &[(&["name"], "failure: already have such name")],
    ..MenuDef::list(
        "queue/tree",
        &[
            s("name").required(),
            s("parent").required(),
            s("packet-mark").def(""),
            s("priority").kind(Kind::Int(1, 8)).def("8"),
            s("queue").def("default-small"),
            s("limit-at").def("0"),
            s("max-limit").def("0"),
            counter("bytes"),
            counter("packets"),
            counter("dropped"),
            ro("rate").def("0"),
            ro("packet-rate").def("0"),
            ro("queued-bytes").def("0"),
            ro("queued-packets").def("0"),
            ro_flag("invalid"),
            flag("disabled"),
            s("comment"),
        ],
    )
};

/// `/user/active`.
const USER_ACTIVE: MenuDef = MenuDef {
    rows: &[
        &[
            ("when", "2024-11-05 08:12:44"),
            ("name", "admin"),
            ("address", "192.168.88.254"),
            ("via", "winbox"),
        ],
        &[
            ("when", "2024-11-05 09:30:02"),
            ("name", "monitor"),
            ("address", "192.168.88.252"),
            ("via", "api"),
            ("group", "read"),
        ],
    ],
    ..MenuDef::list(
        "user/active",
        &[
            ro("when"),
            ro("name"),
            ro("address"),
            ro("via"),
            ro("group").def("full"),
            ro_flag("radius"),
        ],
    )
};

/// `/user`.
const USER: MenuDef = MenuDef {
    rows: &[
        &[("name", "admin"), ("comment", "system default user")],
        &[("name", "monitor"), ("group", "read")],
    ],
    ..MenuDef::list(
        "user",
        &[
            ro("name"),
            ro("group").def("full"),
            ro("address").def(""),
            ro("last-logged-in").def("2024-11-05 09:30:02"),
            ro_flag("expired"),
            ro_flag("disabled"),
            ro("comment"),
        ],
    )
};

/// `/system/clock`.
const CLOCK: MenuDef = MenuDef {
    hooks: Hooks {
        on_write: None,
        live: Some(clock_live),
        monitor: None,
    },
    ..MenuDef::single(
        "system/clock",
        &[
            ro("time").def(""),
            ro("date").def(""),
            ro("time-zone-name").def("Etc/UTC"),
            ro("gmt-offset").def("+00:00"),
            ro_flag("dst-active"),
        ],
    )
};

fn clock_live(_: &Db, _: usize, row: &mut Row) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let stamp = crate::model::format_timestamp(now);
    let (date, time) = stamp.split_once(' ').unwrap_or((&stamp, ""));
    row.set("date", date);
    row.set("time", time);
}
