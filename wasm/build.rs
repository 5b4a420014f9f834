//! Link settings for the WebAssembly build.

fn main() {
    // The multiplexing client keeps its slot buffers inline (`SLOTS * SLOT_BYTES`, about half a
    // MiB); building it may pass through the stack, so give the stack 4 MiB instead of the
    // default 1 MiB. (Rust's wasm32 stack sits below the data, so an overflow would trap
    // rather than corrupt memory.)
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg=-zstack-size=4194304");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
