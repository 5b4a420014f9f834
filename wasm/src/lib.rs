#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod connection;
pub mod error;
pub mod inbound;
pub mod json;
pub mod options;
pub mod pipe;
pub mod timer;

pub use connection::{Connection, Stream, SLOTS, SLOT_BYTES};
pub use error::{ErrorType, Failure};
pub use options::Options;

use wasm_bindgen::prelude::*;

/// The version of this package.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").into()
}
