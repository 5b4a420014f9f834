//! A bare-metal binary with no global allocator that drives the whole client: login, a
//! command with rows, a typed helper. If anything in `routeros-core` needed `alloc`, this
//! would fail to link. It is built, not run.
#![no_std]
#![no_main]

use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use routeros_core::Client;

/// A transport that replays one canned reply and swallows writes.
struct Canned {
    reply: &'static [u8],
}

#[derive(Debug)]
struct Never;

impl core::fmt::Display for Never {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("never")
    }
}

impl core::error::Error for Never {}

impl embedded_io::Error for Never {
    fn kind(&self) -> embedded_io::ErrorKind {
        embedded_io::ErrorKind::Other
    }
}

impl embedded_io::ErrorType for Canned {
    type Error = Never;
}

impl embedded_io_async::Read for Canned {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Never> {
        let n = buf.len().min(self.reply.len());
        buf[..n].copy_from_slice(&self.reply[..n]);
        self.reply = &self.reply[n..];
        Ok(n)
    }
}

impl embedded_io_async::Write for Canned {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Never> {
        Ok(buf.len())
    }

    async fn flush(&mut self) -> Result<(), Never> {
        Ok(())
    }
}

fn block_on<F: Future>(future: F) -> F::Output {
    const VTABLE: RawWakerVTable = RawWakerVTable::new(
        |_| RawWaker::new(core::ptr::null(), &VTABLE),
        |_| {},
        |_| {},
        |_| {},
    );
    // SAFETY: the vtable's functions do nothing and never touch the data pointer.
    let waker = unsafe { Waker::from_raw(RawWaker::new(core::ptr::null(), &VTABLE)) };
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

static mut RX: [u8; 1024] = [0; 1024];
static mut TX: [u8; 256] = [0; 256];

#[no_mangle]
pub extern "C" fn _start() -> ! {
    let io = Canned {
        reply: b"\x05!done\x00\x03!re\x0e=name=MikroTik\x00\x05!done\x00",
    };
    // SAFETY: `_start` runs once, before anything else could touch these buffers.
    let (rx, tx) = unsafe {
        (
            &mut *core::ptr::addr_of_mut!(RX),
            &mut *core::ptr::addr_of_mut!(TX),
        )
    };
    let mut client = Client::new(io, &mut rx[..], &mut tx[..]);
    let ok = block_on(async {
        client.login("admin", "secret").await.is_ok()
            && client.identity().await.map(|n| n.len()).unwrap_or(0) == 8
    });
    let code = if ok { 0 } else { 1 };
    loop {
        core::hint::black_box(code);
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}
