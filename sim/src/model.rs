//! The simulated router's state: menus, rows, ids, and the values they report.
//!
//! One [`Db`] is shared by all connections of a simulator. Ids are `*1`, `*2`, ... written in
//! upper-case hex (`*A`), allocated per menu and never reused.

use std::time::{Duration, Instant};

use crate::menus::{MenuDef, Shape};
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

/// `a.b.c.d`.
pub fn dotted(a: [u8; 4]) -> String {
    std::net::Ipv4Addr::from(a).to_string()
}

/// A change broadcast to `listen` commands.
#[derive(Debug, Clone)]
pub struct Change {
    /// The path of the menu that changed.
    pub menu: &'static str,
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

    /// Resolves an item reference: an id like `*1`, a position in print order like `0`
    /// (as the console's item numbers, which clients such as mktxp send), or a value of
    /// `name`.
    pub fn resolve(&self, reference: &[u8]) -> Option<usize> {
        if reference.starts_with(b"*") {
            let id = parse_id(reference)?;
            return self.index_of(format_id(id).as_bytes());
        }
        if !reference.is_empty() && reference.iter().all(u8::is_ascii_digit) {
            let n: usize = std::str::from_utf8(reference).ok()?.parse().ok()?;
            return (n < self.rows.len()).then_some(n);
        }
        self.rows
            .iter()
            .position(|r| r.get("name") == Some(reference))
    }
}

/// The simulated router's configuration: one [`Table`] per menu of [`crate::menus`].
#[derive(Debug)]
pub struct Db {
    tables: Vec<(&'static MenuDef, Table)>,
    /// When the simulator started (counters advance from here).
    pub started: Instant,
    /// The RouterOS version the profile reports, e.g. `7.18.2`.
    pub version: &'static str,
}

/// Seconds the simulated router had been up when the simulator started.
const BOOT_OFFSET: Duration = Duration::from_secs(3 * 86_400 + 4 * 3600 + 5 * 60 + 6);

impl Db {
    /// A router with the sample rows of every menu, shaped by `faults`, reporting `version`.
    pub fn new(faults: &Faults, version: &'static str) -> Db {
        let mut tables = Vec::new();
        for def in crate::menus::all() {
            let mut table = Table::default();
            for sample in def.rows {
                let given: Vec<(&str, &[u8])> =
                    sample.iter().map(|(k, v)| (*k, v.as_bytes())).collect();
                let mut row = def.make_row(&given);
                if let Some(hook) = def.hooks.on_write {
                    // Sample rows are valid by construction; a hook only derives values here.
                    let _ = hook_on_sample(hook, &mut row);
                }
                def.reorder(&mut row);
                match def.shape {
                    Shape::List => {
                        table.insert(row);
                    }
                    Shape::Single => table.rows.push(row),
                }
            }
            if def.shape == Shape::Single && table.rows.is_empty() {
                table.rows.push(def.make_row(&[]));
            }
            tables.push((def, table));
        }
        let mut db = Db {
            tables,
            started: Instant::now(),
            version,
        };
        if let Some(t) = db.table_mut("interface") {
            for row in &mut t.rows {
                match row.get("name") {
                    Some(b"ether1") => {
                        if let Some(n) = faults.oversize_word {
                            // The word `=comment=...` is exactly `n` bytes long.
                            row.set("comment", vec![b'x'; n.saturating_sub(9)]);
                        } else {
                            row.set("comment", "uplink");
                        }
                    }
                    Some(b"ether2") if faults.non_utf8 => {
                        row.set("comment", b"Caf\xe9 \x80 r\xe9seau".to_vec())
                    }
                    _ => {}
                }
            }
        }
        db
    }

    /// Sets `/system/identity`'s name.
    pub fn set_identity(&mut self, name: impl Into<Vec<u8>>) {
        if let Some(row) = self
            .table_mut("system/identity")
            .and_then(|t| t.rows.first_mut())
        {
            row.set("name", name);
        }
    }

    /// Time since the simulated boot.
    pub fn uptime(&self) -> Duration {
        BOOT_OFFSET + self.started.elapsed()
    }

    /// `/system/resource`'s `version` text, e.g. `7.16 (stable)`.
    pub fn version_text(&self) -> String {
        format!("{} (stable)", self.version)
    }

    /// The table of a menu.
    pub fn table(&self, path: &str) -> Option<&Table> {
        self.tables
            .iter()
            .find(|(d, _)| d.path == path)
            .map(|(_, t)| t)
    }

    /// The table of a menu, mutably.
    pub fn table_mut(&mut self, path: &str) -> Option<&mut Table> {
        self.tables
            .iter_mut()
            .find(|(d, _)| d.path == path)
            .map(|(_, t)| t)
    }

    /// The first row of menu `path` whose `prop` is `value`.
    pub fn find_row(&self, path: &str, prop: &str, value: &[u8]) -> Option<&Row> {
        self.table(path)?
            .rows
            .iter()
            .find(|r| r.get(prop) == Some(value))
    }

    /// The single row of a single-item menu (or the first row of a list).
    pub fn single(&self, path: &str) -> Row {
        self.table(path)
            .and_then(|t| t.rows.first().cloned())
            .unwrap_or_default()
    }

    /// Rows of a menu as print reports them now: counters advanced, live values filled,
    /// internal properties kept (the engine drops them on output).
    pub fn rows_for_print(&self, def: &MenuDef) -> Vec<Row> {
        let Some(table) = self.table(def.path) else {
            return Vec::new();
        };
        let secs = self.started.elapsed().as_secs_f64() + 3600.0;
        table
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut r = r.clone();
                for c in def.counters {
                    if c.when.is_some_and(|w| r.get(w) != Some(b"true")) {
                        continue;
                    }
                    let base: u64 = r
                        .get(c.prop)
                        .and_then(|v| std::str::from_utf8(v).ok())
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    let grown = (secs * (c.per_second as f64) * (i as f64 + 1.0)) as u64;
                    r.set(c.prop, base.saturating_add(grown).to_string());
                }
                if let Some(live) = def.hooks.live {
                    live(self, i, &mut r);
                }
                r
            })
            .collect()
    }
}

/// Runs an `on_write` hook on a sample row, which needs no database.
fn hook_on_sample(
    hook: crate::menus::OnWrite,
    row: &mut Row,
) -> Result<(), crate::menus::HookError> {
    let empty = Db {
        tables: Vec::new(),
        started: Instant::now(),
        version: "",
    };
    hook(&empty, row, &[])
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
