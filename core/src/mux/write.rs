//! Writing: starting commands and sending the `/cancel`s of dropped handles.

use core::future::poll_fn;
use core::task::Poll;

use embedded_io_async::{Read, Write};

use super::*;
use crate::error::Error;
use crate::pool::HEALTH_CHECK;
use crate::request::{CancelRequest, Request};
use crate::telemetry::{Event, Telemetry};

impl<'b, R: Read, W: Write, Tm: Telemetry, const N: usize, const S: usize> Mux<'b, R, W, Tm, N, S> {
    // The reader and writer `RefCell`s serve as async locks: they are only ever taken with
    // `try_borrow_mut`, and whoever finds them taken parks until woken, so holding them
    // across an await is the point.
    #[allow(clippy::await_holding_refcell_ref)]
    pub(super) async fn start<Q: Request + ?Sized>(
        &self,
        request: &Q,
        kind: Kind,
        wait: bool,
        secret: bool,
    ) -> Result<SlotId, Error> {
        let id = if wait {
            self.claim_wait(kind).await?
        } else {
            self.claim(kind)?
        };
        let mut guard = StartGuard {
            mux: self,
            id,
            encoded: false,
            armed: true,
        };
        let mut writer = loop {
            if let Some(e) = self.error() {
                return Err(e);
            }
            if let Ok(writer) = self.writer.try_borrow_mut() {
                break writer;
            }
            self.park(Some(id.slot), || self.writer_free() || !self.is_usable())
                .await;
        };
        // Declared after `writer`, so dropped (waking the waiters) before it is released:
        // wake-ups only schedule polls, which find the writer free.
        let hand_over = HandOver(self);
        let result = self
            .write_command(&mut writer, request, id, &mut guard.encoded, secret)
            .await;
        drop(writer);
        drop(hand_over);
        if let Err(e) = result {
            if e.is_fatal() {
                self.fail(e.clone());
            }
            return Err(e);
        }
        guard.armed = false;
        if Tm::ENABLED {
            let path = self.metas.borrow()[id.slot].path.clone();
            let tag = tag::command_tag(N, id.slot, id.generation);
            self.telemetry.event(&match kind {
                Kind::Command => Event::CommandStart { tag, path: &path },
                Kind::Stream => Event::StreamStart { tag, path: &path },
            });
        }
        Ok(id)
    }

    pub(super) async fn write_command<Q: Request + ?Sized>(
        &self,
        writer: &mut WriteHalf<'b, W>,
        request: &Q,
        id: SlotId,
        encoded: &mut bool,
        secret: bool,
    ) -> Result<(), Error> {
        writer.drain().await?;
        let tag = tag::command_tag(N, id.slot, id.generation);
        let path = writer.encode(request, tag, secret)?;
        *encoded = true;
        {
            let mut metas = self.metas.borrow_mut();
            let meta = &mut metas[id.slot];
            meta.path = path;
            if Tm::ENABLED {
                meta.started = self.telemetry.now();
            }
        }
        writer.drain().await?;
        self.write_cancels(writer).await
    }

    /// Writes a keepalive probe and waits for its `!done`.
    // The writer `RefCell` serves as an async lock (see `start`).
    #[allow(clippy::await_holding_refcell_ref)]
    pub(super) async fn probe_now(&self) -> Result<(), Error> {
        let seq = self.probe_seq.get().wrapping_add(1);
        self.probe_seq.set(seq);
        let probe = tag::probe_tag(seq);
        let mut writer = loop {
            if let Some(e) = self.error() {
                return Err(e);
            }
            if let Ok(writer) = self.writer.try_borrow_mut() {
                break writer;
            }
            self.park(None, || self.writer_free() || !self.is_usable())
                .await;
        };
        let hand_over = HandOver(self);
        let result = async {
            writer.drain().await?;
            writer.encode(&HEALTH_CHECK, probe, false)?;
            self.cancels_due
                .set(self.cancels_due.get().saturating_add(1));
            writer.drain().await?;
            self.write_cancels(&mut writer).await
        }
        .await;
        drop(writer);
        drop(hand_over);
        if let Err(e) = result {
            if e.is_fatal() {
                self.fail(e.clone());
            }
            return Err(e);
        }
        self.wait_until(None, || self.probe_answered.get() == probe)
            .await;
        match self.error() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    pub(super) fn cancel_pending(&self) -> bool {
        self.metas
            .borrow()
            .iter()
            .any(|m| m.busy && m.cancel == Cancel::Requested)
    }

    /// Writes every requested `/cancel`.
    pub(super) async fn write_cancels(&self, writer: &mut WriteHalf<'b, W>) -> Result<(), Error> {
        writer.drain().await?;
        loop {
            let target = {
                let mut metas = self.metas.borrow_mut();
                let found = metas
                    .iter_mut()
                    .enumerate()
                    .find(|(_, m)| m.busy && m.cancel == Cancel::Requested);
                match found {
                    Some((slot, meta)) => {
                        meta.cancel = Cancel::Sent;
                        tag::command_tag(N, slot, meta.generation)
                    }
                    None => return Ok(()),
                }
            };
            let cancel = CancelRequest::new(target);
            match writer.encode(&cancel, tag::cancel_tag(target), false) {
                Ok(_) => {
                    // Queued: a cut-short write is finished by the next writer.
                    self.cancels_due
                        .set(self.cancels_due.get().saturating_add(1));
                    writer.drain().await?
                }
                Err(_) => warn!("the send buffer cannot hold a /cancel"),
            }
        }
    }

    /// Whenever a cancel is requested and the writer is free, writes it; ends only when the
    /// connection fails. Runs beside the reader's `read`, so a dropped handle's cancel goes
    /// out while a read waits, and a read of a dead connection stops waiting.
    // The reader and writer `RefCell`s serve as async locks: they are only ever taken with
    // `try_borrow_mut`, and whoever finds them taken parks until woken, so holding them
    // across an await is the point.
    #[allow(clippy::await_holding_refcell_ref)]
    pub(super) async fn flush_cancels(&self) {
        loop {
            let ready = || (self.cancel_pending() && self.writer_free()) || !self.is_usable();
            let mut registered = false;
            poll_fn(|cx| {
                if registered || ready() {
                    return Poll::Ready(());
                }
                self.wakers.borrow_mut().register_cancel(cx.waker());
                registered = true;
                if ready() {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            })
            .await;
            if !self.is_usable() {
                // The connection failed (perhaps a keepalive probe timed out): the read
                // beside this must not wait any longer.
                return;
            }
            if !ready() {
                continue;
            }
            let Ok(mut writer) = self.writer.try_borrow_mut() else {
                continue;
            };
            let hand_over = HandOver(self);
            let result = self.write_cancels(&mut writer).await;
            drop(writer);
            drop(hand_over);
            if let Err(e) = result {
                self.fail(e);
            }
        }
    }
}
