//! The heap MbedTLS allocates from: one fixed static region of [`TLS_HEAP`] bytes, used by
//! nothing else, with its use counted.
//!
//! MbedTLS calls `mbedtls_calloc`/`mbedtls_free` for its record buffers (one 16 KiB-plus
//! buffer each way per connection), the parsed certificates and the handshake's big-number
//! arithmetic. [`init`] points those at [`TLS_HEAP`] (a linked-list first-fit heap from
//! `embedded-alloc` over a `static` array, so it lands in `.bss` and its size is in the
//! image's RAM figures), on every target alike: the boards and the host build measure the
//! same heap. [`stats`] tells how much of it is in use and the most that ever was.
//!
//! The rest of the firmware does not allocate.
#![allow(unsafe_code)]

use core::alloc::{GlobalAlloc, Layout};
use core::cell::Cell;
use core::ffi::c_void;
use core::mem::MaybeUninit;
use core::ptr::{addr_of_mut, null_mut};

use critical_section::Mutex;
use embedded_alloc::LlffHeap;

use crate::config::TLS_HEAP;

/// Every block carries its size in a header this long, which also keeps the block aligned for
/// any C type (16 bytes: `max_align_t` on x86_64; the boards need 8).
const HEADER: usize = 16;

static HEAP: LlffHeap = LlffHeap::empty();
static mut REGION: [MaybeUninit<u8>; TLS_HEAP] = [MaybeUninit::uninit(); TLS_HEAP];
static STATE: Mutex<Cell<HeapStats>> = Mutex::new(Cell::new(HeapStats::EMPTY));
static READY: Mutex<Cell<bool>> = Mutex::new(Cell::new(false));

/// How the TLS heap is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct HeapStats {
    /// The region's size in bytes ([`TLS_HEAP`]).
    pub size: usize,
    /// Bytes in use now (blocks, their headers and the allocator's rounding).
    pub in_use: usize,
    /// The most bytes ever in use at once since start (or [`reset_peak`]).
    pub peak: usize,
    /// Allocations refused because the region was full (MbedTLS then fails the handshake
    /// with an allocation error).
    pub failed: u32,
}

impl HeapStats {
    const EMPTY: Self = Self {
        size: TLS_HEAP,
        in_use: 0,
        peak: 0,
        failed: 0,
    };
}

/// Sets up the region and routes MbedTLS's allocations to it. Idempotent; must run before
/// anything of MbedTLS allocates (the runner calls it before every TLS connection).
pub fn init() {
    critical_section::with(|cs| {
        if READY.borrow(cs).get() {
            return;
        }
        // SAFETY: runs once (guarded by READY inside the critical section); REGION is used
        // by nothing but HEAP.
        unsafe {
            HEAP.init(addr_of_mut!(REGION) as usize, TLS_HEAP);
            mbedtls_rs::sys::mbedtls_platform_set_calloc_free(Some(tls_calloc), Some(tls_free));
        }
        READY.borrow(cs).set(true);
    });
}

/// The heap's use so far.
pub fn stats() -> HeapStats {
    critical_section::with(|cs| STATE.borrow(cs).get())
}

/// Starts a new peak measurement from the current use.
pub fn reset_peak() {
    critical_section::with(|cs| {
        let mut s = STATE.borrow(cs).get();
        s.peak = s.in_use;
        STATE.borrow(cs).set(s);
    });
}

fn layout(total: usize) -> Option<Layout> {
    Layout::from_size_align(total, HEADER).ok()
}

/// `calloc` for MbedTLS: zeroed, [`HEADER`]-aligned, null when the region is full.
unsafe extern "C" fn tls_calloc(n: usize, size: usize) -> *mut c_void {
    // A zero-byte request still gets a distinct, freeable block.
    let Some(total) = n
        .checked_mul(size)
        .and_then(|b| b.max(1).checked_add(HEADER))
    else {
        return null_mut();
    };
    let Some(layout) = layout(total) else {
        return null_mut();
    };
    critical_section::with(|cs| {
        let state = STATE.borrow(cs);
        let mut s = state.get();
        // SAFETY: the layout has a non-zero size.
        let base = unsafe { HEAP.alloc_zeroed(layout) };
        if base.is_null() {
            s.failed = s.failed.saturating_add(1);
            state.set(s);
            return null_mut();
        }
        // SAFETY: `base` is a fresh block of `total >= HEADER` bytes aligned to HEADER.
        unsafe { base.cast::<usize>().write(total) };
        s.in_use = HEAP.used();
        s.peak = s.peak.max(s.in_use);
        state.set(s);
        // SAFETY: within the block.
        unsafe { base.add(HEADER).cast() }
    })
}

/// `free` for MbedTLS: takes blocks from [`tls_calloc`] (or null).
unsafe extern "C" fn tls_free(ptr: *mut c_void) {
    if ptr.is_null() {
        return;
    }
    critical_section::with(|cs| {
        // SAFETY: `ptr` came from tls_calloc, so the header sits HEADER bytes before it.
        let base = unsafe { ptr.cast::<u8>().sub(HEADER) };
        let total = unsafe { base.cast::<usize>().read() };
        if let Some(layout) = layout(total) {
            // SAFETY: the block was allocated from HEAP with this very layout.
            unsafe { HEAP.dealloc(base, layout) };
        }
        let state = STATE.borrow(cs);
        let mut s = state.get();
        s.in_use = HEAP.used();
        state.set(s);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_zeroed_aligned_counted_and_a_full_heap_refuses() {
        init();
        init(); // idempotent
        let before = stats();
        // SAFETY: the functions MbedTLS would call, used as MbedTLS does.
        unsafe {
            let a = tls_calloc(10, 100).cast::<u8>();
            assert!(!a.is_null());
            assert_eq!(a as usize % HEADER, 0);
            assert!((0..1000).all(|i| a.add(i).read() == 0));
            a.write_bytes(0xA5, 1000);
            let s = stats();
            assert!(s.in_use >= before.in_use + 1000 + HEADER, "{s:?}");
            assert!(s.peak >= s.in_use);
            // More than the region holds, and a size that overflows: refused, not a panic.
            assert!(tls_calloc(1, TLS_HEAP).is_null());
            assert!(tls_calloc(usize::MAX, 2).is_null());
            assert_eq!(stats().failed, before.failed + 1);
            let zero = tls_calloc(0, 8);
            assert!(!zero.is_null());
            tls_free(zero);
            tls_free(a.cast());
            tls_free(null_mut());
        }
        assert_eq!(stats().in_use, before.in_use);
        reset_peak();
        assert_eq!(stats().peak, stats().in_use);
    }
}
