#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod connection;
mod driver;
pub mod error;
pub mod gate;
pub mod inbound;
mod jobs;
mod js;
pub mod json;
pub mod options;
mod outcome;
pub mod pipe;
mod stream;
pub mod timer;

pub use connection::Connection;
pub use error::{ErrorType, Failure};
pub use options::Options;
pub use stream::Stream;

use wasm_bindgen::prelude::*;

/// The most commands and streams one connection runs at once (its `slots` option, 1 to
/// this; default this).
pub const SLOTS: usize = 8;
/// Reply bytes each slot buffers: a command's largest row must fit (rows of 64 KiB, such as
/// `/tool/fetch output=user`, do); a stream whose rows are not read keeps this many bytes of
/// its newest rows and drops older ones.
pub const SLOT_BYTES: usize = 65 * 1024 + 512;

/// The version of this package.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").into()
}
