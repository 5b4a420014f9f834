//! End-to-end benchmark over loopback against the `routeros-sim` binary.
//!
//! ```text
//! e2e [--addr HOST:PORT | --sim PATH] [--rows N] [--reps N] [--rounds N] [--round-trips N]
//!     [--user U] [--password P] [--json FILE]
//! ```
//!
//! Without `--addr` it starts `routeros-sim --listen 127.0.0.1:0 --rows N` (by default the
//! `routeros-sim` next to this executable, i.e. `target/release/routeros-sim`). Each
//! measurement runs in a fresh child process (this binary with `--mode`), so the peak
//! memory it reports is that measurement's alone. Measurements:
//!
//! - `bulk-raw-std` / `bulk-raw-tokio`: log in, send `/ip/firewall/address-list/print` (tagged,
//!   as our client sends it) as hand-written bytes, then only move reply bytes until the bytes
//!   of the final `!done` arrive: the physical limit, over a blocking std socket and over
//!   tokio. `bulk-raw-untagged`: the same without a tag, for reference (the simulator answers
//!   an untagged print from bytes encoded once, a tagged one row by row).
//! - `bulk-client`: the same print through `routeros_core::Client` over tokio (via
//!   `embedded-io-adapters`), 64 KiB receive buffer, every row counted and its `address`
//!   read.
//! - `rtt-raw-std` / `rtt-raw-tokio` / `rtt-client`: sequential `/system/identity/print`
//!   round trips on one connection.
//!
//! Times exclude connecting and logging in. Each child runs one untimed warm-up and then
//! `--reps` timed repetitions (default 3). `--rounds` (default 8) runs every measurement that
//! many times, interleaved, each in a fresh child; the table shows the best and the median of
//! all timed repetitions and the largest peak memory.

use std::io::{BufRead, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream as StdTcpStream};
use std::process::{Child, Command as Process, ExitCode, Stdio};
use std::time::{Duration, Instant};

use embedded_io_adapters::tokio_1::FromTokio;
use routeros_bench::{memory, raw_sentence};
use routeros_core::Client;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Receive buffer of every reader, raw or client.
const RX: usize = 64 * 1024;
/// No repetition may take longer than this (a stuck simulator must not hang the bench). Over
/// tokio one timer covers a whole repetition; the blocking readers set it per read.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[derive(Clone)]
struct Options {
    addr: Option<SocketAddr>,
    sim: Option<String>,
    rows: usize,
    reps: usize,
    rounds: usize,
    round_trips: usize,
    user: String,
    password: String,
    json: Option<String>,
    mode: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            addr: None,
            sim: None,
            rows: 100_000,
            reps: 3,
            rounds: 8,
            round_trips: 1000,
            user: "admin".into(),
            password: String::new(),
            json: None,
            mode: None,
        }
    }
}

fn usage() -> &'static str {
    "usage: e2e [--addr HOST:PORT | --sim PATH] [--rows N] [--reps N] [--rounds N] \
     [--round-trips N] [--user U] [--password P] [--json FILE]"
}

fn parse_args() -> Result<Options, Failure> {
    let mut options = Options::default();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            println!("{}", usage());
            std::process::exit(0);
        }
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{}", usage()))?;
        match flag.as_str() {
            "--addr" => options.addr = Some(value.parse()?),
            "--sim" => options.sim = Some(value),
            "--rows" => options.rows = value.parse()?,
            "--reps" => options.reps = value.parse::<usize>()?.max(1),
            "--rounds" => options.rounds = value.parse::<usize>()?.max(1),
            "--round-trips" => options.round_trips = value.parse::<usize>()?.max(1),
            "--user" => options.user = value,
            "--password" => options.password = value,
            "--json" => options.json = Some(value),
            "--mode" => options.mode = Some(value),
            other => return Err(format!("unknown option {other}\n{}", usage()).into()),
        }
    }
    Ok(options)
}

/// What one child process measured.
#[derive(Debug, Clone, Default)]
struct Sample {
    mode: String,
    /// Duration of each timed repetition.
    times: Vec<Duration>,
    /// Reply bytes of one repetition (raw readers only).
    bytes: u64,
    /// Rows (bulk) or round trips (rtt) of one repetition.
    items: u64,
    /// Peak resident set size of the child, KiB.
    peak_rss_kib: u64,
}

impl Sample {
    fn line(&self) -> String {
        let times: Vec<String> = self
            .times
            .iter()
            .map(|t| t.as_nanos().to_string())
            .collect();
        format!(
            "SAMPLE {} {} {} {} {}",
            self.mode,
            self.bytes,
            self.items,
            self.peak_rss_kib,
            times.join(",")
        )
    }

    fn from_line(line: &str) -> Option<Self> {
        let mut parts = line.strip_prefix("SAMPLE ")?.split(' ');
        let mode = parts.next()?.to_string();
        let bytes = parts.next()?.parse().ok()?;
        let items = parts.next()?.parse().ok()?;
        let peak_rss_kib = parts.next()?.parse().ok()?;
        let times = parts
            .next()?
            .split(',')
            .map(|t| t.parse().ok().map(Duration::from_nanos))
            .collect::<Option<Vec<_>>>()?;
        Some(Self {
            mode,
            times,
            bytes,
            items,
            peak_rss_kib,
        })
    }

    /// Adds the repetitions of another run of the same measurement; memory is the larger peak.
    fn merge(&mut self, other: Sample) {
        self.times.extend(other.times);
        self.bytes = self.bytes.max(other.bytes);
        self.items = self.items.max(other.items);
        self.peak_rss_kib = self.peak_rss_kib.max(other.peak_rss_kib);
    }

    fn best(&self) -> Duration {
        self.times.iter().copied().min().unwrap_or_default()
    }

    fn median(&self) -> Duration {
        let mut t = self.times.clone();
        t.sort();
        t.get(t.len() / 2).copied().unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------------------
// Raw readers: hand-written bytes, no client code.

/// The last sentence of a reply tagged `tag`, as the simulator and RouterOS send it.
fn done_bytes(tag: &str) -> Vec<u8> {
    raw_sentence(&[b"!done", format!(".tag={tag}").as_bytes()])
}

fn login_bytes(o: &Options) -> Vec<u8> {
    raw_sentence(&[
        b"/login",
        format!("=name={}", o.user).as_bytes(),
        format!("=password={}", o.password).as_bytes(),
        b".tag=1",
    ])
}

/// Reads until the bytes received so far end with `end`; returns how many bytes were read.
fn std_read_until(sock: &mut StdTcpStream, buf: &mut [u8], end: &[u8]) -> Result<u64, Failure> {
    let mut total = 0u64;
    let mut tail = Vec::with_capacity(2 * end.len());
    loop {
        let n = sock.read(buf)?;
        if n == 0 {
            return Err("simulator closed the connection".into());
        }
        total += n as u64;
        if ends_with(&mut tail, &buf[..n], end) {
            return Ok(total);
        }
    }
}

/// Keeps the last `end.len()` bytes of the stream in `tail` and checks them against `end`.
fn ends_with(tail: &mut Vec<u8>, chunk: &[u8], end: &[u8]) -> bool {
    if chunk.len() >= end.len() {
        tail.clear();
        tail.extend_from_slice(&chunk[chunk.len() - end.len()..]);
    } else {
        tail.extend_from_slice(chunk);
        let excess = tail.len().saturating_sub(end.len());
        tail.drain(..excess);
    }
    tail == end
}

fn std_connect(o: &Options, addr: SocketAddr, buf: &mut [u8]) -> Result<StdTcpStream, Failure> {
    let mut sock = StdTcpStream::connect(addr)?;
    sock.set_nodelay(true)?;
    sock.set_read_timeout(Some(READ_TIMEOUT))?;
    sock.write_all(&login_bytes(o))?;
    std_read_until(&mut sock, buf, &done_bytes("1"))?;
    Ok(sock)
}

/// The raw bulk read over a blocking socket. `tagged: false` sends the print without `.tag`,
/// which the simulator answers from bytes encoded once at start: the loopback limit, shown for
/// reference (our client always tags, and a tagged reply is re-assembled row by row).
fn bulk_raw_std(o: &Options, addr: SocketAddr, tagged: bool) -> Result<Sample, Failure> {
    let mut buf = vec![0u8; RX];
    let mut sock = std_connect(o, addr, &mut buf)?;
    let (print, end) = match tagged {
        true => (
            raw_sentence(&[b"/ip/firewall/address-list/print", b".tag=2"]),
            done_bytes("2"),
        ),
        false => (
            raw_sentence(&[b"/ip/firewall/address-list/print"]),
            raw_sentence(&[b"!done"]),
        ),
    };
    let mut sample = Sample::default();
    for rep in 0..=o.reps {
        let start = Instant::now();
        sock.write_all(&print)?;
        sample.bytes = std_read_until(&mut sock, &mut buf, &end)?;
        if rep > 0 {
            sample.times.push(start.elapsed());
        }
    }
    sample.items = o.rows as u64;
    Ok(sample)
}

fn rtt_raw_std(o: &Options, addr: SocketAddr) -> Result<Sample, Failure> {
    let mut buf = vec![0u8; RX];
    let mut sock = std_connect(o, addr, &mut buf)?;
    let ask = raw_sentence(&[b"/system/identity/print", b".tag=2"]);
    let end = done_bytes("2");
    let mut sample = Sample::default();
    for rep in 0..=o.reps {
        let start = Instant::now();
        for _ in 0..o.round_trips {
            sock.write_all(&ask)?;
            sample.bytes = std_read_until(&mut sock, &mut buf, &end)?;
        }
        if rep > 0 {
            sample.times.push(start.elapsed());
        }
    }
    sample.items = o.round_trips as u64;
    Ok(sample)
}

async fn tokio_read_until(
    sock: &mut tokio::net::TcpStream,
    buf: &mut [u8],
    end: &[u8],
) -> Result<u64, Failure> {
    let mut total = 0u64;
    let mut tail = Vec::with_capacity(2 * end.len());
    loop {
        let n = sock.read(buf).await?;
        if n == 0 {
            return Err("simulator closed the connection".into());
        }
        total += n as u64;
        if ends_with(&mut tail, &buf[..n], end) {
            return Ok(total);
        }
    }
}

async fn tokio_connect(
    o: &Options,
    addr: SocketAddr,
    buf: &mut [u8],
) -> Result<tokio::net::TcpStream, Failure> {
    let mut sock = tokio::net::TcpStream::connect(addr).await?;
    sock.set_nodelay(true)?;
    sock.write_all(&login_bytes(o)).await?;
    let end = done_bytes("1");
    let login = tokio_read_until(&mut sock, buf, &end);
    tokio::time::timeout(READ_TIMEOUT, login).await??;
    Ok(sock)
}

async fn bulk_raw_tokio(o: &Options, addr: SocketAddr) -> Result<Sample, Failure> {
    let mut buf = vec![0u8; RX];
    let mut sock = tokio_connect(o, addr, &mut buf).await?;
    let print = raw_sentence(&[b"/ip/firewall/address-list/print", b".tag=2"]);
    let end = done_bytes("2");
    let mut sample = Sample::default();
    for rep in 0..=o.reps {
        let start = Instant::now();
        let one = async {
            sock.write_all(&print).await?;
            tokio_read_until(&mut sock, &mut buf, &end).await
        };
        sample.bytes = tokio::time::timeout(READ_TIMEOUT, one).await??;
        if rep > 0 {
            sample.times.push(start.elapsed());
        }
    }
    sample.items = o.rows as u64;
    Ok(sample)
}

async fn rtt_raw_tokio(o: &Options, addr: SocketAddr) -> Result<Sample, Failure> {
    let mut buf = vec![0u8; RX];
    let mut sock = tokio_connect(o, addr, &mut buf).await?;
    let ask = raw_sentence(&[b"/system/identity/print", b".tag=2"]);
    let end = done_bytes("2");
    let mut sample = Sample::default();
    for rep in 0..=o.reps {
        let start = Instant::now();
        let all = async {
            let mut bytes = 0;
            for _ in 0..o.round_trips {
                sock.write_all(&ask).await?;
                bytes = tokio_read_until(&mut sock, &mut buf, &end).await?;
            }
            Ok::<_, Failure>(bytes)
        };
        sample.bytes = tokio::time::timeout(READ_TIMEOUT, all).await??;
        if rep > 0 {
            sample.times.push(start.elapsed());
        }
    }
    sample.items = o.round_trips as u64;
    Ok(sample)
}

// ---------------------------------------------------------------------------------------
// The client under test.

/// The client under test, over caller-owned buffers.
type Connection<'b> = Client<FromTokio<tokio::net::TcpStream>, &'b mut [u8]>;

/// Runs the print, counting rows and reading each row's `address`.
async fn read_all(client: &mut Connection<'_>) -> Result<(u64, usize), Failure> {
    let mut rows = 0u64;
    let mut touched = 0usize;
    let mut response = client.command(&["/ip/firewall/address-list/print"]).await?;
    while let Some(row) = response.next().await {
        let row = row?;
        rows += 1;
        touched += row.get("address").map_or(0, |v| v.as_bytes().len());
    }
    Ok((rows, touched))
}

/// `n` sequential identity prints, each checked for its `name`.
async fn round_trips(client: &mut Connection<'_>, n: usize) -> Result<(), Failure> {
    for _ in 0..n {
        let mut response = client.command(&["/system/identity/print"]).await?;
        let mut named = false;
        while let Some(row) = response.next().await {
            named |= row?.get("name").is_some();
        }
        if !named {
            return Err("identity reply had no name".into());
        }
    }
    Ok(())
}

// One timeout covers a whole repetition: a timer armed per row would cost more than decoding
// the row (it showed up as a third of the profile when it was there).

async fn bulk_client(o: &Options, addr: SocketAddr) -> Result<Sample, Failure> {
    let sock = tokio::net::TcpStream::connect(addr).await?;
    sock.set_nodelay(true)?;
    let (mut rx, mut tx) = (vec![0u8; RX], vec![0u8; 1024]);
    let mut client = Client::new(FromTokio::new(sock), &mut rx[..], &mut tx[..]);
    client.login(&o.user, &o.password).await?;
    let mut sample = Sample::default();
    for rep in 0..=o.reps {
        let start = Instant::now();
        let (rows, touched) = tokio::time::timeout(READ_TIMEOUT, read_all(&mut client)).await??;
        let elapsed = start.elapsed();
        if touched == 0 && rows > 0 {
            return Err("rows carried no address".into());
        }
        if rep > 0 {
            sample.times.push(elapsed);
        }
        sample.items = rows;
    }
    Ok(sample)
}

async fn rtt_client(o: &Options, addr: SocketAddr) -> Result<Sample, Failure> {
    let sock = tokio::net::TcpStream::connect(addr).await?;
    sock.set_nodelay(true)?;
    let (mut rx, mut tx) = (vec![0u8; RX], vec![0u8; 1024]);
    let mut client = Client::new(FromTokio::new(sock), &mut rx[..], &mut tx[..]);
    client.login(&o.user, &o.password).await?;
    let mut sample = Sample::default();
    for rep in 0..=o.reps {
        let start = Instant::now();
        tokio::time::timeout(READ_TIMEOUT, round_trips(&mut client, o.round_trips)).await??;
        if rep > 0 {
            sample.times.push(start.elapsed());
        }
    }
    sample.items = o.round_trips as u64;
    Ok(sample)
}

// ---------------------------------------------------------------------------------------
// Child side.

const MODES: [&str; 7] = [
    "bulk-raw-untagged",
    "bulk-raw-std",
    "bulk-raw-tokio",
    "bulk-client",
    "rtt-raw-std",
    "rtt-raw-tokio",
    "rtt-client",
];

fn run_child(o: &Options, mode: &str) -> Result<Sample, Failure> {
    let addr = o.addr.ok_or("--mode needs --addr")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut sample = match mode {
        "bulk-raw-std" => bulk_raw_std(o, addr, true)?,
        "bulk-raw-untagged" => bulk_raw_std(o, addr, false)?,
        "rtt-raw-std" => rtt_raw_std(o, addr)?,
        "bulk-raw-tokio" => runtime.block_on(bulk_raw_tokio(o, addr))?,
        "rtt-raw-tokio" => runtime.block_on(rtt_raw_tokio(o, addr))?,
        "bulk-client" => runtime.block_on(bulk_client(o, addr))?,
        "rtt-client" => runtime.block_on(rtt_client(o, addr))?,
        other => return Err(format!("unknown mode {other}").into()),
    };
    sample.mode = mode.to_string();
    sample.peak_rss_kib = memory().map_or(0, |m| m.peak_rss_kib);
    Ok(sample)
}

// ---------------------------------------------------------------------------------------
// Parent side.

struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `--user`/`--password` for the simulator, only when they differ from its defaults.
fn credentials(o: &Options) -> Vec<String> {
    let mut args = Vec::new();
    if o.user != "admin" {
        args.extend(["--user".to_string(), o.user.clone()]);
    }
    if !o.password.is_empty() {
        args.extend(["--password".to_string(), o.password.clone()]);
    }
    args
}

fn start_sim(o: &Options) -> Result<(Sim, SocketAddr), Failure> {
    let path = match &o.sim {
        Some(path) => path.into(),
        None => std::env::current_exe()?
            .parent()
            .ok_or("executable has no folder")?
            .join("routeros-sim"),
    };
    let mut child = Process::new(&path)
        .args(["--listen", "127.0.0.1:0", "--rows", &o.rows.to_string()])
        .args(credentials(o))
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", path.display()))?;
    let stdout = child.stdout.take().ok_or("simulator has no stdout")?;
    let sim = Sim(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let addr = line
        .split_whitespace()
        .find_map(|w| w.parse::<SocketAddr>().ok())
        .ok_or_else(|| format!("simulator printed no address: {line:?}"))?;
    Ok((sim, addr))
}

fn run_in_child(o: &Options, addr: SocketAddr, mode: &str) -> Result<Sample, Failure> {
    let out = Process::new(std::env::current_exe()?)
        .args(["--mode", mode, "--addr", &addr.to_string()])
        .args(["--rows", &o.rows.to_string(), "--reps", &o.reps.to_string()])
        .args(["--round-trips", &o.round_trips.to_string()])
        .args(credentials(o))
        .stderr(Stdio::inherit())
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!("{mode} failed ({})", out.status).into());
    }
    text.lines()
        .find_map(Sample::from_line)
        .ok_or_else(|| format!("{mode} printed no result").into())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn report(o: &Options, samples: &[Sample]) -> String {
    let find = |m: &str| samples.iter().find(|s| s.mode == m);
    let mut out = String::new();
    let bulk_bytes = find("bulk-raw-std").map_or(0, |s| s.bytes);
    out.push_str(&format!(
        "bulk: /ip/firewall/address-list/print, {} rows, {:.2} MB reply (tagged)\n",
        o.rows,
        bulk_bytes as f64 / 1e6
    ));
    out.push_str(&format!(
        "{:<16} {:>10} {:>10} {:>8} {:>10} {:>9} {:>11} {:>10}\n",
        "measurement", "best ms", "median ms", "MB/s", "rows/s", "vs raw", "vs tokio", "peak RSS"
    ));
    let raw_std = find("bulk-raw-std").map(Sample::median);
    let raw_tokio = find("bulk-raw-tokio").map(Sample::median);
    for mode in [
        "bulk-raw-untagged",
        "bulk-raw-std",
        "bulk-raw-tokio",
        "bulk-client",
    ] {
        let Some(s) = find(mode) else { continue };
        let med = s.median();
        let ratio = |base: Option<Duration>| {
            base.map_or("-".to_string(), |b| {
                format!("{:.2}x", med.as_secs_f64() / b.as_secs_f64())
            })
        };
        out.push_str(&format!(
            "{:<16} {:>10.2} {:>10.2} {:>8.0} {:>10.0} {:>9} {:>11} {:>7.1} MiB\n",
            mode,
            ms(s.best()),
            ms(med),
            if s.bytes > 0 { s.bytes } else { bulk_bytes } as f64 / med.as_secs_f64() / 1e6,
            s.items as f64 / med.as_secs_f64(),
            ratio(raw_std),
            ratio(raw_tokio),
            s.peak_rss_kib as f64 / 1024.0
        ));
    }
    out.push_str(&format!(
        "\nround trips: {} x /system/identity/print, sequential, one connection\n",
        o.round_trips
    ));
    out.push_str(&format!(
        "{:<16} {:>10} {:>10} {:>8} {:>10} {:>9} {:>11} {:>10}\n",
        "measurement", "best ms", "median ms", "us/rt", "rt/s", "vs raw", "vs tokio", "peak RSS"
    ));
    let raw_std = find("rtt-raw-std").map(Sample::median);
    let raw_tokio = find("rtt-raw-tokio").map(Sample::median);
    for mode in ["rtt-raw-std", "rtt-raw-tokio", "rtt-client"] {
        let Some(s) = find(mode) else { continue };
        let med = s.median();
        let ratio = |base: Option<Duration>| {
            base.map_or("-".to_string(), |b| {
                format!("{:.2}x", med.as_secs_f64() / b.as_secs_f64())
            })
        };
        out.push_str(&format!(
            "{:<16} {:>10.2} {:>10.2} {:>8.1} {:>10.0} {:>9} {:>11} {:>7.1} MiB\n",
            mode,
            ms(s.best()),
            ms(med),
            med.as_secs_f64() * 1e6 / s.items as f64,
            s.items as f64 / med.as_secs_f64(),
            ratio(raw_std),
            ratio(raw_tokio),
            s.peak_rss_kib as f64 / 1024.0
        ));
    }
    out
}

fn json(samples: &[Sample]) -> String {
    let records: Vec<String> = samples
        .iter()
        .map(|s| {
            let times: Vec<String> = s.times.iter().map(|t| format!("{:.6}", ms(*t))).collect();
            format!(
                "{{\"client\": \"{}\", \"best_ms\": {:.6}, \"median_ms\": {:.6}, \"times_ms\": [{}], \
                 \"bytes\": {}, \"items\": {}, \"peak_rss_kib\": {}}}",
                s.mode,
                ms(s.best()),
                ms(s.median()),
                times.join(", "),
                s.bytes,
                s.items,
                s.peak_rss_kib
            )
        })
        .collect();
    format!("[\n  {}\n]\n", records.join(",\n  "))
}

fn run() -> Result<(), Failure> {
    let mut o = parse_args()?;
    if let Some(mode) = o.mode.clone() {
        let sample = run_child(&o, &mode)?;
        println!("{}", sample.line());
        return Ok(());
    }
    let (_sim, addr) = match o.addr {
        Some(addr) => (None, addr),
        None => {
            let (sim, addr) = start_sim(&o)?;
            (Some(sim), addr)
        }
    };
    o.addr = Some(addr);
    eprintln!(
        "simulator at {addr}; {} rounds of every measurement, {} timed reps each",
        o.rounds, o.reps
    );
    // Rounds interleave the measurements, so a change in the machine's load during the run
    // affects them all alike; each child is a fresh process.
    let mut samples: Vec<Sample> = Vec::new();
    for round in 1..=o.rounds {
        eprintln!("  round {round}: {}", MODES.join(", "));
        for mode in MODES {
            let sample = run_in_child(&o, addr, mode)?;
            match samples.iter_mut().find(|s| s.mode == mode) {
                Some(all) => all.merge(sample),
                None => samples.push(sample),
            }
        }
    }
    print!("{}", report(&o, &samples));
    if let Some(path) = &o.json {
        std::fs::write(path, json(&samples))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("e2e: {e}");
            ExitCode::FAILURE
        }
    }
}
