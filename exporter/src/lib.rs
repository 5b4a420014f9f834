#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod collect;
pub mod config;
pub mod http;
pub mod metrics;
pub mod router;

use std::sync::Arc;

use collect::Collector;
use config::{Config, Router};
use metrics::RouterSlot;

/// `--shard I/N`: this exporter keeps the routers whose name hashes to `I` modulo `N`
/// (FNV-1a 64 of the name, see [`router::stable_hash`]), so `N` exporters with
/// `I = 0 .. N-1` split a fleet with each router in exactly one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This exporter's share, `0 <= index < count`.
    pub index: u64,
    /// How many shares.
    pub count: u64,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!(
                "`{}` is not a shard like 0/3 (index from 0 to count-1)",
                s.escape_debug()
            )
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u64 = i.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// Whether this shard takes the router called `name`.
    pub fn keeps(&self, name: &str) -> bool {
        router::stable_hash(name) % self.count == self.index
    }
}

/// The routers of `config` this exporter polls (all, or the shard's share).
pub fn selected(config: &Config, shard: Option<Shard>) -> Vec<Router> {
    config
        .routers
        .iter()
        .filter(|r| shard.is_none_or(|s| s.keeps(&r.name)))
        .cloned()
        .collect()
}

/// A slot for each router, in order.
pub fn slots(routers: &[Router]) -> Arc<Vec<Arc<RouterSlot>>> {
    Arc::new(
        routers
            .iter()
            .map(|r| Arc::new(RouterSlot::new(r.name.clone(), r.labels.clone())))
            .collect(),
    )
}

/// Polls `routers` forever and serves HTTP on `listener`. Must run inside a
/// [`tokio::task::LocalSet`] (router connections are single-threaded).
pub async fn serve(
    config: &Config,
    routers: Vec<Router>,
    listener: tokio::net::TcpListener,
) -> std::io::Result<()> {
    let slots = slots(&routers);
    let collectors: Arc<[Collector]> = config.collectors.clone().into();
    for (router, slot) in routers.into_iter().zip(slots.iter()) {
        tokio::task::spawn_local(router::run(
            router,
            collectors.clone(),
            config.timing,
            slot.clone(),
        ));
    }
    let site = http::Site::new(slots);
    loop {
        let (sock, _) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                // Out of descriptors and the like: wait instead of spinning.
                eprintln!("routeros-exporter: accept: {}", router::escaped(e));
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        tokio::task::spawn_local(http::serve_connection(sock, site.clone()));
    }
}

/// Collects every router of `routers` once, concurrently; returns one JSON object per router,
/// in order. Must run inside a [`tokio::task::LocalSet`].
pub async fn collect_once_json(config: &Config, routers: &[Router]) -> Vec<serde_json::Value> {
    let slots = slots(routers);
    let runs = routers
        .iter()
        .zip(slots.iter())
        .map(|(r, slot)| router::collect_once(r, &config.collectors, &config.timing, slot));
    futures_util::future::join_all(runs).await;
    slots.iter().map(|slot| json_of(slot)).collect()
}

/// One router's state as JSON (strings are escaped by the JSON encoder).
pub fn json_of(slot: &RouterSlot) -> serde_json::Value {
    use serde_json::{json, Map, Value};
    let state = slot.lock();
    let mut collectors = Map::new();
    for (name, c) in &state.collectors {
        collectors.insert(
            (*name).to_string(),
            json!({"ok": c.ok, "seconds": c.seconds, "error": c.last_error}),
        );
    }
    let samples: Vec<Value> = state
        .samples
        .iter()
        .map(|s| {
            let labels: Map<String, Value> = s
                .labels
                .iter()
                .map(|(k, v)| ((*k).to_string(), Value::String(v.to_string())))
                .collect();
            json!({"name": s.metric.name(), "labels": labels, "value": s.value})
        })
        .collect();
    let labels: Map<String, Value> = slot
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    json!({
        "router": slot.name,
        "labels": labels,
        "up": state.up,
        "duration_seconds": state.scrape_seconds,
        "error": state.last_error,
        "collectors": collectors,
        "metrics": samples,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse() {
        assert_eq!("1/3".parse::<Shard>(), Ok(Shard { index: 1, count: 3 }));
        for bad in ["3/3", "0/0", "x/2", "1", "-1/2", "1/"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn shards_cover_everything_once() {
        let names: Vec<String> = (0..1000).map(|i| format!("router-{i}")).collect();
        for n in 1..=7u64 {
            let mut seen = vec![0u32; names.len()];
            let mut sizes = Vec::new();
            for i in 0..n {
                let s = Shard { index: i, count: n };
                let mut size = 0;
                for (k, name) in names.iter().enumerate() {
                    if s.keeps(name) {
                        seen[k] += 1;
                        size += 1;
                    }
                }
                sizes.push(size);
            }
            assert!(seen.iter().all(|c| *c == 1), "n={n}");
            // Roughly even: no shard under half its fair share.
            assert!(
                sizes
                    .iter()
                    .all(|s| *s as u64 * n * 2 >= names.len() as u64),
                "n={n}: {sizes:?}"
            );
        }
    }
}
