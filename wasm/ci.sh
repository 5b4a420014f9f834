#!/usr/bin/env bash
# CI for the wasm package: installs what a fresh machine lacks, checks the crate (fmt, clippy,
# docs, unit tests), builds the npm package and runs its Node, browser, type and packaging
# tests against the project's simulator. Exits non-zero on the first failure.
#
#   bash wasm/ci.sh          (from anywhere; warm: 2.5-3.5 minutes on a 2-core machine; a fresh
#                            machine adds `cargo install wasm-bindgen-cli` (2.5 min quiet) and apt)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cd "$here"

step() { printf '\n== wasm/ci.sh: %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Must equal the `=` pin of wasm-bindgen in Cargo.toml (build.sh checks it too).
WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)
WEBSOCKIFY_VERSION=0.13.0

step "toolchain"
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
# chromium: the browser tests; libssl-dev + pkg-config: the simulator's API-SSL (OpenSSL);
# openssl: test certificates.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg -s libssl-dev >/dev/null 2>&1 || missing+=(libssl-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v openssl >/dev/null || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi
if [ ! -x .venv/bin/websockify ] || [ "$(.venv/bin/pip show websockify 2>/dev/null | sed -n 's/^Version: //p')" != "$WEBSOCKIFY_VERSION" ]; then
  python3 -m venv .venv
  .venv/bin/pip install -q "websockify==$WEBSOCKIFY_VERSION"
fi
npm ci --no-audit --no-fund

step "simulator (release build at the repository root)"
(cd "$root" && cargo build --release -p routeros-sim)

step "crate checks"
cargo fmt --check
cargo clippy --all-targets -- -D warnings
cargo clippy --target wasm32-unknown-unknown -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps
cargo test

step "package build"
./build.sh

step "package tests (Node, Chromium, types, npm pack and publish --dry-run, TLS, keepalive, AbortSignal)"
node --test --test-concurrency=1 test/
