#!/usr/bin/env bash
# CI for the simulator: the project's client tests against every tag position and version
# profile, the simulator's own tests (bounds and memory included), and the established clients
# (librouteros, node-routeros, mktxp) through compat/run.sh. Installs what a fresh Debian
# machine lacks (python3-venv, node/npm); exits non-zero on any failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

apt_get() {
  if [ "$(id -u)" -eq 0 ]; then apt-get "$@"; else sudo apt-get "$@"; fi
}
need=()
python3 -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
if [ "${#need[@]}" -gt 0 ]; then
  apt_get update -qq
  DEBIAN_FRONTEND=noninteractive apt_get install -y -qq "${need[@]}"
fi

export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"

echo "== simulator tests"
cargo test -q -p routeros-sim

for pos in first last mixed; do
  echo "== client tests, --tag-position $pos"
  ROUTEROS_SIM_TAG_POSITION=$pos cargo test -q -p routeros-tests -p routeros-cli
done
for ros in 6.42 6.48 7.16 7.18; do
  echo "== client tests, --ros $ros"
  skip=()
  # client_helpers::system_resource expects a 7.x version string.
  case "$ros" in 6.*) skip=(-- --skip system_resource);; esac
  ROUTEROS_SIM_ROS=$ros cargo test -q -p routeros-tests "${skip[@]}"
done

echo "== established clients"
bash "$here/compat/run.sh"
