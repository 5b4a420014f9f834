//! The router-monitoring firmware on Linux: the same application logic as the boards, over
//! embassy-net on a TAP device, for tests and development.
//!
//! Run as root (or with CAP_NET_ADMIN) with a TAP device up; see `ci.sh` for a network
//! namespace set-up. The router password is read from the environment variable named by
//! `--password-env` (default `ROUTEROS_PASSWORD`), never from the command line.

use std::time::{SystemTime, UNIX_EPOCH};

use embassy_executor::Spawner;
use embassy_net::{Ipv4Cidr, StackResources, StaticConfigV4};
use embassy_net_tuntap::TunTapDevice;
use rand_core::{OsRng, RngCore};
use routeros_embassy_app::config::STACK_SOCKETS;
use routeros_embassy_app::embedded_tls::TlsClock;
use routeros_embassy_app::settings::parse_ipv4;
use routeros_embassy_app::tls::heap;
use routeros_embassy_app::{
    run_with_clock, Buffers, Event, Flow, Observer, RouterSettings, TlsSettings, TlsVerify,
    PLAIN_PORT, TLS_PORT,
};
use static_cell::{ConstStaticCell, StaticCell};

mod args;
mod sizes;

use args::{Args, Verify};

/// Every connection buffer, in static memory.
static BUFFERS: ConstStaticCell<Buffers> = ConstStaticCell::new(Buffers::new());
/// The network stack's sockets.
static RESOURCES: StaticCell<StackResources<STACK_SOCKETS>> = StaticCell::new();

/// Exit codes the test script checks.
mod exit {
    /// The sample limit was reached.
    pub const DONE: u8 = 0;
    /// Bad command line or files.
    pub const USAGE: u8 = 64;
    /// `--max-failures` consecutive attempts failed.
    pub const GAVE_UP: u8 = 2;
}

/// The wall clock, for certificate validity checks.
struct SystemClock;

impl TlsClock for SystemClock {
    fn now() -> Option<u64> {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .ok()
            .map(|d| d.as_secs())
    }
}

/// Prints one line per event on stdout (the test script reads them) and stops after too
/// many consecutive failures.
struct PrintingObserver {
    max_failures: Option<u32>,
    consecutive_failures: u32,
    gave_up: bool,
}

impl Observer for PrintingObserver {
    fn event(&mut self, event: &Event<'_>) -> Flow {
        match event {
            Event::NetworkUp { address } => println!("network-up address={address}"),
            Event::Connecting { attempt } => println!("connecting attempt={attempt}"),
            Event::Connected { tls } => println!("connected tls={tls}"),
            Event::TlsEstablished(info) => println!(
                "tls stack={:?} version={} suite={} handshake-ms={}",
                info.stack,
                info.version,
                info.suite_name(),
                info.handshake_ms
            ),
            Event::LoggedIn => println!("logged-in"),
            Event::Reconnected { failures } => println!("reconnected failures={failures}"),
            Event::Resource(r) => println!(
                "resource version={} board={} uptime={} cpu-load={} free-memory={}",
                r.version,
                r.board_name,
                r.uptime,
                r.cpu_load.unwrap_or(0),
                r.free_memory.unwrap_or(0)
            ),
            Event::Identity(id) => println!("identity name={}", id.name),
            Event::Sample {
                total,
                interface,
                sample,
            } => {
                self.consecutive_failures = 0;
                println!(
                    "sample n={total} interface={interface} rx-bps={} tx-bps={} rx-pps={} tx-pps={}",
                    sample.rx_bits_per_second,
                    sample.tx_bits_per_second,
                    sample.rx_packets_per_second,
                    sample.tx_packets_per_second
                );
            }
            Event::Disconnected(e) => {
                println!("disconnected error=\"{e}\"");
                self.consecutive_failures += 1;
                if self
                    .max_failures
                    .is_some_and(|max| self.consecutive_failures >= max)
                {
                    println!(
                        "giving up after {} failed attempts",
                        self.consecutive_failures
                    );
                    self.gave_up = true;
                    return Flow::Stop;
                }
            }
            Event::Backoff { delay_ms } => println!("backoff ms={delay_ms}"),
            _ => {}
        }
        Flow::Continue
    }
}

#[embassy_executor::task]
async fn net_task(mut runner: embassy_net::Runner<'static, TunTapDevice>) -> ! {
    runner.run().await
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    logger::init();
    let code = match real_main(spawner).await {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            eprintln!("{}", args::USAGE);
            exit::USAGE
        }
    };
    std::process::exit(code.into());
}

async fn real_main(spawner: Spawner) -> Result<u8, String> {
    let args = Args::parse(std::env::args().skip(1))?;
    if args.help {
        println!("{}", args::USAGE);
        return Ok(exit::DONE);
    }
    let password = std::env::var(&args.password_env).unwrap_or_default();
    // Everything the settings borrow lives for the whole program.
    let anchor: &'static [u8] = match &args.verify {
        Verify::Ca(path) | Verify::Pinned(path) => Box::leak(
            std::fs::read(path)
                .map_err(|e| format!("cannot read {path}: {e}"))?
                .into_boxed_slice(),
        ),
        _ => &[],
    };
    let args: &'static Args = Box::leak(Box::new(args));
    let password: &'static str = Box::leak(password.into_boxed_str());
    let tls = match args.verify {
        Verify::Plain => None,
        Verify::Ca(_) => Some(TlsVerify::CaCertificate(anchor)),
        Verify::Pinned(_) => Some(TlsVerify::PinnedSelfSigned(anchor)),
        Verify::Fingerprint(fp) => Some(TlsVerify::PinnedFingerprint(fp)),
        Verify::Insecure => Some(TlsVerify::InsecureSkipVerificationForLabRoutersOnly),
    }
    .map(|verify| TlsSettings {
        server_name: &args.server_name,
        verify,
        stack: args.stack,
    });
    let settings = RouterSettings {
        address: parse_ipv4(&args.router).ok_or("--router is not an IPv4 address")?,
        port: args
            .port
            .unwrap_or(if tls.is_some() { TLS_PORT } else { PLAIN_PORT }),
        username: &args.user,
        password,
        interface: &args.interface,
        tls,
        max_samples: args.samples,
    };
    log::info!("settings: {settings:?}");

    let device = TunTapDevice::new(&args.tap)
        .map_err(|e| format!("cannot open TAP device {}: {e}", args.tap))?;
    let config = match &args.ip {
        None => embassy_net::Config::dhcpv4(Default::default()),
        Some(cidr) => {
            let (ip, prefix) = cidr.split_once('/').ok_or("--ip needs ADDRESS/PREFIX")?;
            let ip = parse_ipv4(ip).ok_or("--ip has a bad address")?;
            let prefix: u8 = prefix.parse().map_err(|_| "--ip has a bad prefix")?;
            let gateway = match &args.gateway {
                Some(g) => Some(parse_ipv4(g).ok_or("--gateway is not an IPv4 address")?),
                None => None,
            };
            embassy_net::Config::ipv4_static(StaticConfigV4 {
                address: Ipv4Cidr::new(ip, prefix),
                gateway,
                dns_servers: Default::default(),
            })
        }
    };
    let seed = OsRng.next_u64();
    let (stack, runner) =
        embassy_net::new(device, config, RESOURCES.init(StackResources::new()), seed);
    spawner.spawn(net_task(runner).map_err(|e| format!("cannot spawn: {e:?}"))?);

    let buffers = BUFFERS.take();
    if args.print_future_sizes {
        sizes::print(stack, buffers, &settings).await;
        return Ok(exit::DONE);
    }
    let mut observer = PrintingObserver {
        max_failures: args.max_failures,
        consecutive_failures: 0,
        gave_up: false,
    };
    let mut rng = OsRng;
    run_with_clock::<SystemClock, _, _>(stack, buffers, &settings, &mut rng, &mut observer).await;
    if settings.tls.is_some() {
        let h = heap::stats();
        println!(
            "tls-heap size={} peak={} in-use={} failed={}",
            h.size, h.peak, h.in_use, h.failed
        );
    }
    if observer.gave_up {
        Ok(exit::GAVE_UP)
    } else {
        println!("done");
        Ok(exit::DONE)
    }
}

/// A minimal `log` backend writing to stderr; level from `MONITOR_LOG` (default `info`).
mod logger {
    use log::{LevelFilter, Log, Metadata, Record};

    struct Stderr;

    impl Log for Stderr {
        fn enabled(&self, metadata: &Metadata<'_>) -> bool {
            metadata.level() <= log::max_level()
        }

        fn log(&self, record: &Record<'_>) {
            if self.enabled(record.metadata()) {
                eprintln!(
                    "[{:<5} {}] {}",
                    record.level(),
                    record.target(),
                    record.args()
                );
            }
        }

        fn flush(&self) {}
    }

    pub fn init() {
        let level = match std::env::var("MONITOR_LOG").as_deref() {
            Ok("trace") => LevelFilter::Trace,
            Ok("debug") => LevelFilter::Debug,
            Ok("warn") => LevelFilter::Warn,
            Ok("error") => LevelFilter::Error,
            Ok("off") => LevelFilter::Off,
            _ => LevelFilter::Info,
        };
        if log::set_logger(&Stderr).is_ok() {
            log::set_max_level(level);
        }
    }
}
