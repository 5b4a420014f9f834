// Benchmark: `/ip/firewall/address-list/print` of 100 000 rows from the project's simulator.
//
//   routeros-wasm through websockify (the browser path, run in Node with the `ws` WebSocket)
//   routeros-wasm over direct TCP (the Node path)
//   node-routeros over direct TCP (the established pure-JavaScript client)
//
// and, to see where routeros-wasm's time goes:
//
//   raw bytes: the same print over a plain socket, bytes only (login and command written by
//     hand, no decoding): the floor any client pays for the transfer
//   JSON.parse: turning the same rows, as the JSON text the package builds, into objects
//
// Each client connects once, prints once to warm up, then prints RUNS times; the median is
// reported. Needs: wasm/build.sh, `cargo build --release -p routeros-sim`, the websockify venv
// (see ci.sh) and `npm ci`. Usage: node bench.mjs [rows] [runs]
import { createRequire } from 'node:module';
import net from 'node:net';
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

async function measure(name, open, print, close, expected = ROWS) {
  const client = await open();
  const first = await print(client);
  if (first !== expected) throw new Error(`${name}: expected ${expected}, got ${first}`);
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const n = await print(client);
    times.push(performance.now() - t0);
    if (n !== expected) throw new Error(`${name}: expected ${expected}, got ${n}`);
  }
  await close(client);
  const ms = median(times);
  console.log(`${name.padEnd(50)} median ${ms.toFixed(0).padStart(6)} ms  (runs: ${times.map((t) => t.toFixed(0)).join(', ')})`);
  return ms;
}

/** One API word, for the raw-bytes client (short words only). */
const word = (text) => {
  const b = Buffer.from(text);
  if (b.length >= 0x80) throw new Error('long word');
  return Buffer.concat([Buffer.from([b.length]), b]);
};
const sentence = (...words) => Buffer.concat([...words.map(word), Buffer.from([0])]);
const DONE = Buffer.from('\x05!done\x00', 'latin1');

/** A plain socket that logs in and prints, counting bytes until the reply's final !done. */
async function rawClient(host, port) {
  const socket = net.connect({ host, port });
  socket.setNoDelay(true);
  await new Promise((r, j) => socket.once('connect', r).once('error', j));
  let pending;
  let bytes = 0;
  let tail = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    bytes += chunk.length;
    tail = Buffer.concat([tail, chunk.subarray(Math.max(0, chunk.length - 16))]).subarray(-16);
    if (tail.subarray(-DONE.length).equals(DONE)) {
      const p = pending;
      pending = undefined;
      p?.(bytes);
    }
  });
  const ask = (buf) =>
    new Promise((resolve) => {
      bytes = 0;
      tail = Buffer.alloc(0);
      pending = resolve;
      socket.write(buf);
    });
  await ask(sentence('/login', '=name=admin', '=password='));
  return { socket, print: () => ask(sentence(PRINT[0])) };
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
  let json;
  const wasmTcp = await measure(
    'routeros-wasm, direct TCP',
    () => connect({ host: sim.host, port: sim.port, timeoutMs: 120_000 }),
    async (ros) => {
      const rows = await ros.command(PRINT);
      json ??= JSON.stringify(rows);
      return rows.length;
    },
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
  let wire = 0;
  const raw = await measure(
    'raw bytes over TCP (no decoding; the floor)',
    () => rawClient(sim.host, sim.port),
    async (c) => {
      wire = await c.print();
      return ROWS;
    },
    (c) => c.socket.destroy(),
  );
  const parse = await measure(
    `JSON.parse of the rows (${(json.length / 1e6).toFixed(1)} MB of JSON text)`,
    () => null,
    () => JSON.parse(json).length,
    () => {},
  );
  console.log(`wire: ${(wire / 1e6).toFixed(1)} MB per print`);
  console.log(
    `routeros-wasm direct TCP ${wasmTcp.toFixed(0)} ms = transfer ~${raw.toFixed(0)} + JSON.parse ~${parse.toFixed(0)} + ` +
      `decoding in WebAssembly and the rest ~${Math.max(0, wasmTcp - raw - parse).toFixed(0)}`,
  );
  console.log(`ratio wasm-via-bridge / node-routeros: ${(wasmBridge / nodeRouteros).toFixed(2)}`);
  console.log(`ratio wasm-direct-TCP / node-routeros: ${(wasmTcp / nodeRouteros).toFixed(2)}`);
} finally {
  await bridge.stop();
  await sim.stop();
}
