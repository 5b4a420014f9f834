//! Turns the build-time environment into `board_config.rs` (see
//! `../board-config/config_gen.rs`).

include!("../board-config/config_gen.rs");

fn main() {
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
    println!("cargo:rerun-if-changed=../board-config/config_gen.rs");
    generate_board_config(&out);
}
