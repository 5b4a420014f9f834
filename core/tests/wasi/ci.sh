#!/usr/bin/env bash
# Runs routeros-core's tests (unit, integration, property) on a 32-bit target:
# wasm32-wasip1 under Node's WASI, with debug assertions and overflow checks on.
# Installs what a fresh Debian machine lacks; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../../.."

rustup target list --installed | grep -qx wasm32-wasip1 || rustup target add wasm32-wasip1
if ! command -v node >/dev/null; then
    apt-get update -qq && apt-get install -y -qq nodejs >/dev/null
fi

bins=$(cargo test -p routeros-core --target wasm32-wasip1 --no-run --message-format=json -j 2 \
    | python3 -c '
import json, sys
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("reason") == "compiler-artifact" and msg.get("executable"):
        print(msg["executable"])
')
[ -n "$bins" ] || { echo "no test binaries built" >&2; exit 1; }
for bin in $bins; do
    echo "== $(basename "$bin")"
    timeout 600 node --no-warnings core/tests/wasi/run.mjs "$bin" --test-threads=1 -q
done
