//! Dead-peer detection for connections that live for days.
//!
//! A peer that vanishes without a FIN or RST (a router power-cycled, a NAT entry expired, a
//! cable pulled somewhere on the path) leaves a TCP connection that never fails by itself:
//! reads simply never return. RouterOS documents no server-side idle timeout either. The core
//! has no clock and no timer of its own, so detection is a policy the caller drives:
//!
//! - [`Keepalive`] says how long the connection may stay silent (`idle`) before it is
//!   probed, and how long a probe may take (`deadline`).
//! - The caller calls `keepalive(now, &policy, &mut delay)` on its [`Client`](crate::Client)
//!   or [`Mux`](crate::mux::Mux) from time to time (every few seconds), passing its clock's
//!   [`Instant`]. When nothing was heard from the peer for `idle`, a cheap
//!   `/system/identity/print` goes out; if no answer arrives within `deadline` (timed by the
//!   caller's [`Delay`]), the call fails with [`Error::Timeout`](crate::Error::Timeout) and the
//!   connection is marked dead: it is no longer usable, and a [`Pool`](crate::pool::Pool)
//!   drops it.
//! - A dead peer is thus detected at most `idle + deadline` plus one calling period after it
//!   went silent ([`Keepalive::bound`]).
//!
//! The [`Pool`](crate::pool::Pool) applies the same policy
//! ([`PoolConfig::keepalive`](crate::pool::PoolConfig::keepalive)): an idle connection older
//! than `idle` is health-checked, with the deadline, before it is handed out, and
//! [`Pool::keepalive`](crate::pool::Pool::keepalive) sweeps the idle ones.

use core::future::Future;
use core::time::Duration;

use crate::mux::waker::{select, Either};
pub use crate::pool::Delay;
use crate::telemetry::Instant;

/// How long a connection may be silent before it is probed, and how long a probe may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Keepalive {
    /// Probe once nothing was heard from the peer for this long.
    pub idle: Duration,
    /// A probe not answered within this marks the connection dead.
    pub deadline: Duration,
}

impl Keepalive {
    /// A policy probing after `idle` of silence, giving each probe `deadline`.
    pub const fn new(idle: Duration, deadline: Duration) -> Self {
        Self { idle, deadline }
    }

    /// The longest a dead peer goes unnoticed, not counting the caller's calling period.
    pub const fn bound(&self) -> Duration {
        self.idle.saturating_add(self.deadline)
    }

    /// [`deadline`](Self::deadline) in whole milliseconds (at least 1), for a [`Delay`].
    pub(crate) fn deadline_ms(&self) -> u32 {
        duration_ms(self.deadline)
    }
}

impl Default for Keepalive {
    /// Probe after 30 s of silence; a probe may take 10 s.
    fn default() -> Self {
        Self::new(Duration::from_secs(30), Duration::from_secs(10))
    }
}

/// What a `keepalive` call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Probe {
    /// The peer was heard from recently enough: nothing was sent.
    NotDue,
    /// A probe went out and was answered in time.
    Answered,
}

/// When the peer was last heard from, by the caller's clock. The clients set `heard`
/// whenever bytes arrive; each `keepalive` call turns that into a time.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LastHeard {
    pub(crate) heard: bool,
    at: Option<Instant>,
}

impl LastHeard {
    pub(crate) const fn new() -> Self {
        Self {
            heard: false,
            at: None,
        }
    }

    /// Whether a probe is due at `now`: nothing was heard for `idle` (the first call only
    /// starts the count).
    pub(crate) fn due(&mut self, now: Instant, idle: Duration) -> bool {
        if core::mem::take(&mut self.heard) || self.at.is_none() {
            self.at = Some(now);
        }
        self.at.is_some_and(|at| now.duration_since(at) >= idle)
    }

    /// A probe was answered at `now`.
    pub(crate) fn answered(&mut self, now: Instant) {
        self.heard = false;
        self.at = Some(now);
    }
}

/// `duration` in whole milliseconds, at least 1, saturating at `u32::MAX`.
pub(crate) fn duration_ms(duration: Duration) -> u32 {
    u32::try_from(duration.as_millis())
        .unwrap_or(u32::MAX)
        .max(1)
}

/// Runs `work` for at most `ms` milliseconds of `delay`; `None` if the time ran out first
/// (`work` is then dropped).
pub(crate) async fn within<F: Future, D: Delay>(
    work: F,
    ms: u32,
    delay: &mut D,
) -> Option<F::Output> {
    match select(work, delay.delay_ms(ms)).await {
        Either::First(output) => Some(output),
        Either::Second(()) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_is_due_after_idle_without_news() {
        let idle = Duration::from_secs(30);
        let mut last = LastHeard::new();
        assert!(
            !last.due(Instant::from_millis(1_000), idle),
            "the first call starts the count"
        );
        assert!(!last.due(Instant::from_millis(30_999), idle));
        last.heard = true;
        assert!(
            !last.due(Instant::from_millis(31_000), idle),
            "news restart the count"
        );
        assert!(!last.due(Instant::from_millis(60_999), idle));
        assert!(last.due(Instant::from_millis(61_000), idle));
        last.answered(Instant::from_millis(61_500));
        assert!(!last.due(Instant::from_millis(62_000), idle));
    }

    #[test]
    fn bounds_and_milliseconds() {
        let k = Keepalive::new(Duration::from_secs(30), Duration::from_millis(2_500));
        assert_eq!(k.bound(), Duration::from_millis(32_500));
        assert_eq!(k.deadline_ms(), 2_500);
        assert_eq!(duration_ms(Duration::ZERO), 1);
        assert_eq!(duration_ms(Duration::MAX), u32::MAX);
    }
}
