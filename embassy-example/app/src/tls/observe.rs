//! Reads the unencrypted part of a TLS handshake as it arrives from the router: the version
//! and cipher suite the router chose, the SHA-256 fingerprint of its certificate (TLS 1.2 and
//! older send it in clear) and an alert it sent before encryption began.
//!
//! [`Observed`] wraps the transport under MbedTLS and feeds every byte read to a
//! [`HandshakeObserver`] until the router's `ChangeCipherSpec` (or its first encrypted
//! record); from then on it only passes bytes through. Nothing here trusts what it reads: the
//! fingerprint is compared after MbedTLS has checked that the router's handshake signature
//! was made with that certificate's key.

use embedded_io_async::{ErrorType, Read, Write};
use sha2::{Digest, Sha256};

const RECORD_ALERT: u8 = 21;
const RECORD_HANDSHAKE: u8 = 22;
const HANDSHAKE_SERVER_HELLO: u8 = 2;
const HANDSHAKE_CERTIFICATE: u8 = 11;
/// version (2) + random (32) + session id length (1) + session id (<= 32) + suite (2)
const HELLO_PREFIX: usize = 69;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cert {
    /// Not in a Certificate message (or already done).
    Idle,
    /// Reading the 3-byte length of the certificate list.
    ListLength { seen: u8 },
    /// Reading the 3-byte length of the first (the router's own) certificate.
    EntryLength { seen: u8, len: u32 },
    /// Hashing the first certificate's DER bytes.
    Entry { left: u32 },
}

/// A byte-at-a-time reader of the router's side of a TLS handshake (see the module docs).
#[derive(Clone)]
pub struct HandshakeObserver {
    record_header: [u8; 5],
    record_header_len: u8,
    record_left: u16,
    handshake_header: [u8; 4],
    handshake_header_len: u8,
    handshake_left: u32,
    hello: [u8; HELLO_PREFIX],
    hello_len: u8,
    cert: Cert,
    hasher: Option<Sha256>,
    alert_bytes: [u8; 2],
    alert_len: u8,
    /// The router's certificate fingerprint (SHA-256 of its DER), once seen.
    pub fingerprint: Option<[u8; 32]>,
    /// The cipher suite the router chose (ServerHello), once seen.
    pub cipher_suite: Option<u16>,
    /// The alert (level, description) the router sent in clear, if any.
    pub alert: Option<(u8, u8)>,
    /// The router switched to encrypted records: nothing more is read.
    pub encrypted: bool,
}

impl Default for HandshakeObserver {
    fn default() -> Self {
        Self::new()
    }
}

impl HandshakeObserver {
    /// Nothing seen yet.
    pub const fn new() -> Self {
        Self {
            record_header: [0; 5],
            record_header_len: 0,
            record_left: 0,
            handshake_header: [0; 4],
            handshake_header_len: 0,
            handshake_left: 0,
            hello: [0; HELLO_PREFIX],
            hello_len: 0,
            cert: Cert::Idle,
            hasher: None,
            alert_bytes: [0; 2],
            alert_len: 0,
            fingerprint: None,
            cipher_suite: None,
            alert: None,
            encrypted: false,
        }
    }

    /// Reads the next bytes the router sent.
    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.encrypted {
                return;
            }
            self.byte(b);
        }
    }

    fn byte(&mut self, b: u8) {
        if self.record_header_len < 5 {
            self.record_header[usize::from(self.record_header_len)] = b;
            self.record_header_len += 1;
            if self.record_header_len == 5 {
                let kind = self.record_header[0];
                if kind != RECORD_HANDSHAKE && kind != RECORD_ALERT {
                    // ChangeCipherSpec, application data or anything unknown: whatever
                    // follows is not readable here.
                    self.encrypted = true;
                    return;
                }
                self.record_left =
                    u16::from_be_bytes([self.record_header[3], self.record_header[4]]);
                if self.record_left == 0 {
                    self.record_header_len = 0;
                }
            }
            return;
        }
        match self.record_header[0] {
            RECORD_HANDSHAKE => self.handshake_byte(b),
            RECORD_ALERT if self.alert_len < 2 => {
                self.alert_bytes[usize::from(self.alert_len)] = b;
                self.alert_len += 1;
                if self.alert_len == 2 {
                    self.alert = Some((self.alert_bytes[0], self.alert_bytes[1]));
                }
            }
            _ => {}
        }
        self.record_left -= 1;
        if self.record_left == 0 {
            self.record_header_len = 0;
        }
    }

    fn handshake_byte(&mut self, b: u8) {
        if self.handshake_header_len < 4 {
            self.handshake_header[usize::from(self.handshake_header_len)] = b;
            self.handshake_header_len += 1;
            if self.handshake_header_len == 4 {
                let [kind, a, b2, c] = self.handshake_header;
                self.handshake_left = u32::from_be_bytes([0, a, b2, c]);
                match kind {
                    HANDSHAKE_SERVER_HELLO => self.hello_len = 0,
                    HANDSHAKE_CERTIFICATE if self.fingerprint.is_none() => {
                        self.cert = Cert::ListLength { seen: 0 }
                    }
                    _ => {}
                }
                if self.handshake_left == 0 {
                    self.end_message();
                }
            }
            return;
        }
        match self.handshake_header[0] {
            HANDSHAKE_SERVER_HELLO if usize::from(self.hello_len) < HELLO_PREFIX => {
                self.hello[usize::from(self.hello_len)] = b;
                self.hello_len += 1;
            }
            HANDSHAKE_CERTIFICATE => self.cert_byte(b),
            _ => {}
        }
        self.handshake_left -= 1;
        if self.handshake_left == 0 {
            self.end_message();
        }
    }

    fn end_message(&mut self) {
        if self.handshake_header[0] == HANDSHAKE_SERVER_HELLO {
            let hello = &self.hello[..usize::from(self.hello_len)];
            if let Some(&sid_len) = hello.get(34) {
                let at = 35 + usize::from(sid_len);
                if let Some(suite) = hello.get(at..at + 2) {
                    self.cipher_suite = Some(u16::from_be_bytes([suite[0], suite[1]]));
                }
            }
        }
        // A Certificate message that ended early leaves no fingerprint.
        self.cert = Cert::Idle;
        self.hasher = None;
        self.handshake_header_len = 0;
    }

    fn cert_byte(&mut self, b: u8) {
        self.cert = match self.cert {
            Cert::Idle => Cert::Idle,
            Cert::ListLength { seen: 2 } => Cert::EntryLength { seen: 0, len: 0 },
            Cert::ListLength { seen } => Cert::ListLength { seen: seen + 1 },
            Cert::EntryLength { seen, len } => {
                let len = (len << 8) | u32::from(b);
                if seen < 2 {
                    Cert::EntryLength {
                        seen: seen + 1,
                        len,
                    }
                } else if len == 0 {
                    Cert::Idle
                } else {
                    self.hasher = Some(Sha256::new());
                    Cert::Entry { left: len }
                }
            }
            Cert::Entry { left } => {
                if let Some(h) = self.hasher.as_mut() {
                    h.update([b]);
                }
                if left == 1 {
                    if let Some(h) = self.hasher.take() {
                        self.fingerprint = Some(h.finalize().into());
                    }
                    Cert::Idle
                } else {
                    Cert::Entry { left: left - 1 }
                }
            }
        };
    }
}

/// A transport whose incoming bytes are shown to a [`HandshakeObserver`].
pub struct Observed<T> {
    inner: T,
    /// What was seen so far.
    pub observer: HandshakeObserver,
}

impl<T> Observed<T> {
    /// Wraps `inner`.
    pub const fn new(inner: T) -> Self {
        Self {
            inner,
            observer: HandshakeObserver::new(),
        }
    }
}

impl<T: ErrorType> ErrorType for Observed<T> {
    type Error = T::Error;
}

impl<T: Read> Read for Observed<T> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let n = self.inner.read(buf).await?;
        if !self.observer.encrypted {
            self.observer.feed(&buf[..n]);
        }
        Ok(n)
    }
}

impl<T: Write> Write for Observed<T> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        self.inner.write(buf).await
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush().await
    }
}

/// The OpenSSL-style name of a cipher suite the router may choose, or `None`.
pub fn suite_name(suite: u16) -> Option<&'static str> {
    Some(match suite {
        0xC02F => "ECDHE-RSA-AES128-GCM-SHA256",
        0xC030 => "ECDHE-RSA-AES256-GCM-SHA384",
        0xC02B => "ECDHE-ECDSA-AES128-GCM-SHA256",
        0xC02C => "ECDHE-ECDSA-AES256-GCM-SHA384",
        0xCCA8 => "ECDHE-RSA-CHACHA20-POLY1305",
        0xCCA9 => "ECDHE-ECDSA-CHACHA20-POLY1305",
        0x009E => "DHE-RSA-AES128-GCM-SHA256",
        0x009F => "DHE-RSA-AES256-GCM-SHA384",
        0x0033 => "DHE-RSA-AES128-SHA",
        0x0039 => "DHE-RSA-AES256-SHA",
        0xC013 => "ECDHE-RSA-AES128-SHA",
        0xC014 => "ECDHE-RSA-AES256-SHA",
        0x009C => "AES128-GCM-SHA256",
        0x009D => "AES256-GCM-SHA384",
        0x1301 => "TLS_AES_128_GCM_SHA256",
        0x1302 => "TLS_AES_256_GCM_SHA384",
        0x1303 => "TLS_CHACHA20_POLY1305_SHA256",
        _ => return None,
    })
}

/// The name of a TLS alert description (RFC 8446 section 6), or `None`.
pub fn alert_name(description: u8) -> Option<&'static str> {
    Some(match description {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        40 => "handshake_failure",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        50 => "decode_error",
        51 => "decrypt_error",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        109 => "missing_extension",
        110 => "unsupported_extension",
        112 => "unrecognized_name",
        116 => "certificate_required",
        120 => "no_application_protocol",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    const RECORD_CHANGE_CIPHER_SPEC: u8 = 20;

    fn record(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut r = std::vec![kind, 3, 3];
        r.extend_from_slice(&(body.len() as u16).to_be_bytes());
        r.extend_from_slice(body);
        r
    }

    fn handshake(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut m = std::vec![kind];
        m.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        m.extend_from_slice(body);
        m
    }

    fn server_hello(suite: u16) -> Vec<u8> {
        let mut b = std::vec![3, 3];
        b.extend_from_slice(&[7; 32]);
        b.push(32);
        b.extend_from_slice(&[9; 32]);
        b.extend_from_slice(&suite.to_be_bytes());
        b.push(0); // compression
        b.extend_from_slice(&[0, 5, 0xff, 1, 0, 1, 0]); // extensions
        handshake(HANDSHAKE_SERVER_HELLO, &b)
    }

    fn certificate(certs: &[&[u8]]) -> Vec<u8> {
        let mut list = Vec::new();
        for c in certs {
            list.extend_from_slice(&(c.len() as u32).to_be_bytes()[1..]);
            list.extend_from_slice(c);
        }
        let mut b = (list.len() as u32).to_be_bytes()[1..].to_vec();
        b.extend_from_slice(&list);
        handshake(HANDSHAKE_CERTIFICATE, &b)
    }

    /// A TLS 1.2 server flight: ServerHello and Certificate (split over two records), a
    /// ServerHelloDone, then ChangeCipherSpec and an encrypted record.
    fn tls12_flight(leaf: &[u8], ca: &[u8]) -> Vec<u8> {
        let mut messages = server_hello(0xC030);
        messages.extend(certificate(&[leaf, ca]));
        messages.extend(handshake(14, &[]));
        let (a, b) = messages.split_at(150);
        let mut out = record(RECORD_HANDSHAKE, a);
        out.extend(record(RECORD_HANDSHAKE, b));
        out.extend(record(RECORD_CHANGE_CIPHER_SPEC, &[1]));
        out.extend(record(RECORD_HANDSHAKE, &certificate(&[b"not in clear"])));
        out
    }

    #[test]
    fn fingerprint_suite_and_end_in_any_chunking() {
        let leaf: Vec<u8> = (0..700u32).map(|i| (i * 7) as u8).collect();
        let ca = [0x30u8; 300];
        let flight = tls12_flight(&leaf, &ca);
        let want: [u8; 32] = Sha256::digest(&leaf).into();
        for chunk in [1, 2, 3, 5, 64, 1000, flight.len()] {
            let mut o = HandshakeObserver::new();
            for part in flight.chunks(chunk) {
                o.feed(part);
            }
            assert_eq!(o.fingerprint, Some(want), "chunk {chunk}");
            assert_eq!(o.cipher_suite, Some(0xC030));
            assert_eq!(suite_name(0xC030), Some("ECDHE-RSA-AES256-GCM-SHA384"));
            assert!(o.encrypted);
            assert_eq!(o.alert, None);
        }
    }

    #[test]
    fn alert_in_clear() {
        let mut o = HandshakeObserver::new();
        o.feed(&record(RECORD_ALERT, &[2, 40]));
        assert_eq!(o.alert, Some((2, 40)));
        assert_eq!(alert_name(40), Some("handshake_failure"));
        assert_eq!(o.fingerprint, None);
    }

    #[test]
    fn tls13_certificate_is_not_seen() {
        let mut flight = record(RECORD_HANDSHAKE, &server_hello(0x1301));
        flight.extend(record(RECORD_CHANGE_CIPHER_SPEC, &[1]));
        flight.extend(record(23, &[0xAA; 40]));
        let mut o = HandshakeObserver::new();
        o.feed(&flight);
        assert_eq!(o.cipher_suite, Some(0x1301));
        assert_eq!(o.fingerprint, None);
        assert!(o.encrypted);
    }

    #[test]
    fn garbage_never_panics_nor_invents_a_fingerprint() {
        let mut o = HandshakeObserver::new();
        let mut x = 0x1234_5678u32;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            o.feed(&[
                22,
                3,
                3,
                0,
                (x % 40) as u8,
                11,
                0,
                0,
                (x >> 8) as u8,
                (x >> 16) as u8,
            ]);
        }
        // Truncated or empty certificate messages leave no fingerprint behind.
        let mut o = HandshakeObserver::new();
        o.feed(&record(
            RECORD_HANDSHAKE,
            &handshake(HANDSHAKE_CERTIFICATE, &[0, 0, 0]),
        ));
        assert_eq!(o.fingerprint, None);
        let mut short = certificate(&[&[1, 2, 3]]);
        short.truncate(short.len() - 1);
        short[3] -= 1; // the message claims only what is there
        let mut o = HandshakeObserver::new();
        o.feed(&record(RECORD_HANDSHAKE, &short));
        assert_eq!(o.fingerprint, None);
    }
}
