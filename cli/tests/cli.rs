//! The `routeros` binary against an in-process simulator over loopback.

use std::net::SocketAddr;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use routeros_sim::{Faults, SimConfig, SimHandle, Simulator};
use serde_json::{Map, Value};

fn sim(config: SimConfig) -> SimHandle {
    Simulator::spawn(config).expect("simulator starts")
}

fn default_sim() -> SimHandle {
    sim(SimConfig::default())
}

/// Runs `routeros` with `args` (no password in the environment).
fn routeros(args: &[&str]) -> Output {
    routeros_env(args, None)
}

fn routeros_env(args: &[&str], password_env: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_routeros"));
    cmd.args(args).env_remove("ROUTEROS_PASSWORD");
    if let Some(p) = password_env {
        cmd.env("ROUTEROS_PASSWORD", p);
    }
    cmd.output().expect("routeros runs")
}

/// `--host 127.0.0.1 --port P` for the simulator, followed by `rest`.
fn against(addr: SocketAddr, rest: &[&str]) -> Output {
    let port = addr.port().to_string();
    let mut args = vec!["--host", "127.0.0.1", "--port", &port, "--timeout", "10000"];
    args.extend_from_slice(rest);
    routeros(&args)
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Parses every stdout line as a JSON object.
fn json_lines(out: &Output) -> Vec<Map<String, Value>> {
    stdout(out)
        .lines()
        .map(|line| match serde_json::from_str(line) {
            Ok(Value::Object(map)) => map,
            other => panic!("not a JSON object: {line:?} ({other:?})"),
        })
        .collect()
}

fn keys(row: &Map<String, Value>) -> Vec<&str> {
    row.keys().map(String::as_str).collect()
}

#[test]
fn print_with_query_and_proplist() {
    let sim = default_sim();
    let out = against(
        sim.addr(),
        &["/interface/print", "?type=ether", "=.proplist=name,mtu"],
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert_eq!(stderr(&out), "");
    let rows = json_lines(&out);
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["ether1", "ether2", "ether3", "ether4", "ether5"]);
    for row in &rows {
        assert_eq!(keys(row), ["name", "mtu"], "only the proplist comes back");
        assert_eq!(row["mtu"], "1500");
    }
}

#[test]
fn print_keeps_ids_and_values_as_sent() {
    let sim = default_sim();
    let out = against(
        sim.addr(),
        &[
            "/interface/print",
            "?name=bridge1",
            "=.proplist=.id,name,mtu",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let rows = json_lines(&out);
    assert_eq!(rows.len(), 1);
    assert_eq!(keys(&rows[0]), [".id", "name", "mtu"]);
    assert!(rows[0][".id"].as_str().unwrap().starts_with('*'));
    assert_eq!(rows[0]["mtu"], "auto", "values are strings exactly as sent");
}

#[test]
fn add_prints_ret_and_the_item_exists() {
    let sim = default_sim();
    let out = against(
        sim.addr(),
        &[
            "/ip/address/add",
            "=address=10.7.7.1/24",
            "=interface=ether2",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1);
    assert_eq!(keys(&lines[0]), ["ret"]);
    let id = lines[0]["ret"].as_str().unwrap().to_string();
    assert!(id.starts_with('*'), "ret is an id: {id}");
    // The raw line has the documented shape.
    assert_eq!(stdout(&out), format!("{{\"ret\": \"{id}\"}}\n"));

    let out = against(sim.addr(), &["/ip/address/print", "?address=10.7.7.1/24"]);
    let rows = json_lines(&out);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][".id"], id.as_str());
    assert_eq!(rows[0]["interface"], "ether2");
    assert_eq!(rows[0]["network"], "10.7.7.0");
}

#[test]
fn trap_goes_to_stderr_with_exit_1() {
    let sim = default_sim();
    let out = against(sim.addr(), &["/ip/address/remove", "=.id=*99"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    assert!(err.contains("no such item"), "stderr: {err}");

    let out = against(
        sim.addr(),
        &[
            "/ip/address/add",
            "=address=not-an-address",
            "=interface=ether1",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("invalid value"), "stderr: {err}");
    assert!(
        err.contains("category 1: argument value failure"),
        "stderr: {err}"
    );
}

#[test]
fn wrong_password_exits_2_and_never_shows_the_password() {
    let sim = sim(SimConfig {
        password: "right-one".into(),
        ..SimConfig::default()
    });
    let out = against(
        sim.addr(),
        &["--password", "Wr0ngPa55", "/system/identity/print"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    assert!(err.contains("login failed"), "stderr: {err}");
    assert!(!err.contains("Wr0ngPa55") && !err.contains("right-one"));
}

#[test]
fn connection_refused_exits_2() {
    // A port that was just free: nothing listens there.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let out = routeros(&[
        "--host",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "/system/identity/print",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("cannot connect to 127.0.0.1:{port}")),
        "stderr: {err}"
    );
    assert!(err.to_lowercase().contains("refused"), "stderr: {err}");
}

#[test]
fn count_prints_only_the_number_of_rows() {
    let sim = sim(SimConfig {
        address_list_rows: 250,
        ..SimConfig::default()
    });
    let out = against(sim.addr(), &["--count", "/ip/firewall/address-list/print"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), "250\n");

    // A query narrows the count to what a full print shows for that list.
    let all = json_lines(&against(sim.addr(), &["/ip/firewall/address-list/print"]));
    assert_eq!(all.len(), 250);
    let list = all[0]["list"].as_str().unwrap().to_string();
    let expected = all.iter().filter(|r| r["list"] == list.as_str()).count();
    assert!(expected < 250);
    let query = format!("?list={list}");
    let out = against(
        sim.addr(),
        &["--count", "/ip/firewall/address-list/print", &query],
    );
    assert_eq!(stdout(&out), format!("{expected}\n"));
}

#[test]
fn stream_takes_n_rows_then_cancels() {
    let sim = default_sim();
    let start = Instant::now();
    let out = against(
        sim.addr(),
        &[
            "--stream",
            "3",
            "/interface/monitor-traffic",
            "=interface=ether1",
            "=interval=0.2",
        ],
    );
    let took = start.elapsed();
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert_eq!(stderr(&out), "");
    let rows = json_lines(&out);
    assert_eq!(rows.len(), 3);
    for row in &rows {
        assert_eq!(row["name"], "ether1");
        let bits: u64 = row["rx-bits-per-second"].as_str().unwrap().parse().unwrap();
        assert!(bits > 0);
    }
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

#[test]
fn password_from_the_environment() {
    let sim = sim(SimConfig {
        password: "from-env-s3cret".into(),
        ..SimConfig::default()
    });
    let port = sim.addr().port().to_string();
    let args = [
        "--host",
        "127.0.0.1",
        "--port",
        &port,
        "/system/identity/print",
    ];
    let out = routeros_env(&args, Some("from-env-s3cret"));
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert_eq!(json_lines(&out)[0]["name"], "MikroTik");
    assert!(!stdout(&out).contains("from-env-s3cret"));

    // Without it, the login fails.
    let out = routeros(&args);
    assert_eq!(out.status.code(), Some(2));

    // The help never shows the value from the environment.
    let out = routeros_env(&["--help"], Some("from-env-s3cret"));
    assert_eq!(out.status.code(), Some(0));
    let help = stdout(&out);
    assert!(help.contains("ROUTEROS_PASSWORD"));
    assert!(!help.contains("from-env-s3cret"));
}

#[test]
fn demo_without_host() {
    let start = Instant::now();
    let out = routeros(&[]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(start.elapsed() < Duration::from_secs(10));
    let text = stdout(&out);
    for needle in [
        "Interfaces (/interface/print): 7",
        "ether1",
        "bridge1",
        "Identity (/system/identity/print): MikroTik",
        "System resource",
        "RB4011iGS+",
        "monitor-traffic",
        "stream cancelled cleanly",
    ] {
        assert!(
            text.contains(needle),
            "demo output lacks {needle:?}:\n{text}"
        );
    }
    // Five traffic samples, each a line with four numbers.
    let samples = text
        .lines()
        .filter(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            cols.len() == 5
                && cols[0].ends_with('s')
                && cols[1..].iter().all(|c| c.parse::<u64>().is_ok())
        })
        .count();
    assert_eq!(samples, 5, "{text}");
}

#[test]
fn words_without_host_run_against_the_built_in_simulator() {
    let out = routeros(&["/system/identity/print"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), "{\"name\": \"MikroTik\"}\n");
}

#[test]
fn timeout_exits_2() {
    let sim = sim(SimConfig {
        faults: Faults {
            delay_ms: 3000,
            ..Faults::default()
        },
        ..SimConfig::default()
    });
    let port = sim.addr().port().to_string();
    let start = Instant::now();
    let out = routeros(&[
        "--host",
        "127.0.0.1",
        "--port",
        &port,
        "--timeout",
        "300",
        "/system/identity/print",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("timed out after 300 ms"),
        "stderr: {}",
        stderr(&out)
    );
    assert!(start.elapsed() < Duration::from_secs(3));
}

#[test]
fn fatal_exits_2() {
    let sim = default_sim();
    let out = against(sim.addr(), &["/quit"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("session terminated on request"),
        "stderr: {}",
        stderr(&out)
    );
}

#[test]
fn non_utf8_values_are_read_as_windows_1252() {
    let sim = sim(SimConfig {
        faults: Faults {
            non_utf8: true,
            ..Faults::default()
        },
        ..SimConfig::default()
    });
    let out = against(
        sim.addr(),
        &[
            "/interface/print",
            "?name=ether2",
            "=.proplist=name,comment",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let rows = json_lines(&out);
    assert_eq!(rows[0]["comment"], "Café € réseau");
}

#[test]
fn host_without_words_is_a_usage_error() {
    let out = routeros(&["--host", "127.0.0.1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no command given"));
}
