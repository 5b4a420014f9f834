//! The receiving half of a byte pipe: bytes pushed by JavaScript event handlers, pulled by
//! the client's reads.
//!
//! Pure Rust with no JavaScript in it, so it is tested on the host. Transports
//! ([`crate::pipe`]) push into it from their event handlers; the client's task reads from it
//! and is woken when bytes, the open, or the close arrive.

use core::task::{Context, Poll, Waker};

/// Where the link is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Opening (a WebSocket handshake, a TCP connect).
    Connecting,
    /// Open: bytes may flow.
    Open,
    /// Closed or failed; no more bytes will arrive beyond those buffered.
    Closed,
}

/// Received bytes not yet read, the link state, and the task to wake.
#[derive(Debug)]
pub struct Inbound {
    /// Received bytes are in `buf[pos..end]`; the rest is room (zeroed once, when the
    /// buffer grew, and reused after that).
    buf: Vec<u8>,
    /// First unread byte in `buf`.
    pos: usize,
    /// End of the received bytes in `buf`.
    end: usize,
    link: Link,
    close_reason: Option<String>,
    waker: Option<Waker>,
    /// Bytes received so far.
    received: u64,
    /// The first bytes ever received, to say what a server that is not RouterOS sent.
    head: Vec<u8>,
}

/// How many of the first received bytes are kept for messages.
const HEAD_BYTES: usize = 40;

/// Unread bytes are moved to the front once this many read bytes lie before them.
const COMPACT_AT: usize = 64 * 1024;

impl Default for Inbound {
    fn default() -> Self {
        Self::new()
    }
}

impl Inbound {
    /// A link that is still connecting, with nothing received.
    pub fn new() -> Self {
        Self {
            buf: Vec::new(),
            pos: 0,
            end: 0,
            link: Link::Connecting,
            close_reason: None,
            waker: None,
            received: 0,
            head: Vec::new(),
        }
    }

    /// Bytes received since the link was made (read or not).
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The first bytes received, as printable text: ASCII as it is, anything else escaped
    /// (`\xNN`, `\r`, `\n`), so that no control character reaches a terminal.
    ///
    /// ```
    /// use routeros_wasm::inbound::Inbound;
    /// let mut inbound = Inbound::new();
    /// inbound.push(b"HTTP/1.1 400 Bad\r\n\x1b[2J");
    /// assert_eq!(inbound.head_escaped(), r"HTTP/1.1 400 Bad\r\n\x1b[2J");
    /// ```
    pub fn head_escaped(&self) -> String {
        crate::error::escape_bytes(&self.head)
    }

    /// If the bytes received and not read hold a `!fatal` sentence (a router that said why
    /// it closed while nobody was reading), that error.
    ///
    /// ```
    /// use routeros_wasm::inbound::Inbound;
    /// let mut inbound = Inbound::new();
    /// inbound.push(b"\x06!fatal\x1dsession terminated on request\x00");
    /// let fatal = inbound.unread_fatal().unwrap();
    /// assert!(fatal.to_string().contains("session terminated"));
    /// ```
    pub fn unread_fatal(&self) -> Option<routeros_core::Error> {
        use routeros_core::proto::message_from;
        use routeros_core::wire::Decoder;
        use routeros_core::{Reply, ReplyKind};
        let unread = &self.buf[self.pos..self.end];
        let mut copy = unread.to_vec();
        let mut decoder = Decoder::new(copy.as_mut_slice());
        decoder.commit(unread.len());
        while let Ok(Some(sentence)) = decoder.next_sentence() {
            if let Ok(reply) = Reply::parse(sentence) {
                if reply.kind() == ReplyKind::Fatal {
                    let reason = reply.fatal_reason().unwrap_or_default();
                    return Some(routeros_core::Error::Fatal(message_from(reason)));
                }
            }
        }
        None
    }

    /// The link state.
    pub fn link(&self) -> Link {
        self.link
    }

    /// Bytes received and not yet read.
    pub fn buffered(&self) -> usize {
        self.end - self.pos
    }

    /// What the transport said when it closed, if it said anything.
    pub fn close_reason(&self) -> Option<&str> {
        self.close_reason.as_deref()
    }

    /// Appends received bytes.
    ///
    /// ```
    /// use routeros_wasm::inbound::Inbound;
    /// let mut inbound = Inbound::new();
    /// inbound.push(b"abc");
    /// assert_eq!(inbound.buffered(), 3);
    /// ```
    pub fn push(&mut self, bytes: &[u8]) {
        self.push_with(bytes.len(), |dst| dst.copy_from_slice(bytes));
    }

    /// Appends `len` bytes written by `fill` into the space made for them (used to copy
    /// straight out of a JavaScript typed array). Bytes arriving after the close are dropped.
    pub fn push_with(&mut self, len: usize, fill: impl FnOnce(&mut [u8])) {
        if len == 0 || self.link == Link::Closed {
            return;
        }
        if self.pos == self.end {
            self.pos = 0;
            self.end = 0;
        } else if self.pos >= COMPACT_AT && self.pos * 2 >= self.end {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        let start = self.end;
        if self.buf.len() < start + len {
            self.buf.resize(start + len, 0);
        }
        fill(&mut self.buf[start..start + len]);
        self.end = start + len;
        self.received += len as u64;
        if self.head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - self.head.len()).min(len);
            self.head.extend_from_slice(&self.buf[start..start + take]);
        }
        if self.link == Link::Connecting {
            // Bytes prove the link is open even if the open event has not been seen.
            self.link = Link::Open;
        }
        self.wake();
    }

    /// Marks the link open.
    pub fn opened(&mut self) {
        if self.link == Link::Connecting {
            self.link = Link::Open;
            self.wake();
        }
    }

    /// Marks the link closed. The first reason given is kept.
    pub fn closed(&mut self, reason: Option<String>) {
        if self.close_reason.is_none() {
            self.close_reason = reason;
        }
        if self.link != Link::Closed {
            self.link = Link::Closed;
            self.wake();
        }
    }

    fn wake(&mut self) {
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }

    fn park(&mut self, cx: &Context<'_>) {
        match &self.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => self.waker = Some(cx.waker().clone()),
        }
    }

    /// Copies buffered bytes into `out`. `Ready(0)` means the link is closed and everything
    /// was read (or `out` is empty).
    ///
    /// ```
    /// use core::task::{Context, Poll, Waker};
    /// use routeros_wasm::inbound::Inbound;
    /// let mut cx = Context::from_waker(Waker::noop());
    /// let mut inbound = Inbound::new();
    /// let mut out = [0u8; 2];
    /// assert!(inbound.poll_read(&mut cx, &mut out).is_pending());
    /// inbound.push(b"xyz");
    /// assert_eq!(inbound.poll_read(&mut cx, &mut out), Poll::Ready(2));
    /// inbound.closed(None);
    /// assert_eq!(inbound.poll_read(&mut cx, &mut out), Poll::Ready(1));
    /// assert_eq!(inbound.poll_read(&mut cx, &mut out), Poll::Ready(0));
    /// ```
    pub fn poll_read(&mut self, cx: &mut Context<'_>, out: &mut [u8]) -> Poll<usize> {
        if out.is_empty() {
            return Poll::Ready(0);
        }
        let available = self.buffered();
        if available > 0 {
            let n = available.min(out.len());
            out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
            self.pos += n;
            return Poll::Ready(n);
        }
        if self.link == Link::Closed {
            return Poll::Ready(0);
        }
        self.park(cx);
        Poll::Pending
    }

    /// Ready once the link is open (`Ok`) or closed before it opened (`Err` with the reason).
    pub fn poll_open(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), String>> {
        match self.link {
            Link::Open => Poll::Ready(Ok(())),
            Link::Closed => Poll::Ready(Err(self
                .close_reason
                .clone()
                .unwrap_or_else(|| "connection closed before it opened".into()))),
            Link::Connecting => {
                self.park(cx);
                Poll::Pending
            }
        }
    }

    /// Ready once the link is closed (bytes received before the close may still be
    /// buffered).
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.link == Link::Closed {
            Poll::Ready(())
        } else {
            self.park(cx);
            Poll::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_parked_reader_is_woken_by_data_and_by_close() {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let mut inbound = Inbound::new();
        let mut out = [0u8; 8];
        assert!(inbound.poll_read(&mut cx, &mut out).is_pending());
        inbound.push(b"a");
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert_eq!(inbound.poll_read(&mut cx, &mut out), Poll::Ready(1));
        assert!(inbound.poll_read(&mut cx, &mut out).is_pending());
        inbound.closed(Some("gone".into()));
        assert_eq!(count.0.load(Ordering::SeqCst), 2);
        assert_eq!(inbound.poll_read(&mut cx, &mut out), Poll::Ready(0));
        assert_eq!(inbound.close_reason(), Some("gone"));
    }

    #[test]
    fn open_and_failed_open() {
        let mut cx = Context::from_waker(Waker::noop());
        let mut inbound = Inbound::new();
        assert!(inbound.poll_open(&mut cx).is_pending());
        inbound.opened();
        assert_eq!(inbound.poll_open(&mut cx), Poll::Ready(Ok(())));

        let mut refused = Inbound::new();
        refused.closed(Some("refused".into()));
        refused.closed(Some("second reason is ignored".into()));
        assert_eq!(
            refused.poll_open(&mut cx),
            Poll::Ready(Err("refused".into()))
        );
    }

    #[test]
    fn bytes_after_close_are_dropped_but_those_before_are_read() {
        let mut cx = Context::from_waker(Waker::noop());
        let mut inbound = Inbound::new();
        inbound.push(b"ab");
        assert!(inbound.poll_closed(&mut cx).is_pending());
        inbound.closed(None);
        inbound.push(b"cd");
        assert_eq!(inbound.poll_closed(&mut cx), Poll::Ready(()));
        let mut out = [0u8; 8];
        assert_eq!(inbound.poll_read(&mut cx, &mut out), Poll::Ready(2));
        assert_eq!(&out[..2], b"ab");
        assert_eq!(inbound.poll_read(&mut cx, &mut out), Poll::Ready(0));
    }

    #[test]
    fn many_small_pushes_and_reads_keep_order_and_compact() {
        let mut cx = Context::from_waker(Waker::noop());
        let mut inbound = Inbound::new();
        let mut sent = 0u8;
        let mut seen = 0u8;
        let mut push = |inbound: &mut Inbound, n: usize| {
            let chunk: Vec<u8> = (0..n)
                .map(|_| {
                    sent = sent.wrapping_add(1);
                    sent
                })
                .collect();
            inbound.push(&chunk);
        };
        push(&mut inbound, 100_000);
        let mut out = [0u8; 7];
        let mut largest = 0;
        while inbound.buffered() > 0 {
            let Poll::Ready(n) = inbound.poll_read(&mut cx, &mut out) else {
                panic!("bytes are buffered")
            };
            for &b in &out[..n] {
                seen = seen.wrapping_add(1);
                assert_eq!(b, seen);
            }
            if inbound.buffered() > 1_000 {
                push(&mut inbound, 3);
            }
            largest = largest.max(inbound.buf.len());
        }
        assert!(largest <= 100_000 + 2 * COMPACT_AT, "{largest}");
        assert_eq!(seen, sent);
    }
}
