//! A scripted in-memory router for the core's tests: bytes queued by the test (or produced
//! by a responder from each sentence the client writes), written bytes recorded, and a link
//! that can go silent (reads pend forever, as on a dead peer that sent no FIN or RST).
#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::task::{Poll, Waker};

use routeros_core::wire::{Decoder, SentenceEncoder};

/// Produces the router's answer (sentences of words) to one sentence the client wrote.
pub type Responder = Box<dyn FnMut(&[String]) -> Vec<Vec<String>>>;

#[derive(Default)]
pub struct Wire {
    pub incoming: VecDeque<u8>,
    pub written: Vec<u8>,
    /// Bytes of `written` already handed to the responder.
    pub answered: usize,
    /// With nothing to read: `true` pends (a silent peer), `false` reports end of stream.
    pub pend_when_empty: bool,
    /// The peer stopped answering: no responder output, reads pend.
    pub silent: bool,
    pub reader: Option<Waker>,
    pub responder: Option<Responder>,
    /// How many reads were served.
    pub reads: usize,
}

/// Both halves of the scripted link (clone it for a `Mux`'s read and write halves).
#[derive(Clone, Default)]
pub struct Script(pub Rc<RefCell<Wire>>);

/// Encodes one sentence.
pub fn sentence<W: AsRef<[u8]>>(words: &[W]) -> Vec<u8> {
    let mut buf = vec![0u8; 1 << 16];
    let mut enc = SentenceEncoder::new(&mut buf);
    for w in words {
        enc.word(w.as_ref()).unwrap();
    }
    enc.finish().unwrap().to_vec()
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

    /// Answers every written sentence with `f`'s sentences.
    pub fn respond(&self, f: impl FnMut(&[String]) -> Vec<Vec<String>> + 'static) {
        self.0.borrow_mut().responder = Some(Box::new(f));
    }

    /// From now on the peer says nothing and reads pend forever.
    pub fn go_silent(&self) {
        let mut w = self.0.borrow_mut();
        w.silent = true;
        w.pend_when_empty = true;
    }

    /// Queues one sentence.
    pub fn send<W: AsRef<[u8]>>(&self, words: &[W]) {
        self.send_raw(&sentence(words));
    }

    /// Queues raw bytes.
    pub fn send_raw(&self, bytes: &[u8]) {
        let mut w = self.0.borrow_mut();
        w.incoming.extend(bytes);
        if let Some(waker) = w.reader.take() {
            waker.wake();
        }
    }

    /// Every sentence the client wrote, as words.
    pub fn written(&self) -> Vec<Vec<String>> {
        decode_all(&self.0.borrow().written)
    }

    /// The raw bytes the client wrote.
    pub fn written_bytes(&self) -> Vec<u8> {
        self.0.borrow().written.clone()
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
        while let Ok(Some(s)) = decoder.next_sentence() {
            consumed += s.as_bytes().len() + 1;
            let words: Vec<String> = s
                .words()
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect();
            if !w.silent {
                out.extend(responder(&words));
            }
        }
        w.answered += consumed;
        for words in out {
            let bytes = sentence(&words);
            w.incoming.extend(bytes);
        }
        w.responder = Some(responder);
        if let Some(waker) = w.reader.take() {
            waker.wake();
        }
    }
}

/// Decodes whole sentences from bytes.
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

impl embedded_io_async::ErrorType for Script {
    type Error = core::convert::Infallible;
}

impl embedded_io_async::Read for Script {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        std::future::poll_fn(|cx| {
            let mut w = self.0.borrow_mut();
            if w.incoming.is_empty() {
                if w.pend_when_empty {
                    w.reader = Some(cx.waker().clone());
                    return Poll::Pending;
                }
                return Poll::Ready(Ok(0));
            }
            let n = buf.len().min(w.incoming.len());
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
        self.0.borrow_mut().written.extend_from_slice(buf);
        Ok(buf.len())
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        self.run_responder();
        Ok(())
    }
}

/// Polls `f` to completion, or gives `None` if it is still pending after `polls` polls with
/// nothing left to wake it (a hang, detected without a clock).
pub fn run_bounded<F: std::future::Future>(f: F, polls: usize) -> Option<F::Output> {
    let mut f = std::pin::pin!(f);
    let waker = Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    for _ in 0..polls {
        if let Poll::Ready(out) = f.as_mut().poll(&mut cx) {
            return Some(out);
        }
    }
    None
}
