//! Menus as data: one [`MenuDef`] table per RouterOS menu, read by the one generic engine in
//! [`crate::engine`].
//!
//! A table names the menu's path, its properties (type, default, read-only or not), its sample
//! rows, the counters that advance with time and the print options and commands it accepts.
//! A new menu is one `MenuDef` in one of the files below, listed in [`ALL`]. Behaviour that
//! really is code (a derived property, a value computed from the clock) goes in an optional
//! [`Hooks`] function beside the table.

use crate::model::{Db, Row};

mod base;
mod ip;
mod monitoring;
mod wireless;

/// What a property holds, which decides how `add`/`set` check a value and how the value is
/// printed (booleans follow the version profile: `true`/`false` in v7, `yes`/`no` in v6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Any bytes.
    Str,
    /// `yes`/`no`/`true`/`false`; stored as `true`/`false`.
    Bool,
    /// A whole number in `min..=max`; out of range gives `value of NAME out of range (MIN..MAX)`.
    Int(u64, u64),
    /// An IPv4 address with an optional prefix length.
    Ipv4,
    /// One of a fixed set of words.
    Enum(&'static [&'static str]),
    /// The `name` of an item of another menu (by its path).
    Ref(&'static str),
}

/// One property of a menu.
#[derive(Debug, Clone, Copy)]
pub struct Prop {
    /// The property name as printed.
    pub name: &'static str,
    /// Its type.
    pub kind: Kind,
    /// The value a new or sample row gets when none is given; `None` leaves it absent.
    pub default: Option<&'static str>,
    /// Read-only: printed, never accepted by `add` or `set`.
    pub ro: bool,
    /// `add` fails with `missing value(s) of argument(s) NAME` without it.
    pub required: bool,
}

/// A read-write text property with no default.
pub const fn s(name: &'static str) -> Prop {
    Prop {
        name,
        kind: Kind::Str,
        default: None,
        ro: false,
        required: false,
    }
}

/// A read-only text property with no default.
pub const fn ro(name: &'static str) -> Prop {
    s(name).read_only()
}

/// A read-write boolean defaulting to `false`.
pub const fn flag(name: &'static str) -> Prop {
    s(name).kind(Kind::Bool).def("false")
}

/// A read-only boolean defaulting to `false`.
pub const fn ro_flag(name: &'static str) -> Prop {
    flag(name).read_only()
}

/// A read-only counter (a number defaulting to 0).
pub const fn counter(name: &'static str) -> Prop {
    ro(name).kind(Kind::Int(0, u64::MAX)).def("0")
}

impl Prop {
    /// With this type.
    pub const fn kind(mut self, kind: Kind) -> Prop {
        self.kind = kind;
        self
    }
    /// With this default.
    pub const fn def(mut self, v: &'static str) -> Prop {
        self.default = Some(v);
        self
    }
    /// Read-only.
    pub const fn read_only(mut self) -> Prop {
        self.ro = true;
        self
    }
    /// Required by `add`.
    pub const fn required(mut self) -> Prop {
        self.required = true;
        self
    }
}

/// A counter that advances with time: at print, `prop` = its stored value +
/// `per_second × (row index + 1) × (seconds since boot)`, on rows whose `when` property (if
/// any) is `true`.
#[derive(Debug, Clone, Copy)]
pub struct Counter {
    /// The property.
    pub prop: &'static str,
    /// Growth per second of the first row (later rows grow proportionally faster).
    pub per_second: u64,
    /// A boolean property that must be `true` for the counter to advance.
    pub when: Option<&'static str>,
}

/// Shorthand for a [`Counter`].
pub const fn grows(prop: &'static str, per_second: u64, when: Option<&'static str>) -> Counter {
    Counter {
        prop,
        per_second,
        when,
    }
}

/// A trap from a hook: category and message.
pub type HookError = (Option<u8>, String);

/// An `on_write` hook: `(database, the changed row, the menu's other rows)`.
pub type OnWrite = fn(db: &Db, row: &mut Row, others: &[&Row]) -> Result<(), HookError>;

/// Code beside a table, for what a table cannot say.
#[derive(Clone, Copy, Default)]
pub struct Hooks {
    /// After `add` or `set` changed a row: derive properties, or refuse the change.
    /// `others` are the other rows of the menu.
    pub on_write: Option<OnWrite>,
    /// At print: fill in values computed from the clock or from other menus.
    pub live: Option<fn(db: &Db, index: usize, row: &mut Row)>,
    /// The reply rows of the menu's `monitor` command for one item.
    pub monitor: Option<fn(db: &Db, row: &Row) -> Row>,
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("on_write", &self.on_write.is_some())
            .field("live", &self.live.is_some())
            .field("monitor", &self.monitor.is_some())
            .finish()
    }
}

/// How a menu holds its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A list of items with `.id`s.
    List,
    /// One item without `.id` (`/system/resource`): `print` shows it, `set` changes it.
    Single,
}

/// One menu, as data.
#[derive(Debug, Clone, Copy)]
pub struct MenuDef {
    /// The API path without slashes at either end, e.g. `ip/address`.
    pub path: &'static str,
    /// List or single item.
    pub shape: Shape,
    /// Properties in print order. Names starting with `_` are internal (never printed).
    pub props: &'static [Prop],
    /// Sample rows: `(property, value)` pairs; the rest comes from the defaults.
    pub rows: &'static [&'static [(&'static str, &'static str)]],
    /// Counters that advance with time.
    pub counters: &'static [Counter],
    /// Whether `add` and `remove` work (a single menu: whether `set` works).
    pub writable: bool,
    /// Whether `set`, `enable` and `disable` work on a list.
    pub settable: bool,
    /// Whether `move` works (rule lists).
    pub ordered: bool,
    /// Properties whose value must be unique among items, with the trap text a clash gives.
    pub unique: &'static [(&'static [&'static str], &'static str)],
    /// `print` options this menu accepts besides the common ones, with the `(property, value)`
    /// an option keeps rows by (for example `active` keeps `status=bound`), if it filters.
    pub print_options: &'static [(&'static str, Option<(&'static str, &'static str)>)],
    /// Code for what the table cannot say.
    pub hooks: Hooks,
}

impl MenuDef {
    /// A list menu with these properties and nothing else: read-only, no rows.
    pub const fn list(path: &'static str, props: &'static [Prop]) -> MenuDef {
        MenuDef {
            path,
            shape: Shape::List,
            props,
            rows: &[],
            counters: &[],
            writable: false,
            settable: false,
            ordered: false,
            unique: &[],
            print_options: &[],
            hooks: Hooks {
                on_write: None,
                live: None,
                monitor: None,
            },
        }
    }

    /// A single-item menu (no `.id`).
    pub const fn single(path: &'static str, props: &'static [Prop]) -> MenuDef {
        let mut m = MenuDef::list(path, props);
        m.shape = Shape::Single;
        m
    }

    /// The property called `name`.
    pub fn prop(&self, name: &str) -> Option<&'static Prop> {
        self.props.iter().find(|p| p.name == name)
    }

    /// Whether a property is a boolean (printed by the version profile's spelling).
    pub fn is_bool(&self, name: &str) -> bool {
        self.prop(name).is_some_and(|p| p.kind == Kind::Bool)
    }

    /// Puts a row's properties in the table's order (`.id` first; unknown ones last).
    pub fn reorder(&self, row: &mut Row) {
        let mut ordered = Row::default();
        if let Some(id) = row.get(".id") {
            ordered.push(".id", id.to_vec());
        }
        for p in self.props {
            if let Some(v) = row.get(p.name) {
                ordered.push(p.name, v.to_vec());
            }
        }
        for (k, v) in &row.fields {
            if k != ".id" && self.prop(k).is_none() {
                ordered.push(k, v.clone());
            }
        }
        *row = ordered;
    }

    /// A row from `(property, value)` pairs and the defaults, in property order.
    pub fn make_row(&self, given: &[(&str, &[u8])]) -> Row {
        let mut row = Row::default();
        for p in self.props {
            match given.iter().rev().find(|(k, _)| *k == p.name) {
                Some((_, v)) => row.push(p.name, v.to_vec()),
                None => {
                    if let Some(d) = p.default {
                        row.push(p.name, d);
                    }
                }
            }
        }
        row
    }
}

/// Every menu the simulator knows.
pub fn all() -> impl Iterator<Item = &'static MenuDef> {
    base::MENUS
        .iter()
        .chain(ip::MENUS.iter())
        .chain(monitoring::MENUS.iter())
        .chain(wireless::MENUS.iter())
}

/// The menu at `path` (no slashes at either end).
pub fn find(path: &str) -> Option<&'static MenuDef> {
    all().find(|m| m.path == path)
}

/// Whether `path` is a menu or a directory above one (for the "no such command" traps).
pub fn is_directory(path: &str) -> bool {
    const EXTRA: &[&str] = &[
        "ip/firewall/address-list",
        "tool",
        "interface/wifi",
        "routing",
    ];
    EXTRA.contains(&path)
        || all().any(|m| {
            m.path == path
                || (m.path.len() > path.len()
                    && m.path.starts_with(path)
                    && m.path.as_bytes()[path.len()] == b'/')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_consistent() {
        let mut seen = std::collections::HashSet::new();
        for m in all() {
            assert!(seen.insert(m.path), "{} listed twice", m.path);
            assert!(
                !m.path.starts_with('/') && !m.path.ends_with('/'),
                "{}",
                m.path
            );
            for row in m.rows {
                for (k, _) in row.iter() {
                    assert!(
                        m.prop(k).is_some(),
                        "{}: sample property {k} not declared",
                        m.path
                    );
                }
            }
            for c in m.counters {
                assert!(m.prop(c.prop).is_some(), "{}: counter {}", m.path, c.prop);
            }
            if m.shape == Shape::Single {
                assert!(m.rows.len() <= 1, "{}: a single menu has one row", m.path);
            }
        }
        assert!(is_directory("ip") && is_directory("ip/firewall"));
        assert!(!is_directory("ip/adress"));
    }
}
