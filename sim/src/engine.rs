//! The one engine that runs every menu of [`crate::menus`]: `print` (queries, `.proplist`,
//! `count-only`, per-menu options such as `active`, `follow`), `get`, `add`, `set`, `remove`,
//! `enable`, `disable`, `move`, `monitor` and `listen`.

use std::sync::Arc;

use crate::commands::{
    done, invalid, missing, no_such_item, reply_of, trap, unknown_command, unknown_param, Outcome,
};
use crate::conn::Shared;
use crate::menus::{Kind, MenuDef, Shape};
use crate::model::{format_id, parse_bool, parse_ipv4_prefix, Change, Db, Row};
use crate::query::{matches, project};
use crate::reply::Command;
use crate::streams::StreamSpec;

/// Arguments every `print` accepts.
pub(crate) const PRINT_PARAMS: &[&str] = &[
    "count-only",
    "detail",
    "without-paging",
    "stats",
    "stats-detail",
    "terse",
    "brief",
    "as-value",
    "show-ids",
    "all",
    "interval",
];

/// A row as the client sees it: internal properties dropped, booleans spelled as the
/// version profile spells them.
pub(crate) fn present(def: &MenuDef, row: &Row, v6_bools: bool) -> Row {
    let mut out = Row::default();
    for (k, v) in &row.fields {
        if k.starts_with('_') {
            continue;
        }
        let v = if v6_bools && def.is_bool(k) {
            match v.as_slice() {
                b"true" => b"yes".to_vec(),
                b"false" => b"no".to_vec(),
                _ => v.clone(),
            }
        } else {
            v.clone()
        };
        out.fields.push((k.clone(), v));
    }
    out
}

/// Runs `command` on the menu `def`.
pub(crate) fn exec(
    shared: &Arc<Shared>,
    cmd: &Command,
    def: &'static MenuDef,
    command: &str,
    dirs: &[&str],
) -> Outcome {
    let list = def.shape == Shape::List;
    match command {
        "print" | "getall" => print(shared, cmd, def),
        "get" => get(shared, cmd, def),
        "listen" => {
            if let Some(bad) = cmd.unknown_attr(&[]) {
                return unknown_param(cmd, bad);
            }
            Outcome::Stream(StreamSpec::Listen {
                menu: def,
                initial: Vec::new(),
                changes: shared.changes.subscribe(),
            })
        }
        "set" if !list && def.writable => set_single(shared, cmd, def),
        "set" if list && def.settable => set(shared, cmd, def),
        "enable" | "disable" if list && def.settable => {
            if let Some(bad) = cmd.unknown_attr(&["numbers"]) {
                return unknown_param(cmd, bad);
            }
            let value = if command == "disable" {
                "true"
            } else {
                "false"
            };
            let attrs = vec![("disabled".to_string(), value.as_bytes().to_vec())];
            apply(shared, cmd, def, &attrs)
        }
        "remove" if list && def.writable => remove(shared, cmd, def),
        "add" if list && def.writable => add(shared, cmd, def),
        "move" if list && def.ordered => move_items(shared, cmd, def),
        "monitor" if def.hooks.monitor.is_some() => monitor(shared, cmd, def),
        _ => unknown_command(cmd, dirs),
    }
}

/// Applies the query and the options that filter rows.
fn filtered(cmd: &Command, def: &MenuDef, rows: Vec<Row>) -> Vec<Row> {
    let keep: Vec<(&str, &str)> = def
        .print_options
        .iter()
        .filter(|(opt, _)| cmd.attr(opt).is_some())
        .filter_map(|(_, f)| *f)
        .collect();
    rows.into_iter()
        .filter(|r| keep.iter().all(|(k, v)| r.get(k) == Some(v.as_bytes())))
        .filter(|r| cmd.queries.is_empty() || matches(&cmd.queries, r))
        .collect()
}

fn print(shared: &Arc<Shared>, cmd: &Command, def: &'static MenuDef) -> Outcome {
    let mut params = PRINT_PARAMS.to_vec();
    params.extend(def.print_options.iter().map(|(o, _)| *o));
    params.extend(["follow", "follow-only", "from", "where"]);
    if let Some(bad) = cmd.unknown_attr(&params) {
        return unknown_param(cmd, bad);
    }
    let rows = shared.db().rows_for_print(def);
    if cmd.attr("follow").is_some() || cmd.attr("follow-only").is_some() {
        let initial = if cmd.attr("follow").is_some() {
            filtered(cmd, def, rows)
                .iter()
                .map(|r| present(def, r, shared.profile.v6_bools))
                .collect()
        } else {
            Vec::new()
        };
        return Outcome::Stream(StreamSpec::Listen {
            menu: def,
            initial,
            changes: shared.changes.subscribe(),
        });
    }
    let rows: Vec<Row> = filtered(cmd, def, rows)
        .iter()
        .map(|r| present(def, r, shared.profile.v6_bools))
        .collect();
    print_rows(shared, cmd, rows)
}

/// Sends rows that are ready for the wire: `count-only`, `.proplist`, `!empty`.
pub(crate) fn print_rows(shared: &Shared, cmd: &Command, rows: Vec<Row>) -> Outcome {
    let r = reply_of(cmd);
    if cmd.attr("count-only").is_some() {
        return Outcome::Sentences {
            sentences: vec![r.done_ret(rows.len().to_string().as_bytes())],
            print: false,
        };
    }
    let mut out = Vec::with_capacity(rows.len() + 2);
    if rows.is_empty() && shared.profile.empty_replies {
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

/// `.id`, `numbers` or `number`: the item(s) a command is about.
fn item_ref(cmd: &Command) -> Option<&[u8]> {
    cmd.attr(".id")
        .or_else(|| cmd.attr("numbers"))
        .or_else(|| cmd.attr("number"))
}

/// Resolves a comma-separated item list; `None` if any item does not exist.
fn resolve_all(db: &Db, def: &MenuDef, cmd: &Command) -> Option<Vec<usize>> {
    let reference = item_ref(cmd)?;
    let table = db.table(def.path)?;
    reference
        .split(|&b| b == b',')
        .filter(|r| !r.is_empty())
        .map(|r| table.resolve(r))
        .collect::<Option<Vec<_>>>()
        .filter(|v| !v.is_empty())
}

fn get(shared: &Arc<Shared>, cmd: &Command, def: &'static MenuDef) -> Outcome {
    if let Some(bad) = cmd.unknown_attr(&["number", "numbers", "value-name"]) {
        return unknown_param(cmd, bad);
    }
    let db = shared.db();
    let rows = db.rows_for_print(def);
    let row = match def.shape {
        Shape::Single => rows.into_iter().next().unwrap_or_default(),
        Shape::List => {
            let Some(reference) = item_ref(cmd) else {
                return no_such_item(cmd);
            };
            match db.table(def.path).and_then(|t| t.resolve(reference)) {
                Some(i) => rows.into_iter().nth(i).unwrap_or_default(),
                None => return no_such_item(cmd),
            }
        }
    };
    drop(db);
    let Some(name) = cmd.attr("value-name") else {
        return missing(cmd, "value-name");
    };
    let name = String::from_utf8_lossy(name);
    let row = present(def, &row, shared.profile.v6_bools);
    match row.get(&name) {
        Some(v) => Outcome::Sentences {
            sentences: vec![reply_of(cmd).done_ret(v)],
            print: false,
        },
        None => trap(cmd, Some(1), "input does not match any value of value-name"),
    }
}

/// Checks one value against its property; the trap is the outcome to send.
fn check_value(db: &Db, cmd: &Command, def: &MenuDef, name: &str, v: &[u8]) -> Result<(), Outcome> {
    let Some(p) = def.prop(name) else {
        return Ok(());
    };
    match p.kind {
        Kind::Str => Ok(()),
        Kind::Bool if parse_bool(v).is_some() => Ok(()),
        Kind::Bool => Err(invalid(cmd, name)),
        Kind::Int(min, max) => {
            let ok = std::str::from_utf8(v)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .is_some_and(|n| (min..=max).contains(&n));
            if ok {
                Ok(())
            } else {
                Err(trap(
                    cmd,
                    Some(1),
                    &format!("value of {name} out of range ({min}..{max})"),
                ))
            }
        }
        Kind::Ipv4 if parse_ipv4_prefix(v).is_some() => Ok(()),
        Kind::Ipv4 => Err(invalid(cmd, name)),
        Kind::Enum(words) if words.iter().any(|w| w.as_bytes() == v) => Ok(()),
        Kind::Ref(menu) if db.find_row(menu, "name", v).is_some() => Ok(()),
        Kind::Enum(_) | Kind::Ref(_) => Err(trap(
            cmd,
            Some(1),
            &format!("input does not match any value of {name}"),
        )),
    }
}

/// Writes `attrs` into `row`: booleans in canonical spelling, an empty value removes a
/// property that has no default.
fn write_attrs(def: &MenuDef, row: &mut Row, attrs: &[(String, Vec<u8>)]) {
    for (k, v) in attrs {
        let Some(p) = def.prop(k) else { continue };
        if p.kind == Kind::Bool {
            let b = parse_bool(v).unwrap_or(false);
            row.set(k, if b { "true" } else { "false" });
        } else if v.is_empty() && p.default.is_none() {
            row.remove(k);
        } else {
            row.set(k, v.clone());
        }
    }
}

/// The first uniqueness rule `row` breaks against `others`.
fn clash(def: &MenuDef, row: &Row, others: &[&Row]) -> Option<&'static str> {
    def.unique.iter().find_map(|(props, message)| {
        others
            .iter()
            .any(|o| props.iter().all(|p| o.get(p) == row.get(p)))
            .then_some(*message)
    })
}

/// Checks every attribute first, so a bad value changes nothing.
fn check_all(
    db: &Db,
    cmd: &Command,
    def: &MenuDef,
    attrs: &[(String, Vec<u8>)],
) -> Option<Outcome> {
    attrs
        .iter()
        .find_map(|(k, v)| check_value(db, cmd, def, k, v).err())
}

/// Names `add` / `set` accept: the writable properties.
fn writable_names(def: &MenuDef) -> Vec<&'static str> {
    def.props
        .iter()
        .filter(|p| !p.ro && !p.name.starts_with('_'))
        .map(|p| p.name)
        .collect()
}

fn set(shared: &Arc<Shared>, cmd: &Command, def: &'static MenuDef) -> Outcome {
    let mut allowed = writable_names(def);
    allowed.push("numbers");
    if let Some(bad) = cmd.unknown_attr(&allowed) {
        return unknown_param(cmd, bad);
    }
    let attrs: Vec<(String, Vec<u8>)> = cmd
        .attrs
        .iter()
        .filter(|(k, _)| k != "numbers" && !k.starts_with('.'))
        .cloned()
        .collect();
    apply(shared, cmd, def, &attrs)
}

/// Applies attributes to the items a command names, all or nothing, and tells listeners.
fn apply(
    shared: &Arc<Shared>,
    cmd: &Command,
    def: &'static MenuDef,
    attrs: &[(String, Vec<u8>)],
) -> Outcome {
    let mut db = shared.db();
    let Some(idx) = resolve_all(&db, def, cmd) else {
        return no_such_item(cmd);
    };
    if let Some(o) = check_all(&db, cmd, def, attrs) {
        return o;
    }
    let Some(table) = db.table(def.path) else {
        return no_such_item(cmd);
    };
    let mut rows = table.rows.clone();
    for &i in &idx {
        let before = rows[i].clone();
        write_attrs(def, &mut rows[i], attrs);
        if let Some(hook) = def.hooks.on_write {
            let others: Vec<&Row> = table
                .rows
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, r)| r)
                .collect();
            if let Err((cat, msg)) = hook(&db, &mut rows[i], &others) {
                return trap(cmd, cat, &msg);
            }
        }
        def.reorder(&mut rows[i]);
        let others: Vec<&Row> = rows
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, r)| r)
            .collect();
        if rows[i] != before {
            if let Some(msg) = clash(def, &rows[i], &others) {
                return trap(cmd, None, msg);
            }
        }
    }
    let changed: Vec<usize> = idx
        .iter()
        .copied()
        .filter(|&i| Some(&rows[i]) != db.table(def.path).and_then(|t| t.rows.get(i)))
        .collect();
    if let Some(t) = db.table_mut(def.path) {
        t.rows = rows;
    }
    notify(shared, &db, def, &changed);
    done(cmd)
}

fn set_single(shared: &Arc<Shared>, cmd: &Command, def: &'static MenuDef) -> Outcome {
    let allowed = writable_names(def);
    if let Some(bad) = cmd.unknown_attr(&allowed) {
        return unknown_param(cmd, bad);
    }
    let attrs: Vec<(String, Vec<u8>)> = cmd
        .attrs
        .iter()
        .filter(|(k, _)| !k.starts_with('.'))
        .cloned()
        .collect();
    let mut db = shared.db();
    if let Some(o) = check_all(&db, cmd, def, &attrs) {
        return o;
    }
    let mut row = db.single(def.path);
    write_attrs(def, &mut row, &attrs);
    if let Some(hook) = def.hooks.on_write {
        if let Err((cat, msg)) = hook(&db, &mut row, &[]) {
            return trap(cmd, cat, &msg);
        }
    }
    def.reorder(&mut row);
    if let Some(t) = db.table_mut(def.path) {
        t.rows = vec![row];
    }
    notify(shared, &db, def, &[0]);
    done(cmd)
}

fn add(shared: &Arc<Shared>, cmd: &Command, def: &'static MenuDef) -> Outcome {
    let mut allowed = writable_names(def);
    if def.ordered {
        allowed.push("place-before");
    }
    if let Some(bad) = cmd.unknown_attr(&allowed) {
        return unknown_param(cmd, bad);
    }
    for p in def.props.iter().filter(|p| p.required) {
        if cmd.attr(p.name).is_none_or(<[u8]>::is_empty) {
            return missing(cmd, p.name);
        }
    }
    let attrs: Vec<(String, Vec<u8>)> = cmd
        .attrs
        .iter()
        .filter(|(k, _)| k != "place-before" && !k.starts_with('.'))
        .cloned()
        .collect();
    let mut db = shared.db();
    if let Some(o) = check_all(&db, cmd, def, &attrs) {
        return o;
    }
    let before = match cmd.attr("place-before") {
        Some(r) => match db.table(def.path).and_then(|t| t.resolve(r)) {
            Some(i) => Some(i),
            None => return no_such_item(cmd),
        },
        None => None,
    };
    let mut row = def.make_row(&[]);
    write_attrs(def, &mut row, &attrs);
    let others: Vec<Row> = db
        .table(def.path)
        .map(|t| t.rows.clone())
        .unwrap_or_default();
    let others: Vec<&Row> = others.iter().collect();
    if let Some(hook) = def.hooks.on_write {
        if let Err((cat, msg)) = hook(&db, &mut row, &others) {
            return trap(cmd, cat, &msg);
        }
    }
    def.reorder(&mut row);
    if let Some(msg) = clash(def, &row, &others) {
        return trap(cmd, None, msg);
    }
    let Some(table) = db.table_mut(def.path) else {
        return no_such_item(cmd);
    };
    let id = table.insert(row);
    let mut idx = table.rows.len() - 1;
    if let Some(b) = before {
        let row = table.rows.remove(idx);
        table.rows.insert(b, row);
        idx = b;
    }
    notify(shared, &db, def, &[idx]);
    Outcome::Sentences {
        sentences: vec![reply_of(cmd).done_ret(format_id(id).as_bytes())],
        print: false,
    }
}

fn remove(shared: &Arc<Shared>, cmd: &Command, def: &'static MenuDef) -> Outcome {
    if let Some(bad) = cmd.unknown_attr(&["numbers"]) {
        return unknown_param(cmd, bad);
    }
    let mut db = shared.db();
    let Some(mut idx) = resolve_all(&db, def, cmd) else {
        return no_such_item(cmd);
    };
    idx.sort_unstable();
    idx.dedup();
    let dead = shared.profile.dead_value;
    if let Some(table) = db.table_mut(def.path) {
        for i in idx.into_iter().rev() {
            let row = table.rows.remove(i);
            let gone = Row::default()
                .with(".id", row.get(".id").unwrap_or(b"").to_vec())
                .with(".dead", dead);
            let _ = shared.changes.send(Change {
                menu: def.path,
                row: gone,
            });
        }
    }
    done(cmd)
}

fn move_items(shared: &Arc<Shared>, cmd: &Command, def: &'static MenuDef) -> Outcome {
    if let Some(bad) = cmd.unknown_attr(&["numbers", "destination"]) {
        return unknown_param(cmd, bad);
    }
    let mut db = shared.db();
    let Some(idx) = resolve_all(&db, def, cmd) else {
        return no_such_item(cmd);
    };
    let Some(table) = db.table_mut(def.path) else {
        return no_such_item(cmd);
    };
    let dest_id = match cmd.attr("destination") {
        Some(d) => match table.resolve(d) {
            Some(i) => table.rows[i].get(".id").map(<[u8]>::to_vec),
            None => return no_such_item(cmd),
        },
        None => None,
    };
    let ids: Vec<Vec<u8>> = idx
        .iter()
        .filter_map(|&i| table.rows[i].get(".id").map(<[u8]>::to_vec))
        .collect();
    let mut moved = Vec::new();
    for id in &ids {
        if let Some(i) = table.index_of(id) {
            moved.push(table.rows.remove(i));
        }
    }
    let at = match &dest_id {
        Some(d) => table.index_of(d).unwrap_or(table.rows.len()),
        None => table.rows.len(),
    };
    for (k, row) in moved.into_iter().enumerate() {
        table.rows.insert(at + k, row);
    }
    done(cmd)
}

/// `monitor =numbers=X =once=`: one row per item from the menu's monitor hook. Without
/// `once` the rows repeat every second until cancelled.
fn monitor(shared: &Arc<Shared>, cmd: &Command, def: &'static MenuDef) -> Outcome {
    if let Some(bad) = cmd.unknown_attr(&["numbers", "once", "interval", "duration"]) {
        return unknown_param(cmd, bad);
    }
    let Some(hook) = def.hooks.monitor else {
        return no_such_item(cmd);
    };
    let db = shared.db();
    let Some(idx) = resolve_all(&db, def, cmd) else {
        return no_such_item(cmd);
    };
    let all = db.rows_for_print(def);
    let rows: Vec<Row> = idx.iter().map(|&i| hook(&db, &all[i])).collect();
    drop(db);
    if cmd.flag("once") {
        let r = reply_of(cmd);
        let mut out: Vec<Vec<u8>> = rows
            .iter()
            .map(|row| match &cmd.proplist {
                Some(p) => r.re(&project(row, p)),
                None => r.re(row),
            })
            .collect();
        out.push(r.done());
        return Outcome::Sentences {
            sentences: out,
            print: false,
        };
    }
    Outcome::Stream(StreamSpec::Repeat { rows })
}

fn notify(shared: &Shared, db: &Db, def: &MenuDef, changed: &[usize]) {
    if changed.is_empty() {
        return;
    }
    let rows = db.rows_for_print(def);
    for &i in changed {
        if let Some(r) = rows.get(i) {
            let _ = shared.changes.send(Change {
                menu: def.path,
                row: r.clone(),
            });
        }
    }
}
