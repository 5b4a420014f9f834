//! Sans-io routing: one reply sentence in, the slot it belongs to updated.

use core::cell::RefCell;

use super::ring::{PushError, Ring};
use super::slot::{Kind, Meta};
use super::tag::{self, Parsed};
use crate::error::Buffer;
use crate::proto::{message_from, Reply, ReplyKind};

/// What routing one reply did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Routed {
    /// Nothing for anyone (unknown or finished tag, a cancel's reply, `!empty`, untagged).
    Dropped,
    /// Slot `.0` has something new for its handle (a row, its end).
    Delivered(usize),
    /// Slot `.0` was updated but its handle need not wake (a trap before the `!done`, a
    /// stream row dropped for lack of room).
    Noted(usize),
    /// Slot `.0` belongs to an ordinary command whose buffer is full: the sentence must wait
    /// until the handle consumes a row. Nothing was changed.
    Blocked(usize),
    /// Slot `.0` had no handle any more and its `!done` came: it is now free.
    Freed(usize),
    /// `!fatal`: the router is closing the connection.
    Fatal,
    /// An untagged reply while several commands (or a `/cancel`) could own it.
    Ambiguous,
    /// The keepalive probe tagged `.0` ended.
    ProbeDone(u32),
}

/// Who owns a reply without `.tag` (from a peer that does not echo tags): the only command
/// in flight, if there is exactly one and no `/cancel` reply is due. `Ok(None)`: no command
/// is in flight, so nobody waits for it. `Err(())`: several could own it.
pub(crate) fn untagged_owner<const N: usize>(
    metas: &[Meta; N],
    cancels_due: u32,
) -> Result<Option<(usize, u32)>, ()> {
    let mut running = metas.iter().enumerate().filter(|(_, m)| m.busy && !m.done);
    match (running.next(), running.next()) {
        (None, _) => Ok(None),
        (Some((slot, meta)), None) if cancels_due == 0 => {
            Ok(Some((slot, meta.generation % tag::wrap(N))))
        }
        _ => Err(()),
    }
}

/// Routes `reply` to its slot. `rings[i]` is slot `i`'s buffer; a buffer currently lent
/// out to a row view counts as full. `cancels_due` counts the `/cancel`s whose `!done` has
/// not come yet, keepalive probes included (decremented here).
pub(crate) fn route<const N: usize, const S: usize>(
    metas: &mut [Meta; N],
    rings: &[RefCell<Ring<S>>; N],
    reply: &Reply<'_>,
    cancels_due: &mut u32,
) -> Routed {
    if reply.kind() == ReplyKind::Fatal {
        return Routed::Fatal;
    }
    let (slot, generation) = match reply.tag() {
        Some(tag) => match tag::parse(N, tag.as_bytes()) {
            Parsed::Command { slot, generation } => (slot, generation),
            Parsed::Cancel => {
                if reply.kind() == ReplyKind::Done {
                    *cancels_due = cancels_due.saturating_sub(1);
                }
                return Routed::Dropped;
            }
            Parsed::Probe(tag) => {
                if reply.kind() == ReplyKind::Done {
                    *cancels_due = cancels_due.saturating_sub(1);
                    return Routed::ProbeDone(tag);
                }
                return Routed::Dropped;
            }
            Parsed::Foreign => {
                trace!("dropping a reply with a foreign tag");
                return Routed::Dropped;
            }
        },
        None => match untagged_owner(metas, *cancels_due) {
            Ok(Some(owner)) => owner,
            Ok(None) => {
                trace!("dropping an untagged reply: no command is running");
                return Routed::Dropped;
            }
            Err(()) => return Routed::Ambiguous,
        },
    };
    let Some(meta) = metas.get_mut(slot) else {
        return Routed::Dropped;
    };
    if !meta.busy || meta.done || !tag::same_generation(N, meta.generation, generation) {
        trace!("dropping a reply for a finished command");
        return Routed::Dropped;
    }
    let sentence = reply.sentence();
    match reply.kind() {
        ReplyKind::Empty | ReplyKind::Fatal => Routed::Dropped,
        ReplyKind::Trap => {
            meta.traps
                .note(reply.trap_category(), message_from(reply.message()));
            Routed::Noted(slot)
        }
        ReplyKind::Done => {
            if meta.abandoned {
                meta.busy = false;
                meta.done = true;
                if let Ok(mut ring) = rings[slot].try_borrow_mut() {
                    ring.clear();
                }
                return Routed::Freed(slot);
            }
            // A `!done` with `=ret=` is queued behind the rows so the handle can read it.
            if meta.kind == Kind::Command && reply.ret().is_some() {
                let Ok(mut ring) = rings[slot].try_borrow_mut() else {
                    return Routed::Blocked(slot);
                };
                match ring.push(sentence.as_bytes(), sentence.len()) {
                    Ok(()) => {}
                    Err(PushError::Full) => return Routed::Blocked(slot),
                    Err(PushError::TooLarge) => meta.lost = Some(Buffer::Rows),
                }
            }
            meta.done = true;
            Routed::Delivered(slot)
        }
        ReplyKind::Re => {
            if meta.abandoned {
                meta.rows = meta.rows.saturating_add(1);
                return Routed::Noted(slot);
            }
            let ring = rings[slot].try_borrow_mut();
            match meta.kind {
                Kind::Command => {
                    let Ok(mut ring) = ring else {
                        return Routed::Blocked(slot);
                    };
                    match ring.push(sentence.as_bytes(), sentence.len()) {
                        Ok(()) => {}
                        Err(PushError::Full) => return Routed::Blocked(slot),
                        Err(PushError::TooLarge) => {
                            warn!("a row is larger than its slot's buffer; the command will fail");
                            meta.lost = Some(Buffer::Rows);
                        }
                    }
                    meta.rows = meta.rows.saturating_add(1);
                    Routed::Delivered(slot)
                }
                Kind::Stream => {
                    meta.rows = meta.rows.saturating_add(1);
                    let Ok(mut ring) = ring else {
                        // The handle holds the oldest row right now: drop the new one.
                        meta.dropped = meta.dropped.saturating_add(1);
                        return Routed::Noted(slot);
                    };
                    loop {
                        match ring.push(sentence.as_bytes(), sentence.len()) {
                            Ok(()) => return Routed::Delivered(slot),
                            Err(PushError::Full) if ring.pop() => {
                                meta.dropped = meta.dropped.saturating_add(1);
                            }
                            Err(_) => {
                                meta.dropped = meta.dropped.saturating_add(1);
                                return Routed::Noted(slot);
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mux::tag::{cancel_tag, command_tag};
    use crate::proto::TagText;
    use crate::wire::{Decoder, SentenceEncoder};
    use std::vec::Vec;

    const N: usize = 4;
    const S: usize = 64;

    struct Fixture {
        metas: [Meta; N],
        rings: [RefCell<Ring<S>>; N],
    }

    impl Fixture {
        fn new() -> Self {
            Self {
                metas: [const { Meta::new() }; N],
                rings: [const { RefCell::new(Ring::new()) }; N],
            }
        }

        fn claim(&mut self, slot: usize, kind: Kind) -> u32 {
            let generation = self.metas[slot].claim(kind);
            command_tag(N, slot, generation)
        }

        fn feed(&mut self, words: &[&[u8]], tag: Option<u32>) -> Routed {
            self.feed_due(words, tag, &mut 0)
        }

        fn feed_due(&mut self, words: &[&[u8]], tag: Option<u32>, due: &mut u32) -> Routed {
            let mut wire = [0u8; 256];
            let mut enc = SentenceEncoder::new(&mut wire);
            for w in words {
                enc.word(w).unwrap();
            }
            if let Some(tag) = tag {
                enc.api_attribute("tag", TagText::new(tag).as_bytes())
                    .unwrap();
            }
            let len = enc.finish().unwrap().len();
            let mut buf = [0u8; 256];
            let mut decoder = Decoder::new(&mut buf[..]);
            decoder.feed(&wire[..len]);
            let sentence = decoder.next_sentence().unwrap().unwrap();
            let reply = Reply::parse(sentence).unwrap();
            route(&mut self.metas, &self.rings, &reply, due)
        }

        fn rows(&self, slot: usize) -> Vec<Vec<u8>> {
            let mut ring = self.rings[slot].borrow_mut();
            let mut out = Vec::new();
            while let Some((bytes, _)) = ring.front() {
                out.push(bytes.to_vec());
                ring.pop();
            }
            out
        }
    }

    #[test]
    fn rows_go_to_their_slot() {
        let mut f = Fixture::new();
        let a = f.claim(0, Kind::Command);
        let b = f.claim(3, Kind::Command);
        assert_eq!(f.feed(&[b"!re", b"=x=1"], Some(b)), Routed::Delivered(3));
        assert_eq!(f.feed(&[b"!re", b"=x=2"], Some(a)), Routed::Delivered(0));
        assert_eq!(f.feed(&[b"!done"], Some(b)), Routed::Delivered(3));
        assert!(f.metas[3].done && !f.metas[0].done);
        assert_eq!(f.rows(0).len(), 1);
        assert_eq!(f.rows(3).len(), 1);
    }

    #[test]
    fn unknown_old_untagged_and_cancel_replies_are_dropped() {
        let mut f = Fixture::new();
        let old = f.claim(1, Kind::Command);
        let new = f.claim(1, Kind::Command);
        assert_ne!(old, new);
        assert_eq!(f.feed(&[b"!re"], Some(old)), Routed::Dropped);
        assert_eq!(
            f.feed(&[b"!re"], Some(command_tag(N, 2, 1))),
            Routed::Dropped
        );
        assert_eq!(f.feed(&[b"!done"], Some(cancel_tag(new))), Routed::Dropped);
        assert_eq!(f.feed(&[b"!empty"], Some(new)), Routed::Dropped);
        assert_eq!(f.feed(&[b"!fatal", b"bye"], None), Routed::Fatal);
        assert!(f.rows(1).is_empty());
    }

    #[test]
    fn full_command_buffer_blocks_without_change() {
        let mut f = Fixture::new();
        let t = f.claim(0, Kind::Command);
        let row: &[u8] = &[b'a'; 20];
        let mut delivered = 0;
        while f.feed(&[b"!re", row], Some(t)) == Routed::Delivered(0) {
            delivered += 1;
        }
        assert!(delivered >= 1);
        assert_eq!(f.metas[0].rows, delivered);
        assert_eq!(f.feed(&[b"!re", row], Some(t)), Routed::Blocked(0));
        assert_eq!(f.metas[0].rows, delivered);
    }

    #[test]
    fn full_stream_buffer_drops_oldest() {
        let mut f = Fixture::new();
        let t = f.claim(2, Kind::Stream);
        for i in 0..10u8 {
            let row = [b'=', b'n', b'=', b'0' + i];
            assert_eq!(
                f.feed(&[b"!re", &row, &[b'p'; 12]], Some(t)),
                Routed::Delivered(2)
            );
        }
        let kept = f.rows(2);
        assert_eq!(f.metas[2].rows, 10);
        assert_eq!(f.metas[2].dropped as usize, 10 - kept.len());
        // The newest row survived.
        assert!(kept.last().unwrap().windows(4).any(|w| w == b"=n=9"));
    }

    #[test]
    fn borrowed_buffer_blocks_commands_and_drops_for_streams() {
        let mut f = Fixture::new();
        let c = f.claim(0, Kind::Command);
        let s = f.claim(1, Kind::Stream);
        let lent0 = f.rings[0].borrow();
        let lent1 = f.rings[1].borrow();
        let mut metas = core::mem::replace(&mut f.metas, [const { Meta::new() }; N]);
        let reply_for = |tag: u32, metas: &mut [Meta; N]| {
            let mut wire = [0u8; 64];
            let mut enc = SentenceEncoder::new(&mut wire);
            enc.word(b"!re").unwrap();
            enc.api_attribute("tag", TagText::new(tag).as_bytes())
                .unwrap();
            let len = enc.finish().unwrap().len();
            let mut buf = [0u8; 64];
            let mut decoder = Decoder::new(&mut buf[..]);
            decoder.feed(&wire[..len]);
            let reply = Reply::parse(decoder.next_sentence().unwrap().unwrap()).unwrap();
            route(metas, &f.rings, &reply, &mut 0)
        };
        assert_eq!(reply_for(c, &mut metas), Routed::Blocked(0));
        assert_eq!(reply_for(s, &mut metas), Routed::Noted(1));
        assert_eq!(metas[1].dropped, 1);
        drop((lent0, lent1));
    }

    #[test]
    fn traps_are_kept_and_interrupted_is_not_an_error() {
        let mut f = Fixture::new();
        let t = f.claim(0, Kind::Stream);
        assert_eq!(
            f.feed(
                &[b"!trap", b"=category=2", b"=message=interrupted"],
                Some(t)
            ),
            Routed::Noted(0)
        );
        assert!(f.metas[0].traps.interrupted());
        assert_eq!(f.metas[0].take_trap(), None);
        f.feed(&[b"!trap", b"=message=no such item"], Some(t));
        f.feed(&[b"!trap", b"=message=again"], Some(t));
        let trap = f.metas[0].take_trap().unwrap();
        assert_eq!(trap.message.as_str(), "no such item");
        assert_eq!(trap.more, 1);
    }

    #[test]
    fn done_with_ret_is_queued_and_abandoned_slots_free_at_done() {
        let mut f = Fixture::new();
        let t = f.claim(0, Kind::Command);
        assert_eq!(
            f.feed(&[b"!done", b"=ret=*3"], Some(t)),
            Routed::Delivered(0)
        );
        assert_eq!(f.rows(0).len(), 1);
        let u = f.claim(1, Kind::Stream);
        f.metas[1].abandoned = true;
        assert_eq!(f.feed(&[b"!re"], Some(u)), Routed::Noted(1));
        assert_eq!(f.feed(&[b"!done"], Some(u)), Routed::Freed(1));
        assert!(!f.metas[1].busy);
        assert_eq!(f.feed(&[b"!done"], Some(u)), Routed::Dropped);
    }

    #[test]
    fn untagged_replies_go_to_the_only_command_or_nowhere() {
        let mut f = Fixture::new();
        // Nobody running: dropped.
        assert_eq!(f.feed(&[b"!re"], None), Routed::Dropped);
        // One command: its reply.
        f.claim(2, Kind::Command);
        assert_eq!(f.feed(&[b"!re", b"=a=1"], None), Routed::Delivered(2));
        // A cancel's reply is due: no single owner.
        let mut due = 1;
        let reply = {
            let mut buf = [0u8; 32];
            let n = {
                let mut enc = SentenceEncoder::new(&mut buf);
                enc.word(b"!re").unwrap();
                enc.finish().unwrap().len()
            };
            buf[..n].to_vec()
        };
        let mut rx = [0u8; 64];
        let mut decoder = Decoder::new(&mut rx[..]);
        decoder.feed(&reply);
        let r = Reply::parse(decoder.next_sentence().unwrap().unwrap()).unwrap();
        assert_eq!(
            route(&mut f.metas, &f.rings, &r, &mut due),
            Routed::Ambiguous
        );
        // The cancel's `!done` came.
        let cancel_done = f.feed_due(&[b"!done"], Some(cancel_tag(1)), &mut due);
        assert_eq!((cancel_done, due), (Routed::Dropped, 0));
        // Two commands: no single owner.
        f.claim(0, Kind::Command);
        assert_eq!(f.feed(&[b"!re"], None), Routed::Ambiguous);
        assert_eq!(f.rows(2).len(), 1);
    }
}
