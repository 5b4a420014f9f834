// Benchmark: `/ip/firewall/address-list/print` of 100 000 rows from the project's simulator.
//
//   routeros-wasm through websockify (the browser path, run in Node with the `ws` WebSocket)
//   routeros-wasm over direct TCP (the Node path)
//   node-routeros over direct TCP (the established pure-JavaScript client)
//
// Each client connects once, prints once to warm up, then prints RUNS times; the median is
// reported. Needs: wasm/build.sh, `cargo build --release -p routeros-sim`, the websockify venv
// (see ci.sh) and `npm ci`. Usage: node bench.mjs [rows] [runs]
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { WebSocket as WS } from 'ws';
import { connect } from './pkg/node.js';
import { startSim, startBridge } from './test/harness.mjs';

const require = createRequire(import.meta.url);
const { RouterOSAPI } = require('node-routeros');

const ROWS = Number(process.argv[2] ?? 100_000);
const RUNS = Number(process.argv[3] ?? 5);
const PRINT = ['/ip/firewall/address-list/print'];

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function measure(name, open, print, close) {
  const client = await open();
  const first = await print(client);
  if (first !== ROWS) throw new Error(`${name}: expected ${ROWS} rows, got ${first}`);
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const n = await print(client);
    times.push(performance.now() - t0);
    if (n !== ROWS) throw new Error(`${name}: expected ${ROWS} rows, got ${n}`);
  }
  await close(client);
  const ms = median(times);
  console.log(`${name.padEnd(44)} median ${ms.toFixed(0).padStart(6)} ms  (runs: ${times.map((t) => t.toFixed(0)).join(', ')})`);
  return ms;
}

const sim = await startSim(['--rows', String(ROWS)]);
const bridge = await startBridge(sim.addr);
try {
  console.log(`${ROWS} rows, ${RUNS} timed runs each after one warm-up; Node ${process.version}`);
  const wasmBridge = await measure(
    'routeros-wasm, WebSocket (ws) via websockify',
    () => connect({ url: bridge.url, WebSocket: WS, timeoutMs: 120_000 }),
    async (ros) => (await ros.command(PRINT)).length,
    (ros) => ros.close(),
  );
  const wasmTcp = await measure(
    'routeros-wasm, direct TCP',
    () => connect({ host: sim.host, port: sim.port, timeoutMs: 120_000 }),
    async (ros) => (await ros.command(PRINT)).length,
    (ros) => ros.close(),
  );
  const nodeRouteros = await measure(
    'node-routeros 1.6.9, direct TCP',
    async () => {
      const api = new RouterOSAPI({ host: sim.host, port: sim.port, user: 'admin', password: '', timeout: 120 });
      await api.connect();
      return api;
    },
    async (api) => (await api.write(PRINT[0])).length,
    (api) => api.close(),
  );
  console.log(`ratio wasm-via-bridge / node-routeros: ${(wasmBridge / nodeRouteros).toFixed(2)}`);
  console.log(`ratio wasm-direct-TCP / node-routeros: ${(wasmTcp / nodeRouteros).toFixed(2)}`);
} finally {
  await bridge.stop();
  await sim.stop();
}
