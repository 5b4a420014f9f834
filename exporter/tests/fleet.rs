//! The exporter against in-process simulators (and one scripted router) over real sockets.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use routeros_exporter::config::{Config, ProcessEnv};
use routeros_sim::{Faults, Fleet, SimConfig};

/// Starts an exporter for `toml` on a thread of its own; returns its HTTP address.
fn start_exporter(toml: &str) -> SocketAddr {
    let config = Config::parse(toml, &ProcessEnv).expect("configuration");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let local = tokio::task::LocalSet::new();
        local.block_on(&rt, async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let routers = config.routers.clone();
            let _ = routeros_exporter::serve(&config, routers, listener).await;
        });
    });
    addr
}

fn get(addr: SocketAddr, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// The value of the series whose line starts with `series` (name and labels, exactly).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| {
            l.strip_prefix(series)
                .and_then(|rest| rest.strip_prefix(' '))
        })
        .and_then(|v| v.trim().parse().ok())
}

/// Polls `/metrics` until `ok` holds or `within` passes; returns the last text.
fn wait_for(addr: SocketAddr, within: Duration, ok: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let text = get(addr, "/metrics");
        if ok(&text) || start.elapsed() > within {
            return text;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn router_toml(name: &str, addr: SocketAddr, password: &str) -> String {
    format!(
        "[[router]]\nname = \"{name}\"\naddress = \"127.0.0.1\"\nport = {}\npassword = \"{password}\"\n",
        addr.port()
    )
}

const FAST: &str = "interval = \"200ms\"\ntimeout = \"1s\"\nbackoff_initial = \"200ms\"\nlogin_backoff_initial = \"1s\"\nbackoff_max = \"2s\"\n";

#[test]
fn polls_a_fleet_with_every_collector() {
    let fleet = Fleet::spawn(
        SimConfig {
            password: "pw".into(),
            ..SimConfig::default()
        },
        3,
    )
    .unwrap();
    let mut toml = FAST.to_string();
    for (i, a) in fleet.addrs().into_iter().enumerate() {
        toml += &router_toml(&format!("r{i}"), a, "pw");
    }
    toml += "[router.labels]\nsite = \"lab\"\n";
    let addr = start_exporter(&toml);
    let up = |t: &str| {
        [
            "routeros_up{router=\"r0\"}",
            "routeros_up{router=\"r1\"}",
            "routeros_up{router=\"r2\",site=\"lab\"}",
        ]
        .iter()
        .all(|s| value(t, s) == Some(1.0))
    };
    let first = wait_for(addr, Duration::from_secs(10), |t| {
        up(t) && t.contains("routeros_interface_rx_bytes_total")
    });
    for i in 0..3 {
        assert!(
            first.contains(&format!("identity=\"router-{i}\"")),
            "{first}"
        );
    }
    assert_eq!(
        value(&first, "routeros_up{router=\"r2\",site=\"lab\"}"),
        Some(1.0),
        "{first}"
    );
    // Every collector succeeded on the simulator, which has every menu they read.
    for c in routeros_exporter::collect::Collector::ALL {
        let series = format!(
            "routeros_collector_success{{router=\"r0\",collector=\"{}\"}}",
            c.name()
        );
        assert_eq!(value(&first, &series), Some(1.0), "{series}\n{first}");
    }
    for family in [
        "routeros_system_uptime_seconds",
        "routeros_system_health",
        "routeros_dhcp_leases",
        "routeros_firewall_rule_bytes_total",
        "routeros_wireless_clients",
        "routeros_routes",
        "routeros_firewall_connections",
        "routeros_poe_out_enabled",
        "routeros_netwatch_up",
        "routeros_queue_bytes_total",
    ] {
        assert!(
            first.contains(&format!("{family}{{router=\"r1\"")),
            "{family} missing\n{first}"
        );
    }
    // Counters advance between polls, over the same connection.
    let series = "routeros_interface_rx_bytes_total{router=\"r0\",interface=\"ether1\"}";
    let before = value(&first, series).expect("ether1 rx");
    let later = wait_for(addr, Duration::from_secs(10), |t| {
        value(t, series).is_some_and(|v| v > before)
    });
    assert!(value(&later, series).unwrap() > before, "{later}");
    assert_eq!(
        value(&later, "routeros_connects_total{router=\"r0\"}"),
        Some(1.0)
    );
    // The probe endpoint shows one router only.
    let probe = get(addr, "/probe?target=r1");
    assert!(
        probe.contains("routeros_up{router=\"r1\"} 1") && !probe.contains("router=\"r0\""),
        "{probe}"
    );
    assert!(get(addr, "/probe?target=nope").starts_with("HTTP/1.1 404"));
}

#[test]
fn wrong_password_backs_off_without_a_login_storm() {
    let fleet = Fleet::spawn(
        SimConfig {
            password: "pw".into(),
            ..SimConfig::default()
        },
        2,
    )
    .unwrap();
    let addrs = fleet.addrs();
    let toml = format!(
        "{FAST}{}{}",
        router_toml("good", addrs[0], "pw"),
        router_toml("bad", addrs[1], "nope")
    );
    let addr = start_exporter(&toml);
    std::thread::sleep(Duration::from_millis(3500));
    let text = get(addr, "/metrics");
    let attempts = fleet.routers()[1].login_attempts();
    // Login back-off 1 s, doubling, plus the first poll offset (< 200 ms): attempts at about
    // 0, 1 and 3 s. A client retrying at the poll interval would have made 17.
    assert!(
        (1..=3).contains(&attempts),
        "{attempts} login attempts\n{text}"
    );
    let failures = value(&text, "routeros_login_failures_total{router=\"bad\"}").unwrap();
    assert_eq!(failures as usize, attempts, "{text}");
    assert!(
        value(&text, "routeros_backoff_seconds{router=\"bad\"}").unwrap() >= 1.0,
        "{text}"
    );
    assert_eq!(value(&text, "routeros_up{router=\"bad\"}"), Some(0.0));
    // The other router is unaffected: one login, polled all along.
    assert_eq!(
        value(&text, "routeros_up{router=\"good\"}"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(fleet.routers()[0].login_attempts(), 1);
}

#[test]
fn router_down_then_up() {
    let fleet = Fleet::spawn(SimConfig::default(), 1).unwrap();
    let router = fleet.addrs()[0];
    let toml = format!("{FAST}{}", router_toml("r", router, ""));
    let addr = start_exporter(&toml);
    let up = "routeros_up{router=\"r\"}";
    let t = wait_for(addr, Duration::from_secs(5), |t| value(t, up) == Some(1.0));
    assert_eq!(value(&t, up), Some(1.0), "{t}");
    drop(fleet);
    let t = wait_for(addr, Duration::from_secs(5), |t| value(t, up) == Some(0.0));
    assert_eq!(value(&t, up), Some(0.0), "{t}");
    assert!(
        !t.contains("routeros_interface_rx_bytes_total{router=\"r\""),
        "stale series stay: {t}"
    );
    let t = wait_for(addr, Duration::from_secs(5), |t| {
        value(t, "routeros_connect_failures_total{router=\"r\"}").unwrap_or(0.0) >= 1.0
    });
    assert!(
        value(&t, "routeros_backoff_seconds{router=\"r\"}").unwrap() > 0.0,
        "{t}"
    );
    // The router comes back on the same port.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let _again = rt
        .block_on(routeros_sim::Simulator::start(SimConfig::default(), router))
        .expect("same port again");
    let t = wait_for(addr, Duration::from_secs(10), |t| value(t, up) == Some(1.0));
    assert_eq!(value(&t, up), Some(1.0), "{t}");
    assert_eq!(
        value(&t, "routeros_connects_total{router=\"r\"}"),
        Some(2.0),
        "{t}"
    );
    assert_eq!(
        value(&t, "routeros_backoff_seconds{router=\"r\"}"),
        Some(0.0),
        "{t}"
    );
}

#[test]
fn slow_router_does_not_delay_the_others() {
    let fast = Fleet::spawn(SimConfig::default(), 2).unwrap();
    let slow = routeros_sim::Simulator::spawn(SimConfig {
        faults: Faults {
            delay_ms: 3000,
            ..Faults::default()
        },
        ..SimConfig::default()
    })
    .unwrap();
    let a = fast.addrs();
    let toml = format!(
        "{FAST}{}{}{}",
        router_toml("slow", slow.addr(), ""),
        router_toml("f0", a[0], ""),
        router_toml("f1", a[1], "")
    );
    let addr = start_exporter(&toml);
    let t = wait_for(addr, Duration::from_secs(10), |t| {
        value(
            t,
            "routeros_collector_errors_total{router=\"slow\",collector=\"interface\"}",
        )
        .unwrap_or(0.0)
            >= 1.0
    });
    for f in ["f0", "f1"] {
        assert_eq!(
            value(&t, &format!("routeros_up{{router=\"{f}\"}}")),
            Some(1.0),
            "{t}"
        );
        let d = value(
            &t,
            &format!("routeros_scrape_duration_seconds{{router=\"{f}\"}}"),
        )
        .unwrap();
        assert!(d < 0.5, "{f} took {d} s\n{t}");
    }
    assert_eq!(value(&t, "routeros_up{router=\"slow\"}"), Some(0.0), "{t}");
    assert!(
        value(&t, "routeros_scrape_duration_seconds{router=\"slow\"}").unwrap() >= 0.9,
        "{t}"
    );
}

/// A router that knows only `/login` and `/interface/print`: every other command gets the
/// traps RouterOS sends for a menu it does not have.
fn scripted_router() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for sock in listener.incoming() {
            let Ok(mut sock) = sock else { return };
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    while let Some((words, used)) = sentence(&buf) {
                        buf.drain(..used);
                        let tag = words
                            .iter()
                            .find_map(|w| w.strip_prefix(".tag="))
                            .unwrap_or("");
                        let t = format!(".tag={tag}");
                        let out: Vec<Vec<&str>> = match words.first().map(String::as_str) {
                            Some("/login") => vec![vec!["!done", &t]],
                            Some("/interface/print") => vec![
                                vec![
                                    "!re",
                                    &t,
                                    "=name=ether1",
                                    "=type=ether",
                                    "=rx-byte=42",
                                    "=running=true",
                                ],
                                vec!["!done", &t],
                            ],
                            _ => vec![
                                vec![
                                    "!trap",
                                    &t,
                                    "=category=0",
                                    "=message=no such command or directory (health)",
                                ],
                                vec!["!trap", &t, "=message=no such command prefix"],
                                vec!["!done", &t],
                            ],
                        };
                        let mut bytes = Vec::new();
                        for s in out {
                            for w in s {
                                bytes.push(w.len() as u8);
                                bytes.extend_from_slice(w.as_bytes());
                            }
                            bytes.push(0);
                        }
                        if sock.write_all(&bytes).is_err() {
                            return;
                        }
                    }
                    match sock.read(&mut chunk) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
            });
        }
    });
    addr
}

/// One sentence from the front of `buf` (words under 16 KiB: one- and two-byte lengths).
fn sentence(buf: &[u8]) -> Option<(Vec<String>, usize)> {
    let mut pos = 0;
    let mut words = Vec::new();
    loop {
        let b0 = *buf.get(pos)? as usize;
        let len = if b0 < 0x80 {
            pos += 1;
            b0
        } else {
            assert!(b0 < 0xC0, "test router: word over 16 KiB");
            let b1 = *buf.get(pos + 1)? as usize;
            pos += 2;
            ((b0 & 0x3F) << 8) | b1
        };
        if len == 0 {
            return Some((words, pos));
        }
        words.push(String::from_utf8_lossy(buf.get(pos..pos + len)?).into_owned());
        pos += len;
    }
}

#[test]
fn missing_menus_fail_their_collector_only() {
    let router = scripted_router();
    let toml = format!("{FAST}{}", router_toml("old", router, "x"));
    let addr = start_exporter(&toml);
    let t = wait_for(addr, Duration::from_secs(5), |t| {
        value(
            t,
            "routeros_collector_errors_total{router=\"old\",collector=\"health\"}",
        )
        .unwrap_or(0.0)
            >= 2.0
    });
    assert_eq!(value(&t, "routeros_up{router=\"old\"}"), Some(1.0), "{t}");
    assert_eq!(
        value(
            &t,
            "routeros_collector_success{router=\"old\",collector=\"interface\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &t,
            "routeros_collector_success{router=\"old\",collector=\"health\"}"
        ),
        Some(0.0)
    );
    assert_eq!(
        value(
            &t,
            "routeros_interface_rx_bytes_total{router=\"old\",interface=\"ether1\"}"
        ),
        Some(42.0),
        "{t}"
    );
    assert!(!t.contains("routeros_system_health{"), "{t}");
    // The traps did not cost the connection.
    assert_eq!(
        value(&t, "routeros_connects_total{router=\"old\"}"),
        Some(1.0),
        "{t}"
    );
}

#[test]
fn router_breaking_right_after_login_backs_off() {
    // Logs in, then answers the first command with !fatal and closes: a flapping router.
    let sim = routeros_sim::Simulator::spawn(SimConfig {
        faults: Faults {
            fatal_after_commands: Some(1),
            ..Faults::default()
        },
        ..SimConfig::default()
    })
    .unwrap();
    let toml = format!(
        "interval = \"200ms\"\ntimeout = \"1s\"\nbackoff_initial = \"1s\"\nbackoff_max = \"4s\"\n{}",
        router_toml("flap", sim.addr(), "")
    );
    let addr = start_exporter(&toml);
    std::thread::sleep(Duration::from_millis(3500));
    let logins = sim.login_attempts();
    // Back-off 1 s then 2 s: logins at about 0, 1 and 3 s. Reconnecting at once after each
    // break would log in every few milliseconds.
    assert!((2..=4).contains(&logins), "{logins} logins in 3.5 s");
    let t = get(addr, "/metrics");
    assert_eq!(value(&t, "routeros_up{router=\"flap\"}"), Some(0.0), "{t}");
}
