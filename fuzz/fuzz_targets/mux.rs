//! The `Mux` driven by arbitrary router bytes, with `Pending` reads, short, pending and
//! failing writes, handles dropped part-way and two calls polled together: it must never
//! panic, and every call it is allowed to finish must end, never wait forever.
#![no_main]

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use libfuzzer_sys::fuzz_target;
use routeros_core::mux::Mux;
use routeros_fuzz::{must_finish, poll_at_most, Behaviour, FakeRouter, Input};

const BUDGET: usize = 10_000;

/// Polls two futures in turn until both are done.
async fn both<A: Future, B: Future>(a: A, b: B) {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    let (mut a_done, mut b_done) = (false, false);
    std::future::poll_fn(|cx: &mut Context<'_>| {
        if !a_done {
            a_done = Pin::as_mut(&mut a).poll(cx).is_ready();
        }
        if !b_done {
            b_done = Pin::as_mut(&mut b).poll(cx).is_ready();
        }
        if a_done && b_done {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await
}

type FuzzMux<'b> = Mux<'b, FakeRouter, FakeRouter, (), 2, 256>;

async fn print_all(mux: &FuzzMux<'_>, path: &str) {
    let Ok(mut rows) = mux.command_wait(&[path]).await else {
        return;
    };
    while let Some(row) = rows.next().await {
        if let Ok(row) = row {
            let _ = row.get("name");
            let _ = row.attributes().count();
        }
    }
}

async fn stream_some(mux: &FuzzMux<'_>, k: usize, cancel: bool) {
    let Ok(mut rows) = mux.stream_wait(&["/interface/monitor-traffic"]).await else {
        return;
    };
    for _ in 0..k {
        if rows.next().await.is_none() {
            break;
        }
    }
    if cancel {
        let _ = rows.cancel().await;
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let behaviour = Behaviour::from_input(&mut input);
    let rx = input.range(5, 600);
    let ops = [
        input.byte(),
        input.byte(),
        input.byte(),
        input.byte(),
        input.byte(),
    ];
    let router = behaviour.router(input.rest());
    let (mut rx, mut tx) = (vec![0u8; rx], vec![0u8; 256]);
    let mux: FuzzMux<'_> = Mux::new(router.clone(), router.clone(), &mut rx, &mut tx);
    for op in ops {
        let k = usize::from(op / 8);
        match op % 8 {
            0 => {
                let _ = must_finish(mux.login("admin", "pw"), &router, BUDGET);
            }
            1 => must_finish(print_all(&mux, "/interface/print"), &router, BUDGET),
            2 => must_finish(stream_some(&mux, k, true), &router, BUDGET),
            3 => must_finish(stream_some(&mux, k, false), &router, BUDGET),
            4 => {
                let _ = poll_at_most(print_all(&mux, "/ip/address/print"), k + 1);
            }
            5 => {
                let _ = must_finish(mux.run(&["/system/identity/print"]), &router, BUDGET);
            }
            6 => must_finish(
                both(
                    print_all(&mux, "/interface/print"),
                    stream_some(&mux, k, true),
                ),
                &router,
                BUDGET,
            ),
            _ => {
                // Start a command, read one row, drop it: its slot must come back.
                must_finish(
                    async {
                        if let Ok(mut rows) = mux.command(&["/log/print"]).await {
                            let _ = rows.next().await;
                        }
                    },
                    &router,
                    BUDGET,
                );
            }
        }
    }
});
