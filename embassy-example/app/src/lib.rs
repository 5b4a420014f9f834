//! Router-monitoring firmware logic, shared by every target.
//!
//! ```text
//!  per-target main (host TAP / Pico W cyw43 / ESP32-C3 esp-radio)
//!        │ embassy_net::Stack, Buffers (static), RNG, RouterSettings
//!        ▼
//!  runner::run ── reconnect loop with backoff
//!        │ TcpSocket  ──or──  TlsConnection<TcpSocket> (embedded-tls, TLS 1.3)
//!        ▼
//!  monitor::session<T: embedded_io_async::Read + Write>
//!        │ routeros_core::Client: login, /system/resource, /system/identity,
//!        ▼ /interface/monitor-traffic stream
//!  log/defmt lines + Observer events
//! ```
//!
//! The crate is `no_std` and allocation-free except for one thing: embedded-tls checks RSA
//! signatures with the `rsa` crate, which allocates; the firmware provides a small fixed
//! heap ([`config::RSA_HEAP`]) for it.
#![no_std]
#![warn(missing_docs)]
#![forbid(unsafe_code)]

#[macro_use]
mod fmt;

pub mod config;
pub mod error;
pub mod monitor;
pub mod runner;
pub mod settings;
pub mod tls;

#[cfg(test)]
mod tests;

pub use config::Buffers;
pub use error::{AppError, TlsFailure};
pub use monitor::{Event, Flow, Identity, Observer, Resource, Sample, SessionEnd};
pub use runner::{run, run_with_clock, Backoff};
pub use settings::{RouterSettings, TlsSettings, TlsVerify, PLAIN_PORT, TLS_PORT};

/// The TLS crate, re-exported so mains can name its clock trait.
pub use embedded_tls;
/// The RouterOS client crate, re-exported for the per-target mains.
pub use routeros_core;
