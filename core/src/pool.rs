//! A fixed-capacity pool of connections.
//!
//! [`PoolState`] holds `N` connection places in memory fixed at compile time and has a
//! `const fn new()`, so firmware can put it in a `static` (`StaticCell`); a [`Pool`] borrows
//! it together with a [`Connector`] (how to open and log in a connection: the core depends
//! on no network stack) and a [`Delay`] for the back-off between failed attempts.
//!
//! - [`Pool::checkout`] hands out an idle connection after a health check (a cheap
//!   `/system/identity/print`), or opens a new one in a free place; with every connection
//!   checked out it fails at once with [`Error::PoolExhausted`]. [`Pool::checkout_wait`]
//!   waits for a checkin instead (bound it with your executor's timeout).
//! - A connection that fails its health check, or does not answer it within
//!   [`PoolConfig::keepalive`]'s deadline (a dead peer that sent no FIN or RST), is dropped
//!   and replaced. With a clock (telemetry `(observer, clock)`; `((), clock)` for a clock
//!   alone), only connections idle for longer than the keepalive's `idle` are checked;
//!   without one, every idle connection is. [`Pool::keepalive`] checks the idle ones without
//!   a checkout, so dead connections are found while nobody needs them. Connecting retries
//!   with exponential back-off ([`PoolConfig`]).
//! - The [`Pooled`] guard gives the connection back on `Drop`. A connection that is no
//!   longer usable (poisoned by a write cut short, closed, `!fatal`) is never handed out
//!   again: it is dropped at the next checkout of its place.
//!
//! Like the [`mux`](crate::mux) client, the pool lives in `RefCell`s: `!Sync`, for the futures
//! of one thread (one task's `join`, or the tasks of a single-threaded executor).
//!
//! ```
//! use routeros_core::pool::{Connection, Connector, Delay, Pool, PoolConfig, PoolState};
//! use routeros_core::Error;
//!
//! /// Stands in for a socket plus `Client`: counts its health checks.
//! struct Fake { usable: bool, checks: u32 }
//! impl Connection for Fake {
//!     fn is_usable(&self) -> bool { self.usable }
//!     async fn health_check(&mut self) -> Result<(), Error> { self.checks += 1; Ok(()) }
//! }
//! struct Dial { opened: u32 }
//! impl Connector for Dial {
//!     type Conn = Fake;
//!     async fn connect(&mut self) -> Result<Fake, Error> {
//!         self.opened += 1;
//!         Ok(Fake { usable: true, checks: 0 })
//!     }
//! }
//! struct NoWait;
//! impl Delay for NoWait { async fn delay_ms(&mut self, _ms: u32) {} }
//!
//! # futures_executor::block_on(async {
//! let state: PoolState<Fake, 2> = PoolState::new();
//! let pool = Pool::new(&state, Dial { opened: 0 }, NoWait, PoolConfig::new());
//! {
//!     let a = pool.checkout().await?;
//!     let b = pool.checkout().await?;
//!     assert_eq!(pool.checkout().await.err(), Some(Error::PoolExhausted));
//!     drop((a, b));
//! }
//! // Reused, after a health check: no third connection was opened.
//! let mut c = pool.checkout().await?;
//! assert_eq!(c.checks, 1);
//! c.usable = false; // as if a write had been cut short
//! drop(c);
//! let d = pool.checkout().await?; // the poisoned one is never handed out again
//! assert_eq!(pool.connector().opened, 2);
//! # drop(d);
//! # assert_eq!(pool.in_use(), 0);
//! # Ok::<(), Error>(()) }).unwrap();
//! ```

use core::cell::{Cell, Ref, RefCell, RefMut};
use core::future::poll_fn;
use core::ops::{Deref, DerefMut};
use core::task::{Poll, Waker};
use core::time::Duration;

use embedded_io_async::{Read, Write};

use crate::client::Client;
use crate::error::Error;
use crate::keepalive::Keepalive;
use crate::mux::waker::{register_in, wake_list};
use crate::telemetry::{Event, Instant, Telemetry};

/// How many futures waiting in [`Pool::checkout_wait`] are remembered at once; more still
/// work (the oldest is woken to make room and registers again).
pub const POOL_WAITERS: usize = 4;

/// A connection the pool can hold.
#[allow(async_fn_in_trait)]
pub trait Connection {
    /// Whether it can still take commands (not poisoned, not closed).
    fn is_usable(&self) -> bool;

    /// A cheap command proving the connection works, run before an idle connection is
    /// handed out again.
    async fn health_check(&mut self) -> Result<(), Error>;
}

/// Opens connections for the pool: connect the transport, log in, wrap it in a client.
#[allow(async_fn_in_trait)]
pub trait Connector {
    /// What it opens.
    type Conn: Connection;

    /// Opens and logs in one connection.
    async fn connect(&mut self) -> Result<Self::Conn, Error>;
}

/// Waits a number of milliseconds: the back-off between connection attempts.
///
/// With the `embedded-hal-async` feature every `embedded_hal_async::delay::DelayNs` (an
/// embassy `Delay`, a HAL timer) is one.
#[allow(async_fn_in_trait)]
pub trait Delay {
    /// Waits `ms` milliseconds.
    async fn delay_ms(&mut self, ms: u32);
}

#[cfg(feature = "embedded-hal-async")]
impl<D: embedded_hal_async::delay::DelayNs> Delay for D {
    async fn delay_ms(&mut self, ms: u32) {
        embedded_hal_async::delay::DelayNs::delay_ms(self, ms).await
    }
}

/// The command a health check runs.
pub const HEALTH_CHECK: [&str; 1] = ["/system/identity/print"];

impl<T: Read + Write, B: AsRef<[u8]> + AsMut<[u8]>, Tm: Telemetry> Connection for Client<T, B, Tm> {
    fn is_usable(&self) -> bool {
        Client::is_usable(self)
    }

    async fn health_check(&mut self) -> Result<(), Error> {
        self.run(&HEALTH_CHECK).await.map(|_| ())
    }
}

impl<R: Read, W: Write, Tm: Telemetry, const N: usize, const S: usize> Connection
    for crate::mux::Mux<'_, R, W, Tm, N, S>
{
    fn is_usable(&self) -> bool {
        crate::mux::Mux::is_usable(self)
    }

    async fn health_check(&mut self) -> Result<(), Error> {
        self.run(&HEALTH_CHECK).await.map(|_| ())
    }
}

/// Connection attempts and back-off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PoolConfig {
    /// Attempts per checkout before giving up with the last error (at least 1).
    pub connect_attempts: u32,
    /// Wait after the first failed attempt, in milliseconds.
    pub backoff_initial_ms: u32,
    /// The wait doubles after each failure up to this, in milliseconds.
    pub backoff_max_ms: u32,
    /// Run [`Connection::health_check`] before handing out an idle connection.
    pub health_check: bool,
    /// Which idle connections are health-checked (those idle for at least `idle`, by the
    /// telemetry's clock; all of them without a clock) and how long a check may take
    /// (`deadline`, timed by the pool's [`Delay`]): a check not answered in time drops the
    /// connection as dead.
    pub keepalive: Keepalive,
}

impl PoolConfig {
    /// Three attempts, 100 ms doubling up to 2 s, health checks on: every idle connection
    /// is checked before it is handed out, and given 10 s to answer.
    pub const fn new() -> Self {
        Self {
            connect_attempts: 3,
            backoff_initial_ms: 100,
            backoff_max_ms: 2000,
            health_check: true,
            keepalive: Keepalive::new(Duration::ZERO, Duration::from_secs(10)),
        }
    }
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self::new()
    }
}

/// The places of a pool: `N` connections (or none yet), in fixed memory. `const fn new()`.
pub struct PoolState<C, const N: usize> {
    entries: [RefCell<Option<C>>; N],
    /// When each place's connection was last checked in (or checked).
    rested: [Cell<Instant>; N],
    waiters: RefCell<[Option<Waker>; POOL_WAITERS]>,
}

impl<C, const N: usize> PoolState<C, N> {
    /// Empty places; connections are opened on demand.
    pub const fn new() -> Self {
        Self {
            entries: [const { RefCell::new(None) }; N],
            rested: [const { Cell::new(Instant::ZERO) }; N],
            waiters: RefCell::new([const { None }; POOL_WAITERS]),
        }
    }
}

impl<C, const N: usize> Default for PoolState<C, N> {
    fn default() -> Self {
        Self::new()
    }
}

/// A pool of up to `N` connections opened by `C`, backing off through `D`, reporting to
/// `Tm`. See the [module docs](self).
pub struct Pool<'s, C: Connector, D, const N: usize, Tm = ()> {
    state: &'s PoolState<C::Conn, N>,
    connector: RefCell<C>,
    delay: RefCell<D>,
    config: PoolConfig,
    telemetry: Tm,
}

/// What the [`Pooled`] guard tells its pool when dropped.
pub trait Checkin {
    /// Place `index` came back; `reusable`: its connection is still usable.
    #[doc(hidden)]
    fn checkin(&self, index: usize, reusable: bool);
}

/// A checked-out connection; derefs to it and goes back to the pool on `Drop`.
pub struct Pooled<'p, Conn: Connection> {
    conn: RefMut<'p, Conn>,
    index: usize,
    pool: &'p dyn Checkin,
}

impl<Conn: Connection> Pooled<'_, Conn> {
    /// Which place of the pool this is.
    pub fn index(&self) -> usize {
        self.index
    }
}

impl<Conn: Connection> Deref for Pooled<'_, Conn> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        &self.conn
    }
}

impl<Conn: Connection> DerefMut for Pooled<'_, Conn> {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.conn
    }
}

impl<Conn: Connection> Drop for Pooled<'_, Conn> {
    fn drop(&mut self) {
        self.pool.checkin(self.index, self.conn.is_usable());
    }
}

impl<'s, C: Connector, D: Delay, const N: usize> Pool<'s, C, D, N, ()> {
    /// A pool over `state`, without telemetry.
    pub fn new(
        state: &'s PoolState<C::Conn, N>,
        connector: C,
        delay: D,
        config: PoolConfig,
    ) -> Self {
        Self::with_telemetry(state, connector, delay, config, ())
    }
}

impl<'s, C: Connector, D: Delay, const N: usize, Tm: Telemetry> Pool<'s, C, D, N, Tm> {
    /// A pool over `state`, reporting to `telemetry`.
    pub fn with_telemetry(
        state: &'s PoolState<C::Conn, N>,
        connector: C,
        delay: D,
        config: PoolConfig,
        telemetry: Tm,
    ) -> Self {
        Self {
            state,
            connector: RefCell::new(connector),
            delay: RefCell::new(delay),
            config,
            telemetry,
        }
    }

    /// The connector (for example to look at its counters). Panics-free: if a checkout is
    /// connecting right now, that checkout holds it; call this between checkouts.
    pub fn connector(&self) -> Ref<'_, C> {
        self.connector.borrow()
    }

    /// The telemetry this pool reports to.
    pub fn telemetry(&self) -> &Tm {
        &self.telemetry
    }

    /// Connections checked out right now (or being opened or checked by a checkout).
    pub fn in_use(&self) -> usize {
        self.state
            .entries
            .iter()
            .filter(|e| e.try_borrow_mut().is_err())
            .count()
    }

    /// Idle connections that are still usable.
    pub fn idle(&self) -> usize {
        self.state
            .entries
            .iter()
            .filter(|e| {
                e.try_borrow()
                    .map(|c| c.as_ref().is_some_and(Connection::is_usable))
                    .unwrap_or(false)
            })
            .count()
    }

    /// The number of places, `N`.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// An idle connection (health-checked), or a new one in a free place; fails with
    /// [`Error::PoolExhausted`] if every connection is checked out, or with the connector's
    /// last error after [`PoolConfig::connect_attempts`] attempts.
    ///
    /// **Cancel safety**: safe to drop: a connection half opened or half checked is dropped
    /// and its place freed.
    pub async fn checkout(&self) -> Result<Pooled<'_, C::Conn>, Error> {
        let started = self.telemetry.now();
        let result = self.checkout_inner().await;
        if let Ok(pooled) = &result {
            self.telemetry.event(&Event::PoolCheckout {
                index: pooled.index,
                waited: self.telemetry.now().duration_since(started),
            });
        }
        result
    }

    /// Like [`checkout`](Self::checkout), but waits for a checkin while every connection is
    /// checked out. The wait has no bound of its own: wrap it in your executor's timeout
    /// (`embassy_time::with_timeout`, `tokio::time::timeout`).
    ///
    /// **Cancel safety**: safe to drop.
    pub async fn checkout_wait(&self) -> Result<Pooled<'_, C::Conn>, Error> {
        let started = self.telemetry.now();
        loop {
            match self.checkout_inner().await {
                Err(Error::PoolExhausted) => self.park(|| self.in_use() < N).await,
                Ok(pooled) => {
                    self.telemetry.event(&Event::PoolCheckout {
                        index: pooled.index,
                        waited: self.telemetry.now().duration_since(started),
                    });
                    return Ok(pooled);
                }
                Err(e) => return Err(e),
            }
        }
    }

    // A place's `RefCell` is its checkout lock: held (across awaits) while checking or
    // opening its connection, then for as long as the `Pooled` guard lives.
    #[allow(clippy::await_holding_refcell_ref)]
    async fn checkout_inner(&self) -> Result<Pooled<'_, C::Conn>, Error> {
        // An idle connection first; else the first free place.
        let mut free: Option<(usize, RefMut<'_, Option<C::Conn>>)> = None;
        for (index, cell) in self.state.entries.iter().enumerate() {
            let Ok(mut entry) = cell.try_borrow_mut() else {
                continue;
            };
            if entry.as_ref().is_some_and(|c| !c.is_usable()) {
                // Poisoned or closed: never handed out again.
                *entry = None;
            }
            if entry.is_some() {
                free = Some((index, entry));
                break;
            }
            if free.is_none() {
                free = Some((index, entry));
            }
        }
        let Some((index, mut entry)) = free else {
            return Err(Error::PoolExhausted);
        };
        let _wake = WakeWaiters(&self.state.waiters);
        let mut guard = PlaceGuard {
            entry: &mut entry,
            armed: true,
        };
        if let Some(conn) = guard.entry.as_mut() {
            let healthy = if self.config.health_check && self.needs_check(index) {
                self.check(conn).await
            } else {
                Ok(())
            };
            if let Err(error) = healthy {
                self.telemetry.event(&Event::PoolHealthCheckFailed {
                    index,
                    error: &error,
                });
                **guard.entry = None;
            }
        }
        if guard.entry.is_none() {
            let conn = self.connect().await?;
            **guard.entry = Some(conn);
        }
        guard.armed = false;
        drop(guard);
        let conn = RefMut::filter_map(entry, Option::as_mut).map_err(|_| Error::PoolExhausted)?;
        Ok(Pooled {
            conn,
            index,
            pool: self,
        })
    }

    /// Health-checks every idle connection that is due (see [`PoolConfig::keepalive`]) and
    /// drops those that fail or do not answer in time, as well as unusable ones. Call it
    /// every few seconds to find dead peers while no one checks connections out; returns
    /// how many connections were dropped.
    ///
    /// **Cancel safety**: safe to drop: a connection whose check was cut short is dropped.
    #[allow(clippy::await_holding_refcell_ref)] // a place's `RefCell` is its checkout lock
    pub async fn keepalive(&self) -> usize {
        let _wake = WakeWaiters(&self.state.waiters);
        let mut dropped = 0;
        for (index, cell) in self.state.entries.iter().enumerate() {
            let Ok(mut entry) = cell.try_borrow_mut() else {
                continue;
            };
            let Some(conn) = entry.as_mut() else {
                continue;
            };
            if !conn.is_usable() {
                *entry = None;
                dropped += 1;
                continue;
            }
            if !self.needs_check(index) {
                continue;
            }
            let mut guard = PlaceGuard {
                entry: &mut entry,
                armed: true,
            };
            let healthy = match guard.entry.as_mut() {
                Some(conn) => self.check(conn).await,
                None => Ok(()),
            };
            guard.armed = false;
            drop(guard);
            match healthy {
                Ok(()) => self.state.rested[index].set(self.telemetry.now()),
                Err(error) => {
                    self.telemetry.event(&Event::PoolHealthCheckFailed {
                        index,
                        error: &error,
                    });
                    *entry = None;
                    dropped += 1;
                }
            }
        }
        dropped
    }

    /// Whether the idle connection in place `index` is due for a health check: idle for at
    /// least the keepalive's `idle` (always, without a clock).
    fn needs_check(&self, index: usize) -> bool {
        if !Tm::ENABLED {
            return true;
        }
        let rested = self.state.rested[index].get();
        self.telemetry.now().duration_since(rested) >= self.config.keepalive.idle
    }

    /// Runs `conn`'s health check for at most the keepalive's deadline, timed by the
    /// pool's [`Delay`] (waiting for it if a back-off is using it).
    #[allow(clippy::await_holding_refcell_ref)] // the delay cell is an async lock
    async fn check(&self, conn: &mut C::Conn) -> Result<(), Error> {
        let mut delay = loop {
            if let Ok(delay) = self.delay.try_borrow_mut() {
                break delay;
            }
            self.park(|| self.delay.try_borrow_mut().is_ok()).await;
        };
        let ms = self.config.keepalive.deadline_ms();
        let result = crate::keepalive::within(conn.health_check(), ms, &mut *delay).await;
        drop(delay);
        result.unwrap_or(Err(Error::Timeout))
    }

    /// Opens a connection, retrying with back-off.
    #[allow(clippy::await_holding_refcell_ref)] // the connector and delay cells are async locks
    async fn connect(&self) -> Result<C::Conn, Error> {
        let mut connector = loop {
            if let Ok(connector) = self.connector.try_borrow_mut() {
                break connector;
            }
            self.park(|| self.connector.try_borrow_mut().is_ok()).await;
        };
        let _wake = WakeWaiters(&self.state.waiters);
        let mut backoff = self.config.backoff_initial_ms;
        let attempts = self.config.connect_attempts.max(1);
        let mut attempt = 1;
        let result = loop {
            self.telemetry.event(&Event::ConnectionStart { attempt });
            let started = self.telemetry.now();
            match connector.connect().await {
                Ok(conn) => {
                    self.telemetry.event(&Event::ConnectionStop {
                        duration: self.telemetry.now().duration_since(started),
                    });
                    break Ok(conn);
                }
                Err(error) => {
                    self.telemetry.event(&Event::ConnectionException {
                        duration: self.telemetry.now().duration_since(started),
                        error: &error,
                    });
                    if attempt >= attempts {
                        break Err(error);
                    }
                }
            }
            attempt += 1;
            if let Ok(mut delay) = self.delay.try_borrow_mut() {
                delay.delay_ms(backoff).await;
            }
            backoff = backoff.saturating_mul(2).min(self.config.backoff_max_ms);
        };
        drop(connector);
        result
    }

    async fn park(&self, ready: impl Fn() -> bool) {
        let mut registered = false;
        poll_fn(|cx| {
            if registered || ready() {
                return Poll::Ready(());
            }
            let evicted = match self.state.waiters.try_borrow_mut() {
                Ok(mut waiters) => register_in(&mut waiters, cx.waker()),
                Err(_) => Some(cx.waker().clone()),
            };
            if let Some(waker) = evicted {
                waker.wake();
            }
            registered = true;
            if ready() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }
}

impl<C: Connector, D, const N: usize, Tm: Telemetry> Checkin for Pool<'_, C, D, N, Tm> {
    fn checkin(&self, index: usize, reusable: bool) {
        if let Some(rested) = self.state.rested.get(index) {
            rested.set(self.telemetry.now());
        }
        self.telemetry
            .event(&Event::PoolCheckin { index, reusable });
        if let Ok(mut waiters) = self.state.waiters.try_borrow_mut() {
            wake_list(&mut waiters);
        }
    }
}

/// Wakes the futures waiting on the pool when dropped, however the checkout ends (also when
/// its future is dropped half-way): a place or the connector may have become free.
struct WakeWaiters<'a>(&'a RefCell<[Option<Waker>; POOL_WAITERS]>);

impl Drop for WakeWaiters<'_> {
    fn drop(&mut self) {
        if let Ok(mut waiters) = self.0.try_borrow_mut() {
            wake_list(&mut waiters);
        }
    }
}

/// Empties a place whose checkout was dropped or failed half-way.
struct PlaceGuard<'a, 'e, Conn> {
    entry: &'a mut RefMut<'e, Option<Conn>>,
    armed: bool,
}

impl<Conn> Drop for PlaceGuard<'_, '_, Conn> {
    fn drop(&mut self) {
        if self.armed {
            **self.entry = None;
        }
    }
}
