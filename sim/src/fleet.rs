//! Fleet mode: many simulated routers in one process, each with its own listener, model,
//! identity (`router-<i>`) and counters, for exporters and their benchmarks.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use crate::{SimConfig, SimHandle, Simulator};

/// Many simulated routers. Router `i` answers `/system/identity/print` with `router-<i>`;
/// every router has its own model, so counters advance and changes stay per router.
///
/// Dropping the fleet shuts every router down.
#[derive(Debug)]
pub struct Fleet {
    routers: Vec<SimHandle>,
    /// Keeps the fleet's own runtime alive (for [`Fleet::spawn`]).
    runtime: Option<FleetThread>,
}

#[derive(Debug)]
struct FleetThread {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for FleetThread {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The name router `index` of a fleet gives itself.
pub fn fleet_identity(index: usize) -> String {
    format!("router-{index}")
}

impl Fleet {
    /// Starts `count` routers in the current tokio runtime, on consecutive ports from
    /// `first`'s (router `i` on port `first.port() + i`). With port 0 each router takes any
    /// free port. Fails if a port is taken or the range passes 65535.
    pub async fn start(
        config: SimConfig,
        first: SocketAddr,
        count: usize,
    ) -> std::io::Result<Fleet> {
        let mut routers = Vec::with_capacity(count);
        for i in 0..count {
            let mut addr = first;
            if first.port() != 0 {
                let port = u16::try_from(usize::from(first.port()) + i).map_err(|_| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        "the fleet's ports pass 65535",
                    )
                })?;
                addr.set_port(port);
            }
            let handle = Simulator::start(config.clone(), addr).await?;
            handle.shared.db().set_identity(fleet_identity(i));
            routers.push(handle);
        }
        Ok(Fleet {
            routers,
            runtime: None,
        })
    }

    /// Starts `count` routers on free ports of `127.0.0.1`, served by one runtime of its own on
    /// a background thread. Usable from plain code and from inside any runtime.
    pub fn spawn(config: SimConfig, count: usize) -> std::io::Result<Fleet> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("routeros-fleet")
            .enable_all()
            .build()?;
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("routeros-fleet".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let first: SocketAddr = ([127, 0, 0, 1], 0).into();
                    let started = Fleet::start(config, first, count).await;
                    let _ = ready_tx.send(started);
                    let _ = stop_rx.await;
                });
                drop(runtime);
            })?;
        let mut fleet = ready_rx
            .recv()
            .map_err(|_| std::io::Error::other("the fleet's thread ended before starting"))??;
        fleet.runtime = Some(FleetThread {
            stop: Some(stop_tx),
            thread: Some(thread),
        });
        Ok(fleet)
    }

    /// The routers, in index order.
    pub fn routers(&self) -> &[SimHandle] {
        &self.routers
    }

    /// The address of every router, in index order.
    pub fn addrs(&self) -> Vec<SocketAddr> {
        self.routers.iter().map(SimHandle::addr).collect()
    }

    /// Login attempts with credentials, over all routers.
    pub fn login_attempts(&self) -> usize {
        self.routers.iter().map(SimHandle::login_attempts).sum()
    }

    /// One line per router whose connection or login counts changed since `last` (which is
    /// updated): `stats router=<i> addr=<a> connections=<n> logins=<n>`. Menu-independent
    /// numbers for tests that watch how often a client reconnects or logs in.
    pub fn stats_lines(&self, last: &mut Vec<(usize, usize)>) -> String {
        last.resize(self.routers.len(), (0, 0));
        let mut out = String::new();
        for (i, (router, seen)) in self.routers.iter().zip(last.iter_mut()).enumerate() {
            let now = (router.connections_accepted(), router.login_attempts());
            if now != *seen {
                *seen = now;
                let _ = writeln!(
                    out,
                    "stats router={i} addr={} connections={} logins={}",
                    router.addr(),
                    now.0,
                    now.1
                );
            }
        }
        out
    }

    /// Stops every router.
    pub fn shutdown(self) {
        drop(self);
    }
}

impl SimHandle {
    /// Login attempts that carried credentials (a plain `/login` with a password, or an MD5
    /// response), successful or not.
    pub fn login_attempts(&self) -> usize {
        self.shared.logins.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{encode_sentence, parse_sentence, Parsed};
    use std::io::{Read, Write};

    /// Sends `words`, reads sentences until one starts with `!done`, returns them all.
    fn ask(sock: &mut std::net::TcpStream, words: &[&[u8]]) -> Vec<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        encode_sentence(words, &mut out);
        sock.write_all(&out).unwrap();
        let mut buf = Vec::new();
        let mut got = Vec::new();
        loop {
            while let Ok(Parsed::Sentence { words, used }) = parse_sentence(&buf, 1 << 20) {
                buf.drain(..used);
                let done = words.first().is_some_and(|w| w == b"!done");
                got.push(words);
                if done {
                    return got;
                }
            }
            let mut chunk = [0u8; 4096];
            let n = sock.read(&mut chunk).unwrap();
            assert!(n > 0, "closed");
            buf.extend_from_slice(&chunk[..n]);
        }
    }

    #[test]
    fn each_router_has_its_identity_and_counts_logins() {
        let fleet = Fleet::spawn(
            SimConfig {
                password: "pw".into(),
                ..SimConfig::default()
            },
            3,
        )
        .unwrap();
        assert_eq!(fleet.addrs().len(), 3);
        let mut last = Vec::new();
        assert_eq!(fleet.stats_lines(&mut last), "");
        for (i, addr) in fleet.addrs().into_iter().enumerate() {
            let mut sock = std::net::TcpStream::connect(addr).unwrap();
            let bad = ask(&mut sock, &[b"/login", b"=name=admin", b"=password=no"]);
            assert_eq!(bad[0][0], b"!trap");
            ask(&mut sock, &[b"/login", b"=name=admin", b"=password=pw"]);
            let rows = ask(&mut sock, &[b"/system/identity/print"]);
            let name = format!("=name=router-{i}");
            assert!(rows[0].iter().any(|w| w == name.as_bytes()), "{rows:?}");
        }
        assert_eq!(fleet.login_attempts(), 6);
        assert_eq!(fleet.routers()[1].login_attempts(), 2);
        let lines = fleet.stats_lines(&mut last);
        assert_eq!(lines.lines().count(), 3, "{lines}");
        assert!(lines.contains("stats router=2 ") && lines.contains("logins=2"));
        assert_eq!(
            fleet.stats_lines(&mut last),
            "",
            "only changes are reported"
        );
        fleet.shutdown();
    }

    #[test]
    fn consecutive_ports() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            // Find a free range by binding port 0 and hoping the next ones are free too;
            // retry a few times since other tests take ports concurrently.
            for _ in 0..20 {
                let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                let port = probe.local_addr().unwrap().port();
                drop(probe);
                if port > 65_000 {
                    continue;
                }
                let first: SocketAddr = ([127, 0, 0, 1], port).into();
                if let Ok(fleet) = Fleet::start(SimConfig::default(), first, 4).await {
                    let ports: Vec<u16> = fleet.addrs().iter().map(|a| a.port()).collect();
                    assert_eq!(ports, vec![port, port + 1, port + 2, port + 3]);
                    return;
                }
            }
            panic!("no free range of 4 ports");
        });
    }

    #[test]
    fn ports_past_the_end_are_refused() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let first: SocketAddr = ([127, 0, 0, 1], 65_535).into();
        let r = rt.block_on(Fleet::start(SimConfig::default(), first, 3));
        assert!(r.is_err());
    }
}
