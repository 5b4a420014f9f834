//! Collectors: the commands each one sends (with `.proplist`, so the router sends only what
//! is used) and how their rows become samples. Values go through the core's `Value` helpers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use embedded_io_async::{Read, Write};
use routeros_core::mux::{Mux, Row};
use routeros_core::{Done, Error, Value};

use crate::metrics::{Metric, Sample};

/// Command slots of a router's connection: up to this many commands run at once; the
/// others wait for a free slot.
pub const SLOTS: usize = 4;
/// Bytes of reply rows each slot buffers before reading pauses (rows are small with
/// `.proplist`). This also bounds the size of one row.
pub const SLOT_BYTES: usize = 2048;

/// The multiplexed connection the collectors run on.
pub type RouterMux<'b, R, W> = Mux<'b, R, W, (), SLOTS, SLOT_BYTES>;

macro_rules! collectors {
    ($($variant:ident $name:literal $on:literal $doc:literal,)*) => {
        /// A group of related commands, switched on or off in the configuration.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Collector {
            $(#[doc = $doc] $variant),*
        }

        impl Collector {
            /// Every collector, in run order.
            pub const ALL: &'static [Collector] = &[$(Collector::$variant),*];

            /// The name used in the configuration and in the `collector` label.
            pub fn name(self) -> &'static str {
                match self { $(Collector::$variant => $name),* }
            }

            /// Whether it runs when the configuration does not say.
            pub fn default_on(self) -> bool {
                match self { $(Collector::$variant => $on),* }
            }
        }
    };
}

collectors! {
    System "system" true "`/system/identity` and `/system/resource`: identity, version, board, uptime, CPU, memory, storage.",
    Health "health" true "`/system/health`: temperatures, voltages, fans, power.",
    Interface "interface" true "`/interface`: traffic, error and drop counters, running and disabled state.",
    Dhcp "dhcp" true "`/ip/dhcp-server/lease`: leases counted by server and status.",
    Firewall "firewall" true "`/ip/firewall/filter`, `nat`, `mangle` with `stats`: bytes and packets per rule.",
    Wireless "wireless" true "`/interface/wireless/registration-table`: clients, signal, traffic (wireless package).",
    Wifi "wifi" true "`/interface/wifi/registration-table`: the same for the wifi package (RouterOS 7.13+).",
    Route "route" true "`/ip/route` with `count-only`: the number of routes.",
    Connection "connection" true "`/ip/firewall/connection` with `count-only`: tracked connections.",
    Poe "poe" true "`/interface/ethernet/poe`: PoE output state, voltage, current, power.",
    Netwatch "netwatch" true "`/tool/netwatch`: whether each watched host is up.",
    Queue "queue" true "`/queue/simple` and `/queue/tree`: bytes, packets and drops per queue.",
}

impl Collector {
    /// The collector called `name`.
    pub fn from_name(name: &str) -> Option<Collector> {
        Self::ALL.iter().copied().find(|c| c.name() == name)
    }
}

/// Text of a value: UTF-8, or Windows-1252 read losslessly. Shared, so the samples of one
/// interface or rule hold one copy of its name.
fn text(v: Option<Value<'_>>) -> Arc<str> {
    v.map(|v| Arc::from(v.to_string()))
        .unwrap_or_else(|| Arc::from(""))
}

/// A number, where RouterOS writes one.
fn num(v: Option<Value<'_>>) -> Option<f64> {
    v?.parse::<f64>().filter(|f| f.is_finite())
}

/// `yes`/`true` → 1, `no`/`false` → 0.
fn flag(v: Option<Value<'_>>) -> Option<f64> {
    v?.to_bool().map(|b| f64::from(u8::from(b)))
}

/// The leading signed number of a value such as `-65dBm@6Mbps` or `-65`.
fn leading_number(v: Option<Value<'_>>) -> Option<f64> {
    let s = v?.as_str()?;
    let end = s
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_digit() || *c == '.' || (*i == 0 && (*c == '-' || *c == '+'))))
        .map_or(s.len(), |(i, _)| i);
    s[..end].parse::<f64>().ok().filter(|f| f.is_finite())
}

/// The two numbers of `A/B` (simple queues) or `A,B` (registration tables).
fn pair(v: Option<Value<'_>>, sep: char) -> Option<(f64, f64)> {
    let s = v?.as_str()?;
    let (a, b) = s.split_once(sep)?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

/// RouterOS durations: `1w2d3h4m5s` (v7, also with `ms`), or `2d03:04:05` (v6).
pub fn parse_uptime(s: &str) -> Option<f64> {
    let (days_part, clock) = match s.rfind(|c: char| c.is_ascii_alphabetic()) {
        Some(i) if s[i + 1..].contains(':') => (&s[..=i], Some(&s[i + 1..])),
        None if s.contains(':') => ("", Some(s)),
        _ => (s, None),
    };
    let mut total = 0.0;
    let mut digits = String::new();
    let mut chars = days_part.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            digits.push(c);
            continue;
        }
        let n: f64 = digits.parse().ok()?;
        digits.clear();
        let unit = match c {
            'w' => 604_800.0,
            'd' => 86_400.0,
            'h' => 3_600.0,
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                0.001
            }
            'm' => 60.0,
            's' => 1.0,
            _ => return None,
        };
        total += n * unit;
        any = true;
    }
    if !digits.is_empty() {
        return None;
    }
    if let Some(clock) = clock {
        let mut parts = clock.split(':');
        let (h, m, sec) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        total += h.parse::<f64>().ok()? * 3600.0
            + m.parse::<f64>().ok()? * 60.0
            + sec.parse::<f64>().ok()?;
        any = true;
    }
    any.then_some(total)
}

/// Runs one command to its end, handing each row to `f`. The first error (a trap) is returned
/// after the reply was read to its `!done`, so the connection stays in step.
async fn each_row<R: Read, W: Write>(
    mux: &RouterMux<'_, R, W>,
    words: &[&str],
    mut f: impl FnMut(&Row<'_>),
) -> Result<Done, Error> {
    let mut response = mux.command_wait(words).await?;
    let mut first = None;
    while let Some(item) = response.next().await {
        match item {
            Ok(row) => f(&row),
            Err(e) => {
                first.get_or_insert(e);
            }
        }
    }
    match first {
        Some(e) => Err(e),
        None => response.finish().await,
    }
}

/// A `count-only` print: the number in `!done =ret=`.
async fn count<R: Read, W: Write>(mux: &RouterMux<'_, R, W>, path: &str) -> Result<f64, Error> {
    let done = each_row(mux, &[path, "=count-only="], |_| {}).await?;
    let ret = done.ret();
    num(ret).ok_or(Error::NotFound)
}

/// Why a collector failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CollectError {
    /// The router answered with an error (for instance a menu it does not have).
    Router(Error),
    /// The collector did not finish within the collection's deadline.
    Timeout,
}

impl std::fmt::Display for CollectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Router(e) => write!(f, "{e}"),
            Self::Timeout => f.write_str("timed out"),
        }
    }
}

impl std::error::Error for CollectError {}

impl CollectError {
    /// Whether the connection itself is broken (so the router must be reconnected).
    pub fn is_fatal(&self) -> bool {
        match self {
            Self::Router(e) => e.is_fatal() || matches!(e, Error::StaleHandle),
            Self::Timeout => false,
        }
    }
}

impl From<Error> for CollectError {
    fn from(e: Error) -> Self {
        Self::Router(e)
    }
}

/// What one collector produced.
#[derive(Debug)]
pub struct Outcome {
    /// The collector.
    pub collector: Collector,
    /// Its samples, or why it failed (its series are then absent).
    pub result: Result<Vec<Sample>, CollectError>,
    /// How long it took.
    pub elapsed: Duration,
}

/// Runs `collectors` concurrently on `mux`, each within `timeout`.
pub async fn collect_all<R: Read, W: Write>(
    mux: &RouterMux<'_, R, W>,
    collectors: &[Collector],
    timeout: Duration,
) -> Vec<Outcome> {
    let runs = collectors.iter().map(|&c| async move {
        let start = Instant::now();
        let result = match tokio::time::timeout(timeout, run(mux, c)).await {
            Ok(r) => r,
            Err(_) => Err(CollectError::Timeout),
        };
        Outcome {
            collector: c,
            result,
            elapsed: start.elapsed(),
        }
    });
    futures_util::future::join_all(runs).await
}

/// Runs one collector.
pub async fn run<R: Read, W: Write>(
    mux: &RouterMux<'_, R, W>,
    collector: Collector,
) -> Result<Vec<Sample>, CollectError> {
    let mut out = Vec::new();
    match collector {
        Collector::System => system(mux, &mut out).await?,
        Collector::Health => health(mux, &mut out).await?,
        Collector::Interface => interface(mux, &mut out).await?,
        Collector::Dhcp => dhcp(mux, &mut out).await?,
        Collector::Firewall => firewall(mux, &mut out).await?,
        Collector::Wireless => {
            registrations(
                mux,
                "/interface/wireless/registration-table/print",
                "signal-strength",
                &mut out,
            )
            .await?
        }
        Collector::Wifi => {
            registrations(
                mux,
                "/interface/wifi/registration-table/print",
                "signal",
                &mut out,
            )
            .await?
        }
        Collector::Route => out.push(Sample::bare(
            Metric::Routes,
            count(mux, "/ip/route/print").await?,
        )),
        Collector::Connection => out.push(Sample::bare(
            Metric::Connections,
            count(mux, "/ip/firewall/connection/print").await?,
        )),
        Collector::Poe => poe(mux, &mut out).await?,
        Collector::Netwatch => netwatch(mux, &mut out).await?,
        Collector::Queue => queue(mux, &mut out).await?,
    }
    Ok(out)
}

async fn system<R: Read, W: Write>(
    mux: &RouterMux<'_, R, W>,
    out: &mut Vec<Sample>,
) -> Result<(), Error> {
    let mut identity: Arc<str> = Arc::from("");
    let mut info: Vec<(&'static str, Arc<str>)> = Vec::new();
    let mut values: Vec<Sample> = Vec::new();
    let (a, b) = tokio::join!(
        each_row(mux, &["/system/identity/print", "=.proplist=name"], |row| {
            identity = text(row.get("name"));
        }),
        each_row(
            mux,
            &[
                "/system/resource/print",
                "=.proplist=uptime,version,board-name,architecture-name,cpu-load,cpu-count,cpu-frequency,free-memory,total-memory,free-hdd-space,total-hdd-space",
            ],
            |row| {
                info = vec![
                    ("version", text(row.get("version"))),
                    ("board", text(row.get("board-name"))),
                    ("architecture", text(row.get("architecture-name"))),
                ];
                let mut put = |m, v: Option<f64>| {
                    if let Some(v) = v {
                        values.push(Sample::bare(m, v));
                    }
                };
                put(Metric::Uptime, row.get("uptime").and_then(|v| v.as_str()).and_then(parse_uptime));
                put(Metric::CpuLoad, num(row.get("cpu-load")).map(|p| p / 100.0));
                put(Metric::CpuCount, num(row.get("cpu-count")));
                put(Metric::CpuFrequency, num(row.get("cpu-frequency")).map(|mhz| mhz * 1e6));
                put(Metric::FreeMemory, num(row.get("free-memory")));
                put(Metric::TotalMemory, num(row.get("total-memory")));
                put(Metric::FreeHdd, num(row.get("free-hdd-space")));
                put(Metric::TotalHdd, num(row.get("total-hdd-space")));
            }
        )
    );
    a?;
    b?;
    let mut labels = vec![("identity", identity)];
    labels.extend(info);
    out.push(Sample::new(Metric::SystemInfo, labels, 1.0));
    out.extend(values);
    Ok(())
}

async fn health<R: Read, W: Write>(
    mux: &RouterMux<'_, R, W>,
    out: &mut Vec<Sample>,
) -> Result<(), Error> {
    each_row(mux, &["/system/health/print"], |row| {
        if let (Some(name), Some(value)) = (row.get("name"), num(row.get("value"))) {
            // RouterOS 7: one row per sensor.
            out.push(Sample::new(
                Metric::Health,
                vec![
                    ("sensor", name.to_string().into()),
                    ("unit", text(row.get("type"))),
                ],
                value,
            ));
        } else {
            // RouterOS 6: one row, one attribute per sensor.
            for (key, value) in row.attributes() {
                if key.as_bytes().starts_with(b".") {
                    continue;
                }
                if let Some(v) = num(Some(value)) {
                    out.push(Sample::new(
                        Metric::Health,
                        vec![("sensor", key.to_string().into()), ("unit", "".into())],
                        v,
                    ));
                }
            }
        }
    })
    .await
    .map(|_| ())
}

async fn interface<R: Read, W: Write>(
    mux: &RouterMux<'_, R, W>,
    out: &mut Vec<Sample>,
) -> Result<(), Error> {
    const COUNTERS: [(&str, Metric); 9] = [
        ("rx-byte", Metric::InterfaceRxBytes),
        ("tx-byte", Metric::InterfaceTxBytes),
        ("rx-packet", Metric::InterfaceRxPackets),
        ("tx-packet", Metric::InterfaceTxPackets),
        ("rx-error", Metric::InterfaceRxErrors),
        ("tx-error", Metric::InterfaceTxErrors),
        ("rx-drop", Metric::InterfaceRxDrops),
        ("tx-drop", Metric::InterfaceTxDrops),
        ("link-downs", Metric::InterfaceLinkDowns),
    ];
    each_row(
        mux,
        &[
            "/interface/print",
            "=.proplist=name,type,comment,running,disabled,rx-byte,tx-byte,rx-packet,tx-packet,rx-error,tx-error,rx-drop,tx-drop,link-downs",
        ],
        |row| {
            let name = text(row.get("name"));
            let l = || vec![("interface", name.clone())];
            for (key, metric) in COUNTERS {
                if let Some(v) = num(row.get(key)) {
                    out.push(Sample::new(metric, l(), v));
                }
            }
            if let Some(v) = flag(row.get("running")) {
                out.push(Sample::new(Metric::InterfaceRunning, l(), v));
            }
            if let Some(v) = flag(row.get("disabled")) {
                out.push(Sample::new(Metric::InterfaceDisabled, l(), v));
            }
            out.push(Sample::new(
                Metric::InterfaceInfo,
                vec![
                    ("interface", name.clone()),
                    ("type", text(row.get("type"))),
                    ("comment", text(row.get("comment"))),
                ],
                1.0,
            ));
        },
    )
    .await
    .map(|_| ())
}

/// A DHCP server and a lease status.
type LeaseKey = (Arc<str>, Arc<str>);

async fn dhcp<R: Read, W: Write>(
    mux: &RouterMux<'_, R, W>,
    out: &mut Vec<Sample>,
) -> Result<(), Error> {
    // (server, status) → leases.
    let mut counts: Vec<(LeaseKey, f64)> = Vec::new();
    each_row(
        mux,
        &["/ip/dhcp-server/lease/print", "=.proplist=server,status"],
        |row| {
            let key = (text(row.get("server")), text(row.get("status")));
            match counts.iter_mut().find(|(k, _)| *k == key) {
                Some((_, n)) => *n += 1.0,
                None => counts.push((key, 1.0)),
            }
        },
    )
    .await?;
    for ((server, status), n) in counts {
        out.push(Sample::new(
            Metric::DhcpLeases,
            vec![("server", server), ("status", status)],
            n,
        ));
    }
    Ok(())
}

async fn firewall<R: Read, W: Write>(
    mux: &RouterMux<'_, R, W>,
    out: &mut Vec<Sample>,
) -> Result<(), Error> {
    let table = |path: &'static str, name: &'static str| async move {
        let mut rows = Vec::new();
        each_row(
            mux,
            &[
                path,
                "=stats=",
                "=.proplist=.id,chain,action,comment,bytes,packets",
            ],
            |row| {
                let labels = vec![
                    ("table", name.into()),
                    ("chain", text(row.get("chain"))),
                    ("action", text(row.get("action"))),
                    ("rule", text(row.get(".id"))),
                    ("comment", text(row.get("comment"))),
                ];
                if let Some(b) = num(row.get("bytes")) {
                    rows.push(Sample::new(Metric::FirewallBytes, labels.clone(), b));
                }
                if let Some(p) = num(row.get("packets")) {
                    rows.push(Sample::new(Metric::FirewallPackets, labels, p));
                }
            },
        )
        .await
        .map(|_| rows)
    };
    let (f, n, m) = tokio::join!(
        table("/ip/firewall/filter/print", "filter"),
        table("/ip/firewall/nat/print", "nat"),
        table("/ip/firewall/mangle/print", "mangle"),
    );
    out.extend(f?);
    out.extend(n?);
    out.extend(m?);
    Ok(())
}

async fn registrations<R: Read, W: Write>(
    mux: &RouterMux<'_, R, W>,
    path: &str,
    signal_key: &str,
    out: &mut Vec<Sample>,
) -> Result<(), Error> {
    let proplist = format!("=.proplist=interface,mac-address,{signal_key},bytes");
    let mut clients: Vec<(Arc<str>, f64)> = Vec::new();
    each_row(mux, &[path, &proplist], |row| {
        let iface = text(row.get("interface"));
        let l = || {
            vec![
                ("interface", iface.clone()),
                ("mac", text(row.get("mac-address"))),
            ]
        };
        if let Some(s) = leading_number(row.get(signal_key)) {
            out.push(Sample::new(Metric::WirelessSignal, l(), s));
        }
        if let Some((tx, rx)) = pair(row.get("bytes"), ',') {
            out.push(Sample::new(Metric::WirelessTxBytes, l(), tx));
            out.push(Sample::new(Metric::WirelessRxBytes, l(), rx));
        }
        match clients.iter_mut().find(|(i, _)| *i == iface) {
            Some((_, n)) => *n += 1.0,
            None => clients.push((iface, 1.0)),
        }
    })
    .await?;
    for (iface, n) in clients {
        out.push(Sample::new(
            Metric::WirelessClients,
            vec![("interface", iface)],
            n,
        ));
    }
    Ok(())
}

async fn poe<R: Read, W: Write>(
    mux: &RouterMux<'_, R, W>,
    out: &mut Vec<Sample>,
) -> Result<(), Error> {
    each_row(
        mux,
        &[
            "/interface/ethernet/poe/print",
            "=.proplist=name,poe-out,poe-out-voltage,poe-out-current,poe-out-power",
        ],
        |row| {
            let l = || vec![("interface", text(row.get("name")))];
            if let Some(mode) = row.get("poe-out") {
                let on = !matches!(mode.as_bytes(), b"off" | b"disabled");
                out.push(Sample::new(Metric::PoeOut, l(), f64::from(u8::from(on))));
            }
            if let Some(v) = leading_number(row.get("poe-out-voltage")) {
                out.push(Sample::new(Metric::PoeVoltage, l(), v));
            }
            // RouterOS reports the current in mA.
            if let Some(v) = leading_number(row.get("poe-out-current")) {
                out.push(Sample::new(Metric::PoeCurrent, l(), v / 1000.0));
            }
            if let Some(v) = leading_number(row.get("poe-out-power")) {
                out.push(Sample::new(Metric::PoePower, l(), v));
            }
        },
    )
    .await
    .map(|_| ())
}

async fn netwatch<R: Read, W: Write>(
    mux: &RouterMux<'_, R, W>,
    out: &mut Vec<Sample>,
) -> Result<(), Error> {
    each_row(
        mux,
        &[
            "/tool/netwatch/print",
            "=.proplist=host,status,comment,disabled",
        ],
        |row| {
            if flag(row.get("disabled")) == Some(1.0) {
                return;
            }
            let up = match row.get("status").map(|v| v.as_bytes()) {
                Some(b"up") => 1.0,
                Some(b"down") => 0.0,
                _ => return,
            };
            out.push(Sample::new(
                Metric::NetwatchUp,
                vec![
                    ("host", text(row.get("host"))),
                    ("comment", text(row.get("comment"))),
                ],
                up,
            ));
        },
    )
    .await
    .map(|_| ())
}

async fn queue<R: Read, W: Write>(
    mux: &RouterMux<'_, R, W>,
    out: &mut Vec<Sample>,
) -> Result<(), Error> {
    const KEYS: [(&str, Metric); 3] = [
        ("bytes", Metric::QueueBytes),
        ("packets", Metric::QueuePackets),
        ("dropped", Metric::QueueDropped),
    ];
    let mut simple = Vec::new();
    let mut tree = Vec::new();
    let (a, b) = tokio::join!(
        each_row(
            mux,
            &[
                "/queue/simple/print",
                "=.proplist=name,bytes,packets,dropped"
            ],
            |row| {
                let name = text(row.get("name"));
                for (key, metric) in KEYS {
                    // Simple queues write `upload/download`.
                    if let Some((up, down)) = pair(row.get(key), '/') {
                        for (dir, v) in [("upload", up), ("download", down)] {
                            simple.push(Sample::new(
                                metric,
                                vec![
                                    ("type", "simple".into()),
                                    ("queue", name.clone()),
                                    ("direction", dir.into()),
                                ],
                                v,
                            ));
                        }
                    }
                }
            }
        ),
        each_row(
            mux,
            &[
                "/queue/tree/print",
                "=.proplist=name,parent,bytes,packets,dropped"
            ],
            |row| {
                let name = text(row.get("name"));
                for (key, metric) in KEYS {
                    if let Some(v) = num(row.get(key)) {
                        tree.push(Sample::new(
                            metric,
                            vec![
                                ("type", "tree".into()),
                                ("queue", name.clone()),
                                ("parent", text(row.get("parent"))),
                            ],
                            v,
                        ));
                    }
                }
            }
        ),
    );
    a?;
    b?;
    out.extend(simple);
    out.extend(tree);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptimes() {
        assert_eq!(
            parse_uptime("3d4h5m6s"),
            Some(3.0 * 86400.0 + 4.0 * 3600.0 + 5.0 * 60.0 + 6.0)
        );
        assert_eq!(parse_uptime("1w"), Some(604_800.0));
        assert_eq!(parse_uptime("500ms"), Some(0.5));
        assert_eq!(
            parse_uptime("2d03:04:05"),
            Some(2.0 * 86400.0 + 3.0 * 3600.0 + 4.0 * 60.0 + 5.0)
        );
        assert_eq!(
            parse_uptime("03:04:05"),
            Some(3.0 * 3600.0 + 4.0 * 60.0 + 5.0)
        );
        for bad in ["", "x", "5", "3q", "1:2", "1:2:3:4", "d"] {
            assert_eq!(parse_uptime(bad), None, "{bad}");
        }
    }

    #[test]
    fn numbers_in_text() {
        assert_eq!(
            leading_number(Some(Value::new(b"-65dBm@6Mbps"))),
            Some(-65.0)
        );
        assert_eq!(leading_number(Some(Value::new(b"24.1V"))), Some(24.1));
        assert_eq!(leading_number(Some(Value::new(b"dBm"))), None);
        assert_eq!(pair(Some(Value::new(b"10/20")), '/'), Some((10.0, 20.0)));
        assert_eq!(pair(Some(Value::new(b"10,x")), ','), None);
        assert_eq!(num(Some(Value::new(b"NaN"))), None);
        assert_eq!(flag(Some(Value::new(b"yes"))), Some(1.0));
    }

    #[test]
    fn names_round_trip() {
        for c in Collector::ALL {
            assert_eq!(Collector::from_name(c.name()), Some(*c));
        }
    }
}
