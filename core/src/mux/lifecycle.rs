//! Slots from claim to end: claiming, freeing, reporting the end, failing the connection.

use embedded_io_async::{Read, Write};

use super::*;
use crate::error::Error;
use crate::telemetry::{Event, Telemetry};

impl<'b, R: Read, W: Write, Tm: Telemetry, const N: usize, const S: usize> Mux<'b, R, W, Tm, N, S> {
    pub(super) fn claim(&self, kind: Kind) -> Result<SlotId, Error> {
        if let Some(e) = self.error() {
            return Err(e);
        }
        let mut metas = self.metas.borrow_mut();
        // A free slot whose buffer is not lent out (a row view kept from before a reconnect
        // keeps its slot out of use until dropped).
        let (slot, meta, mut ring) = metas
            .iter_mut()
            .zip(&self.rings)
            .enumerate()
            .filter(|(_, (m, _))| !m.busy)
            .find_map(|(slot, (m, ring))| Some((slot, m, ring.try_borrow_mut().ok()?)))
            .ok_or(Error::SlotsExhausted)?;
        let generation = meta.claim(kind);
        ring.clear();
        Ok(SlotId { slot, generation })
    }

    pub(super) fn has_free_slot(&self) -> bool {
        self.metas
            .borrow()
            .iter()
            .zip(&self.rings)
            .any(|(m, ring)| !m.busy && ring.try_borrow_mut().is_ok())
    }

    pub(super) async fn claim_wait(&self, kind: Kind) -> Result<SlotId, Error> {
        loop {
            match self.claim(kind) {
                // Drive the connection while waiting: the `!done` that frees a slot held by
                // a dropped handle must be read by someone.
                Err(Error::SlotsExhausted) => self.wait_until(None, || self.has_free_slot()).await,
                other => return other,
            }
        }
    }

    pub(super) fn free_silently(&self, id: SlotId) {
        if let Some(meta) = self.metas.borrow_mut().get_mut(id.slot) {
            if meta.owned_by(id.generation) {
                meta.busy = false;
            }
        }
        self.wake_all();
    }

    /// Frees `id`'s slot at its end, reports it, and returns what the handle should see.
    pub(super) fn finish(&self, id: SlotId, failure: Option<&Error>) -> Result<Counts, Error> {
        let (report, outcome) = {
            let mut metas = self.metas.borrow_mut();
            let Some(meta) = metas.get_mut(id.slot).filter(|m| m.owned_by(id.generation)) else {
                return Err(Error::StaleHandle);
            };
            meta.busy = false;
            let counts = Counts {
                rows: meta.rows,
                dropped: meta.dropped,
            };
            let outcome = match (failure, meta.lost, meta.take_trap()) {
                (Some(e), _, _) => Err(e.clone()),
                (None, Some(buffer), _) => Err(Error::BufferTooSmall(buffer)),
                (None, None, Some(trap)) => Err(Error::Trap(trap)),
                (None, None, None) => Ok(counts),
            };
            let report = self.report(id.slot, meta, outcome.as_ref().err().cloned());
            (report, outcome)
        };
        if let Ok(mut ring) = self.rings[id.slot].try_borrow_mut() {
            ring.clear();
        }
        self.emit_end(report);
        self.unblock();
        self.wake_all();
        outcome
    }

    pub(super) fn report(
        &self,
        slot: usize,
        meta: &Meta,
        error: Option<Error>,
    ) -> Option<EndReport> {
        if !Tm::ENABLED {
            return None;
        }
        Some(EndReport {
            kind: meta.kind,
            tag: tag::command_tag(N, slot, meta.generation),
            path: meta.path.clone(),
            duration: self.telemetry.now().duration_since(meta.started),
            rows: meta.rows,
            dropped: meta.dropped,
            cancelled: meta.cancel != Cancel::No || meta.traps.interrupted(),
            error,
        })
    }

    pub(super) fn emit_end(&self, report: Option<EndReport>) {
        let Some(r) = report else { return };
        let event = match (r.kind, &r.error) {
            (Kind::Stream, _) => Event::StreamStop {
                tag: r.tag,
                path: &r.path,
                duration: r.duration,
                rows: r.rows,
                dropped: r.dropped,
                cancelled: r.cancelled,
            },
            (Kind::Command, None) => Event::CommandStop {
                tag: r.tag,
                path: &r.path,
                duration: r.duration,
                rows: r.rows,
            },
            (Kind::Command, Some(error)) => Event::CommandException {
                tag: r.tag,
                path: &r.path,
                duration: r.duration,
                error,
            },
        };
        self.telemetry.event(&event);
    }

    /// Marks `id` for cancel (if it has not ended); the next poll that drives I/O writes it.
    pub(super) fn request_cancel(&self, id: SlotId) {
        {
            let mut metas = self.metas.borrow_mut();
            if let Some(meta) = metas.get_mut(id.slot).filter(|m| m.owned_by(id.generation)) {
                if !meta.done && meta.cancel == Cancel::No {
                    meta.cancel = Cancel::Requested;
                }
            }
        }
        self.wake_all();
    }

    /// Ends the connection with `error`: handles see it, abandoned slots are freed.
    pub(super) fn fail(&self, error: Error) {
        {
            let mut failed = self.failed.borrow_mut();
            if failed.is_some() {
                return;
            }
            *failed = Some(error.clone());
        }
        warn!("connection failed");
        let mut reports: [Option<EndReport>; N] = [const { None }; N];
        {
            let mut metas = self.metas.borrow_mut();
            for (slot, meta) in metas.iter_mut().enumerate() {
                if meta.cancel == Cancel::Requested {
                    meta.cancel = Cancel::Sent;
                }
                if meta.busy && meta.abandoned {
                    meta.busy = false;
                    reports[slot] = self.report(slot, meta, Some(error.clone()));
                }
            }
        }
        self.telemetry.event(&Event::ConnectionException {
            duration: core::time::Duration::ZERO,
            error: &error,
        });
        for report in reports {
            self.emit_end(report);
        }
        self.blocked.set(false);
        self.wake_all();
    }
}
