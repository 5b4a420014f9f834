//! The one-at-a-time `Client` driven by arbitrary router bytes, with `Pending` reads, short,
//! pending and failing writes, and calls dropped part-way: it must never panic, and every
//! call it is allowed to finish must end with rows or a typed error, never wait forever.
#![no_main]

use libfuzzer_sys::fuzz_target;
use routeros_core::Client;
use routeros_fuzz::{must_finish, poll_at_most, Behaviour, Input};

/// Polls allowed past the router's bytes before a call counts as hung.
const BUDGET: usize = 10_000;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let behaviour = Behaviour::from_input(&mut input);
    let rx = input.range(5, 600);
    let ops = [input.byte(), input.byte(), input.byte(), input.byte()];
    let router = behaviour.router(input.rest());
    let mut client = Client::new(router.clone(), vec![0u8; rx], vec![0u8; 256]);
    for op in ops {
        let k = usize::from(op / 8);
        match op % 8 {
            0 => {
                let _ = must_finish(client.login("admin", "pw"), &router, BUDGET);
            }
            1 | 6 => {
                must_finish(
                    async {
                        let Ok(mut rows) = client.command(&["/interface/print"]).await else {
                            return;
                        };
                        while let Some(row) = rows.next().await {
                            if let Ok(row) = row {
                                let _ = row.get("name");
                                let _ = row.attributes().count();
                            }
                        }
                        let _ = rows.finish().await;
                    },
                    &router,
                    BUDGET,
                );
            }
            2 | 3 => {
                // Read a few rows of a listen, then cancel it (2) or drop the response (3):
                // after a drop the next command must cancel it.
                let cancel = op % 8 == 2;
                must_finish(
                    async {
                        let Ok(mut rows) = client.command(&["/interface/listen"]).await else {
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
                    },
                    &router,
                    BUDGET,
                );
            }
            4 => {
                // A whole call dropped after a few polls, wherever it was.
                let _ = poll_at_most(
                    async {
                        let mut rows = client.command(&["/ip/address/print"]).await?;
                        while let Some(row) = rows.next().await {
                            row?;
                        }
                        Ok::<_, routeros_core::Error>(())
                    },
                    k + 1,
                );
            }
            5 => {
                let _ = must_finish(client.run(&["/system/identity/print"]), &router, BUDGET);
            }
            _ => {
                let _ = must_finish(client.identity(), &router, BUDGET);
            }
        }
    }
});
