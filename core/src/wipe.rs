//! Wiping secrets from memory the caller owns.

use core::sync::atomic::{compiler_fence, Ordering};

/// Overwrites `bytes` with zeros in a way the compiler may not drop as a dead store
/// (volatile writes, then a compiler fence), so a password or login response does not stay
/// in a buffer after the sentence carrying it was written.
#[allow(unsafe_code)]
pub(crate) fn wipe(bytes: &mut [u8]) {
    for byte in bytes.iter_mut() {
        // SAFETY: `byte` is a valid, aligned, exclusive reference to one initialised `u8`.
        unsafe { core::ptr::write_volatile(byte, 0) };
    }
    compiler_fence(Ordering::SeqCst);
}

#[cfg(test)]
mod tests {
    #[test]
    fn wipes_every_byte() {
        let mut buf = *b"secret password";
        super::wipe(&mut buf[2..]);
        assert_eq!(&buf[..2], b"se");
        assert!(buf[2..].iter().all(|&b| b == 0));
    }
}
