//! IP menus that monitoring tools read: routes, tracked connections, NAT/mangle/raw rules,
//! pools, neighbours and DHCP servers.

use super::base::RULE_PROPS;
use super::{counter, flag, grows, ro, ro_flag, s, Kind, MenuDef, Prop};

/// Every menu of this file.
pub(super) static MENUS: [MenuDef; 10] = [
    ROUTE,
    IPV6_ROUTE,
    CONNECTION,
    NAT,
    MANGLE,
    RAW,
    POOL,
    POOL_USED,
    NEIGHBOR,
    DHCP_SERVER,
];

const ROUTE_PROPS: &[Prop] = &[
    s("dst-address").required(),
    s("gateway"),
    ro("immediate-gw"),
    s("distance").kind(Kind::Int(0, 255)).def("1"),
    s("scope").def("30"),
    s("target-scope").def("10"),
    s("routing-table").def("main"),
    s("comment"),
    ro_flag("dynamic"),
    ro_flag("active"),
    ro_flag("static"),
    ro_flag("connect"),
    ro_flag("dhcp"),
    ro_flag("ospf"),
    ro_flag("bgp"),
    ro_flag("ecmp"),
    flag("disabled"),
];

/// `/ip/route`: a default route, connected networks and a few static ones.
const ROUTE: MenuDef = MenuDef {
    rows: &[
        &[
            ("dst-address", "0.0.0.0/0"),
            ("gateway", "10.0.0.1"),
            ("immediate-gw", "10.0.0.1%ether1"),
            ("dynamic", "true"),
            ("active", "true"),
            ("dhcp", "true"),
        ],
        &[
            ("dst-address", "10.0.0.0/30"),
            ("gateway", "ether1"),
            ("immediate-gw", "ether1"),
            ("distance", "0"),
            ("scope", "10"),
            ("dynamic", "true"),
            ("active", "true"),
            ("connect", "true"),
        ],
        &[
            ("dst-address", "192.168.88.0/24"),
            ("gateway", "bridge1"),
            ("immediate-gw", "bridge1"),
            ("distance", "0"),
            ("scope", "10"),
            ("dynamic", "true"),
            ("active", "true"),
            ("connect", "true"),
        ],
        &[
            ("dst-address", "172.16.0.0/16"),
            ("gateway", "192.168.88.2"),
            ("immediate-gw", "192.168.88.2%bridge1"),
            ("active", "true"),
            ("static", "true"),
            ("comment", "lab"),
        ],
        &[
            ("dst-address", "198.51.100.0/24"),
            ("gateway", "10.0.0.1"),
            ("distance", "10"),
            ("static", "true"),
            ("disabled", "true"),
        ],
    ],
    writable: true,
    settable: true,
    ..MenuDef::list("ip/route", ROUTE_PROPS)
};

/// `/ipv6/route`.
const IPV6_ROUTE: MenuDef = MenuDef {
    rows: &[
        &[
            ("dst-address", "::/0"),
            ("gateway", "fe80::1%ether1"),
            ("immediate-gw", "fe80::1%ether1"),
            ("dynamic", "true"),
            ("active", "true"),
            ("dhcp", "true"),
        ],
        &[
            ("dst-address", "2001:db8:45::/64"),
            ("gateway", "bridge1"),
            ("immediate-gw", "bridge1"),
            ("distance", "0"),
            ("dynamic", "true"),
            ("active", "true"),
            ("connect", "true"),
        ],
    ],
    writable: true,
    settable: true,
    ..MenuDef::list("ipv6/route", ROUTE_PROPS)
};

/// `/ip/firewall/connection`: tracked connections with byte counters that grow.
const CONNECTION: MenuDef = MenuDef {
    rows: &[
        &[
            ("protocol", "tcp"),
            ("src-address", "192.168.88.254:51514"),
            ("dst-address", "93.184.216.34:443"),
            ("reply-src-address", "93.184.216.34:443"),
            ("reply-dst-address", "10.0.0.2:51514"),
            ("tcp-state", "established"),
            ("timeout", "23h59m58s"),
            ("orig-bytes", "81234"),
            ("repl-bytes", "1534200"),
        ],
        &[
            ("protocol", "udp"),
            ("src-address", "192.168.88.253:40123"),
            ("dst-address", "1.1.1.1:53"),
            ("reply-src-address", "1.1.1.1:53"),
            ("reply-dst-address", "10.0.0.2:40123"),
            ("timeout", "9s"),
            ("orig-bytes", "74"),
            ("repl-bytes", "90"),
        ],
        &[
            ("protocol", "tcp"),
            ("src-address", "192.168.88.252:52100"),
            ("dst-address", "192.168.88.1:8728"),
            ("reply-src-address", "192.168.88.1:8728"),
            ("reply-dst-address", "192.168.88.252:52100"),
            ("tcp-state", "established"),
            ("timeout", "23h59m59s"),
            ("orig-bytes", "5120"),
            ("repl-bytes", "88400"),
        ],
        &[
            ("protocol", "icmp"),
            ("src-address", "192.168.88.254"),
            ("dst-address", "8.8.8.8"),
            ("reply-src-address", "8.8.8.8"),
            ("reply-dst-address", "10.0.0.2"),
            ("timeout", "7s"),
            ("orig-bytes", "840"),
            ("repl-bytes", "840"),
        ],
    ],
    counters: &[
        grows("orig-bytes", 300, None),
        grows("repl-bytes", 4200, None),
    ],
    ..MenuDef::list(
        "ip/firewall/connection",
        &[
            ro("protocol"),
            ro("src-address"),
            ro("dst-address"),
            ro("reply-src-address"),
            ro("reply-dst-address"),
            ro("tcp-state"),
            ro("timeout"),
            counter("orig-packets"),
            counter("orig-bytes"),
            counter("repl-packets"),
            counter("repl-bytes"),
            ro_flag("assured").def("true"),
            ro_flag("seen-reply").def("true"),
            ro_flag("confirmed").def("true"),
            ro_flag("fasttrack"),
            ro_flag("srcnat").def("true"),
            ro_flag("dstnat"),
        ],
    )
};

/// `/ip/firewall/nat`.
const NAT: MenuDef = MenuDef {
    rows: &[
        &[
            ("chain", "srcnat"),
            ("action", "masquerade"),
            ("out-interface", "ether1"),
            ("comment", "defconf: masquerade"),
            ("bytes", "918273645"),
            ("packets", "1203344"),
        ],
        &[
            ("chain", "dstnat"),
            ("action", "dst-nat"),
            ("protocol", "tcp"),
            ("dst-port", "8443"),
            ("in-interface", "ether1"),
            ("to-addresses", "192.168.88.10"),
            ("to-ports", "443"),
            ("comment", "web server"),
            ("bytes", "1234567"),
            ("packets", "9876"),
        ],
    ],
    counters: &[grows("bytes", 9000, None), grows("packets", 12, None)],
    writable: true,
    settable: true,
    ordered: true,
    ..MenuDef::list("ip/firewall/nat", RULE_PROPS)
};

/// `/ip/firewall/mangle`.
const MANGLE: MenuDef = MenuDef {
    rows: &[
        &[
            ("chain", "prerouting"),
            ("action", "mark-connection"),
            ("in-interface", "bridge1"),
            ("new-connection-mark", "lan"),
            ("passthrough", "true"),
            ("comment", "mark LAN"),
            ("bytes", "55667788"),
            ("packets", "88990"),
        ],
        &[
            ("chain", "forward"),
            ("action", "change-mss"),
            ("protocol", "tcp"),
            ("out-interface", "ether1"),
            ("comment", "clamp MSS"),
            ("bytes", "3344"),
            ("packets", "52"),
        ],
    ],
    counters: &[grows("bytes", 2000, None), grows("packets", 3, None)],
    writable: true,
    settable: true,
    ordered: true,
    ..MenuDef::list("ip/firewall/mangle", RULE_PROPS)
};

/// `/ip/firewall/raw`.
const RAW: MenuDef = MenuDef {
    rows: &[&[
        ("chain", "prerouting"),
        ("action", "drop"),
        ("src-address", "192.0.2.0/24"),
        ("in-interface", "ether1"),
        ("comment", "bogons"),
        ("bytes", "4480"),
        ("packets", "70"),
    ]],
    counters: &[grows("bytes", 64, None), grows("packets", 1, None)],
    writable: true,
    settable: true,
    ordered: true,
    ..MenuDef::list("ip/firewall/raw", RULE_PROPS)
};

/// `/ip/pool`.
const POOL: MenuDef = MenuDef {
    rows: &[
        &[("name", "dhcp"), ("ranges", "192.168.88.10-192.168.88.254")],
        &[("name", "vpn"), ("ranges", "10.8.0.2-10.8.0.100")],
    ],
    writable: true,
    settable: true,
    unique: &[(&["name"], "failure: pool with such name exists")],
    ..MenuDef::list(
        "ip/pool",
        &[
            s("name").required(),
            s("ranges").required(),
            s("next-pool").def("none"),
            s("comment"),
        ],
    )
};

/// `/ip/pool/used`: the addresses the DHCP server handed out.
const POOL_USED: MenuDef = MenuDef {
    rows: &[
        &[
            ("pool", "dhcp"),
            ("address", "192.168.88.254"),
            ("owner", "bridge1"),
            ("info", "AC:DE:48:00:11:22"),
        ],
        &[
            ("pool", "dhcp"),
            ("address", "192.168.88.253"),
            ("owner", "bridge1"),
            ("info", "AC:DE:48:00:11:33"),
        ],
        &[
            ("pool", "dhcp"),
            ("address", "192.168.88.252"),
            ("owner", "bridge1"),
            ("info", "AC:DE:48:00:11:44"),
        ],
    ],
    ..MenuDef::list(
        "ip/pool/used",
        &[ro("pool"), ro("address"), ro("owner"), ro("info")],
    )
};

/// `/ip/neighbor`: devices seen by the discovery protocols.
const NEIGHBOR: MenuDef = MenuDef {
    rows: &[
        &[
            ("interface", "ether2"),
            ("address", "192.168.88.2"),
            ("mac-address", "4C:5E:0C:AA:BB:01"),
            ("identity", "switch-1"),
            ("platform", "MikroTik"),
            ("version", "7.16.2 (stable)"),
            ("board", "CRS326-24G-2S+"),
            ("uptime", "12d3h4m"),
            ("age", "32s"),
            ("discovered-by", "cdp,lldp,mndp"),
        ],
        &[
            ("interface", "bridge1"),
            ("address", "192.168.88.3"),
            ("mac-address", "4C:5E:0C:AA:BB:02"),
            ("identity", "cap-hall"),
            ("platform", "MikroTik"),
            ("version", "7.18.2 (stable)"),
            ("board", "cAP ax"),
            ("uptime", "2d1h"),
            ("age", "12s"),
            ("discovered-by", "mndp"),
        ],
    ],
    ..MenuDef::list(
        "ip/neighbor",
        &[
            ro("interface"),
            ro("address"),
            ro("mac-address"),
            ro("identity"),
            ro("platform"),
            ro("version"),
            ro("board"),
            ro("uptime"),
            ro("age"),
            ro("discovered-by"),
        ],
    )
};

/// `/ip/dhcp-server`.
const DHCP_SERVER: MenuDef = MenuDef {
    rows: &[&[
        ("name", "defconf"),
        ("interface", "bridge1"),
        ("address-pool", "dhcp"),
    ]],
    writable: true,
    settable: true,
    unique: &[(&["name"], "failure: server with such name already exists")],
    ..MenuDef::list(
        "ip/dhcp-server",
        &[
            s("name").required(),
            s("interface").kind(Kind::Ref("interface")).required(),
            s("lease-time").def("30m"),
            s("address-pool").def("static-only"),
            flag("authoritative").def("true"),
            ro_flag("invalid"),
            ro_flag("dynamic"),
            flag("disabled"),
        ],
    )
};
