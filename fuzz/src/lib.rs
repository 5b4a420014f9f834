//! Shared pieces of the fuzz targets: a byte reader for the input, a transport that plays an
//! arbitrary router (reads in odd sizes, `Pending` reads, short and failing writes) and a
//! poll loop that can drop a future part-way.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// Reads the fuzz input from the front: parameters first, the router's bytes last.
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// Wraps the fuzzer's input.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    /// The next byte, or 0 once the input ran out.
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// A number in `lo..=hi` from the next byte.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + usize::from(self.byte()) % (hi - lo + 1)
    }

    /// Everything left.
    pub fn rest(self) -> &'a [u8] {
        self.data
    }
}

/// How the fake router behaves besides what it sends.
#[derive(Debug, Clone, Copy)]
pub struct Behaviour {
    /// Most bytes one read returns (at least 1).
    pub read_chunk: usize,
    /// Most bytes one write accepts (at least 1).
    pub write_chunk: usize,
    /// Every other read first answers `Pending` (and wakes itself).
    pub pending_reads: bool,
    /// Every other write first answers `Pending`.
    pub pending_writes: bool,
    /// Writes fail once this many bytes were accepted.
    pub fail_writes_after: Option<usize>,
    /// At the end of its bytes the router resets the connection instead of closing it.
    pub reset_at_end: bool,
}

impl Behaviour {
    /// Reads the behaviour from four input bytes.
    pub fn from_input(input: &mut Input<'_>) -> Self {
        let flags = input.byte();
        let read_chunk = input.range(1, 64);
        let write_chunk = input.range(1, 64);
        let fail_at = input.byte();
        Self {
            read_chunk: if flags & 1 != 0 { read_chunk } else { 4096 },
            write_chunk: if flags & 2 != 0 { write_chunk } else { 4096 },
            pending_reads: flags & 4 != 0,
            pending_writes: flags & 8 != 0,
            fail_writes_after: (flags & 16 != 0).then_some(usize::from(fail_at) * 4),
            reset_at_end: flags & 32 != 0,
        }
    }
}

/// The connection to the fake router: the shared scripted link, paced by a [`Behaviour`];
/// clones share it (the mux takes two halves).
pub type FakeRouter = routeros_test_support::Script;

impl Behaviour {
    /// A router that sends `bytes` and then closes (or resets) the connection.
    pub fn router(&self, bytes: &[u8]) -> FakeRouter {
        let router = FakeRouter::replay(bytes, self.read_chunk);
        router.write_chunk(self.write_chunk);
        if self.pending_reads {
            router.pend_every_other_read();
        }
        if self.pending_writes {
            router.pend_every_other_write();
        }
        if let Some(n) = self.fail_writes_after {
            router.fail_writes_after(n);
        }
        if self.reset_at_end {
            router.reset_at_end();
        }
        router
    }
}

/// What became of a future given a poll budget.
pub enum Polled<T> {
    /// It finished.
    Ready(T),
    /// The budget ran out first; the future was dropped.
    Dropped,
}

/// Polls `future` at most `budget` times (a noop waker: the transport's `Pending`s wake
/// themselves), dropping it if it is not done by then.
pub fn poll_at_most<F: Future>(future: F, budget: usize) -> Polled<F::Output> {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..budget {
        if let Poll::Ready(out) = Pin::as_mut(&mut future).poll(&mut cx) {
            return Polled::Ready(out);
        }
    }
    Polled::Dropped
}

/// Polls `future` to its end. Every call must end (with rows or an error) within a number of
/// polls bounded by the router's bytes: each read takes at least one byte (two polls with
/// `Pending` reads), and once the bytes are used up the transport reports the end at once. A
/// call still pending past that bound is a hang.
pub fn must_finish<F: Future>(future: F, router: &FakeRouter, budget: usize) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    let bound = budget + 4 * router.queued_total();
    for _ in 0..bound {
        if let Poll::Ready(out) = Pin::as_mut(&mut future).poll(&mut cx) {
            return out;
        }
    }
    panic!(
        "a call is still pending after {bound} polls (router drained: {})",
        router.drained()
    );
}
