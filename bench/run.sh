#!/usr/bin/env bash
# Runs every benchmark against one simulator and writes bench/RESULTS.md.
#
#   bash bench/run.sh            everything (about 4 minutes once built)
#   SKIP_CODEC=1 bash bench/run.sh   without the criterion codec benchmark
#
# Builds the release simulator and bench binaries, installs the comparison clients
# (librouteros into bench/compare/.venv, node-routeros into bench/compare/node_modules, at the
# pinned versions), starts `routeros-sim --rows 100000` as a separate process on loopback,
# runs the raw readers and our client (bench/src/bin/e2e.rs), librouteros and node-routeros
# against it, and prints one combined table. Reaches only crates.io, PyPI and npm.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

ROWS="${ROWS:-100000}"
REPS="${REPS:-3}"
ROUNDS="${ROUNDS:-8}"
COMPARE_REPS="${COMPARE_REPS:-5}"

step() { printf '\n==> %s\n' "$*" >&2; }

work="$(mktemp -d)"
sim_pid=""
cleanup() {
    if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

step "build (release)"
cargo build --release -p routeros-sim -p routeros-bench --bin routeros-sim --bin e2e
target_dir="$(cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
sim="$target_dir/release/routeros-sim"
e2e="$target_dir/release/e2e"

step "comparison clients"
if [ ! -x "$here/compare/.venv/bin/python" ]; then
    python3 -m venv "$here/compare/.venv"
fi
"$here/compare/.venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "$here/compare/requirements.txt"
(cd "$here/compare" && npm ci --silent --no-audit --no-fund)

step "simulator"
"$sim" --listen 127.0.0.1:0 --rows "$ROWS" >"$work/sim.out" &
sim_pid=$!
for _ in $(seq 100); do
    [ -s "$work/sim.out" ] && break
    sleep 0.05
done
addr="$(head -n1 "$work/sim.out")"
echo "routeros-sim (pid $sim_pid) at $addr" >&2

step "raw readers and routeros-core client"
"$e2e" --addr "$addr" --rows "$ROWS" --reps "$REPS" --rounds "$ROUNDS" --json "$work/e2e.json"

step "librouteros"
py="$here/compare/.venv/bin/python"
"$py" "$here/compare/librouteros_bench.py" --addr "$addr" --mode bulk --reps "$COMPARE_REPS" \
    >"$work/bulk-librouteros.json"
"$py" "$here/compare/librouteros_bench.py" --addr "$addr" --mode rtt --reps "$COMPARE_REPS" \
    >"$work/rtt-librouteros.json"

step "node-routeros"
node "$here/compare/node_routeros_bench.js" --addr "$addr" --mode bulk --reps "$COMPARE_REPS" \
    >"$work/bulk-node-routeros.json"
# node-routeros writes each word with its own socket write and leaves Nagle's algorithm on,
# so every round trip waits for a delayed ACK (~40 ms): one timed repetition, no warm-up.
node "$here/compare/node_routeros_bench.js" --addr "$addr" --mode rtt --reps 1 --warmup 0 \
    >"$work/rtt-node-routeros.json"

kill "$sim_pid" 2>/dev/null || true
wait "$sim_pid" 2>/dev/null || true
sim_pid=""

if [ -z "${SKIP_CODEC:-}" ]; then
    step "codec (criterion)"
    cargo bench -p routeros-bench --bench codec 2>&1 | tee "$work/codec.txt" >&2
fi

load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$work/meta.json" "$sim" "$ROWS" "$load_before" "$load_after" <<'EOF'
import json, os, platform, subprocess, sys, datetime
path, sim, rows, before, after = sys.argv[1:]
def out(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except Exception as e:
        return f"unknown ({e})"
cpu = "unknown"
with open("/proc/cpuinfo") as f:
    for line in f:
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
with open("/proc/meminfo") as f:
    mem_kib = int(f.readline().split()[1])
json.dump({
    "command": "bash bench/run.sh",
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    "nproc": os.cpu_count(),
    "cpu": cpu,
    "memory": f"{mem_kib / 1048576:.0f} GiB RAM",
    "kernel": platform.release(),
    "rustc": out("rustc", "--version"),
    "python": platform.python_version(),
    "node": out("node", "--version"),
    "sim": f"routeros-sim --listen 127.0.0.1:0 --rows {rows}",
    "load_before": before,
    "load_after": after,
}, open(path, "w"))
EOF

step "results"
python3 "$here/report.py" "$work" "$here/RESULTS.md"
echo >&2
echo "written: $here/RESULTS.md" >&2
