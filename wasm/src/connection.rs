//! The JavaScript-facing connection: one task per connection owns the core's multiplexing
//! client ([`Mux`]) and runs every command and stream as a future of its own, so commands
//! go out while others (and streams) are still running.
//!
//! Up to [`SLOTS`] commands and streams are on the wire at once; more wait for a free slot,
//! in call order. `timeoutMs` bounds each command from the call: one that times out while
//! waiting for a slot is dropped and nothing else is affected; one that times out after it
//! went out also closes the connection (a router that stops answering one command is not
//! trusted with the next).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::rc::{Rc, Weak};
use std::task::{Poll, Waker};

use js_sys::{Array, Promise, Uint8Array};
use routeros_core::mux::Mux;
use routeros_core::Error;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::error::{ErrorType, Failure};
use crate::inbound::Inbound;
use crate::json::{push_row, RowsJson};
use crate::options::Options;
use crate::pipe::{JsBytePipe, Pipe, PipeReader, PipeWriter};
use crate::timer::{now_ms, remaining, with_timeout};

/// How many commands and streams can be on the wire at once on one connection.
pub const SLOTS: usize = 8;
/// Reply bytes each slot buffers: a command's largest row must fit (rows of 64 KiB, such as
/// `/tool/fetch output=user`, do); a stream whose rows are not read keeps this many bytes of
/// its newest rows and drops older ones.
pub const SLOT_BYTES: usize = 65 * 1024 + 512;

type WasmMux<'b> = Mux<'b, PipeReader, PipeWriter, (), SLOTS, SLOT_BYTES>;

/// The two functions that settle a JavaScript promise.
struct Resolver {
    resolve: js_sys::Function,
    reject: js_sys::Function,
}

impl Resolver {
    fn resolve(self, value: &JsValue) {
        // A promise's resolve function never throws.
        let _ = self.resolve.call1(&JsValue::UNDEFINED, value);
    }

    fn reject(self, failure: &Failure) {
        let _ = self.reject.call1(&JsValue::UNDEFINED, &failure.to_js());
    }
}

/// A promise, with `f` run at once to keep its resolver.
fn promise(f: impl FnOnce(Resolver)) -> Promise {
    let mut f = Some(f);
    Promise::new(&mut |resolve, reject| {
        if let Some(f) = f.take() {
            f(Resolver { resolve, reject })
        }
    })
}

fn rejected(failure: &Failure) -> Promise {
    Promise::reject(&failure.to_js())
}

/// Turns a JavaScript array of strings (sent as UTF-8) and `Uint8Array`s (sent as they are)
/// into words.
fn words_from_js(words: &JsValue) -> Result<Vec<Vec<u8>>, Failure> {
    let invalid = |m: &str| Failure::new(ErrorType::InvalidArgument, m);
    if !Array::is_array(words) {
        return Err(invalid(
            "a command is an array of words, such as [\"/interface/print\", \"?type=ether\"]",
        ));
    }
    let array: &Array = words.unchecked_ref();
    if array.length() == 0 {
        return Err(invalid("a command needs at least its path"));
    }
    let mut out = Vec::with_capacity(array.length() as usize);
    for word in array.iter() {
        let bytes = if let Some(text) = word.as_string() {
            text.into_bytes()
        } else if let Some(bytes) = word.dyn_ref::<Uint8Array>() {
            bytes.to_vec()
        } else {
            return Err(invalid("each word must be a string or a Uint8Array"));
        };
        if bytes.is_empty() {
            return Err(invalid(
                "a word cannot be empty (write an empty value as \"=name=\")",
            ));
        }
        out.push(bytes);
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StreamStatus {
    /// Not on the wire yet (waiting for the task or a slot).
    Queued,
    Running,
    Done,
}

/// A stream's state, shared by its JavaScript handle and its future.
struct StreamState {
    status: StreamStatus,
    /// Pending `next()` calls, served in order.
    pulls: VecDeque<Resolver>,
    cancel_requested: bool,
    cancel_waiters: Vec<Resolver>,
    /// An error that ended the stream with no `next()` pending to receive it.
    failure: Option<Failure>,
    /// Rows dropped so far because nobody read them in time (the slot's buffer was full).
    dropped: u32,
    waker: Option<Waker>,
}

impl StreamState {
    fn new() -> Self {
        Self {
            status: StreamStatus::Queued,
            pulls: VecDeque::new(),
            cancel_requested: false,
            cancel_waiters: Vec::new(),
            failure: None,
            dropped: 0,
            waker: None,
        }
    }

    fn wake(&mut self) {
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }

    /// Asks for the stream to end (from `cancel()`, a dropped handle, or `close()`).
    fn request_cancel(&mut self) {
        self.cancel_requested = true;
        self.wake();
    }
}

/// Ends a stream: the first pending `next()` gets `failure` (or the end), the others the
/// end; `cancel()` callers are released. Does nothing to a stream that already ended.
fn finish_stream(state: &RefCell<StreamState>, failure: Option<Failure>) {
    let (pulls, waiters, failure) = {
        let mut s = state.borrow_mut();
        if s.status == StreamStatus::Done {
            (Vec::new(), std::mem::take(&mut s.cancel_waiters), None)
        } else {
            s.status = StreamStatus::Done;
            let pulls: Vec<Resolver> = s.pulls.drain(..).collect();
            let waiters = std::mem::take(&mut s.cancel_waiters);
            let failure = match failure {
                Some(f) if pulls.is_empty() => {
                    s.failure = Some(f);
                    None
                }
                other => other,
            };
            (pulls, waiters, failure)
        }
    };
    let mut failure = failure;
    for pull in pulls {
        match failure.take() {
            Some(f) => pull.reject(&f),
            None => pull.resolve(&JsValue::UNDEFINED),
        }
    }
    for waiter in waiters {
        waiter.resolve(&JsValue::UNDEFINED);
    }
}

/// Who is waiting for a job: settled exactly once, by the job or by the end of the
/// connection.
#[derive(Clone)]
enum Waiter {
    /// `None` once the promise was settled.
    Command(Rc<RefCell<Option<Resolver>>>),
    Stream(Rc<RefCell<StreamState>>),
}

impl Waiter {
    fn fail(&self, failure: &Failure) {
        match self {
            Waiter::Command(cell) => {
                let resolver = cell.borrow_mut().take();
                if let Some(r) = resolver {
                    r.reject(failure)
                }
            }
            Waiter::Stream(state) => finish_stream(state, Some(failure.clone())),
        }
    }
}

struct Job {
    words: Vec<Vec<u8>>,
    deadline: Option<f64>,
    waiter: Waiter,
}

/// State shared by the JavaScript handles and the task.
struct Shared {
    /// Jobs the task has not picked up yet.
    queue: VecDeque<Job>,
    waker: Option<Waker>,
    /// `close()` was called (or the `Connection` was dropped).
    close_requested: bool,
    close_waiters: Vec<Resolver>,
    /// Set when the task ended: why new jobs fail.
    ended: Option<Failure>,
    /// Why the connection ended, for `closed()`: `None` after `close()`.
    end_reason: Option<Option<Failure>>,
    closed_waiters: Vec<Resolver>,
    /// Streams not yet ended, to cancel on `close()`.
    streams: Vec<Weak<RefCell<StreamState>>>,
    timeout_ms: Option<f64>,
}

impl Shared {
    fn wake(&mut self) {
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }
}

fn closed_by_close() -> Failure {
    Failure::new(ErrorType::Closed, "connection closed by close()")
}

/// The outcome of logging in, handed from the task to `open`.
#[derive(Default)]
struct LoginSignal {
    result: Option<Result<(), Failure>>,
    waker: Option<Waker>,
}

/// A logged-in connection to a router.
///
/// Made by [`Connection::open_web_socket`] or [`Connection::open_pipe`]; the package's
/// `connect()` wraps both. Every method returns at once; one task per connection does the
/// work, up to [`SLOTS`] commands and streams at a time.
#[wasm_bindgen]
pub struct Connection {
    shared: Rc<RefCell<Shared>>,
}

/// A running streaming command (`/interface/monitor-traffic`, `/ping`, `/tool/torch`, ...).
///
/// `next()` gives the next row, or `undefined` after the end; `cancel()` sends `/cancel` and
/// resolves when the router confirmed it. Dropping the handle (`free()`, or garbage
/// collection) cancels the stream too. Rows not asked for are buffered up to
/// [`SLOT_BYTES`]; beyond that the oldest are dropped.
#[wasm_bindgen]
pub struct Stream {
    state: Rc<RefCell<StreamState>>,
}

impl Connection {
    async fn open(pipe: Pipe, options: Options) -> Result<Connection, Failure> {
        let deadline = options.timeout_ms.map(|t| now_ms() + t);
        let inbound = pipe.inbound();
        let opened = with_timeout(
            remaining(deadline),
            poll_fn(|cx| inbound.borrow_mut().poll_open(cx)),
        )
        .await;
        match opened {
            Err(_) => {
                return Err(Failure::new(
                    ErrorType::Timeout,
                    "timed out while connecting",
                ))
            }
            Ok(Err(reason)) => return Err(Failure::new(ErrorType::ConnectFailed, reason)),
            Ok(Ok(())) => {}
        }
        let shared = Rc::new(RefCell::new(Shared {
            queue: VecDeque::new(),
            waker: None,
            close_requested: false,
            close_waiters: Vec::new(),
            ended: None,
            end_reason: None,
            closed_waiters: Vec::new(),
            streams: Vec::new(),
            timeout_ms: options.timeout_ms,
        }));
        let login = Rc::new(RefCell::new(LoginSignal::default()));
        wasm_bindgen_futures::spawn_local(drive(
            pipe,
            options,
            deadline,
            shared.clone(),
            inbound,
            login.clone(),
        ));
        poll_fn(|cx| {
            let mut signal = login.borrow_mut();
            match signal.result.take() {
                Some(result) => Poll::Ready(result),
                None => {
                    signal.waker = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
        .await?;
        Ok(Connection { shared })
    }

    fn enqueue(&self, words: Vec<Vec<u8>>, waiter: Waiter) {
        let mut shared = self.shared.borrow_mut();
        let deadline = shared.timeout_ms.map(|t| now_ms() + t);
        if let Waiter::Stream(state) = &waiter {
            shared.streams.retain(|s| s.strong_count() > 0);
            shared.streams.push(Rc::downgrade(state));
        }
        shared.queue.push_back(Job {
            words,
            deadline,
            waiter,
        });
        shared.wake();
    }

    fn not_accepting(&self) -> Option<Failure> {
        let shared = self.shared.borrow();
        if let Some(f) = &shared.ended {
            return Some(f.clone());
        }
        shared.close_requested.then(closed_by_close)
    }
}

#[wasm_bindgen]
impl Connection {
    /// Logs in over a WebSocket (binary frames) to a WebSocket-to-TCP bridge such as
    /// websockify. The socket may still be connecting; the package takes over its `on*`
    /// handlers and closes it when the connection ends.
    #[wasm_bindgen(js_name = openWebSocket)]
    pub async fn open_web_socket(socket: JsValue, options: JsValue) -> Result<Connection, JsValue> {
        if !socket.is_object() {
            return Err(Failure::new(ErrorType::InvalidArgument, "expected a WebSocket").to_js());
        }
        // Attached first, so that bad options still close the socket (dropping the pipe).
        let pipe = Pipe::websocket(socket.unchecked_into());
        let options = Options::from_js(&options).map_err(|f| f.to_js())?;
        Connection::open(pipe, options).await.map_err(|f| f.to_js())
    }

    /// Logs in over a JavaScript byte pipe (see the `BytePipe` type), such as the package's
    /// adapter for Node's `net.Socket` / `tls.TLSSocket`.
    #[wasm_bindgen(js_name = openPipe)]
    pub async fn open_pipe(pipe: JsBytePipe, options: JsValue) -> Result<Connection, JsValue> {
        if !pipe.is_object() {
            return Err(Failure::new(ErrorType::InvalidArgument, "expected a BytePipe").to_js());
        }
        // Attached first, so that bad options still close the transport (dropping the pipe).
        let pipe = Pipe::js(pipe);
        let options = Options::from_js(&options).map_err(|f| f.to_js())?;
        Connection::open(pipe, options).await.map_err(|f| f.to_js())
    }

    /// Runs a command (an array of words: strings, or `Uint8Array`s for raw bytes) and
    /// resolves with its rows as an array of plain objects, values decoded as UTF-8 or else
    /// Windows-1252. If the `!done` carried `=ret=`, the array has a `ret` property.
    pub fn command(&self, words: JsValue) -> Promise {
        if let Some(f) = self.not_accepting() {
            return rejected(&f);
        }
        let words = match words_from_js(&words) {
            Ok(w) => w,
            Err(f) => return rejected(&f),
        };
        promise(|resolver| {
            let cell = Rc::new(RefCell::new(Some(resolver)));
            self.enqueue(words, Waiter::Command(cell));
        })
    }

    /// Starts a streaming command; see [`Stream`]. Commands keep running beside it.
    pub fn stream(&self, words: JsValue) -> Result<Stream, JsValue> {
        if let Some(f) = self.not_accepting() {
            return Err(f.to_js());
        }
        let words = words_from_js(&words).map_err(|f| f.to_js())?;
        let state = Rc::new(RefCell::new(StreamState::new()));
        self.enqueue(words, Waiter::Stream(state.clone()));
        Ok(Stream { state })
    }

    /// Closes the connection: streams are cancelled, commands already made are answered,
    /// then `/quit` is sent and the transport closed. Commands made after `close()` are
    /// rejected (`closed`). Resolves when done; calling it again is harmless.
    pub fn close(&self) -> Promise {
        let mut shared = self.shared.borrow_mut();
        if shared.ended.is_some() {
            return Promise::resolve(&JsValue::UNDEFINED);
        }
        shared.close_requested = true;
        let streams: Vec<_> = shared
            .streams
            .drain(..)
            .filter_map(|s| s.upgrade())
            .collect();
        let p = promise(|resolver| shared.close_waiters.push(resolver));
        shared.wake();
        drop(shared);
        for stream in streams {
            stream.borrow_mut().request_cancel();
        }
        p
    }

    /// Resolves when the connection has ended: with `null` after `close()`, or with the
    /// error that ended it (the router or the network closed it, `!fatal`, a timeout on the
    /// wire). Never rejects.
    pub fn closed(&self) -> Promise {
        let mut shared = self.shared.borrow_mut();
        if let Some(reason) = &shared.end_reason {
            return Promise::resolve(&reason.as_ref().map_or(JsValue::NULL, Failure::to_js));
        }
        promise(|resolver| shared.closed_waiters.push(resolver))
    }

    /// Whether the connection still takes commands.
    #[wasm_bindgen(getter, js_name = isOpen)]
    pub fn is_open(&self) -> bool {
        self.not_accepting().is_none()
    }
}

impl Drop for Connection {
    /// A connection nobody can reach any more is closed once its commands are answered.
    fn drop(&mut self) {
        let mut shared = self.shared.borrow_mut();
        if shared.ended.is_none() {
            shared.close_requested = true;
            let streams: Vec<_> = shared
                .streams
                .drain(..)
                .filter_map(|s| s.upgrade())
                .collect();
            shared.wake();
            drop(shared);
            for stream in streams {
                stream.borrow_mut().request_cancel();
            }
        }
    }
}

#[wasm_bindgen]
impl Stream {
    /// The next row as a plain object, or `undefined` once the stream has ended. Rejects
    /// with the error that ended it (a trap, the connection closing, a timeout).
    pub fn next(&self) -> Promise {
        let mut state = self.state.borrow_mut();
        if state.status == StreamStatus::Done {
            return match state.failure.take() {
                Some(f) => rejected(&f),
                None => Promise::resolve(&JsValue::UNDEFINED),
            };
        }
        let p = promise(|resolver| state.pulls.push_back(resolver));
        state.wake();
        p
    }

    /// Cancels the stream (`/cancel`) and resolves once the router confirmed it; at once if
    /// it had already ended or had not gone out yet.
    pub fn cancel(&self) -> Promise {
        let mut state = self.state.borrow_mut();
        match state.status {
            StreamStatus::Done => Promise::resolve(&JsValue::UNDEFINED),
            StreamStatus::Queued => {
                state.request_cancel();
                drop(state);
                finish_stream(&self.state, None);
                Promise::resolve(&JsValue::UNDEFINED)
            }
            StreamStatus::Running => {
                let p = promise(|resolver| state.cancel_waiters.push(resolver));
                state.request_cancel();
                p
            }
        }
    }

    /// Whether the stream has ended.
    #[wasm_bindgen(getter)]
    pub fn done(&self) -> bool {
        self.state.borrow().status == StreamStatus::Done
    }

    /// How many rows were dropped unread so far: when rows are not asked for, they wait in
    /// a buffer of [`SLOT_BYTES`], and beyond that the oldest give way.
    #[wasm_bindgen(getter)]
    pub fn dropped(&self) -> u32 {
        self.state.borrow().dropped
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        let status = self.state.borrow().status;
        match status {
            StreamStatus::Queued => {
                self.state.borrow_mut().request_cancel();
                finish_stream(&self.state, None);
            }
            StreamStatus::Running => self.state.borrow_mut().request_cancel(),
            StreamStatus::Done => {}
        }
    }
}

type JobFuture<'m> = Pin<Box<dyn Future<Output = Result<(), Failure>> + 'm>>;

/// The connection's task: logs in, then runs jobs until close, failure or loss of the
/// transport.
async fn drive(
    pipe: Pipe,
    options: Options,
    deadline: Option<f64>,
    shared: Rc<RefCell<Shared>>,
    inbound: Rc<RefCell<Inbound>>,
    login: Rc<RefCell<LoginSignal>>,
) {
    let timeout = options.timeout_ms;
    let (reader, writer) = pipe.split();
    let mut rx = vec![0u8; options.receive_buffer];
    let mut tx = vec![0u8; options.send_buffer];
    let mux: WasmMux<'_> = Mux::new(reader, writer, &mut rx, &mut tx);
    let logged_in = with_timeout(
        remaining(deadline),
        mux.login(&options.username, &options.password),
    )
    .await;
    drop(options);
    let outcome = match logged_in {
        Err(_) => Err(Failure::new(
            ErrorType::Timeout,
            "timed out while logging in",
        )),
        Ok(Err(e)) => Err(Failure::from_core(&e, inbound.borrow().close_reason())),
        Ok(Ok(())) => Ok(()),
    };
    let failed = outcome.is_err();
    {
        let mut signal = login.borrow_mut();
        signal.result = Some(outcome);
        if let Some(w) = signal.waker.take() {
            w.wake();
        }
    }
    if failed {
        let mut s = shared.borrow_mut();
        s.ended = Some(Failure::new(ErrorType::Closed, "login failed"));
        s.end_reason = Some(None);
        return;
    }

    // Declared after `mux`, so dropped before it.
    let mut tasks: Vec<(Waiter, JobFuture<'_>)> = Vec::new();
    let end = poll_fn(|cx| {
        // Start jobs queued since the last poll.
        let (new_jobs, close_requested) = {
            let mut s = shared.borrow_mut();
            s.waker = Some(cx.waker().clone());
            (s.queue.drain(..).collect::<Vec<_>>(), s.close_requested)
        };
        for job in new_jobs {
            let waiter = job.waiter.clone();
            let future: JobFuture<'_> = match job.waiter {
                Waiter::Command(cell) => Box::pin(run_command(
                    &mux,
                    job.words,
                    remaining(job.deadline),
                    cell,
                    inbound.clone(),
                )),
                Waiter::Stream(state) => Box::pin(run_stream(
                    &mux,
                    job.words,
                    remaining(job.deadline),
                    timeout,
                    state,
                    inbound.clone(),
                )),
            };
            tasks.push((waiter, future));
        }
        // Poll every job (they share this task's waker, so any wake-up polls them all).
        let mut i = 0;
        while i < tasks.len() {
            match tasks[i].1.as_mut().poll(cx) {
                Poll::Pending => i += 1,
                Poll::Ready(Ok(())) => {
                    drop(tasks.swap_remove(i));
                }
                Poll::Ready(Err(failure)) => {
                    drop(tasks.swap_remove(i));
                    return Poll::Ready(Some(failure));
                }
            }
        }
        if tasks.is_empty() {
            if close_requested {
                return Poll::Ready(None);
            }
            if let Some(e) = mux.error() {
                return Poll::Ready(Some(lost(&e, &inbound)));
            }
        }
        // Nobody reads while the connection is idle, or while its streams wait for `next()`:
        // notice a closed transport here (commands in flight notice it themselves).
        let only_streams = tasks.iter().all(|(w, _)| matches!(w, Waiter::Stream(_)));
        if only_streams && inbound.borrow_mut().poll_closed(cx).is_ready() {
            return Poll::Ready(Some(lost(&Error::Closed, &inbound)));
        }
        Poll::Pending
    })
    .await;

    let failure = end.clone().unwrap_or_else(closed_by_close);
    {
        // No new jobs from here on.
        let mut s = shared.borrow_mut();
        s.ended = Some(failure.clone());
    }
    // Jobs still running when the connection failed: their promises get the failure.
    for (waiter, future) in tasks.drain(..) {
        drop(future);
        waiter.fail(&failure);
    }
    if end.is_none() {
        let _ = with_timeout(timeout, mux.run(&["/quit"])).await;
    }
    drop(tasks);
    drop(mux);
    let (queued, close_waiters, closed_waiters) = {
        let mut s = shared.borrow_mut();
        s.end_reason = Some(end.clone());
        (
            s.queue.drain(..).collect::<Vec<_>>(),
            std::mem::take(&mut s.close_waiters),
            std::mem::take(&mut s.closed_waiters),
        )
    };
    for job in queued {
        job.waiter.fail(&failure);
    }
    for waiter in close_waiters {
        waiter.resolve(&JsValue::UNDEFINED);
    }
    let reason_js = end.as_ref().map_or(JsValue::NULL, Failure::to_js);
    for waiter in closed_waiters {
        waiter.resolve(&reason_js);
    }
}

/// The failure later jobs get after `error` ended the connection.
fn lost(error: &Error, inbound: &RefCell<Inbound>) -> Failure {
    let failure = Failure::from_core(error, inbound.borrow().close_reason());
    if failure.kind == ErrorType::Closed {
        failure
    } else {
        Failure::new(
            ErrorType::Closed,
            format!("connection closed after an error: {}", failure.message),
        )
    }
}

fn timed_out(ms: Option<f64>) -> Failure {
    let ms = ms.unwrap_or_default().max(0.0).round() as u64;
    Failure::new(ErrorType::Timeout, format!("timed out after {ms} ms"))
}

fn closed_after_timeout() -> Failure {
    Failure::new(
        ErrorType::Closed,
        "connection closed after a command timed out",
    )
}

/// Runs one command and settles its promise. `Err` means the connection must end.
async fn run_command(
    mux: &WasmMux<'_>,
    words: Vec<Vec<u8>>,
    limit: Option<f64>,
    cell: Rc<RefCell<Option<Resolver>>>,
    inbound: Rc<RefCell<Inbound>>,
) -> Result<(), Failure> {
    let mut sent = false;
    let ran = with_timeout(limit, async {
        let mut response = mux.command_wait(&words[..]).await?;
        sent = true;
        let mut rows = RowsJson::new();
        let mut first_error = None;
        while let Some(item) = response.next().await {
            match item {
                Ok(row) => rows.push(&row.reply()),
                Err(e) if e.is_fatal() => return Err(e),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        let done = response.finish().await?;
        Ok((rows.finish(), done.ret().map(|v| v.to_string())))
    })
    .await;
    let Some(resolver) = cell.borrow_mut().take() else {
        return Ok(());
    };
    match ran {
        Err(_) => {
            resolver.reject(&timed_out(limit));
            // Still waiting for a slot: nothing went out. Otherwise the router is not
            // trusted any more.
            if sent {
                Err(closed_after_timeout())
            } else {
                Ok(())
            }
        }
        Ok(Err(e)) => {
            resolver.reject(&Failure::from_core(&e, inbound.borrow().close_reason()));
            if e.is_fatal() {
                Err(lost(&e, &inbound))
            } else {
                Ok(())
            }
        }
        Ok(Ok((json, ret))) => {
            match js_sys::JSON::parse(&json) {
                Ok(rows) => {
                    if let Some(ret) = ret {
                        let _ = js_sys::Reflect::set(&rows, &"ret".into(), &ret.into());
                    }
                    resolver.resolve(&rows);
                }
                Err(_) => resolver.reject(&Failure::new(
                    ErrorType::Internal,
                    "rows could not be turned into objects",
                )),
            }
            Ok(())
        }
    }
}

enum StreamEvent {
    Pull,
    Cancel,
}

/// Serves a stream until it ends or is cancelled. `Err` means the connection must end.
async fn run_stream(
    mux: &WasmMux<'_>,
    words: Vec<Vec<u8>>,
    start_limit: Option<f64>,
    timeout: Option<f64>,
    state: Rc<RefCell<StreamState>>,
    inbound: Rc<RefCell<Inbound>>,
) -> Result<(), Failure> {
    // Start it, unless it is cancelled first (while waiting for a slot).
    let started = {
        let mut start = pin!(with_timeout(start_limit, mux.stream_wait(&words[..])));
        poll_fn(|cx| {
            {
                let mut s = state.borrow_mut();
                if s.cancel_requested || s.status == StreamStatus::Done {
                    return Poll::Ready(None);
                }
                s.waker = Some(cx.waker().clone());
            }
            start.as_mut().poll(cx).map(Some)
        })
        .await
    };
    let mut stream = match started {
        None => {
            finish_stream(&state, None);
            return Ok(());
        }
        Some(Err(_)) => {
            finish_stream(&state, Some(timed_out(start_limit)));
            return Ok(());
        }
        Some(Ok(Err(e))) => {
            finish_stream(
                &state,
                Some(Failure::from_core(&e, inbound.borrow().close_reason())),
            );
            return if e.is_fatal() {
                Err(lost(&e, &inbound))
            } else {
                Ok(())
            };
        }
        Some(Ok(Ok(stream))) => stream,
    };
    state.borrow_mut().status = StreamStatus::Running;
    loop {
        let event = poll_fn(|cx| {
            let mut s = state.borrow_mut();
            if s.cancel_requested {
                Poll::Ready(StreamEvent::Cancel)
            } else if !s.pulls.is_empty() {
                Poll::Ready(StreamEvent::Pull)
            } else {
                s.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await;
        if let StreamEvent::Cancel = event {
            let cancelled = with_timeout(timeout, stream.cancel()).await;
            finish_stream(&state, None);
            return match cancelled {
                Err(_) => Err(closed_after_timeout()),
                Ok(Err(e)) if e.is_fatal() => Err(lost(&e, &inbound)),
                Ok(_) => Ok(()),
            };
        }
        // Read one row, unless a cancel comes first (reading is cancel-safe).
        let item = {
            let mut next = pin!(stream.next());
            poll_fn(|cx| {
                if state.borrow().cancel_requested {
                    return Poll::Ready(None);
                }
                match next.as_mut().poll(cx) {
                    Poll::Ready(item) => Poll::Ready(Some(item.map(|r| {
                        r.map(|row| {
                            let mut json = String::new();
                            push_row(&mut json, &row.reply());
                            json
                        })
                    }))),
                    Poll::Pending => {
                        state.borrow_mut().waker = Some(cx.waker().clone());
                        Poll::Pending
                    }
                }
            })
            .await
        };
        match item {
            None => continue,
            Some(None) => {
                finish_stream(&state, None);
                return Ok(());
            }
            Some(Some(Ok(json))) => {
                let pull = {
                    let mut s = state.borrow_mut();
                    s.dropped = stream.dropped();
                    s.pulls.pop_front()
                };
                if let Some(pull) = pull {
                    match js_sys::JSON::parse(&json) {
                        Ok(row) => pull.resolve(&row),
                        Err(_) => pull.reject(&Failure::new(
                            ErrorType::Internal,
                            "a row could not be turned into an object",
                        )),
                    }
                }
            }
            Some(Some(Err(e))) => {
                // Errors end the stream (traps come after its `!done`; the core treats a
                // trap of category 2 after a cancel as a normal end).
                let failure = Failure::from_core(&e, inbound.borrow().close_reason());
                finish_stream(&state, Some(failure));
                return if e.is_fatal() {
                    Err(lost(&e, &inbound))
                } else {
                    Ok(())
                };
            }
        }
    }
}
