//! The simulator's bounds: max-sessions, login and idle timeouts, the sentence size after
//! login, concurrent background commands, and memory under adversarial clients (measured as
//! the resident set of the `routeros-sim` program; run with `--nocapture` to see figures).

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{put_len, text, Client};
use routeros_sim::{Limits, SimConfig, Simulator, TagPosition};

fn with_limits(limits: Limits) -> routeros_sim::SimHandle {
    Simulator::spawn(SimConfig {
        limits,
        tag_position: TagPosition::First,
        ..Default::default()
    })
    .unwrap()
}

/// Whether the server closed `s` (EOF or reset) within `wait`.
fn closed_within(s: &mut TcpStream, wait: Duration) -> bool {
    s.set_read_timeout(Some(wait)).unwrap();
    let mut b = [0u8; 256];
    loop {
        match s.read(&mut b) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return false,
            Err(_) => return true,
        }
    }
}

#[test]
fn max_sessions_refuses_one_more() {
    let h = with_limits(Limits {
        max_sessions: 3,
        ..Limits::default()
    });
    let mut held: Vec<Client> = (0..3).map(|_| Client::login(h.addr())).collect();
    let mut extra = TcpStream::connect(h.addr()).unwrap();
    assert!(
        closed_within(&mut extra, Duration::from_secs(5)),
        "4th is closed"
    );
    // The three still work; when one leaves, a new one is served.
    for c in &mut held {
        assert_eq!(c.talk(&["/system/identity/print"]).len(), 2);
    }
    drop(held.pop());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut s = TcpStream::connect(h.addr()).unwrap();
        if !closed_within(&mut s, Duration::from_millis(200)) {
            let mut c = Client::over(Box::new(s));
            c.log_in();
            break;
        }
        assert!(Instant::now() < deadline, "a freed session is never reused");
    }
}

#[test]
fn default_max_sessions_is_twenty() {
    assert_eq!(Limits::default().max_sessions, 20);
    let h = Simulator::spawn(SimConfig::default()).unwrap();
    let _held: Vec<Client> = (0..20).map(|_| Client::login(h.addr())).collect();
    let mut extra = TcpStream::connect(h.addr()).unwrap();
    assert!(closed_within(&mut extra, Duration::from_secs(5)));
}

#[test]
fn login_and_idle_timeouts() {
    let h = with_limits(Limits {
        login_timeout: Duration::from_millis(300),
        idle_timeout: Some(Duration::from_millis(300)),
        ..Limits::default()
    });
    // Silent before login.
    let mut s = TcpStream::connect(h.addr()).unwrap();
    let start = Instant::now();
    assert!(closed_within(&mut s, Duration::from_secs(5)));
    assert!(start.elapsed() >= Duration::from_millis(250));
    // Logged in, then silent with nothing running.
    let mut c = Client::login(h.addr());
    let (got, _) = c.read_to_eof();
    assert!(got.is_empty());
    // A running stream keeps a silent connection open.
    let mut c = Client::login(h.addr());
    c.send(&[
        "/interface/monitor-traffic",
        "=interface=ether1",
        "=interval=100ms",
        ".tag=m",
    ]);
    for _ in 0..8 {
        assert_eq!(c.read().unwrap()[0], b"!re");
    }
}

#[test]
fn sentence_too_long_after_login() {
    let h = with_limits(Limits {
        max_sentence: 64 * 1024,
        ..Limits::default()
    });
    let mut c = Client::login(h.addr());
    // A word that announces 1 MiB: refused once 64 KiB are buffered.
    let mut head = Vec::new();
    put_len(14, &mut head);
    head.extend_from_slice(b"/system/script");
    put_len(1 << 20, &mut head);
    c.send_raw(&head);
    c.send_raw(&vec![b'a'; 128 * 1024]);
    let (got, _) = c.read_to_eof();
    assert_eq!(
        got.iter().map(text).collect::<Vec<_>>(),
        [vec!["!fatal", "sentence too long"]]
    );
    // Under the limit is fine.
    let mut c = Client::login(h.addr());
    let name = format!("=name={}", "n".repeat(60 * 1024));
    assert_eq!(c.talk(&["/system/identity/set", &name]), [vec!["!done"]]);
}

#[test]
fn too_many_running_commands() {
    let h = with_limits(Limits {
        max_running: 2,
        ..Limits::default()
    });
    let mut c = Client::login(h.addr());
    c.send(&["/interface/listen", ".tag=a"]);
    c.send(&["/interface/listen", ".tag=b"]);
    c.send(&["/interface/listen", ".tag=c"]);
    let got: Vec<_> = c.until_done(Some("c")).iter().map(text).collect();
    assert_eq!(
        got,
        [
            vec![
                "!trap",
                ".tag=c",
                "=category=4",
                "=message=too many commands running"
            ],
            vec!["!done", ".tag=c"]
        ]
    );
    c.send(&["/cancel", "=tag=a", ".tag=x"]);
    c.until_done(Some("a"));
    c.send(&["/interface/listen", ".tag=d"]);
    c.send(&["/system/identity/print", ".tag=i"]);
    let got = c.until_done(Some("i"));
    assert!(
        got.iter().all(|s| text(s)[1] != ".tag=d"),
        "d runs: {got:?}"
    );
}

// ---- memory under adversarial clients, measured on the program ----

struct Program(Child, SocketAddr);

impl Program {
    fn start(args: &[&str]) -> Program {
        let mut child = Command::new(env!("CARGO_BIN_EXE_routeros-sim"))
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = child.stdout.take().unwrap();
        let mut line = Vec::new();
        let mut b = [0u8; 1];
        while out.read(&mut b).unwrap() == 1 && b[0] != b'\n' {
            line.push(b[0]);
        }
        let addr = String::from_utf8(line).unwrap().parse().unwrap();
        Program(child, addr)
    }

    /// Resident set size in MiB (Linux), the peak over `over`.
    fn rss_mib(&self, over: Duration) -> f64 {
        let end = Instant::now() + over;
        let mut peak = 0.0f64;
        loop {
            peak = peak.max(rss_of(self.0.id()));
            if Instant::now() >= end {
                return peak;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Samples the resident set every 20 ms while `work` runs, then for `after`; the peak.
    fn peak_while(&self, after: Duration, work: impl FnOnce()) -> f64 {
        let pid = self.0.id();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let sampler = std::thread::spawn(move || {
            let mut peak = 0.0f64;
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(rss_of(pid));
                std::thread::sleep(Duration::from_millis(20));
            }
            peak
        });
        work();
        let tail = self.rss_mib(after);
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        sampler.join().unwrap().max(tail)
    }
}

fn rss_of(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A logged-in connection kept as a plain socket.
fn raw_login(addr: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut out = Vec::new();
    for w in ["/login", "=name=admin", "=password="] {
        put_len(w.len(), &mut out);
        out.extend_from_slice(w.as_bytes());
    }
    out.push(0);
    s.write_all(&out).unwrap();
    let mut b = [0u8; 7];
    s.read_exact(&mut b).unwrap();
    assert_eq!(&b, b"\x05!done\x00");
    s
}

fn sentence(words: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for w in words {
        put_len(w.len(), &mut out);
        out.extend_from_slice(w.as_bytes());
    }
    out.push(0);
    out
}

#[test]
fn memory_stays_bounded_under_adversarial_clients() {
    if !std::path::Path::new("/proc/self/status").exists() {
        return;
    }
    // Tagged prints of 50 000 rows that are never read: 8 connections x 40 prints.
    let p = Program::start(&["--rows", "50000"]);
    let idle = p.rss_mib(Duration::ZERO);
    let mut socks = Vec::new();
    let unread = p.peak_while(Duration::from_secs(3), || {
        for _ in 0..8 {
            let mut s = raw_login(p.1);
            for t in 0..40 {
                let print = sentence(&["/ip/firewall/address-list/print", &format!(".tag={t}")]);
                s.write_all(&print).unwrap();
            }
            socks.push(s);
        }
    });
    drop(socks);
    drop(p);

    // 64 MiB words after login on 8 connections.
    let p = Program::start(&[]);
    let mut socks = Vec::new();
    let chunk = vec![b'x'; 1 << 20];
    let words = p.peak_while(Duration::from_secs(1), || {
        let mut writers = Vec::new();
        for _ in 0..8 {
            let mut s = raw_login(p.1);
            socks.push(s.try_clone().unwrap());
            let chunk = chunk.clone();
            writers.push(std::thread::spawn(move || {
                let mut head = Vec::new();
                put_len(14, &mut head);
                head.extend_from_slice(b"/system/script");
                put_len(64 << 20, &mut head);
                let _ = s.write_all(&head);
                s.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
                for _ in 0..64 {
                    if s.write_all(&chunk).is_err() {
                        break; // refused and closed
                    }
                }
            }));
        }
        for w in writers {
            let _ = w.join();
        }
    });
    drop(socks);
    drop(p);

    // 1 500 half-open connections (never a byte sent).
    let p = Program::start(&["--login-timeout", "2"]);
    let socks: Vec<TcpStream> = (0..1500)
        .filter_map(|_| TcpStream::connect(p.1).ok())
        .collect();
    let half_open = p.rss_mib(Duration::from_secs(1));
    let mut held = 0;
    std::thread::sleep(Duration::from_secs(3));
    for mut s in socks {
        if !closed_within(&mut s, Duration::from_millis(1)) {
            held += 1;
        }
    }
    drop(p);

    println!(
        "RSS MiB: idle {idle:.1}; unread tagged prints (8 x 40 x 50 000 rows) {unread:.1}; \
         64 MiB words on 8 connections {words:.1}; 1 500 half-open {half_open:.1}, \
         still open after the 2 s login timeout: {held}"
    );
    assert!(unread < 120.0, "unread tagged prints: {unread} MiB");
    assert!(words < 120.0, "64 MiB words: {words} MiB");
    assert!(half_open < 60.0, "half-open: {half_open} MiB");
    assert_eq!(held, 0, "half-open connections outlive the login timeout");
}
