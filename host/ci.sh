#!/usr/bin/env bash
# CI steps of routeros-tokio beyond `cargo test --workspace`: the OpenSSL paths (anonymous DH,
# RouterOS 6's DHE-RSA) behind the `openssl` feature, its clippy and docs.
# Installs what a fresh Debian machine lacks (libssl-dev, pkg-config); about 1 minute once the
# workspace is built.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

need=()
dpkg -s libssl-dev >/dev/null 2>&1 || need+=(libssl-dev)
dpkg -s pkg-config >/dev/null 2>&1 || need+=(pkg-config)
if [ "${#need[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
fi

cargo test -p routeros-tokio --features openssl
cargo clippy --no-deps -p routeros-tokio --features openssl --all-targets -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p routeros-tokio --features openssl
