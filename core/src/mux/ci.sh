#!/usr/bin/env bash
# Checks of the multiplexing client, the pool and telemetry: format, lints, docs, unit and
# integration tests, and no_std builds for thumbv6m-none-eabi with every feature combination.
# Run from anywhere: bash core/src/mux/ci.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."

step() { printf '\n== %s\n' "$*"; }

step "toolchain"
if ! rustup target list --installed | grep -qx thumbv6m-none-eabi; then
    rustup target add thumbv6m-none-eabi
fi
rustup component list --installed | grep -q '^clippy' || rustup component add clippy
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt

step "format"
rustfmt --edition 2021 --check \
    core/src/mux/mod.rs core/src/pool.rs core/src/telemetry/mod.rs \
    tests/tests/mux_sim.rs tests/tests/mux_mock.rs tests/tests/pool_sim.rs \
    tests/tests/telemetry_events.rs tests/tests/mux_support/mod.rs bench/src/bin/mux.rs

step "clippy"
for features in "" "log" "defmt" "embedded-hal-async" "log,embedded-hal-async"; do
    cargo clippy -q -p routeros-core --lib --features "$features" -- -D warnings
done
cargo clippy -q -p routeros-core --all-targets -- -D warnings
cargo clippy -q -p routeros-tests --tests -- -D warnings
cargo clippy -q -p routeros-bench --bin mux -- -D warnings

step "no_std builds (thumbv6m-none-eabi)"
for features in "" "log" "defmt" "embedded-hal-async" "log,embedded-hal-async" "defmt,embedded-hal-async"; do
    echo "features: [${features}]"
    cargo build -q -p routeros-core --target thumbv6m-none-eabi --features "$features"
done

step "docs"
# Only warnings about these modules count here (other modules have their own owners).
doc_out=$(cargo doc -q -p routeros-core --no-deps --features log,embedded-hal-async 2>&1 || true)
if grep -E -A4 '^(warning|error)' <<<"$doc_out" | grep -qE 'core/src/(mux|pool|telemetry)'; then
    echo "$doc_out"
    exit 1
fi
cargo test -q -p routeros-core --doc -- mux pool telemetry

step "unit tests"
cargo test -q -p routeros-core --lib -- mux:: telemetry::

step "integration tests"
cargo test -q -p routeros-tests --test mux_sim --test mux_mock --test pool_sim --test telemetry_events
