//! Every size and time limit of the firmware, in one place.
//!
//! All memory is static: [`Buffers`] holds every byte the connection needs and is meant to
//! live in a `static_cell::ConstStaticCell` (zero-initialised, so it lands in `.bss` and is
//! never built on the stack).

use embassy_time::Duration;

/// Receive buffer of the RouterOS client: bounds the largest reply sentence.
/// A `/system/resource/print` row is about 600 bytes, a monitor-traffic row about 450.
pub const CLIENT_RX: usize = 2048;
/// Send buffer of the RouterOS client: bounds the largest command (login included).
pub const CLIENT_TX: usize = 512;
/// TCP receive window of the router connection.
pub const TCP_RX: usize = 4096;
/// TCP send buffer of the router connection.
pub const TCP_TX: usize = 2048;
/// The heap MbedTLS allocates from (see [`crate::tls::heap`]): its two record buffers (16 KiB
/// of data in, as TLS allows a router to send full-size records and RouterOS words reach
/// 64 KiB; 2 KiB out, commands are small), the parsed certificates and the handshake's
/// arithmetic. Measured peak on the host: 35 680 bytes (see the README).
pub const TLS_HEAP: usize = 40 * 1024;
/// `embedded-tls` record read buffer: the largest TLS 1.3 record (16 KiB of data plus
/// overhead). A server may send records up to this size, so it cannot safely be smaller.
#[cfg(feature = "embedded-tls")]
pub const TLS_READ_RECORD: usize = 16_640;
/// `embedded-tls` record write buffer: commands are small; it must also hold the ClientHello.
#[cfg(feature = "embedded-tls")]
pub const TLS_WRITE_RECORD: usize = 2048;
/// `embedded-tls`: bytes of the server's certificate chain kept until its signature is checked.
#[cfg(feature = "embedded-tls")]
pub const TLS_CERT_CHAIN: usize = 4096;
/// `embedded-tls` checks RSA signatures with the `rsa` crate, which allocates from the global
/// allocator: a firmware enabling that stack gives it a heap of this size.
#[cfg(feature = "embedded-tls")]
pub const RSA_HEAP: usize = 32 * 1024;
/// Sockets the network stack has room for: the router connection and the DHCP client.
pub const STACK_SOCKETS: usize = 3;

/// Longest wait for the TCP handshake.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for the TLS handshake (RSA and 2048-bit DH on a 133 MHz Cortex-M0+ take a while).
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest wait for the login and for each of the status commands.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest gap between two traffic samples before the router is presumed gone.
pub const SAMPLE_TIMEOUT: Duration = Duration::from_secs(8);
/// TCP keep-alive interval while connected.
pub const TCP_KEEP_ALIVE: Duration = Duration::from_secs(5);
/// The TCP connection is dropped when the peer stops acknowledging for this long.
pub const TCP_TIMEOUT: Duration = Duration::from_secs(20);
/// First reconnect delay; doubled after every failure.
pub const BACKOFF_MIN: Duration = Duration::from_millis(500);
/// Largest reconnect delay.
pub const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// The `=interval=` of `/interface/monitor-traffic`, in seconds.
pub const SAMPLE_INTERVAL: &str = "1";

/// Every buffer a connection to the router uses. Build it with [`Buffers::new`] in a
/// `ConstStaticCell` so it is placed in static memory.
pub struct Buffers {
    /// TCP receive buffer.
    pub tcp_rx: [u8; TCP_RX],
    /// TCP send buffer.
    pub tcp_tx: [u8; TCP_TX],
    /// `embedded-tls` record read buffer (unused on plain and MbedTLS connections).
    #[cfg(feature = "embedded-tls")]
    pub tls_read: [u8; TLS_READ_RECORD],
    /// `embedded-tls` record write buffer (unused on plain and MbedTLS connections).
    #[cfg(feature = "embedded-tls")]
    pub tls_write: [u8; TLS_WRITE_RECORD],
    /// RouterOS client receive buffer.
    pub client_rx: [u8; CLIENT_RX],
    /// RouterOS client send buffer.
    pub client_tx: [u8; CLIENT_TX],
}

impl Buffers {
    /// All buffers zeroed; `const` so it can initialise a static.
    pub const fn new() -> Self {
        Self {
            tcp_rx: [0; TCP_RX],
            tcp_tx: [0; TCP_TX],
            #[cfg(feature = "embedded-tls")]
            tls_read: [0; TLS_READ_RECORD],
            #[cfg(feature = "embedded-tls")]
            tls_write: [0; TLS_WRITE_RECORD],
            client_rx: [0; CLIENT_RX],
            client_tx: [0; CLIENT_TX],
        }
    }
}

impl Default for Buffers {
    fn default() -> Self {
        Self::new()
    }
}
