//! Waking and parking the futures that wait on the connection.

use core::future::poll_fn;
use core::task::Poll;

use embedded_io_async::{Read, Write};

use super::*;
use crate::telemetry::Telemetry;

impl<'b, R: Read, W: Write, Tm: Telemetry, const N: usize, const S: usize> Mux<'b, R, W, Tm, N, S> {
    pub(super) fn wake_all(&self) {
        let taken = self.wakers.borrow_mut().take_all();
        taken.wake();
    }

    pub(super) fn wake_slot(&self, slot: usize) {
        let waker = self.wakers.borrow_mut().take_slot(slot);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// A row was consumed or a buffer emptied: a paused reader may go on.
    pub(super) fn unblock(&self) {
        if self.blocked.replace(false) {
            self.wake_all();
        }
    }

    pub(super) fn reader_free(&self) -> bool {
        self.reader.try_borrow_mut().is_ok()
    }

    pub(super) fn writer_free(&self) -> bool {
        self.writer.try_borrow_mut().is_ok()
    }

    /// Waits until woken (or until `ready()` holds). `slot`: the slot whose waker to use;
    /// `None` for the shared list of futures without a slot.
    pub(super) async fn park(&self, slot: Option<usize>, ready: impl Fn() -> bool) {
        let mut registered = false;
        poll_fn(|cx| {
            if registered || ready() {
                return Poll::Ready(());
            }
            let evicted = {
                let mut wakers = self.wakers.borrow_mut();
                match slot {
                    Some(slot) => {
                        wakers.register_slot(slot, cx.waker());
                        None
                    }
                    None => wakers.register_free(cx.waker()),
                }
            };
            if let Some(waker) = evicted {
                waker.wake();
            }
            registered = true;
            if ready() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }
}
