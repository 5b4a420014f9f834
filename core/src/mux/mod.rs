//! Many commands at once on one connection: tagged multiplexing, streams with cancel.
//!
//! [`Mux`] runs up to `N` commands and streams at the same time over one connection, in
//! memory fixed at compile time: `N` slots of `S` bytes each, plus the caller's receive and
//! send buffers. Every command is tagged; replies are routed to their slot by tag.
//!
//! # Design: whoever polls drives the I/O
//!
//! There is no background task. A handle that needs data takes the reader (if no one else
//! holds it), decodes whatever sentences are buffered, copies each one into the bounded
//! buffer of the slot its tag names, wakes that slot's handle, and reads more until its own
//! slot has something. Whoever holds the reader also writes pending `/cancel`s. Writes are
//! serialized, so sentences never interleave; a write cut short (its future dropped) is
//! finished by the next writer before anything else, so dropping any future of this module
//! never leaves half a sentence on the wire.
//!
//! - A tag names its slot and the slot's *generation* (see [`SlotId`]): replies for unknown or
//!   finished commands, and replies to `/cancel`s, are dropped without harming the connection.
//! - A slot is registered before its command is written, so replies that arrive before the
//!   write finishes are routed correctly.
//! - All slots busy: [`Mux::command`] and [`Mux::stream`] fail with
//!   [`Error::SlotsExhausted`]; [`Mux::command_wait`], [`Mux::stream_wait`] and [`Mux::run`]
//!   wait for a slot.
//! - The transport comes as two halves (`R: Read`, `W: Write`): embassy-net's
//!   `TcpSocket::split`, tokio's `TcpStream::into_split` wrapped in `embedded-io-adapters`, a
//!   TLS stream's halves. The read half's `read` must be cancel-safe (dropping a pending read
//!   loses no bytes), as it is for those.
//!
//! # Executors, `Send` and `Sync`
//!
//! The state lives in `Cell`/`RefCell`: a `Mux` is `!Sync`, so every future using it runs on
//! one thread: several futures of one task (`join`, `select`), or several tasks of a
//! single-threaded executor (embassy, `wasm-bindgen-futures`, tokio's `current_thread`
//! runtime or `LocalSet`). It is `Send` when its halves and telemetry are, so it can be moved
//! to the thread that will use it. No allocation, no `unsafe`, no critical sections.
//!
//! A future that holds the reader is always one that is being polled: a handle's `next`
//! future, when dropped, gives the reader back. A future that is kept but never polled again
//! (not dropped) while it holds the reader stalls the others; the usual rule for async locks.
//!
//! # Bounded buffers and slow consumers
//!
//! Each slot queues whole reply sentences in `S` bytes (each costs its encoded size plus
//! [`ENTRY_OVERHEAD`]). What happens when it is full:
//!
//! - **Streams** drop their *oldest* queued row to make room, and count it
//!   ([`Stream::dropped`]). A slow stream consumer never delays anything else. While the
//!   consumer holds a [`Row`], new rows for that stream are dropped (and counted) too.
//! - **Commands** never lose a row: reading pauses (back-pressure) until the command's handle
//!   consumes a row. Other slots wait meanwhile, so consume command replies promptly (or give
//!   them room); a command whose handle is never polled again stalls the connection until it
//!   is dropped. A single row larger than `S` can never be queued: it is dropped and the
//!   command ends with [`Error::BufferTooSmall`]`(`[`Buffer::Rows`]`)`. A
//!   sentence larger than the receive buffer is skipped by the decoder. Its reply word and
//!   tag are kept when they open it (as RouterOS sends them): its command then ends with
//!   [`Error::BufferTooSmall`]`(`[`Buffer::Receive`]`)` (a skipped `!done` still ends it), or
//!   its stream counts a dropped row. If the tag could not be read, every command running at
//!   that moment is marked with that error.
//!
//! # Streams and cancel
//!
//! [`Stream::cancel`] sends `/cancel =tag=X` (with a tag of its own) and reads until the
//! stream's `!done`, whatever the order of the stream's `!trap =category=2`, the cancel's
//! `!done` and the stream's `!done`. Dropping a [`Stream`] (or a [`Response`]) before its end
//! marks the slot for cancel; the next poll that drives I/O writes the `/cancel`, and the slot
//! is freed when the command's `!done` arrives. `=duration=`, `=count=` or `=once=` end a
//! stream by themselves.
//!
//! # Failures
//!
//! A broken transport, a reserved control byte, or `!fatal` ends the connection: every handle
//! gets the error, slots of dropped handles are freed, and new commands fail with it.
//! [`Mux::reconnect`] puts fresh halves in; every handle from before gets
//! [`Error::StaleHandle`].
//!
//! # Example
//!
//! Two commands and a stream on one connection, driven from one task:
//!
//! ```
//! # use routeros_core::mux::Mux;
//! # use routeros_core::Error;
//! # async fn demo<R: embedded_io_async::Read, W: embedded_io_async::Write>(r: R, w: W) -> Result<(), Error> {
//! let (mut rx, mut tx) = ([0u8; 2048], [0u8; 256]);
//! let mux: Mux<'_, R, W, (), 4, 1024> = Mux::new(r, w, &mut rx, &mut tx);
//! mux.login("admin", "").await?;
//!
//! let mut traffic = mux
//!     .stream(&["/interface/monitor-traffic", "=interface=ether1", "=interval=100ms"])
//!     .await?;
//! let mut interfaces = mux.command(&["/interface/print"]).await?;
//! let identity = mux.command(&["/system/identity/print"]).await?;
//!
//! // Any order works: each handle drives the connection when it needs data.
//! let done = identity.finish().await?;
//! while let Some(row) = interfaces.next().await {
//!     let row = row?;
//!     let _name = row.get("name");
//! }
//! for _ in 0..3 {
//!     if let Some(sample) = traffic.next().await {
//!         let _rx_bps = sample?.get("rx-bits-per-second");
//!     }
//! }
//! let end = traffic.cancel().await?;
//! assert!(end.rows >= 3);
//! # let _ = done; Ok(()) }
//! ```
//!
//! # Runnable example: streaming, cancel and telemetry
//!
//! Over a scripted in-memory transport whose replies are all there from the start (they
//! "arrive" before the commands are written, which the tags make harmless): slot 0 in its
//! first generation is tagged `5`, slot 1 `6`, and the `/cancel` of tag 5 `2147483653`.
//!
//! ```
//! # use std::collections::VecDeque;
//! # use core::cell::RefCell;
//! # use routeros_core::wire::SentenceEncoder;
//! # struct Script(VecDeque<u8>);
//! # impl embedded_io_async::ErrorType for Script { type Error = core::convert::Infallible; }
//! # impl embedded_io_async::Read for Script {
//! #     async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
//! #         let n = buf.len().min(self.0.len());
//! #         for (b, x) in buf.iter_mut().zip(self.0.drain(..n)) { *b = x; }
//! #         Ok(n)
//! #     }
//! # }
//! # struct Sink(Vec<u8>);
//! # impl embedded_io_async::ErrorType for Sink { type Error = core::convert::Infallible; }
//! # impl embedded_io_async::Write for Sink {
//! #     async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
//! #         self.0.extend_from_slice(buf);
//! #         Ok(buf.len())
//! #     }
//! #     async fn flush(&mut self) -> Result<(), Self::Error> { Ok(()) }
//! # }
//! # fn say(out: &mut VecDeque<u8>, words: &[&str]) {
//! #     let mut buf = [0u8; 128];
//! #     let mut enc = SentenceEncoder::new(&mut buf);
//! #     for w in words { enc.word(w.as_bytes()).unwrap(); }
//! #     out.extend(enc.finish().unwrap());
//! # }
//! use routeros_core::mux::Mux;
//! use routeros_core::telemetry::{Clock, Event, Instant, Observer};
//!
//! /// Keeps one line per event.
//! #[derive(Default)]
//! struct Lines(RefCell<Vec<String>>);
//! impl Observer for Lines {
//!     fn on_event(&self, event: &Event<'_>) {
//!         let line = match event {
//!             Event::StreamStop { path, rows, cancelled, .. } => {
//!                 format!("stream {path}: {rows} rows, cancelled: {cancelled}")
//!             }
//!             Event::CommandStop { path, duration, .. } => {
//!                 format!("command {path}: {} µs", duration.as_micros())
//!             }
//!             _ => return,
//!         };
//!         self.0.borrow_mut().push(line);
//!     }
//! }
//! /// A clock that advances 10 µs each time it is read.
//! #[derive(Default)]
//! struct Ticks(core::cell::Cell<u64>);
//! impl Clock for Ticks {
//!     fn now(&self) -> Instant {
//!         self.0.set(self.0.get() + 10);
//!         Instant::from_micros(self.0.get())
//!     }
//! }
//!
//! let mut router = VecDeque::new();
//! for rx in ["1000", "2000", "3000"] {
//!     say(&mut router, &["!re", "=name=ether1", &format!("=rx-bits-per-second={rx}"), ".tag=5"]);
//! }
//! say(&mut router, &["!re", "=name=MikroTik", ".tag=6"]);
//! say(&mut router, &["!done", ".tag=6"]);
//! say(&mut router, &["!trap", "=category=2", "=message=interrupted", ".tag=5"]);
//! say(&mut router, &["!done", ".tag=2147483653"]);
//! say(&mut router, &["!done", ".tag=5"]);
//!
//! let (mut rx, mut tx) = ([0u8; 1024], [0u8; 256]);
//! let telemetry = (Lines::default(), Ticks::default());
//! let mux: Mux<'_, _, _, _, 4, 512> =
//!     Mux::with_telemetry(Script(router), Sink(Vec::new()), &mut rx, &mut tx, &telemetry);
//!
//! # futures_executor::block_on(async {
//! let mut traffic = mux.stream(&["/interface/monitor-traffic", "=interface=ether1"]).await?;
//! let identity = mux.command(&["/system/identity/print"]).await?;
//! let mut total = 0;
//! for _ in 0..3 {
//!     let sample = traffic.next().await.expect("a row")?;
//!     total += sample.get("rx-bits-per-second").and_then(|v| v.parse::<u32>()).unwrap_or(0);
//! }
//! assert_eq!(total, 6000);
//! // The trap with category 2 is how a cancelled stream ends: not an error.
//! let end = traffic.cancel().await?;
//! assert_eq!((end.rows, end.dropped), (3, 0));
//! identity.finish().await?;
//! assert_eq!(mux.slots_in_use(), 0);
//! # Ok::<(), routeros_core::Error>(()) }).unwrap();
//!
//! let lines = telemetry.0 .0.borrow();
//! assert_eq!(lines[0], "stream /interface/monitor-traffic: 3 rows, cancelled: true");
//! assert!(lines[1].starts_with("command /system/identity/print: "));
//! ```

mod handle;
mod ring;
mod router;
mod slot;
mod tag;
pub(crate) mod waker;

use core::cell::{Cell, Ref, RefCell};
use core::future::poll_fn;
use core::task::Poll;

use embedded_io::Error as _;
use embedded_io_async::{Read, Write};

pub use handle::{Response, Row, Stream, StreamEnd};
pub use ring::ENTRY_OVERHEAD;
pub use slot::SlotId;
pub use waker::{Either, FREE_WAITERS};

use crate::client::{Collected, Done, FromReply};
use crate::error::{Buffer, Error};
use crate::proto::{
    answer_to_plain, auth_error, check_md5_done, message_from, LoginRequest, Reply, TagText,
};
use crate::request::{CancelRequest, Request};
use crate::telemetry::{path_from, Event, Path, Telemetry};
use crate::wire::{
    leading_words, Decoder, Frame, Sentence, SentenceEncoder, SkippedHead, WireError,
};
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

struct ReadHalf<'b, R> {
    io: R,
    decoder: Decoder<&'b mut [u8]>,
    /// A sentence that could not be routed yet (its command's buffer was full).
    pending: Option<Frame>,
}

struct WriteHalf<'b, W> {
    io: W,
    buf: &'b mut [u8],
    /// `buf[pos..end]` is the rest of a sentence still to be written.
    pos: usize,
    end: usize,
}

impl<W: Write> WriteHalf<'_, W> {
    /// Writes whatever is pending; cancel-safe (progress is kept in `pos`).
    async fn drain(&mut self) -> Result<(), Error> {
        while self.pos < self.end {
            match self.io.write(&self.buf[self.pos..self.end]).await {
                Ok(0) => return Err(Error::Io(embedded_io::ErrorKind::WriteZero)),
                Ok(n) => self.pos += n.min(self.end - self.pos),
                Err(e) => return Err(Error::Io(e.kind())),
            }
        }
        self.io.flush().await.map_err(|e| Error::Io(e.kind()))
    }

    /// Encodes `request` with `.tag=tag` as the pending sentence; returns its path.
    fn encode<Q: Request + ?Sized>(&mut self, request: &Q, tag: u32) -> Result<Path, Error> {
        let mut encoder = SentenceEncoder::new(self.buf);
        request.encode(&mut encoder)?;
        encoder.api_attribute("tag", TagText::new(tag).as_bytes())?;
        let len = encoder.finish()?.len();
        let path = path_from(leading_words(&self.buf[..len]).next().unwrap_or_default());
        self.pos = 0;
        self.end = len;
        Ok(path)
    }
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
    telemetry: Tm,
}

impl<R, W, Tm, const N: usize, const S: usize> sealed::Sealed for Mux<'_, R, W, Tm, N, S> {}

impl<'b, R: Read, W: Write, const N: usize, const S: usize> Mux<'b, R, W, (), N, S> {
    /// A client over the two halves of a connection, receiving into `rx` (bounds the largest
    /// reply sentence) and encoding into `tx` (bounds the largest command), without telemetry.
    pub fn new(reader: R, writer: W, rx: &'b mut [u8], tx: &'b mut [u8]) -> Self {
        Self::with_telemetry(reader, writer, rx, tx, ())
    }
}

impl<'b, R: Read, W: Write, Tm: Telemetry, const N: usize, const S: usize> Mux<'b, R, W, Tm, N, S> {
    const CHECK: () = assert!(N > 0 && N <= 4096, "a Mux needs between 1 and 4096 slots");

    /// Like [`new`](Mux::new), reporting to `telemetry` (an `(observer, clock)` pair).
    pub fn with_telemetry(
        reader: R,
        writer: W,
        rx: &'b mut [u8],
        tx: &'b mut [u8],
        telemetry: Tm,
    ) -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::CHECK;
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
            }),
            metas: RefCell::new([const { Meta::new() }; N]),
            rings: [const { RefCell::new(ring::Ring::new()) }; N],
            wakers: RefCell::new(Wakers::new()),
            failed: RefCell::new(None),
            blocked: Cell::new(false),
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
        let done = self.run(&plain).await.map_err(auth_error)?;
        let Some(response) = answer_to_plain(done.ret(), password)? else {
            debug!("logged in (plain)");
            return Ok(());
        };
        let done = self
            .run(&LoginRequest::md5(username, &response))
            .await
            .map_err(auth_error)?;
        check_md5_done(done.ret())
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
        let id = self.start(request, Kind::Command, false).await?;
        Ok(Response::new(self, id))
    }

    /// Like [`command`](Self::command), but waits for a free slot.
    pub async fn command_wait<Q: Request + ?Sized>(
        &self,
        request: &Q,
    ) -> Result<Response<'_, Self>, Error> {
        let id = self.start(request, Kind::Command, true).await?;
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
        let id = self.start(request, Kind::Stream, false).await?;
        Ok(Stream::new(self, id))
    }

    /// Like [`stream`](Self::stream), but waits for a free slot.
    pub async fn stream_wait<Q: Request + ?Sized>(
        &self,
        request: &Q,
    ) -> Result<Stream<'_, Self>, Error> {
        let id = self.start(request, Kind::Stream, true).await?;
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
        *self.failed.borrow_mut() = None;
        self.wake_all();
        Ok(())
    }

    /// Gives the transport halves back.
    pub fn into_parts(self) -> (R, W) {
        (self.reader.into_inner().io, self.writer.into_inner().io)
    }

    // ---- slots -------------------------------------------------------------------------

    fn claim(&self, kind: Kind) -> Result<SlotId, Error> {
        if let Some(e) = self.error() {
            return Err(e);
        }
        let mut metas = self.metas.borrow_mut();
        // A free slot whose buffer is not lent out (a row view kept from before a reconnect
        // keeps its slot out of use until dropped).
        let (slot, meta, mut ring) = metas
            .iter_mut()
            .zip(&self.rings)
            .enumerate()
            .filter(|(_, (m, _))| !m.busy)
            .find_map(|(slot, (m, ring))| Some((slot, m, ring.try_borrow_mut().ok()?)))
            .ok_or(Error::SlotsExhausted)?;
        let generation = meta.claim(kind);
        ring.clear();
        Ok(SlotId { slot, generation })
    }

    fn has_free_slot(&self) -> bool {
        self.metas
            .borrow()
            .iter()
            .zip(&self.rings)
            .any(|(m, ring)| !m.busy && ring.try_borrow_mut().is_ok())
    }

    async fn claim_wait(&self, kind: Kind) -> Result<SlotId, Error> {
        loop {
            match self.claim(kind) {
                Err(Error::SlotsExhausted) => self.park(None, || self.has_free_slot()).await,
                other => return other,
            }
        }
    }

    fn free_silently(&self, id: SlotId) {
        if let Some(meta) = self.metas.borrow_mut().get_mut(id.slot) {
            if meta.owned_by(id.generation) {
                meta.busy = false;
            }
        }
        self.wake_all();
    }

    /// Frees `id`'s slot at its end, reports it, and returns what the handle should see.
    fn finish(&self, id: SlotId, failure: Option<&Error>) -> Result<Counts, Error> {
        let (report, outcome) = {
            let mut metas = self.metas.borrow_mut();
            let Some(meta) = metas.get_mut(id.slot).filter(|m| m.owned_by(id.generation)) else {
                return Err(Error::StaleHandle);
            };
            meta.busy = false;
            let counts = Counts {
                rows: meta.rows,
                dropped: meta.dropped,
            };
            let outcome = match (failure, meta.lost, meta.trap.take()) {
                (Some(e), _, _) => Err(e.clone()),
                (None, Some(buffer), _) => Err(Error::BufferTooSmall(buffer)),
                (None, None, Some(trap)) => Err(Error::Trap(trap)),
                (None, None, None) => Ok(counts),
            };
            let report = self.report(id.slot, meta, outcome.as_ref().err().cloned());
            (report, outcome)
        };
        if let Ok(mut ring) = self.rings[id.slot].try_borrow_mut() {
            ring.clear();
        }
        self.emit_end(report);
        self.unblock();
        self.wake_all();
        outcome
    }

    fn report(&self, slot: usize, meta: &Meta, error: Option<Error>) -> Option<EndReport> {
        if !Tm::ENABLED {
            return None;
        }
        Some(EndReport {
            kind: meta.kind,
            tag: tag::command_tag(N, slot, meta.generation),
            path: meta.path.clone(),
            duration: self.telemetry.now().duration_since(meta.started),
            rows: meta.rows,
            dropped: meta.dropped,
            cancelled: meta.cancel != Cancel::No || meta.interrupted,
            error,
        })
    }

    fn emit_end(&self, report: Option<EndReport>) {
        let Some(r) = report else { return };
        let event = match (r.kind, &r.error) {
            (Kind::Stream, _) => Event::StreamStop {
                tag: r.tag,
                path: &r.path,
                duration: r.duration,
                rows: r.rows,
                dropped: r.dropped,
                cancelled: r.cancelled,
            },
            (Kind::Command, None) => Event::CommandStop {
                tag: r.tag,
                path: &r.path,
                duration: r.duration,
                rows: r.rows,
            },
            (Kind::Command, Some(error)) => Event::CommandException {
                tag: r.tag,
                path: &r.path,
                duration: r.duration,
                error,
            },
        };
        self.telemetry.event(&event);
    }

    /// Marks `id` for cancel (if it has not ended); the next poll that drives I/O writes it.
    fn request_cancel(&self, id: SlotId) {
        {
            let mut metas = self.metas.borrow_mut();
            if let Some(meta) = metas.get_mut(id.slot).filter(|m| m.owned_by(id.generation)) {
                if !meta.done && meta.cancel == Cancel::No {
                    meta.cancel = Cancel::Requested;
                }
            }
        }
        self.wake_all();
    }

    // ---- waking ------------------------------------------------------------------------

    fn wake_all(&self) {
        let taken = self.wakers.borrow_mut().take_all();
        taken.wake();
    }

    fn wake_slot(&self, slot: usize) {
        let waker = self.wakers.borrow_mut().take_slot(slot);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// A row was consumed or a buffer emptied: a paused reader may go on.
    fn unblock(&self) {
        if self.blocked.replace(false) {
            self.wake_all();
        }
    }

    fn reader_free(&self) -> bool {
        self.reader.try_borrow_mut().is_ok()
    }

    fn writer_free(&self) -> bool {
        self.writer.try_borrow_mut().is_ok()
    }

    /// Waits until woken (or until `ready()` holds). `slot`: the slot whose waker to use;
    /// `None` for the shared list of futures without a slot.
    async fn park(&self, slot: Option<usize>, ready: impl Fn() -> bool) {
        let mut registered = false;
        poll_fn(|cx| {
            if registered || ready() {
                return Poll::Ready(());
            }
            let evicted = {
                let mut wakers = self.wakers.borrow_mut();
                match slot {
                    Some(slot) => {
                        wakers.register_slot(slot, cx.waker());
                        None
                    }
                    None => wakers.register_free(cx.waker()),
                }
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

    // ---- failure -----------------------------------------------------------------------

    /// Ends the connection with `error`: handles see it, abandoned slots are freed.
    fn fail(&self, error: Error) {
        {
            let mut failed = self.failed.borrow_mut();
            if failed.is_some() {
                return;
            }
            *failed = Some(error.clone());
        }
        warn!("connection failed");
        let mut reports: [Option<EndReport>; N] = [const { None }; N];
        {
            let mut metas = self.metas.borrow_mut();
            for (slot, meta) in metas.iter_mut().enumerate() {
                if meta.cancel == Cancel::Requested {
                    meta.cancel = Cancel::Sent;
                }
                if meta.busy && meta.abandoned {
                    meta.busy = false;
                    reports[slot] = self.report(slot, meta, Some(error.clone()));
                }
            }
        }
        self.telemetry.event(&Event::ConnectionException {
            duration: core::time::Duration::ZERO,
            error: &error,
        });
        for report in reports {
            self.emit_end(report);
        }
        self.blocked.set(false);
        self.wake_all();
    }

    // ---- writing -----------------------------------------------------------------------

    // The reader and writer `RefCell`s serve as async locks: they are only ever taken with
    // `try_borrow_mut`, and whoever finds them taken parks until woken, so holding them
    // across an await is the point.
    #[allow(clippy::await_holding_refcell_ref)]
    async fn start<Q: Request + ?Sized>(
        &self,
        request: &Q,
        kind: Kind,
        wait: bool,
    ) -> Result<SlotId, Error> {
        let id = if wait {
            self.claim_wait(kind).await?
        } else {
            self.claim(kind)?
        };
        let mut guard = StartGuard {
            mux: self,
            id,
            encoded: false,
            armed: true,
        };
        let mut writer = loop {
            if let Some(e) = self.error() {
                return Err(e);
            }
            if let Ok(writer) = self.writer.try_borrow_mut() {
                break writer;
            }
            self.park(Some(id.slot), || self.writer_free() || !self.is_usable())
                .await;
        };
        // Declared after `writer`, so dropped (waking the waiters) before it is released:
        // wake-ups only schedule polls, which find the writer free.
        let hand_over = HandOver(self);
        let result = self
            .write_command(&mut writer, request, id, &mut guard.encoded)
            .await;
        drop(writer);
        drop(hand_over);
        if let Err(e) = result {
            if e.is_fatal() {
                self.fail(e.clone());
            }
            return Err(e);
        }
        guard.armed = false;
        if Tm::ENABLED {
            let path = self.metas.borrow()[id.slot].path.clone();
            let tag = tag::command_tag(N, id.slot, id.generation);
            self.telemetry.event(&match kind {
                Kind::Command => Event::CommandStart { tag, path: &path },
                Kind::Stream => Event::StreamStart { tag, path: &path },
            });
        }
        Ok(id)
    }

    async fn write_command<Q: Request + ?Sized>(
        &self,
        writer: &mut WriteHalf<'b, W>,
        request: &Q,
        id: SlotId,
        encoded: &mut bool,
    ) -> Result<(), Error> {
        writer.drain().await?;
        let path = writer.encode(request, tag::command_tag(N, id.slot, id.generation))?;
        *encoded = true;
        {
            let mut metas = self.metas.borrow_mut();
            let meta = &mut metas[id.slot];
            meta.path = path;
            if Tm::ENABLED {
                meta.started = self.telemetry.now();
            }
        }
        writer.drain().await?;
        self.write_cancels(writer).await
    }

    fn cancel_pending(&self) -> bool {
        self.metas
            .borrow()
            .iter()
            .any(|m| m.busy && m.cancel == Cancel::Requested)
    }

    /// Writes every requested `/cancel`.
    async fn write_cancels(&self, writer: &mut WriteHalf<'b, W>) -> Result<(), Error> {
        writer.drain().await?;
        loop {
            let target = {
                let mut metas = self.metas.borrow_mut();
                let found = metas
                    .iter_mut()
                    .enumerate()
                    .find(|(_, m)| m.busy && m.cancel == Cancel::Requested);
                match found {
                    Some((slot, meta)) => {
                        meta.cancel = Cancel::Sent;
                        tag::command_tag(N, slot, meta.generation)
                    }
                    None => return Ok(()),
                }
            };
            let cancel = CancelRequest::new(target);
            match writer.encode(&cancel, tag::cancel_tag(target)) {
                Ok(_) => writer.drain().await?,
                Err(_) => warn!("the send buffer cannot hold a /cancel"),
            }
        }
    }

    /// Never ends: whenever a cancel is requested and the writer is free, writes it. Runs
    /// beside the reader's `read`, so a dropped handle's cancel goes out while a read waits.
    // The reader and writer `RefCell`s serve as async locks: they are only ever taken with
    // `try_borrow_mut`, and whoever finds them taken parks until woken, so holding them
    // across an await is the point.
    #[allow(clippy::await_holding_refcell_ref)]
    async fn flush_cancels(&self) -> core::convert::Infallible {
        loop {
            let ready = || self.cancel_pending() && self.writer_free();
            let mut registered = false;
            poll_fn(|cx| {
                if registered || ready() {
                    return Poll::Ready(());
                }
                self.wakers.borrow_mut().register_cancel(cx.waker());
                registered = true;
                if ready() {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            })
            .await;
            if !ready() {
                continue;
            }
            let Ok(mut writer) = self.writer.try_borrow_mut() else {
                continue;
            };
            let hand_over = HandOver(self);
            let result = self.write_cancels(&mut writer).await;
            drop(writer);
            drop(hand_over);
            if let Err(e) = result {
                self.fail(e);
            }
        }
    }

    // ---- reading -----------------------------------------------------------------------

    /// Whether the handle `id` has something to look at (a row, its end, a failure).
    fn news(&self, id: SlotId) -> Result<bool, Error> {
        let metas = self.metas.borrow();
        let meta = metas.get(id.slot).ok_or(Error::StaleHandle)?;
        if !meta.owned_by(id.generation) {
            return Err(Error::StaleHandle);
        }
        let queued = self.rings[id.slot]
            .try_borrow()
            .map(|r| !r.is_empty())
            .unwrap_or(true);
        Ok(queued || meta.done || self.failed.borrow().is_some())
    }

    fn can_drive(&self) -> bool {
        !self.blocked.get() && self.reader_free() && self.is_usable()
    }

    /// Waits until `id` has news, driving the connection if no one else does.
    async fn wait_for(&self, id: SlotId) -> Result<(), Error> {
        loop {
            if self.news(id)? {
                return Ok(());
            }
            if self.can_drive() {
                if let Ok(reader) = self.reader.try_borrow_mut() {
                    self.drive(reader, id).await;
                    continue;
                }
            }
            self.park(Some(id.slot), || {
                self.news(id).unwrap_or(true) || self.can_drive()
            })
            .await;
        }
    }

    /// Holds the reader: routes buffered sentences and reads more until `id` has news, the
    /// reader must pause (a full command buffer), or the connection fails.
    // The reader and writer `RefCell`s serve as async locks: they are only ever taken with
    // `try_borrow_mut`, and whoever finds them taken parks until woken, so holding them
    // across an await is the point.
    #[allow(clippy::await_holding_refcell_ref)]
    async fn drive(&self, mut reader: core::cell::RefMut<'_, ReadHalf<'b, R>>, id: SlotId) {
        // Wakes the waiting futures however this ends, also when dropped mid-read.
        let _hand_over = HandOver(self);
        loop {
            if !self.route_buffered(&mut reader) || self.news(id).unwrap_or(true) {
                break;
            }
            let read = async {
                let half = &mut *reader;
                half.io.read(half.decoder.spare()).await
            };
            match waker::with_background(read, self.flush_cancels()).await {
                Ok(0) => self.fail(Error::Closed),
                Ok(n) => reader.decoder.commit(n),
                Err(e) => self.fail(Error::Io(e.kind())),
            }
        }
        drop(reader);
    }

    /// Routes every buffered sentence. `false`: stop driving (paused or failed).
    fn route_buffered(&self, reader: &mut ReadHalf<'b, R>) -> bool {
        loop {
            if !self.is_usable() {
                return false;
            }
            let frame = match reader.pending.take() {
                Some(frame) => frame,
                None => match reader.decoder.next_frame() {
                    Ok(Some(frame)) => frame,
                    Ok(None) => return true,
                    Err(WireError::SentenceTooLarge) => {
                        let head = *reader.decoder.skipped();
                        self.lost_sentence(&head);
                        continue;
                    }
                    Err(e) => {
                        self.fail(Error::from(e));
                        return false;
                    }
                },
            };
            let (routed, fatal) = {
                let Ok(reply) = Reply::parse(reader.decoder.sentence(frame)) else {
                    warn!("dropping a sentence with an unknown reply word");
                    continue;
                };
                let mut metas = self.metas.borrow_mut();
                let routed = router::route(&mut metas, &self.rings, &reply);
                let fatal = match routed {
                    Routed::Fatal => Some(message_from(reply.fatal_reason().unwrap_or_default())),
                    _ => None,
                };
                (routed, fatal)
            };
            match routed {
                Routed::Dropped | Routed::Noted(_) => {}
                Routed::Delivered(slot) => self.wake_slot(slot),
                Routed::Blocked(_) => {
                    reader.pending = Some(frame);
                    self.blocked.set(true);
                    return false;
                }
                Routed::Freed(slot) => self.freed(slot),
                Routed::Fatal => {
                    self.fail(Error::Fatal(fatal.unwrap_or_default()));
                    return false;
                }
            }
        }
    }

    /// The decoder skipped a sentence too large for the receive buffer. When its tag was
    /// read, only that command is affected: a command fails with
    /// [`Error::BufferTooSmall`]`(`[`Buffer::Receive`]`)`, a stream counts a dropped row, and
    /// a skipped `!done` still ends its command. When the tag is unknown, every running
    /// command is marked as having lost a reply.
    fn lost_sentence(&self, head: &SkippedHead) {
        warn!("a reply sentence was larger than the receive buffer and was skipped");
        let Some(tag_text) = head.tag() else {
            let mut metas = self.metas.borrow_mut();
            for meta in metas.iter_mut() {
                if meta.busy && !meta.done && meta.kind == Kind::Command && meta.lost.is_none() {
                    meta.lost = Some(Buffer::Receive);
                }
            }
            return;
        };
        let tag::Parsed::Command { slot, generation } = tag::parse(N, tag_text) else {
            return;
        };
        {
            let mut metas = self.metas.borrow_mut();
            let Some(meta) = metas
                .get_mut(slot)
                .filter(|m| m.busy && !m.done && tag::same_generation(N, m.generation, generation))
            else {
                return;
            };
            match meta.kind {
                Kind::Command => {
                    meta.lost.get_or_insert(Buffer::Receive);
                }
                Kind::Stream => meta.dropped = meta.dropped.saturating_add(1),
            }
        }
        if head.reply_word() != Some(b"!done") {
            return;
        }
        // Route a stand-in `!done` (no `=ret=`) so the command ends instead of waiting.
        let mut bytes = [0u8; 32];
        let mut encoder = SentenceEncoder::new(&mut bytes);
        let stand_in = encoder
            .word(b"!done")
            .and_then(|e| e.api_attribute("tag", tag_text))
            .map(|e| e.len());
        let Ok(len) = stand_in else {
            return;
        };
        let Ok(reply) = Sentence::new_checked(&bytes[..len]).map(Reply::parse) else {
            return;
        };
        let Ok(reply) = reply else {
            return;
        };
        let routed = router::route(&mut self.metas.borrow_mut(), &self.rings, &reply);
        match routed {
            Routed::Delivered(slot) => self.wake_slot(slot),
            Routed::Freed(slot) => self.freed(slot),
            _ => {}
        }
    }

    /// Reports the end of a command whose handle was gone, now that its slot is free.
    fn freed(&self, slot: usize) {
        let report = {
            let metas = self.metas.borrow();
            self.report(slot, &metas[slot], None)
        };
        self.emit_end(report);
        self.wake_all();
    }

    // ---- handles -----------------------------------------------------------------------

    /// Waits for the next row or the end of `id`. A queued `!done` with `=ret=` is moved into
    /// `done` on the way.
    pub(crate) async fn advance(&self, id: SlotId, done: &mut Done) -> Result<Front, Error> {
        loop {
            if !self.news(id)? {
                self.wait_for(id).await?;
                continue;
            }
            {
                let mut ring = self.rings[id.slot]
                    .try_borrow_mut()
                    .map_err(|_| Error::Poisoned)?;
                if let Some((bytes, words)) = ring.front() {
                    let sentence = Sentence::from_validated(bytes, words);
                    match Reply::parse(sentence) {
                        Ok(reply) if reply.kind() == crate::ReplyKind::Re => return Ok(Front::Row),
                        Ok(reply) => {
                            if let Some(ret) = reply.ret() {
                                match Done::with_ret(ret.as_bytes()) {
                                    Some(with_ret) => *done = with_ret,
                                    None => {
                                        let mut metas = self.metas.borrow_mut();
                                        metas[id.slot].lost.get_or_insert(Buffer::Field);
                                    }
                                }
                            }
                        }
                        Err(_) => {}
                    }
                    ring.pop();
                    drop(ring);
                    self.unblock();
                    continue;
                }
            }
            if self.metas.borrow()[id.slot].done {
                return Ok(Front::End);
            }
            if let Some(e) = self.error() {
                return Err(e);
            }
        }
    }

    /// A view of the row at the front of `slot`.
    pub(crate) fn front_row(&self, slot: usize) -> Option<Row<'_>> {
        let ring = self.rings.get(slot)?.try_borrow().ok()?;
        let words = ring.front()?.1;
        let bytes = Ref::filter_map(ring, |r| r.front().map(|(bytes, _)| bytes)).ok()?;
        Some(Row::new(bytes, words, self, slot))
    }

    /// Ends `id` normally (`failure: None`) or with a failure, freeing its slot.
    pub(crate) fn end(&self, id: SlotId, failure: Option<&Error>) -> Result<Counts, Error> {
        self.finish(id, failure)
    }

    /// Current counts of `id` (zero if stale).
    pub(crate) fn counts(&self, id: SlotId) -> Counts {
        let metas = self.metas.borrow();
        match metas.get(id.slot).filter(|m| m.owned_by(id.generation)) {
            Some(m) => Counts {
                rows: m.rows,
                dropped: m.dropped,
            },
            None => Counts::default(),
        }
    }

    pub(crate) fn cancel_slot(&self, id: SlotId) {
        self.request_cancel(id)
    }
}

impl<R: Read, W: Write, Tm: Telemetry, const N: usize, const S: usize> Link
    for Mux<'_, R, W, Tm, N, S>
{
    fn abandon(&self, id: SlotId) {
        let (end_now, report) = {
            let mut metas = self.metas.borrow_mut();
            let Some(meta) = metas.get_mut(id.slot).filter(|m| m.owned_by(id.generation)) else {
                return;
            };
            if meta.done || self.failed.borrow().is_some() {
                meta.busy = false;
                let error = if meta.done {
                    meta.trap.take().map(Error::Trap)
                } else {
                    self.failed.borrow().clone()
                };
                (true, self.report(id.slot, meta, error))
            } else {
                meta.abandoned = true;
                if meta.cancel == Cancel::No {
                    meta.cancel = Cancel::Requested;
                }
                (false, None)
            }
        };
        if let Ok(mut ring) = self.rings[id.slot].try_borrow_mut() {
            ring.clear();
        }
        if end_now {
            self.emit_end(report);
        }
        self.unblock();
        let cancel = self.wakers.borrow_mut().take_cancel();
        if let Some(waker) = cancel {
            waker.wake();
        }
        self.wake_all();
    }

    fn wake_waiters(&self) {
        self.wake_all();
    }

    fn abandon_start(&self, id: SlotId, encoded: bool) {
        if encoded && self.is_usable() {
            self.abandon(id);
        } else {
            self.free_silently(id);
        }
    }

    fn release_row(&self, slot: usize) {
        if let Some(Ok(mut ring)) = self.rings.get(slot).map(RefCell::try_borrow_mut) {
            ring.pop();
        }
        self.unblock();
        // A row kept past a reconnect held its (now free) slot back from new commands.
        if self.metas.borrow().get(slot).is_some_and(|m| !m.busy) {
            self.wake_all();
        }
    }
}

/// Wakes every waiting future when dropped: whoever held the reader or the writer and is
/// gone (finished, or its future dropped mid-I/O) hands them over this way.
struct HandOver<'m>(&'m dyn Link);

impl Drop for HandOver<'_> {
    fn drop(&mut self) {
        self.0.wake_waiters();
    }
}

/// Frees or abandons a slot whose command's start was dropped or failed.
struct StartGuard<'m, M: Link> {
    mux: &'m M,
    id: SlotId,
    encoded: bool,
    armed: bool,
}

impl<M: Link> Drop for StartGuard<'_, M> {
    fn drop(&mut self) {
        if self.armed {
            // Abandoning a command that never went out frees the slot at once if the
            // connection failed; otherwise a /cancel follows the partial sentence.
            self.mux.abandon_start(self.id, self.encoded);
        }
    }
}
