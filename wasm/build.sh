#!/usr/bin/env bash
# Builds the npm package into wasm/pkg/: the release WebAssembly build, wasm-bindgen's
# `--target web` glue (loads in browsers, and in Node through initSync), wasm-opt -Oz when a
# recent enough binaryen is on PATH, and the hand-written entry points from js/.
set -euo pipefail
cd "$(dirname "$0")"

want=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')
if [ "$have" != "$want" ]; then
  echo "wasm-bindgen-cli $want is needed (found: ${have:-none}): cargo install wasm-bindgen-cli --version $want" >&2
  exit 1
fi

cargo build --release --target wasm32-unknown-unknown
rm -rf pkg
wasm-bindgen --target web --remove-name-section --remove-producers-section \
  --out-dir pkg target/wasm32-unknown-unknown/release/routeros_wasm.wasm
# wasm-opt from binaryen 120 or newer: older ones (Debian 12 ships 108) write wasm-bindgen's
# externref table as the function table and the module fails to load.
opt_version=$(wasm-opt --version 2>/dev/null | awk '{print $3}' || true)
if [ -n "$opt_version" ] && [ "$opt_version" -ge 120 ] 2>/dev/null; then
  wasm-opt -Oz pkg/routeros_wasm_bg.wasm -o pkg/routeros_wasm_bg.wasm.opt
  mv pkg/routeros_wasm_bg.wasm.opt pkg/routeros_wasm_bg.wasm
else
  echo "note: no wasm-opt 120+ on PATH (found: ${opt_version:-none}); the .wasm is left as rustc made it" >&2
fi
cp js/browser.js js/node.js js/common.js js/index.d.ts README.md pkg/
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
sed "s/\"version\": \"0.0.0\"/\"version\": \"$version\"/" js/package.json > pkg/package.json
rm -f pkg/.gitignore

raw=$(wc -c < pkg/routeros_wasm_bg.wasm)
gz=$(gzip -9 -c pkg/routeros_wasm_bg.wasm | wc -c)
echo "pkg/routeros_wasm_bg.wasm: $raw bytes, $gz gzipped"
