//! The JavaScript-facing connection: [`Connection`] takes calls and hands them to the
//! connection's task ([`crate::driver`]), which owns the core's multiplexing client.
//!
//! Up to `slots` commands and streams are on the wire at once; more wait for a free slot, in
//! call order. Streams may hold at most `maxStreams` slots (by default all but one, so
//! commands always get through). `timeoutMs` bounds each command from the call: one still
//! waiting for a slot when it passes fails with `slots_exhausted` and nothing else is
//! affected; one that times out after it went out also closes the connection (a router that
//! stops answering one command is not trusted with the next).
//!
//! The connection lives as long as anything refers to its work: a stream or a pending
//! command keeps it open after its `Connection` handle is collected; it closes once nothing
//! is left.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::poll_fn;
use std::rc::{Rc, Weak};
use std::task::Waker;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::driver::{drive, LoginSignal};
use crate::error::{ErrorType, Failure};
use crate::gate::{Gate, Ticket};
use crate::js::{call_timeout, promise, rejected, words_from_js, Resolver};
use crate::options::Options;
use crate::pipe::{JsBytePipe, Pipe};
use crate::stream::{finish_stream, Stream, StreamState, StreamStatus};
use crate::timer::{now_ms, remaining, with_timeout};

/// Who is waiting for a job: settled exactly once, by the job, by an abort, or by the end of
/// the connection.
#[derive(Clone)]
pub(crate) enum Waiter {
    /// `None` once the promise was settled.
    Command(Rc<RefCell<Option<Resolver>>>),
    Stream(Rc<RefCell<StreamState>>),
}

impl Waiter {
    pub(crate) fn fail(&self, failure: &Failure) {
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

    /// Whether nobody waits for the outcome any more (a command settled by an abort).
    pub(crate) fn is_settled(&self) -> bool {
        match self {
            Waiter::Command(cell) => cell.borrow().is_none(),
            Waiter::Stream(_) => false,
        }
    }
}

/// A call, queued for the task.
pub(crate) struct Job {
    pub(crate) words: Vec<Vec<u8>>,
    /// Its bound (ms), counted from the call.
    pub(crate) limit: Option<f64>,
    pub(crate) deadline: Option<f64>,
    /// Its place in the line for a slot.
    pub(crate) ticket: Ticket,
    pub(crate) waiter: Waiter,
}

/// State shared by the JavaScript handles and the task.
pub(crate) struct Shared {
    /// Jobs the task has not picked up yet.
    pub(crate) queue: VecDeque<Job>,
    pub(crate) waker: Option<Waker>,
    /// `close()` was called.
    pub(crate) close_requested: bool,
    /// The `Connection` handle was dropped (collected): close once no work is left.
    pub(crate) handle_dropped: bool,
    pub(crate) close_waiters: Vec<Resolver>,
    /// Set when the task ended: why new jobs fail.
    pub(crate) ended: Option<Failure>,
    /// Why the connection ended, for `closed()`: `None` after `close()`.
    pub(crate) end_reason: Option<Option<Failure>>,
    pub(crate) closed_waiters: Vec<Resolver>,
    /// Streams not yet ended, to cancel on `close()` and to count against `maxStreams`.
    pub(crate) streams: Vec<Weak<RefCell<StreamState>>>,
    /// Commands that can be aborted, by call id.
    pub(crate) calls: Vec<(u32, Weak<RefCell<Option<Resolver>>>)>,
    pub(crate) timeout_ms: Option<f64>,
    pub(crate) gate: Gate,
    /// Told `true` while the connection has work someone waits for, `false` when idle (the
    /// Node entry point refs and unrefs its socket with it).
    pub(crate) activity: Option<js_sys::Function>,
    pub(crate) active: Option<bool>,
}

impl Shared {
    pub(crate) fn wake(&mut self) {
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }

    /// Streams made and not ended.
    fn open_streams(&mut self) -> usize {
        self.streams.retain(|s| {
            s.upgrade()
                .is_some_and(|s| s.borrow().status != StreamStatus::Done)
        });
        self.streams.len()
    }
}

/// Tells the activity listener if the connection went from idle to busy or back. Must be
/// called with `shared` not borrowed: the listener is JavaScript and may call back.
pub(crate) fn set_active(shared: &RefCell<Shared>, active: bool) {
    let listener = {
        let mut s = shared.borrow_mut();
        if s.active == Some(active) {
            return;
        }
        s.active = Some(active);
        s.activity.clone()
    };
    if let Some(f) = listener {
        let _ = f.call1(&JsValue::UNDEFINED, &JsValue::from_bool(active));
    }
}

pub(crate) fn closed_by_close() -> Failure {
    Failure::new(ErrorType::Closed, "connection closed by close()")
}

/// A logged-in connection to a router.
///
/// Made by [`Connection::open_web_socket`] or [`Connection::open_pipe`]; the package's
/// `connect()` wraps both. Every method returns at once; one task per connection does the
/// work, up to `slots` commands and streams at a time.
#[wasm_bindgen]
pub struct Connection {
    shared: Rc<RefCell<Shared>>,
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
            Ok(Err(reason)) => {
                return Err(Failure::new(
                    ErrorType::ConnectFailed,
                    crate::error::escape_text(&reason),
                ))
            }
            Ok(Ok(())) => {}
        }
        let shared = Rc::new(RefCell::new(Shared {
            queue: VecDeque::new(),
            waker: None,
            close_requested: false,
            handle_dropped: false,
            close_waiters: Vec::new(),
            ended: None,
            end_reason: None,
            closed_waiters: Vec::new(),
            streams: Vec::new(),
            calls: Vec::new(),
            timeout_ms: options.timeout_ms,
            gate: Gate::new(options.slots, options.max_streams),
            activity: None,
            active: None,
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
        poll_fn(|cx| login.borrow_mut().poll(cx)).await?;
        Ok(Connection { shared })
    }

    fn enqueue(&self, words: Vec<Vec<u8>>, limit: Option<f64>, waiter: Waiter) {
        let mut shared = self.shared.borrow_mut();
        let deadline = limit.map(|t| now_ms() + t);
        let ticket = shared.gate.ticket();
        if let Waiter::Stream(state) = &waiter {
            shared.streams.push(Rc::downgrade(state));
        }
        shared.queue.push_back(Job {
            words,
            limit,
            deadline,
            ticket,
            waiter,
        });
        shared.wake();
        drop(shared);
        set_active(&self.shared, true);
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
    ///
    /// `timeout_ms` overrides the connection's `timeoutMs` for this call (`undefined`: the
    /// connection's; `0`: none). A non-zero `call_id` lets [`abort`](Self::abort) end it.
    pub fn command(&self, words: JsValue, timeout_ms: JsValue, call_id: Option<u32>) -> Promise {
        if let Some(f) = self.not_accepting() {
            return rejected(&f);
        }
        let limit = match call_timeout(&timeout_ms, self.shared.borrow().timeout_ms) {
            Ok(l) => l,
            Err(f) => return rejected(&f),
        };
        let words = match words_from_js(&words) {
            Ok(w) => w,
            Err(f) => return rejected(&f),
        };
        promise(|resolver| {
            let cell = Rc::new(RefCell::new(Some(resolver)));
            if let Some(id) = call_id.filter(|id| *id != 0) {
                let mut shared = self.shared.borrow_mut();
                shared.calls.retain(|(_, c)| c.strong_count() > 0);
                shared.calls.push((id, Rc::downgrade(&cell)));
            }
            self.enqueue(words, limit, Waiter::Command(cell));
        })
    }

    /// Ends the command started with `call_id`: its promise rejects with `aborted` at once;
    /// if it is on the wire it is cancelled (`/cancel`), freeing its slot when the router
    /// confirms. Does nothing if the command already settled.
    pub fn abort(&self, call_id: u32) {
        let cell = {
            let mut shared = self.shared.borrow_mut();
            let found = shared
                .calls
                .iter()
                .position(|(id, _)| *id == call_id)
                .map(|i| shared.calls.swap_remove(i).1);
            shared.wake();
            found.and_then(|c| c.upgrade())
        };
        if let Some(cell) = cell {
            let resolver = cell.borrow_mut().take();
            if let Some(r) = resolver {
                r.reject(&Failure::new(ErrorType::Aborted, "the command was aborted"));
            }
        }
    }

    /// Starts a streaming command; see [`Stream`]. Commands keep running beside it.
    /// `timeout_ms` bounds its start (and its cancel); rows take as long as they take.
    ///
    /// Fails with `slots_exhausted` when `maxStreams` streams are already open.
    pub fn stream(&self, words: JsValue, timeout_ms: JsValue) -> Result<Stream, JsValue> {
        if let Some(f) = self.not_accepting() {
            return Err(f.to_js());
        }
        let limit =
            call_timeout(&timeout_ms, self.shared.borrow().timeout_ms).map_err(|f| f.to_js())?;
        let words = words_from_js(&words).map_err(|f| f.to_js())?;
        {
            let mut shared = self.shared.borrow_mut();
            let open = shared.open_streams();
            let max = shared.gate.max_streams();
            if open >= max {
                let slots = shared.gate.slots();
                let message = if max == 0 {
                    format!("streams are not allowed on this connection (maxStreams is 0 of {slots} slots)")
                } else {
                    format!(
                        "all {max} stream slots are in use ({slots} slots, {} kept for commands): \
                         cancel a stream, or connect with a larger maxStreams (at most slots)",
                        slots - max
                    )
                };
                return Err(Failure::new(ErrorType::SlotsExhausted, message).to_js());
            }
        }
        let state = Rc::new(RefCell::new(StreamState::new()));
        self.enqueue(words, limit, Waiter::Stream(state.clone()));
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
        set_active(&self.shared, true);
        for stream in streams {
            stream.borrow_mut().request_cancel();
        }
        p
    }

    /// Resolves when the connection has ended: with `null` after [`close`](Self::close),
    /// otherwise with the error that ended it (its own type: `closed` when the peer or the
    /// network went away, `fatal`, `protocol`, `timeout`, ...).
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

    /// Sets the function told `true` while the connection has work someone waits for (a
    /// command, a stream being read, a close) and `false` when it is idle. It is called at
    /// once with the current state.
    #[wasm_bindgen(js_name = setActivityListener)]
    pub fn set_activity_listener(&self, listener: js_sys::Function) {
        let now = {
            let mut shared = self.shared.borrow_mut();
            shared.activity = Some(listener);
            shared.active.take()
        };
        set_active(&self.shared, now.unwrap_or(false));
    }
}

impl Drop for Connection {
    /// Nothing refers to the connection any more: it closes once its commands are answered
    /// and its streams (whose handles may still be held) have ended.
    fn drop(&mut self) {
        let mut shared = self.shared.borrow_mut();
        if shared.ended.is_none() {
            shared.handle_dropped = true;
            shared.wake();
        }
    }
}
