//! Metric families, per-router state, and their encoding in the Prometheus/OpenMetrics text
//! format through `prometheus-client`.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard};

use prometheus_client::collector::Collector as PromCollector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelSet, EncodeLabelValue, LabelSetEncoder, LabelValueEncoder,
};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

/// Label names the exporter sets itself; configured labels may not use them.
pub const RESERVED_LABELS: &[&str] = &[
    "router",
    "collector",
    "interface",
    "type",
    "comment",
    "identity",
    "version",
    "board",
    "architecture",
    "sensor",
    "unit",
    "server",
    "status",
    "table",
    "chain",
    "action",
    "rule",
    "mac",
    "host",
    "queue",
    "parent",
    "direction",
    "reason",
    "job",
    "instance",
];

/// Whether a family is a gauge or a counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Goes up and down.
    Gauge,
    /// Only goes up (until the router restarts); exposed with `_total`.
    Counter,
}

macro_rules! metrics {
    ($($variant:ident: $kind:ident $name:literal $help:literal,)*) => {
        /// Every metric family the exporter writes, in output order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[allow(missing_docs)]
        pub enum Metric { $($variant),* }

        impl Metric {
            /// All families in output order.
            pub const ALL: &'static [Metric] = &[$(Metric::$variant),*];

            /// The exposed name (counters end in `_total`).
            pub fn name(self) -> &'static str {
                match self { $(Metric::$variant => $name),* }
            }

            /// The HELP text.
            pub fn help(self) -> &'static str {
                match self { $(Metric::$variant => $help),* }
            }

            /// Gauge or counter.
            pub fn kind(self) -> Kind {
                match self { $(Metric::$variant => Kind::$kind),* }
            }
        }
    };
}

metrics! {
    Up: Gauge "routeros_up" "1 if the last collection from the router succeeded (connected, logged in, answered), else 0.",
    ScrapeDuration: Gauge "routeros_scrape_duration_seconds" "Duration of the router's last collection (all collectors, concurrently).",
    LastSuccess: Gauge "routeros_last_success_timestamp_seconds" "Unix time of the router's last successful collection.",
    CollectorDuration: Gauge "routeros_collector_duration_seconds" "Duration of one collector's part of the last collection.",
    CollectorSuccess: Gauge "routeros_collector_success" "1 if the collector's last run succeeded, else 0.",
    CollectorErrors: Counter "routeros_collector_errors_total" "Failed collector runs (a trap such as a menu the router lacks, a timeout, a lost connection).",
    Connects: Counter "routeros_connects_total" "Connections opened and logged in.",
    ConnectFailures: Counter "routeros_connect_failures_total" "Failed attempts to connect (refused, unreachable, timed out, TLS failures).",
    LoginFailures: Counter "routeros_login_failures_total" "Logins the router refused (wrong user name or password).",
    Backoff: Gauge "routeros_backoff_seconds" "Current wait before the next connection attempt; 0 while connected.",
    SystemInfo: Gauge "routeros_system_info" "Identity, version and board of the router (value 1).",
    Uptime: Gauge "routeros_system_uptime_seconds" "Time since the router booted.",
    CpuLoad: Gauge "routeros_system_cpu_load_ratio" "CPU load, 0 to 1.",
    CpuCount: Gauge "routeros_system_cpu_count" "Number of CPUs.",
    CpuFrequency: Gauge "routeros_system_cpu_frequency_hertz" "CPU clock.",
    FreeMemory: Gauge "routeros_system_free_memory_bytes" "Free RAM.",
    TotalMemory: Gauge "routeros_system_total_memory_bytes" "Total RAM.",
    FreeHdd: Gauge "routeros_system_free_hdd_bytes" "Free storage.",
    TotalHdd: Gauge "routeros_system_total_hdd_bytes" "Total storage.",
    Health: Gauge "routeros_system_health" "A /system/health reading (temperature, voltage, fan speed, power...) in the unit of its `unit` label.",
    InterfaceRxBytes: Counter "routeros_interface_rx_bytes_total" "Bytes received on the interface.",
    InterfaceTxBytes: Counter "routeros_interface_tx_bytes_total" "Bytes sent on the interface.",
    InterfaceRxPackets: Counter "routeros_interface_rx_packets_total" "Packets received on the interface.",
    InterfaceTxPackets: Counter "routeros_interface_tx_packets_total" "Packets sent on the interface.",
    InterfaceRxErrors: Counter "routeros_interface_rx_errors_total" "Receive errors on the interface.",
    InterfaceTxErrors: Counter "routeros_interface_tx_errors_total" "Transmit errors on the interface.",
    InterfaceRxDrops: Counter "routeros_interface_rx_drops_total" "Received packets dropped on the interface.",
    InterfaceTxDrops: Counter "routeros_interface_tx_drops_total" "Packets to send dropped on the interface.",
    InterfaceLinkDowns: Counter "routeros_interface_link_downs_total" "Times the interface's link went down.",
    InterfaceRunning: Gauge "routeros_interface_running" "1 if the interface is running (enabled with link).",
    InterfaceDisabled: Gauge "routeros_interface_disabled" "1 if the interface is disabled.",
    InterfaceInfo: Gauge "routeros_interface_info" "Type and comment of the interface (value 1).",
    DhcpLeases: Gauge "routeros_dhcp_leases" "DHCP server leases by server and status.",
    FirewallBytes: Counter "routeros_firewall_rule_bytes_total" "Bytes matched by a firewall rule (filter, nat, mangle).",
    FirewallPackets: Counter "routeros_firewall_rule_packets_total" "Packets matched by a firewall rule (filter, nat, mangle).",
    WirelessClients: Gauge "routeros_wireless_clients" "Registered wireless clients per interface (wireless and wifi packages).",
    WirelessSignal: Gauge "routeros_wireless_client_signal_dbm" "Signal strength of a registered wireless client.",
    WirelessRxBytes: Counter "routeros_wireless_client_rx_bytes_total" "Bytes received from a wireless client.",
    WirelessTxBytes: Counter "routeros_wireless_client_tx_bytes_total" "Bytes sent to a wireless client.",
    Routes: Gauge "routeros_routes" "Routes in /ip/route.",
    Connections: Gauge "routeros_firewall_connections" "Tracked connections in /ip/firewall/connection.",
    PoeOut: Gauge "routeros_poe_out_enabled" "1 if PoE output is on or automatic on the interface.",
    PoeVoltage: Gauge "routeros_poe_out_voltage_volts" "PoE output voltage.",
    PoeCurrent: Gauge "routeros_poe_out_current_amperes" "PoE output current.",
    PoePower: Gauge "routeros_poe_out_power_watts" "PoE output power.",
    NetwatchUp: Gauge "routeros_netwatch_up" "1 if the netwatch host is up.",
    QueueBytes: Counter "routeros_queue_bytes_total" "Bytes through a simple queue or queue tree entry.",
    QueuePackets: Counter "routeros_queue_packets_total" "Packets through a simple queue or queue tree entry.",
    QueueDropped: Counter "routeros_queue_dropped_packets_total" "Packets dropped by a simple queue or queue tree entry.",
}

/// One value of one series: a family, its labels (besides `router` and the configured ones)
/// and the value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The family.
    pub metric: Metric,
    /// Label pairs; values are raw text from the router (escaped when encoded).
    pub labels: Box<[(&'static str, Arc<str>)]>,
    /// The value.
    pub value: f64,
}

impl Sample {
    /// A sample.
    pub fn new(metric: Metric, labels: Vec<(&'static str, Arc<str>)>, value: f64) -> Self {
        Self {
            metric,
            labels: labels.into_boxed_slice(),
            value,
        }
    }

    /// A sample with no labels of its own.
    pub fn bare(metric: Metric, value: f64) -> Self {
        Self::new(metric, Vec::new(), value)
    }
}

/// How one collector fared in the last collection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CollectorState {
    /// Whether its last run succeeded.
    pub ok: bool,
    /// How long its last run took.
    pub seconds: f64,
    /// Failed runs so far.
    pub errors: u64,
    /// Why the last run failed (escaped text, for logs and JSON).
    pub last_error: Option<String>,
}

/// What the exporter knows about one router.
#[derive(Debug, Clone, Default)]
pub struct RouterState {
    /// Whether the last collection succeeded.
    pub up: bool,
    /// The router's samples from its last successful collection, sorted by family.
    pub samples: Vec<Sample>,
    /// Duration of the last collection in seconds.
    pub scrape_seconds: f64,
    /// Unix time of the last successful collection.
    pub last_success: Option<f64>,
    /// Per collector, by collector name.
    pub collectors: Vec<(&'static str, CollectorState)>,
    /// Connections opened and logged in.
    pub connects: u64,
    /// Failed connection attempts.
    pub connect_failures: u64,
    /// Refused logins.
    pub login_failures: u64,
    /// Current back-off in seconds (0 while connected).
    pub backoff_seconds: f64,
    /// The last connection or login error (escaped text).
    pub last_error: Option<String>,
}

impl RouterState {
    /// The state of collector `name`, created on first use.
    pub fn collector(&mut self, name: &'static str) -> &mut CollectorState {
        let i = match self.collectors.iter().position(|(n, _)| *n == name) {
            Some(i) => i,
            None => {
                self.collectors.push((name, CollectorState::default()));
                self.collectors.len() - 1
            }
        };
        &mut self.collectors[i].1
    }

    /// Calls `f` with each of the exporter's own series about this router for `metric`
    /// (up, durations, failures): the collector's name if the series has one, and the value.
    pub fn each_status(&self, metric: Metric, mut f: impl FnMut(Option<&'static str>, f64)) {
        let count = |n: u64| n as f64;
        match metric {
            Metric::Up => f(None, f64::from(u8::from(self.up))),
            Metric::ScrapeDuration => f(None, self.scrape_seconds),
            Metric::LastSuccess => {
                if let Some(t) = self.last_success {
                    f(None, t)
                }
            }
            Metric::CollectorDuration => self
                .collectors
                .iter()
                .for_each(|(n, c)| f(Some(n), c.seconds)),
            Metric::CollectorSuccess => self
                .collectors
                .iter()
                .for_each(|(n, c)| f(Some(n), f64::from(u8::from(c.ok)))),
            Metric::CollectorErrors => self
                .collectors
                .iter()
                .for_each(|(n, c)| f(Some(n), count(c.errors))),
            Metric::Connects => f(None, count(self.connects)),
            Metric::ConnectFailures => f(None, count(self.connect_failures)),
            Metric::LoginFailures => f(None, count(self.login_failures)),
            Metric::Backoff => f(None, self.backoff_seconds),
            _ => {}
        }
    }

    /// The router's samples of `metric` (they are sorted by family).
    pub fn samples_of(&self, metric: Metric) -> &[Sample] {
        let start = self.samples.partition_point(|s| s.metric < metric);
        let end = self.samples.partition_point(|s| s.metric <= metric);
        &self.samples[start..end]
    }
}

/// One router as the encoder sees it: its constant labels and its shared state.
#[derive(Debug)]
pub struct RouterSlot {
    /// The router's name (label `router`).
    pub name: String,
    /// The configured labels.
    pub labels: Vec<(String, String)>,
    /// The state, written by the router's task.
    pub state: Mutex<RouterState>,
}

impl RouterSlot {
    /// A slot with an empty state.
    pub fn new(name: String, labels: Vec<(String, String)>) -> Self {
        Self {
            name,
            labels,
            state: Mutex::new(RouterState::default()),
        }
    }

    /// Locks the state (a poisoned lock is still used: each write leaves it consistent).
    pub fn lock(&self) -> MutexGuard<'_, RouterState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A label value written with the escapes the text formats require (`\\`, `\"`, `\n`):
/// `prometheus-client` writes label values as they are.
struct Escaped<'a>(&'a str);

impl EncodeLabelValue for Escaped<'_> {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        let bytes = self.0.as_bytes();
        let special = |b: &u8| matches!(b, b'\\' | b'"' | b'\n');
        if !bytes.iter().any(special) {
            return encoder.write_str(self.0);
        }
        let mut start = 0;
        for (i, b) in bytes.iter().enumerate().filter(|(_, b)| special(b)) {
            // The special bytes are ASCII, so `i` is on a character boundary.
            encoder.write_str(&self.0[start..i])?;
            encoder.write_str(match b {
                b'\\' => "\\\\",
                b'"' => "\\\"",
                _ => "\\n",
            })?;
            start = i + 1;
        }
        encoder.write_str(&self.0[start..])
    }
}

/// The labels of one series: `router`, the sample's own, the configured ones.
struct SeriesLabels<'a> {
    router: &'a str,
    collector: Option<&'static str>,
    own: &'a [(&'static str, Arc<str>)],
    configured: &'a [(String, String)],
}

impl EncodeLabelSet for SeriesLabels<'_> {
    fn encode(&self, encoder: &mut LabelSetEncoder) -> Result<(), std::fmt::Error> {
        ("router", Escaped(self.router)).encode(encoder.encode_label())?;
        if let Some(c) = self.collector {
            ("collector", Escaped(c)).encode(encoder.encode_label())?;
        }
        for (k, v) in self.own {
            (*k, Escaped(v)).encode(encoder.encode_label())?;
        }
        for (k, v) in self.configured {
            (k.as_str(), Escaped(v)).encode(encoder.encode_label())?;
        }
        Ok(())
    }
}

// `(K, V)` is `EncodeLabel` for any key and value types, which the set above relies on.
use prometheus_client::encoding::EncodeLabel as _;

/// One family of a set of routers, as a `prometheus-client` collector. Each router's state is
/// locked only while its own series are written; nothing is copied.
#[derive(Debug)]
struct FamilyCollector {
    routers: Arc<Vec<Arc<RouterSlot>>>,
    metric: Metric,
}

impl PromCollector for FamilyCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let metric = self.metric;
        // Counters are named without `_total` here: the encoder appends it.
        let (name, kind) = match metric.kind() {
            Kind::Counter => (
                metric
                    .name()
                    .strip_suffix("_total")
                    .unwrap_or(metric.name()),
                MetricType::Counter,
            ),
            Kind::Gauge => (metric.name(), MetricType::Gauge),
        };
        let mut family = encoder.encode_descriptor(name, metric.help(), None, kind)?;
        let mut write = |labels: &SeriesLabels<'_>, value: f64| -> Result<(), std::fmt::Error> {
            let mut series = family.encode_family(labels)?;
            match metric.kind() {
                Kind::Counter => series
                    .encode_counter::<prometheus_client::encoding::NoLabelSet, f64, f64>(
                        &value.max(0.0),
                        None,
                    ),
                Kind::Gauge => series.encode_gauge(&value),
            }
        };
        for slot in self.routers.iter() {
            let state = slot.lock();
            let mut result = Ok(());
            state.each_status(metric, |collector, value| {
                if result.is_ok() {
                    let labels = SeriesLabels {
                        router: &slot.name,
                        collector,
                        own: &[],
                        configured: &slot.labels,
                    };
                    result = write(&labels, value);
                }
            });
            result?;
            for sample in state.samples_of(metric) {
                let labels = SeriesLabels {
                    router: &slot.name,
                    collector: None,
                    own: &sample.labels,
                    configured: &slot.labels,
                };
                write(&labels, sample.value)?;
            }
        }
        Ok(())
    }
}

/// The families that have at least one series among `routers`.
fn present(routers: &[Arc<RouterSlot>]) -> Vec<Metric> {
    let mut seen = vec![false; Metric::ALL.len()];
    for slot in routers {
        let state = slot.lock();
        for &m in Metric::ALL {
            if !seen[m as usize] {
                state.each_status(m, |_, _| seen[m as usize] = true);
            }
        }
        for s in &state.samples {
            seen[s.metric as usize] = true;
        }
    }
    Metric::ALL
        .iter()
        .copied()
        .filter(|m| seen[*m as usize])
        .collect()
}

/// The text of one family of `routers` (without the final `# EOF`).
pub fn encode_family(routers: &Arc<Vec<Arc<RouterSlot>>>, metric: Metric) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(FamilyCollector {
        routers: routers.clone(),
        metric,
    }));
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::text::encode_registry(&mut out, &registry);
    out
}

/// The exposition of `routers` as a sequence of chunks, one family each, the last one
/// `# EOF`: a scrape of a large fleet never holds the whole text at once.
pub fn chunks(routers: Arc<Vec<Arc<RouterSlot>>>) -> impl Iterator<Item = String> {
    let families = present(&routers);
    families
        .into_iter()
        .map(move |m| encode_family(&routers, m))
        .chain(std::iter::once("# EOF\n".to_string()))
}

/// The whole OpenMetrics text of `routers` (ending in `# EOF`).
pub fn encode(routers: &Arc<Vec<Arc<RouterSlot>>>) -> String {
    chunks(routers.clone()).collect()
}

/// The content type of [`encode`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    fn fleet() -> Arc<Vec<Arc<RouterSlot>>> {
        let a = RouterSlot::new("a".into(), vec![("site".into(), "x".into())]);
        {
            let mut s = a.lock();
            s.up = true;
            s.samples = vec![
                Sample::new(
                    Metric::InterfaceRxBytes,
                    vec![("interface", "ether1".into())],
                    10.0,
                ),
                Sample::new(
                    Metric::InterfaceInfo,
                    vec![
                        ("interface", "ether1".into()),
                        ("comment", "a \"b\"\\\nc".into()),
                    ],
                    1.0,
                ),
            ];
            s.collector("interface").ok = true;
        }
        let b = RouterSlot::new("b".into(), vec![]);
        b.lock().connect_failures = 3;
        Arc::new(vec![Arc::new(a), Arc::new(b)])
    }

    #[test]
    fn names_types_and_labels() {
        let text = encode(&fleet());
        assert!(
            text.contains("# TYPE routeros_interface_rx_bytes counter"),
            "{text}"
        );
        assert!(text.contains("routeros_interface_rx_bytes_total{router=\"a\",interface=\"ether1\",site=\"x\"} 10"), "{text}");
        assert!(
            text.contains("routeros_up{router=\"a\",site=\"x\"} 1"),
            "{text}"
        );
        assert!(text.contains("routeros_up{router=\"b\"} 0"), "{text}");
        assert!(
            text.contains("routeros_connect_failures_total{router=\"b\"} 3"),
            "{text}"
        );
        assert!(
            text.contains(
                "routeros_collector_success{router=\"a\",collector=\"interface\",site=\"x\"} 1"
            ),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"));
        // Every family appears once, with its samples together.
        assert_eq!(text.matches("# TYPE routeros_up gauge").count(), 1);
    }

    #[test]
    fn label_values_are_escaped() {
        let text = encode(&fleet());
        assert!(text.contains(r#"comment="a \"b\"\\\nc""#), "{text}");
        // No sample line is broken by the newline in the comment.
        for line in text.lines() {
            assert!(
                line.starts_with('#') || line.starts_with("routeros_"),
                "broken line {line:?}"
            );
        }
    }

    #[test]
    fn counters_end_in_total_and_names_follow_conventions() {
        for m in Metric::ALL {
            let n = m.name();
            assert!(n.starts_with("routeros_"));
            assert_eq!(m.kind() == Kind::Counter, n.ends_with("_total"), "{n}");
            assert!(n.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{n}");
        }
    }
}
