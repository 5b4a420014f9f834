#!/usr/bin/env bash
# Checks routeros-sim against two established clients: librouteros (Python) and
# node-routeros (Node). Needs cargo, python3 with pip, node and npm; reaches only PyPI and npm.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

cargo build --release --quiet -p routeros-sim --manifest-path "$root/Cargo.toml"
target_dir="$(cd "$root" && cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
sim="$target_dir/release/routeros-sim"

python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore 'librouteros==4.2.2'
(cd "$here" && npm ci --silent --no-audit --no-fund)

status=0
python3 "$here/librouteros_check.py" "$sim" || status=1
node "$here/node_routeros_check.js" "$sim" || status=1
if [ "$status" -eq 0 ]; then
  echo "compat: librouteros and node-routeros agree with the simulator"
fi
exit "$status"
