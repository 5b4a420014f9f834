//! Telemetry: an observer told about connections, commands, streams and the pool.
//!
//! The events match those of the original library (`connection`, `command`, `pool`, `stream`
//! with `start` / `stop` / `exception`). They carry the command path, a tag, counts and
//! durations, never attribute values: a password can not reach an observer.
//!
//! Time comes from a [`Clock`] the caller supplies, so the core stays deterministic and
//! needs no timer. The no-op telemetry is `()`: every hook is an empty inlined call, and
//! [`Telemetry::ENABLED`] lets the compiler drop even the clock reads.
//!
//! ```
//! use core::cell::RefCell;
//! use routeros_core::telemetry::{Clock, Event, Instant, Observer, Telemetry};
//!
//! struct Counter(RefCell<u32>);
//! impl Observer for Counter {
//!     fn on_event(&self, event: &Event<'_>) {
//!         if let Event::CommandStop { path, duration, .. } = event {
//!             assert_eq!(*path, "/system/identity/print");
//!             assert_eq!(duration.as_micros(), 250);
//!             *self.0.borrow_mut() += 1;
//!         }
//!     }
//! }
//! struct Fixed;
//! impl Clock for Fixed {
//!     fn now(&self) -> Instant {
//!         Instant::from_micros(1_000)
//!     }
//! }
//!
//! let telemetry = (Counter(RefCell::new(0)), Fixed);
//! let start = telemetry.now();
//! telemetry.event(&Event::CommandStop {
//!     tag: 7,
//!     path: "/system/identity/print",
//!     duration: Instant::from_micros(1_250).duration_since(start),
//!     rows: 1,
//! });
//! assert_eq!(*telemetry.0 .0.borrow(), 1);
//! ```

use core::time::Duration;

use crate::Error;

#[cfg(feature = "defmt")]
mod defmt_observer;
#[cfg(feature = "log")]
mod log_observer;

#[cfg(feature = "defmt")]
pub use defmt_observer::DefmtObserver;
#[cfg(feature = "log")]
pub use log_observer::LogObserver;

/// A point in monotonic time, in microseconds since an origin the [`Clock`] chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Instant {
    micros: u64,
}

impl Instant {
    /// The origin.
    pub const ZERO: Self = Self { micros: 0 };

    /// An instant `micros` microseconds after the origin.
    pub const fn from_micros(micros: u64) -> Self {
        Self { micros }
    }

    /// An instant `millis` milliseconds after the origin.
    pub const fn from_millis(millis: u64) -> Self {
        Self {
            micros: millis.saturating_mul(1000),
        }
    }

    /// Microseconds since the origin.
    pub const fn as_micros(self) -> u64 {
        self.micros
    }

    /// Time from `earlier` to `self`; zero if `earlier` is later (a clock must be monotonic,
    /// but a wrong one never makes this panic).
    pub const fn duration_since(self, earlier: Self) -> Duration {
        Duration::from_micros(self.micros.saturating_sub(earlier.micros))
    }
}

/// A monotonic clock supplied by the caller (`embassy_time::Instant::now`, `std::time::Instant`
/// relative to a start, a hardware counter).
pub trait Clock {
    /// The current instant. Must never go backwards.
    fn now(&self) -> Instant;
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> Instant {
        (**self).now()
    }
}

/// A clock that always reads [`Instant::ZERO`]: every duration is zero.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoClock;

impl Clock for NoClock {
    #[inline(always)]
    fn now(&self) -> Instant {
        Instant::ZERO
    }
}

/// What happened. Borrowed for the duration of the call to [`Observer::on_event`].
///
/// Paths are the command's first word (cut to [`PATH_CAPACITY`] bytes); attribute values
/// never appear. Tags are the numbers the client put on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A connection attempt started (pool: `attempt` counts from 1).
    ConnectionStart {
        /// Which attempt this is within one checkout.
        attempt: u32,
    },
    /// A connection attempt succeeded (connected and logged in).
    ConnectionStop {
        /// How long the attempt took.
        duration: Duration,
    },
    /// A connection attempt failed, or a live connection broke.
    ConnectionException {
        /// How long the attempt took (zero for a broken live connection).
        duration: Duration,
        /// Why.
        error: &'a Error,
    },
    /// A command was written.
    CommandStart {
        /// Its tag.
        tag: u32,
        /// Its path, such as `/interface/print`.
        path: &'a str,
    },
    /// A command ended with `!done` and no trap.
    CommandStop {
        /// Its tag.
        tag: u32,
        /// Its path.
        path: &'a str,
        /// From the write to the `!done`.
        duration: Duration,
        /// How many `!re` rows it produced.
        rows: u32,
    },
    /// A command ended with a trap, or the connection failed under it.
    CommandException {
        /// Its tag.
        tag: u32,
        /// Its path.
        path: &'a str,
        /// From the write to the end.
        duration: Duration,
        /// Why.
        error: &'a Error,
    },
    /// A streaming command was written.
    StreamStart {
        /// Its tag.
        tag: u32,
        /// Its path, such as `/interface/monitor-traffic`.
        path: &'a str,
    },
    /// A streaming command ended (naturally, cancelled, dropped, or by an error).
    StreamStop {
        /// Its tag.
        tag: u32,
        /// Its path.
        path: &'a str,
        /// From the write to the end.
        duration: Duration,
        /// Rows received for it (delivered or dropped).
        rows: u32,
        /// Rows dropped because its buffer was full.
        dropped: u32,
        /// Whether it ended through `/cancel`.
        cancelled: bool,
    },
    /// A pooled connection was handed out.
    PoolCheckout {
        /// The pool entry.
        index: usize,
        /// Time spent in `checkout` (health check and reconnects included).
        waited: Duration,
    },
    /// A pooled connection came back.
    PoolCheckin {
        /// The pool entry.
        index: usize,
        /// Whether it is kept for reuse (`false`: it was poisoned or closed and is dropped).
        reusable: bool,
    },
    /// A pooled connection failed its health check and was dropped.
    PoolHealthCheckFailed {
        /// The pool entry.
        index: usize,
        /// Why.
        error: &'a Error,
    },
}

/// Receives [`Event`]s. Called synchronously from inside the client: keep it short and
/// never block.
pub trait Observer {
    /// One event.
    fn on_event(&self, event: &Event<'_>);
}

/// No observer: `((), clock)` gives a pool or mux a clock without reporting events.
impl Observer for () {
    #[inline(always)]
    fn on_event(&self, _event: &Event<'_>) {}
}

impl<O: Observer + ?Sized> Observer for &O {
    #[inline]
    fn on_event(&self, event: &Event<'_>) {
        (**self).on_event(event)
    }
}

/// An observer together with its clock: what the mux client and the pool are generic over.
///
/// Implemented for `()` (no telemetry, zero cost) and for any `(observer, clock)` pair.
pub trait Telemetry {
    /// `false` only for the no-op telemetry: lets callers skip clock reads at compile time.
    const ENABLED: bool = true;

    /// The current instant.
    fn now(&self) -> Instant;

    /// Reports one event.
    fn event(&self, event: &Event<'_>);
}

impl Telemetry for () {
    const ENABLED: bool = false;

    #[inline(always)]
    fn now(&self) -> Instant {
        Instant::ZERO
    }

    #[inline(always)]
    fn event(&self, _event: &Event<'_>) {}
}

impl<O: Observer, C: Clock> Telemetry for (O, C) {
    #[inline]
    fn now(&self) -> Instant {
        self.1.now()
    }

    #[inline]
    fn event(&self, event: &Event<'_>) {
        self.0.on_event(event)
    }
}

impl<T: Telemetry + ?Sized> Telemetry for &T {
    const ENABLED: bool = T::ENABLED;

    #[inline]
    fn now(&self) -> Instant {
        (**self).now()
    }

    #[inline]
    fn event(&self, event: &Event<'_>) {
        (**self).event(event)
    }
}

/// How many bytes of a command path events keep.
pub const PATH_CAPACITY: usize = 40;

/// A command path copied out of a sentence, cut at a character boundary.
pub(crate) type Path = heapless::String<PATH_CAPACITY>;

/// Copies the path word of a command (bytes that are not UTF-8 are shown as `?`).
pub(crate) fn path_from(word: &[u8]) -> Path {
    let mut out = Path::new();
    let text = match core::str::from_utf8(word) {
        Ok(text) => text,
        Err(e) => {
            // Cannot fail: `valid_up_to` is a char boundary.
            core::str::from_utf8(&word[..e.valid_up_to()]).unwrap_or_default()
        }
    };
    for c in text.chars() {
        if out.push(c).is_err() {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_saturate() {
        let a = Instant::from_millis(5);
        let b = Instant::from_millis(7);
        assert_eq!(b.duration_since(a), Duration::from_millis(2));
        assert_eq!(a.duration_since(b), Duration::ZERO);
    }

    #[test]
    fn paths_are_cut_at_char_boundaries() {
        let long = "/ip/firewall/address-list/print/with/more/words";
        assert_eq!(path_from(long.as_bytes()).len(), PATH_CAPACITY);
        assert_eq!(path_from(b"/a\xffb").as_str(), "/a");
    }
}
