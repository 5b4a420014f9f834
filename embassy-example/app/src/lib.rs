//! Router-monitoring firmware logic, shared by every target.
//!
//! ```text
//!  per-target main (host TAP / Pico W cyw43 / ESP32-C3 esp-radio)
//!        │ embassy_net::Stack, Buffers (static), RNG, RouterSettings
//!        ▼
//!  runner::run ── reconnect loop with backoff
//!        │ TcpSocket  ──or──  mbedtls_rs::Session<TcpSocket> (TLS 1.2/1.3)
//!        │            ──or──  TlsConnection<TcpSocket> (embedded-tls, TLS 1.3 only; feature)
//!        ▼
//!  monitor::session<T: embedded_io_async::Read + Write>
//!        │ routeros_core::Client: login, /system/resource, /system/identity,
//!        ▼ /interface/monitor-traffic stream
//!  log/defmt lines + Observer events
//! ```
//!
//! The crate is `no_std` and does not allocate, with one fenced exception: MbedTLS allocates
//! from its own fixed region ([`tls::heap`], [`config::TLS_HEAP`] bytes of `.bss`). (With the
//! optional `embedded-tls` stack, its RSA checks use the global allocator instead.)
#![no_std]
#![warn(missing_docs)]
#![deny(unsafe_code)]

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
pub use settings::{RouterSettings, TlsSettings, TlsStack, TlsVerify, PLAIN_PORT, TLS_PORT};
pub use tls::TlsInfo;

/// The TLS 1.3-only crate, re-exported so mains can name its clock trait.
#[cfg(feature = "embedded-tls")]
pub use embedded_tls;
/// The MbedTLS crate.
pub use mbedtls_rs;
/// The RouterOS client crate, re-exported for the per-target mains.
pub use routeros_core;
