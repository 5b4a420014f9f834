//! The `routeros` binary against a scripted router that misbehaves: text meant to fool a
//! terminal, duplicate keys, a connection closed after a trap, silence, a `/cancel` that is
//! ignored, a reply larger than the receive buffer.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use routeros_sim::{Faults, SimConfig, Simulator};
use serde_json::{Map, Value};

/// One sentence as the router sends it.
fn sentence(words: &[&[u8]]) -> Vec<u8> {
    routeros_test_support::sentence(words)
}

/// Reads one sentence (short length forms only, which is all this tool sends here).
fn read_sentence(sock: &mut TcpStream) -> Option<Vec<Vec<u8>>> {
    let mut words = Vec::new();
    loop {
        let mut b = [0u8; 1];
        sock.read_exact(&mut b).ok()?;
        let len = match b[0] {
            0 => return Some(words),
            n if n < 0x80 => n as usize,
            n if n < 0xC0 => {
                let mut c = [0u8; 1];
                sock.read_exact(&mut c).ok()?;
                (((n & 0x3f) as usize) << 8) | c[0] as usize
            }
            _ => return None,
        };
        let mut w = vec![0u8; len];
        sock.read_exact(&mut w).ok()?;
        words.push(w);
    }
}

/// The `.tag=` value of a command, as bytes for the reply.
fn tag_of(words: &[Vec<u8>]) -> Vec<u8> {
    words
        .iter()
        .find_map(|w| w.strip_prefix(b".tag="))
        .map(|t| [b".tag=", t].concat())
        .unwrap_or_default()
}

/// A router that logs anyone in and answers every later command with `script`, which gets
/// the command's words, the `.tag=...` word to put on replies, and the socket.
fn fake_router(
    script: impl Fn(&[Vec<u8>], &[u8], &mut TcpStream) + Send + Sync + 'static,
) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let script = std::sync::Arc::new(script);
    std::thread::spawn(move || {
        for sock in listener.incoming() {
            let Ok(mut sock) = sock else { return };
            let script = script.clone();
            std::thread::spawn(move || {
                while let Some(words) = read_sentence(&mut sock) {
                    let tag = tag_of(&words);
                    if words.first().map(Vec::as_slice) == Some(b"/login") {
                        let _ = sock.write_all(&sentence(&[b"!done", &tag]));
                    } else {
                        script(&words, &tag, &mut sock);
                    }
                }
            });
        }
    });
    addr
}

/// Runs `routeros` against `addr`; kills it (and fails) if it is still running after
/// `deadline`.
fn routeros(addr: SocketAddr, args: &[&str], deadline: Duration) -> (Output, Duration) {
    let port = addr.port().to_string();
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_routeros"))
        .args(["--host", "127.0.0.1", "--port", &port])
        .args(args)
        .env_remove("ROUTEROS_PASSWORD")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    loop {
        if child.try_wait().unwrap().is_some() {
            return (child.wait_with_output().unwrap(), started.elapsed());
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "routeros still running after {deadline:?}; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

/// No byte of `s` can act on a terminal: no C0 control but the final newline of each line,
/// no DEL, no C1 control.
fn terminal_safe(s: &str) -> bool {
    !s.chars()
        .any(|c| (c.is_control() && c != '\n') || ('\u{202a}'..='\u{202e}').contains(&c))
}

#[test]
fn trap_text_is_escaped_on_stderr() {
    let addr = fake_router(|_, tag, sock| {
        let _ = sock.write_all(&sentence(&[
            b"!trap",
            b"=category=1",
            b"=message=bad value\x1b[2J\x1b[H\r\nrouteros: all good\x07\xc2\x9b31m",
            tag,
        ]));
        let _ = sock.write_all(&sentence(&[b"!done", tag]));
    });
    let (out, _) = routeros(addr, &["/ip/address/add"], Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(terminal_safe(&err), "{err:?}");
    assert_eq!(
        err.lines().count(),
        1,
        "one line, no faked second one: {err:?}"
    );
    assert!(
        err.contains(r"bad value\x1b[2J\x1b[H\r\nrouteros: all good\x07\u{009b}31m"),
        "{err}"
    );
}

#[test]
fn fatal_reason_is_escaped_on_stderr() {
    let addr = fake_router(|_, _, sock| {
        let _ = sock.write_all(&sentence(&[b"!fatal", b"bye\x1b]0;owned\x07\nfake line"]));
        let _ = sock.shutdown(std::net::Shutdown::Both);
    });
    let (out, _) = routeros(addr, &["/system/identity/print"], Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(terminal_safe(&err), "{err:?}");
    assert!(err.contains(r"bye\x1b]0;owned\x07\nfake line"), "{err}");
}

#[test]
fn row_values_are_escaped_in_json() {
    let addr = fake_router(|_, tag, sock| {
        let _ = sock.write_all(&sentence(&[
            b"!re",
            b"=name=e\x1b[31mvil",
            b"=comment=\xc2\x9b2J \xe2\x80\xae gnp.exe \x7f",
            tag,
        ]));
        let _ = sock.write_all(&sentence(&[b"!done", tag]));
    });
    let (out, _) = routeros(addr, &["/interface/print"], Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(terminal_safe(&stdout), "{stdout:?}");
    let row: Map<String, Value> = serde_json::from_str(stdout.trim_end()).unwrap();
    assert_eq!(
        row["name"], "e\x1b[31mvil",
        "the JSON still means what was sent"
    );
    assert_eq!(row["comment"], "\u{9b}2J \u{202e} gnp.exe \x7f");
}

#[test]
fn duplicate_keys_give_one_json_key_with_the_later_value() {
    let addr = fake_router(|_, tag, sock| {
        let _ = sock.write_all(&sentence(&[
            b"!re",
            b"=.id=*1",
            b"=address=10.0.0.1",
            b"=list=blocked",
            b"=address=10.0.0.2",
            tag,
        ]));
        let _ = sock.write_all(&sentence(&[b"!done", tag]));
    });
    let (out, _) = routeros(
        addr,
        &["/ip/firewall/address-list/print"],
        Duration::from_secs(20),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout,
        "{\".id\": \"*1\", \"address\": \"10.0.0.2\", \"list\": \"blocked\"}\n"
    );
}

#[test]
fn trap_text_survives_a_connection_closed_before_done() {
    let addr = fake_router(|_, tag, sock| {
        let _ = sock.write_all(&sentence(&[
            b"!trap",
            b"=message=failure: out of memory",
            tag,
        ]));
        let _ = sock.shutdown(std::net::Shutdown::Both);
    });
    let (out, _) = routeros(addr, &["/system/backup/save"], Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(2), "the connection did not survive");
    let err = text(&out.stderr);
    assert!(err.contains("failure: out of memory"), "{err}");
    assert!(err.contains("closed"), "{err}");
}

#[test]
fn a_silent_router_times_out_by_default() {
    let addr = fake_router(|_, _, _| {});
    let (out, took) = routeros(addr, &["/system/identity/print"], Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("timed out after 10000 ms"), "{err}");
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[test]
fn a_stream_whose_cancel_is_ignored_ends_by_default() {
    let addr = fake_router(|words, tag, sock| {
        if words[0] == b"/cancel" {
            return; // ignored
        }
        // Rows for ever, until the client goes away.
        let mut sock = sock.try_clone().unwrap();
        let tag = tag.to_vec();
        std::thread::spawn(move || loop {
            let row = sentence(&[b"!re", b"=rx-bits-per-second=1000", &tag]);
            if sock.write_all(&row).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        });
    });
    let (out, took) = routeros(
        addr,
        &[
            "--stream",
            "2",
            "/interface/monitor-traffic",
            "=interface=ether1",
        ],
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stdout).lines().count(), 2, "the rows asked for");
    let err = text(&out.stderr);
    assert!(err.contains("did not end the stream"), "{err}");
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[test]
fn an_oversize_reply_says_which_option_to_change() {
    let sim = Simulator::spawn(SimConfig {
        faults: Faults {
            oversize_word: Some(20_000),
            ..Faults::default()
        },
        ..SimConfig::default()
    })
    .unwrap();
    let args = ["/interface/print", "?name=ether1"];
    let (out, _) = routeros(
        sim.addr(),
        &[&["--rx-buffer", "8192"][..], &args].concat(),
        Duration::from_secs(20),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("--rx-buffer") && err.contains("8192"), "{err}");

    let (out, _) = routeros(
        sim.addr(),
        &[&["--rx-buffer", "65536"][..], &args].concat(),
        Duration::from_secs(20),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let row: Map<String, Value> = serde_json::from_str(text(&out.stdout).trim_end()).unwrap();
    // The word is `=comment=` and the value.
    assert_eq!(
        row["comment"].as_str().unwrap().len(),
        20_000 - "=comment=".len()
    );
}
