//! The `routeros-sim` program: first stdout line is the address, flags reach the simulator,
//! SIGTERM ends it.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use common::Client;

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(args: &[&str]) -> (Running, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_routeros-sim"))
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr: SocketAddr = line.trim().parse().unwrap();
    assert_ne!(addr.port(), 0);
    (Running(child), addr)
}

#[test]
fn prints_its_address_and_applies_flags() {
    let (_sim, addr) = start(&[
        "--user",
        "ops",
        "--password",
        "pw",
        "--rows",
        "3",
        "--empty",
    ]);
    let mut c = Client::connect(addr);
    assert_eq!(
        c.talk(&["/login", "=name=ops", "=password=pw"]),
        [vec!["!done"]]
    );
    assert_eq!(c.talk(&["/ip/firewall/address-list/print"]).len(), 4);
    assert_eq!(
        c.talk(&["/interface/print", "?type=vlan"]),
        [vec!["!empty"], vec!["!done"]]
    );
}

#[test]
fn bad_flags_fail() {
    let out = Command::new(env!("CARGO_BIN_EXE_routeros-sim"))
        .arg("--no-such-flag")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let help = Command::new(env!("CARGO_BIN_EXE_routeros-sim"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--disconnect-after-rows"));
}

#[cfg(unix)]
#[test]
fn sigterm_exits_cleanly() {
    let (mut sim, _addr) = start(&[]);
    let pid = sim.0.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = sim.0.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

#[cfg(feature = "tls")]
#[test]
fn tls_flags_serve_api_ssl() {
    let dir = std::env::temp_dir().join(format!("routeros-sim-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = routeros_sim::self_signed_cert(&["localhost"]);
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    std::fs::write(&cert_path, &cert).unwrap();
    std::fs::write(&key_path, &key).unwrap();
    let (_sim, addr) = start(&[
        "--tls-cert",
        cert_path.to_str().unwrap(),
        "--tls-key",
        key_path.to_str().unwrap(),
    ]);
    // A plain client gets no RouterOS reply from a TLS port.
    let mut c = Client::connect(addr);
    c.send(&["/login", "=name=admin", "=password="]);
    assert!(c.read_to_eof().0.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}
