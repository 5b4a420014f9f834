//! What each command does, as pure functions of the shared state.
//!
//! Error texts, and what was assumed where no router was at hand to check:
//! - An unknown menu: `!trap =category=0 =message=no such command or directory (SEG)`, then
//!   `!trap =message=no such command prefix`, then `!done` (as seen from routers).
//! - A known menu with an unknown command: `!trap =category=0 =message=no such command`
//!   (the category is assumed).
//! - An unknown attribute: `!trap =message=unknown parameter NAME` (RouterOS 7 wording; no
//!   category is sent — assumed).
//! - A missing or unknown item: `!trap =message=no such item (4)` (RouterOS 7 wording).
//! - A missing required argument: `!trap =category=1 =message=missing value(s) of argument(s)
//!   NAME` (assumed).
//! - A value that does not parse: `!trap =category=1 =message=invalid value for argument NAME`
//!   (assumed); an interface that does not exist in `add`: `!trap =category=1
//!   =message=input does not match any value of interface` (from MikroTik's manual).

use std::sync::Arc;
use std::time::Duration;

use crate::codec::encode_sentence;
use crate::conn::{Prebuilt, Shared};
use crate::model::{
    address_list_row, format_id, parse_bool, parse_ipv4_prefix, parse_time, yes, Change, Db, Menu,
    Row,
};
use crate::query::{matches, project};
use crate::reply::{Command, Reply};
use crate::streams::StreamSpec;

/// What a command produced.
pub(crate) enum Outcome {
    /// Reply sentences, each encoded on its own. `print` marks row listings (for faults).
    Sentences {
        sentences: Vec<Vec<u8>>,
        print: bool,
    },
    /// The untagged, unfiltered address list: send the pre-encoded reply.
    Prebuilt,
    /// The address list with only a tag: splice the tag into the pre-encoded rows.
    TaggedPrebuilt(Vec<u8>),
    /// A streaming command.
    Stream(StreamSpec),
    /// `/system/reboot`: close without a reply.
    Reboot,
}

fn reply_of(cmd: &Command) -> Reply {
    Reply::new(cmd.tag.clone())
}

fn sentences(v: Vec<Vec<u8>>) -> Outcome {
    Outcome::Sentences {
        sentences: v,
        print: false,
    }
}

fn trap(cmd: &Command, category: Option<u8>, message: &str) -> Outcome {
    let r = reply_of(cmd);
    sentences(vec![r.trap(category, message), r.done()])
}

fn done(cmd: &Command) -> Outcome {
    sentences(vec![reply_of(cmd).done()])
}

fn unknown_param(cmd: &Command, name: &str) -> Outcome {
    trap(cmd, None, &format!("unknown parameter {name}"))
}

fn no_such_item(cmd: &Command) -> Outcome {
    trap(cmd, None, "no such item (4)")
}

fn missing(cmd: &Command, name: &str) -> Outcome {
    trap(
        cmd,
        Some(1),
        &format!("missing value(s) of argument(s) {name}"),
    )
}

fn invalid(cmd: &Command, name: &str) -> Outcome {
    trap(cmd, Some(1), &format!("invalid value for argument {name}"))
}

/// Menus that exist as directories, used to word the "no such command" traps.
const DIRECTORIES: &[&str] = &[
    "interface",
    "ip",
    "ip/address",
    "ip/firewall",
    "ip/firewall/filter",
    "ip/firewall/address-list",
    "ip/dhcp-server",
    "ip/dhcp-server/lease",
    "system",
    "system/resource",
    "system/identity",
    "tool",
];

fn unknown_command(cmd: &Command, dirs: &[&str]) -> Outcome {
    let r = reply_of(cmd);
    let mut path = String::new();
    for seg in dirs {
        if !path.is_empty() {
            path.push('/');
        }
        path.push_str(seg);
        if !DIRECTORIES.contains(&path.as_str()) {
            return sentences(vec![
                r.trap(Some(0), &format!("no such command or directory ({seg})")),
                r.trap(None, "no such command prefix"),
                r.done(),
            ]);
        }
    }
    sentences(vec![r.trap(Some(0), "no such command"), r.done()])
}

/// Arguments every `print` accepts.
const PRINT_PARAMS: &[&str] = &[
    "count-only",
    "detail",
    "without-paging",
    "stats",
    "terse",
    "brief",
    "as-value",
    "show-ids",
];

/// Runs one command (other than login, `/quit` and `/cancel`).
pub(crate) fn exec(shared: &Arc<Shared>, cmd: &Command) -> Outcome {
    let path = cmd.path.trim_start_matches('/');
    let segs: Vec<&str> = path.split('/').collect();
    let (command, dirs) = match segs.split_last() {
        Some((c, d)) if !c.is_empty() => (*c, d),
        _ => return unknown_command(cmd, &[]),
    };
    let menu = dirs.join("/");
    let table = Menu::ALL.iter().copied().find(|m| m.path() == menu);
    match (menu.as_str(), command) {
        ("", "ping") => ping(cmd),
        ("tool", "torch") => torch(shared, cmd),
        ("system", "reboot") => Outcome::Reboot,
        ("system/resource", "print" | "getall") => {
            let row = shared.db().resource_row();
            print_rows(shared, cmd, vec![row])
        }
        ("system/resource", "get") => {
            let row = shared.db().resource_row();
            get_value(cmd, &row)
        }
        ("system/identity", "print" | "getall") => {
            let row = shared.db().identity_row();
            print_rows(shared, cmd, vec![row])
        }
        ("system/identity", "get") => {
            let row = shared.db().identity_row();
            get_value(cmd, &row)
        }
        ("system/identity", "set") => {
            if let Some(bad) = cmd.unknown_attr(&["name"]) {
                return unknown_param(cmd, bad);
            }
            if let Some(name) = cmd.attr("name") {
                shared.db().identity = name.to_vec();
            }
            done(cmd)
        }
        ("interface", "monitor-traffic") => monitor_traffic(shared, cmd),
        ("ip/firewall/address-list", "print" | "getall") => address_list_print(shared, cmd),
        _ => match table {
            Some(menu) => table_command(shared, cmd, menu, command, dirs),
            None => unknown_command(cmd, dirs),
        },
    }
}

fn table_command(
    shared: &Arc<Shared>,
    cmd: &Command,
    menu: Menu,
    command: &str,
    dirs: &[&str],
) -> Outcome {
    let writable = menu != Menu::DhcpLease;
    match command {
        "print" | "getall" => {
            let mut params = PRINT_PARAMS.to_vec();
            params.extend(["follow", "follow-only"]);
            if let Some(bad) = cmd.unknown_attr(&params) {
                return unknown_param(cmd, bad);
            }
            if cmd.attr("follow").is_some() || cmd.attr("follow-only").is_some() {
                let rows = if cmd.attr("follow").is_some() {
                    filtered(cmd, shared.db().rows_for_print(menu))
                } else {
                    Vec::new()
                };
                return Outcome::Stream(StreamSpec::Listen {
                    menu,
                    initial: rows,
                    changes: shared.changes.subscribe(),
                });
            }
            let rows = shared.db().rows_for_print(menu);
            print_rows(shared, cmd, rows)
        }
        "get" => {
            if let Some(bad) = cmd.unknown_attr(&["number", "numbers", "value-name"]) {
                return unknown_param(cmd, bad);
            }
            let Some(reference) = item_ref(cmd) else {
                return no_such_item(cmd);
            };
            let db = shared.db();
            let rows = db.rows_for_print(menu);
            let table = db.table(menu);
            match table.resolve(reference) {
                Some(i) => get_value(cmd, &rows[i]),
                None => no_such_item(cmd),
            }
        }
        "listen" => {
            if let Some(bad) = cmd.unknown_attr(&[]) {
                return unknown_param(cmd, bad);
            }
            Outcome::Stream(StreamSpec::Listen {
                menu,
                initial: Vec::new(),
                changes: shared.changes.subscribe(),
            })
        }
        "set" if writable => set(shared, cmd, menu),
        "enable" | "disable" if writable => {
            if let Some(bad) = cmd.unknown_attr(&["numbers"]) {
                return unknown_param(cmd, bad);
            }
            let mut db = shared.db();
            let Some(idx) = resolve_all(&db, menu, cmd) else {
                return no_such_item(cmd);
            };
            let disabled = command == "disable";
            let mut changes = Vec::new();
            for i in idx {
                if set_disabled(&mut db, menu, i, disabled) {
                    changes.push(i);
                }
            }
            notify(shared, &db, menu, &changes);
            done(cmd)
        }
        "remove" if menu == Menu::IpAddress || menu == Menu::FirewallFilter => {
            if let Some(bad) = cmd.unknown_attr(&["numbers"]) {
                return unknown_param(cmd, bad);
            }
            let mut db = shared.db();
            let Some(mut idx) = resolve_all(&db, menu, cmd) else {
                return no_such_item(cmd);
            };
            idx.sort_unstable();
            idx.dedup();
            for i in idx.into_iter().rev() {
                let row = db.table_mut(menu).rows.remove(i);
                let dead = Row::default()
                    .with(".id", row.get(".id").unwrap_or(b"").to_vec())
                    .with(".dead", "true");
                let _ = shared.changes.send(Change { menu, row: dead });
            }
            done(cmd)
        }
        "add" if menu == Menu::IpAddress => add_address(shared, cmd),
        "add" if menu == Menu::FirewallFilter => add_filter(shared, cmd),
        "move" if menu == Menu::FirewallFilter => move_filter(shared, cmd),
        _ => unknown_command(cmd, dirs),
    }
}

/// `.id`, `numbers` or `number`: the item(s) a command is about.
fn item_ref(cmd: &Command) -> Option<&[u8]> {
    cmd.attr(".id")
        .or_else(|| cmd.attr("numbers"))
        .or_else(|| cmd.attr("number"))
}

/// Resolves a comma-separated item list; `None` if any item does not exist.
fn resolve_all(db: &Db, menu: Menu, cmd: &Command) -> Option<Vec<usize>> {
    let reference = item_ref(cmd)?;
    let table = db.table(menu);
    reference
        .split(|&b| b == b',')
        .filter(|r| !r.is_empty())
        .map(|r| table.resolve(r))
        .collect::<Option<Vec<_>>>()
        .filter(|v| !v.is_empty())
}

fn set_disabled(db: &mut Db, menu: Menu, i: usize, disabled: bool) -> bool {
    let row = &db.table(menu).rows[i];
    if row.get("disabled") == Some(yes(disabled).as_bytes()) {
        return false;
    }
    let id = row.get(".id").unwrap_or(b"").to_vec();
    let link = db.link_up(&id);
    let row = &mut db.table_mut(menu).rows[i];
    row.set("disabled", yes(disabled));
    if menu == Menu::Interface {
        row.set("running", yes(link && !disabled));
    }
    true
}

fn notify(shared: &Shared, db: &Db, menu: Menu, changed: &[usize]) {
    if changed.is_empty() {
        return;
    }
    let rows = db.rows_for_print(menu);
    for &i in changed {
        if let Some(r) = rows.get(i) {
            let _ = shared.changes.send(Change {
                menu,
                row: r.clone(),
            });
        }
    }
}

fn set(shared: &Shared, cmd: &Command, menu: Menu) -> Outcome {
    let mut allowed = menu.set_params().to_vec();
    allowed.push("numbers");
    if let Some(bad) = cmd.unknown_attr(&allowed) {
        return unknown_param(cmd, bad);
    }
    let mut db = shared.db();
    let Some(idx) = resolve_all(&db, menu, cmd) else {
        return no_such_item(cmd);
    };
    // Validate everything first, so a bad value changes nothing.
    for (k, v) in &cmd.attrs {
        match k.as_str() {
            "disabled" | "log" if parse_bool(v).is_none() => return invalid(cmd, k),
            "mtu" | "l2mtu" => {
                let ok = std::str::from_utf8(v)
                    .ok()
                    .and_then(|s| s.parse::<u32>().ok())
                    .is_some_and(|n| (68..=65535).contains(&n));
                if !ok {
                    return trap(
                        cmd,
                        Some(1),
                        &format!("value of {k} out of range (68..65535)"),
                    );
                }
            }
            "address" if parse_ipv4_prefix(v).is_none() => return invalid(cmd, k),
            "interface" if db.interface(v).is_none() => {
                return trap(cmd, Some(1), "input does not match any value of interface")
            }
            "name" if menu == Menu::Interface => {
                if v.is_empty() {
                    return invalid(cmd, k);
                }
                let clash = db
                    .interfaces
                    .rows
                    .iter()
                    .enumerate()
                    .any(|(i, r)| r.get("name") == Some(v.as_slice()) && !idx.contains(&i));
                if clash {
                    return trap(cmd, None, "failure: already have interface with such name");
                }
            }
            _ => {}
        }
    }
    for &i in &idx {
        for (k, v) in &cmd.attrs {
            match k.as_str() {
                ".id" | "numbers" => {}
                "disabled" => {
                    set_disabled(&mut db, menu, i, parse_bool(v).unwrap_or(false));
                }
                "comment" if v.is_empty() => db.table_mut(menu).rows[i].remove("comment"),
                "address" if menu == Menu::IpAddress => {
                    let row = &db.table(menu).rows[i];
                    let iface = row.get("interface").unwrap_or(b"").to_vec();
                    let comment = row.get("comment").map(<[u8]>::to_vec);
                    let disabled = row.get("disabled") == Some(b"true");
                    let id = row.get(".id").unwrap_or(b"").to_vec();
                    let mut fresh = db.address_row(v, &iface, disabled, comment.as_deref());
                    fresh.fields.insert(0, (".id".to_string(), id));
                    db.addresses.rows[i] = fresh;
                }
                "interface" if menu == Menu::IpAddress => {
                    let row = &mut db.addresses.rows[i];
                    row.set("interface", v.clone());
                    row.set("actual-interface", v.clone());
                }
                "log" => db.table_mut(menu).rows[i].set(k, yes(parse_bool(v).unwrap_or(false))),
                _ => db.table_mut(menu).rows[i].set(k, v.clone()),
            }
        }
        if menu == Menu::Interface {
            let row = &mut db.interfaces.rows[i];
            if let Some(mtu) = cmd.attr("mtu") {
                row.set("actual-mtu", mtu.to_vec());
            }
        }
    }
    notify(shared, &db, menu, &idx);
    done(cmd)
}

fn add_address(shared: &Shared, cmd: &Command) -> Outcome {
    if let Some(bad) = cmd.unknown_attr(Menu::IpAddress.add_params()) {
        return unknown_param(cmd, bad);
    }
    let Some(address) = cmd.attr("address") else {
        return missing(cmd, "address");
    };
    let Some(interface) = cmd.attr("interface") else {
        return missing(cmd, "interface");
    };
    let Some((a, len)) = parse_ipv4_prefix(address) else {
        return invalid(cmd, "address");
    };
    let disabled = match cmd.attr("disabled") {
        Some(v) => match parse_bool(v) {
            Some(b) => b,
            None => return invalid(cmd, "disabled"),
        },
        None => false,
    };
    let mut db = shared.db();
    if db.interface(interface).is_none() {
        return trap(cmd, Some(1), "input does not match any value of interface");
    }
    let canonical = format!("{}/{}", std::net::Ipv4Addr::from(a), len);
    let dup = db.addresses.rows.iter().any(|r| {
        r.get("address") == Some(canonical.as_bytes()) && r.get("interface") == Some(interface)
    });
    if dup {
        return trap(cmd, None, "failure: already have such address");
    }
    let comment = cmd
        .attr("comment")
        .filter(|c| !c.is_empty())
        .map(<[u8]>::to_vec);
    let row = db.address_row(address, interface, disabled, comment.as_deref());
    let id = db.addresses.insert(row);
    let idx = db.addresses.rows.len() - 1;
    notify(shared, &db, Menu::IpAddress, &[idx]);
    sentences(vec![reply_of(cmd).done_ret(format_id(id).as_bytes())])
}

const ACTIONS: &[&str] = &[
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
];

fn add_filter(shared: &Shared, cmd: &Command) -> Outcome {
    if let Some(bad) = cmd.unknown_attr(Menu::FirewallFilter.add_params()) {
        return unknown_param(cmd, bad);
    }
    let Some(chain) = cmd.attr("chain").filter(|c| !c.is_empty()) else {
        return missing(cmd, "chain");
    };
    if let Some(action) = cmd.attr("action") {
        if !ACTIONS.iter().any(|a| a.as_bytes() == action) {
            return trap(cmd, Some(1), "input does not match any value of action");
        }
    }
    for k in ["disabled", "log"] {
        if let Some(v) = cmd.attr(k) {
            if parse_bool(v).is_none() {
                return invalid(cmd, k);
            }
        }
    }
    let mut db = shared.db();
    let before = match cmd.attr("place-before") {
        Some(r) => match db.filters.resolve(r) {
            Some(i) => Some(i),
            None => return no_such_item(cmd),
        },
        None => None,
    };
    let mut row = Row::default().with("chain", chain.to_vec());
    row.push("action", cmd.attr("action").unwrap_or(b"accept").to_vec());
    for (k, v) in &cmd.attrs {
        match k.as_str() {
            "chain" | "action" | "place-before" => {}
            "comment" if v.is_empty() => {}
            "disabled" | "log" => row.push(k, yes(parse_bool(v).unwrap_or(false))),
            _ => row.push(k, v.clone()),
        }
    }
    let row = Db::finish_filter_row(row, 0, 0);
    let id = db.filters.insert(row);
    let mut idx = db.filters.rows.len() - 1;
    if let Some(b) = before {
        let row = db.filters.rows.remove(idx);
        db.filters.rows.insert(b, row);
        idx = b;
    }
    notify(shared, &db, Menu::FirewallFilter, &[idx]);
    sentences(vec![reply_of(cmd).done_ret(format_id(id).as_bytes())])
}

fn move_filter(shared: &Shared, cmd: &Command) -> Outcome {
    if let Some(bad) = cmd.unknown_attr(&["numbers", "destination"]) {
        return unknown_param(cmd, bad);
    }
    let mut db = shared.db();
    let Some(idx) = resolve_all(&db, Menu::FirewallFilter, cmd) else {
        return no_such_item(cmd);
    };
    let dest_id = match cmd.attr("destination") {
        Some(d) => match db.filters.resolve(d) {
            Some(i) => db.filters.rows[i].get(".id").map(<[u8]>::to_vec),
            None => return no_such_item(cmd),
        },
        None => None,
    };
    let ids: Vec<Vec<u8>> = idx
        .iter()
        .filter_map(|&i| db.filters.rows[i].get(".id").map(<[u8]>::to_vec))
        .collect();
    let mut moved = Vec::new();
    for id in &ids {
        if let Some(i) = db.filters.index_of(id) {
            moved.push(db.filters.rows.remove(i));
        }
    }
    let at = match &dest_id {
        Some(d) => db.filters.index_of(d).unwrap_or(db.filters.rows.len()),
        None => db.filters.rows.len(),
    };
    for (k, row) in moved.into_iter().enumerate() {
        db.filters.rows.insert(at + k, row);
    }
    done(cmd)
}

/// Applies the query of a `print`.
fn filtered(cmd: &Command, rows: Vec<Row>) -> Vec<Row> {
    if cmd.queries.is_empty() {
        rows
    } else {
        rows.into_iter()
            .filter(|r| matches(&cmd.queries, r))
            .collect()
    }
}

/// A `print` over ready rows: query, `count-only`, `.proplist`, `!empty`.
fn print_rows(shared: &Shared, cmd: &Command, rows: Vec<Row>) -> Outcome {
    if let Some(bad) = cmd.unknown_attr(PRINT_PARAMS) {
        return unknown_param(cmd, bad);
    }
    let rows = filtered(cmd, rows);
    let r = reply_of(cmd);
    if cmd.attr("count-only").is_some() {
        return sentences(vec![r.done_ret(rows.len().to_string().as_bytes())]);
    }
    let mut out = Vec::with_capacity(rows.len() + 2);
    if rows.is_empty() && shared.config.empty_replies {
        out.push(r.empty());
    }
    for row in &rows {
        match &cmd.proplist {
            Some(p) => out.push(r.re(&project(row, p))),
            None => out.push(r.re(row)),
        }
    }
    out.push(r.done());
    Outcome::Sentences {
        sentences: out,
        print: true,
    }
}

/// `get =value-name=X` on one row: `!done =ret=value`.
fn get_value(cmd: &Command, row: &Row) -> Outcome {
    if let Some(bad) = cmd.unknown_attr(&["value-name", "number", "numbers"]) {
        return unknown_param(cmd, bad);
    }
    let Some(name) = cmd.attr("value-name") else {
        return missing(cmd, "value-name");
    };
    let name = String::from_utf8_lossy(name);
    match row.get(&name) {
        Some(v) => sentences(vec![reply_of(cmd).done_ret(v)]),
        None => trap(cmd, Some(1), "input does not match any value of value-name"),
    }
}

/// The pre-encoded plain address-list reply, built on first use.
pub(crate) fn address_list(shared: &Shared) -> &Prebuilt {
    shared.address_list.get_or_init(|| {
        let n = shared.config.effective_address_list_rows();
        let mut bytes = Vec::with_capacity(n * 120 + 8);
        let mut starts = Vec::with_capacity(n + 1);
        let r = Reply::default();
        for i in 0..n {
            starts.push(bytes.len());
            r.re_into(&address_list_row(i), &mut bytes);
        }
        starts.push(bytes.len());
        encode_sentence(&[b"!done"], &mut bytes);
        Prebuilt {
            bytes: Arc::new(bytes),
            starts,
        }
    })
}

fn address_list_print(shared: &Shared, cmd: &Command) -> Outcome {
    if let Some(bad) = cmd.unknown_attr(PRINT_PARAMS) {
        return unknown_param(cmd, bad);
    }
    let faults = &shared.config.faults;
    let plain = cmd.attrs.is_empty()
        && cmd.queries.is_empty()
        && cmd.proplist.is_none()
        && faults.delay_ms == 0
        && faults.disconnect_after_rows.is_none();
    if plain {
        return match &cmd.tag {
            None => Outcome::Prebuilt,
            Some(t) => Outcome::TaggedPrebuilt(t.clone()),
        };
    }
    let n = shared.config.effective_address_list_rows();
    let rows = (0..n).map(address_list_row).collect();
    print_rows(shared, cmd, rows)
}

fn interval_arg(cmd: &Command, default: Duration) -> Result<Duration, Outcome> {
    match cmd.attr("interval") {
        None => Ok(default),
        Some(v) => match parse_time(v) {
            Some(d) => Ok(d.max(Duration::from_millis(10))),
            None => Err(invalid(cmd, "interval")),
        },
    }
}

fn duration_arg(cmd: &Command) -> Result<Option<Duration>, Outcome> {
    match cmd.attr("duration") {
        None => Ok(None),
        Some(v) => match parse_time(v) {
            Some(d) => Ok(Some(d)),
            None => Err(invalid(cmd, "duration")),
        },
    }
}

fn monitor_traffic(shared: &Shared, cmd: &Command) -> Outcome {
    if let Some(bad) = cmd.unknown_attr(&["interface", "interval", "once", "duration", "numbers"]) {
        return unknown_param(cmd, bad);
    }
    let Some(list) = cmd.attr("interface").or_else(|| cmd.attr("numbers")) else {
        return missing(cmd, "interface");
    };
    let interval = match interval_arg(cmd, Duration::from_secs(1)) {
        Ok(i) => i,
        Err(o) => return o,
    };
    let duration = match duration_arg(cmd) {
        Ok(d) => d,
        Err(o) => return o,
    };
    let db = shared.db();
    let mut names = Vec::new();
    for r in list.split(|&b| b == b',').filter(|r| !r.is_empty()) {
        match db.interfaces.resolve(r) {
            Some(i) => names.push(db.interfaces.rows[i].get("name").unwrap_or(b"").to_vec()),
            None => return no_such_item(cmd),
        }
    }
    if names.is_empty() {
        return no_such_item(cmd);
    }
    Outcome::Stream(StreamSpec::MonitorTraffic {
        names,
        interval,
        once: cmd.flag("once"),
        duration,
    })
}

fn ping(cmd: &Command) -> Outcome {
    let allowed = [
        "address",
        "count",
        "interval",
        "size",
        "ttl",
        "src-address",
        "interface",
        "routing-table",
        "do-not-fragment",
        "arp-ping",
        "vrf",
        "dscp",
    ];
    if let Some(bad) = cmd.unknown_attr(&allowed) {
        return unknown_param(cmd, bad);
    }
    let Some(address) = cmd.attr("address").filter(|a| !a.is_empty()) else {
        return missing(cmd, "address");
    };
    let count = match cmd.attr("count") {
        None => None,
        Some(v) => match std::str::from_utf8(v)
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
        {
            Some(n) => Some(n),
            None => return invalid(cmd, "count"),
        },
    };
    let size = match cmd.attr("size") {
        None => 56,
        Some(v) => match std::str::from_utf8(v)
            .ok()
            .and_then(|s| s.parse::<u32>().ok())
        {
            Some(n) if (14..=65535).contains(&n) => n,
            _ => return invalid(cmd, "size"),
        },
    };
    let interval = match interval_arg(cmd, Duration::from_secs(1)) {
        Ok(i) => i,
        Err(o) => return o,
    };
    let text = String::from_utf8_lossy(address).into_owned();
    let (host, timeout) = match text.parse::<std::net::IpAddr>() {
        // TEST-NET-1 never answers, so clients can see timeouts.
        Ok(std::net::IpAddr::V4(v4)) => (text.clone(), v4.octets()[..3] == [192, 0, 2]),
        Ok(_) => (text.clone(), false),
        Err(_) => {
            let valid = text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
            if !valid {
                return invalid(cmd, "address");
            }
            // Names "resolve" to a TEST-NET-2 address derived from the name.
            let h = text
                .bytes()
                .fold(7u32, |a, b| a.wrapping_mul(31).wrapping_add(b.into()));
            (format!("198.51.100.{}", 1 + h % 254), false)
        }
    };
    Outcome::Stream(StreamSpec::Ping {
        host,
        count,
        interval,
        size,
        timeout,
    })
}

fn torch(shared: &Shared, cmd: &Command) -> Outcome {
    let allowed = [
        "interface",
        "interval",
        "duration",
        "src-address",
        "dst-address",
        "src-address6",
        "dst-address6",
        "port",
        "protocol",
        "ip-protocol",
        "mac-protocol",
        "vlan-id",
        "dscp",
        "freeze-frame-interval",
    ];
    if let Some(bad) = cmd.unknown_attr(&allowed) {
        return unknown_param(cmd, bad);
    }
    let Some(interface) = cmd.attr("interface") else {
        return missing(cmd, "interface");
    };
    let interval = match interval_arg(cmd, Duration::from_secs(1)) {
        Ok(i) => i,
        Err(o) => return o,
    };
    let duration = match duration_arg(cmd) {
        Ok(d) => d,
        Err(o) => return o,
    };
    let db = shared.db();
    let Some(i) = db.interfaces.resolve(interface) else {
        return trap(cmd, Some(1), "input does not match any value of interface");
    };
    let name = db.interfaces.rows[i].get("name").unwrap_or(b"").to_vec();
    Outcome::Stream(StreamSpec::Torch {
        interface: name,
        interval,
        duration,
    })
}
