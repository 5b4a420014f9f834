//! Connection settings: a builder, and parsing from `key=value` text.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::error::ConfigError;
use crate::Fingerprint;

/// The plain API port.
pub const API_PORT: u16 = 8728;
/// The API-SSL port: TLS unless told otherwise.
pub const API_SSL_PORT: u16 = 8729;

/// Whether to speak TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TlsMode {
    /// TLS when the port is 8729 (api-ssl), plain otherwise. The default.
    #[default]
    Auto,
    /// Plain TCP, whatever the port.
    Disable,
    /// TLS, whatever the port (8729 when no port is given).
    Require,
}

/// How the router's certificate is checked.
#[derive(Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Verify {
    /// Against trusted CAs (the system's, or the ones given with [`Config::ca_file`]) and for
    /// the host name. The default.
    #[default]
    Ca,
    /// The router's certificate must have this SHA-256 fingerprint (for self-signed routers);
    /// the CA and the host name are not checked, the handshake signature is.
    Fingerprint(Fingerprint),
    /// Anything is accepted: anyone on the path can read and change the traffic, including
    /// the password. Warned about at run time.
    InsecureSkipVerify,
    /// No certificate at all: anonymous Diffie-Hellman (`ADH-AES256-GCM-SHA384`,
    /// `ADH-AES256-SHA`) through OpenSSL, what api-ssl without a certificate offers.
    /// Authenticates nobody, like [`InsecureSkipVerify`](Self::InsecureSkipVerify); warned
    /// about at run time. Needs the `openssl` feature.
    AnonymousDh,
}

impl fmt::Debug for Verify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ca => f.write_str("Ca"),
            Self::Fingerprint(fp) => write!(f, "Fingerprint({fp})"),
            Self::InsecureSkipVerify => f.write_str("InsecureSkipVerify"),
            Self::AnonymousDh => f.write_str("AnonymousDh"),
        }
    }
}

/// Which TLS implementation carries a verified connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TlsBackend {
    /// rustls: TLS 1.2 and 1.3 with ECDHE suites. Reaches RouterOS 7 and TLS 1.3 terminators.
    #[default]
    Rustls,
    /// The system's OpenSSL (feature `openssl`): also DHE-RSA suites and TLS 1.0/1.1, which
    /// RouterOS 6 routers may need. Verification works as with rustls.
    OpenSsl,
}

/// Where security warnings (skipped verification, anonymous TLS) go.
#[derive(Clone, Copy, Default)]
#[non_exhaustive]
pub enum Warnings {
    /// One line on standard error. The default: these warnings must be seen.
    #[default]
    Stderr,
    /// The `log` facade at level `warn`.
    Log,
    /// A function of the caller's.
    Call(fn(Warning)),
}

impl fmt::Debug for Warnings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Stderr => "Stderr",
            Self::Log => "Log",
            Self::Call(_) => "Call",
        })
    }
}

/// A security warning given when a connection is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// The router's certificate was not verified.
    InsecureSkipVerify,
    /// Anonymous Diffie-Hellman: nobody was authenticated.
    AnonymousDh,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::InsecureSkipVerify => {
                "TLS certificate verification is OFF (insecure skip verify): anyone on the \
                 path can read the password and change the traffic; pin the router's \
                 certificate with a SHA-256 fingerprint instead"
            }
            Self::AnonymousDh => {
                "anonymous TLS (ADH): the router is not authenticated, anyone on the path can \
                 read the password and change the traffic; give the router's api-ssl a \
                 certificate and pin its fingerprint instead"
            }
        })
    }
}

impl Warnings {
    pub(crate) fn emit(self, warning: Warning) {
        match self {
            Self::Stderr => eprintln!("warning: {warning}"),
            Self::Log => log::warn!("{warning}"),
            Self::Call(f) => f(warning),
        }
    }
}

/// A password: `Debug` never shows it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// The password text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Password {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl From<String> for Password {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// TCP keepalive: probes start after `idle` without traffic, every `interval`, and the
/// connection is dropped after `retries` unanswered probes (where the system allows setting
/// them), so a router that vanished without a FIN or RST is noticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keepalive {
    /// Idle time before the first probe.
    pub idle: Duration,
    /// Time between probes.
    pub interval: Duration,
    /// Unanswered probes before the connection is dropped.
    pub retries: u32,
}

impl Default for Keepalive {
    /// 60 s idle, then a probe every 10 s, 3 probes: a dead peer is noticed within 90 s.
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(60),
            interval: Duration::from_secs(10),
            retries: 3,
        }
    }
}

/// Everything needed to reach and log in to a router.
///
/// Build it with the setters, or parse `key=value` pairs separated by spaces (the keys are the
/// setters' names; durations in milliseconds):
///
/// ```
/// use routeros_tokio::{Config, TlsMode};
/// let config: Config = "host=192.168.88.1 user=monitor port=8729 fingerprint=\
///     7a:0e:55:3b:f4:3c:62:44:91:b4:6f:25:8d:06:0c:96:23:6b:4c:1d:a0:7f:ab:33:0c:f8:3e:bd:5c:61:f0:1e \
///     connect_timeout=3000"
///     .parse()
///     .unwrap();
/// assert_eq!(config.get_port(), 8729);
/// assert!(config.uses_tls());
/// // The password is never shown.
/// let config = config.password("s3cret");
/// assert!(!format!("{config:?}").contains("s3cret"));
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) host: String,
    pub(crate) port: Option<u16>,
    pub(crate) user: String,
    pub(crate) password: Password,
    pub(crate) tls: TlsMode,
    pub(crate) verify: Verify,
    pub(crate) ca_files: Vec<PathBuf>,
    pub(crate) ca_pem: Vec<Vec<u8>>,
    pub(crate) server_name: Option<String>,
    pub(crate) backend: TlsBackend,
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) login_timeout: Option<Duration>,
    pub(crate) command_timeout: Option<Duration>,
    pub(crate) keepalive: Option<Keepalive>,
    pub(crate) rx_buffer: usize,
    pub(crate) tx_buffer: usize,
    pub(crate) warnings: Warnings,
}

impl Default for Config {
    fn default() -> Self {
        Self::new()
    }
}

impl Config {
    /// Default receive buffer: bounds the largest reply sentence (RouterOS sends words of up to
    /// 64 KiB, e.g. `/tool/fetch output=user`).
    pub const DEFAULT_RX_BUFFER: usize = 128 * 1024;
    /// Default send buffer: bounds the largest command.
    pub const DEFAULT_TX_BUFFER: usize = 8 * 1024;

    /// `localhost`, user `admin` with an empty password, TLS by port, CA verification,
    /// 10 s to connect, 10 s to log in, no command timeout, keepalive on.
    pub fn new() -> Self {
        Self {
            host: "localhost".to_owned(),
            port: None,
            user: "admin".to_owned(),
            password: Password::default(),
            tls: TlsMode::Auto,
            verify: Verify::Ca,
            ca_files: Vec::new(),
            ca_pem: Vec::new(),
            server_name: None,
            backend: TlsBackend::Rustls,
            connect_timeout: Some(Duration::from_secs(10)),
            login_timeout: Some(Duration::from_secs(10)),
            command_timeout: None,
            keepalive: Some(Keepalive::default()),
            rx_buffer: Self::DEFAULT_RX_BUFFER,
            tx_buffer: Self::DEFAULT_TX_BUFFER,
            warnings: Warnings::Stderr,
        }
    }

    /// The router's host name or address.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = host.into();
        self
    }

    /// The port; without one, 8729 when TLS is required and 8728 otherwise.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// The user to log in as.
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = user.into();
        self
    }

    /// The password.
    pub fn password(mut self, password: impl Into<Password>) -> Self {
        self.password = password.into();
        self
    }

    /// TLS or not; [`TlsMode::Auto`] (the default) means TLS on port 8729.
    pub fn tls(mut self, mode: TlsMode) -> Self {
        self.tls = mode;
        self
    }

    /// How the certificate is checked.
    pub fn verify(mut self, verify: Verify) -> Self {
        self.verify = verify;
        self
    }

    /// Trust the CA certificates in this PEM file (instead of the system's).
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_files.push(path.into());
        self
    }

    /// Trust the CA certificates in this PEM text (instead of the system's).
    pub fn ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_pem.push(pem.into());
        self
    }

    /// Pin the router's certificate by its SHA-256 fingerprint (see [`Verify::Fingerprint`]).
    pub fn fingerprint(self, fingerprint: Fingerprint) -> Self {
        self.verify(Verify::Fingerprint(fingerprint))
    }

    /// Skip certificate verification (see [`Verify::InsecureSkipVerify`]).
    pub fn insecure_skip_verify(self) -> Self {
        self.verify(Verify::InsecureSkipVerify)
    }

    /// Anonymous Diffie-Hellman through OpenSSL (see [`Verify::AnonymousDh`]).
    pub fn anonymous_dh(self) -> Self {
        self.verify(Verify::AnonymousDh)
    }

    /// The name the certificate must carry, when it differs from the host connected to.
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    /// The TLS implementation for verified connections.
    pub fn backend(mut self, backend: TlsBackend) -> Self {
        self.backend = backend;
        self
    }

    /// Bound on resolving and connecting (each address tried); `None` for none.
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Bound on the TLS handshake and the login together; `None` for none.
    pub fn login_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.login_timeout = timeout;
        self
    }

    /// Bound on each wait for the router once logged in: a read or write that makes no
    /// progress for this long fails with an I/O error of kind `TimedOut` (the client then
    /// reports `Error::Io(TimedOut)` and must be reconnected). Streams whose rows come less
    /// often than this need a longer bound or `None` (the default).
    pub fn command_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.command_timeout = timeout;
        self
    }

    /// TCP keepalive settings; `None` turns keepalive off.
    pub fn keepalive(mut self, keepalive: Option<Keepalive>) -> Self {
        self.keepalive = keepalive;
        self
    }

    /// Receive buffer size: the largest reply sentence the client can take.
    pub fn rx_buffer(mut self, bytes: usize) -> Self {
        self.rx_buffer = bytes;
        self
    }

    /// Send buffer size: the largest command the client can send.
    pub fn tx_buffer(mut self, bytes: usize) -> Self {
        self.tx_buffer = bytes;
        self
    }

    /// Where security warnings go.
    pub fn warnings(mut self, warnings: Warnings) -> Self {
        self.warnings = warnings;
        self
    }

    /// The host.
    pub fn get_host(&self) -> &str {
        &self.host
    }

    /// Whether the connection will use TLS.
    pub fn uses_tls(&self) -> bool {
        match self.tls {
            TlsMode::Disable => false,
            TlsMode::Require => true,
            TlsMode::Auto => self.port == Some(API_SSL_PORT),
        }
    }

    /// The port that will be used.
    pub fn get_port(&self) -> u16 {
        self.port.unwrap_or(if self.tls == TlsMode::Require {
            API_SSL_PORT
        } else {
            API_PORT
        })
    }

    /// The user.
    pub fn get_user(&self) -> &str {
        &self.user
    }

    /// The verification mode.
    pub fn get_verify(&self) -> &Verify {
        &self.verify
    }

    /// The receive buffer size.
    pub fn get_rx_buffer(&self) -> usize {
        self.rx_buffer
    }
}

fn millis(key: &str, value: &str) -> Result<Option<Duration>, ConfigError> {
    let ms: u64 = value.parse().map_err(|_| ConfigError::Value {
        key: key.to_owned(),
        expected: "milliseconds",
    })?;
    Ok((ms > 0).then(|| Duration::from_millis(ms)))
}

fn bytes(key: &str, value: &str) -> Result<usize, ConfigError> {
    value.parse().map_err(|_| ConfigError::Value {
        key: key.to_owned(),
        expected: "a number of bytes",
    })
}

impl FromStr for Config {
    type Err = ConfigError;

    /// Parses space-separated `key=value` pairs: `host`, `port`, `user`, `password`,
    /// `tls` (`auto`, `disable`, `require`), `ca_file`, `fingerprint`,
    /// `insecure_skip_verify` (`true`), `anonymous_dh` (`true`), `server_name`,
    /// `backend` (`rustls`, `openssl`), `connect_timeout`, `login_timeout`,
    /// `command_timeout` (milliseconds, 0 for none), `keepalive` (`false` for off),
    /// `rx_buffer`, `tx_buffer` (bytes).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut config = Config::new();
        for pair in s.split_whitespace() {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| ConfigError::Syntax(pair.to_owned()))?;
            let flag = |expected| match value {
                "true" | "yes" | "on" => Ok(true),
                "false" | "no" | "off" => Ok(false),
                _ => Err(ConfigError::Value {
                    key: key.to_owned(),
                    expected,
                }),
            };
            config = match key {
                "host" => config.host(value),
                "port" => config.port(value.parse().map_err(|_| ConfigError::Value {
                    key: key.to_owned(),
                    expected: "a port number",
                })?),
                "user" => config.user(value),
                "password" => config.password(value),
                "tls" => config.tls(match value {
                    "auto" => TlsMode::Auto,
                    "disable" | "off" | "false" => TlsMode::Disable,
                    "require" | "on" | "true" => TlsMode::Require,
                    _ => {
                        return Err(ConfigError::Value {
                            key: key.to_owned(),
                            expected: "auto, disable or require",
                        })
                    }
                }),
                "ca_file" => config.ca_file(value),
                "fingerprint" => config.fingerprint(value.parse()?),
                "insecure_skip_verify" => match flag("true or false")? {
                    true => config.insecure_skip_verify(),
                    false => config,
                },
                "anonymous_dh" => match flag("true or false")? {
                    true => config.anonymous_dh(),
                    false => config,
                },
                "server_name" => config.server_name(value),
                "backend" => config.backend(match value {
                    "rustls" => TlsBackend::Rustls,
                    "openssl" => TlsBackend::OpenSsl,
                    _ => {
                        return Err(ConfigError::Value {
                            key: key.to_owned(),
                            expected: "rustls or openssl",
                        })
                    }
                }),
                "connect_timeout" => config.connect_timeout(millis(key, value)?),
                "login_timeout" => config.login_timeout(millis(key, value)?),
                "command_timeout" => config.command_timeout(millis(key, value)?),
                "keepalive" => match flag("true or false")? {
                    true => config.keepalive(Some(Keepalive::default())),
                    false => config.keepalive(None),
                },
                "rx_buffer" => config.rx_buffer(bytes(key, value)?),
                "tx_buffer" => config.tx_buffer(bytes(key, value)?),
                _ => return Err(ConfigError::UnknownKey(key.to_owned())),
            };
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_and_tls_follow_each_other() {
        let c = Config::new();
        assert_eq!((c.get_port(), c.uses_tls()), (8728, false));
        let c = Config::new().port(8729);
        assert_eq!((c.get_port(), c.uses_tls()), (8729, true));
        let c = Config::new().tls(TlsMode::Require);
        assert_eq!((c.get_port(), c.uses_tls()), (8729, true));
        let c = Config::new().tls(TlsMode::Require).port(443);
        assert_eq!((c.get_port(), c.uses_tls()), (443, true));
        let c = Config::new().tls(TlsMode::Disable).port(8729);
        assert_eq!((c.get_port(), c.uses_tls()), (8729, false));
    }

    #[test]
    fn parse_pairs() {
        let c: Config = "host=r1 port=18729 tls=require user=mon password=pw command_timeout=0 \
                         connect_timeout=250 keepalive=off rx_buffer=4096 insecure_skip_verify=true"
            .parse()
            .unwrap();
        assert_eq!(c.host, "r1");
        assert_eq!(c.get_port(), 18729);
        assert!(c.uses_tls());
        assert_eq!(c.user, "mon");
        assert_eq!(c.password.expose(), "pw");
        assert_eq!(c.command_timeout, None);
        assert_eq!(c.connect_timeout, Some(Duration::from_millis(250)));
        assert_eq!(c.keepalive, None);
        assert_eq!(c.rx_buffer, 4096);
        assert_eq!(c.verify, Verify::InsecureSkipVerify);
        assert!(!format!("{c:?}").contains("pw\""));
    }

    #[test]
    fn parse_errors_are_typed() {
        assert_eq!(
            "host".parse::<Config>().unwrap_err(),
            ConfigError::Syntax("host".into())
        );
        assert_eq!(
            "colour=red".parse::<Config>().unwrap_err(),
            ConfigError::UnknownKey("colour".into())
        );
        assert!(matches!(
            "port=x".parse::<Config>().unwrap_err(),
            ConfigError::Value { .. }
        ));
        assert!(matches!(
            "fingerprint=zz".parse::<Config>().unwrap_err(),
            ConfigError::Fingerprint
        ));
    }

    #[test]
    fn password_is_redacted() {
        let c = Config::new().password("hunter2");
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
