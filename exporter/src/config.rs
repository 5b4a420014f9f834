//! The TOML configuration: exporter settings, collectors, routers.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::collect::Collector;

/// What can be wrong with a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The TOML is malformed or has unknown keys.
    Parse(String),
    /// A value is out of range or inconsistent; the text says which.
    Invalid(String),
    /// A password could not be obtained (missing variable or unreadable file).
    Password {
        /// The router.
        router: String,
        /// Why.
        reason: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read { path, reason } => write!(f, "cannot read {}: {reason}", path.display()),
            Self::Parse(e) => write!(f, "configuration: {e}"),
            Self::Invalid(e) => write!(f, "configuration: {e}"),
            Self::Password { router, reason } => {
                write!(f, "router {}: password: {reason}", router.escape_debug())
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// A secret string: never shown by `Debug` or `Display`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The secret itself, for the login sentence only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// TLS (API-SSL) settings of a router.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tls {
    /// PEM file of CA certificates to verify the router against (else the system roots).
    pub ca_file: Option<PathBuf>,
    /// SHA-256 fingerprint of the router's certificate (hex, colons allowed): pin it instead of
    /// verifying a chain.
    pub fingerprint: Option<String>,
    /// Skip verification entirely (encrypts, authenticates nobody).
    pub insecure: bool,
    /// Name to verify the certificate against (default: the address).
    pub server_name: Option<String>,
}

/// One router, resolved.
#[derive(Debug, Clone)]
pub struct Router {
    /// Unique name: the `router` label and the `/probe?target=` key.
    pub name: String,
    /// Host name or IP address.
    pub address: String,
    /// API port (default 8728, or 8729 with TLS).
    pub port: u16,
    /// TLS settings; `None` for plain TCP.
    pub tls: Option<Tls>,
    /// User name.
    pub user: String,
    /// Password.
    pub password: Secret,
    /// Extra labels on every series of this router.
    pub labels: Vec<(String, String)>,
}

impl Router {
    /// The connector's settings for this router: address, TLS and verification, user and
    /// password, time bounds and keepalive from `timing`.
    pub fn connector(&self, timing: &Timing) -> Result<routeros_tokio::Config, ConfigError> {
        use routeros_tokio::{Fingerprint, Keepalive, TlsMode, Warnings};
        let mut c = routeros_tokio::Config::new()
            .host(self.address.clone())
            .port(self.port)
            .user(self.user.clone())
            .password(self.password.expose())
            .connect_timeout(Some(timing.timeout))
            .login_timeout(Some(timing.timeout))
            .command_timeout(None)
            .keepalive(timing.keepalive.map(|idle| Keepalive {
                idle,
                interval: (idle / 3).max(Duration::from_secs(1)),
                retries: 3,
            }))
            .rx_buffer(crate::router::RX_BYTES)
            .tx_buffer(crate::router::TX_BYTES)
            .warnings(Warnings::Stderr);
        c = match &self.tls {
            None => c.tls(TlsMode::Disable),
            Some(t) => {
                let mut c = c.tls(TlsMode::Require);
                if let Some(ca) = &t.ca_file {
                    c = c.ca_file(ca.clone());
                }
                if let Some(fp) = &t.fingerprint {
                    let fp: Fingerprint = fp.parse().map_err(|_| {
                        ConfigError::Invalid(format!(
                            "router {}: tls.fingerprint is not a SHA-256 fingerprint (64 hex digits, colons allowed)",
                            self.name.escape_debug()
                        ))
                    })?;
                    c = c.fingerprint(fp);
                }
                if t.insecure {
                    c = c.insecure_skip_verify();
                }
                if let Some(n) = &t.server_name {
                    c = c.server_name(n.clone());
                }
                c
            }
        };
        Ok(c)
    }
}

/// Timing of polls, timeouts and back-off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Time between two collections of a router.
    pub interval: Duration,
    /// Deadline of one collection (all collectors), and of connect + login.
    pub timeout: Duration,
    /// First wait after a failed connect; doubles each failure up to `backoff_max`.
    pub backoff_initial: Duration,
    /// First wait after a refused login (wrong password); doubles up to `backoff_max`.
    pub login_backoff_initial: Duration,
    /// Longest wait between two attempts.
    pub backoff_max: Duration,
    /// TCP keepalive idle time on router connections (`None`: off).
    pub keepalive: Option<Duration>,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(10),
            timeout: Duration::from_secs(5),
            backoff_initial: Duration::from_secs(1),
            login_backoff_initial: Duration::from_secs(60),
            backoff_max: Duration::from_secs(600),
            keepalive: Some(Duration::from_secs(30)),
        }
    }
}

/// The whole configuration, resolved and checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// HTTP listen address of `/metrics` and `/probe`.
    pub listen: SocketAddr,
    /// Timing.
    pub timing: Timing,
    /// The collectors that run, in a fixed order.
    pub collectors: Vec<Collector>,
    /// The routers, in file order.
    pub routers: Vec<Router>,
}

/// A duration in TOML: a number of seconds or a string such as `"500ms"`, `"10s"`, `"5m"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum DurationValue {
    Seconds(u64),
    Float(f64),
    Text(String),
}

impl DurationValue {
    fn resolve(&self, key: &str) -> Result<Duration, ConfigError> {
        let bad =
            || ConfigError::Invalid(format!("{key}: not a duration like \"10s\" or \"500ms\""));
        match self {
            Self::Seconds(s) => Ok(Duration::from_secs(*s)),
            Self::Float(f) if f.is_finite() && *f >= 0.0 && *f < 1e9 => {
                Ok(Duration::from_secs_f64(*f))
            }
            Self::Float(_) => Err(bad()),
            Self::Text(t) => parse_duration(t).ok_or_else(bad),
        }
    }
}

/// Parses `"250ms"`, `"10s"`, `"5m"`, `"1h"`, or a plain number of seconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().ok()?;
    let scale = match unit.trim() {
        "" | "s" => 1.0,
        "ms" => 0.001,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return None,
    };
    let secs = n * scale;
    (secs.is_finite() && (0.0..1e9).contains(&secs)).then(|| Duration::from_secs_f64(secs))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileTls {
    #[serde(default)]
    enabled: Option<bool>,
    ca_file: Option<PathBuf>,
    fingerprint: Option<String>,
    #[serde(default)]
    insecure: bool,
    server_name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileRouter {
    name: Option<String>,
    address: Option<String>,
    port: Option<u16>,
    user: Option<String>,
    password: Option<String>,
    password_env: Option<String>,
    password_file: Option<PathBuf>,
    tls: Option<FileTls>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    interval: Option<DurationValue>,
    timeout: Option<DurationValue>,
    backoff_initial: Option<DurationValue>,
    login_backoff_initial: Option<DurationValue>,
    backoff_max: Option<DurationValue>,
    keepalive: Option<DurationValue>,
    #[serde(default)]
    collectors: BTreeMap<String, bool>,
    #[serde(default)]
    defaults: FileRouter,
    #[serde(default)]
    router: Vec<FileRouter>,
}

/// Where passwords come from: the environment, or a stand-in for tests.
pub trait Env {
    /// The value of an environment variable.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

fn valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with("__")
}

impl Config {
    /// Reads and resolves a configuration file (passwords from the process environment).
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        Self::parse(&text, &ProcessEnv)
    }

    /// Parses and resolves a configuration text.
    pub fn parse(text: &str, env: &dyn Env) -> Result<Config, ConfigError> {
        let file: FileConfig =
            toml::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
        let mut timing = Timing::default();
        let set = |slot: &mut Duration,
                   v: &Option<DurationValue>,
                   key: &str|
         -> Result<(), ConfigError> {
            if let Some(v) = v {
                *slot = v.resolve(key)?;
            }
            Ok(())
        };
        set(&mut timing.interval, &file.interval, "interval")?;
        set(&mut timing.timeout, &file.timeout, "timeout")?;
        set(
            &mut timing.backoff_initial,
            &file.backoff_initial,
            "backoff_initial",
        )?;
        set(
            &mut timing.login_backoff_initial,
            &file.login_backoff_initial,
            "login_backoff_initial",
        )?;
        set(&mut timing.backoff_max, &file.backoff_max, "backoff_max")?;
        if let Some(k) = &file.keepalive {
            let d = k.resolve("keepalive")?;
            timing.keepalive = (!d.is_zero()).then_some(d);
        }
        if timing.interval < Duration::from_millis(100) {
            return Err(ConfigError::Invalid(
                "interval must be at least 100ms".into(),
            ));
        }
        if timing.timeout.is_zero()
            || timing.backoff_initial.is_zero()
            || timing.login_backoff_initial.is_zero()
        {
            return Err(ConfigError::Invalid(
                "timeout and back-off times must be above zero".into(),
            ));
        }
        if timing.backoff_max < timing.backoff_initial {
            return Err(ConfigError::Invalid(
                "backoff_max is below backoff_initial".into(),
            ));
        }

        let listen_text = file.listen.as_deref().unwrap_or("127.0.0.1:9436");
        let listen: SocketAddr = listen_text.parse().map_err(|_| {
            ConfigError::Invalid(format!(
                "listen: `{}` is not an address like 0.0.0.0:9436",
                listen_text.escape_debug()
            ))
        })?;

        let mut collectors = Vec::new();
        for name in file.collectors.keys() {
            if Collector::from_name(name).is_none() {
                let known: Vec<&str> = Collector::ALL.iter().map(|c| c.name()).collect();
                return Err(ConfigError::Invalid(format!(
                    "collectors: unknown collector `{}` (known: {})",
                    name.escape_debug(),
                    known.join(", ")
                )));
            }
        }
        for c in Collector::ALL {
            if file
                .collectors
                .get(c.name())
                .copied()
                .unwrap_or(c.default_on())
            {
                collectors.push(*c);
            }
        }

        let mut routers: Vec<Router> = Vec::with_capacity(file.router.len());
        for (i, r) in file.router.iter().enumerate() {
            let router = resolve_router(i, r, &file.defaults, env)?;
            // Settings the connector would refuse are reported now, not at the first connect.
            router.connector(&timing)?;
            if routers.iter().any(|o| o.name == router.name) {
                return Err(ConfigError::Invalid(format!(
                    "router name `{}` is used twice",
                    router.name.escape_debug()
                )));
            }
            routers.push(router);
        }
        Ok(Config {
            listen,
            timing,
            collectors,
            routers,
        })
    }
}

fn resolve_router(
    index: usize,
    r: &FileRouter,
    d: &FileRouter,
    env: &dyn Env,
) -> Result<Router, ConfigError> {
    let name = r
        .name
        .clone()
        .ok_or_else(|| ConfigError::Invalid(format!("router #{}: `name` is missing", index + 1)))?;
    if name.is_empty() {
        return Err(ConfigError::Invalid(format!(
            "router #{}: `name` is empty",
            index + 1
        )));
    }
    let address = r
        .address
        .clone()
        .or_else(|| d.address.clone())
        .ok_or_else(|| {
            ConfigError::Invalid(format!(
                "router {}: `address` is missing",
                name.escape_debug()
            ))
        })?;
    let tls_file = r.tls.as_ref().or(d.tls.as_ref());
    let tls = match tls_file {
        Some(t) if t.enabled.unwrap_or(true) => {
            if t.insecure && t.fingerprint.is_some() {
                return Err(ConfigError::Invalid(format!(
                    "router {}: tls.insecure and tls.fingerprint exclude each other",
                    name.escape_debug()
                )));
            }
            Some(Tls {
                ca_file: t.ca_file.clone(),
                fingerprint: t.fingerprint.clone(),
                insecure: t.insecure,
                server_name: t.server_name.clone(),
            })
        }
        _ => None,
    };
    let port = r
        .port
        .or(d.port)
        .unwrap_or(if tls.is_some() { 8729 } else { 8728 });
    let user = r
        .user
        .clone()
        .or_else(|| d.user.clone())
        .unwrap_or_else(|| "admin".into());
    // The router's own password setting wins over any default one, whichever kind it is.
    let own = r.password.is_some() || r.password_env.is_some() || r.password_file.is_some();
    let src = if own { r } else { d };
    let kinds = [
        src.password.is_some(),
        src.password_env.is_some(),
        src.password_file.is_some(),
    ];
    if kinds.iter().filter(|k| **k).count() > 1 {
        return Err(ConfigError::Invalid(format!(
            "router {}: give only one of password, password_env, password_file",
            name.escape_debug()
        )));
    }
    let password = if let Some(p) = &src.password {
        Secret::new(p.clone())
    } else if let Some(var) = &src.password_env {
        Secret::new(env.var(var).ok_or_else(|| ConfigError::Password {
            router: name.clone(),
            reason: format!("environment variable {} is not set", var.escape_debug()),
        })?)
    } else if let Some(path) = &src.password_file {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Password {
            router: name.clone(),
            reason: format!("{}: {e}", path.display()),
        })?;
        // One trailing line break is the file's, not the password's.
        let text = text.strip_suffix('\n').unwrap_or(&text);
        Secret::new(text.strip_suffix('\r').unwrap_or(text))
    } else {
        Secret::default()
    };
    let mut labels: BTreeMap<String, String> = d.labels.clone();
    labels.extend(r.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
    for key in labels.keys() {
        if !valid_label_name(key) || crate::metrics::RESERVED_LABELS.contains(&key.as_str()) {
            return Err(ConfigError::Invalid(format!(
                "router {}: `{}` cannot be a label name",
                name.escape_debug(),
                key.escape_debug()
            )));
        }
    }
    Ok(Router {
        name,
        address,
        port,
        tls,
        user,
        password,
        labels: labels.into_iter().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct FakeEnv;
    impl Env for FakeEnv {
        fn var(&self, name: &str) -> Option<String> {
            (name == "RP").then(|| "from-env".to_string())
        }
    }

    const SAMPLE: &str = r#"
listen = "127.0.0.1:9999"
interval = "15s"
timeout = 2
backoff_max = "10m"

[collectors]
health = false

[defaults]
user = "monitor"
password_env = "RP"
labels = { site = "ams" }

[[router]]
name = "core-1"
address = "10.0.0.1"
labels = { role = "core" }

[[router]]
name = "edge-1"
address = "edge.example"
password = "inline"
tls = { fingerprint = "7a:0e:55:3b:f4:3c:62:44:91:b4:6f:25:8d:06:0c:96:23:6b:4c:1d:a0:7f:ab:33:0c:f8:3e:bd:5c:61:f0:1e" }
"#;

    #[test]
    fn sample_resolves() {
        let c = Config::parse(SAMPLE, &FakeEnv).unwrap();
        assert_eq!(c.listen.port(), 9999);
        assert_eq!(c.timing.interval, Duration::from_secs(15));
        assert_eq!(c.timing.timeout, Duration::from_secs(2));
        assert_eq!(c.timing.backoff_max, Duration::from_secs(600));
        assert!(!c.collectors.contains(&Collector::Health));
        assert!(c.collectors.contains(&Collector::Interface));
        let core = &c.routers[0];
        assert_eq!(
            (core.port, core.user.as_str(), core.password.expose()),
            (8728, "monitor", "from-env")
        );
        assert_eq!(
            core.labels,
            vec![
                ("role".into(), "core".into()),
                ("site".into(), "ams".into())
            ]
        );
        let edge = &c.routers[1];
        assert_eq!(edge.port, 8729);
        assert_eq!(edge.password.expose(), "inline");
        assert!(edge.tls.as_ref().unwrap().fingerprint.is_some());
        assert!(edge.connector(&c.timing).unwrap().uses_tls());
    }

    #[test]
    fn debug_hides_passwords() {
        let c = Config::parse(SAMPLE, &FakeEnv).unwrap();
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("from-env") && !shown.contains("inline"),
            "{shown}"
        );
    }

    #[test]
    fn mistakes_are_reported() {
        let bad = [
            ("[[router]]\naddress = \"a\"\n", "name"),
            ("[[router]]\nname = \"a\"\n", "address"),
            ("[[router]]\nname=\"a\"\naddress=\"x\"\n[[router]]\nname=\"a\"\naddress=\"y\"\n", "twice"),
            ("[collectors]\nbogus = true\n", "unknown collector"),
            ("interval = \"fast\"\n", "interval"),
            ("listen = \"nowhere\"\n", "listen"),
            ("wat = 1\n", "unknown field"),
            ("[[router]]\nname=\"a\"\naddress=\"x\"\npassword_env=\"NOPE\"\n", "NOPE"),
            ("[[router]]\nname=\"a\"\naddress=\"x\"\npassword=\"p\"\npassword_env=\"RP\"\n", "only one"),
            ("[[router]]\nname=\"a\"\naddress=\"x\"\nlabels={ router = \"x\" }\n", "label"),
            ("[[router]]\nname=\"a\"\naddress=\"x\"\nlabels={ \"bad-name\" = \"x\" }\n", "label"),
            ("[[router]]\nname=\"a\"\naddress=\"x\"\ntls={ insecure = true, fingerprint = \"AA\" }\n", "exclude"),
            ("[[router]]\nname=\"a\"\naddress=\"x\"\ntls={ fingerprint = \"AA\" }\n", "SHA-256"),
        ];
        for (text, word) in bad {
            let e = Config::parse(text, &FakeEnv).unwrap_err().to_string();
            assert!(e.contains(word), "{text:?} gave {e}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_duration("x"), None);
        assert_eq!(parse_duration("-1s"), None);
        assert_eq!(parse_duration("1e30h"), None);
    }

    #[test]
    fn password_file_loses_one_line_break() {
        let dir = std::env::temp_dir().join(format!("rex-pw-{}", std::process::id()));
        std::fs::write(&dir, "s3cret\n").unwrap();
        let text = format!(
            "[[router]]\nname=\"a\"\naddress=\"x\"\npassword_file={:?}\n",
            dir.display().to_string()
        );
        let c = Config::parse(&text, &FakeEnv).unwrap();
        assert_eq!(c.routers[0].password.expose(), "s3cret");
        let _ = std::fs::remove_file(&dir);
    }
}
