//! The connection's task: logs in, then runs every command and stream as a future of its
//! own ([`crate::jobs`]) over the core's multiplexing client, probes an idle router
//! (keepalive), and settles everything when the connection ends.

use std::cell::RefCell;
use std::future::{pending, poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use routeros_core::mux::Mux;
use routeros_core::Error;
use wasm_bindgen::prelude::*;

use crate::connection::{closed_by_close, set_active, Job, Shared, Waiter};
use crate::error::{ErrorType, Failure};
use crate::inbound::Inbound;
use crate::jobs::{run_command, run_stream};
use crate::options::Options;
use crate::outcome::{for_later_calls, login_failure, lost};
use crate::pipe::{Pipe, PipeReader, PipeWriter};
use crate::timer::{remaining, sleep_idle, with_timeout, with_timeout_idle};
use crate::{SLOTS, SLOT_BYTES};

/// Slots of the core client: the largest `slots` a connection may ask for, plus one kept
/// for the keepalive probe.
const MUX_SLOTS: usize = SLOTS + 1;

pub(crate) type WasmMux<'b> = Mux<'b, PipeReader, PipeWriter, (), MUX_SLOTS, SLOT_BYTES>;

/// The command a keepalive sends: cheap, answered by every RouterOS version.
const PROBE: [&str; 2] = ["/system/identity/print", "=.proplist=name"];

/// Words as every job sends them (`Vec<u8>` each), so that the client's code for sending a
/// command is there once, whatever sends it.
fn words(words: &[&str]) -> Vec<Vec<u8>> {
    words.iter().map(|w| w.as_bytes().to_vec()).collect()
}

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
pub(crate) struct Ctx<'a, 'b> {
    pub(crate) mux: &'a WasmMux<'b>,
    pub(crate) shared: &'a RefCell<Shared>,
    pub(crate) inbound: &'a RefCell<Inbound>,
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
                Waiter::Stream(state) => Box::pin(run_stream(&ctx, job, state)),
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
        let closing = shared.borrow().close_requested;
        set_active(&shared, busy || closing);
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
        let _ = with_timeout(timeout, mux.run(&words(&["/quit"])[..])).await;
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
    set_active(&shared, false);
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
/// Keepalive: when nothing has been received for `every` ms, asks the router something
/// cheap and waits up to `every` ms for the answer. Completes only when the router (or the
/// bridge in front of it) failed to answer: a dead peer is noticed within about twice
/// `every`. Its timers do not keep a Node process alive.
async fn keep_alive(ctx: &Ctx<'_, '_>, every: Option<f64>) -> Failure {
    let Some(every) = every else {
        return pending().await;
    };
    let probe = words(&PROBE);
    let mut seen = ctx.inbound.borrow().received();
    loop {
        sleep_idle(every).await;
        let now = ctx.inbound.borrow().received();
        if now != seen {
            seen = now;
            continue;
        }
        match with_timeout_idle(Some(every), ctx.mux.run(&probe[..])).await {
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
