//! Streaming commands: `/interface/monitor-traffic`, `/ping`, `/tool/torch` and `listen`.
//!
//! A stream sends `!re` rows until it ends by itself (count, duration, `once`) — then its
//! `!done` is sent by the caller — or until `/cancel` stops its task.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;
use tokio::time::Instant;

use crate::conn::Shared;
use crate::menus::MenuDef;
use crate::model::{Change, Row};
use crate::query::project;
use crate::reply::Reply;
use crate::writer::{Out, OutTx};

/// A stream to run, with its arguments checked.
pub(crate) enum StreamSpec {
    MonitorTraffic {
        names: Vec<Vec<u8>>,
        interval: Duration,
        once: bool,
        duration: Option<Duration>,
    },
    Ping {
        host: String,
        count: Option<u64>,
        interval: Duration,
        size: u32,
        timeout: bool,
    },
    Torch {
        interface: Vec<u8>,
        interval: Duration,
        duration: Option<Duration>,
    },
    Listen {
        menu: &'static MenuDef,
        initial: Vec<Row>,
        changes: broadcast::Receiver<Change>,
    },
    Fetch {
        size: usize,
        to_user: bool,
        unreachable: bool,
    },
    /// The same rows every second (a `monitor` without `once`).
    Repeat { rows: Vec<Row> },
}

/// What a stream needs to reply.
pub(crate) struct StreamCtx {
    pub reply: Reply,
    pub proplist: Option<Vec<String>>,
    pub tx: OutTx,
    pub shared: Arc<Shared>,
}

impl StreamCtx {
    /// Sends one row; false if the connection is gone.
    async fn row(&self, row: &Row) -> bool {
        let bytes = match &self.proplist {
            Some(p) => self.reply.re(&project(row, p)),
            None => self.reply.re(row),
        };
        self.tx.send(Out::Data(bytes)).await.is_ok()
    }

    async fn rows(&self, rows: &[Row]) -> bool {
        let mut out = Vec::new();
        for row in rows {
            match &self.proplist {
                Some(p) => self.reply.re_into(&project(row, p), &mut out),
                None => self.reply.re_into(row, &mut out),
            }
        }
        out.is_empty() || self.tx.send(Out::Data(out)).await.is_ok()
    }
}

/// A small deterministic generator for plausible, changing numbers.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A value around `base`, within ±`spread` percent.
    fn around(&mut self, base: u64, spread: u64) -> u64 {
        let span = base * spread / 100;
        if span == 0 {
            return base;
        }
        base - span + self.next() % (2 * span + 1)
    }
}

/// Formats a round-trip time as RouterOS 7 does: `10ms373us`.
fn rtt(us: u64) -> String {
    if us >= 1000 {
        format!("{}ms{}us", us / 1000, us % 1000)
    } else {
        format!("{us}us")
    }
}

/// Runs a stream. Returns true if it ended by itself (so its `!done` should be sent).
pub(crate) async fn run(spec: StreamSpec, ctx: &StreamCtx) -> bool {
    match spec {
        StreamSpec::MonitorTraffic {
            names,
            interval,
            once,
            duration,
        } => monitor_traffic(ctx, names, interval, once, duration).await,
        StreamSpec::Ping {
            host,
            count,
            interval,
            size,
            timeout,
        } => ping(ctx, host, count, interval, size, timeout).await,
        StreamSpec::Torch {
            interface,
            interval,
            duration,
        } => torch(ctx, interface, interval, duration).await,
        StreamSpec::Listen {
            menu,
            initial,
            changes,
        } => listen(ctx, menu, initial, changes).await,
        StreamSpec::Fetch {
            size,
            to_user,
            unreachable,
        } => fetch(ctx, size, to_user, unreachable).await,
        StreamSpec::Repeat { rows } => {
            let mut ticker = Ticker::new(Duration::from_secs(1), None);
            loop {
                ticker.tick().await;
                if !ctx.rows(&rows).await {
                    return false;
                }
            }
        }
    }
}

/// Ticks at `interval` from now, the first one immediately; ends at `duration` if given.
struct Ticker {
    start: Instant,
    interval: Duration,
    duration: Option<Duration>,
    n: u32,
}

impl Ticker {
    fn new(interval: Duration, duration: Option<Duration>) -> Ticker {
        Ticker {
            start: Instant::now(),
            interval,
            duration,
            n: 0,
        }
    }

    /// Waits for the next tick; false when the duration is over.
    async fn tick(&mut self) -> bool {
        let at = self.start + self.interval * self.n;
        if let Some(d) = self.duration {
            if self.interval * self.n >= d && self.n > 0 {
                // Let the duration run out before the final `!done`.
                tokio::time::sleep_until(self.start + d).await;
                return false;
            }
        }
        tokio::time::sleep_until(at).await;
        self.n += 1;
        true
    }
}

async fn monitor_traffic(
    ctx: &StreamCtx,
    names: Vec<Vec<u8>>,
    interval: Duration,
    once: bool,
    duration: Option<Duration>,
) -> bool {
    let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
    let mut ticker = Ticker::new(interval, duration);
    loop {
        if !ticker.tick().await {
            return true;
        }
        let mut rows = Vec::with_capacity(names.len());
        {
            let db = ctx.shared.db();
            for (k, name) in names.iter().enumerate() {
                let running = db
                    .find_row("interface", "name", name)
                    .is_some_and(|r| r.get("running") == Some(b"true"));
                let scale = if running { 1 } else { 0 };
                let base = 40_000_000 / (k as u64 + 1);
                let rx_bits = scale * noise.around(base, 30);
                let tx_bits = scale * noise.around(base / 4, 30);
                let rx_pps = rx_bits / 8 / 900;
                let tx_pps = tx_bits / 8 / 400;
                let row = Row::default()
                    .with("name", name.clone())
                    .with("rx-packets-per-second", rx_pps.to_string())
                    .with("rx-bits-per-second", rx_bits.to_string())
                    .with("fp-rx-packets-per-second", (rx_pps * 9 / 10).to_string())
                    .with("fp-rx-bits-per-second", (rx_bits * 9 / 10).to_string())
                    .with("rx-drops-per-second", "0")
                    .with("rx-errors-per-second", "0")
                    .with("tx-packets-per-second", tx_pps.to_string())
                    .with("tx-bits-per-second", tx_bits.to_string())
                    .with("fp-tx-packets-per-second", (tx_pps * 9 / 10).to_string())
                    .with("fp-tx-bits-per-second", (tx_bits * 9 / 10).to_string())
                    .with("tx-drops-per-second", "0")
                    .with("tx-queue-drops-per-second", "0")
                    .with("tx-errors-per-second", "0");
                rows.push(row);
            }
        }
        if !ctx.rows(&rows).await {
            return false;
        }
        if once {
            return true;
        }
    }
}

async fn ping(
    ctx: &StreamCtx,
    host: String,
    count: Option<u64>,
    interval: Duration,
    size: u32,
    timeout: bool,
) -> bool {
    let mut noise = Noise(0xD1B5_4A32_D192_ED03);
    let mut ticker = Ticker::new(interval, None);
    let (mut sent, mut received) = (0u64, 0u64);
    let (mut min, mut max, mut sum) = (u64::MAX, 0u64, 0u64);
    loop {
        if count.is_some_and(|c| sent >= c) {
            return true;
        }
        ticker.tick().await;
        let seq = sent;
        sent += 1;
        let mut row = Row::default()
            .with("seq", seq.to_string())
            .with("host", host.as_str());
        if timeout {
            // A lost reply is reported once its wait is over.
            row.push("status", "timeout");
        } else {
            received += 1;
            let t = noise.around(12_000, 40);
            min = min.min(t);
            max = max.max(t);
            sum += t;
            row.push("size", size.to_string());
            row.push("ttl", "58");
            row.push("time", rtt(t));
        }
        row.push("sent", sent.to_string());
        row.push("received", received.to_string());
        row.push("packet-loss", ((sent - received) * 100 / sent).to_string());
        if let Some(avg) = sum.checked_div(received) {
            row.push("min-rtt", rtt(min));
            row.push("avg-rtt", rtt(avg));
            row.push("max-rtt", rtt(max));
        }
        if !ctx.row(&row).await {
            return false;
        }
    }
}

async fn torch(
    ctx: &StreamCtx,
    interface: Vec<u8>,
    interval: Duration,
    duration: Option<Duration>,
) -> bool {
    let _ = interface;
    let mut noise = Noise(0xA076_1D64_78BD_642F);
    let mut ticker = Ticker::new(interval, duration);
    let flows: [(&str, &str, &str, &str, &str); 3] = [
        ("192.168.88.254", "93.184.216.34", "tcp", "51514", "443"),
        ("192.168.88.253", "1.1.1.1", "udp", "40123", "53"),
        ("192.168.88.252", "192.168.88.1", "tcp", "52100", "8728"),
    ];
    let mut section = 0u64;
    loop {
        if !ticker.tick().await {
            return true;
        }
        let rows: Vec<Row> = flows
            .iter()
            .enumerate()
            .map(|(k, (src, dst, proto, sport, dport))| {
                let base = 2_000_000 >> k;
                let tx = noise.around(base, 50);
                let rx = noise.around(base * 3, 50);
                Row::default()
                    .with("mac-protocol", "ip")
                    .with("ip-protocol", *proto)
                    .with("src-address", *src)
                    .with("dst-address", *dst)
                    .with("src-port", *sport)
                    .with("dst-port", *dport)
                    .with("vlan-id", "0")
                    .with("dscp", "0")
                    .with("tx", tx.to_string())
                    .with("rx", rx.to_string())
                    .with("tx-packets", (tx / 8 / 600).to_string())
                    .with("rx-packets", (rx / 8 / 1200).to_string())
                    .with(".section", section.to_string())
            })
            .collect();
        section += 1;
        if !ctx.rows(&rows).await {
            return false;
        }
    }
}

async fn fetch(ctx: &StreamCtx, size: usize, to_user: bool, unreachable: bool) -> bool {
    let mut ticker = Ticker::new(Duration::from_millis(100), None);
    ticker.tick().await;
    let connecting = Row::default()
        .with("status", "connecting")
        .with(".section", "0");
    if !ctx.row(&connecting).await {
        return false;
    }
    if unreachable {
        ticker.tick().await;
        // A failed fetch is a trap (category 4 assumed), then `!done` from the caller.
        let out = ctx.reply.trap(Some(4), "failure: connection timeout");
        return ctx.tx.send(Out::Data(out)).await.is_ok();
    }
    let steps = 3usize;
    for step in 1..=steps {
        ticker.tick().await;
        let done = size * step / steps;
        let mut row = Row::default()
            .with(
                "status",
                if step == steps {
                    "finished"
                } else {
                    "downloading"
                },
            )
            .with("downloaded", (done / 1024).to_string())
            .with("total", (size / 1024).to_string())
            .with("duration", format!("{}s", step));
        if step == steps && to_user {
            let body: Vec<u8> = (0..size).map(|i| b"routeros-sim "[i % 13]).collect();
            row.push("data", body);
        }
        row.push(".section", step.to_string());
        if !ctx.row(&row).await {
            return false;
        }
    }
    true
}

async fn listen(
    ctx: &StreamCtx,
    menu: &'static MenuDef,
    initial: Vec<Row>,
    mut changes: broadcast::Receiver<Change>,
) -> bool {
    if !ctx.rows(&initial).await {
        return false;
    }
    let v6 = ctx.shared.profile.v6_bools;
    loop {
        match changes.recv().await {
            Ok(change) if change.menu == menu.path => {
                let row = crate::engine::present(menu, &change.row, v6);
                if !ctx.row(&row).await {
                    return false;
                }
            }
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtt_format() {
        assert_eq!(rtt(10_373), "10ms373us");
        assert_eq!(rtt(999), "999us");
    }

    #[test]
    fn noise_stays_in_range() {
        let mut n = Noise(1);
        for _ in 0..1000 {
            let v = n.around(1000, 10);
            assert!((900..=1100).contains(&v));
        }
    }
}
