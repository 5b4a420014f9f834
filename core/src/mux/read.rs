//! Reading: driving the connection and routing each sentence to its slot.

use embedded_io::Error as _;
use embedded_io_async::{Read, Write};

use super::*;
use crate::error::{Buffer, Error};
use crate::proto::{message_from, ProtocolError, Reply, TagText};
use crate::telemetry::Telemetry;
use crate::wire::{Sentence, SentenceEncoder, SkippedHead, WireError};

impl<'b, R: Read, W: Write, Tm: Telemetry, const N: usize, const S: usize> Mux<'b, R, W, Tm, N, S> {
    /// Whether the handle `id` has something to look at (a row, its end, a failure).
    pub(super) fn news(&self, id: SlotId) -> Result<bool, Error> {
        let metas = self.metas.borrow();
        let meta = metas.get(id.slot).ok_or(Error::StaleHandle)?;
        if !meta.owned_by(id.generation) {
            return Err(Error::StaleHandle);
        }
        let queued = self.rings[id.slot]
            .try_borrow()
            .map(|r| !r.is_empty())
            .unwrap_or(true);
        Ok(queued || meta.done || self.failed.borrow().is_some())
    }

    pub(super) fn can_drive(&self) -> bool {
        !self.blocked.get() && self.reader_free() && self.is_usable()
    }

    /// Waits until `id` has news, driving the connection if no one else does.
    pub(super) async fn wait_for(&self, id: SlotId) -> Result<(), Error> {
        self.news(id)?;
        self.wait_until(Some(id.slot), || self.news(id).unwrap_or(true))
            .await;
        self.news(id).map(|_| ())
    }

    /// Waits until `ready()` holds (or the connection fails), reading and routing sentences
    /// itself whenever no other future holds the reader. Every waiter drives: a future
    /// waiting for a free slot reads the `!done` that frees one even when no handle is
    /// being polled. `slot`: the waker place to use (`None`: the shared list).
    pub(super) async fn wait_until(&self, slot: Option<usize>, ready: impl Fn() -> bool) {
        loop {
            if ready() || !self.is_usable() {
                return;
            }
            if self.can_drive() {
                if let Ok(reader) = self.reader.try_borrow_mut() {
                    self.drive(reader, &ready).await;
                    continue;
                }
            }
            self.park(slot, || ready() || !self.is_usable() || self.can_drive())
                .await;
        }
    }

    /// Holds the reader: routes buffered sentences and reads more until `ready()` holds,
    /// the reader must pause (a full command buffer), or the connection fails.
    // The reader and writer `RefCell`s serve as async locks: they are only ever taken with
    // `try_borrow_mut`, and whoever finds them taken parks until woken, so holding them
    // across an await is the point.
    #[allow(clippy::await_holding_refcell_ref)]
    pub(super) async fn drive(
        &self,
        mut reader: core::cell::RefMut<'_, ReadHalf<'b, R>>,
        ready: &impl Fn() -> bool,
    ) {
        // Wakes the waiting futures however this ends, also when dropped mid-read.
        let _hand_over = HandOver(self);
        loop {
            if !self.route_buffered(&mut reader) || ready() {
                break;
            }
            let read = async {
                let half = &mut *reader;
                half.io.read(half.decoder.spare()).await
            };
            let read = match waker::select(read, self.flush_cancels()).await {
                waker::Either::First(read) => read,
                // The connection failed while the read waited.
                waker::Either::Second(()) => break,
            };
            match read {
                Ok(0) => self.fail(Error::Closed),
                Ok(n) => {
                    reader.decoder.commit(n);
                    let mut last = self.last_heard.get();
                    last.heard = true;
                    self.last_heard.set(last);
                }
                Err(e) => self.fail(Error::Io(e.kind())),
            }
        }
        drop(reader);
    }

    /// Routes every buffered sentence. `false`: stop driving (paused or failed).
    pub(super) fn route_buffered(&self, reader: &mut ReadHalf<'b, R>) -> bool {
        loop {
            if !self.is_usable() {
                return false;
            }
            let frame = match reader.pending.take() {
                Some(frame) => frame,
                None => match reader.decoder.next_frame() {
                    Ok(Some(frame)) => frame,
                    Ok(None) => return true,
                    Err(WireError::SentenceTooLarge) => {
                        let head = *reader.decoder.skipped();
                        self.lost_sentence(&head);
                        continue;
                    }
                    Err(e) => {
                        self.fail(Error::from(e));
                        return false;
                    }
                },
            };
            let (routed, fatal) = {
                let Ok(reply) = Reply::parse(reader.decoder.sentence(frame)) else {
                    warn!("dropping a sentence with an unknown reply word");
                    continue;
                };
                let mut metas = self.metas.borrow_mut();
                let mut due = self.cancels_due.get();
                let routed = router::route(&mut metas, &self.rings, &reply, &mut due);
                self.cancels_due.set(due);
                let fatal = match routed {
                    Routed::Fatal => Some(message_from(reply.fatal_reason().unwrap_or_default())),
                    _ => None,
                };
                (routed, fatal)
            };
            match routed {
                Routed::Dropped | Routed::Noted(_) => {}
                Routed::Delivered(slot) => self.wake_slot(slot),
                Routed::Blocked(_) => {
                    reader.pending = Some(frame);
                    self.blocked.set(true);
                    return false;
                }
                Routed::Freed(slot) => self.freed(slot),
                Routed::Fatal => {
                    self.fail(Error::Fatal(fatal.unwrap_or_default()));
                    return false;
                }
                Routed::Ambiguous => {
                    self.untagged();
                    return false;
                }
                Routed::ProbeDone(tag) => self.probe_done(tag),
            }
        }
    }

    /// The keepalive probe tagged `tag` was answered.
    fn probe_done(&self, tag: u32) {
        self.probe_answered.set(tag);
        self.wake_all();
    }

    /// An untagged reply had no single owner: dropping it could leave a command waiting
    /// for good, and guessing could hand it to the wrong one, so the connection ends.
    fn untagged(&self) {
        warn!("an untagged reply while several commands could own it");
        self.fail(Error::Protocol(ProtocolError::UntaggedReply));
    }

    /// The decoder skipped a sentence too large for the receive buffer. When its tag was
    /// read, only that command is affected: a command fails with
    /// [`Error::BufferTooSmall`]`(`[`Buffer::Receive`]`)`, a stream counts a dropped row, and
    /// a skipped `!done` still ends its command. The tag is found wherever it stood; an
    /// untagged sentence is treated as an untagged reply (see the module docs).
    pub(super) fn lost_sentence(&self, head: &SkippedHead) {
        warn!("a reply sentence was larger than the receive buffer and was skipped");
        let (slot, generation) = match head.tag() {
            Some(tag_text) => match tag::parse(N, tag_text) {
                tag::Parsed::Command { slot, generation } => (slot, generation),
                tag::Parsed::Cancel => {
                    if head.reply_word() == Some(b"!done") {
                        self.cancels_due
                            .set(self.cancels_due.get().saturating_sub(1));
                    }
                    return;
                }
                tag::Parsed::Probe(tag) => {
                    if head.reply_word() == Some(b"!done") {
                        self.cancels_due
                            .set(self.cancels_due.get().saturating_sub(1));
                        self.probe_done(tag);
                    }
                    return;
                }
                tag::Parsed::Foreign => return,
            },
            None => {
                let owner = router::untagged_owner(&self.metas.borrow(), self.cancels_due.get());
                match owner {
                    Ok(Some(owner)) => owner,
                    Ok(None) => return,
                    Err(()) => return self.untagged(),
                }
            }
        };
        {
            let mut metas = self.metas.borrow_mut();
            let Some(meta) = metas
                .get_mut(slot)
                .filter(|m| m.busy && !m.done && tag::same_generation(N, m.generation, generation))
            else {
                return;
            };
            match meta.kind {
                Kind::Command => {
                    meta.lost.get_or_insert(Buffer::Receive);
                }
                Kind::Stream => meta.dropped = meta.dropped.saturating_add(1),
            }
        }
        if head.reply_word() != Some(b"!done") {
            return;
        }
        // Route a stand-in `!done` (no `=ret=`) so the command ends instead of waiting.
        let tag_text = TagText::new(tag::command_tag(N, slot, generation));
        let mut bytes = [0u8; 32];
        let mut encoder = SentenceEncoder::new(&mut bytes);
        let stand_in = encoder
            .word(b"!done")
            .and_then(|e| e.api_attribute("tag", tag_text.as_bytes()))
            .map(|e| e.len());
        let Ok(len) = stand_in else {
            return;
        };
        let Ok(reply) = Sentence::new_checked(&bytes[..len]).map(Reply::parse) else {
            return;
        };
        let Ok(reply) = reply else {
            return;
        };
        let mut due = self.cancels_due.get();
        let routed = router::route(&mut self.metas.borrow_mut(), &self.rings, &reply, &mut due);
        match routed {
            Routed::Delivered(slot) => self.wake_slot(slot),
            Routed::Freed(slot) => self.freed(slot),
            _ => {}
        }
    }

    /// Reports the end of a command whose handle was gone, now that its slot is free.
    pub(super) fn freed(&self, slot: usize) {
        let report = {
            let metas = self.metas.borrow();
            self.report(slot, &metas[slot], None)
        };
        self.emit_end(report);
        self.wake_all();
    }
}
