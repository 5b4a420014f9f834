//! The async client: thin glue between the pure layers and an
//! [`embedded_io_async`] transport.

use embedded_io::Error as _;
use embedded_io_async::{Read, Write};

use crate::error::{Buffer, Error};
use crate::keepalive::{Delay, Keepalive, LastHeard, Probe};
use crate::pool::HEALTH_CHECK;
use crate::proto::{
    answer_to_plain, auth_error, check_md5_done, message_from, LoginRequest, ProtocolError, Reply,
    ReplyKind, TagText, Trap, Traps, Value,
};
use crate::request::{encode_tagged, CancelRequest, Request};
use crate::telemetry::{path_from, Event, Instant, Path, Telemetry};
use crate::wire::{leading_words, Decoder, Frame};
use core::time::Duration;

/// How many bytes of a `!done`'s `=ret=` value a [`Done`] keeps.
pub const RET_CAPACITY: usize = 256;

/// The end of a command: its `!done`, with the `=ret=` value if there was one (the id made by
/// an `add`, the value of a `get`, a `count-only` count).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Done {
    ret: Option<heapless::Vec<u8, RET_CAPACITY>>,
}

impl Done {
    /// The `=ret=` value, if the `!done` carried one.
    pub fn ret(&self) -> Option<Value<'_>> {
        self.ret.as_deref().map(Value::new)
    }

    /// A `!done` carrying `ret`; `None` if longer than [`RET_CAPACITY`].
    pub(crate) fn with_ret(ret: &[u8]) -> Option<Self> {
        heapless::Vec::from_slice(ret)
            .ok()
            .map(|ret| Self { ret: Some(ret) })
    }
}

/// Rows gathered by a `collect`: the reply is read to its end, the first error wins, and a
/// fatal one stops at once.
pub(crate) struct Collected<T, const N: usize> {
    rows: heapless::Vec<T, N>,
    error: Option<Error>,
}

impl<T, const N: usize> Collected<T, N> {
    pub(crate) fn new() -> Self {
        Self {
            rows: heapless::Vec::new(),
            error: None,
        }
    }

    /// Keeps one row (or its error). `Err` only for an error that ends the connection.
    pub(crate) fn take(&mut self, item: Result<T, Error>) -> Result<(), Error> {
        match item {
            Ok(row) => {
                if self.rows.push(row).is_err() && self.error.is_none() {
                    self.error = Some(Error::BufferTooSmall(Buffer::Rows));
                }
            }
            Err(e) if e.is_fatal() => return Err(e),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        Ok(())
    }

    /// The rows, or the first error.
    pub(crate) fn finish(self) -> Result<heapless::Vec<T, N>, Error> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.rows),
        }
    }
}

/// Builds an owned value from a `!re` row; used by [`Client::collect`].
pub trait FromReply: Sized {
    /// Reads the fields this type wants from `row`.
    fn from_reply(row: &Reply<'_>) -> Result<Self, Error>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Ready,
    /// A write was cut short or the stream lost step.
    Poisoned,
    /// The peer closed or sent `!fatal`.
    Closed,
    /// The receive buffer is smaller than [`Decoder::MIN_CAPACITY`]: nothing could ever be
    /// read.
    TooSmall,
    /// A keepalive probe went unanswered: the peer is gone.
    Dead,
}

/// A connection to one router, running one command at a time.
///
/// The caller owns every byte of memory: `rx` bounds the largest reply sentence, `tx` the
/// largest command. Each command is tagged, so replies of a command whose [`Response`] was
/// dropped early are recognised and skipped, and a dropped streaming command is cancelled
/// before the next command goes out: the connection never falls out of step.
///
/// **Cancel safety**: dropping a future of this client while it reads is safe (no byte is
/// lost). Dropping it while it writes leaves part of a sentence on the wire: the client is
/// then poisoned and every call returns [`Error::Poisoned`].
///
/// ```no_run
/// # async fn demo<T: embedded_io_async::Read + embedded_io_async::Write>(io: T) -> Result<(), routeros_core::Error> {
/// use routeros_core::Client;
/// let (mut rx, mut tx) = ([0u8; 4096], [0u8; 512]);
/// let mut client = Client::new(io, &mut rx[..], &mut tx[..]);
/// client.login("admin", "secret").await?;
/// let mut rows = client.command(&["/interface/print", "?type=ether"]).await?;
/// while let Some(row) = rows.next().await {
///     let row = row?;
///     if let Some(name) = row.get("name") {
///         // use `name` here: it borrows the receive buffer until the next row
///         let _ = name;
///     }
/// }
/// # Ok(()) }
/// ```
pub struct Client<T, B, Tm = ()> {
    io: T,
    telemetry: Tm,
    rx: Decoder<B>,
    tx: B,
    state: State,
    next_tag: u32,
    /// A command whose response was dropped before its `!done`; cancelled before the next
    /// command.
    abandoned: Option<u32>,
    /// The send buffer may still hold a login secret (a login future was dropped): wiped
    /// before anything else uses it.
    secret_in_tx: bool,
    /// `!done`s still to come for tags other than the running command's (a cancelled
    /// command and the `/cancel` itself): while any are, an untagged reply has no single
    /// owner.
    foreign_pending: u32,
    /// When the peer was last heard from (for [`keepalive`](Client::keepalive)).
    last_heard: LastHeard,
}

impl<T: Read + Write, B: AsRef<[u8]> + AsMut<[u8]>> Client<T, B> {
    /// A client over `io`, receiving into `rx` and encoding commands into `tx`. Both buffers
    /// are of one type `B`: `&mut [u8]` slices, arrays of one size, or owned buffers.
    ///
    /// `rx` must hold at least [`Decoder::MIN_CAPACITY`] (5) bytes; with less, every call
    /// fails with [`Error::BufferTooSmall`]`(`[`Buffer::Receive`]`)` (see
    /// [`try_new`](Self::try_new) to be told at once).
    pub fn new(io: T, rx: B, tx: B) -> Self {
        Self::with_telemetry(io, rx, tx, ())
    }

    /// Like [`new`](Self::new), but refuses a receive buffer smaller than
    /// [`Decoder::MIN_CAPACITY`] with [`Error::BufferTooSmall`]`(`[`Buffer::Receive`]`)`.
    ///
    /// ```
    /// # struct Io;
    /// # impl embedded_io_async::ErrorType for Io { type Error = core::convert::Infallible; }
    /// # impl embedded_io_async::Read for Io { async fn read(&mut self, _: &mut [u8]) -> Result<usize, Self::Error> { Ok(0) } }
    /// # impl embedded_io_async::Write for Io {
    /// #     async fn write(&mut self, b: &[u8]) -> Result<usize, Self::Error> { Ok(b.len()) }
    /// #     async fn flush(&mut self) -> Result<(), Self::Error> { Ok(()) }
    /// # }
    /// use routeros_core::{Buffer, Client, Error};
    /// let (mut rx, mut tx) = ([0u8; 4], [0u8; 64]);
    /// let refused = Client::try_new(Io, &mut rx[..], &mut tx[..]);
    /// assert_eq!(refused.err(), Some(Error::BufferTooSmall(Buffer::Receive)));
    /// ```
    pub fn try_new(io: T, rx: B, tx: B) -> Result<Self, Error> {
        let client = Self::new(io, rx, tx);
        match client.state {
            State::TooSmall => Err(Error::BufferTooSmall(Buffer::Receive)),
            _ => Ok(client),
        }
    }
}

impl<T: Read + Write, B: AsRef<[u8]> + AsMut<[u8]>, Tm: Telemetry> Client<T, B, Tm> {
    /// Like [`new`](Client::new), reporting command start/stop/exception events (path, tag,
    /// duration, rows; never attribute values) to `telemetry`, an `(observer, clock)` pair.
    ///
    /// A receive buffer under [`Decoder::MIN_CAPACITY`] bytes makes every call fail with
    /// [`Error::BufferTooSmall`]`(`[`Buffer::Receive`]`)`.
    pub fn with_telemetry(io: T, rx: B, tx: B, telemetry: Tm) -> Self {
        let state = if rx.as_ref().len() < Decoder::<B>::MIN_CAPACITY {
            State::TooSmall
        } else {
            State::Ready
        };
        Self {
            io,
            telemetry,
            rx: Decoder::new(rx),
            tx,
            state,
            next_tag: 1,
            abandoned: None,
            secret_in_tx: false,
            foreign_pending: 0,
            last_heard: LastHeard::new(),
        }
    }

    /// Gives the transport back (wiping a login secret still in the send buffer).
    pub fn into_inner(mut self) -> T {
        if self.secret_in_tx {
            self.wipe_tx();
        }
        self.io
    }

    /// Whether the connection can still take commands.
    pub fn is_usable(&self) -> bool {
        self.state == State::Ready
    }

    /// Sets the receive side's skip limit (see [`Decoder::set_skip_limit`]; default
    /// [`Decoder::DEFAULT_SKIP_LIMIT`], 16 MiB): a reply word claiming more, or an oversize
    /// reply that would drop more, ends the connection at once with
    /// [`Error::Wire`]`(`[`WireError::TooLargeToSkip`](crate::wire::WireError::TooLargeToSkip)`)`
    /// instead of being skipped.
    pub fn set_skip_limit(&mut self, bytes: u32) {
        self.rx.set_skip_limit(bytes);
    }

    /// Logs in: the plain method first, then the pre-6.43 MD5 challenge if the router
    /// answers with one. Wrong credentials give [`Error::AuthFailed`].
    ///
    /// The password (and the MD5 response) is wiped from the send buffer as soon as the
    /// login ends, however it ends; if the future is dropped half-way, before the client's
    /// next use of the buffer.
    ///
    /// **Cancel safety**: as for [`command`](Self::command).
    pub async fn login(&mut self, username: &str, password: &str) -> Result<(), Error> {
        let plain = LoginRequest::plain(username, password);
        let done = self.run_secret(&plain).await.map_err(auth_error)?;
        let Some(mut response) = answer_to_plain(done.ret(), password)? else {
            debug!("logged in (plain)");
            return Ok(());
        };
        debug!("router asked for the MD5 challenge login");
        let done = self
            .run_secret(&LoginRequest::md5(username, &response))
            .await;
        response.wipe();
        check_md5_done(done.map_err(auth_error)?.ret())
    }

    /// Runs a command carrying a secret: the send buffer is wiped once it is written.
    async fn run_secret<R: Request + ?Sized>(&mut self, request: &R) -> Result<Done, Error> {
        self.command_with(request, true).await?.finish().await
    }

    /// Zeroes the send buffer (it held a login secret).
    fn wipe_tx(&mut self) {
        crate::wipe::wipe(self.tx.as_mut());
        self.secret_in_tx = false;
    }

    /// Sends a command and returns its reply rows as a [`Response`].
    ///
    /// **Cancel safety**: not cancel-safe while writing (the client is then poisoned).
    pub async fn command<R: Request + ?Sized>(
        &mut self,
        request: &R,
    ) -> Result<Response<'_, T, B, Tm>, Error> {
        self.command_with(request, false).await
    }

    async fn command_with<R: Request + ?Sized>(
        &mut self,
        request: &R,
        secret: bool,
    ) -> Result<Response<'_, T, B, Tm>, Error> {
        if self.secret_in_tx {
            // A login future was dropped half-way: its secret goes before anything else.
            self.wipe_tx();
        }
        self.ready()?;
        if let Some(tag) = self.abandoned.take() {
            self.send_cancel(tag).await?;
            // The abandoned command's `!done` is still to come as well.
            self.foreign_pending = self.foreign_pending.saturating_add(1);
        }
        let tag = self.take_tag();
        let path = self.send(request, tag, secret).await?;
        let (started, path) = if Tm::ENABLED {
            self.telemetry
                .event(&Event::CommandStart { tag, path: &path });
            (self.telemetry.now(), path)
        } else {
            (Instant::ZERO, Path::new())
        };
        Ok(Response {
            client: self,
            tag,
            tag_text: TagText::new(tag),
            traps: Traps::new(),
            cancelling: false,
            trap: None,
            done: None,
            rows: 0,
            started,
            path,
        })
    }

    /// Runs a command to its `!done`, skipping any rows.
    pub async fn run<R: Request + ?Sized>(&mut self, request: &R) -> Result<Done, Error> {
        self.command(request).await?.finish().await
    }

    /// Runs a command and collects its rows into a container of caller-chosen capacity.
    /// More rows than `N` give [`Error::BufferTooSmall`]`(`[`Buffer::Rows`]`)` after the
    /// reply was read to its end.
    pub async fn collect<T2: FromReply, const N: usize, R: Request + ?Sized>(
        &mut self,
        request: &R,
    ) -> Result<heapless::Vec<T2, N>, Error> {
        let mut collected = Collected::new();
        let mut response = self.command(request).await?;
        while let Some(row) = response.next().await {
            collected.take(row.and_then(|row| T2::from_reply(&row)))?;
        }
        collected.finish()
    }

    /// Sends `/quit`, waits for the router's `!fatal`, and gives the transport back. The send
    /// buffer is wiped first (it is handed back to no one, but may be reused by the caller).
    pub async fn quit(mut self) -> Result<T, Error> {
        self.wipe_tx();
        match self.run(&["/quit"]).await {
            Err(Error::Fatal(_)) | Err(Error::Closed) | Ok(_) => Ok(self.io),
            Err(e) => Err(e),
        }
    }

    /// Dead-peer detection, driven by the caller's clock: call it every few seconds between
    /// commands with the current time. Once nothing was heard from the router for
    /// `policy.idle`, it sends `/system/identity/print` and waits at most `policy.deadline`
    /// (timed by `delay`) for the answer. No answer in time: [`Error::Timeout`], and the
    /// client is marked dead (every later call fails with [`Error::Timeout`]; reconnect). See
    /// the [`keepalive`](crate::keepalive) module.
    ///
    /// The client runs one command at a time, so this cannot watch a command that is
    /// running: bound a long read of your own with your executor's timeout, or use the
    /// [`Mux`](crate::mux::Mux), whose probe runs beside other commands.
    ///
    /// **Cancel safety**: as for [`run`](Self::run).
    pub async fn keepalive<D: Delay>(
        &mut self,
        now: Instant,
        policy: &Keepalive,
        delay: &mut D,
    ) -> Result<Probe, Error> {
        self.ready()?;
        if !self.last_heard.due(now, policy.idle) {
            return Ok(Probe::NotDue);
        }
        self.probe(policy.deadline, delay).await?;
        self.last_heard.answered(now);
        Ok(Probe::Answered)
    }

    /// Sends `/system/identity/print` and waits at most `deadline` (timed by `delay`) for its
    /// end. No answer in time: [`Error::Timeout`], and the client is marked dead.
    pub async fn probe<D: Delay>(
        &mut self,
        deadline: Duration,
        delay: &mut D,
    ) -> Result<(), Error> {
        let ms = crate::keepalive::duration_ms(deadline);
        match crate::keepalive::within(self.run(&HEALTH_CHECK), ms, delay).await {
            Some(result) => result.map(|_| ()),
            None => {
                warn!("keepalive probe unanswered: the peer is gone");
                self.state = State::Dead;
                Err(Error::Timeout)
            }
        }
    }

    fn ready(&self) -> Result<(), Error> {
        match self.state {
            State::Ready => Ok(()),
            State::Poisoned => Err(Error::Poisoned),
            State::Closed => Err(Error::Closed),
            State::TooSmall => Err(Error::BufferTooSmall(Buffer::Receive)),
            State::Dead => Err(Error::Timeout),
        }
    }

    fn take_tag(&mut self) -> u32 {
        let tag = self.next_tag;
        self.next_tag = self.next_tag.wrapping_add(1).max(1);
        tag
    }

    /// Sends `/cancel` for `tag`, with a tag of its own whose `!done` is then expected.
    async fn send_cancel(&mut self, tag: u32) -> Result<(), Error> {
        let own = self.take_tag();
        self.send(&CancelRequest::new(tag), own, false).await?;
        self.foreign_pending = self.foreign_pending.saturating_add(1);
        Ok(())
    }

    /// Encodes `request` with `.tag=tag` and writes it in one write.
    /// `secret`: the request carries a password or login response, wiped from the send
    /// buffer once written (or, if this future is dropped mid-write, at the client's next
    /// call or [`into_inner`](Client::into_inner)).
    async fn send<R: Request + ?Sized>(
        &mut self,
        request: &R,
        tag: u32,
        secret: bool,
    ) -> Result<Path, Error> {
        self.secret_in_tx |= secret;
        let len = match encode_tagged(request, tag, self.tx.as_mut()) {
            Ok(len) => len,
            Err(e) => {
                if self.secret_in_tx {
                    self.wipe_tx();
                }
                return Err(e.into());
            }
        };
        // The path, for telemetry, before a secret is wiped with the rest.
        let path = if Tm::ENABLED {
            path_from(leading_words(self.tx.as_ref()).next().unwrap_or_default())
        } else {
            Path::new()
        };
        self.state = State::Poisoned;
        let written = self.io.write_all(&self.tx.as_ref()[..len]).await;
        if self.secret_in_tx {
            self.wipe_tx();
        }
        let flushed = match written {
            Ok(()) => self.io.flush().await,
            Err(e) => Err(e),
        };
        // Whole sentence out: the connection is in step again.
        self.state = State::Ready;
        flushed.map_err(|e| self.io_error(e.kind()))?;
        Ok(path)
    }

    /// A `!done` for another tag came: one fewer foreign reply is due.
    fn foreign_done(&mut self) {
        self.foreign_pending = self.foreign_pending.saturating_sub(1);
    }

    /// An untagged reply arrived while it had no single owner: the stream can no longer be
    /// trusted to be in step.
    fn untagged(&mut self) -> Error {
        warn!("an untagged reply while another command's reply is due");
        self.state = State::Poisoned;
        Error::Protocol(ProtocolError::UntaggedReply)
    }

    fn io_error(&mut self, kind: embedded_io::ErrorKind) -> Error {
        self.state = State::Closed;
        Error::Io(kind)
    }

    /// A whole sentence already in the receive buffer, if there is one.
    #[inline]
    fn buffered_frame(&mut self) -> Result<Option<Frame>, Error> {
        self.rx.next_frame().map_err(|e| {
            let error = Error::from(e);
            if error.is_fatal() {
                self.state = State::Poisoned;
            }
            error
        })
    }

    /// Reads once from the transport into the receive buffer.
    async fn fill(&mut self) -> Result<(), Error> {
        match self.io.read(self.rx.spare()).await {
            Ok(0) => {
                self.state = State::Closed;
                Err(Error::Closed)
            }
            Ok(n) => {
                self.rx.commit(n);
                self.last_heard.heard = true;
                Ok(())
            }
            Err(e) => Err(self.io_error(e.kind())),
        }
    }
}

/// The reply to one command: an async iterator of `!re` rows, borrowed from the receive
/// buffer one at a time.
///
/// Traps are collected while reading: after the command's `!done`, [`next`](Self::next)
/// yields the first trap as `Err(`[`Error::Trap`]`)` (with the count of others), then `None`.
/// A real failure is always the trap reported, never hidden behind a category-2
/// `interrupted`; `interrupted` alone is an error only when this client did not cancel the
/// command. If the connection ends before the `!done` (`Closed`, `!fatal`, ...), that error
/// comes first and a trap that had already arrived comes next.
///
/// **Untagged replies**: every command is tagged and RouterOS echoes the tag. A reply
/// without `.tag` (from a peer that does not echo it) is taken as the running command's
/// while no other command's reply is still due; while one is (after a cancel), it has no
/// single owner and the call fails with [`Error::Protocol`]`(`[`ProtocolError::UntaggedReply`]`)`,
/// poisoning the client, rather than risk a reply landing on the wrong command.
/// Dropping a `Response` early is safe: the rest of its reply is skipped, and a streaming
/// command is cancelled before the client's next command.
pub struct Response<'c, T: Read + Write, B: AsRef<[u8]> + AsMut<[u8]>, Tm: Telemetry = ()> {
    client: &'c mut Client<T, B, Tm>,
    tag: u32,
    /// `tag` in decimal, to compare with the `.tag=` of each reply.
    tag_text: TagText,
    /// Traps read so far.
    traps: Traps,
    /// This client sent `/cancel` for the command: `interrupted` is its normal end.
    cancelling: bool,
    /// The trap to report, once the `!done` came.
    trap: Option<Trap>,
    done: Option<Done>,
    rows: u32,
    /// When the command was written (telemetry only).
    started: Instant,
    /// The command path (telemetry only).
    path: Path,
}

/// What one reply sentence meant for the response reading it.
enum Step {
    Row(Frame),
    Continue,
    Finished,
    Fail(Error),
}

impl<T: Read + Write, B: AsRef<[u8]> + AsMut<[u8]>, Tm: Telemetry> Response<'_, T, B, Tm> {
    /// The next row, an error, or `None` after the command's `!done`.
    ///
    /// **Cancel safety**: cancel-safe; a dropped call loses no row.
    pub async fn next(&mut self) -> Option<Result<Reply<'_>, Error>> {
        if self.done.is_some() {
            return self.trap.take().map(|t| Err(Error::Trap(t)));
        }
        let frame = loop {
            // Rows are usually buffered already: only wait on the transport when not.
            let next = match self.client.buffered_frame() {
                Ok(Some(frame)) => Ok(frame),
                Ok(None) => match self.client.fill().await {
                    Ok(()) => continue,
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            };
            let frame = match next {
                Ok(frame) => frame,
                Err(e @ Error::BufferTooSmall(Buffer::Receive)) => {
                    // A sentence was skipped for not fitting the receive buffer: an error for
                    // this command if it was one of its rows or traps; the end of it if it was
                    // its `!done`; nothing to it if it belonged to another tag.
                    let skipped = *self.client.rx.skipped();
                    let is_done = skipped.reply_word() == Some(b"!done");
                    match skipped.tag() {
                        Some(tag) if !self.tag_text.is(tag) => {
                            if is_done {
                                self.client.foreign_done();
                            }
                            continue;
                        }
                        Some(_) => {}
                        None if self.client.foreign_pending > 0 => {
                            let e = self.client.untagged();
                            self.done = Some(Done::default());
                            self.report_end(Some(&e));
                            return Some(Err(e));
                        }
                        None => {}
                    }
                    if is_done {
                        self.done = Some(Done::default());
                        self.report_end(Some(&e));
                    }
                    return Some(Err(e));
                }
                Err(e) => {
                    if e.is_fatal() {
                        self.done = Some(Done::default());
                        // A trap that came before the connection ended is not lost: the
                        // next call yields it.
                        self.trap = self.traps.take_outcome(self.cancelling);
                        self.report_end(Some(&e));
                    }
                    return Some(Err(e));
                }
            };
            // The usual case first: a row of this command, known from what the decoder
            // noted while framing it (reply word and `.tag`), with no second look.
            if frame.kind() == Some(ReplyKind::Re)
                && self
                    .client
                    .rx
                    .frame_tag(frame)
                    .is_some_and(|tag| self.tag_text.is(tag))
            {
                break frame;
            }
            match self.step(frame) {
                Step::Row(frame) => break frame,
                Step::Continue => {}
                Step::Finished => {
                    let trap = self.traps.take_outcome(self.cancelling).map(Error::Trap);
                    self.report_end(trap.as_ref());
                    return trap.map(Err);
                }
                Step::Fail(e) => {
                    self.done = Some(Done::default());
                    self.trap = self.traps.take_outcome(self.cancelling);
                    self.report_end(Some(&e));
                    return Some(Err(e));
                }
            }
        };
        self.rows += 1;
        // `step` checked that this frame is a `!re`.
        Some(Ok(Reply::row(self.client.rx.sentence(frame))))
    }

    /// Tells the telemetry how the command ended.
    fn report_end(&self, error: Option<&Error>) {
        if !Tm::ENABLED {
            return;
        }
        let (tag, path) = (self.tag, self.path.as_str());
        let duration = self.client.telemetry.now().duration_since(self.started);
        let event = match error {
            None => Event::CommandStop {
                tag,
                path,
                duration,
                rows: self.rows,
            },
            Some(error) => Event::CommandException {
                tag,
                path,
                duration,
                error,
            },
        };
        self.client.telemetry.event(&event);
    }

    fn step(&mut self, frame: Frame) -> Step {
        let reply = match Reply::parse(self.client.rx.sentence(frame)) {
            Ok(reply) => reply,
            Err(_) => {
                warn!("dropping a sentence with an unknown reply word");
                return Step::Continue;
            }
        };
        if reply.kind() == ReplyKind::Fatal {
            self.client.state = State::Closed;
            let reason = reply.fatal_reason().unwrap_or_default();
            return Step::Fail(Error::Fatal(message_from(reason)));
        }
        match reply.tag() {
            Some(tag) if !self.tag_text.is(tag.as_bytes()) => {
                trace!("dropping a reply for another tag");
                if reply.kind() == ReplyKind::Done {
                    self.client.foreign_done();
                }
                return Step::Continue;
            }
            Some(_) => {}
            None if self.client.foreign_pending > 0 => return Step::Fail(self.client.untagged()),
            None => trace!("an untagged reply: the running command's"),
        }
        match reply.kind() {
            ReplyKind::Re => Step::Row(frame),
            ReplyKind::Empty => Step::Continue,
            ReplyKind::Trap => {
                self.traps
                    .note(reply.trap_category(), message_from(reply.message()));
                Step::Continue
            }
            ReplyKind::Done => {
                let mut done = Done::default();
                if let Some(ret) = reply.ret() {
                    match heapless::Vec::from_slice(ret.as_bytes()) {
                        Ok(ret) => done.ret = Some(ret),
                        Err(_) => {
                            self.done = Some(done);
                            return Step::Fail(Error::BufferTooSmall(Buffer::Field));
                        }
                    }
                }
                self.done = Some(done);
                Step::Finished
            }
            ReplyKind::Fatal => Step::Continue,
        }
    }

    /// How many rows were read so far.
    pub fn rows(&self) -> u32 {
        self.rows
    }

    /// The command's tag on the wire.
    pub fn tag(&self) -> u32 {
        self.tag
    }

    /// Reads the rest of the reply, skipping rows, and returns its `!done` or the first
    /// error (a trap, or what ended the connection).
    pub async fn finish(mut self) -> Result<Done, Error> {
        self.finish_inner().await
    }

    /// Stops a streaming command: sends `/cancel` for its tag and reads until its `!done`.
    /// The stream's `!trap` with category 2 ("interrupted") is the normal end and not an
    /// error; the cancel's own `!done` may come before or after and is skipped. A real
    /// failure the router reports besides `interrupted` is returned as [`Error::Trap`].
    pub async fn cancel(mut self) -> Result<(), Error> {
        if self.done.is_some() {
            return Ok(());
        }
        self.cancelling = true;
        self.client.send_cancel(self.tag).await?;
        self.finish_inner().await.map(|_| ())
    }

    async fn finish_inner(&mut self) -> Result<Done, Error> {
        let mut first_error = None;
        while let Some(item) = self.next().await {
            if let Err(e) = item {
                if e.is_fatal() {
                    return Err(e);
                }
                first_error.get_or_insert(e);
            }
        }
        match first_error {
            Some(e) => Err(e),
            // Leave `done` set: the response is finished, not abandoned.
            None => Ok(self.done.replace(Done::default()).unwrap_or_default()),
        }
    }
}

impl<T: Read + Write, B: AsRef<[u8]> + AsMut<[u8]>, Tm: Telemetry> Drop for Response<'_, T, B, Tm> {
    fn drop(&mut self) {
        if self.done.is_none() && self.client.state == State::Ready {
            self.client.abandoned = Some(self.tag);
            self.report_end(Some(&Error::Cancelled));
        }
    }
}
