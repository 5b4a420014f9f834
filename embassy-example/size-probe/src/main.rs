//! Flash cost of the RouterOS core client on a Cortex-M0+ (thumbv6m).
//!
//! Two builds of one program over the same in-memory transport: with `--features client` it
//! logs in, streams `/interface/monitor-traffic` rows and sums a field with
//! `routeros_core::Client`; without it, it reads the same bytes and writes a fixed command.
//! The difference of the two images' `.text` + `.rodata` is what the client costs. The
//! transport replays replies from a static script read with `read_volatile`, so nothing is
//! folded away at compile time.
#![no_std]
#![no_main]

use core::convert::Infallible;

use cortex_m_rt::entry;
use embedded_io_async::{ErrorType, Read, Write};

/// What a router answers: login `!done`, then two monitor-traffic rows and the `!done`.
static SCRIPT: [u8; 108] = *b"\x05!done\x06.tag=1\x00\
\x03!re\x1b=rx-bits-per-second=1000000\x06.tag=2\x00\
\x03!re\x1b=rx-bits-per-second=2000000\x06.tag=2\x00\
\x05!done\x06.tag=2\x00";

/// An in-memory transport replaying [`SCRIPT`].
struct Wire {
    pos: usize,
    written: u32,
}

impl ErrorType for Wire {
    type Error = Infallible;
}

impl Read for Wire {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        let mut n = 0;
        while n < buf.len() && self.pos < SCRIPT.len() {
            // SAFETY: in-bounds read of a static array.
            buf[n] = unsafe { core::ptr::read_volatile(SCRIPT.as_ptr().add(self.pos)) };
            self.pos += 1;
            n += 1;
        }
        Ok(n)
    }
}

impl Write for Wire {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        for b in buf {
            self.written = self.written.wrapping_add(u32::from(*b));
        }
        Ok(buf.len())
    }

    async fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

#[cfg(feature = "client")]
async fn work(wire: Wire) -> u64 {
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 256]);
    let mut client = routeros_core::Client::new(wire, &mut rx[..], &mut tx[..]);
    if client.login("admin", "").await.is_err() {
        return 0;
    }
    let mut total = 0u64;
    let Ok(mut rows) = client
        .command(&["/interface/monitor-traffic", "=interface=ether1"])
        .await
    else {
        return 1;
    };
    while let Some(Ok(row)) = rows.next().await {
        total += row
            .get("rx-bits-per-second")
            .and_then(|v| v.parse::<u64>())
            .unwrap_or(0);
    }
    total
}

#[cfg(not(feature = "client"))]
async fn work(mut wire: Wire) -> u64 {
    let _ = wire.write(b"\x0a/interface\x00").await;
    let mut buf = [0u8; 64];
    let mut total = 0u64;
    loop {
        let n = match wire.read(&mut buf).await {
            Ok(n) => n,
            Err(never) => match never {},
        };
        if n == 0 {
            break;
        }
        total += buf[..n].iter().map(|b| u64::from(*b)).sum::<u64>();
    }
    total + u64::from(wire.written)
}

#[entry]
fn main() -> ! {
    let result = embassy_futures::block_on(work(Wire { pos: 0, written: 0 }));
    loop {
        core::hint::black_box(result);
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}
