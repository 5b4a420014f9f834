#!/usr/bin/env bash
# The simulator's API-SSL in CI: installs what its OpenSSL build and tests need on a fresh Debian
# machine (libssl-dev, pkg-config, the openssl program, python3-venv, Node), proves the crate also builds and lints
# without its `tls` feature, and runs the TLS tests (every profile, what each accepts and refuses).
# Then the established clients librouteros (Python, from PyPI, in a venv under the target
# directory) and node-routeros (Node, from npm) go through every mode the way their users set
# them up (sim/tls-compat/).
# Run it before anything builds the workspace: every crate that uses OpenSSL needs the packages.
# `--deps-only` installs the packages and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

missing=()
for pkg in libssl-dev pkg-config openssl python3-venv; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing ${missing[*]}"
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
pkg-config --exists openssl || { echo "pkg-config does not find OpenSSL" >&2; exit 1; }
[ "${1:-}" = "--deps-only" ] && exit 0

echo "routeros-sim without TLS: builds, lints, refuses a TLS configuration"
cargo clippy -p routeros-sim --all-targets --no-default-features -- -D warnings
timeout 300 cargo test -p routeros-sim --no-default-features --lib tls::

echo "routeros-sim API-SSL: v7, v6, anonymous and TLS 1.3 terminator profiles"
timeout 600 cargo test -p routeros-sim --test tls
timeout 300 cargo test -p routeros-sim --bin routeros-sim tls

echo "librouteros (Python ssl) against every API-SSL mode"
cargo build --quiet -p routeros-sim
target_dir="$(cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
venv="$target_dir/tls-compat-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check 'librouteros==4.2.2'
timeout 300 "$venv/bin/python" sim/tls-compat/librouteros_tls_check.py "$target_dir/debug/routeros-sim" >"$target_dir/tls-compat.log" \
    || { cat "$target_dir/tls-compat.log"; exit 1; }
tail -1 "$target_dir/tls-compat.log"

echo "node-routeros (Node tls) against every API-SSL mode"
(cd sim/tls-compat && npm ci --silent --no-audit --no-fund)
timeout 300 node sim/tls-compat/node_routeros_tls_check.js "$target_dir/debug/routeros-sim" >"$target_dir/tls-compat-node.log" \
    || { cat "$target_dir/tls-compat-node.log"; exit 1; }
tail -1 "$target_dir/tls-compat-node.log"
