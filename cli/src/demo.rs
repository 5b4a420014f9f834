//! The demo run when no `--host` is given: a tour of the API against the built-in simulator.

use std::time::Instant;

use routeros_core::Reply;
use routeros_sim::{SimConfig, SimHandle, Simulator};
use routeros_tokio::Config;

use crate::escape::escape_text;
use crate::output::Output;
use crate::{connect, Connection, Failure};

/// Interface columns shown in the table.
const INTERFACE_COLUMNS: [&str; 6] = ["name", "type", "mtu", "mac-address", "running", "disabled"];
/// Monitor samples taken before the stream is cancelled.
const SAMPLES: usize = 5;

/// Starts the built-in simulator on its own thread, accepting these credentials. Only
/// without `--host`: with one, the simulator is never built.
pub(crate) fn simulator(user: &str, password: &str) -> std::io::Result<SimHandle> {
    Simulator::spawn(SimConfig {
        username: user.to_owned(),
        password: password.to_owned(),
        ..SimConfig::default()
    })
}

/// Logs in, lists interfaces, shows identity and resources, watches ether1's traffic for a
/// second and cancels the stream.
pub(crate) async fn run(config: &Config, out: &mut Output) -> Result<(), Failure> {
    out.line(&format!(
        "RouterOS API demo against the built-in simulator at {}:{}",
        config.get_host(),
        config.get_port()
    ))?;
    let mut client = connect(config).await?;
    out.line(&format!(
        "logged in as {}\n",
        escape_text(config.get_user())
    ))?;

    interfaces(&mut client, out).await?;
    identity(&mut client, out).await?;
    resource(&mut client, out).await?;
    monitor(&mut client, out).await?;

    client.quit().await?;
    out.line("\nDone. Run `routeros --help` to talk to a real router.")?;
    Ok(())
}

/// Reads every row of a command as (name, value) text pairs.
async fn rows(
    client: &mut Connection,
    words: &[&str],
) -> Result<Vec<Vec<(String, String)>>, Failure> {
    let mut response = client.command(words).await?;
    let mut rows = Vec::new();
    while let Some(row) = response.next().await {
        rows.push(pairs(&row?));
    }
    Ok(rows)
}

fn pairs(row: &Reply<'_>) -> Vec<(String, String)> {
    row.attributes()
        .map(|(k, v)| (escape_text(&k.to_string()), escape_text(&v.to_string())))
        .collect()
}

/// A field's value; of a key sent twice, the later value (the rule of `Reply::get`).
fn field<'r>(row: &'r [(String, String)], name: &str) -> &'r str {
    row.iter()
        .rev()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

async fn interfaces(client: &mut Connection, out: &mut Output) -> Result<(), Failure> {
    let proplist = format!("=.proplist={}", INTERFACE_COLUMNS.join(","));
    let rows = rows(client, &["/interface/print", &proplist]).await?;
    out.line(&format!("Interfaces (/interface/print): {}", rows.len()))?;
    let cells: Vec<Vec<&str>> = rows
        .iter()
        .map(|row| INTERFACE_COLUMNS.iter().map(|c| field(row, c)).collect())
        .collect();
    for line in table(&INTERFACE_COLUMNS, &cells) {
        out.line(&format!("  {line}"))?;
    }
    Ok(())
}

/// Lays out a table with a header, columns as wide as their widest cell.
fn table(header: &[&str], rows: &[Vec<&str>]) -> Vec<String> {
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[&str]| -> String {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, &w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    let mut lines = vec![line(header)];
    lines.extend(rows.iter().map(|r| line(r)));
    lines
}

async fn identity(client: &mut Connection, out: &mut Output) -> Result<(), Failure> {
    let rows = rows(client, &["/system/identity/print"]).await?;
    let name = rows.first().map_or("", |r| field(r, "name"));
    out.line(&format!("\nIdentity (/system/identity/print): {name}"))
}

async fn resource(client: &mut Connection, out: &mut Output) -> Result<(), Failure> {
    let rows = rows(client, &["/system/resource/print"]).await?;
    let Some(row) = rows.first() else {
        return Ok(());
    };
    out.line("\nSystem resource (/system/resource/print):")?;
    let mib = |name: &str| {
        field(row, name).parse::<u64>().map_or_else(
            |_| "?".to_string(),
            |b| format!("{:.0} MiB", b as f64 / 1048576.0),
        )
    };
    for (label, value) in [
        ("board", field(row, "board-name").to_string()),
        ("version", field(row, "version").to_string()),
        ("architecture", field(row, "architecture-name").to_string()),
        ("uptime", field(row, "uptime").to_string()),
        ("cpu load", format!("{}%", field(row, "cpu-load"))),
        (
            "memory",
            format!("{} free of {}", mib("free-memory"), mib("total-memory")),
        ),
    ] {
        out.line(&format!("  {label:<13} {value}"))?;
    }
    Ok(())
}

async fn monitor(client: &mut Connection, out: &mut Output) -> Result<(), Failure> {
    out.line(&format!(
        "\nTraffic on ether1 (/interface/monitor-traffic =interval=0.2), {SAMPLES} samples:"
    ))?;
    let header = ["time", "rx bit/s", "tx bit/s", "rx packet/s", "tx packet/s"];
    out.line(&format!(
        "  {:>6}  {:>12}  {:>12}  {:>11}  {:>11}",
        header[0], header[1], header[2], header[3], header[4]
    ))?;
    out.flush()?;
    let start = Instant::now();
    let mut response = client
        .command(&[
            "/interface/monitor-traffic",
            "=interface=ether1",
            "=interval=0.2",
        ])
        .await?;
    let mut samples = 0;
    while samples < SAMPLES {
        let Some(row) = response.next().await else {
            break;
        };
        let row = pairs(&row?);
        samples += 1;
        out.line(&format!(
            "  {:>5.1}s  {:>12}  {:>12}  {:>11}  {:>11}",
            start.elapsed().as_secs_f64(),
            field(&row, "rx-bits-per-second"),
            field(&row, "tx-bits-per-second"),
            field(&row, "rx-packets-per-second"),
            field(&row, "tx-packets-per-second"),
        ))?;
        out.flush()?;
    }
    let tag = response.tag();
    response.cancel().await?;
    out.line(&format!(
        "  stream cancelled cleanly (/cancel =tag={tag}: interrupted, then !done)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns() {
        let rows = vec![vec!["ether1", "1500"], vec!["bridge1", "auto"]];
        assert_eq!(
            table(&["name", "mtu"], &rows),
            ["name     mtu", "ether1   1500", "bridge1  auto"]
        );
    }
}
