//! What handles need from the mux: their next row, their end, and giving up a slot.

use core::cell::{Ref, RefCell};

use embedded_io_async::{Read, Write};

use super::*;
use crate::client::Done;
use crate::error::{Buffer, Error};
use crate::proto::Reply;
use crate::telemetry::Telemetry;
use crate::wire::Sentence;

impl<'b, R: Read, W: Write, Tm: Telemetry, const N: usize, const S: usize> Mux<'b, R, W, Tm, N, S> {
    /// Waits for the next row or the end of `id`. A queued `!done` with `=ret=` is moved into
    /// `done` on the way.
    pub(crate) async fn advance(&self, id: SlotId, done: &mut Done) -> Result<Front, Error> {
        loop {
            if !self.news(id)? {
                self.wait_for(id).await?;
                continue;
            }
            {
                let mut ring = self.rings[id.slot]
                    .try_borrow_mut()
                    .map_err(|_| Error::Poisoned)?;
                if let Some((bytes, words)) = ring.front() {
                    let sentence = Sentence::from_validated(bytes, words);
                    match Reply::parse(sentence) {
                        Ok(reply) if reply.kind() == crate::ReplyKind::Re => return Ok(Front::Row),
                        Ok(reply) => {
                            if let Some(ret) = reply.ret() {
                                match Done::with_ret(ret.as_bytes()) {
                                    Some(with_ret) => *done = with_ret,
                                    None => {
                                        let mut metas = self.metas.borrow_mut();
                                        metas[id.slot].lost.get_or_insert(Buffer::Field);
                                    }
                                }
                            }
                        }
                        Err(_) => {}
                    }
                    ring.pop();
                    drop(ring);
                    self.unblock();
                    continue;
                }
            }
            if self.metas.borrow()[id.slot].done {
                return Ok(Front::End);
            }
            if let Some(e) = self.error() {
                return Err(e);
            }
        }
    }

    /// A view of the row at the front of `slot`.
    pub(crate) fn front_row(&self, slot: usize) -> Option<Row<'_>> {
        let ring = self.rings.get(slot)?.try_borrow().ok()?;
        let words = ring.front()?.1;
        let bytes = Ref::filter_map(ring, |r| r.front().map(|(bytes, _)| bytes)).ok()?;
        Some(Row::new(bytes, words, self, slot))
    }

    /// Ends `id` normally (`failure: None`) or with a failure, freeing its slot.
    pub(crate) fn end(&self, id: SlotId, failure: Option<&Error>) -> Result<Counts, Error> {
        self.finish(id, failure)
    }

    /// Current counts of `id` (zero if stale).
    pub(crate) fn counts(&self, id: SlotId) -> Counts {
        let metas = self.metas.borrow();
        match metas.get(id.slot).filter(|m| m.owned_by(id.generation)) {
            Some(m) => Counts {
                rows: m.rows,
                dropped: m.dropped,
            },
            None => Counts::default(),
        }
    }

    pub(crate) fn cancel_slot(&self, id: SlotId) {
        self.request_cancel(id)
    }
}

impl<R: Read, W: Write, Tm: Telemetry, const N: usize, const S: usize> Link
    for Mux<'_, R, W, Tm, N, S>
{
    fn abandon(&self, id: SlotId) {
        let (end_now, report) = {
            let mut metas = self.metas.borrow_mut();
            let Some(meta) = metas.get_mut(id.slot).filter(|m| m.owned_by(id.generation)) else {
                return;
            };
            if meta.done || self.failed.borrow().is_some() {
                meta.busy = false;
                let error = if meta.done {
                    meta.take_trap().map(Error::Trap)
                } else {
                    self.failed.borrow().clone()
                };
                (true, self.report(id.slot, meta, error))
            } else {
                meta.abandoned = true;
                if meta.cancel == Cancel::No {
                    meta.cancel = Cancel::Requested;
                }
                (false, None)
            }
        };
        if let Ok(mut ring) = self.rings[id.slot].try_borrow_mut() {
            ring.clear();
        }
        if end_now {
            self.emit_end(report);
        }
        self.unblock();
        let cancel = self.wakers.borrow_mut().take_cancel();
        if let Some(waker) = cancel {
            waker.wake();
        }
        self.wake_all();
    }

    fn wake_waiters(&self) {
        self.wake_all();
    }

    fn abandon_start(&self, id: SlotId, encoded: bool) {
        if encoded && self.is_usable() {
            self.abandon(id);
        } else {
            self.free_silently(id);
        }
    }

    fn release_row(&self, slot: usize) {
        if let Some(Ok(mut ring)) = self.rings.get(slot).map(RefCell::try_borrow_mut) {
            ring.pop();
        }
        self.unblock();
        // A row kept past a reconnect held its (now free) slot back from new commands.
        if self.metas.borrow().get(slot).is_some_and(|m| !m.busy) {
            self.wake_all();
        }
    }
}

/// Wakes every waiting future when dropped: whoever held the reader or the writer and is
/// gone (finished, or its future dropped mid-I/O) hands them over this way.
pub(super) struct HandOver<'m>(pub(super) &'m dyn Link);

impl Drop for HandOver<'_> {
    fn drop(&mut self) {
        self.0.wake_waiters();
    }
}

/// Frees or abandons a slot whose command's start was dropped or failed.
pub(super) struct StartGuard<'m, M: Link> {
    pub(super) mux: &'m M,
    pub(super) id: SlotId,
    pub(super) encoded: bool,
    pub(super) armed: bool,
}

impl<M: Link> Drop for StartGuard<'_, M> {
    fn drop(&mut self) {
        if self.armed {
            // Abandoning a command that never went out frees the slot at once if the
            // connection failed; otherwise a /cancel follows the partial sentence.
            self.mux.abandon_start(self.id, self.encoded);
        }
    }
}
