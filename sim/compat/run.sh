#!/usr/bin/env bash
# Checks routeros-sim against three established clients: librouteros (Python), node-routeros
# (Node) and the mktxp Prometheus exporter (run unchanged, default collectors; any collector
# error fails). Each runs against every tag position, and librouteros and mktxp against every
# version profile. Needs cargo, python3 with venv, node and npm; reaches only PyPI and npm.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

cargo build --release --quiet -p routeros-sim --manifest-path "$root/Cargo.toml"
target_dir="$(cd "$root" && cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
# A private copy: another build of the shared target directory cannot swap it mid-run.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$target_dir/release/routeros-sim" "$work/routeros-sim"
sim="$work/routeros-sim"

venv="$target_dir/compat-venv"
if [ ! -x "$venv/bin/mktxp" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check 'librouteros==4.2.2' 'mktxp==2.1.0'
(cd "$here" && npm ci --silent --no-audit --no-fund)

status=0
# Runs one check with a time bound; its output is shown only when it fails.
check() {
  local what="$1"; shift
  if ! timeout 600 "$@" >"$work/out" 2>&1; then
    echo "FAILED: $what"; cat "$work/out"; status=1
  else
    grep -E '^mktxp' "$work/out" || echo "ok: $what"
  fi
}
for pos in first last mixed; do
  echo "== --tag-position $pos"
  check "librouteros --tag-position $pos" env SIM_ARGS="--tag-position $pos" "$venv/bin/python" "$here/librouteros_check.py" "$sim"
  # node-routeros 1.x throws on RouterOS 7.18's `!empty` (UNKNOWNREPLY): run it as 7.16.
  check "node-routeros --tag-position $pos" env SIM_ARGS="--tag-position $pos --ros 7.16" node "$here/node_routeros_check.js" "$sim"
  check "mktxp --tag-position $pos" "$venv/bin/python" "$here/mktxp_check.py" "$venv/bin/mktxp" "$sim" --tag-position "$pos"
done
for ros in 6.42 6.48 7.16 7.18; do
  echo "== --ros $ros"
  # node-routeros: plain login needs 6.43+, and 7.18's `!empty` breaks it (see above).
  case "$ros" in 6.48|7.16)
    check "node-routeros --ros $ros" env SIM_ARGS="--ros $ros" node "$here/node_routeros_check.js" "$sim";;
  esac
  check "librouteros --ros $ros" env SIM_ARGS="--ros $ros" "$venv/bin/python" "$here/librouteros_check.py" "$sim"
  check "mktxp --ros $ros" "$venv/bin/python" "$here/mktxp_check.py" "$venv/bin/mktxp" "$sim" --ros "$ros"
done
if [ "$status" -eq 0 ]; then
  echo "compat: librouteros, node-routeros and mktxp agree with the simulator"
fi
exit "$status"
