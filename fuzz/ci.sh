#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (FUZZ_SECONDS each, default 30) on the nightly
# toolchain, starting from the committed seeds; fails on any crash, hang (-timeout) or
# out-of-memory. Installs what a fresh Debian machine lacks: a C++ compiler for libFuzzer,
# the nightly toolchain, cargo-fuzz.
#   bash fuzz/ci.sh                 # all four targets, 30 s each
#   FUZZ_SECONDS=300 bash fuzz/ci.sh decoder
set -euo pipefail
cd "$(dirname "$0")"
seconds="${FUZZ_SECONDS:-30}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(decoder roundtrip client mux)

if ! command -v c++ >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq g++ >/dev/null
fi
if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
cargo +nightly fuzz build
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    echo "== fuzz $target for ${seconds}s"
    # The working corpus (gitignored) first: libFuzzer adds new inputs there; the seeds are
    # only read. A crash leaves its input in artifacts/$target/ and fails the run.
    # Committed reproducers of past findings (regressions/) run first, every time.
    mkdir -p "regressions/$target"
    set +e
    cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" "regressions/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"corpus/$target.log" 2>&1
    status=$?
    set -e
    grep -aE '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::(number_of_executed_units|peak_rss_mb)|panicked|ERROR|Test unit written' \
        "corpus/$target.log" || true
    if [ "$status" -ne 0 ]; then
        tail -30 "corpus/$target.log" >&2
        echo "fuzz target $target failed (exit $status); reproducer in fuzz/artifacts/$target/" >&2
        exit 1
    fi
done
echo "fuzzing: all targets ran ${seconds}s without a crash or hang"
