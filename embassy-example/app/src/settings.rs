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

/// How to run TLS to the router (TLS 1.3 only, see the README).
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TlsSettings<'a> {
    /// The name sent in SNI and matched against the certificate's subject alternative names
    /// (DNS names) or common name. IP-address names are not matched by the verifier: give
    /// the router's certificate a DNS name.
    pub server_name: &'a str,
    /// How the router's certificate is checked.
    pub verify: TlsVerify<'a>,
}

/// How the router's certificate is checked. Verification is on unless the loudly named
/// opt-out is chosen.
#[derive(Clone, Copy)]
pub enum TlsVerify<'a> {
    /// Trust certificates signed by this CA certificate (DER). Chains of one leaf directly
    /// under the CA are supported.
    CaCertificate(&'a [u8]),
    /// Trust only this self-signed router certificate (DER): it acts as its own, single
    /// trust anchor, so the router must present a certificate signed by the same key.
    PinnedSelfSigned(&'a [u8]),
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

impl core::fmt::Debug for TlsVerify<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::CaCertificate(der) => write!(f, "CaCertificate({} bytes)", der.len()),
            Self::PinnedSelfSigned(der) => write!(f, "PinnedSelfSigned({} bytes)", der.len()),
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
            Self::InsecureSkipVerificationForLabRoutersOnly => {
                defmt::write!(f, "InsecureSkipVerificationForLabRoutersOnly")
            }
        }
    }
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
