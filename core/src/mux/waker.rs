//! Waker bookkeeping in fixed memory, and two small future combinators.

use core::future::{poll_fn, Future};
use core::pin::pin;
use core::task::{Poll, Waker};

/// How many futures waiting for a free slot are remembered; one more evicts (and wakes) the
/// oldest, which then registers again: no wake-up is ever lost, at worst one is spurious.
pub const FREE_WAITERS: usize = 4;

/// Wakers of everything waiting on a connection: one per slot (its handle, or the future
/// starting its command), a few for futures waiting for a free slot, and the reader's cancel
/// flusher.
pub(crate) struct Wakers<const N: usize> {
    slots: [Option<Waker>; N],
    free: [Option<Waker>; FREE_WAITERS],
    cancel: Option<Waker>,
}

fn store(place: &mut Option<Waker>, waker: &Waker) {
    match place {
        Some(old) if old.will_wake(waker) => {}
        _ => *place = Some(waker.clone()),
    }
}

impl<const N: usize> Wakers<N> {
    pub(crate) const fn new() -> Self {
        Self {
            slots: [const { None }; N],
            free: [const { None }; FREE_WAITERS],
            cancel: None,
        }
    }

    pub(crate) fn register_slot(&mut self, slot: usize, waker: &Waker) {
        if let Some(place) = self.slots.get_mut(slot) {
            store(place, waker);
        }
    }

    pub(crate) fn register_cancel(&mut self, waker: &Waker) {
        store(&mut self.cancel, waker);
    }

    /// Registers a future waiting for a free slot; returns a waker evicted to make room.
    pub(crate) fn register_free(&mut self, waker: &Waker) -> Option<Waker> {
        register_in(&mut self.free, waker)
    }

    pub(crate) fn take_slot(&mut self, slot: usize) -> Option<Waker> {
        self.slots.get_mut(slot).and_then(Option::take)
    }

    pub(crate) fn take_cancel(&mut self) -> Option<Waker> {
        self.cancel.take()
    }

    /// Takes every waker, to be woken once the borrow of `self` has ended.
    pub(crate) fn take_all(&mut self) -> Taken<N> {
        Taken {
            slots: core::mem::replace(&mut self.slots, [const { None }; N]),
            free: core::mem::replace(&mut self.free, [const { None }; FREE_WAITERS]),
            cancel: self.cancel.take(),
        }
    }
}

/// Remembers `waker` in `list`; if the list is full, evicts (and returns, to be woken) the
/// oldest.
pub(crate) fn register_in<const M: usize>(
    list: &mut [Option<Waker>; M],
    waker: &Waker,
) -> Option<Waker> {
    if M == 0 || list.iter().flatten().any(|w| w.will_wake(waker)) {
        return None;
    }
    if let Some(place) = list.iter_mut().find(|w| w.is_none()) {
        *place = Some(waker.clone());
        return None;
    }
    let evicted = list[0].take();
    list.rotate_left(1);
    list[M - 1] = Some(waker.clone());
    evicted
}

/// Wakes and forgets every waker of `list`.
pub(crate) fn wake_list<const M: usize>(list: &mut [Option<Waker>; M]) {
    for waker in list.iter_mut().filter_map(Option::take) {
        waker.wake();
    }
}

/// Wakers taken out of [`Wakers`], woken by [`wake`](Self::wake).
pub(crate) struct Taken<const N: usize> {
    slots: [Option<Waker>; N],
    free: [Option<Waker>; FREE_WAITERS],
    cancel: Option<Waker>,
}

impl<const N: usize> Taken<N> {
    pub(crate) fn wake(self) {
        for waker in self
            .slots
            .into_iter()
            .chain(self.free)
            .chain([self.cancel])
            .flatten()
        {
            waker.wake();
        }
    }
}

/// Which of two futures finished first.
#[derive(Debug)]
pub enum Either<A, B> {
    /// The first one.
    First(A),
    /// The second one.
    Second(B),
}

/// Runs `a` and `b` together until one finishes; the other is dropped. `a` is polled first.
pub(crate) async fn select<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let mut a = pin!(a);
    let mut b = pin!(b);
    poll_fn(|cx| {
        if let Poll::Ready(v) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::First(v));
        }
        if let Poll::Ready(v) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Second(v));
        }
        Poll::Pending
    })
    .await
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
    fn free_waiters_evict_the_oldest() {
        let counters: std::vec::Vec<_> = (0..FREE_WAITERS + 1)
            .map(|_| Arc::new(Count(AtomicUsize::new(0))))
            .collect();
        let mut wakers = Wakers::<2>::new();
        for c in &counters[..FREE_WAITERS] {
            assert!(wakers.register_free(&Waker::from(c.clone())).is_none());
        }
        // Registering the same waker again does not evict anyone.
        assert!(wakers
            .register_free(&Waker::from(counters[1].clone()))
            .is_none());
        let evicted = wakers
            .register_free(&Waker::from(counters[FREE_WAITERS].clone()))
            .unwrap();
        evicted.wake();
        assert_eq!(counters[0].0.load(Ordering::SeqCst), 1);
        wakers.take_all().wake();
        assert!(counters[1..]
            .iter()
            .all(|c| c.0.load(Ordering::SeqCst) == 1));
    }
}
