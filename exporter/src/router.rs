//! One task per router: connect, log in, collect on every tick over one persistent
//! multiplexed connection; back off exponentially after failures.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use routeros_core::Error;

use crate::collect::{collect_all, CollectError, Collector, Outcome, SLOTS, SLOT_BYTES};
use crate::config::{Router, Timing};
use crate::metrics::{RouterSlot, RouterState};

/// A router's connection: the connector's multiplexed client.
pub type RouterConn<'b> = routeros_tokio::Mux<'b, SLOTS, SLOT_BYTES>;

/// Receive buffer per router: bounds the largest reply sentence.
pub const RX_BYTES: usize = 4 * 1024;
/// Send buffer per router: bounds the largest command.
pub const TX_BYTES: usize = 1024;

/// Why a router could not be reached or polled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouterError {
    /// TCP or TLS connection failed or timed out, or the connection broke during login.
    Connect(String),
    /// The router refused the user name or password.
    Login(String),
    /// The connection broke or stopped answering during a collection.
    Lost(String),
}

impl std::fmt::Display for RouterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Connect(e) => write!(f, "connect: {e}"),
            Self::Login(e) => write!(f, "login refused: {e}"),
            Self::Lost(e) => write!(f, "connection lost: {e}"),
        }
    }
}

impl std::error::Error for RouterError {}

/// Text from the network or the OS made safe for logs and terminals.
pub fn escaped(text: impl std::fmt::Display) -> String {
    text.to_string().escape_debug().to_string()
}

/// Opens and logs in the connection to `router` (the one place that knows how): the host
/// connector, TCP or TLS as configured, bounded by the configured timeout.
async fn open<'b>(
    connector: &routeros_tokio::Config,
    rx: &'b mut [u8],
    tx: &'b mut [u8],
) -> Result<RouterConn<'b>, RouterError> {
    // Boxed: the connect future (TLS handshake state included) is large and only needed
    // while connecting; inline, every idle router task would carry it.
    match Box::pin(routeros_tokio::connect_mux::<SLOTS, SLOT_BYTES>(
        connector, rx, tx,
    ))
    .await
    {
        Ok(mux) => Ok(mux),
        Err(routeros_tokio::Error::Login(Error::AuthFailed(m))) => {
            Err(RouterError::Login(escaped(m.as_str())))
        }
        Err(e) => Err(RouterError::Connect(escaped(e))),
    }
}

/// A stable 64-bit FNV-1a hash of a router name: the same on every run and machine, so shards
/// and poll offsets never move.
pub fn stable_hash(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Records one collection's outcomes in `state`.
pub fn record(state: &mut RouterState, outcomes: Vec<Outcome>, elapsed: Duration) {
    let mut samples = Vec::new();
    let mut any_ok = false;
    for o in outcomes {
        let c = state.collector(o.collector.name());
        c.seconds = o.elapsed.as_secs_f64();
        match o.result {
            Ok(s) => {
                c.ok = true;
                c.last_error = None;
                any_ok = true;
                samples.extend(s);
            }
            Err(e) => {
                c.ok = false;
                c.errors += 1;
                c.last_error = Some(escaped(&e));
            }
        }
    }
    samples.sort_by_key(|s| s.metric);
    samples.shrink_to_fit();
    state.samples = samples;
    state.scrape_seconds = elapsed.as_secs_f64();
    state.up = any_ok;
    if any_ok {
        state.last_success = Some(unix_now());
    }
}

/// Connects, logs in and collects once; the result is left in `slot`.
pub async fn collect_once(
    router: &Router,
    collectors: &[Collector],
    timing: &Timing,
    slot: &RouterSlot,
) {
    let start = Instant::now();
    let result = async {
        let connector = router
            .connector(timing)
            .map_err(|e| RouterError::Connect(escaped(e)))?;
        let mut rx = vec![0u8; RX_BYTES];
        let mut tx = vec![0u8; TX_BYTES];
        let mux = open(&connector, &mut rx, &mut tx).await?;
        let outcomes = collect_all(&mux, collectors, timing.timeout).await;
        Ok::<_, RouterError>(outcomes)
    }
    .await;
    let mut state = slot.lock();
    match result {
        Ok(outcomes) => {
            state.connects += 1;
            record(&mut state, outcomes, start.elapsed());
        }
        Err(e) => fail(&mut state, &e, start.elapsed(), Duration::ZERO),
    }
}

fn fail(state: &mut RouterState, e: &RouterError, elapsed: Duration, backoff: Duration) {
    match e {
        RouterError::Login(_) => state.login_failures += 1,
        RouterError::Connect(_) => state.connect_failures += 1,
        RouterError::Lost(_) => {}
    }
    state.up = false;
    state.samples.clear();
    state.scrape_seconds = elapsed.as_secs_f64();
    state.backoff_seconds = backoff.as_secs_f64();
    state.last_error = Some(e.to_string());
}

/// The wait after `failures` failures in a row: `initial * 2^(failures-1)`, at most `max`,
/// plus up to 10 % jitter taken from the router's name so that routers failing together do
/// not retry together.
pub fn backoff(initial: Duration, max: Duration, failures: u32, name: &str) -> Duration {
    let exp = failures.saturating_sub(1).min(30);
    let base = initial.saturating_mul(1u32 << exp).min(max);
    let jitter = (stable_hash(name) ^ u64::from(failures)) % 1000;
    base + base.mul_f64(jitter as f64 / 10_000.0)
}

/// Serves one router forever: connect, log in, collect on every tick; back off on failure.
pub async fn run(
    router: Router,
    collectors: Arc<[Collector]>,
    timing: Timing,
    slot: Arc<RouterSlot>,
) {
    // Spread routers over the interval by a stable offset so polls do not come in bursts.
    let interval_ms = timing.interval.as_millis().max(1) as u64;
    let offset = Duration::from_millis(stable_hash(&router.name) % interval_ms);
    tokio::time::sleep(offset).await;
    let mut failures: u32 = 0;
    let mut login_failed = false;
    let name = router.name.escape_debug().to_string();
    loop {
        let start = Instant::now();
        let had_failed = failures > 0;
        let err = session(&router, &collectors, &timing, &slot, &mut failures).await;
        if failures == 0 && had_failed {
            eprintln!("routeros-exporter: router {name}: connected again");
        }
        let lived = start.elapsed();
        if matches!(err, RouterError::Lost(_)) && failures == 0 && lived >= timing.interval {
            // A connection that worked for a while and then broke: open it again at once,
            // without counting a failed attempt. One that breaks right after login backs off
            // like any failure, so a flapping router never gets a login storm.
            eprintln!("routeros-exporter: router {name}: {err}; reconnecting");
            fail(&mut slot.lock(), &err, lived, Duration::ZERO);
            continue;
        }
        let is_login = matches!(err, RouterError::Login(_));
        failures = failures.saturating_add(1);
        if is_login != login_failed {
            // Switching between kinds of failure restarts the back-off of the new kind.
            failures = 1;
            login_failed = is_login;
        }
        let initial = if is_login {
            timing.login_backoff_initial
        } else {
            timing.backoff_initial
        };
        let wait = backoff(initial, timing.backoff_max, failures, &router.name);
        if failures == 1 {
            // The first failure of a streak is logged; the metrics show the rest.
            eprintln!("routeros-exporter: router {name}: {err}; next attempt in {wait:.1?}");
        }
        fail(&mut slot.lock(), &err, lived, wait);
        tokio::time::sleep(wait).await;
    }
}

/// One connection's life; returns why it ended. `failures` is reset once logged in.
async fn session(
    router: &Router,
    collectors: &[Collector],
    timing: &Timing,
    slot: &RouterSlot,
    failures: &mut u32,
) -> RouterError {
    let connector = match router.connector(timing) {
        Ok(c) => c,
        Err(e) => return RouterError::Connect(escaped(e)),
    };
    let mut rx = vec![0u8; RX_BYTES];
    let mut tx = vec![0u8; TX_BYTES];
    let mux = match open(&connector, &mut rx, &mut tx).await {
        Ok(m) => m,
        Err(e) => return e,
    };
    *failures = 0;
    {
        let mut state = slot.lock();
        state.connects += 1;
        state.backoff_seconds = 0.0;
        state.last_error = None;
    }
    let mut ticks = tokio::time::interval(timing.interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let start = Instant::now();
        let outcomes = collect_all(&mux, collectors, timing.timeout).await;
        let broken = outcomes.iter().find_map(|o| match &o.result {
            Err(e) if e.is_fatal() => Some(e.clone()),
            _ => None,
        });
        let all_timed_out = !outcomes.is_empty()
            && outcomes
                .iter()
                .all(|o| matches!(o.result, Err(CollectError::Timeout)));
        record(&mut slot.lock(), outcomes, start.elapsed());
        if let Some(e) = broken {
            return RouterError::Lost(escaped(e));
        }
        if all_timed_out || !mux.is_usable() {
            return RouterError::Lost("no answer within the timeout".into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let s = Duration::from_secs(1);
        let max = Duration::from_secs(60);
        let b: Vec<Duration> = (1..=10).map(|n| backoff(s, max, n, "r")).collect();
        for (n, d) in b.iter().enumerate() {
            let base = Duration::from_secs((1u64 << n).min(60));
            assert!(*d >= base && *d <= base + base / 10, "{n}: {d:?}");
        }
        assert!(backoff(s, max, u32::MAX, "r") <= max + max / 10);
    }

    #[test]
    fn hash_is_stable() {
        // FNV-1a 64 test vectors.
        assert_eq!(stable_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(stable_hash("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(stable_hash("foobar"), 0x8594_4171_f739_67e8);
    }
}
