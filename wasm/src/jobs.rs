//! One command or stream of a connection, run as a future by the task
//! ([`crate::driver`]): it waits for a slot in line, goes out on the core's multiplexing
//! client, and settles its promise or serves its stream.

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;

use crate::connection::{Job, Shared};
use crate::driver::Ctx;
use crate::error::{ErrorType, Failure};
use crate::gate::{Ticket, Use};
use crate::js::{parse_json, Resolver};
use crate::json::{push_row, RowsJson};
use crate::outcome::{lost, timed_out};
use crate::stream::{finish_stream, StreamState, StreamStatus};
use crate::timer::{remaining, with_timeout};

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
pub(crate) async fn run_command(
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
pub(crate) async fn run_stream(
    ctx: &Ctx<'_, '_>,
    job: Job,
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
            // The call's own limit bounds the cancel as it bounded the start.
            let cancelled = with_timeout(job.limit, stream.cancel()).await;
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
