#!/usr/bin/env bash
# End-to-end test of routeros-exporter: a simulator fleet, a TLS router, a slow router, a
# router that goes down and comes back, a wrong password; three exporters splitting the
# routers with --shard; a real Prometheus scraping them, checked through its HTTP API.
#
# Usage: bash exporter/ci.sh        (installs prometheus, curl, python3 if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

log() { printf '[exporter/ci] %s\n' "$*"; }
fail() { printf '[exporter/ci] FAIL: %s\n' "$*" >&2; exit 1; }

need=()
command -v prometheus >/dev/null || need+=(prometheus)
command -v curl >/dev/null || need+=(curl)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y "${need[@]}" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y "${need[@]}" >/dev/null; }
fi
ulimit -n 65536 2>/dev/null || true

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

# Starts `routeros-sim ARGS` writing to $WORK/NAME.{out,err}; waits for its address.
start_sim() {
    local name=$1; shift
    "$SIM" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    local pid=$!
    PIDS+=("$pid")
    eval "PID_$name=$pid"
    for _ in $(seq 100); do
        [ -s "$WORK/$name.out" ] && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# The fleet: 6 routers on consecutive ports (router 5 gets a wrong password below).
FLEET=6
for _ in $(seq 20); do
    BASE=$(( (RANDOM % 20000) + 20000 ))
    if start_sim fleet --listen "127.0.0.1:$BASE" --routers "$FLEET" --password pw; then break; fi
    BASE=""
done
[ -n "$BASE" ] || fail "no free range of $FLEET ports for the fleet"
log "fleet of $FLEET routers from port $BASE"

TLS_PORT=$(free_port)
start_sim tls --listen "127.0.0.1:$TLS_PORT" --tls-generate --password pw || fail "TLS simulator"
for _ in $(seq 100); do grep -q 'sha256=' "$WORK/tls.err" && break; sleep 0.05; done
FP=$(sed -n 's/.*sha256=\([0-9a-fA-F:]*\).*/\1/p' "$WORK/tls.err" | head -1)
[ -n "$FP" ] || fail "no certificate fingerprint from the TLS simulator: $(cat "$WORK/tls.err")"
log "TLS router on $TLS_PORT, certificate sha256 $FP"

SLOW_PORT=$(free_port)
start_sim slow --listen "127.0.0.1:$SLOW_PORT" --delay-ms 3000 --password pw || fail "slow simulator"
FLAPPY_PORT=$(free_port)
start_sim flappy --listen "127.0.0.1:$FLAPPY_PORT" --password pw || fail "flappy simulator"

CONF="$WORK/exporter.toml"
{
    cat <<EOF
interval = "1s"
timeout = "1s"
backoff_initial = "500ms"
login_backoff_initial = "2s"
backoff_max = "4s"

[defaults]
address = "127.0.0.1"
user = "admin"
password_env = "ROUTER_PASSWORD"
labels = { site = "ci" }
EOF
    for i in $(seq 0 $((FLEET - 2))); do
        printf '\n[[router]]\nname = "fleet-%s"\nport = %s\n' "$i" $((BASE + i))
    done
    printf '\n[[router]]\nname = "badpw"\nport = %s\npassword = "wrong"\n' $((BASE + FLEET - 1))
    printf '\n[[router]]\nname = "tls"\nport = %s\ntls = { fingerprint = "%s" }\n' "$TLS_PORT" "$FP"
    printf '\n[[router]]\nname = "slow"\nport = %s\n' "$SLOW_PORT"
    printf '\n[[router]]\nname = "flappy"\nport = %s\n' "$FLAPPY_PORT"
} >"$CONF"
TOTAL=$((FLEET + 3))
export ROUTER_PASSWORD=pw

# Three exporters, one shard each.
TARGETS=""
for i in 0 1 2; do
    port=$(free_port)
    "$EXP" --config "$CONF" --listen "127.0.0.1:$port" --shard "$i/3" >"$WORK/exp$i.out" 2>"$WORK/exp$i.err" &
    PIDS+=($!)
    TARGETS="$TARGETS\"127.0.0.1:$port\","
    "$EXP" --config "$CONF" --shard "$i/3" --check >"$WORK/shard$i.list"
done
cat "$WORK"/shard?.list | sort >"$WORK/all.list"
[ "$(wc -l <"$WORK/all.list")" -eq "$TOTAL" ] || fail "shards list $(wc -l <"$WORK/all.list") routers, want $TOTAL"
[ "$(sort -u "$WORK/all.list" | wc -l)" -eq "$TOTAL" ] || fail "a router is in two shards"
log "shards: $(wc -l <"$WORK/shard0.list") + $(wc -l <"$WORK/shard1.list") + $(wc -l <"$WORK/shard2.list") routers"

PROM_PORT=$(free_port)
cat >"$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: routeros
    static_configs:
      - targets: [${TARGETS%,}]
EOF
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/data" \
    --web.listen-address="127.0.0.1:$PROM_PORT" >"$WORK/prometheus.log" 2>&1 &
PIDS+=($!)
log "prometheus on $PROM_PORT"

# q EXPR: the values of an instant query, space-separated.
q() {
    curl -sf --get --data-urlencode "query=$1" "http://127.0.0.1:$PROM_PORT/api/v1/query" |
        python3 -c 'import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(" ".join(x["value"][1] for x in r))' 2>/dev/null || true
}
# wait_for EXPR WANT SECONDS: until the query gives exactly WANT.
wait_for() {
    local got=""
    for _ in $(seq $(( $3 * 4 ))); do
        got=$(q "$1")
        [ "$got" = "$2" ] && return 0
        sleep 0.25
    done
    fail "$1 gave '$got', want '$2'"
}

log "every router exactly once across the three shards"
wait_for 'count(routeros_up)' "$TOTAL" 30
wait_for 'max(count by (router) (routeros_up))' 1 5
wait_for 'count(count by (job, instance) (routeros_up))' 3 5

log "fleet routers up, counters advancing"
wait_for 'sum(routeros_up{router=~"fleet-.*"})' $((FLEET - 1)) 20
wait_for 'count(rate(routeros_interface_rx_bytes_total{router="fleet-0",interface="ether1"}[5s]) > 0)' 1 20
wait_for 'count(routeros_system_info{router="fleet-2",identity="router-2"})' 1 5

log "TLS router (pinned certificate) up"
wait_for 'routeros_up{router="tls"}' 1 20

log "slow router times out without delaying the others"
wait_for 'routeros_up{router="slow"}' 0 10
wait_for 'count(routeros_collector_errors_total{router="slow"} > 0) > bool 0' 1 10
wait_for 'max(routeros_scrape_duration_seconds{router=~"fleet-.*"}) < bool 0.5' 1 10
wait_for 'min(min_over_time(routeros_up{router=~"fleet-.*"}[5s]))' 1 10

log "wrong password: back-off visible, no login storm"
wait_for 'routeros_login_failures_total{router="badpw"} >= bool 1' 1 10
wait_for 'routeros_backoff_seconds{router="badpw"} >= bool 2' 1 10
wait_for 'routeros_up{router="badpw"}' 0 5
sleep 8
LOGINS=$(grep "router=$((FLEET - 1)) " "$WORK/fleet.err" | tail -1 | sed 's/.*logins=//')
GOOD=$(grep "router=0 " "$WORK/fleet.err" | tail -1 | sed 's/.*logins=//')
SECS=$(python3 -c "import time, os; print(int(time.time() - os.stat('$WORK/fleet.out').st_mtime))")
log "badpw: $LOGINS login attempts in about $SECS s (polling every 1 s); fleet-0: $GOOD"
[ -n "$LOGINS" ] && [ "$LOGINS" -ge 2 ] || fail "the wrong password was not retried ($LOGINS)"
[ "$LOGINS" -le $(( SECS / 2 )) ] || fail "login storm: $LOGINS attempts in $SECS s"
[ "$GOOD" = 1 ] || fail "fleet-0 logged in $GOOD times, want 1 (one persistent connection)"

log "router down, then up again"
wait_for 'routeros_up{router="flappy"}' 1 10
kill "$PID_flappy"
wait_for 'routeros_up{router="flappy"}' 0 15
wait_for 'routeros_connect_failures_total{router="flappy"} >= bool 1' 1 15
wait_for 'count(routeros_interface_rx_bytes_total{router="flappy"})' "" 15
start_sim flappy2 --listen "127.0.0.1:$FLAPPY_PORT" --password pw || fail "restart flappy"
wait_for 'routeros_up{router="flappy"}' 1 20
wait_for 'routeros_backoff_seconds{router="flappy"}' 0 5
wait_for 'sum(routeros_up{router=~"fleet-.*"})' $((FLEET - 1)) 5

log "--once --json"
"$EXP" --config "$CONF" --once --json >"$WORK/once.json" && fail "--once should exit 1 with routers down"
python3 - "$WORK/once.json" "$TOTAL" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == int(sys.argv[2]), len(lines)
by = {l["router"]: l for l in lines}
assert by["fleet-0"]["up"] and by["tls"]["up"], by["tls"]
assert not by["badpw"]["up"] and "login" in by["badpw"]["error"]
assert any(m["name"] == "routeros_interface_rx_bytes_total" for m in by["fleet-1"]["metrics"])
EOF

log "all checks passed"
