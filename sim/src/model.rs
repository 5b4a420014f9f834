//! The simulated router's state: menus, rows, ids, and the values they report.
//!
//! One [`Db`] is shared by all connections of a simulator. Ids are `*1`, `*2`, ... written in
//! upper-case hex (`*A`), allocated per menu and never reused.

use std::time::{Duration, Instant};

use crate::Faults;

/// One item of a menu: ordered `name = value` pairs. Values are bytes, not text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    /// The properties in print order.
    pub fields: Vec<(String, Vec<u8>)>,
}

impl Row {
    /// The value of a property, if the row has it.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_slice())
    }

    /// Appends a property (does not check for duplicates).
    pub fn push(&mut self, name: &str, value: impl Into<Vec<u8>>) {
        self.fields.push((name.to_string(), value.into()));
    }

    /// Sets a property, replacing it in place or appending it.
    pub fn set(&mut self, name: &str, value: impl Into<Vec<u8>>) {
        let value = value.into();
        match self.fields.iter_mut().find(|(k, _)| k == name) {
            Some((_, v)) => *v = value,
            None => self.fields.push((name.to_string(), value)),
        }
    }

    /// Removes a property.
    pub fn remove(&mut self, name: &str) {
        self.fields.retain(|(k, _)| k != name);
    }

    /// Builder form of [`Row::push`].
    pub fn with(mut self, name: &str, value: impl Into<Vec<u8>>) -> Row {
        self.push(name, value);
        self
    }
}

/// Formats an id the way RouterOS does: `*` and upper-case hex.
pub fn format_id(id: u32) -> String {
    format!("*{id:X}")
}

/// Parses `*1A` into 0x1A.
pub fn parse_id(s: &[u8]) -> Option<u32> {
    let hex = std::str::from_utf8(s.strip_prefix(b"*")?).ok()?;
    u32::from_str_radix(hex, 16).ok()
}

/// RouterOS boolean text.
pub fn yes(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// Parses a boolean as RouterOS accepts it (`yes`/`no`/`true`/`false`).
pub fn parse_bool(v: &[u8]) -> Option<bool> {
    match v {
        b"yes" | b"true" => Some(true),
        b"no" | b"false" => Some(false),
        _ => None,
    }
}

/// Formats a duration as RouterOS prints uptimes: `1w2d3h4m5s`.
pub fn format_uptime(d: Duration) -> String {
    let mut s = d.as_secs();
    let w = s / 604_800;
    s %= 604_800;
    let days = s / 86_400;
    s %= 86_400;
    let h = s / 3600;
    s %= 3600;
    let m = s / 60;
    s %= 60;
    let mut out = String::new();
    for (v, unit) in [(w, "w"), (days, "d"), (h, "h"), (m, "m")] {
        if v > 0 {
            out.push_str(&format!("{v}{unit}"));
        }
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// Parses RouterOS time syntax: `1s`, `500ms`, `1m30s`, `1h`, `2d`, `1w`, `00:00:01`, or a
/// bare number of seconds such as `0.1`.
pub fn parse_time(v: &[u8]) -> Option<Duration> {
    let s = std::str::from_utf8(v).ok()?.trim();
    if s.is_empty() {
        return None;
    }
    if s.contains(':') {
        let parts: Vec<&str> = s.split(':').collect();
        if parts.len() != 3 {
            return None;
        }
        let h: u64 = parts[0].parse().ok()?;
        let m: u64 = parts[1].parse().ok()?;
        let sec: f64 = parts[2].parse().ok()?;
        if !(0.0..60.0).contains(&sec) || m >= 60 {
            return None;
        }
        return Some(Duration::from_secs(h * 3600 + m * 60) + Duration::from_secs_f64(sec));
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return None;
        }
        let n: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let secs = match unit {
            "" | "s" => n,
            "ms" => n / 1000.0,
            "us" => n / 1_000_000.0,
            "m" => n * 60.0,
            "h" => n * 3600.0,
            "d" => n * 86_400.0,
            "w" => n * 604_800.0,
            _ => return None,
        };
        if !secs.is_finite() || secs < 0.0 {
            return None;
        }
        total += Duration::from_secs_f64(secs);
    }
    Some(total)
}

/// Parses `a.b.c.d` or `a.b.c.d/len` into the address and prefix length (default 32).
pub fn parse_ipv4_prefix(v: &[u8]) -> Option<([u8; 4], u8)> {
    let s = std::str::from_utf8(v).ok()?;
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a, l.parse::<u8>().ok()?),
        None => (s, 32),
    };
    if len > 32 {
        return None;
    }
    let ip: std::net::Ipv4Addr = addr.parse().ok()?;
    Some((ip.octets(), len))
}

/// The network address of `addr/len`.
pub fn network_of(addr: [u8; 4], len: u8) -> [u8; 4] {
    let a = u32::from_be_bytes(addr);
    let mask = if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    };
    (a & mask).to_be_bytes()
}

fn dotted(a: [u8; 4]) -> String {
    std::net::Ipv4Addr::from(a).to_string()
}

/// Which menu a table is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Menu {
    /// `/interface`
    Interface,
    /// `/ip/address`
    IpAddress,
    /// `/ip/firewall/filter`
    FirewallFilter,
    /// `/ip/dhcp-server/lease`
    DhcpLease,
}

impl Menu {
    /// Every menu with a table.
    pub const ALL: [Menu; 4] = [
        Menu::Interface,
        Menu::IpAddress,
        Menu::FirewallFilter,
        Menu::DhcpLease,
    ];

    /// The API path of the menu, without slashes at either end.
    pub fn path(self) -> &'static str {
        match self {
            Menu::Interface => "interface",
            Menu::IpAddress => "ip/address",
            Menu::FirewallFilter => "ip/firewall/filter",
            Menu::DhcpLease => "ip/dhcp-server/lease",
        }
    }

    /// Properties that `add` accepts.
    pub fn add_params(self) -> &'static [&'static str] {
        match self {
            Menu::Interface | Menu::DhcpLease => &[],
            Menu::IpAddress => &["address", "interface", "network", "comment", "disabled"],
            // `add` takes what `set` takes, and where to place the rule.
            Menu::FirewallFilter => &FIREWALL_ADD_PARAMS,
        }
    }

    /// Properties that `set` accepts (besides `.id` / `numbers`).
    pub fn set_params(self) -> &'static [&'static str] {
        match self {
            Menu::Interface => &["name", "mtu", "l2mtu", "comment", "disabled"],
            Menu::IpAddress => &["address", "interface", "network", "comment", "disabled"],
            Menu::FirewallFilter => &FIREWALL_ADD_PARAMS[..FIREWALL_ADD_PARAMS.len() - 1],
            Menu::DhcpLease => &["comment", "disabled"],
        }
    }
}

/// Properties of a firewall filter rule that `add` accepts; `set` takes all but the last.
static FIREWALL_ADD_PARAMS: [&str; 15] = [
    "chain",
    "action",
    "protocol",
    "src-address",
    "dst-address",
    "src-port",
    "dst-port",
    "in-interface",
    "out-interface",
    "connection-state",
    "comment",
    "disabled",
    "log",
    "log-prefix",
    "place-before",
];

/// A change broadcast to `listen` commands.
#[derive(Debug, Clone)]
pub struct Change {
    /// The menu that changed.
    pub menu: Menu,
    /// The item as it is now, or `.id` and `.dead=true` when it was removed.
    pub row: Row,
}

/// The rows of one menu and its id counter.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Items in print order.
    pub rows: Vec<Row>,
    next_id: u32,
}

impl Table {
    /// Adds a row, giving it the next id (as its first property). Returns the id.
    pub fn insert(&mut self, row: Row) -> u32 {
        self.next_id += 1;
        let id = self.next_id;
        let mut fields = vec![(".id".to_string(), format_id(id).into_bytes())];
        fields.extend(row.fields);
        self.rows.push(Row { fields });
        id
    }

    /// Index of the row whose `.id` is `id`.
    pub fn index_of(&self, id: &[u8]) -> Option<usize> {
        self.rows.iter().position(|r| r.get(".id") == Some(id))
    }

    /// Resolves an item reference: an id like `*1`, or a value of `name`.
    pub fn resolve(&self, reference: &[u8]) -> Option<usize> {
        if reference.starts_with(b"*") {
            let id = parse_id(reference)?;
            return self.index_of(format_id(id).as_bytes());
        }
        self.rows
            .iter()
            .position(|r| r.get("name") == Some(reference))
    }
}

/// The simulated router's configuration.
#[derive(Debug)]
pub struct Db {
    /// `/system/identity` name.
    pub identity: Vec<u8>,
    /// `/interface`
    pub interfaces: Table,
    /// Whether each interface's link is up (by `.id`), which with `disabled` gives `running`.
    link_up: Vec<(Vec<u8>, bool)>,
    /// `/ip/address`
    pub addresses: Table,
    /// `/ip/firewall/filter`
    pub filters: Table,
    /// `/ip/dhcp-server/lease`
    pub leases: Table,
    started: Instant,
}

/// Seconds the simulated router had been up when the simulator started.
const BOOT_OFFSET: Duration = Duration::from_secs(3 * 86_400 + 4 * 3600 + 5 * 60 + 6);

impl Db {
    /// A router with the default configuration, shaped by `faults`.
    pub fn new(faults: &Faults) -> Db {
        let mut db = Db {
            identity: b"MikroTik".to_vec(),
            interfaces: Table::default(),
            link_up: Vec::new(),
            addresses: Table::default(),
            filters: Table::default(),
            leases: Table::default(),
            started: Instant::now(),
        };
        let ifaces: [(&str, &str, bool); 7] = [
            ("ether1", "ether", true),
            ("ether2", "ether", true),
            ("ether3", "ether", false),
            ("ether4", "ether", false),
            ("ether5", "ether", false),
            ("bridge1", "bridge", true),
            ("wlan1", "wlan", false),
        ];
        for (n, (name, kind, up)) in ifaces.iter().enumerate() {
            let mut row = Row::default().with("name", *name).with("type", *kind);
            if *kind != "bridge" {
                row.push("default-name", *name);
            }
            row.push("mtu", if *kind == "bridge" { "auto" } else { "1500" });
            row.push("actual-mtu", "1500");
            row.push(
                "l2mtu",
                match *kind {
                    "wlan" => "1600",
                    "bridge" => "65535",
                    _ => "1598",
                },
            );
            if *kind == "ether" {
                row.push("max-l2mtu", "9796");
            }
            row.push("mac-address", format!("4C:5E:0C:12:34:{:02X}", 0x50 + n));
            if *up {
                row.push("last-link-up-time", "2024-11-02 09:14:07");
            }
            row.push("link-downs", if *up { "1" } else { "0" });
            for k in [
                "rx-byte",
                "tx-byte",
                "rx-packet",
                "tx-packet",
                "rx-drop",
                "tx-drop",
                "tx-queue-drop",
                "rx-error",
                "tx-error",
            ] {
                row.push(k, "0");
            }
            row.push("running", yes(*up));
            row.push("disabled", "false");
            match *name {
                "ether1" => match faults.oversize_word {
                    // The word `=comment=...` is exactly `n` bytes long.
                    Some(n) => row.push("comment", vec![b'x'; n.saturating_sub(9)]),
                    None => row.push("comment", "uplink"),
                },
                "ether2" if faults.non_utf8 => {
                    row.push("comment", b"Caf\xe9 \x80 r\xe9seau".to_vec())
                }
                _ => {}
            }
            let id = db.interfaces.insert(row);
            db.link_up.push((format_id(id).into_bytes(), *up));
        }

        for (addr, iface, comment) in [
            ("192.168.88.1/24", "bridge1", Some("defconf")),
            ("10.0.0.2/30", "ether1", None),
        ] {
            let row = db.address_row(
                addr.as_bytes(),
                iface.as_bytes(),
                false,
                comment.map(str::as_bytes),
            );
            db.addresses.insert(row);
        }

        let rules: [&[(&str, &str)]; 5] = [
            &[
                ("chain", "input"),
                ("action", "accept"),
                ("connection-state", "established,related,untracked"),
                ("comment", "defconf: accept established,related,untracked"),
            ],
            &[
                ("chain", "input"),
                ("action", "drop"),
                ("connection-state", "invalid"),
                ("comment", "defconf: drop invalid"),
            ],
            &[
                ("chain", "input"),
                ("action", "accept"),
                ("protocol", "icmp"),
                ("comment", "defconf: accept ICMP"),
            ],
            &[
                ("chain", "input"),
                ("action", "accept"),
                ("protocol", "tcp"),
                ("dst-port", "8728,8729"),
                ("src-address", "192.168.88.0/24"),
                ("comment", "allow API from LAN"),
            ],
            &[
                ("chain", "input"),
                ("action", "drop"),
                ("in-interface", "ether1"),
                ("comment", "defconf: drop all from WAN"),
            ],
        ];
        for (i, rule) in rules.iter().enumerate() {
            let mut row = Row::default();
            for (k, v) in rule.iter() {
                row.push(k, *v);
            }
            let packets = 1000 * (5 - i as u64) + 17 * i as u64;
            let row = Db::finish_filter_row(row, packets * 84, packets);
            db.filters.insert(row);
        }

        let leases = [
            ("192.168.88.254", "AC:DE:48:00:11:22", Some("laptop"), true),
            ("192.168.88.253", "AC:DE:48:00:11:33", Some("phone"), true),
            ("192.168.88.252", "AC:DE:48:00:11:44", Some("printer"), true),
            ("192.168.88.100", "AC:DE:48:00:11:55", None, false),
        ];
        for (i, (addr, mac, host, bound)) in leases.iter().enumerate() {
            let mut row = Row::default()
                .with("address", *addr)
                .with("mac-address", *mac)
                .with("client-id", format!("1:{}", mac.to_lowercase()));
            row.push("address-lists", "");
            row.push("server", "defconf");
            row.push("dhcp-option", "");
            if *bound {
                row.push("status", "bound");
                row.push("expires-after", format!("{}m{}s", 4 + i * 3, 10 + i));
                row.push("last-seen", format!("{}m{}s", 5 - i, 50 - i));
                row.push("active-address", *addr);
                row.push("active-mac-address", *mac);
                row.push("active-client-id", format!("1:{}", mac.to_lowercase()));
                row.push("active-server", "defconf");
                if let Some(h) = host {
                    row.push("host-name", *h);
                }
            } else {
                row.push("status", "waiting");
                row.push("last-seen", "never");
            }
            row.push("radius", "false");
            row.push("dynamic", yes(*bound));
            row.push("blocked", "false");
            row.push("disabled", "false");
            db.leases.insert(row);
        }
        db
    }

    /// Time since the simulated boot.
    pub fn uptime(&self) -> Duration {
        BOOT_OFFSET + self.started.elapsed()
    }

    /// The table of a menu.
    pub fn table(&self, menu: Menu) -> &Table {
        match menu {
            Menu::Interface => &self.interfaces,
            Menu::IpAddress => &self.addresses,
            Menu::FirewallFilter => &self.filters,
            Menu::DhcpLease => &self.leases,
        }
    }

    /// The table of a menu, mutably.
    pub fn table_mut(&mut self, menu: Menu) -> &mut Table {
        match menu {
            Menu::Interface => &mut self.interfaces,
            Menu::IpAddress => &mut self.addresses,
            Menu::FirewallFilter => &mut self.filters,
            Menu::DhcpLease => &mut self.leases,
        }
    }

    /// Whether the interface with this `.id` has link.
    pub fn link_up(&self, id: &[u8]) -> bool {
        self.link_up
            .iter()
            .find(|(k, _)| k == id)
            .is_some_and(|(_, up)| *up)
    }

    /// Finds an interface row by name.
    pub fn interface(&self, name: &[u8]) -> Option<&Row> {
        self.interfaces
            .rows
            .iter()
            .find(|r| r.get("name") == Some(name))
    }

    /// Rows of a menu as print reports them now (counters advanced, derived values filled).
    pub fn rows_for_print(&self, menu: Menu) -> Vec<Row> {
        let table = self.table(menu);
        match menu {
            Menu::Interface => {
                let secs = self.started.elapsed().as_secs_f64() + 3600.0;
                table
                    .rows
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let mut r = r.clone();
                        if r.get("running") == Some(b"true") {
                            let k = (i as f64 + 1.0) * 1000.0;
                            let rx = (secs * k * 120.0) as u64;
                            let tx = (secs * k * 35.0) as u64;
                            r.set("rx-byte", rx.to_string());
                            r.set("tx-byte", tx.to_string());
                            r.set("rx-packet", (rx / 900).to_string());
                            r.set("tx-packet", (tx / 400).to_string());
                        }
                        r
                    })
                    .collect()
            }
            Menu::IpAddress => table
                .rows
                .iter()
                .map(|r| {
                    let mut r = r.clone();
                    let iface = r.get("interface").unwrap_or(b"").to_vec();
                    let invalid = match self.interface(&iface) {
                        Some(i) => i.get("disabled") == Some(b"true"),
                        None => true,
                    };
                    r.set("invalid", yes(invalid));
                    r
                })
                .collect(),
            _ => table.rows.clone(),
        }
    }

    /// Builds an `/ip/address` row (without `.id`).
    pub fn address_row(
        &self,
        address: &[u8],
        interface: &[u8],
        disabled: bool,
        comment: Option<&[u8]>,
    ) -> Row {
        let (a, len) = parse_ipv4_prefix(address).unwrap_or(([0; 4], 32));
        let mut row = Row::default()
            .with("address", format!("{}/{}", dotted(a), len))
            .with("network", dotted(network_of(a, len)))
            .with("interface", interface.to_vec())
            .with("actual-interface", interface.to_vec())
            .with("invalid", "false")
            .with("dynamic", "false")
            .with("disabled", yes(disabled));
        if let Some(c) = comment {
            row.push("comment", c);
        }
        row
    }

    /// Adds the counters and flags every firewall rule reports.
    pub fn finish_filter_row(mut row: Row, bytes: u64, packets: u64) -> Row {
        if row.get("action").is_none() {
            row.push("action", "accept");
        }
        for (k, v) in [("log", "false"), ("log-prefix", ""), ("disabled", "false")] {
            if row.get(k).is_none() {
                row.push(k, v);
            }
        }
        row.push("bytes", bytes.to_string());
        row.push("packets", packets.to_string());
        row.push("invalid", "false");
        row.push("dynamic", "false");
        row
    }

    /// The single `/system/resource` row.
    pub fn resource_row(&self) -> Row {
        let t = self.started.elapsed().as_secs();
        let load = (7 + (t * 13) % 23).to_string();
        let free_mem = 812_646_400u64 - (t % 97) * 4096;
        Row::default()
            .with("uptime", format_uptime(self.uptime()))
            .with("version", "7.16 (stable)")
            .with("build-time", "2024-09-20 13:00:27")
            .with("factory-software", "7.1")
            .with("free-memory", free_mem.to_string())
            .with("total-memory", "1073741824")
            .with("cpu", "ARMv7")
            .with("cpu-count", "4")
            .with("cpu-frequency", "1400")
            .with("cpu-load", load)
            .with("free-hdd-space", "98566144")
            .with("total-hdd-space", "134217728")
            .with("write-sect-since-reboot", "5112")
            .with("write-sect-total", "183211")
            .with("bad-blocks", "0")
            .with("architecture-name", "arm")
            .with("board-name", "RB4011iGS+")
            .with("platform", "MikroTik")
    }

    /// The single `/system/identity` row.
    pub fn identity_row(&self) -> Row {
        Row::default().with("name", self.identity.clone())
    }
}

/// One `/ip/firewall/address-list` row, built from its index alone so that it never has to be
/// stored.
pub fn address_list_row(i: usize) -> Row {
    let n = i as u32;
    let list = match i % 4 {
        0 => "block",
        1 => "allow",
        2 => "scanners",
        _ => "tor",
    };
    let ip =
        std::net::Ipv4Addr::from(0x0A00_0000u32.wrapping_add(n.wrapping_mul(7919) & 0x00FF_FFFF));
    let secs = 1_700_000_000u64 + u64::from(n) * 37;
    let mut row = Row::default()
        .with(".id", format_id(n + 1))
        .with("list", list)
        .with("address", ip.to_string())
        .with("creation-time", format_timestamp(secs))
        .with("dynamic", "false")
        .with("disabled", yes(i % 50 == 49));
    if i % 10 == 0 {
        row.push("comment", format!("imported #{n}"));
    }
    row
}

/// Formats seconds since 1970 as RouterOS 7 does: `2024-01-15 10:23:45` (UTC).
pub fn format_timestamp(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert_eq!(format_id(10), "*A");
        assert_eq!(parse_id(b"*1A"), Some(0x1A));
        assert_eq!(parse_id(b"1A"), None);
    }

    #[test]
    fn times() {
        assert_eq!(parse_time(b"1s"), Some(Duration::from_secs(1)));
        assert_eq!(parse_time(b"500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_time(b"0.1"), Some(Duration::from_millis(100)));
        assert_eq!(parse_time(b"1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_time(b"00:01:02"), Some(Duration::from_secs(62)));
        assert_eq!(parse_time(b"1x"), None);
        assert_eq!(parse_time(b""), None);
        assert_eq!(format_uptime(Duration::from_secs(694_861)), "1w1d1h1m1s");
        assert_eq!(format_uptime(Duration::from_secs(0)), "0s");
        assert_eq!(format_uptime(Duration::from_secs(3600)), "1h");
    }

    #[test]
    fn timestamps() {
        assert_eq!(format_timestamp(0), "1970-01-01 00:00:00");
        assert_eq!(format_timestamp(1_700_000_000), "2023-11-14 22:13:20");
    }

    #[test]
    fn addresses() {
        assert_eq!(
            parse_ipv4_prefix(b"192.168.88.1/24"),
            Some(([192, 168, 88, 1], 24))
        );
        assert_eq!(parse_ipv4_prefix(b"10.0.0.1"), Some(([10, 0, 0, 1], 32)));
        assert_eq!(parse_ipv4_prefix(b"10.0.0.300/24"), None);
        assert_eq!(parse_ipv4_prefix(b"10.0.0.1/33"), None);
        assert_eq!(network_of([192, 168, 88, 77], 24), [192, 168, 88, 0]);
        assert_eq!(network_of([1, 2, 3, 4], 0), [0, 0, 0, 0]);
    }

    #[test]
    fn address_list_row_size() {
        // Around 117 bytes per row on the wire.
        let mut total = 0;
        for i in 0..1000 {
            let r = address_list_row(i);
            let mut buf = Vec::new();
            let mut words: Vec<Vec<u8>> = vec![b"!re".to_vec()];
            for (k, v) in &r.fields {
                let mut w = format!("={k}=").into_bytes();
                w.extend_from_slice(v);
                words.push(w);
            }
            crate::codec::encode_sentence(&words, &mut buf);
            total += buf.len();
        }
        let avg = total / 1000;
        assert!((112..=122).contains(&avg), "average row is {avg} bytes");
    }
}
