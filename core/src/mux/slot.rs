//! Per-slot bookkeeping: who owns the slot, what came back, what must be sent.

use crate::error::Buffer;
use crate::proto::{Trap, Traps};
use crate::telemetry::{Instant, Path};

/// A handle's claim on a slot: the slot and the generation it was given out in. A handle
/// whose generation no longer matches (the slot was freed and reused, or the connection was
/// reset) gets [`Error::StaleHandle`](crate::Error::StaleHandle).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SlotId {
    /// Index of the slot.
    pub slot: usize,
    /// Generation of the slot when the handle was made.
    pub generation: u32,
}

/// What a slot runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An ordinary command: rows are never dropped; a full buffer pauses reading.
    Command,
    /// A streaming command: a full buffer drops the oldest rows, counted.
    Stream,
}

/// Progress of a `/cancel` for the slot's command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cancel {
    /// Not asked for.
    No,
    /// Asked for; the next poll that drives I/O writes it.
    Requested,
    /// Written.
    Sent,
}

/// The state of one slot.
pub(crate) struct Meta {
    pub(crate) generation: u32,
    pub(crate) busy: bool,
    pub(crate) kind: Kind,
    /// The command's `!done` was routed.
    pub(crate) done: bool,
    /// The handle is gone: drop the rows, free the slot at `!done`.
    pub(crate) abandoned: bool,
    pub(crate) cancel: Cancel,
    /// The traps that arrived.
    pub(crate) traps: Traps,
    /// A row of a command could not be kept (larger than the slot buffer, or larger than the
    /// receive buffer while this command was running).
    pub(crate) lost: Option<Buffer>,
    /// `!re` rows routed to the slot (kept or dropped).
    pub(crate) rows: u32,
    /// Rows dropped because the buffer was full (streams only).
    pub(crate) dropped: u32,
    pub(crate) started: Instant,
    pub(crate) path: Path,
}

impl Meta {
    pub(crate) const fn new() -> Self {
        Self {
            generation: 0,
            busy: false,
            kind: Kind::Command,
            done: false,
            abandoned: false,
            cancel: Cancel::No,
            traps: Traps::new(),
            lost: None,
            rows: 0,
            dropped: 0,
            started: Instant::ZERO,
            path: Path::new(),
        }
    }

    /// Takes the slot for a new command; returns the new generation.
    pub(crate) fn claim(&mut self, kind: Kind) -> u32 {
        let generation = self.generation.wrapping_add(1);
        *self = Self::new();
        self.generation = generation;
        self.busy = true;
        self.kind = kind;
        generation
    }

    /// The trap the command ends with: its first real one; `interrupted` only when that
    /// was not the normal end (a stream, or a command this client cancelled).
    pub(crate) fn take_trap(&mut self) -> Option<Trap> {
        let expected = self.kind == Kind::Stream || self.cancel != Cancel::No;
        self.traps.take_outcome(expected)
    }

    /// Whether `id` still owns this slot.
    pub(crate) fn owned_by(&self, generation: u32) -> bool {
        self.busy && self.generation == generation
    }
}
