#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use routeros_core::wire::{Decoder, SentenceEncoder};

/// Produces the router's raw bytes in answer to one sentence (its words) the client wrote.
pub type Responder = Box<dyn FnMut(&[Vec<u8>]) -> Vec<u8>>;

/// The state behind a [`Script`].
#[derive(Default)]
struct Wire {
    /// Bytes the router sent, not yet read.
    incoming: VecDeque<u8>,
    /// Every byte the client wrote.
    written: Vec<u8>,
    /// Bytes of `written` already handed to the responder.
    answered: usize,
    /// With nothing to read: `true` pends (a silent peer), `false` reports end of stream.
    pend_when_empty: bool,
    /// The peer stopped answering: no responder output, reads pend.
    silent: bool,
    responder: Option<Responder>,
    /// How many sentences the responder was handed.
    answered_sentences: usize,
    /// After answering this many sentences the peer closes (reads end the stream once
    /// empty).
    close_after: Option<usize>,
    /// Why the bytes the client wrote did not decode, if they did not.
    malformed: Option<String>,
    /// How many reads returned bytes.
    reads: usize,
    /// At most this many bytes per read.
    read_chunk: Option<usize>,
    /// Every other read first answers `Pending`.
    pend_every_other_read: bool,
    /// The next read pends once (toggled by each read while `pend_every_other_read`).
    skip_read: bool,
    reader: Option<Waker>,
    /// With nothing left to read and not pending: a reset instead of end of stream.
    reset_at_end: bool,
    /// Every byte ever queued for the client to read.
    queued_total: usize,
    /// Every other write first answers `Pending`.
    pend_every_other_write: bool,
    /// The next write pends once (toggled by each write while `pend_every_other_write`).
    skip_write: bool,
    /// Writes fail once this many bytes were accepted.
    fail_writes_after: Option<usize>,
    /// Accept at most this many bytes per write call.
    write_chunk: Option<usize>,
    /// Accept this many more bytes, then pend.
    write_budget: Option<usize>,
    /// While set, writes pend.
    write_stalled: bool,
    writer: Option<Waker>,
}

impl Wire {
    fn wake_reader(&mut self) {
        if let Some(waker) = self.reader.take() {
            waker.wake();
        }
    }

    fn wake_writer(&mut self) {
        if let Some(waker) = self.writer.take() {
            waker.wake();
        }
    }
}

/// Both ends of a scripted link; clone it for a `Mux`'s read and write halves, or to keep a
/// handle on a link a client owns.
#[derive(Clone, Default)]
pub struct Script(Rc<RefCell<Wire>>);

/// Encodes one sentence.
pub fn sentence<W: AsRef<[u8]>>(words: &[W]) -> Vec<u8> {
    let mut buf = vec![0u8; 1 << 16];
    let mut enc = SentenceEncoder::new(&mut buf);
    for w in words {
        enc.word(w.as_ref()).expect("a test sentence fits 64 KiB");
    }
    enc.finish().expect("a test sentence fits 64 KiB").to_vec()
}

/// Decodes the whole sentences at the start of `bytes` (words as lossy UTF-8); a partial or
/// malformed tail is ignored.
pub fn decode_all(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut buf = vec![0u8; 1 << 16];
    let mut decoder = Decoder::new(&mut buf[..]);
    decoder.feed(bytes);
    let mut out = Vec::new();
    while let Ok(Some(s)) = decoder.next_sentence() {
        out.push(
            s.words()
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect(),
        );
    }
    out
}

/// The `.tag=…` word of a sentence the client wrote (for a responder to echo), if it has one.
pub fn tag_word(words: &[String]) -> Option<String> {
    words.iter().find(|w| w.starts_with(".tag=")).cloned()
}

impl Script {
    /// A link whose reads end the stream once the queued bytes are read.
    pub fn new() -> Self {
        Self::default()
    }

    /// A link whose reads pend while nothing is queued.
    pub fn pending() -> Self {
        let s = Self::default();
        s.0.borrow_mut().pend_when_empty = true;
        s
    }

    /// A router that sends `bytes` in reads of at most `chunk` bytes, then closes; it
    /// accepts every write.
    pub fn replay(bytes: &[u8], chunk: usize) -> Self {
        let s = Self::new();
        s.send_raw(bytes);
        s.read_chunk(chunk);
        s
    }

    /// At most `n` bytes per read.
    pub fn read_chunk(&self, n: usize) {
        self.0.borrow_mut().read_chunk = Some(n);
    }

    /// Every other read first answers `Pending` (waking itself at once).
    pub fn pend_every_other_read(&self) {
        self.0.borrow_mut().pend_every_other_read = true;
    }

    /// With nothing left to read (and the link not pending), a read fails with
    /// `ConnectionReset` instead of reporting end of stream.
    pub fn reset_at_end(&self) {
        self.0.borrow_mut().reset_at_end = true;
    }

    /// Every other write first answers `Pending` (waking itself at once).
    pub fn pend_every_other_write(&self) {
        self.0.borrow_mut().pend_every_other_write = true;
    }

    /// Writes fail with `BrokenPipe` once `n` bytes were accepted.
    pub fn fail_writes_after(&self, n: usize) {
        self.0.borrow_mut().fail_writes_after = Some(n);
    }

    /// At most `n` bytes accepted per write call.
    pub fn write_chunk(&self, n: usize) {
        self.0.borrow_mut().write_chunk = Some(n);
    }

    /// Accept `budget` more bytes, then let writes pend; `None` lifts the limit and wakes a
    /// waiting writer.
    pub fn write_budget(&self, budget: Option<usize>) {
        let mut w = self.0.borrow_mut();
        w.write_budget = budget;
        if budget.is_none() {
            w.wake_writer();
        }
    }

    /// While `stalled`, writes pend; lifting the stall wakes a waiting writer.
    pub fn stall_writes(&self, stalled: bool) {
        let mut w = self.0.borrow_mut();
        w.write_stalled = stalled;
        if !stalled {
            w.wake_writer();
        }
    }

    /// From now on an empty link reads as end of stream (the peer closed).
    pub fn close(&self) {
        let mut w = self.0.borrow_mut();
        w.pend_when_empty = false;
        w.wake_reader();
    }

    /// The peer closes once it has answered `n` sentences (at once for `0`): reads pend
    /// while it waits for the client's next sentence, and end the stream after that.
    pub fn close_after_answers(&self, n: usize) {
        let mut w = self.0.borrow_mut();
        w.close_after = Some(n);
        if n <= w.answered_sentences {
            w.pend_when_empty = false;
            w.wake_reader();
        }
    }

    /// The decoder's complaint about bytes the client wrote that are not well-formed
    /// sentences (checked when a responder is installed).
    pub fn malformed(&self) -> Option<String> {
        self.0.borrow().malformed.clone()
    }

    /// From now on the peer says nothing and reads pend forever.
    pub fn go_silent(&self) {
        let mut w = self.0.borrow_mut();
        w.silent = true;
        w.pend_when_empty = true;
    }

    /// Answers every sentence the client writes (when it flushes) with `f`'s sentences.
    pub fn respond(&self, mut f: impl FnMut(&[String]) -> Vec<Vec<String>> + 'static) {
        self.respond_raw(move |words| {
            let words: Vec<String> = words
                .iter()
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect();
            f(&words).iter().flat_map(|s| sentence(s)).collect()
        });
    }

    /// Answers every sentence the client writes (when it flushes) with `f`'s raw bytes.
    pub fn respond_raw(&self, f: impl FnMut(&[Vec<u8>]) -> Vec<u8> + 'static) {
        self.0.borrow_mut().responder = Some(Box::new(f));
    }

    /// Queues one sentence.
    pub fn send<W: AsRef<[u8]>>(&self, words: &[W]) {
        self.send_raw(&sentence(words));
    }

    /// Queues raw bytes.
    pub fn send_raw(&self, bytes: &[u8]) {
        let mut w = self.0.borrow_mut();
        w.incoming.extend(bytes);
        w.queued_total += bytes.len();
        w.wake_reader();
    }

    /// Every whole sentence the client wrote, as words (lossy UTF-8).
    pub fn written(&self) -> Vec<Vec<String>> {
        decode_all(&self.0.borrow().written)
    }

    /// Every sentence the client wrote, as words; panics unless the bytes are whole,
    /// well-formed sentences of UTF-8 words.
    pub fn written_whole(&self) -> Vec<Vec<String>> {
        let bytes = self.written_bytes();
        let mut buf = vec![0u8; 1 << 16];
        let mut decoder = Decoder::new(&mut buf[..]);
        assert_eq!(decoder.feed(&bytes), bytes.len());
        let mut out = Vec::new();
        while let Some(s) = decoder.next_sentence().unwrap() {
            out.push(
                s.words()
                    .map(|w| String::from_utf8(w.to_vec()).unwrap())
                    .collect(),
            );
        }
        assert_eq!(
            decoder.buffered(),
            0,
            "a partial sentence was left on the wire"
        );
        out
    }

    /// The raw bytes the client wrote.
    pub fn written_bytes(&self) -> Vec<u8> {
        self.0.borrow().written.clone()
    }

    /// How many bytes were ever queued for the client (sent or answered).
    pub fn queued_total(&self) -> usize {
        self.0.borrow().queued_total
    }

    /// Whether the client read every byte queued so far.
    pub fn drained(&self) -> bool {
        self.0.borrow().incoming.is_empty()
    }

    /// How many reads returned bytes.
    pub fn reads(&self) -> usize {
        self.0.borrow().reads
    }

    fn run_responder(&self) {
        let mut w = self.0.borrow_mut();
        let Some(mut responder) = w.responder.take() else {
            return;
        };
        let fresh = w.written[w.answered..].to_vec();
        let mut buf = vec![0u8; 1 << 16];
        let mut decoder = Decoder::new(&mut buf[..]);
        decoder.feed(&fresh);
        let mut consumed = 0;
        let mut out = Vec::new();
        loop {
            match decoder.next_sentence() {
                Ok(Some(s)) => {
                    consumed += s.as_bytes().len() + 1;
                    let words: Vec<Vec<u8>> = s.words().map(<[u8]>::to_vec).collect();
                    w.answered_sentences += 1;
                    if !w.silent {
                        out.extend(responder(&words));
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    w.malformed.get_or_insert_with(|| e.to_string());
                    break;
                }
            }
        }
        w.answered += consumed;
        w.queued_total += out.len();
        if w.close_after.is_some_and(|n| n <= w.answered_sentences) && !w.silent {
            w.pend_when_empty = false;
        }
        w.incoming.extend(out);
        w.responder = Some(responder);
        w.wake_reader();
    }
}

impl embedded_io_async::ErrorType for Script {
    type Error = embedded_io_async::ErrorKind;
}

impl embedded_io_async::Read for Script {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        poll_fn(|cx| {
            let mut w = self.0.borrow_mut();
            if w.pend_every_other_read {
                w.skip_read = !w.skip_read;
                if w.skip_read {
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
            }
            if w.incoming.is_empty() {
                if w.pend_when_empty {
                    w.reader = Some(cx.waker().clone());
                    return Poll::Pending;
                }
                return Poll::Ready(if w.reset_at_end {
                    Err(embedded_io_async::ErrorKind::ConnectionReset)
                } else {
                    Ok(0)
                });
            }
            let n = buf
                .len()
                .min(w.read_chunk.unwrap_or(usize::MAX))
                .min(w.incoming.len());
            for (slot, byte) in buf.iter_mut().zip(w.incoming.drain(..n)) {
                *slot = byte;
            }
            w.reads += 1;
            Poll::Ready(Ok(n))
        })
        .await
    }
}

impl embedded_io_async::Write for Script {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        poll_fn(|cx| {
            let mut w = self.0.borrow_mut();
            if w.pend_every_other_write {
                w.skip_write = !w.skip_write;
                if w.skip_write {
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
            }
            if w.fail_writes_after
                .is_some_and(|limit| w.written.len() >= limit)
            {
                return Poll::Ready(Err(embedded_io_async::ErrorKind::BrokenPipe));
            }
            if w.write_stalled {
                w.writer = Some(cx.waker().clone());
                return Poll::Pending;
            }
            let mut n = w.write_chunk.unwrap_or(buf.len()).min(buf.len());
            if let Some(budget) = w.write_budget {
                if budget == 0 {
                    w.writer = Some(cx.waker().clone());
                    return Poll::Pending;
                }
                n = n.min(budget);
                w.write_budget = Some(budget - n);
            }
            w.written.extend_from_slice(&buf[..n]);
            Poll::Ready(Ok(n))
        })
        .await
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        self.run_responder();
        Ok(())
    }
}

/// Polls `f` to completion, or gives `None` if it is still pending after `polls` polls with
/// nothing left to wake it (a hang, detected without a clock).
pub fn run_bounded<F: Future>(f: F, polls: usize) -> Option<F::Output> {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..polls {
        if let Poll::Ready(out) = f.as_mut().poll(&mut cx) {
            return Some(out);
        }
    }
    None
}
