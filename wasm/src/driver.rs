//! The connection's task: logs in, then runs every command and stream as a future of its
//! own over the core's multiplexing client, probes an idle router (keepalive), and settles
//! everything when the connection ends.

use std::cell::RefCell;
use std::future::{pending, poll_fn, Future};
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use routeros_core::mux::Mux;
use routeros_core::Error;
use wasm_bindgen::prelude::*;

use crate::connection::{closed_by_close, Job, Shared, Waiter};
use crate::error::{ErrorType, Failure};
use crate::gate::{Ticket, Use};
use crate::inbound::Inbound;
use crate::js::{parse_json, Resolver};
use crate::json::{push_row, RowsJson};
use crate::options::Options;
use crate::pipe::{Pipe, PipeReader, PipeWriter};
use crate::stream::{finish_stream, StreamState, StreamStatus};
use crate::timer::{remaining, sleep_idle, with_timeout, with_timeout_idle};
use crate::{SLOTS, SLOT_BYTES};

/// Slots of the core client: the largest `slots` a connection may ask for, plus one kept
/// for the keepalive probe.
const MUX_SLOTS: usize = SLOTS + 1;

type WasmMux<'b> = Mux<'b, PipeReader, PipeWriter, (), MUX_SLOTS, SLOT_BYTES>;

/// The command a keepalive sends: cheap, answered by every RouterOS version.
const PROBE: [&str; 2] = ["/system/identity/print", "=.proplist=name"];

/// The outcome of logging in, handed from the task to `open`.
#[derive(Default)]
pub(crate) struct LoginSignal {
    result: Option<Result<(), Failure>>,
    waker: Option<Waker>,
}

impl LoginSignal {
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Failure>> {
        match self.result.take() {
            Some(result) => Poll::Ready(result),
            None => {
                self.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }

    fn settle(&mut self, result: Result<(), Failure>) {
        self.result = Some(result);
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }
}

/// What every job of one connection works with.
struct Ctx<'a, 'b> {
    mux: &'a WasmMux<'b>,
    shared: &'a RefCell<Shared>,
    inbound: &'a RefCell<Inbound>,
}

type JobFuture<'a> = Pin<Box<dyn Future<Output = Result<(), Failure>> + 'a>>;

/// The connection's task: logs in, then runs jobs until close, failure or loss of the
/// transport.
pub(crate) async fn drive(
    pipe: Pipe,
    options: Options,
    deadline: Option<f64>,
    shared: Rc<RefCell<Shared>>,
    inbound: Rc<RefCell<Inbound>>,
    login: Rc<RefCell<LoginSignal>>,
) {
    let timeout = options.timeout_ms;
    let keepalive_ms = options.keepalive_ms;
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
        Err(_) => Err(login_failure(None, &inbound)),
        Ok(Err(e)) => Err(login_failure(Some(&e), &inbound)),
        Ok(Ok(())) => Ok(()),
    };
    let failed = outcome.is_err();
    login.borrow_mut().settle(outcome);
    if failed {
        let mut s = shared.borrow_mut();
        s.ended = Some(Failure::new(ErrorType::Closed, "login failed"));
        s.end_reason = Some(None);
        return;
    }

    let ctx = Ctx {
        mux: &mux,
        shared: &shared,
        inbound: &inbound,
    };
    let mut keepalive: Pin<Box<dyn Future<Output = Failure> + '_>> =
        Box::pin(keep_alive(&ctx, keepalive_ms));
    // Declared after `mux` and `ctx`, so dropped before them.
    let mut tasks: Vec<(Waiter, JobFuture<'_>)> = Vec::new();
    let end = poll_fn(|cx| {
        // Start jobs queued since the last poll.
        let new_jobs: Vec<Job> = {
            let mut s = shared.borrow_mut();
            s.waker = Some(cx.waker().clone());
            s.queue.drain(..).collect()
        };
        for job in new_jobs {
            let waiter = job.waiter.clone();
            let future: JobFuture<'_> = match job.waiter.clone() {
                Waiter::Command(cell) => Box::pin(run_command(&ctx, job, cell)),
                Waiter::Stream(state) => Box::pin(run_stream(&ctx, job, timeout, state)),
            };
            tasks.push((waiter, future));
        }
        // Poll every job (they share this task's waker, so any wake-up polls them all).
        // A job that ends frees a slot another may be waiting for: poll again until none
        // ends.
        loop {
            let mut ended_one = false;
            let mut i = 0;
            while i < tasks.len() {
                if tasks[i].0.is_settled() {
                    // Aborted: dropping its future cancels the command on the wire.
                    drop(tasks.swap_remove(i));
                    ended_one = true;
                    continue;
                }
                match tasks[i].1.as_mut().poll(cx) {
                    Poll::Pending => i += 1,
                    Poll::Ready(Ok(())) => {
                        drop(tasks.swap_remove(i));
                        ended_one = true;
                    }
                    Poll::Ready(Err(failure)) => {
                        drop(tasks.swap_remove(i));
                        return Poll::Ready(Some(failure));
                    }
                }
            }
            if !ended_one {
                break;
            }
        }
        if let Poll::Ready(failure) = keepalive.as_mut().poll(cx) {
            return Poll::Ready(Some(failure));
        }
        if tasks.is_empty() {
            let s = shared.borrow();
            if s.close_requested || s.handle_dropped {
                return Poll::Ready(None);
            }
            drop(s);
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
        let busy = tasks.iter().any(|(w, _)| match w {
            Waiter::Command(_) => true,
            Waiter::Stream(state) => state.borrow().is_awaited(),
        });
        let mut s = shared.borrow_mut();
        let closing = s.close_requested;
        s.set_active(busy || closing);
        Poll::Pending
    })
    .await;
    drop(keepalive);

    // What jobs still running or queued get, and what later calls get.
    let failure = end.clone().unwrap_or_else(closed_by_close);
    {
        let mut s = shared.borrow_mut();
        s.ended = Some(for_later_calls(&failure));
    }
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
        s.set_active(false);
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

/// The error calls made after the connection ended get: the one that ended it, except that
/// a time limit that ran out (which says nothing about the later call) becomes `closed` with
/// the timeout as its cause.
fn for_later_calls(failure: &Failure) -> Failure {
    if failure.kind == ErrorType::Timeout {
        Failure::new(
            ErrorType::Closed,
            format!("connection closed: {}", failure.message),
        )
        .with_cause(failure.clone())
    } else {
        failure.clone()
    }
}

/// Why the login did not succeed. A transport that closed (or went silent) after sending
/// bytes that are not an API reply is a server that does not speak the API (`protocol`); one
/// that closed without sending anything is a bridge that could not reach its router, or a
/// router refusing API connections (`connect_failed`).
fn login_failure(error: Option<&Error>, inbound: &RefCell<Inbound>) -> Failure {
    let inbound = inbound.borrow();
    let transport_gone = matches!(error, None | Some(Error::Closed | Error::Io(_)));
    if !transport_gone {
        return Failure::from_core(error.unwrap_or(&Error::Closed), inbound.close_reason());
    }
    if let Some(fatal) = inbound.unread_fatal() {
        return Failure::from_core(&fatal, None);
    }
    let received = inbound.received();
    if received > 0 {
        let then = if error.is_some() { ", then closed" } else { "" };
        return Failure::new(
            ErrorType::Protocol,
            format!(
                "the server does not speak the RouterOS API: it answered the login with {received} \
                 bytes that are not an API reply (\"{}\"){then}",
                inbound.head_escaped()
            ),
        );
    }
    match error {
        None => Failure::new(ErrorType::Timeout, "timed out while logging in"),
        Some(_) => {
            let how = inbound
                .close_reason()
                .map(|r| format!(" ({})", crate::error::escape_text(r)))
                .unwrap_or_default();
            Failure::new(
                ErrorType::ConnectFailed,
                format!(
                    "the connection closed before the router answered the login{how}: a bridge \
                     that cannot reach its router, or a router that refuses API connections \
                     from this address"
                ),
            )
        }
    }
}

/// The failure that ends the connection after `error`: a `!fatal` the router sent before
/// closing (still unread when nobody was reading) counts as `fatal`.
fn lost(error: &Error, inbound: &RefCell<Inbound>) -> Failure {
    let inbound = inbound.borrow();
    if matches!(error, Error::Closed | Error::Io(_)) {
        if let Some(fatal) = inbound.unread_fatal() {
            return Failure::from_core(&fatal, None);
        }
    }
    Failure::from_core(error, inbound.close_reason())
}

fn timed_out(ms: Option<f64>) -> Failure {
    let ms = ms.unwrap_or_default().max(0.0).round() as u64;
    Failure::new(ErrorType::Timeout, format!("timed out after {ms} ms"))
}

/// A place in the line for a slot; leaves the line if dropped before it got one.
struct Place<'a> {
    shared: &'a RefCell<Shared>,
    ticket: Ticket,
    taken: bool,
}

/// A slot taken from the gate; given back when dropped.
struct Lease<'a> {
    shared: &'a RefCell<Shared>,
    usage: Use,
}

impl<'a> Place<'a> {
    fn new(shared: &'a RefCell<Shared>, ticket: Ticket) -> Self {
        Self {
            shared,
            ticket,
            taken: false,
        }
    }

    /// Waits for a slot. (Pending without a waker of its own: every job is polled whenever
    /// the task wakes, and the task polls again after any job ends.)
    async fn take(&mut self, usage: Use) -> Lease<'a> {
        poll_fn(|_| {
            if self.shared.borrow_mut().gate.try_take(self.ticket, usage) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
        self.taken = true;
        Lease {
            shared: self.shared,
            usage,
        }
    }
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        if !self.taken {
            if let Ok(mut s) = self.shared.try_borrow_mut() {
                s.gate.leave(self.ticket);
            }
        }
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Ok(mut s) = self.shared.try_borrow_mut() {
            s.gate.release(self.usage);
        }
    }
}

/// The failure of a call that waited for a slot until its time ran out.
fn no_slot(shared: &RefCell<Shared>, limit: Option<f64>) -> Failure {
    let ms = limit.unwrap_or_default().max(0.0).round() as u64;
    let busy = shared.borrow().gate.describe();
    Failure::new(
        ErrorType::SlotsExhausted,
        format!(
            "no free slot within {ms} ms: {busy}; end or cancel some, or connect with more slots"
        ),
    )
}

/// Runs one command and settles its promise. `Err` means the connection must end.
async fn run_command(
    ctx: &Ctx<'_, '_>,
    job: Job,
    cell: Rc<RefCell<Option<Resolver>>>,
) -> Result<(), Failure> {
    let mut place = Place::new(ctx.shared, job.ticket);
    let mut got_slot = false;
    let mut sent = false;
    let ran = with_timeout(remaining(job.deadline), async {
        let _lease = place.take(Use::Command).await;
        got_slot = true;
        let mut response = ctx.mux.command_wait(&job.words[..]).await?;
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
        Err(_) if !got_slot => {
            resolver.reject(&no_slot(ctx.shared, job.limit));
            Ok(())
        }
        Err(_) => {
            resolver.reject(&timed_out(job.limit));
            // Nothing went out yet: nothing else is affected. Otherwise the router is not
            // trusted any more.
            if sent {
                Err(Failure::new(
                    ErrorType::Timeout,
                    format!(
                        "a command timed out after {} ms, so the connection was closed",
                        job.limit.unwrap_or_default().round() as u64
                    ),
                ))
            } else {
                Ok(())
            }
        }
        Ok(Err(e)) => {
            let failure = if e.is_fatal() {
                lost(&e, ctx.inbound)
            } else {
                Failure::from_core(&e, None)
            };
            resolver.reject(&failure);
            if e.is_fatal() {
                Err(failure)
            } else {
                Ok(())
            }
        }
        Ok(Ok((json, ret))) => {
            match parse_json(&json) {
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
    ctx: &Ctx<'_, '_>,
    job: Job,
    timeout: Option<f64>,
    state: Rc<RefCell<StreamState>>,
) -> Result<(), Failure> {
    let mut place = Place::new(ctx.shared, job.ticket);
    let mut got_slot = false;
    // Start it, unless it is cancelled first (while waiting for a slot).
    let started = {
        let mut start = pin!(with_timeout(remaining(job.deadline), async {
            let lease = place.take(Use::Stream).await;
            got_slot = true;
            ctx.mux
                .stream_wait(&job.words[..])
                .await
                .map(|stream| (stream, lease))
        }));
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
    let (mut stream, _lease) = match started {
        None => {
            finish_stream(&state, None);
            return Ok(());
        }
        Some(Err(_)) if !got_slot => {
            finish_stream(&state, Some(no_slot(ctx.shared, job.limit)));
            return Ok(());
        }
        Some(Err(_)) => {
            finish_stream(&state, Some(timed_out(job.limit)));
            return Ok(());
        }
        Some(Ok(Err(e))) => {
            let failure = if e.is_fatal() {
                lost(&e, ctx.inbound)
            } else {
                Failure::from_core(&e, None)
            };
            finish_stream(&state, Some(failure.clone()));
            return if e.is_fatal() { Err(failure) } else { Ok(()) };
        }
        Some(Ok(Ok(started))) => started,
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
                Err(_) => Err(Failure::new(
                    ErrorType::Timeout,
                    "the router did not confirm a stream's cancel in time, so the connection was closed",
                )),
                Ok(Err(e)) if e.is_fatal() => Err(lost(&e, ctx.inbound)),
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
                            let mut json = Vec::new();
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
                    match parse_json(&json) {
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
                let failure = if e.is_fatal() {
                    lost(&e, ctx.inbound)
                } else {
                    Failure::from_core(&e, None)
                };
                finish_stream(&state, Some(failure.clone()));
                return if e.is_fatal() { Err(failure) } else { Ok(()) };
            }
        }
    }
}

/// Keepalive: when nothing has been received for `every` ms, asks the router something
/// cheap and waits up to `every` ms for the answer. Completes only when the router (or the
/// bridge in front of it) failed to answer: a dead peer is noticed within about twice
/// `every`. Its timers do not keep a Node process alive.
async fn keep_alive(ctx: &Ctx<'_, '_>, every: Option<f64>) -> Failure {
    let Some(every) = every else {
        return pending().await;
    };
    let mut seen = ctx.inbound.borrow().received();
    loop {
        sleep_idle(every).await;
        let now = ctx.inbound.borrow().received();
        if now != seen {
            seen = now;
            continue;
        }
        match with_timeout_idle(Some(every), ctx.mux.run(&PROBE)).await {
            Err(_) => {
                return Failure::new(
                    ErrorType::Timeout,
                    format!(
                        "the router did not answer a keepalive within {} ms: it (or the bridge in \
                         front of it) is gone",
                        every.round() as u64
                    ),
                )
            }
            Ok(Err(e)) if e.is_fatal() => return lost(&e, ctx.inbound),
            Ok(_) => {}
        }
        seen = ctx.inbound.borrow().received();
    }
}
