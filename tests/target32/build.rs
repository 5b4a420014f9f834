//! Puts the linker script of the target being built where the linker finds it.

use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
    let target = std::env::var("TARGET").unwrap();
    if target.starts_with("thumbv6m") {
        std::fs::copy("memory-microbit.x", out.join("memory.x")).unwrap();
    } else if target.starts_with("riscv32") {
        std::fs::copy("riscv.x", out.join("riscv.x")).unwrap();
    }
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory-microbit.x");
    println!("cargo:rerun-if-changed=riscv.x");
    println!("cargo:rerun-if-changed=build.rs");
}
