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
use crate::engine::{print_rows, PRINT_PARAMS};
use crate::model::{address_list_row, parse_time, Row};
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

/// The reply builder for a command: its tag, placed as configured.
pub(crate) fn reply_of(cmd: &Command) -> Reply {
    Reply::with_position(cmd.tag.clone(), cmd.tag_position)
}

pub(crate) fn sentences(v: Vec<Vec<u8>>) -> Outcome {
    Outcome::Sentences {
        sentences: v,
        print: false,
    }
}

pub(crate) fn trap(cmd: &Command, category: Option<u8>, message: &str) -> Outcome {
    let r = reply_of(cmd);
    sentences(vec![r.trap(category, message), r.done()])
}

pub(crate) fn done(cmd: &Command) -> Outcome {
    sentences(vec![reply_of(cmd).done()])
}

pub(crate) fn unknown_param(cmd: &Command, name: &str) -> Outcome {
    trap(cmd, None, &format!("unknown parameter {name}"))
}

pub(crate) fn no_such_item(cmd: &Command) -> Outcome {
    trap(cmd, None, "no such item (4)")
}

pub(crate) fn missing(cmd: &Command, name: &str) -> Outcome {
    trap(
        cmd,
        Some(1),
        &format!("missing value(s) of argument(s) {name}"),
    )
}

pub(crate) fn invalid(cmd: &Command, name: &str) -> Outcome {
    trap(cmd, Some(1), &format!("invalid value for argument {name}"))
}

pub(crate) fn unknown_command(cmd: &Command, dirs: &[&str]) -> Outcome {
    let r = reply_of(cmd);
    let mut path = String::new();
    for seg in dirs {
        if !path.is_empty() {
            path.push('/');
        }
        path.push_str(seg);
        if !crate::menus::is_directory(&path) {
            return sentences(vec![
                r.trap(Some(0), &format!("no such command or directory ({seg})")),
                r.trap(None, "no such command prefix"),
                r.done(),
            ]);
        }
    }
    sentences(vec![r.trap(Some(0), "no such command"), r.done()])
}

/// Runs one command (other than login, `/quit` and `/cancel`).
pub(crate) fn exec(shared: &Arc<Shared>, cmd: &Command) -> Outcome {
    let path = cmd.path.trim_start_matches('/');
    let segs: Vec<&str> = path.split('/').collect();
    let (command, dirs) = match segs.split_last() {
        Some((c, d)) if !c.is_empty() => (*c, d),
        _ => return unknown_command(cmd, &[]),
    };
    let menu = dirs.join("/");
    match (menu.as_str(), command) {
        ("", "ping") => ping(cmd),
        ("tool", "torch") => torch(shared, cmd),
        ("tool", "fetch") => fetch(cmd),
        ("system", "reboot") => Outcome::Reboot,
        ("interface", "monitor-traffic") => monitor_traffic(shared, cmd),
        ("ip/firewall/address-list", "print" | "getall") => address_list_print(shared, cmd),
        _ => match crate::menus::find(&menu) {
            Some(def) => crate::engine::exec(shared, cmd, def, command, dirs),
            None => unknown_command(cmd, dirs),
        },
    }
}

/// `dynamic` and `disabled` of an address-list row in the version's spelling.
fn v6_spelling(mut row: Row, v6: bool) -> Row {
    if v6 {
        for (k, v) in &mut row.fields {
            if k == "dynamic" || k == "disabled" {
                *v = if v.as_slice() == b"true" {
                    b"yes".to_vec()
                } else {
                    b"no".to_vec()
                };
            }
        }
    }
    row
}

/// The pre-encoded plain address-list reply, built on first use.
pub(crate) fn address_list(shared: &Shared) -> &Prebuilt {
    shared.address_list.get_or_init(|| {
        let n = shared.config.effective_address_list_rows();
        let v6 = shared.profile.v6_bools;
        let mut bytes = Vec::with_capacity(n * 120 + 8);
        let mut starts = Vec::with_capacity(n + 1);
        let r = Reply::with_position(None, crate::reply::TagPosition::First);
        for i in 0..n {
            starts.push(bytes.len());
            r.re_into(&v6_spelling(address_list_row(i), v6), &mut bytes);
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
    let rows: Vec<Row> = (0..n)
        .map(|i| v6_spelling(address_list_row(i), shared.profile.v6_bools))
        .filter(|r| cmd.queries.is_empty() || crate::query::matches(&cmd.queries, r))
        .collect();
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
    let Some(table) = db.table("interface") else {
        return no_such_item(cmd);
    };
    let mut names = Vec::new();
    for r in list.split(|&b| b == b',').filter(|r| !r.is_empty()) {
        match table.resolve(r) {
            Some(i) => names.push(table.rows[i].get("name").unwrap_or(b"").to_vec()),
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
    let Some(name) = db.table("interface").and_then(|t| {
        let i = t.resolve(interface)?;
        Some(t.rows[i].get("name").unwrap_or(b"").to_vec())
    }) else {
        return trap(cmd, Some(1), "input does not match any value of interface");
    };
    Outcome::Stream(StreamSpec::Torch {
        interface: name,
        interval,
        duration,
    })
}

/// `/tool/fetch =url=... [=output=user]`: a download that reports its progress in rows
/// grouped by `.section`, ending with `status=finished` (and `data` with `output=user`).
///
/// Assumed: the body is a made-up text of `1 + len(url) * 97` bytes (at most 64 KiB, the
/// documented limit for `output=user`); hosts in 192.0.2.0/24 fail with
/// `failure: connection timeout`.
fn fetch(cmd: &Command) -> Outcome {
    let allowed = [
        "url",
        "output",
        "mode",
        "dst-path",
        "http-method",
        "http-data",
        "http-header-field",
        "check-certificate",
        "keep-result",
        "duration",
        "as-value",
        "user",
        "password",
    ];
    if let Some(bad) = cmd.unknown_attr(&allowed) {
        return unknown_param(cmd, bad);
    }
    let Some(url) = cmd.attr("url").filter(|u| !u.is_empty()) else {
        return missing(cmd, "url");
    };
    let output = cmd.attr("output").unwrap_or(b"file");
    if !matches!(output, b"file" | b"user" | b"none" | b"user-with-headers") {
        return invalid(cmd, "output");
    }
    let text = String::from_utf8_lossy(url);
    let unreachable = text.contains("://192.0.2.");
    let size = (1 + url.len() * 97).min(64 * 1024);
    Outcome::Stream(StreamSpec::Fetch {
        size,
        to_user: output.starts_with(b"user"),
        unreachable,
    })
}
