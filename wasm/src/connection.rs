//! The JavaScript-facing connection: a queue of commands and streams served one at a time
//! by a task that owns the core [`Client`].
//!
//! The core's sequential client runs one command at a time, so several `command()` promises
//! in flight wait in a queue and are served in order; a stream holds the connection from its
//! first row until it ends or is cancelled. `timeoutMs` bounds each job from the moment it
//! is queued: a job that times out while waiting is dropped and the connection stays up; one
//! that times out on the wire closes the connection (the reply it was reading would arrive
//! later and could not be told apart).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::{Rc, Weak};
use std::task::{Poll, Waker};

use js_sys::{Array, Promise, Uint8Array};
use routeros_core::{Client, Error};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::error::{ErrorType, Failure};
use crate::inbound::Inbound;
use crate::json::{push_row, RowsJson};
use crate::options::Options;
use crate::pipe::{JsBytePipe, Pipe};
use crate::timer::{now_ms, remaining, with_timeout, Timer};

type Core = Client<Pipe, Vec<u8>>;

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
    Queued,
    Running,
    Done,
}

/// A stream's state, shared by its JavaScript handle, its queue timer and the task.
struct StreamState {
    status: StreamStatus,
    /// Pending `next()` calls, served in order.
    pulls: VecDeque<Resolver>,
    cancel_requested: bool,
    cancel_waiters: Vec<Resolver>,
    /// An error that ended the stream with no `next()` pending to receive it.
    failure: Option<Failure>,
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
            waker: None,
        }
    }

    fn wake(&mut self) {
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }
}

/// Ends a stream: the first pending `next()` gets `failure` (or the end), the others the
/// end; `cancel()` callers are released.
fn finish_stream(state: &RefCell<StreamState>, failure: Option<Failure>) {
    let (pulls, waiters, failure) = {
        let mut s = state.borrow_mut();
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

enum JobKind {
    /// `None` once the promise was settled (timed out while queued).
    Command(Rc<RefCell<Option<Resolver>>>),
    Stream(Rc<RefCell<StreamState>>),
}

struct Job {
    words: Vec<Vec<u8>>,
    deadline: Option<f64>,
    kind: JobKind,
    /// Rejects the job with a timeout if it is still queued at its deadline.
    _queue_timer: Option<Timer>,
}

impl Job {
    fn reject(self, failure: &Failure) {
        match self.kind {
            JobKind::Command(cell) => {
                if let Some(r) = cell.borrow_mut().take() {
                    r.reject(failure)
                }
            }
            JobKind::Stream(state) => finish_stream(&state, Some(failure.clone())),
        }
    }
}

/// State shared by the JavaScript handles and the task.
struct Shared {
    queue: VecDeque<Job>,
    waker: Option<Waker>,
    /// `close()` was called.
    close_requested: bool,
    close_waiters: Vec<Resolver>,
    /// Set when the task ended: why new jobs fail.
    ended: Option<Failure>,
    /// Why the connection ended, for `closed()`: `None` after `close()`.
    end_reason: Option<Option<Failure>>,
    closed_waiters: Vec<Resolver>,
    active_stream: Option<Rc<RefCell<StreamState>>>,
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

/// A logged-in connection to a router.
///
/// Made by [`Connection::open_web_socket`] or [`Connection::open_pipe`]; the package's
/// `connect()` wraps both. Every method returns at once; the work is done by one task
/// per connection, in the order the calls were made.
#[wasm_bindgen]
pub struct Connection {
    shared: Rc<RefCell<Shared>>,
}

/// A running streaming command (`/interface/monitor-traffic`, `/ping`, `/tool/torch`, ...).
///
/// `next()` gives the next row, or `undefined` after the end; `cancel()` sends `/cancel` and
/// resolves when the router confirmed it. Dropping the handle (`free()`, or garbage
/// collection) cancels the stream too.
#[wasm_bindgen]
pub struct Stream {
    state: Rc<RefCell<StreamState>>,
    shared: Weak<RefCell<Shared>>,
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
        let mut client = Client::new(
            pipe,
            vec![0; options.receive_buffer],
            vec![0; options.send_buffer],
        );
        let login = with_timeout(
            remaining(deadline),
            client.login(&options.username, &options.password),
        )
        .await;
        match login {
            Err(_) => {
                return Err(Failure::new(
                    ErrorType::Timeout,
                    "timed out while logging in",
                ))
            }
            Ok(Err(e)) => {
                return Err(Failure::from_core(&e, inbound.borrow().close_reason()));
            }
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
            active_stream: None,
            timeout_ms: options.timeout_ms,
        }));
        wasm_bindgen_futures::spawn_local(drive(client, shared.clone(), inbound));
        Ok(Connection { shared })
    }

    /// Queues a job, with a timer that rejects it if it is still queued at its deadline.
    fn enqueue(&self, words: Vec<Vec<u8>>, kind: JobKind) {
        let mut shared = self.shared.borrow_mut();
        let timeout = shared.timeout_ms;
        let queue_timer = timeout.map(|ms| {
            let failure = Failure::new(
                ErrorType::Timeout,
                format!(
                    "timed out after {} ms waiting for earlier commands or a stream",
                    ms.round() as u64
                ),
            );
            match &kind {
                JobKind::Command(cell) => {
                    let cell = cell.clone();
                    Timer::new(ms, move || {
                        let resolver = cell.borrow_mut().take();
                        if let Some(r) = resolver {
                            r.reject(&failure)
                        }
                    })
                }
                JobKind::Stream(state) => {
                    let state = Rc::downgrade(state);
                    Timer::new(ms, move || {
                        if let Some(state) = state.upgrade() {
                            if state.borrow().status == StreamStatus::Queued {
                                finish_stream(&state, Some(failure.clone()));
                            }
                        }
                    })
                }
            }
        });
        shared.queue.push_back(Job {
            words,
            deadline: timeout.map(|t| now_ms() + t),
            kind,
            _queue_timer: queue_timer,
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
        let options = Options::from_js(&options).map_err(|f| f.to_js())?;
        if !socket.is_object() {
            return Err(Failure::new(ErrorType::InvalidArgument, "expected a WebSocket").to_js());
        }
        let pipe = Pipe::websocket(socket.unchecked_into());
        Connection::open(pipe, options).await.map_err(|f| f.to_js())
    }

    /// Logs in over a JavaScript byte pipe (see the `BytePipe` type), such as the package's
    /// adapter for Node's `net.Socket` / `tls.TLSSocket`.
    #[wasm_bindgen(js_name = openPipe)]
    pub async fn open_pipe(pipe: JsBytePipe, options: JsValue) -> Result<Connection, JsValue> {
        let options = Options::from_js(&options).map_err(|f| f.to_js())?;
        if !pipe.is_object() {
            return Err(Failure::new(ErrorType::InvalidArgument, "expected a BytePipe").to_js());
        }
        Connection::open(Pipe::js(pipe), options)
            .await
            .map_err(|f| f.to_js())
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
            self.enqueue(words, JobKind::Command(cell));
        })
    }

    /// Starts a streaming command; see [`Stream`]. It is queued like any command and, once
    /// running, holds the connection until it ends or is cancelled.
    pub fn stream(&self, words: JsValue) -> Result<Stream, JsValue> {
        if let Some(f) = self.not_accepting() {
            return Err(f.to_js());
        }
        let words = words_from_js(&words).map_err(|f| f.to_js())?;
        let state = Rc::new(RefCell::new(StreamState::new()));
        self.enqueue(words, JobKind::Stream(state.clone()));
        Ok(Stream {
            state,
            shared: Rc::downgrade(&self.shared),
        })
    }

    /// Closes the connection: commands not yet started are rejected (`closed`), a running
    /// stream is cancelled, a running command may finish, then `/quit` is sent and the
    /// transport closed. Resolves when that is done; calling it again is harmless.
    pub fn close(&self) -> Promise {
        let mut shared = self.shared.borrow_mut();
        if shared.ended.is_some() {
            return Promise::resolve(&JsValue::UNDEFINED);
        }
        let queued: Vec<Job> = shared.queue.drain(..).collect();
        shared.close_requested = true;
        let stream = shared.active_stream.clone();
        let p = promise(|resolver| shared.close_waiters.push(resolver));
        shared.wake();
        drop(shared);
        let failure = closed_by_close();
        for job in queued {
            job.reject(&failure);
        }
        if let Some(stream) = stream {
            let mut s = stream.borrow_mut();
            s.cancel_requested = true;
            s.wake();
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
    /// A connection nobody can reach any more is closed once its queued work is done.
    fn drop(&mut self) {
        let mut shared = self.shared.borrow_mut();
        if shared.ended.is_none() {
            shared.close_requested = true;
            shared.wake();
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
    /// it had already ended or had not started.
    pub fn cancel(&self) -> Promise {
        let mut state = self.state.borrow_mut();
        match state.status {
            StreamStatus::Done => Promise::resolve(&JsValue::UNDEFINED),
            StreamStatus::Queued => {
                drop(state);
                finish_stream(&self.state, None);
                self.wake_connection();
                Promise::resolve(&JsValue::UNDEFINED)
            }
            StreamStatus::Running => {
                state.cancel_requested = true;
                let p = promise(|resolver| state.cancel_waiters.push(resolver));
                state.wake();
                p
            }
        }
    }

    /// Whether the stream has ended.
    #[wasm_bindgen(getter)]
    pub fn done(&self) -> bool {
        self.state.borrow().status == StreamStatus::Done
    }
}

impl Stream {
    fn wake_connection(&self) {
        if let Some(shared) = self.shared.upgrade() {
            shared.borrow_mut().wake();
        }
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        let status = self.state.borrow().status;
        match status {
            StreamStatus::Queued => finish_stream(&self.state, None),
            StreamStatus::Running => {
                let mut s = self.state.borrow_mut();
                s.cancel_requested = true;
                s.wake();
            }
            StreamStatus::Done => {}
        }
    }
}

/// What the task does next.
enum Next {
    Job(Job),
    Close,
    Lost,
}

/// How the task ended.
enum End {
    /// `close()`: send `/quit`.
    Quit,
    /// The connection failed; new jobs get this.
    Failed(Failure),
}

/// The connection's task: serves jobs until close, failure or loss of the transport.
async fn drive(mut client: Core, shared: Rc<RefCell<Shared>>, inbound: Rc<RefCell<Inbound>>) {
    let timeout = shared.borrow().timeout_ms;
    let end = loop {
        let next = poll_fn(|cx| {
            let mut s = shared.borrow_mut();
            if let Some(job) = s.queue.pop_front() {
                return Poll::Ready(Next::Job(job));
            }
            if s.close_requested {
                return Poll::Ready(Next::Close);
            }
            if inbound.borrow_mut().poll_closed(cx).is_ready() {
                return Poll::Ready(Next::Lost);
            }
            s.waker = Some(cx.waker().clone());
            Poll::Pending
        })
        .await;
        let job = match next {
            Next::Close => break End::Quit,
            Next::Lost => break End::Failed(lost(&Error::Closed, &inbound)),
            Next::Job(job) => job,
        };
        let Job {
            words,
            deadline,
            kind,
            _queue_timer,
        } = job;
        drop(_queue_timer);
        let outcome = match kind {
            JobKind::Command(cell) => {
                let Some(resolver) = cell.borrow_mut().take() else {
                    continue;
                };
                run_command(&mut client, &words, remaining(deadline), resolver, &inbound).await
            }
            JobKind::Stream(state) => {
                if state.borrow().status != StreamStatus::Queued {
                    continue;
                }
                shared.borrow_mut().active_stream = Some(state.clone());
                let outcome = run_stream(
                    &mut client,
                    &words,
                    remaining(deadline),
                    timeout,
                    &state,
                    &inbound,
                )
                .await;
                shared.borrow_mut().active_stream = None;
                outcome
            }
        };
        if let Err(failure) = outcome {
            break End::Failed(failure);
        }
    };
    let reason = match end {
        End::Quit => {
            let _ = with_timeout(timeout, client.quit()).await;
            None
        }
        End::Failed(failure) => {
            drop(client);
            Some(failure)
        }
    };
    let (queued, close_waiters, closed_waiters) = {
        let mut s = shared.borrow_mut();
        s.ended = Some(reason.clone().unwrap_or_else(closed_by_close));
        s.end_reason = Some(reason.clone());
        (
            s.queue.drain(..).collect::<Vec<_>>(),
            std::mem::take(&mut s.close_waiters),
            std::mem::take(&mut s.closed_waiters),
        )
    };
    let failure = reason.clone().unwrap_or_else(closed_by_close);
    for job in queued {
        job.reject(&failure);
    }
    for waiter in close_waiters {
        waiter.resolve(&JsValue::UNDEFINED);
    }
    let reason_js = reason.as_ref().map_or(JsValue::NULL, Failure::to_js);
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

fn timed_out_on_the_wire(ms: Option<f64>) -> (Failure, Failure) {
    let ms = ms.unwrap_or_default().max(0.0).round() as u64;
    (
        Failure::new(ErrorType::Timeout, format!("timed out after {ms} ms")),
        Failure::new(
            ErrorType::Closed,
            "connection closed after a command timed out",
        ),
    )
}

/// Runs one command and settles its promise. `Err` means the connection is gone.
async fn run_command(
    client: &mut Core,
    words: &[Vec<u8>],
    limit: Option<f64>,
    resolver: Resolver,
    inbound: &RefCell<Inbound>,
) -> Result<(), Failure> {
    let ran = with_timeout(limit, async {
        let mut response = client.command(words).await?;
        let mut rows = RowsJson::new();
        let mut first_error = None;
        while let Some(item) = response.next().await {
            match item {
                Ok(row) => rows.push(&row),
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
        let ret = done.ret().map(|v| v.to_string());
        Ok((rows.finish(), ret))
    })
    .await;
    match ran {
        Err(_) => {
            let (timeout, closed) = timed_out_on_the_wire(limit);
            resolver.reject(&timeout);
            Err(closed)
        }
        Ok(Err(e)) => {
            resolver.reject(&Failure::from_core(&e, inbound.borrow().close_reason()));
            if e.is_fatal() {
                Err(lost(&e, inbound))
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

/// Serves a stream until it ends or is cancelled. `Err` means the connection is gone.
async fn run_stream(
    client: &mut Core,
    words: &[Vec<u8>],
    start_limit: Option<f64>,
    timeout: Option<f64>,
    state: &Rc<RefCell<StreamState>>,
    inbound: &RefCell<Inbound>,
) -> Result<(), Failure> {
    let started = with_timeout(start_limit, client.command(words)).await;
    let mut response = match started {
        Err(_) => {
            let (timeout, closed) = timed_out_on_the_wire(start_limit);
            finish_stream(state, Some(timeout));
            return Err(closed);
        }
        Ok(Err(e)) => {
            finish_stream(
                state,
                Some(Failure::from_core(&e, inbound.borrow().close_reason())),
            );
            return if e.is_fatal() {
                Err(lost(&e, inbound))
            } else {
                Ok(())
            };
        }
        Ok(Ok(response)) => response,
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
            let cancelled = with_timeout(timeout, response.cancel()).await;
            finish_stream(state, None);
            return match cancelled {
                Err(_) => Err(timed_out_on_the_wire(timeout).1),
                Ok(Err(e)) if e.is_fatal() => Err(lost(&e, inbound)),
                Ok(_) => Ok(()),
            };
        }
        // Read one row, unless a cancel comes first (reading is cancel-safe).
        let item = {
            let mut next = pin!(response.next());
            poll_fn(|cx| {
                if state.borrow().cancel_requested {
                    return Poll::Ready(None);
                }
                match next.as_mut().poll(cx) {
                    Poll::Ready(item) => Poll::Ready(Some(item.map(|r| {
                        r.map(|row| {
                            let mut json = String::new();
                            push_row(&mut json, &row);
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
                finish_stream(state, None);
                return Ok(());
            }
            Some(Some(Ok(json))) => {
                let pull = state.borrow_mut().pulls.pop_front();
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
                let failure = Failure::from_core(&e, inbound.borrow().close_reason());
                if e.is_fatal() {
                    finish_stream(state, Some(failure));
                    return Err(lost(&e, inbound));
                }
                if failure.kind == ErrorType::Trap {
                    // Traps come after the `!done`: the stream is over. Category 2
                    // ("interrupted") is a normal end.
                    finish_stream(state, (!failure.is_interrupted()).then_some(failure));
                    return Ok(());
                }
                // An oversize row: that `next()` fails, the stream goes on.
                let pull = state.borrow_mut().pulls.pop_front();
                if let Some(pull) = pull {
                    pull.reject(&failure);
                }
            }
        }
    }
}
