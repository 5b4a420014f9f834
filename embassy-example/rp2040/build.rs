//! Puts `memory.x` where the linker finds it and turns the build-time environment into
//! `board_config.rs` (see `../board-config/config_gen.rs`).

include!("../board-config/config_gen.rs");

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
    std::fs::write(out.join("memory.x"), include_bytes!("memory.x")).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=../board-config/config_gen.rs");
    generate_board_config(&out);
}
