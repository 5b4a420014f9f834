#!/usr/bin/env bash
# Benchmark: one routeros-exporter polling a simulated fleet every 10 s with the default
# collectors, scraped every 10 s like Prometheus would; then mktxp (PyPI, in a venv) against
# as many of the same routers as it manages, with the closest set of its collectors.
#
#   bash exporter/bench.sh            1 000 routers, 60 s measured; mktxp on 100 routers
#   bash exporter/bench.sh --smoke    100 routers, 20 s; mktxp skipped (CI smoke run)
#
# Measures the exporter's CPU (% of one core, over the measured window, scrapes included),
# peak RSS (VmHWM), /metrics latency, and per-router collection time (median, p99) from its
# own routeros_scrape_duration_seconds. The simulator runs in a separate process; its CPU is
# reported for context (the machine is shared).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

N=1000 WINDOW=60 MK_N=100 MK_SCRAPES=3 MKTXP=1
if [ "${1:-}" = "--smoke" ]; then N=100 WINDOW=20 MKTXP=0; fi
log() { printf '[exporter/bench] %s\n' "$*"; }
fail() { printf '[exporter/bench] FAIL: %s\n' "$*" >&2; exit 1; }

need=()
command -v curl >/dev/null || need+=(curl)
command -v python3 >/dev/null || need+=(python3)
if [ "$MKTXP" = 1 ]; then python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv); fi
if [ ${#need[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y "${need[@]}" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y "${need[@]}" >/dev/null; }
fi
# Each router is a listening socket and a connection in the simulator, one in the exporter.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" -gt $((N * 2 + 100)) ] || fail "open-file limit $(ulimit -n) is too low for $N routers"

log "building (release)"
cargo build --release -j2 -p routeros-sim -p routeros-exporter 2>&1 | tail -1
SIM="$ROOT/target/release/routeros-sim"
EXP="$ROOT/target/release/routeros-exporter"

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # utime + stime, in clock ticks
hz=$(getconf CLK_TCK)
hwm() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }  # KiB

# The fleet, on N consecutive ports.
BASE=""
for _ in $(seq 20); do
    b=$(( (RANDOM % 20000) + 12000 ))
    "$SIM" --listen "127.0.0.1:$b" --routers "$N" --password pw >"$WORK/fleet.out" 2>/dev/null &
    pid=$!
    for _ in $(seq 200); do [ "$(wc -l <"$WORK/fleet.out")" -ge "$N" ] && break; kill -0 $pid 2>/dev/null || break; sleep 0.05; done
    if [ "$(wc -l <"$WORK/fleet.out")" -ge "$N" ]; then BASE=$b; SIM_PID=$pid; PIDS+=($pid); break; fi
    kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
done
[ -n "$BASE" ] || fail "no free range of $N ports"
log "$N simulated routers on ports $BASE..$((BASE + N - 1))"

CONF="$WORK/exporter.toml"
python3 - "$CONF" "$N" "$BASE" <<'EOF'
import sys
path, n, base = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "w") as f:
    f.write('interval = "10s"\ntimeout = "5s"\n\n[defaults]\naddress = "127.0.0.1"\nuser = "admin"\npassword = "pw"\n')
    for i in range(n):
        f.write(f'\n[[router]]\nname = "router-{i}"\nport = {base + i}\n')
EOF
PORT=$(free_port)
"$EXP" --config "$CONF" --listen "127.0.0.1:$PORT" >/dev/null 2>"$WORK/exporter.err" &
EXP_PID=$!
PIDS+=($EXP_PID)
up_count() { curl -sf "http://127.0.0.1:$PORT/metrics" | grep -c '^routeros_up{.*} 1' || true; }
start=$(date +%s.%N)
for _ in $(seq 300); do [ "$(up_count)" -ge "$N" ] && break; sleep 0.1; done
[ "$(up_count)" -ge "$N" ] || fail "only $(up_count) of $N routers up after 30 s"
ALLUP=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
log "all $N routers up after $ALLUP s"

# The measured window: the exporter polls on its own; we scrape /metrics every 10 s.
t0=$(ticks $EXP_PID); s0=$(ticks $SIM_PID); w0=$(date +%s.%N)
: >"$WORK/scrapes"
end=$(( $(date +%s) + WINDOW ))
while [ "$(date +%s)" -lt "$end" ]; do
    curl -sf -o "$WORK/metrics.txt" -w '%{time_total} %{size_download}\n' "http://127.0.0.1:$PORT/metrics" >>"$WORK/scrapes"
    sleep 10
done
t1=$(ticks $EXP_PID); s1=$(ticks $SIM_PID); w1=$(date +%s.%N)
RSS=$(hwm $EXP_PID)
python3 - "$WORK" "$t0" "$t1" "$s0" "$s1" "$w0" "$w1" "$hz" "$RSS" "$N" <<'EOF' | tee "$WORK/result"
import statistics, sys
work, t0, t1, s0, s1, w0, w1, hz, rss, n = sys.argv[1:]
t0, t1, s0, s1, hz, rss, n = map(int, (t0, t1, s0, s1, hz, rss, n))
wall = float(w1) - float(w0)
cpu = (t1 - t0) / hz / wall * 100
sim = (s1 - s0) / hz / wall * 100
scr = [line.split() for line in open(f"{work}/scrapes")]
lat = sorted(float(a) for a, _ in scr)
size = int(scr[-1][1])
durs = []
up = 0
for line in open(f"{work}/metrics.txt"):
    if line.startswith("routeros_scrape_duration_seconds{"):
        durs.append(float(line.rsplit(" ", 1)[1]))
    if line.startswith("routeros_up{") and line.rstrip().endswith(" 1.0"):
        up += 1
durs.sort()
p99 = durs[min(len(durs) - 1, int(len(durs) * 0.99))]
print(f"| routers | {n} ({up} up at the last scrape) |")
print(f"| measured window | {wall:.0f} s, polls every 10 s, a /metrics scrape every 10 s |")
print(f"| CPU (one core) | {cpu:.1f} % (simulator: {sim:.1f} %) |")
print(f"| peak RSS | {rss / 1024:.1f} MiB |")
print(f"| /metrics latency | median {statistics.median(lat) * 1000:.0f} ms, max {max(lat) * 1000:.0f} ms, {size / 1e6:.1f} MB |")
print(f"| per-router collection | median {statistics.median(durs) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms |")
EOF
[ "$(grep -c '^routeros_up{.*} 1' "$WORK/metrics.txt")" -ge "$N" ] || fail "routers went down during the run"

[ "$MKTXP" = 1 ] || { log "smoke run done"; exit 0; }

# mktxp, in a venv, against the first MK_N routers of the same fleet.
VENV="${MKTXP_VENV:-$ROOT/target/mktxp-venv}"
if [ ! -x "$VENV/bin/mktxp" ]; then
    log "installing mktxp into $VENV"
    python3 -m venv "$VENV" && "$VENV/bin/pip" install -q mktxp
fi
MKV=$("$VENV/bin/pip" show mktxp | awk '/^Version/ {print $2}')
MKDIR="$WORK/mktxp"
mkdir -p "$MKDIR"
timeout 30 "$VENV/bin/mktxp" --cfg-dir "$MKDIR" show >/dev/null 2>&1 || true
[ -f "$MKDIR/mktxp.conf" ] || fail "mktxp did not write its configuration"
MK_PORT=$(free_port)
python3 - "$MKDIR" "$MK_N" "$BASE" "$MK_PORT" <<'EOF'
import re, sys
d, n, base, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
conf = open(f"{d}/mktxp.conf").read()
default = conf[conf.index("[default]"):]
# The collectors closest to the exporter's defaults; everything else off.
same = {"health", "dhcp", "dhcp_lease", "connections", "interface", "route", "firewall", "poe",
        "netwatch", "wireless", "wireless_clients", "queue"}
# Connection settings and output options keep their values.
keep = {"enabled", "module_only", "use_ssl", "no_ssl_certificate", "ssl_certificate_verify",
        "ssl_check_hostname", "plaintext_login", "interface_with_default_name",
        "address_list_entries", "total_address_list_counts", "ipv6_address_list_entries",
        "ipv6_total_address_list_counts"}
def switch(m):
    key = m.group(2)
    if key in keep:
        return m.group(0)
    return f"{m.group(1)}{key} = {'True' if key in same else 'False'}{m.group(4)}"
default = re.sub(r"^(\s*)([a-z0-9_]+)(\s*=\s*)(?:True|False)(.*)$", switch, default, flags=re.M)
default = re.sub(r"^(\s*username\s*=\s*)\S+", r"\1admin", default, flags=re.M)
default = re.sub(r"^(\s*password\s*=\s*)\S+", r"\1pw", default, flags=re.M)
default = re.sub(r"^(\s*hostname\s*=\s*)\S+", r"\g<1>127.0.0.1", default, flags=re.M)
routers = "".join(f"[router-{i}]\n    port = {base + i}\n\n" for i in range(n))
open(f"{d}/mktxp.conf", "w").write(routers + default)
sys_conf = open(f"{d}/_mktxp.conf").read()
sys_conf = re.sub(r"^(\s*listen\s*=\s*).*$", rf"\1'127.0.0.1:{port}'", sys_conf, flags=re.M)
sys_conf = re.sub(r"^(\s*fetch_routers_in_parallel\s*=\s*)\S+", r"\1True", sys_conf, flags=re.M)
sys_conf = re.sub(r"^(\s*max_worker_threads\s*=\s*)\S+", r"\g<1>5", sys_conf, flags=re.M)
open(f"{d}/_mktxp.conf", "w").write(sys_conf)
EOF
"$VENV/bin/mktxp" --cfg-dir "$MKDIR" export >"$WORK/mktxp.log" 2>&1 &
MK_PID=$!
PIDS+=($MK_PID)
# mktxp connects to every router before it serves HTTP.
ready=$(date +%s.%N)
for _ in $(seq 600); do
    curl -s -o /dev/null -m 2 "http://127.0.0.1:$MK_PORT/" 2>/dev/null && break
    kill -0 $MK_PID 2>/dev/null || fail "mktxp exited: $(tail -3 "$WORK/mktxp.log")"
    sleep 0.5
done
READY=$(python3 -c "import time; print(f'{time.time() - $ready:.1f}')")
log "mktxp $MKV: $MK_N routers, 5 worker threads, serving after $READY s; $MK_SCRAPES scrapes"
m0=$(ticks $MK_PID); mw0=$(date +%s.%N)
: >"$WORK/mk_scrapes"
for _ in $(seq "$MK_SCRAPES"); do
    curl -sf -m 300 -o "$WORK/mk_metrics.txt" -w '%{time_total} %{size_download}\n' "http://127.0.0.1:$MK_PORT/metrics" >>"$WORK/mk_scrapes" ||
        fail "mktxp scrape failed: $(tail -3 "$WORK/mktxp.log")"
    # As Prometheus every 10 s (mktxp answers from a cache within minimal_collect_interval).
    sleep 10
done
m1=$(ticks $MK_PID); mw1=$(date +%s.%N)
MK_RSS=$(hwm $MK_PID)
python3 - "$WORK" "$m0" "$m1" "$mw0" "$mw1" "$hz" "$MK_RSS" "$MK_N" "$MKV" "$READY" <<'EOF' | tee -a "$WORK/result"
import statistics, sys
work, m0, m1, w0, w1, hz, rss, n, version, ready = sys.argv[1:]
m0, m1, hz, rss, n = map(int, (m0, m1, hz, rss, n))
wall = float(w1) - float(w0)
lat = [float(l.split()[0]) for l in open(f"{work}/mk_scrapes")]
med = statistics.median(lat)
series = sum(1 for l in open(f"{work}/mk_metrics.txt") if l and not l.startswith("#"))
print(f"| mktxp {version}: routers | {n} (5 worker threads), {series} series, serving after {ready} s |")
print(f"| mktxp: one collection of all of them | median {med:.2f} s, max {max(lat):.2f} s |")
print(f"| mktxp: routers per 10 s (extrapolated) | {n * 10 / med:.0f} |")
print(f"| mktxp: CPU while collecting | {(m1 - m0) / hz / wall * 100:.0f} % of one core |")
print(f"| mktxp: peak RSS | {rss / 1024:.1f} MiB |")
EOF
log "done"
