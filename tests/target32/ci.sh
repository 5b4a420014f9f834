#!/usr/bin/env bash
# Runs the core's 32-bit checks (length codec, decoder, Client over a scripted transport,
# login) on wasm32 under Node (WASI), on Cortex-M0 (thumbv6m, QEMU `microbit`) and on RV32
# (riscv32imc, QEMU `virt`), each a debug build with overflow checks, exiting with the result.
# Installs what a fresh Debian machine lacks: QEMU (apt), the rustup targets.
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"

# Unpacked by an earlier run (see below).
[ -x /opt/qemu-target32/usr/bin/qemu-system-arm ] && export PATH="/opt/qemu-target32/usr/bin:$PATH"
if ! command -v qemu-system-arm >/dev/null || ! command -v qemu-system-riscv32 >/dev/null; then
    apt-get update -qq
    if ! apt-get install -y -qq qemu-system-arm qemu-system-misc >/dev/null 2>&1; then
        # A newer qemu-utils from backports can block the distribution's QEMU packages: then
        # unpack the two emulators beside it and install only the libraries they need.
        dir=/opt/qemu-target32
        mkdir -p "$dir/debs"
        (cd "$dir/debs" && apt-get download qemu-system-arm qemu-system-misc)
        for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$dir"; done
        apt-get install -y -qq libfdt1 libcapstone4 libpmem1 librdmacm1 libibverbs1 libslirp0 \
            libvdeplug2 >/dev/null
        export PATH="$dir/usr/bin:$PATH"
    fi
fi
command -v node >/dev/null || { echo "node (20+) is needed for the wasm32 run" >&2; exit 1; }
rustup target add wasm32-wasip1 thumbv6m-none-eabi riscv32imc-unknown-none-elf >/dev/null

for target in wasm32-wasip1 thumbv6m-none-eabi riscv32imc-unknown-none-elf; do
    echo "== $target"
    # Each run prints its checks and ends with "N check groups passed"; any failure, panic
    # or arithmetic overflow exits non-zero. QEMU gets a deadline in case of a hang.
    cargo build --quiet --target "$target"
    timeout 120 cargo run --quiet --target "$target"
done
