#!/usr/bin/env bash
# Builds the npm package into wasm/pkg/: the release WebAssembly build, wasm-bindgen's
# `--target web` glue (loads in browsers, and in Node through initSync), wasm-opt (binaryen
# 120+: the npm `binaryen` of `npm ci`, else one on PATH), the hand-written entry points from
# js/, and a CommonJS bundle of the Node entry point (esbuild, from `npm ci`).
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
wasm_opt=node_modules/.bin/wasm-opt
[ -x "$wasm_opt" ] || wasm_opt=wasm-opt
opt_version=$("$wasm_opt" --version 2>/dev/null | awk '{print $3}' || true)
if [ -n "$opt_version" ] && [ "$opt_version" -ge 120 ] 2>/dev/null; then
  # -O2 rather than -Oz: the row decoding is the hot path, and -Oz costs it speed for a
  # few KB (see the README's figures). The features are those rustc's wasm32 target uses.
  "$wasm_opt" "${WASM_OPT_LEVEL:--O2}" --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
    pkg/routeros_wasm_bg.wasm -o pkg/routeros_wasm_bg.wasm.opt
  mv pkg/routeros_wasm_bg.wasm.opt pkg/routeros_wasm_bg.wasm
else
  echo "note: no wasm-opt 120+ (found: ${opt_version:-none}; npm ci installs one); the .wasm is left as rustc made it" >&2
fi
cp js/browser.js js/node.js js/common.js js/index.d.ts README.md pkg/
cp js/index.d.ts pkg/index.d.cts
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
sed "s/\"version\": \"0.0.0\"/\"version\": \"$version\"/" js/package.json > pkg/package.json
rm -f pkg/.gitignore

# CommonJS: the Node entry point bundled with its imports into node.cjs (Node 20 cannot
# require() an ES module). `import.meta.url` becomes the file's own URL.
esbuild=node_modules/.bin/esbuild
if [ ! -x "$esbuild" ]; then
  echo "esbuild is needed for the CommonJS entry point: run npm ci in wasm/" >&2
  exit 1
fi
"$esbuild" pkg/node.js --bundle --platform=node --format=cjs --target=node20 --log-level=warning \
  --external:node:* --define:import.meta.url=__routeros_wasm_url \
  --banner:js="const __routeros_wasm_url = require('node:url').pathToFileURL(__filename).href;" \
  --outfile=pkg/node.cjs

raw=$(wc -c < pkg/routeros_wasm_bg.wasm)
gz=$(gzip -9 -c pkg/routeros_wasm_bg.wasm | wc -c)
echo "pkg/routeros_wasm_bg.wasm: $raw bytes, $gz gzipped"
