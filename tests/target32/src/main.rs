//! Runs the 32-bit checks and exits with their result: through semihosting on the bare-metal
//! targets (QEMU's exit status), through WASI on wasm32-wasip1 (Node's exit status).

#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(not(target_os = "none"))]
fn main() {
    let mut log = |name: &str| println!("check: {name}");
    match routeros_target32::run(&mut log) {
        Ok(groups) => println!("target32: {groups} check groups passed on {}", target()),
        Err(failure) => {
            println!("target32: FAILED: {failure}");
            std::process::exit(1);
        }
    }
}

#[cfg(not(target_os = "none"))]
fn target() -> &'static str {
    if cfg!(target_pointer_width = "32") {
        "a 32-bit target"
    } else {
        "a 64-bit target"
    }
}

#[cfg(target_os = "none")]
mod bare {
    use core::fmt::Write;

    /// Semihosting calls (ARM "Angel" interface, which QEMU also speaks on RISC-V).
    mod semihosting {
        const SYS_WRITE0: usize = 0x04;
        const SYS_EXIT: usize = 0x18;
        const ADP_STOPPED_APPLICATION_EXIT: usize = 0x20026;
        const ADP_STOPPED_RUN_TIME_ERROR: usize = 0x20023;

        #[cfg(target_arch = "arm")]
        unsafe fn call(op: usize, arg: usize) -> usize {
            let ret;
            // SAFETY: the semihosting trap of ARMv6-M; QEMU handles it and returns.
            unsafe {
                core::arch::asm!("bkpt #0xAB", inout("r0") op => ret, in("r1") arg, options(nostack));
            }
            ret
        }

        #[cfg(target_arch = "riscv32")]
        unsafe fn call(op: usize, arg: usize) -> usize {
            let ret;
            // SAFETY: the RISC-V semihosting sequence (uncompressed, in one page); QEMU
            // handles it and returns.
            unsafe {
                core::arch::asm!(
                    ".option push",
                    ".option norvc",
                    ".balign 16",
                    "slli x0, x0, 0x1f",
                    "ebreak",
                    "srai x0, x0, 7",
                    ".option pop",
                    inout("a0") op => ret,
                    in("a1") arg,
                    options(nostack),
                );
            }
            ret
        }

        /// Prints a string on the host's console.
        pub fn print(text: &str) {
            let mut buf = [0u8; 128];
            for chunk in text.as_bytes().chunks(buf.len() - 1) {
                buf[..chunk.len()].copy_from_slice(chunk);
                buf[chunk.len()] = 0;
                // SAFETY: a NUL-terminated buffer that outlives the call.
                unsafe { call(SYS_WRITE0, buf.as_ptr() as usize) };
            }
        }

        /// Ends the emulation: QEMU exits 0 on success, 1 otherwise.
        pub fn exit(success: bool) -> ! {
            let reason = if success {
                ADP_STOPPED_APPLICATION_EXIT
            } else {
                ADP_STOPPED_RUN_TIME_ERROR
            };
            loop {
                // SAFETY: SYS_EXIT with a reason code (32-bit form).
                unsafe { call(SYS_EXIT, reason) };
            }
        }
    }

    struct Console;

    impl Write for Console {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            semihosting::print(s);
            Ok(())
        }
    }

    pub fn main() -> ! {
        let mut log = |name: &str| {
            let _ = writeln!(Console, "check: {name}");
        };
        match routeros_target32::run(&mut log) {
            Ok(groups) => {
                let arch = if cfg!(target_arch = "arm") {
                    "thumbv6m (Cortex-M0)"
                } else {
                    "riscv32imc"
                };
                let _ = writeln!(Console, "target32: {groups} check groups passed on {arch}");
                semihosting::exit(true)
            }
            Err(failure) => {
                let _ = writeln!(Console, "target32: FAILED: {failure}");
                semihosting::exit(false)
            }
        }
    }

    #[panic_handler]
    fn panic(info: &core::panic::PanicInfo) -> ! {
        let _ = writeln!(Console, "target32: PANIC: {info}");
        semihosting::exit(false)
    }
}

#[cfg(all(target_os = "none", target_arch = "arm"))]
#[cortex_m_rt::entry]
fn entry() -> ! {
    bare::main()
}

#[cfg(all(target_os = "none", target_arch = "riscv32"))]
mod start {
    // Reset: a stack, then Rust. QEMU loads the image into zeroed RAM, so .bss is zero and
    // .data is in place already.
    core::arch::global_asm!(
        ".section .text.start",
        ".global _start",
        "_start:",
        "la sp, _stack_top",
        "call {main}",
        "1: j 1b",
        main = sym rust_start,
    );

    extern "C" fn rust_start() -> ! {
        super::bare::main()
    }
}
