#!/usr/bin/env python3
"""Combines the benchmark results written by bench/run.sh into one table.

Usage: report.py RESULTS_DIR OUTPUT_MARKDOWN

RESULTS_DIR holds e2e.json (from `e2e --json`), bulk-librouteros.json, rtt-librouteros.json,
bulk-node-routeros.json, rtt-node-routeros.json (one JSON object each), meta.json (machine and
command) and optionally codec.txt (criterion's output). Missing files are reported as missing,
not invented. Prints the tables and writes them, with the machine and command, as Markdown.
"""

import json
import os
import re
import sys

LABELS = {
    "raw-untagged": "raw reader, untagged print (reference)",
    "raw-std": "raw reader (std, blocking)",
    "raw-tokio": "raw reader (tokio)",
    "client": "routeros-core Client (tokio)",
    "librouteros": "librouteros (Python)",
    "node-routeros": "node-routeros (Node)",
}
ORDER = ["raw-std", "raw-tokio", "client", "librouteros", "node-routeros"]
BULK_ORDER = ["raw-untagged"] + ORDER
BULK_RSS_TARGET_KIB = 8 * 1024


def load(results):
    records = {}
    e2e = os.path.join(results, "e2e.json")
    if os.path.exists(e2e):
        with open(e2e) as f:
            for r in json.load(f):
                records[r["client"]] = r
    for name in ["bulk-librouteros", "rtt-librouteros", "bulk-node-routeros", "rtt-node-routeros"]:
        path = os.path.join(results, name + ".json")
        if os.path.exists(path):
            with open(path) as f:
                text = f.read().strip()
            if text:
                records[name] = json.loads(text.splitlines()[-1])
    return records


def mib(kib):
    return f"{kib / 1024:.1f} MiB"


def ratio(a, b):
    return f"{a / b:.2f}x" if a and b else "-"


def bulk_table(records, reply_bytes):
    raw = [records[k]["median_ms"] for k in ("bulk-raw-std", "bulk-raw-tokio") if k in records]
    fastest_raw = min(raw) if raw else None
    ours = records.get("bulk-client", {}).get("median_ms")
    lines = [
        "| client | best ms | median ms | MB/s | rows/s | time / raw | time / ours | peak RSS |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key in BULK_ORDER:
        r = records.get("bulk-" + key)
        if r is None:
            lines.append(f"| {LABELS[key]} | missing | | | | | | |")
            continue
        med = r["median_ms"]
        size = r.get("bytes") or reply_bytes
        mbs = size / (med / 1e3) / 1e6 if size else 0
        rows = r["items"] / (med / 1e3)
        lines.append(
            f"| {LABELS[key]} | {r['best_ms']:.1f} | {med:.1f} | {mbs:.0f} | {rows:,.0f} | "
            f"{ratio(med, fastest_raw)} | {ratio(med, ours)} | {mib(r['peak_rss_kib'])} |"
        )
    return lines, fastest_raw, ours


def rtt_table(records):
    raw = [records[k]["median_ms"] for k in ("rtt-raw-std", "rtt-raw-tokio") if k in records]
    fastest_raw = min(raw) if raw else None
    ours = records.get("rtt-client", {}).get("median_ms")
    lines = [
        "| client | best ms | median ms | µs per round trip | round trips/s | time / raw | time / ours | peak RSS |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key in ORDER:
        r = records.get("rtt-" + key)
        if r is None:
            lines.append(f"| {LABELS[key]} | missing | | | | | | |")
            continue
        med = r["median_ms"]
        per = med * 1e3 / r["items"]
        lines.append(
            f"| {LABELS[key]} | {r['best_ms']:.1f} | {med:.1f} | {per:.1f} | "
            f"{r['items'] / (med / 1e3):,.0f} | {ratio(med, fastest_raw)} | {ratio(med, ours)} | "
            f"{mib(r['peak_rss_kib'])} |"
        )
    return lines, fastest_raw, ours


def codec_lines(path):
    """criterion's `name / time: [lo mid hi] / thrpt: [lo mid hi]` blocks as a table."""
    if not os.path.exists(path):
        return ["codec benchmark not run"]
    with open(path) as f:
        text = f.read()
    lines = ["| benchmark | time (median) | throughput (median) |", "|---|---:|---:|"]
    pattern = re.compile(
        r"^(\S+/\S+)\s*\n\s+time:\s+\[\S+ \S+ (\S+ \S+) \S+ \S+\]\s*\n\s+thrpt:\s+\[\S+ \S+ (\S+ \S+) \S+ \S+\]",
        re.M,
    )
    for name, time, thrpt in pattern.findall(text):
        lines.append(f"| {name} | {time} | {thrpt} |")
    return lines


def verdict(ok):
    return "met" if ok else "**missed**"

# (best is the least disturbed repetition on a shared machine; median shows the spread)


def main():
    results, output = sys.argv[1], sys.argv[2]
    records = load(results)
    with open(os.path.join(results, "meta.json")) as f:
        meta = json.load(f)
    reply_bytes = records.get("bulk-raw-std", records.get("bulk-raw-tokio", {})).get("bytes", 0)

    bulk, _, _ = bulk_table(records, reply_bytes)
    rtt, _, _ = rtt_table(records)
    rss = records.get("bulk-client", {}).get("peak_rss_kib")

    def judged(name, ours_key, raw_keys, limit, unit):
        """One target line, judged on the best-of and on the median against the faster raw."""
        if ours_key not in records or not any(k in records for k in raw_keys):
            return f"- {name}: not evaluated (results missing)"
        parts = []
        for stat in ("best_ms", "median_ms"):
            raw = min(records[k][stat] for k in raw_keys if k in records)
            ours = records[ours_key][stat]
            r = ours / raw
            parts.append(
                f"{stat.split('_')[0]} {r:.2f}x ({unit(ours)} vs {unit(raw)}) {verdict(r <= limit)}"
            )
        return f"- {name}: " + "; ".join(parts)

    items = records.get("rtt-client", {}).get("items", 1000)
    targets = [
        judged("Bulk read within 2x of raw", "bulk-client", ("bulk-raw-std", "bulk-raw-tokio"),
               2.0, lambda ms: f"{ms:.1f} ms"),
        judged("Round trip within 1.1x of raw ping-pong", "rtt-client",
               ("rtt-raw-std", "rtt-raw-tokio"), 1.1, lambda ms: f"{ms * 1e3 / items:.1f} µs"),
    ]
    if rss:
        targets.insert(
            1,
            f"- Peak memory of the client process during the bulk read under 8 MiB: {mib(rss)} "
            f"{verdict(rss < BULK_RSS_TARGET_KIB)}",
        )

    versions = ", ".join(
        f"{name} {records[key]['version']}"
        for name, key in [("librouteros", "bulk-librouteros"), ("node-routeros", "bulk-node-routeros")]
        if key in records and "version" in records[key]
    )
    out = [
        "# Benchmark results",
        "",
        f"Written by `{meta['command']}` on {meta['date']}.",
        "",
        f"Machine: {meta['nproc']} cores, {meta['cpu']}, {meta['memory']}, Linux {meta['kernel']}; "
        f"load average {meta['load_before']} before and {meta['load_after']} after the run "
        "(the machine is shared: figures move by tens of percent between runs).",
        f"Toolchains: {meta['rustc']}; Python {meta['python']}; Node {meta['node']}. "
        f"Clients compared: {versions or 'none'}.",
        "",
        f"Simulator: `{meta['sim']}` (the release binary, a separate process), "
        f"{records.get('bulk-client', {}).get('items', '?')} address-list rows.",
        "",
        "## Bulk read: `/ip/firewall/address-list/print`",
        "",
        f"Reply: {reply_bytes / 1e6:.2f} MB as the simulator sends it to a tagged command "
        "(routeros-core and node-routeros tag every command; librouteros does not, so its reply "
        "is 7 bytes a row shorter). Time from sending the command to the final `!done`, "
        "connecting and login excluded; median of the timed repetitions after one warm-up. "
        "\"raw\" is the faster of the two raw readers, which only move bytes. Peak RSS is the "
        "peak resident set of the process that ran only this measurement.",
        "",
        *bulk,
        "",
        "## Round trips: 1 000 sequential `/system/identity/print`",
        "",
        *rtt,
        "",
        "## Targets",
        "",
        *(targets or ["- not evaluated: results missing"]),
        "",
        "See `bench/README.md` for what each measurement does and where the time goes.",
        "",
        "## Codec (criterion, `cargo bench -p routeros-bench --bench codec`)",
        "",
        *codec_lines(os.path.join(results, "codec.txt")),
        "",
    ]
    text = "\n".join(out)
    with open(output, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
