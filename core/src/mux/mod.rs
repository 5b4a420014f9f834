#![doc = include_str!("README.md")]

mod handle;
mod ring;
mod router;
mod slot;
mod tag;
pub(crate) mod waker;

mod halves;
mod lifecycle;
mod link;
mod read;
mod waiting;
mod write;

use core::cell::{Cell, RefCell};

use embedded_io_async::{Read, Write};

pub use handle::{Response, Row, Stream, StreamEnd};
pub use ring::ENTRY_OVERHEAD;
pub use slot::SlotId;
pub use waker::{Either, FREE_WAITERS};

use crate::client::{Collected, Done, FromReply};
use crate::error::{Buffer, Error};
use crate::keepalive::{Delay, Keepalive, LastHeard, Probe};
use crate::proto::{answer_to_plain, auth_error, check_md5_done, LoginRequest};
use crate::request::Request;
use crate::telemetry::Instant;
use crate::telemetry::{path_from, Path, Telemetry};
use crate::wire::{leading_words, Decoder, Frame};
use core::time::Duration;
use halves::{ReadHalf, WriteHalf};
use link::{HandOver, StartGuard};
use router::Routed;
use slot::{Cancel, Kind, Meta};
use waker::Wakers;

/// A multiplexing client with 4 slots of 1 KiB each.
pub type Mux4<'b, R, W, Tm = ()> = Mux<'b, R, W, Tm, 4, 1024>;
/// A multiplexing client with 16 slots of 1 KiB each.
pub type Mux16<'b, R, W, Tm = ()> = Mux<'b, R, W, Tm, 16, 1024>;

/// What handles need from their client (sealed: implemented by [`Mux`] only).
pub trait Link: sealed::Sealed {
    /// The handle for `id` is gone before its end was read.
    #[doc(hidden)]
    fn abandon(&self, id: SlotId);
    /// The row at the front of `slot` was consumed.
    #[doc(hidden)]
    fn release_row(&self, slot: usize);
    /// The future starting `id`'s command was dropped (`encoded`: after its sentence was
    /// queued for writing).
    #[doc(hidden)]
    fn abandon_start(&self, id: SlotId, encoded: bool);
    /// Wakes every future waiting on the connection.
    #[doc(hidden)]
    fn wake_waiters(&self);
}

mod sealed {
    pub trait Sealed {}
}

/// A finished command or stream, as telemetry reports it.
struct EndReport {
    kind: Kind,
    tag: u32,
    path: Path,
    duration: core::time::Duration,
    rows: u32,
    dropped: u32,
    cancelled: bool,
    error: Option<Error>,
}

/// Where a handle stands.
pub(crate) enum Front {
    /// A row is at the front of the slot's buffer.
    Row,
    /// The command's `!done` came and every row was consumed.
    End,
}

/// Counts of a finished command or stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) rows: u32,
    pub(crate) dropped: u32,
}

/// A client running up to `N` tagged commands and streams at once on one connection, each
/// slot buffering up to `S` bytes of replies. See the [module docs](self) for the design.
///
/// `Tm` is the [`Telemetry`]: `()` for none, or an `(observer, clock)` pair.
///
/// Memory: `N * (S + about 250)` bytes plus the transport halves; the receive buffer (which
/// bounds the largest reply sentence) and the send buffer (the largest command) are the
/// caller's.
pub struct Mux<'b, R, W, Tm = (), const N: usize = 4, const S: usize = 1024> {
    reader: RefCell<ReadHalf<'b, R>>,
    writer: RefCell<WriteHalf<'b, W>>,
    metas: RefCell<[Meta; N]>,
    rings: [RefCell<ring::Ring<S>>; N],
    wakers: RefCell<Wakers<N>>,
    failed: RefCell<Option<Error>>,
    /// The reader holds a sentence it could not route (see [`ReadHalf::pending`]).
    blocked: Cell<bool>,
    /// `/cancel`s and keepalive probes written whose own `!done` has not come yet.
    cancels_due: Cell<u32>,
    /// The number of the last keepalive probe sent.
    probe_seq: Cell<u32>,
    /// The tag of the last keepalive probe answered.
    probe_answered: Cell<u32>,
    /// When the peer was last heard from (for [`keepalive`](Mux::keepalive)).
    last_heard: Cell<LastHeard>,
    telemetry: Tm,
}

impl<R, W, Tm, const N: usize, const S: usize> sealed::Sealed for Mux<'_, R, W, Tm, N, S> {}

impl<'b, R: Read, W: Write, const N: usize, const S: usize> Mux<'b, R, W, (), N, S> {
    /// A client over the two halves of a connection, receiving into `rx` (bounds the largest
    /// reply sentence) and encoding into `tx` (bounds the largest command), without telemetry.
    ///
    /// `rx` must hold at least [`Decoder::MIN_CAPACITY`] (5) bytes; with less, every call
    /// fails with [`Error::BufferTooSmall`]`(`[`Buffer::Receive`]`)` (see
    /// [`try_new`](Self::try_new) to be told at once).
    pub fn new(reader: R, writer: W, rx: &'b mut [u8], tx: &'b mut [u8]) -> Self {
        Self::with_telemetry(reader, writer, rx, tx, ())
    }

    /// Like [`new`](Self::new), but refuses a receive buffer smaller than
    /// [`Decoder::MIN_CAPACITY`] with [`Error::BufferTooSmall`]`(`[`Buffer::Receive`]`)`.
    pub fn try_new(
        reader: R,
        writer: W,
        rx: &'b mut [u8],
        tx: &'b mut [u8],
    ) -> Result<Self, Error> {
        let mux = Self::new(reader, writer, rx, tx);
        match mux.error() {
            Some(e) => Err(e),
            None => Ok(mux),
        }
    }
}

impl<'b, R: Read, W: Write, Tm: Telemetry, const N: usize, const S: usize> Mux<'b, R, W, Tm, N, S> {
    const CHECK: () = assert!(N > 0 && N <= 4096, "a Mux needs between 1 and 4096 slots");

    /// Like [`new`](Mux::new), reporting to `telemetry` (an `(observer, clock)` pair).
    ///
    /// A receive buffer under [`Decoder::MIN_CAPACITY`] bytes makes every call fail with
    /// [`Error::BufferTooSmall`]`(`[`Buffer::Receive`]`)`.
    pub fn with_telemetry(
        reader: R,
        writer: W,
        rx: &'b mut [u8],
        tx: &'b mut [u8],
        telemetry: Tm,
    ) -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::CHECK;
        let failed = (rx.len() < Decoder::<&mut [u8]>::MIN_CAPACITY)
            .then_some(Error::BufferTooSmall(Buffer::Receive));
        Self {
            reader: RefCell::new(ReadHalf {
                io: reader,
                decoder: Decoder::new(rx),
                pending: None,
            }),
            writer: RefCell::new(WriteHalf {
                io: writer,
                buf: tx,
                pos: 0,
                end: 0,
                secret: false,
            }),
            metas: RefCell::new([const { Meta::new() }; N]),
            rings: [const { RefCell::new(ring::Ring::new()) }; N],
            wakers: RefCell::new(Wakers::new()),
            failed: RefCell::new(failed),
            blocked: Cell::new(false),
            cancels_due: Cell::new(0),
            probe_seq: Cell::new(0),
            probe_answered: Cell::new(0),
            last_heard: Cell::new(LastHeard::new()),
            telemetry,
        }
    }

    /// The telemetry this client reports to.
    pub fn telemetry(&self) -> &Tm {
        &self.telemetry
    }

    /// Whether the connection can still take commands.
    pub fn is_usable(&self) -> bool {
        self.failed.borrow().is_none()
    }

    /// Sets the receive side's skip limit (see [`Decoder::set_skip_limit`]; default
    /// [`Decoder::DEFAULT_SKIP_LIMIT`], 16 MiB): a reply word claiming more, or an oversize
    /// reply that would drop more, ends the connection at once with
    /// [`Error::Wire`]`(`[`WireError::TooLargeToSkip`](crate::wire::WireError::TooLargeToSkip)`)`
    /// for every command and stream, instead of being skipped.
    pub fn set_skip_limit(&mut self, bytes: u32) {
        self.reader.get_mut().decoder.set_skip_limit(bytes);
    }

    /// What ended the connection, if it has ended.
    pub fn error(&self) -> Option<Error> {
        self.failed.borrow().clone()
    }

    /// How many slots are taken (by live handles, or by dropped ones waiting for their
    /// command's `!done`).
    pub fn slots_in_use(&self) -> usize {
        self.metas.borrow().iter().filter(|m| m.busy).count()
    }

    /// The number of slots, `N`.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Logs in: the plain method first, then the pre-6.43 MD5 challenge if the router answers
    /// with one. Wrong credentials give [`Error::AuthFailed`]. The password is only ever in
    /// the send buffer.
    ///
    /// `/login` is tagged like every command of this client (RouterOS copies `.tag` onto the
    /// login replies as onto any other; the simulator does too).
    ///
    /// **Cancel safety**: safe to drop; see [`run`](Self::run).
    pub async fn login(&self, username: &str, password: &str) -> Result<(), Error> {
        let plain = LoginRequest::plain(username, password);
        let done = self.run_secret(&plain).await.map_err(auth_error)?;
        let Some(mut response) = answer_to_plain(done.ret(), password)? else {
            debug!("logged in (plain)");
            return Ok(());
        };
        let done = self
            .run_secret(&LoginRequest::md5(username, &response))
            .await;
        response.wipe();
        check_md5_done(done.map_err(auth_error)?.ret())
    }

    /// Runs a command carrying a secret: the send buffer is wiped as soon as it is written.
    async fn run_secret<Q: Request + ?Sized>(&self, request: &Q) -> Result<Done, Error> {
        let id = self.start(request, Kind::Command, true, true).await?;
        Response::new(self, id).finish().await
    }

    /// Starts a command in a free slot and returns its reply rows; fails with
    /// [`Error::SlotsExhausted`] if every slot is taken.
    ///
    /// **Cancel safety**: safe to drop. If dropped after the command started going out, the
    /// command is cancelled and its slot freed when its `!done` arrives.
    pub async fn command<Q: Request + ?Sized>(
        &self,
        request: &Q,
    ) -> Result<Response<'_, Self>, Error> {
        let id = self.start(request, Kind::Command, false, false).await?;
        Ok(Response::new(self, id))
    }

    /// Like [`command`](Self::command), but waits for a free slot.
    pub async fn command_wait<Q: Request + ?Sized>(
        &self,
        request: &Q,
    ) -> Result<Response<'_, Self>, Error> {
        let id = self.start(request, Kind::Command, true, false).await?;
        Ok(Response::new(self, id))
    }

    /// Starts a streaming command (`/interface/monitor-traffic`, `/tool/torch`, `/ping`,
    /// `.../listen`) in a free slot; fails with [`Error::SlotsExhausted`] if every slot is
    /// taken.
    ///
    /// **Cancel safety**: as for [`command`](Self::command).
    pub async fn stream<Q: Request + ?Sized>(
        &self,
        request: &Q,
    ) -> Result<Stream<'_, Self>, Error> {
        let id = self.start(request, Kind::Stream, false, false).await?;
        Ok(Stream::new(self, id))
    }

    /// Like [`stream`](Self::stream), but waits for a free slot.
    pub async fn stream_wait<Q: Request + ?Sized>(
        &self,
        request: &Q,
    ) -> Result<Stream<'_, Self>, Error> {
        let id = self.start(request, Kind::Stream, true, false).await?;
        Ok(Stream::new(self, id))
    }

    /// Runs a command (waiting for a free slot) and collects its rows into a container of
    /// caller-chosen capacity. More rows than `M` give
    /// [`Error::BufferTooSmall`]`(`[`Buffer::Rows`]`)` after the reply was read to its end.
    pub async fn collect<T: FromReply, const M: usize, Q: Request + ?Sized>(
        &self,
        request: &Q,
    ) -> Result<heapless::Vec<T, M>, Error> {
        let mut collected = Collected::new();
        let mut response = self.command_wait(request).await?;
        while let Some(row) = response.next().await {
            collected.take(row.and_then(|row| T::from_reply(&row.reply())))?;
        }
        collected.finish()
    }

    /// Runs a command to its end (waiting for a slot if needed), skipping its rows; returns
    /// its `!done` or its first error.
    ///
    /// **Cancel safety**: safe to drop; the command is then cancelled.
    pub async fn run<Q: Request + ?Sized>(&self, request: &Q) -> Result<Done, Error> {
        self.command_wait(request).await?.finish().await
    }

    /// Puts the halves of a new connection in (log in again afterwards). Waits until no
    /// future is reading or writing (immediate once the old connection failed). Every
    /// handle from before gets [`Error::StaleHandle`] from then on.
    ///
    /// **Cancel safety**: safe to drop before it returns; nothing changes then.
    pub async fn reconnect(&self, reader: R, writer: W) -> Result<(), Error> {
        loop {
            if let (Ok(mut r), Ok(mut w)) =
                (self.reader.try_borrow_mut(), self.writer.try_borrow_mut())
            {
                r.io = reader;
                r.decoder.reset();
                r.pending = None;
                w.wipe_secret();
                w.io = writer;
                w.pos = 0;
                w.end = 0;
                break;
            }
            self.park(None, || self.reader_free() && self.writer_free())
                .await;
        }
        {
            let mut metas = self.metas.borrow_mut();
            for (meta, ring) in metas.iter_mut().zip(&self.rings) {
                meta.busy = false;
                if let Ok(mut ring) = ring.try_borrow_mut() {
                    ring.clear();
                }
            }
        }
        self.blocked.set(false);
        self.cancels_due.set(0);
        self.last_heard.set(LastHeard::new());
        let too_small =
            self.reader.borrow().decoder.capacity() < Decoder::<&mut [u8]>::MIN_CAPACITY;
        *self.failed.borrow_mut() = too_small.then_some(Error::BufferTooSmall(Buffer::Receive));
        self.wake_all();
        Ok(())
    }

    /// Dead-peer detection, driven by the caller's clock: call it every few seconds (from
    /// any task using this mux) with the current time. Once nothing was heard from the
    /// router for `policy.idle`, it runs `/system/identity/print` (waiting for a slot if
    /// needed) and waits at most `policy.deadline` (timed by `delay`) for its end. No answer
    /// in time: the connection fails with [`Error::Timeout`]: every handle gets that error
    /// (also one waiting for a row of a silent stream) and the mux is no longer usable.
    /// See the [`keepalive`](crate::keepalive) module.
    ///
    /// The probe needs no slot (it has a tag of its own, like a `/cancel`), so it works
    /// while every slot is held.
    ///
    /// **Cancel safety**: safe to drop; the probe is then cancelled.
    pub async fn keepalive<D: Delay>(
        &self,
        now: Instant,
        policy: &Keepalive,
        delay: &mut D,
    ) -> Result<Probe, Error> {
        if let Some(e) = self.error() {
            return Err(e);
        }
        let mut last = self.last_heard.get();
        let due = last.due(now, policy.idle);
        self.last_heard.set(last);
        if !due {
            return Ok(Probe::NotDue);
        }
        self.probe(policy.deadline, delay).await?;
        let mut last = self.last_heard.get();
        last.answered(now);
        self.last_heard.set(last);
        Ok(Probe::Answered)
    }

    /// Sends `/system/identity/print` (outside the slots, with a tag of its own) and waits
    /// at most `deadline` (timed by `delay`) for its `!done`, reading and routing meanwhile.
    /// No answer in time: the connection fails with [`Error::Timeout`].
    ///
    /// **Cancel safety**: safe to drop (a probe cut short mid-write is finished by the next
    /// writer; its late answer is dropped).
    pub async fn probe<D: Delay>(&self, deadline: Duration, delay: &mut D) -> Result<(), Error> {
        let ms = crate::keepalive::duration_ms(deadline);
        match crate::keepalive::within(self.probe_now(), ms, delay).await {
            Some(result) => result.map(|_| ()),
            None => {
                warn!("keepalive probe unanswered: the peer is gone");
                self.fail(Error::Timeout);
                Err(Error::Timeout)
            }
        }
    }

    /// Gives the transport halves back (wiping a login secret a dropped `login` future may
    /// have left in the send buffer).
    pub fn into_parts(self) -> (R, W) {
        let mut writer = self.writer.into_inner();
        writer.wipe_secret();
        (self.reader.into_inner().io, writer.io)
    }
}
