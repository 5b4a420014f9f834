#![doc = include_str!("../README.md")]
#![no_std]
#![warn(missing_docs)]
// One audited exception: the volatile writes that wipe secrets (`wipe.rs`).
#![deny(unsafe_code)]

#[cfg(test)]
extern crate std;

#[macro_use]
mod fmt;

pub mod client;
mod error;
pub mod helpers;
pub mod keepalive;
pub mod mux;
pub mod pool;
pub mod proto;
mod request;
pub mod telemetry;
mod wipe;
pub mod wire;

pub use client::{Client, Done, FromReply, Response};
pub use error::{Buffer, Error};
pub use proto::{
    windows_1252_byte, windows_1252_char, Message, Reply, ReplyKind, Trap, TrapCategory, Value,
};
pub use request::{Command, QueryOp, Request};
