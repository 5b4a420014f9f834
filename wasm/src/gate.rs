//! Who may take a slot: the connection's `slots` are shared by commands and streams in call
//! order, and streams may hold at most `maxStreams` of them, so that (by default) one slot is
//! always left for commands.
//!
//! Pure Rust with no JavaScript in it, so it is tested on the host.

use std::collections::VecDeque;

/// What a slot is taken for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// A command: holds its slot until its `!done`.
    Command,
    /// A streaming command: holds its slot until it ends or is cancelled.
    Stream,
}

/// A place in the line for a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket(u64);

/// The slots of one connection and the line of calls waiting for one.
#[derive(Debug)]
pub struct Gate {
    slots: usize,
    max_streams: usize,
    commands: usize,
    streams: usize,
    line: VecDeque<Ticket>,
    next: u64,
}

impl Gate {
    /// `slots` in all, of which streams may hold at most `max_streams`.
    pub fn new(slots: usize, max_streams: usize) -> Self {
        Self {
            slots,
            max_streams: max_streams.min(slots),
            commands: 0,
            streams: 0,
            line: VecDeque::new(),
            next: 0,
        }
    }

    /// Slots in all.
    pub fn slots(&self) -> usize {
        self.slots
    }

    /// How many streams may be open at once.
    pub fn max_streams(&self) -> usize {
        self.max_streams
    }

    /// Slots taken by commands.
    pub fn commands(&self) -> usize {
        self.commands
    }

    /// Slots taken by streams.
    pub fn streams(&self) -> usize {
        self.streams
    }

    /// Joins the line.
    pub fn ticket(&mut self) -> Ticket {
        let t = Ticket(self.next);
        self.next += 1;
        self.line.push_back(t);
        t
    }

    /// Takes a slot for `ticket` if it is first in line and a slot is free (for a stream:
    /// also within `max_streams`).
    pub fn try_take(&mut self, ticket: Ticket, usage: Use) -> bool {
        if self.line.front() != Some(&ticket) || self.commands + self.streams >= self.slots {
            return false;
        }
        if usage == Use::Stream && self.streams >= self.max_streams {
            return false;
        }
        self.line.pop_front();
        match usage {
            Use::Command => self.commands += 1,
            Use::Stream => self.streams += 1,
        }
        true
    }

    /// Leaves the line without a slot (the call timed out, was aborted or dropped).
    pub fn leave(&mut self, ticket: Ticket) {
        self.line.retain(|t| *t != ticket);
    }

    /// Gives back a slot taken with [`try_take`](Self::try_take).
    pub fn release(&mut self, usage: Use) {
        match usage {
            Use::Command => self.commands = self.commands.saturating_sub(1),
            Use::Stream => self.streams = self.streams.saturating_sub(1),
        }
    }

    /// Says who holds the slots, for an error message.
    pub fn describe(&self) -> String {
        format!(
            "{} of {} slots busy ({} streams, {} commands)",
            self.commands + self.streams,
            self.slots,
            self.streams,
            self.commands
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_come_first_served() {
        let mut gate = Gate::new(1, 0);
        let a = gate.ticket();
        let b = gate.ticket();
        assert!(!gate.try_take(b, Use::Command), "b is behind a");
        assert!(gate.try_take(a, Use::Command));
        assert!(!gate.try_take(b, Use::Command), "no slot free");
        gate.release(Use::Command);
        assert!(gate.try_take(b, Use::Command));
    }

    #[test]
    fn a_caller_that_leaves_lets_the_next_one_in() {
        let mut gate = Gate::new(1, 1);
        let a = gate.ticket();
        let b = gate.ticket();
        gate.leave(a);
        assert!(gate.try_take(b, Use::Command));
    }

    #[test]
    fn streams_leave_a_slot_for_commands() {
        let mut gate = Gate::new(3, 2);
        for _ in 0..2 {
            let t = gate.ticket();
            assert!(gate.try_take(t, Use::Stream));
        }
        let third = gate.ticket();
        assert!(!gate.try_take(third, Use::Stream), "a third stream waits");
        gate.leave(third);
        let c = gate.ticket();
        assert!(
            gate.try_take(c, Use::Command),
            "the last slot is a command's"
        );
        assert_eq!(gate.describe(), "3 of 3 slots busy (2 streams, 1 commands)");
    }

    #[test]
    fn max_streams_never_exceeds_slots() {
        let gate = Gate::new(2, 9);
        assert_eq!(gate.max_streams(), 2);
    }
}
