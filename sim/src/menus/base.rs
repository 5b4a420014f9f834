//! The menus a configuration tool touches most: interfaces, addresses, firewall filter rules,
//! DHCP leases, identity and resources.

use super::{counter, flag, grows, ro, ro_flag, s, HookError, Hooks, Kind, MenuDef, Prop, Shape};
use crate::model::{dotted, format_uptime, network_of, parse_ipv4_prefix, Db, Row};

/// Every menu of this file.
pub(super) static MENUS: [MenuDef; 6] = [
    INTERFACE,
    IP_ADDRESS,
    FIREWALL_FILTER,
    DHCP_LEASE,
    IDENTITY,
    RESOURCE,
];

const INTERFACE_PROPS: &[Prop] = &[
    s("name"),
    ro("type"),
    ro("default-name"),
    s("mtu").kind(Kind::Int(68, 65535)).def("1500"),
    ro("actual-mtu").def("1500"),
    s("l2mtu").kind(Kind::Int(68, 65535)).def("1598"),
    ro("max-l2mtu"),
    ro("mac-address"),
    ro("last-link-up-time"),
    counter("link-downs"),
    counter("rx-byte"),
    counter("tx-byte"),
    counter("rx-packet"),
    counter("tx-packet"),
    counter("rx-drop"),
    counter("tx-drop"),
    counter("tx-queue-drop"),
    counter("rx-error"),
    counter("tx-error"),
    counter("fp-rx-byte"),
    counter("fp-tx-byte"),
    counter("fp-rx-packet"),
    counter("fp-tx-packet"),
    ro_flag("running"),
    ro_flag("slave"),
    flag("disabled"),
    s("comment"),
    // Whether the link is up; with `disabled` it gives `running`.
    ro_flag("_link"),
];

const ETHER_UP: &[(&str, &str)] = &[
    ("type", "ether"),
    ("max-l2mtu", "9796"),
    ("link-downs", "1"),
];

/// `/interface`: five Ethernet ports, a bridge and a wireless card; traffic counters grow on
/// the ones that run.
pub(super) const INTERFACE: MenuDef = MenuDef {
    rows: &[
        &[
            ("name", "ether1"),
            ("default-name", "ether1"),
            ("mac-address", "4C:5E:0C:12:34:50"),
            ("last-link-up-time", "2024-11-02 09:14:07"),
            ("_link", "true"),
            ETHER_UP[0],
            ETHER_UP[1],
            ETHER_UP[2],
        ],
        &[
            ("name", "ether2"),
            ("default-name", "ether2"),
            ("mac-address", "4C:5E:0C:12:34:51"),
            ("last-link-up-time", "2024-11-02 09:14:07"),
            ("_link", "true"),
            ETHER_UP[0],
            ETHER_UP[1],
            ETHER_UP[2],
        ],
        &[
            ("name", "ether3"),
            ("default-name", "ether3"),
            ("mac-address", "4C:5E:0C:12:34:52"),
            ("type", "ether"),
            ("max-l2mtu", "9796"),
        ],
        &[
            ("name", "ether4"),
            ("default-name", "ether4"),
            ("mac-address", "4C:5E:0C:12:34:53"),
            ("type", "ether"),
            ("max-l2mtu", "9796"),
        ],
        &[
            ("name", "ether5"),
            ("default-name", "ether5"),
            ("mac-address", "4C:5E:0C:12:34:54"),
            ("type", "ether"),
            ("max-l2mtu", "9796"),
        ],
        &[
            ("name", "bridge1"),
            ("type", "bridge"),
            ("mtu", "auto"),
            ("l2mtu", "65535"),
            ("mac-address", "4C:5E:0C:12:34:55"),
            ("last-link-up-time", "2024-11-02 09:14:07"),
            ("link-downs", "1"),
            ("_link", "true"),
        ],
        &[
            ("name", "wlan1"),
            ("default-name", "wlan1"),
            ("type", "wlan"),
            ("l2mtu", "1600"),
            ("mac-address", "4C:5E:0C:12:34:56"),
        ],
    ],
    counters: &[
        grows("rx-byte", 120_000, Some("running")),
        grows("tx-byte", 35_000, Some("running")),
        grows("rx-packet", 133, Some("running")),
        grows("tx-packet", 87, Some("running")),
        grows("fp-rx-byte", 108_000, Some("running")),
        grows("fp-tx-byte", 31_500, Some("running")),
        grows("fp-rx-packet", 120, Some("running")),
        grows("fp-tx-packet", 78, Some("running")),
    ],
    settable: true,
    unique: &[(&["name"], "failure: already have interface with such name")],
    hooks: Hooks {
        on_write: Some(interface_write),
        live: None,
        monitor: None,
    },
    ..MenuDef::list("interface", INTERFACE_PROPS)
};

/// `running` follows link and `disabled`; `actual-mtu` follows a numeric `mtu`.
pub(crate) fn interface_write(_: &Db, row: &mut Row, _: &[&Row]) -> Result<(), HookError> {
    if row.get("name").is_some_and(<[u8]>::is_empty) {
        return Err((Some(1), "invalid value for argument name".into()));
    }
    let link = row.get("_link") == Some(b"true");
    let disabled = row.get("disabled") == Some(b"true");
    row.set("running", bool_text(link && !disabled));
    if let Some(mtu) = row.get("mtu").filter(|m| m.iter().all(u8::is_ascii_digit)) {
        let mtu = mtu.to_vec();
        row.set("actual-mtu", mtu);
    }
    Ok(())
}

fn bool_text(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

const IP_ADDRESS_PROPS: &[Prop] = &[
    s("address").kind(Kind::Ipv4).required(),
    s("network"),
    s("interface").kind(Kind::Ref("interface")).required(),
    ro("actual-interface"),
    ro_flag("invalid"),
    ro_flag("dynamic"),
    flag("disabled"),
    s("comment"),
];

/// `/ip/address`.
pub(super) const IP_ADDRESS: MenuDef = MenuDef {
    rows: &[
        &[
            ("address", "192.168.88.1/24"),
            ("interface", "bridge1"),
            ("comment", "defconf"),
        ],
        &[("address", "10.0.0.2/30"), ("interface", "ether1")],
    ],
    writable: true,
    settable: true,
    unique: &[(
        &["address", "interface"],
        "failure: already have such address",
    )],
    hooks: Hooks {
        on_write: Some(address_write),
        live: Some(address_live),
        monitor: None,
    },
    ..MenuDef::list("ip/address", IP_ADDRESS_PROPS)
};

/// The address in canonical form, its network, and `actual-interface`.
fn address_write(_: &Db, row: &mut Row, _: &[&Row]) -> Result<(), HookError> {
    let (a, len) = parse_ipv4_prefix(row.get("address").unwrap_or(b""))
        .ok_or((Some(1), "invalid value for argument address".to_string()))?;
    row.set("address", format!("{}/{}", dotted(a), len));
    row.set("network", dotted(network_of(a, len)));
    let iface = row.get("interface").unwrap_or(b"").to_vec();
    row.set("actual-interface", iface);
    Ok(())
}

/// An address on a missing or disabled interface is invalid.
fn address_live(db: &Db, _: usize, row: &mut Row) {
    let iface = row.get("interface").unwrap_or(b"");
    let invalid = match db.find_row("interface", "name", iface) {
        Some(i) => i.get("disabled") == Some(b"true"),
        None => true,
    };
    row.set("invalid", bool_text(invalid));
}

/// Actions a firewall rule may take.
pub(crate) const ACTIONS: &[&str] = &[
    "accept",
    "add-dst-to-address-list",
    "add-src-to-address-list",
    "drop",
    "fasttrack-connection",
    "jump",
    "log",
    "passthrough",
    "reject",
    "return",
    "tarpit",
    "dst-nat",
    "src-nat",
    "masquerade",
    "redirect",
    "netmap",
    "mark-connection",
    "mark-packet",
    "mark-routing",
    "change-mss",
    "notrack",
];

/// Properties of a firewall rule (filter, nat, mangle and raw share them).
pub(crate) const RULE_PROPS: &[Prop] = &[
    s("chain").required(),
    s("action").kind(Kind::Enum(ACTIONS)).def("accept"),
    s("protocol"),
    s("src-address"),
    s("dst-address"),
    s("src-port"),
    s("dst-port"),
    s("in-interface"),
    s("out-interface"),
    s("connection-state"),
    s("to-addresses"),
    s("to-ports"),
    s("new-connection-mark"),
    s("new-routing-mark"),
    s("passthrough"),
    s("comment"),
    flag("log"),
    s("log-prefix").def(""),
    flag("disabled"),
    counter("bytes"),
    counter("packets"),
    ro_flag("invalid"),
    ro_flag("dynamic"),
];

/// `/ip/firewall/filter`: the default configuration's input rules and one for the API.
pub(super) const FIREWALL_FILTER: MenuDef = MenuDef {
    rows: &[
        &[
            ("chain", "input"),
            ("action", "accept"),
            ("connection-state", "established,related,untracked"),
            ("comment", "defconf: accept established,related,untracked"),
            ("bytes", "420000"),
            ("packets", "5000"),
        ],
        &[
            ("chain", "input"),
            ("action", "drop"),
            ("connection-state", "invalid"),
            ("comment", "defconf: drop invalid"),
            ("bytes", "337428"),
            ("packets", "4017"),
        ],
        &[
            ("chain", "input"),
            ("action", "accept"),
            ("protocol", "icmp"),
            ("comment", "defconf: accept ICMP"),
            ("bytes", "254856"),
            ("packets", "3034"),
        ],
        &[
            ("chain", "input"),
            ("action", "accept"),
            ("protocol", "tcp"),
            ("dst-port", "8728,8729"),
            ("src-address", "192.168.88.0/24"),
            ("comment", "allow API from LAN"),
            ("bytes", "172284"),
            ("packets", "2051"),
        ],
        &[
            ("chain", "input"),
            ("action", "drop"),
            ("in-interface", "ether1"),
            ("comment", "defconf: drop all from WAN"),
            ("bytes", "89712"),
            ("packets", "1068"),
        ],
    ],
    counters: &[grows("bytes", 840, None), grows("packets", 10, None)],
    writable: true,
    settable: true,
    ordered: true,
    ..MenuDef::list("ip/firewall/filter", RULE_PROPS)
};

const LEASE_PROPS: &[Prop] = &[
    s("address"),
    s("mac-address"),
    s("client-id"),
    s("address-lists").def(""),
    s("server").def("defconf"),
    s("dhcp-option").def(""),
    ro("status"),
    ro("expires-after"),
    ro("last-seen"),
    ro("active-address"),
    ro("active-mac-address"),
    ro("active-client-id"),
    ro("active-server"),
    ro("host-name"),
    s("comment"),
    ro_flag("radius"),
    ro_flag("dynamic"),
    ro_flag("blocked"),
    flag("disabled"),
];

/// `/ip/dhcp-server/lease`: three bound leases and one waiting; `print active` shows the
/// bound ones.
pub(super) const DHCP_LEASE: MenuDef = MenuDef {
    rows: &[
        &[
            ("address", "192.168.88.254"),
            ("mac-address", "AC:DE:48:00:11:22"),
            ("client-id", "1:ac:de:48:00:11:22"),
            ("status", "bound"),
            ("expires-after", "4m10s"),
            ("last-seen", "5m50s"),
            ("active-address", "192.168.88.254"),
            ("active-mac-address", "AC:DE:48:00:11:22"),
            ("active-client-id", "1:ac:de:48:00:11:22"),
            ("active-server", "defconf"),
            ("host-name", "laptop"),
            ("dynamic", "true"),
        ],
        &[
            ("address", "192.168.88.253"),
            ("mac-address", "AC:DE:48:00:11:33"),
            ("client-id", "1:ac:de:48:00:11:33"),
            ("status", "bound"),
            ("expires-after", "7m11s"),
            ("last-seen", "4m49s"),
            ("active-address", "192.168.88.253"),
            ("active-mac-address", "AC:DE:48:00:11:33"),
            ("active-client-id", "1:ac:de:48:00:11:33"),
            ("active-server", "defconf"),
            ("host-name", "phone"),
            ("dynamic", "true"),
        ],
        &[
            ("address", "192.168.88.252"),
            ("mac-address", "AC:DE:48:00:11:44"),
            ("client-id", "1:ac:de:48:00:11:44"),
            ("status", "bound"),
            ("expires-after", "10m12s"),
            ("last-seen", "3m48s"),
            ("active-address", "192.168.88.252"),
            ("active-mac-address", "AC:DE:48:00:11:44"),
            ("active-client-id", "1:ac:de:48:00:11:44"),
            ("active-server", "defconf"),
            ("host-name", "printer"),
            ("dynamic", "true"),
        ],
        &[
            ("address", "192.168.88.100"),
            ("mac-address", "AC:DE:48:00:11:55"),
            ("client-id", "1:ac:de:48:00:11:55"),
            ("status", "waiting"),
            ("last-seen", "never"),
            ("comment", "reserved for the NAS"),
        ],
    ],
    print_options: &[("active", Some(("status", "bound")))],
    ..MenuDef::list("ip/dhcp-server/lease", LEASE_PROPS)
};

/// `/system/identity`.
pub(super) const IDENTITY: MenuDef = MenuDef {
    writable: true,
    ..MenuDef::single("system/identity", &[s("name").def("MikroTik")])
};

const RESOURCE_PROPS: &[Prop] = &[
    ro("uptime").def("0s"),
    ro("version").def(""),
    ro("build-time").def("2024-09-20 13:00:27"),
    ro("factory-software").def("7.1"),
    ro("free-memory").def("0"),
    ro("total-memory").def("1073741824"),
    ro("cpu").def("ARMv7"),
    ro("cpu-count").def("4"),
    ro("cpu-frequency").def("1400"),
    ro("cpu-load").def("0"),
    ro("free-hdd-space").def("98566144"),
    ro("total-hdd-space").def("134217728"),
    ro("write-sect-since-reboot").def("5112"),
    ro("write-sect-total").def("183211"),
    ro("bad-blocks").def("0"),
    ro("architecture-name").def("arm"),
    ro("board-name").def("RB4011iGS+"),
    ro("platform").def("MikroTik"),
];

/// `/system/resource`: uptime, load and free memory move with the clock; the version is the
/// profile's.
pub(super) const RESOURCE: MenuDef = MenuDef {
    shape: Shape::Single,
    hooks: Hooks {
        on_write: None,
        live: Some(resource_live),
        monitor: None,
    },
    ..MenuDef::list("system/resource", RESOURCE_PROPS)
};

fn resource_live(db: &Db, _: usize, row: &mut Row) {
    let t = db.started.elapsed().as_secs();
    row.set("uptime", format_uptime(db.uptime()));
    row.set("version", db.version_text());
    row.set("cpu-load", (7 + (t * 13) % 23).to_string());
    row.set(
        "free-memory",
        (812_646_400u64 - (t % 97) * 4096).to_string(),
    );
}
