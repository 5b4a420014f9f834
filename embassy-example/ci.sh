#!/usr/bin/env bash
# CI for embassy-example/ (run as root, from anywhere):
#   host    the firmware's Linux build on embassy-net over a TAP device inside a network
#           namespace, against the simulator listening in that namespace: plain; API-SSL
#           through MbedTLS against the simulator's RouterOS-like TLS profiles (v7 ECDHE-RSA
#           and ECDHE-ECDSA, v6 DHE-RSA, certificate-less ADH refused with a clear error, a
#           TLS 1.3 terminator), CA verification, a pinned certificate and a pinned SHA-256
#           fingerprint accepted, wrong CA/name/fingerprint refused, the insecure opt-out
#           warns, the TLS 1.3-only embedded-tls stack (terminator: works; v7 router: clear
#           error); a simulator restart in the middle (plain and TLS) and a silent loss of the
#           router's address for 12 s, both of which it must survive.
#   boards  the Raspberry Pi Pico W (thumbv6m) and ESP32-C3 (riscv32imc) images: ELF, UF2 and
#           ESP app image, with their flash/RAM figures.
#   checks  cargo fmt --check, clippy -D warnings, tests and docs of the host-side crates.
# Usage: embassy-example/ci.sh [all|host|boards|checks]    (default: all)
# EMBASSY_CI_IMAGES=0 skips installing elf2uf2-rs/espflash and converting the ELFs.
# EMBASSY_CI_TLS_FIGURES=1 adds the README's TLS figures to `host` (handshake time, peak heap).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
WHAT="${1:-all}"
IMAGES="${EMBASSY_CI_IMAGES:-1}"
START=$(date +%s)
export CARGO_TERM_COLOR=never

say() { printf '== [%4ss] %s\n' "$(($(date +%s) - START))" "$*"; }
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# ---------------------------------------------------------------------------------------------
# Tools a fresh machine lacks.
APT_UPDATED=0
apt_install() { # apt_install PACKAGE... (installs those not yet installed)
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "apt-get install ${missing[*]}"
    if [ "$APT_UPDATED" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -q >/dev/null
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q "${missing[@]}" >/dev/null
}

WORK="$(mktemp -d /tmp/embassy-ci.XXXXXX)"
NS="rosmon$$"
PIDS=()
cleanup() {
    local rc=$?
    for pid in "${PIDS[@]:-}"; do
        [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    done
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "$WORK"
    if [ $rc -eq 0 ]; then say "embassy-example CI passed"; else say "embassy-example CI FAILED (exit $rc)"; fi
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------
make_pki() { # test certificates (RSA 2048 as RouterOS makes by default, and one ECDSA P-256) in $WORK/pki
    local d="$WORK/pki"
    [ -f "$d/ca.der" ] && return 0
    mkdir -p "$d"
    (
        cd "$d"
        openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3 -subj "/CN=Lab Test CA" 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -keyout router.key -out router.csr -subj "/CN=router.lab" 2>/dev/null
        printf 'subjectAltName=DNS:router.lab\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' >leaf.ext
        openssl x509 -req -in router.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out router.pem -days 3 -extfile leaf.ext 2>/dev/null
        openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem -days 3 -subj "/CN=Some Other CA" 2>/dev/null
        openssl req -x509 -newkey rsa:2048 -nodes -keyout self.key -out self.pem -days 3 -subj "/CN=router.lab" -addext "subjectAltName=DNS:router.lab" 2>/dev/null
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout router-ec.key -out router-ec.csr -subj "/CN=router.lab" 2>/dev/null
        openssl x509 -req -in router-ec.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out router-ec.pem -days 3 -extfile leaf.ext 2>/dev/null
        for c in ca other-ca self; do openssl x509 -in "$c.pem" -outform der -out "$c.der"; done
    )
}

# ---------------------------------------------------------------------------------------------
SIM="$ROOT/target/release/routeros-sim"
FW="$HERE/host/target/release/routeros-monitor-host"
SIM_IP=192.168.69.1
FW_IP=192.168.69.2

start_sim() { # start_sim NAME PORT [ARGS...]: a simulator in the namespace; sets SIM_PID
    local name=$1 port=$2
    shift 2
    ip netns exec "$NS" "$SIM" --listen "$SIM_IP:$port" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    SIM_PID=$!
    PIDS+=("$SIM_PID")
    for _ in $(seq 100); do
        [ -s "$WORK/$name.out" ] && return 0
        kill -0 "$SIM_PID" 2>/dev/null || fail "simulator $name did not start: $(cat "$WORK/$name.err")"
        sleep 0.1
    done
    fail "simulator $name did not print its address"
}

stop_sim() { # stop_sim PID
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

fw() { # fw NAME ARGS...: runs the firmware to its end (bounded); sets RC
    local name=$1
    shift
    set +e
    timeout 120 ip netns exec "$NS" "$FW" --tap tap0 --ip "$FW_IP/24" --router "$SIM_IP" "$@" \
        >"$WORK/$name.out" 2>"$WORK/$name.err"
    RC=$?
    set -e
}

expect_rc() { # expect_rc NAME WANT
    if [ "$RC" != "$2" ]; then
        echo "--- $1 stdout"; cat "$WORK/$1.out"; echo "--- $1 stderr"; tail -n 30 "$WORK/$1.err"
        fail "$1: exit code $RC, expected $2"
    fi
}

expect_line() { # expect_line NAME REGEX: stdout has a matching line
    grep -Eq -- "$2" "$WORK/$1.out" || {
        echo "--- $1 stdout"; cat "$WORK/$1.out"; echo "--- $1 stderr"; tail -n 30 "$WORK/$1.err"
        fail "$1: no line matching /$2/"
    }
}

expect_samples() { # expect_samples NAME N: exactly N sample lines, numbered 1..N, then done
    local n
    n=$(grep -c '^sample n=' "$WORK/$1.out" || true)
    [ "$n" = "$2" ] || { cat "$WORK/$1.out"; fail "$1: $n sample lines, expected $2"; }
    expect_line "$1" "^sample n=$2 interface=ether1 rx-bps=[0-9]+ tx-bps=[0-9]+ "
    expect_line "$1" '^done$'
}

restart_scenario() { # restart_scenario NAME PORT SIM_ARGS -- FW_ARGS: kill the simulator mid-stream, restart it
    local name=$1 port=$2
    shift 2
    local sim_args=()
    while [ "$1" != "--" ]; do sim_args+=("$1"); shift; done
    shift
    start_sim "$name-sim1" "$port" "${sim_args[@]}"
    local sim1=$SIM_PID
    (fw "$name" --port "$port" --samples 8 "$@"; echo "$RC" >"$WORK/$name.rc") &
    local fw_pid=$!
    PIDS+=("$fw_pid")
    for _ in $(seq 150); do
        [ "$(grep -c '^sample n=' "$WORK/$name.out" 2>/dev/null || true)" -ge 3 ] && break
        sleep 0.1
    done
    [ "$(grep -c '^sample n=' "$WORK/$name.out" 2>/dev/null || true)" -ge 3 ] || fail "$name: no samples before the restart"
    say "$name: 3 samples seen; stopping the simulator for 2 s"
    stop_sim "$sim1"
    sleep 2
    start_sim "$name-sim2" "$port" "${sim_args[@]}"
    wait "$fw_pid" || true
    RC=$(cat "$WORK/$name.rc")
    stop_sim "$SIM_PID"
    expect_rc "$name" 0
    expect_line "$name" '^disconnected error='
    expect_line "$name" '^reconnected failures=[0-9]+$'
    expect_samples "$name" 8
    say "$name: ok ($(grep -c '^disconnected' "$WORK/$name.out") failed attempt(s) while the simulator was down)"
}

link_loss_scenario() { # the router's address vanishes for 12 s: silence, no reset, no FIN
    local name=link-loss
    start_sim "$name-sim" 8728
    local sim=$SIM_PID
    (fw "$name" --samples 8; echo "$RC" >"$WORK/$name.rc") &
    local fw_pid=$!
    PIDS+=("$fw_pid")
    for _ in $(seq 150); do
        [ "$(grep -c '^sample n=' "$WORK/$name.out" 2>/dev/null || true)" -ge 3 ] && break
        sleep 0.1
    done
    [ "$(grep -c '^sample n=' "$WORK/$name.out" 2>/dev/null || true)" -ge 3 ] || fail "$name: no samples before the loss"
    say "$name: 3 samples seen; the router's address disappears for 12 s"
    ip -n "$NS" addr del "$SIM_IP/24" dev tap0
    sleep 12
    ip -n "$NS" addr add "$SIM_IP/24" dev tap0
    wait "$fw_pid" || true
    RC=$(cat "$WORK/$name.rc")
    stop_sim "$sim"
    expect_rc "$name" 0
    expect_line "$name" '^disconnected error="timed out"$'
    expect_line "$name" '^reconnected failures=[0-9]+$'
    expect_samples "$name" 8
    say "$name: ok (the silent loss was noticed by the sample timeout)"
}

tls_figures() { # EMBASSY_CI_TLS_FIGURES=1: median handshake time and peak TLS heap, 7 runs per profile
    local pki="$WORK/pki" port=8740
    local cases=(
        "v7-rsa|--tls-profile v7 --tls-cert $pki/router.pem --tls-key $pki/router.key|--tls-ca $pki/ca.der"
        "v7-ecdsa|--tls-profile v7 --tls-cert $pki/router-ec.pem --tls-key $pki/router-ec.key|--tls-ca $pki/ca.der"
        "v6-dhe-rsa|--tls-profile v6 --tls-cert $pki/router.pem --tls-key $pki/router.key|--tls-ca $pki/ca.der"
        "v7-rsa-fingerprint|--tls-profile v7 --tls-cert $pki/self.pem --tls-key $pki/self.key|--tls-fingerprint $(openssl x509 -in "$pki/self.pem" -noout -fingerprint -sha256 | cut -d= -f2)"
        "tls13-terminator-mbedtls|--tls-profile terminator-tls13 --tls-cert $pki/router.pem --tls-key $pki/router.key|--tls-ca $pki/ca.der"
        "tls13-terminator-embedded-tls|--tls-profile terminator-tls13 --tls-cert $pki/router.pem --tls-key $pki/router.key|--tls-ca $pki/ca.der --tls-stack embedded-tls13"
    )
    echo "  TLS figures (host build, release, over the TAP device; median of 7 handshakes):"
    for c in "${cases[@]}"; do
        local name=${c%%|*} rest=${c#*|}
        local sim_args=${rest%%|*} fw_args=${rest#*|}
        port=$((port + 1))
        # shellcheck disable=SC2086
        start_sim "fig-$name-sim" "$port" $sim_args
        local sim=$SIM_PID times=() heap="" suite=""
        for i in 1 2 3 4 5 6 7; do
            # shellcheck disable=SC2086
            fw "fig-$name-$i" --port "$port" --samples 1 $fw_args
            expect_rc "fig-$name-$i" 0
            times+=("$(sed -n 's/^tls .*handshake-ms=\([0-9]*\)$/\1/p' "$WORK/fig-$name-$i.out")")
            heap=$(sed -n 's/^tls-heap .*peak=\([0-9]*\) .*/\1/p' "$WORK/fig-$name-$i.out")
            suite=$(sed -n 's/^tls stack=\([^ ]*\) version=\([^ ]*\) suite=\([^ ]*\) .*/\1 TLS \2 \3/p' "$WORK/fig-$name-$i.out")
        done
        stop_sim "$sim"
        local median
        median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 4p)
        printf '    %-30s %-52s handshake %4s ms (runs: %s), peak TLS heap %s bytes\n' \
            "$name" "$suite" "$median" "${times[*]}" "$heap"
    done
}

host_e2e() {
    # clang/cmake/ninja compile MbedTLS for the host build; libssl-dev is the simulator's TLS.
    apt_install iproute2 openssl dnsmasq-base clang cmake ninja-build libssl-dev pkg-config
    say "building the simulator (release)"
    (cd "$ROOT" && cargo build --release -q -p routeros-sim)
    say "building the host firmware (release)"
    (cd "$HERE/host" && cargo build --release -q)
    make_pki
    local pki="$WORK/pki"

    say "network namespace $NS with tap0 ($SIM_IP simulator, $FW_IP firmware)"
    ip netns add "$NS"
    ip -n "$NS" link set lo up
    ip -n "$NS" tuntap add dev tap0 mode tap
    ip -n "$NS" addr add "$SIM_IP/24" dev tap0
    ip -n "$NS" link set tap0 up

    # Plain API.
    start_sim plain-sim 8728
    local plain_sim=$SIM_PID
    fw plain --samples 5
    expect_rc plain 0
    expect_line plain '^network-up address=192\.168\.69\.2/24$'
    expect_line plain '^connected tls=false$'
    expect_line plain '^logged-in$'
    expect_line plain '^resource version=7\.[0-9.]+ .*board=[^ ]+'
    expect_line plain '^identity name=.+'
    expect_samples plain 5
    say "plain: ok"
    # The same over DHCP (dnsmasq serving the namespace).
    ip netns exec "$NS" dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 --interface=tap0 \
        --bind-interfaces --dhcp-range=192.168.69.50,192.168.69.59,255.255.255.0,10m \
        --dhcp-leasefile="$WORK/dhcp.leases" --pid-file= >"$WORK/dnsmasq.log" 2>&1 &
    local dnsmasq=$!
    PIDS+=("$dnsmasq")
    for _ in $(seq 50); do grep -q 'DHCP, IP range' "$WORK/dnsmasq.log" && break; sleep 0.1; done
    set +e
    timeout 60 ip netns exec "$NS" "$FW" --tap tap0 --router "$SIM_IP" --samples 2 >"$WORK/dhcp.out" 2>"$WORK/dhcp.err"
    RC=$?
    set -e
    kill "$dnsmasq" 2>/dev/null || true
    expect_rc dhcp 0
    expect_line dhcp '^network-up address=192\.168\.69\.5[0-9]/24$'
    expect_samples dhcp 2
    say "DHCP: ok ($(grep '^network-up' "$WORK/dhcp.out"))"
    fw sizes-plain --print-future-sizes
    expect_rc sizes-plain 0
    expect_line sizes-plain '^future-size Response::next over TcpSocket: [0-9]+ bytes$'
    cat "$WORK/sizes-plain.out"
    export CI_WRONG_PASSWORD=not-the-password
    fw wrong-password --password-env CI_WRONG_PASSWORD --max-failures 1
    expect_rc wrong-password 2
    expect_line wrong-password '^disconnected error="login failed: '
    say "wrong password: rejected as expected"
    stop_sim "$plain_sim"

    # API-SSL as RouterOS serves it (the simulator's OpenSSL profiles), through MbedTLS.
    # v7: TLS 1.2 only, ECDHE with AES-GCM; an RSA-2048 router certificate signed by a test CA.
    start_sim tls-sim 8729 --tls-profile v7 --tls-cert "$pki/router.pem" --tls-key "$pki/router.key"
    local tls_sim=$SIM_PID
    fw tls-ca --tls-ca "$pki/ca.der" --samples 3
    expect_rc tls-ca 0
    expect_line tls-ca '^connected tls=true$'
    expect_line tls-ca '^tls stack=MbedTls version=1\.2 suite=ECDHE-RSA-AES(128|256)-GCM-SHA(256|384) handshake-ms=[0-9]+$'
    expect_line tls-ca '^identity name=.+'
    expect_line tls-ca '^tls-heap size=[0-9]+ peak=[0-9]+ in-use=0 failed=0$'
    expect_samples tls-ca 3
    say "TLS v7 (ECDHE-RSA), CA-verified: ok ($(grep -E '^tls |^tls-heap' "$WORK/tls-ca.out" | tr '\n' ' '))"
    fw sizes-tls --tls-ca "$pki/ca.der" --print-future-sizes
    expect_rc sizes-tls 0
    expect_line sizes-tls '^future-size run\(\.\.\.\) whole firmware loop, TLS path included: [0-9]+ bytes$'
    fw tls-wrong-ca --tls-ca "$pki/other-ca.der" --max-failures 1
    expect_rc tls-wrong-ca 2
    expect_line tls-wrong-ca '^disconnected error="TLS handshake failed: router certificate not trusted .*not signed by a trusted certificate"$'
    say "TLS v7, wrong CA: rejected as expected"
    fw tls-wrong-name --tls-ca "$pki/ca.der" --server-name not-the-router.lab --max-failures 1
    expect_rc tls-wrong-name 2
    expect_line tls-wrong-name '^disconnected error="TLS handshake failed: router certificate not trusted .*name mismatch"$'
    say "TLS v7, wrong server name: rejected as expected"
    # A TLS 1.3-only client (embedded-tls) cannot reach a TLS 1.2 router.
    fw tls13-only-vs-v7 --tls-ca "$pki/ca.der" --tls-stack embedded-tls13 --max-failures 1
    expect_rc tls13-only-vs-v7 2
    expect_line tls13-only-vs-v7 '^disconnected error="TLS handshake failed: the router does not speak TLS 1\.3 .*use the MbedTLS stack'
    say "TLS v7 with the TLS 1.3-only stack: refused with a clear error, as expected"
    stop_sim "$tls_sim"

    # v7 with an ECDSA P-256 router certificate (ECDHE-ECDSA).
    start_sim ec-sim 8731 --tls-profile v7 --tls-cert "$pki/router-ec.pem" --tls-key "$pki/router-ec.key"
    local ec_sim=$SIM_PID
    fw tls-ec --port 8731 --tls-ca "$pki/ca.der" --samples 2
    expect_rc tls-ec 0
    expect_line tls-ec '^tls stack=MbedTls version=1\.2 suite=ECDHE-ECDSA-AES(128|256)-GCM-SHA(256|384) handshake-ms=[0-9]+$'
    expect_samples tls-ec 2
    say "TLS v7 (ECDHE-ECDSA), CA-verified: ok ($(grep '^tls ' "$WORK/tls-ec.out"))"
    stop_sim "$ec_sim"

    # v6: DHE-RSA-AES256-GCM-SHA384 with 2048-bit DH.
    start_sim v6-sim 8732 --tls-profile v6 --tls-cert "$pki/router.pem" --tls-key "$pki/router.key"
    local v6_sim=$SIM_PID
    fw tls-v6 --port 8732 --tls-ca "$pki/ca.der" --samples 2
    expect_rc tls-v6 0
    expect_line tls-v6 '^tls stack=MbedTls version=1\.2 suite=DHE-RSA-AES256-GCM-SHA384 handshake-ms=[0-9]+$'
    expect_samples tls-v6 2
    say "TLS v6 (DHE-RSA), CA-verified: ok ($(grep -E '^tls |^tls-heap' "$WORK/tls-v6.out" | tr '\n' ' '))"
    stop_sim "$v6_sim"

    # api-ssl without a certificate: anonymous DH only, which MbedTLS does not have.
    start_sim anon-sim 8733 --tls-anonymous
    local anon_sim=$SIM_PID
    fw tls-anon --port 8733 --tls-insecure-skip-verify-for-lab-routers-only --max-failures 1
    expect_rc tls-anon 2
    expect_line tls-anon '^disconnected error="TLS handshake failed: the router accepted none of the offered TLS versions and cipher suites \(alert handshake_failure\).*cannot use, because MbedTLS has no ADH suites'
    say "TLS without a router certificate (ADH only): refused with a clear error, as expected"
    stop_sim "$anon_sim"

    # A TLS 1.3 terminator in front of the router: embedded-tls (TLS 1.3 only) and MbedTLS.
    start_sim term-sim 8734 --tls-profile terminator-tls13 --tls-cert "$pki/router.pem" --tls-key "$pki/router.key"
    local term_sim=$SIM_PID
    fw term-etls --port 8734 --tls-ca "$pki/ca.der" --tls-stack embedded-tls13 --samples 2
    expect_rc term-etls 0
    expect_line term-etls '^tls stack=EmbeddedTls13 version=1\.3 suite=TLS_AES_128_GCM_SHA256 handshake-ms=[0-9]+$'
    expect_samples term-etls 2
    fw term-mbedtls --port 8734 --tls-ca "$pki/ca.der" --samples 2
    expect_rc term-mbedtls 0
    expect_line term-mbedtls '^tls stack=MbedTls version=1\.3 suite=TLS_AES_(128_GCM_SHA256|256_GCM_SHA384) handshake-ms=[0-9]+$'
    expect_samples term-mbedtls 2
    fw term-fingerprint --port 8734 --tls-fingerprint "$(openssl x509 -in "$pki/router.pem" -noout -fingerprint -sha256)" --max-failures 1
    expect_rc term-fingerprint 2
    expect_line term-fingerprint '^disconnected error="TLS handshake failed: not supported: fingerprint pinning against a TLS 1\.3-only server'
    say "TLS 1.3 terminator: embedded-tls ok, MbedTLS ok, fingerprint pinning refused with a clear error ($(grep '^tls ' "$WORK/term-etls.out"); $(grep '^tls ' "$WORK/term-mbedtls.out"))"
    stop_sim "$term_sim"

    # A self-signed router certificate (what a lab router usually has), v7.
    start_sim self-sim 8730 --tls-profile v7 --tls-cert "$pki/self.pem" --tls-key "$pki/self.key"
    local self_sim=$SIM_PID
    fw self-pinned --port 8730 --tls-pinned "$pki/self.der" --samples 2
    expect_rc self-pinned 0
    expect_samples self-pinned 2
    say "TLS, pinned self-signed certificate: ok"
    local fp other_fp
    fp=$(openssl x509 -in "$pki/self.pem" -noout -fingerprint -sha256)
    other_fp=$(openssl x509 -in "$pki/other-ca.pem" -noout -fingerprint -sha256)
    fw self-fingerprint --port 8730 --tls-fingerprint "$fp" --samples 2
    expect_rc self-fingerprint 0
    expect_samples self-fingerprint 2
    say "TLS, self-signed certificate pinned by its SHA-256 fingerprint: ok"
    fw self-wrong-fingerprint --port 8730 --tls-fingerprint "$other_fp" --max-failures 1
    expect_rc self-wrong-fingerprint 2
    expect_line self-wrong-fingerprint "^disconnected error=\"TLS handshake failed: router certificate not trusted: its SHA-256 fingerprint ${fp#*=} is not the pinned one\"$"
    say "TLS, wrong fingerprint: rejected as expected (the error names the router's)"
    fw self-insecure --port 8730 --tls-insecure-skip-verify-for-lab-routers-only --samples 2
    expect_rc self-insecure 0
    expect_samples self-insecure 2
    grep -q 'verification is OFF' "$WORK/self-insecure.err" || fail "self-insecure: no warning that verification is off"
    say "TLS, verification explicitly skipped: ok (warned)"
    fw self-by-ca --port 8730 --tls-ca "$pki/ca.der" --max-failures 1
    expect_rc self-by-ca 2
    expect_line self-by-ca 'certificate not trusted'
    say "TLS, self-signed certificate with verification on: rejected as expected"
    stop_sim "$self_sim"

    if [ "${EMBASSY_CI_TLS_FIGURES:-0}" = 1 ]; then tls_figures; fi

    echo "  TLS handshakes (host build, over the TAP device; ms):"
    for name in tls-ca tls-ec tls-v6 term-mbedtls term-etls self-fingerprint; do
        printf '    %-18s %s\n' "$name" "$(grep -h '^tls \|^tls-heap' "$WORK/$name.out" | tr '\n' ' ')"
    done

    # The router goes away in the middle and comes back.
    restart_scenario restart-plain 8728 --
    restart_scenario restart-tls 8729 --tls-cert "$pki/router.pem" --tls-key "$pki/router.key" --tls-profile terminator-tls13 -- --tls-ca "$pki/ca.der"
    # The link goes away without a word.
    link_loss_scenario

    ip netns del "$NS"
    say "host end-to-end: all scenarios passed"
}

# ---------------------------------------------------------------------------------------------
checks() {
    apt_install clang cmake ninja-build
    say "fmt, clippy, tests and docs of app/ and host/"
    for crate in app host; do
        (
            cd "$HERE/$crate"
            cargo fmt --check
            cargo clippy -q --all-targets -- -D warnings
            RUSTDOCFLAGS="-D warnings" cargo doc -q --no-deps
        )
    done
    (cd "$HERE/app" && cargo clippy -q --features log,embedded-tls --all-targets -- -D warnings &&
        cargo test -q 2>&1 | grep -E "^test result" &&
        cargo test -q --features embedded-tls 2>&1 | grep -E "^test result")
    (cd "$HERE/host" && cargo test -q 2>&1 | grep -E "^test result")
    for crate in rp2040 esp32c3 size-probe; do (cd "$HERE/$crate" && cargo fmt --check); done
}

# ---------------------------------------------------------------------------------------------
elf_sizes() { # elf_sizes ELF: allocated sections (flash and RAM)
    size -A "$1" | awk 'NR>2 && $1 !~ /^\.(debug|comment|defmt|riscv\.attributes|ARM\.attributes|espressif|eh_frame)/ && NF==3 && $2>0 {print "    " $0}'
}

boards() {
    # clang/cmake/ninja compile MbedTLS for both boards (its configuration is not the prebuilt one).
    apt_install binutils openssl clang cmake ninja-build
    rustup target add thumbv6m-none-eabi riscv32imc-unknown-none-elf >/dev/null 2>&1 ||
        rustup target add thumbv6m-none-eabi riscv32imc-unknown-none-elf
    make_pki
    # Dummy settings: the images link for real, but would join a network named ci-dummy-ssid.
    export WIFI_SSID=ci-dummy-ssid WIFI_PASSWORD=ci-dummy-password ROUTER_ADDRESS=192.168.88.1 \
        ROUTER_USER=monitor ROUTER_PASSWORD=ci-dummy-password ROUTER_TLS=ca \
        ROUTER_TLS_CERT="$WORK/pki/ca.der" ROUTER_TLS_SERVER_NAME=router.lab
    say "building the Pico W image (thumbv6m-none-eabi, release)"
    (cd "$HERE/rp2040" && cargo build --release -q)
    local rp="$HERE/rp2040/target/thumbv6m-none-eabi/release/routeros-monitor-rp2040"
    say "building the ESP32-C3 image (riscv32imc-unknown-none-elf, release)"
    (cd "$HERE/esp32c3" && cargo build --release -q)
    local esp="$HERE/esp32c3/target/riscv32imc-unknown-none-elf/release/routeros-monitor-esp32c3"
    [ -s "$rp" ] && [ -s "$esp" ] || fail "an ELF is missing"
    echo "  Pico W ELF sections:"
    elf_sizes "$rp"
    echo "  ESP32-C3 ELF sections:"
    elf_sizes "$esp"

    say "client cost on thumbv6m: the size probe with and without routeros_core::Client"
    local probe="$HERE/size-probe/target/thumbv6m-none-eabi/release/routeros-size-probe"
    (cd "$HERE/size-probe" && cargo build --release -q)
    local without with
    without=$(size -A "$probe" | awk '$1==".text"||$1==".rodata"{s+=$2} END{print s}')
    (cd "$HERE/size-probe" && cargo build --release -q --features client)
    with=$(size -A "$probe" | awk '$1==".text"||$1==".rodata"{s+=$2} END{print s}')
    [ "$with" -gt "$without" ] || fail "size probe: the client variant is not larger"
    echo "    flash (.text+.rodata): without client $without bytes, with client $with bytes: client costs $((with - without)) bytes"

    if [ "$IMAGES" = 1 ]; then
        if ! command -v elf2uf2-rs >/dev/null; then
            say "cargo install elf2uf2-rs (no serial support: only the converter is needed)"
            cargo install -q elf2uf2-rs --version 2.2.0 --no-default-features --locked
        fi
        if ! command -v espflash >/dev/null; then
            apt_install libudev-dev pkg-config
            say "cargo install espflash (about 3 minutes)"
            cargo install -q espflash --version '^4' --locked
        fi
        elf2uf2-rs "$rp" "$WORK/routeros-monitor-rp2040.uf2" >/dev/null
        espflash save-image --chip esp32c3 "$esp" "$WORK/routeros-monitor-esp32c3.bin" >/dev/null
        local uf2="$WORK/routeros-monitor-rp2040.uf2" bin="$WORK/routeros-monitor-esp32c3.bin"
        # UF2: 512-byte blocks starting with the two UF2 magic words; family RP2040.
        [ $(($(stat -c %s "$uf2") % 512)) -eq 0 ] || fail "UF2 size is not a multiple of 512"
        [ "$(head -c 8 "$uf2" | od -An -tx4 | tr -d ' \n')" = "0a3246559e5d5157" ] || fail "UF2 magic missing"
        # ESP image: first byte is the 0xE9 image magic.
        [ "$(head -c 1 "$bin" | od -An -tx1 | tr -d ' ')" = "e9" ] || fail "ESP app image magic missing"
        say "images: $(stat -c '%s' "$uf2") bytes UF2 ($(($(stat -c %s "$uf2") / 512)) blocks), $(stat -c '%s' "$bin") bytes ESP32-C3 app image"
    else
        say "EMBASSY_CI_IMAGES=0: ELF only, no UF2/app image"
    fi
}

case "$WHAT" in
all)
    checks
    host_e2e
    boards
    ;;
host) host_e2e ;;
boards) boards ;;
checks) checks ;;
*) fail "usage: $0 [all|host|boards|checks]" ;;
esac
