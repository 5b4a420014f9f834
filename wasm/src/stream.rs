//! A streaming command as JavaScript holds it: [`Stream`], and the state it shares with the
//! connection's task.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::task::Waker;

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use crate::error::Failure;
use crate::js::{promise, rejected, Resolver};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StreamStatus {
    /// Not on the wire yet (waiting for the task or a slot).
    Queued,
    Running,
    Done,
}

/// A stream's state, shared by its JavaScript handle and its future.
pub(crate) struct StreamState {
    pub(crate) status: StreamStatus,
    /// Pending `next()` calls, served in order.
    pub(crate) pulls: VecDeque<Resolver>,
    pub(crate) cancel_requested: bool,
    pub(crate) cancel_waiters: Vec<Resolver>,
    /// An error that ended the stream with no `next()` pending to receive it.
    pub(crate) failure: Option<Failure>,
    /// Rows dropped so far because nobody read them in time (the slot's buffer was full).
    pub(crate) dropped: u32,
    pub(crate) waker: Option<Waker>,
}

impl StreamState {
    pub(crate) fn new() -> Self {
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

    pub(crate) fn wake(&mut self) {
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }

    /// Asks for the stream to end (from `cancel()`, a dropped handle, or `close()`).
    pub(crate) fn request_cancel(&mut self) {
        self.cancel_requested = true;
        self.wake();
    }

    /// Whether someone waits for a row (a pending `next()`).
    pub(crate) fn is_awaited(&self) -> bool {
        self.status != StreamStatus::Done && !self.pulls.is_empty()
    }
}

/// Ends a stream: the first pending `next()` gets `failure` (or the end), the others the
/// end; `cancel()` callers are released. Does nothing to a stream that already ended.
pub(crate) fn finish_stream(state: &RefCell<StreamState>, failure: Option<Failure>) {
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

/// A running streaming command (`/interface/monitor-traffic`, `/ping`, `/tool/torch`, ...).
///
/// `next()` gives the next row, or `undefined` after the end; `cancel()` sends `/cancel` and
/// resolves when the router confirmed it. Dropping the handle (`free()`, or garbage
/// collection) cancels the stream too. Rows not asked for are buffered up to
/// [`crate::SLOT_BYTES`]; beyond that the oldest are dropped. A stream keeps its connection
/// alive: the connection's own handle may be collected while the stream runs.
#[wasm_bindgen]
pub struct Stream {
    pub(crate) state: Rc<RefCell<StreamState>>,
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
    /// a buffer of [`crate::SLOT_BYTES`], and beyond that the oldest give way.
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
