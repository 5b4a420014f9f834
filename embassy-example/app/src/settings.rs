//! What the firmware connects to, and how.

use embassy_net::Ipv4Address;

/// The RouterOS API port without TLS.
pub const PLAIN_PORT: u16 = 8728;
/// The RouterOS API-SSL port.
pub const TLS_PORT: u16 = 8729;

/// The router to monitor and the credentials to log in with.
///
/// `Debug` never shows the password.
#[derive(Clone, Copy)]
pub struct RouterSettings<'a> {
    /// The router's IPv4 address.
    pub address: Ipv4Address,
    /// The API port ([`PLAIN_PORT`] or [`TLS_PORT`] unless the router was reconfigured).
    pub port: u16,
    /// The API user.
    pub username: &'a str,
    /// The API user's password.
    pub password: &'a str,
    /// The interface whose traffic is streamed (`ether1`).
    pub interface: &'a str,
    /// TLS settings, or `None` for a plain connection.
    pub tls: Option<TlsSettings<'a>>,
    /// Stop after this many traffic samples in total (across reconnects); `None` runs forever.
    pub max_samples: Option<u32>,
}

impl core::fmt::Debug for RouterSettings<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RouterSettings")
            .field("address", &self.address)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("interface", &self.interface)
            .field("tls", &self.tls)
            .field("max_samples", &self.max_samples)
            .finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for RouterSettings<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "RouterSettings {{ address: {}, port: {}, username: {=str}, password: <redacted>, interface: {=str}, tls: {}, max_samples: {} }}",
            self.address,
            self.port,
            self.username,
            self.interface,
            self.tls,
            self.max_samples
        )
    }
}

/// How to run TLS to the router.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TlsSettings<'a> {
    /// The name sent in SNI and matched against the certificate's subject alternative names
    /// (DNS names) or common name. Give the router's certificate a DNS name. Not checked with
    /// [`TlsVerify::PinnedFingerprint`] (the fingerprint names one certificate exactly).
    pub server_name: &'a str,
    /// How the router's certificate is checked.
    pub verify: TlsVerify<'a>,
    /// Which TLS implementation runs the connection.
    pub stack: TlsStack,
}

impl<'a> TlsSettings<'a> {
    /// TLS through the default stack ([`TlsStack::MbedTls`]).
    pub const fn new(server_name: &'a str, verify: TlsVerify<'a>) -> Self {
        Self {
            server_name,
            verify,
            stack: TlsStack::MbedTls,
        }
    }
}

/// The TLS implementation used for a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TlsStack {
    /// MbedTLS 3.x (`mbedtls-rs`): TLS 1.2, and TLS 1.3 where the server offers it. Key
    /// exchanges ECDHE-RSA, ECDHE-ECDSA and DHE-RSA with AES-GCM (and MbedTLS's other default
    /// suites). What reaches RouterOS api-ssl, which speaks TLS 1.2 at most.
    #[default]
    MbedTls,
    /// `embedded-tls` (cargo feature `embedded-tls`): TLS 1.3 only (TLS_AES_128_GCM_SHA256).
    /// Reaches a TLS 1.3 terminator in front of a router, never a router directly.
    EmbeddedTls13,
}

/// How the router's certificate is checked. Verification is on unless the loudly named
/// opt-out is chosen.
#[derive(Clone, Copy)]
pub enum TlsVerify<'a> {
    /// Trust certificates signed by this CA certificate (DER).
    CaCertificate(&'a [u8]),
    /// Trust only this self-signed router certificate (DER): it acts as its own, single
    /// trust anchor, so the router must present exactly this certificate (or one signed by
    /// the same key); the server name is checked as well.
    PinnedSelfSigned(&'a [u8]),
    /// Trust only the certificate whose DER encoding has this SHA-256 fingerprint (what
    /// `openssl x509 -noout -fingerprint -sha256` prints). The router's handshake signature is
    /// still checked against that certificate's key; the name and dates are not. MbedTLS stack
    /// only, TLS 1.2 only (in TLS 1.3 the certificate travels encrypted).
    PinnedFingerprint([u8; 32]),
    /// Do not verify the certificate at all. The connection is encrypted but anyone on the
    /// path can impersonate the router and read the password. Only for lab routers with
    /// throw-away self-signed certificates.
    InsecureSkipVerificationForLabRoutersOnly,
}

impl TlsVerify<'_> {
    /// Whether the certificate is checked.
    pub fn verifies(&self) -> bool {
        !matches!(self, Self::InsecureSkipVerificationForLabRoutersOnly)
    }
}

struct Hex<'a>(&'a [u8]);

impl core::fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

/// Writes a SHA-256 fingerprint as `AB:CD:...` (the form `openssl` prints).
pub fn fmt_fingerprint(fp: &[u8; 32], f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
    write!(f, "{}", Hex(fp))
}

impl core::fmt::Debug for TlsVerify<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::CaCertificate(der) => write!(f, "CaCertificate({} bytes)", der.len()),
            Self::PinnedSelfSigned(der) => write!(f, "PinnedSelfSigned({} bytes)", der.len()),
            Self::PinnedFingerprint(fp) => write!(f, "PinnedFingerprint(sha256 {})", Hex(fp)),
            Self::InsecureSkipVerificationForLabRoutersOnly => {
                f.write_str("InsecureSkipVerificationForLabRoutersOnly")
            }
        }
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for TlsVerify<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self {
            Self::CaCertificate(der) => defmt::write!(f, "CaCertificate({} bytes)", der.len()),
            Self::PinnedSelfSigned(der) => {
                defmt::write!(f, "PinnedSelfSigned({} bytes)", der.len())
            }
            Self::PinnedFingerprint(fp) => {
                defmt::write!(f, "PinnedFingerprint(sha256 {=[u8]:02X})", fp[..])
            }
            Self::InsecureSkipVerificationForLabRoutersOnly => {
                defmt::write!(f, "InsecureSkipVerificationForLabRoutersOnly")
            }
        }
    }
}

/// Parses a SHA-256 fingerprint: 64 hex digits, optionally separated by `:` (as `openssl x509
/// -fingerprint -sha256` prints it, with or without its `sha256 Fingerprint=` prefix) or
/// spaces. `None` if it is not exactly 32 bytes of hex.
///
/// ```
/// use routeros_embassy_app::settings::parse_fingerprint;
/// let colons = "sha256 Fingerprint=0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9";
/// let fp = parse_fingerprint(colons).unwrap();
/// assert_eq!(&fp[..3], &[0x0a, 0x1b, 0x2c]);
/// assert_eq!(parse_fingerprint(&colons[19..].replace(':', "").to_lowercase()), Some(fp));
/// assert!(parse_fingerprint("0A:1B").is_none());
/// assert!(parse_fingerprint(&"zz".repeat(32)).is_none());
/// ```
pub fn parse_fingerprint(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    let text = match text.rsplit_once('=') {
        Some((prefix, rest))
            if prefix
                .as_bytes()
                .windows(11)
                .any(|w| w.eq_ignore_ascii_case(b"fingerprint")) =>
        {
            rest
        }
        _ => text,
    };
    let mut out = [0u8; 32];
    let mut n = 0usize;
    let mut high: Option<u8> = None;
    for c in text.bytes() {
        let v = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            b':' | b' ' if high.is_none() => continue,
            _ => return None,
        };
        match high.take() {
            None => high = Some(v),
            Some(h) => {
                *out.get_mut(n)? = (h << 4) | v;
                n += 1;
            }
        }
    }
    (n == 32 && high.is_none()).then_some(out)
}

/// Parses a dotted IPv4 address (`192.168.88.1`) without allocating; `None` if malformed.
///
/// ```
/// use routeros_embassy_app::settings::parse_ipv4;
/// assert_eq!(parse_ipv4("10.0.0.1").map(|a| a.octets()), Some([10, 0, 0, 1]));
/// assert!(parse_ipv4("10.0.0").is_none());
/// assert!(parse_ipv4("10.0.0.256").is_none());
/// ```
pub fn parse_ipv4(text: &str) -> Option<Ipv4Address> {
    let mut octets = [0u8; 4];
    let mut parts = text.split('.');
    for octet in &mut octets {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *octet = part.parse().ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(Ipv4Address::from(octets))
}
