#!/usr/bin/env bash
# CI smoke test of the benchmarks: checks that they run and report, measures nothing.
#
#   bash bench/ci.sh
#
# - the criterion codec benchmark in test mode (each case once, debug build);
# - `e2e` starting its own (debug) simulator with 2 000 rows, every measurement once;
# - the librouteros and node-routeros scripts (installed at their pinned versions into
#   bench/compare/.venv and bench/compare/node_modules) against that simulator;
# - report.py combining the results (into a temporary file, not RESULTS.md).
# Needs python3 with venv, node and npm; reaches only crates.io, PyPI and npm. About a minute
# after the workspace is built.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

step() { printf '\n==> bench: %s\n' "$*"; }

work="$(mktemp -d)"
sim_pid=""
cleanup() {
    if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

step "codec benchmark in test mode"
cargo test -p routeros-bench --bench codec

step "e2e against its own simulator"
cargo build -p routeros-sim -p routeros-bench --bin routeros-sim --bin e2e
target_dir="$(cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
"$target_dir/debug/e2e" --sim "$target_dir/debug/routeros-sim" --rows 2000 --reps 1 --rounds 1 \
    --round-trips 20 --json "$work/e2e.json"

step "comparison clients"
if [ ! -x "$here/compare/.venv/bin/python" ]; then
    python3 -m venv "$here/compare/.venv"
fi
"$here/compare/.venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "$here/compare/requirements.txt"
(cd "$here/compare" && npm ci --silent --no-audit --no-fund)

"$target_dir/debug/routeros-sim" --listen 127.0.0.1:0 --rows 2000 >"$work/sim.out" &
sim_pid=$!
for _ in $(seq 200); do
    [ -s "$work/sim.out" ] && break
    sleep 0.05
done
addr="$(head -n1 "$work/sim.out")"
for mode in bulk rtt; do
    "$here/compare/.venv/bin/python" "$here/compare/librouteros_bench.py" --addr "$addr" \
        --mode "$mode" --reps 1 --round-trips 20 >"$work/$mode-librouteros.json"
    node "$here/compare/node_routeros_bench.js" --addr "$addr" --mode "$mode" --reps 1 \
        --warmup 0 --round-trips 5 >"$work/$mode-node-routeros.json"
done

step "report"
cat >"$work/meta.json" <<EOF
{"command": "bash bench/ci.sh", "date": "$(date -u '+%Y-%m-%d %H:%M UTC')", "nproc": $(nproc),
 "cpu": "-", "memory": "-", "kernel": "$(uname -r)", "rustc": "$(rustc --version)",
 "python": "$(python3 -c 'import platform; print(platform.python_version())')",
 "node": "$(node --version)", "sim": "routeros-sim --rows 2000", "load_before": "-",
 "load_after": "-"}
EOF
python3 "$here/report.py" "$work" "$work/RESULTS.md" >/dev/null
python3 - "$work" <<'EOF'
import json, os, sys
work = sys.argv[1]
records = {r["client"]: r for r in json.load(open(os.path.join(work, "e2e.json")))}
for name in ["bulk-librouteros", "rtt-librouteros", "bulk-node-routeros", "rtt-node-routeros"]:
    records[name] = json.load(open(os.path.join(work, name + ".json")))
expected = {
    "bulk-raw-untagged": 2000, "bulk-raw-std": 2000, "bulk-raw-tokio": 2000, "bulk-client": 2000,
    "rtt-raw-std": 20, "rtt-raw-tokio": 20, "rtt-client": 20,
    "bulk-librouteros": 2000, "rtt-librouteros": 20, "bulk-node-routeros": 2000,
    "rtt-node-routeros": 5,
}
bad = [f"{k}: {records.get(k, {}).get('items')} items, want {v}"
       for k, v in expected.items()
       if records.get(k, {}).get("items") != v or not records[k].get("best_ms", 0) > 0
       or not records[k].get("peak_rss_kib", 0) > 0]
report = open(os.path.join(work, "RESULTS.md")).read()
if "missing" in report:
    bad.append("report lists missing results")
if bad:
    sys.exit("bench smoke test failed:\n  " + "\n  ".join(bad))
print("bench: 11 passed, 0 failed")
EOF
