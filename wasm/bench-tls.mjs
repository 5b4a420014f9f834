// Connect + login time of the Node entry point against each of the simulator's API set-ups:
// plain TCP, api-ssl v7 and v6 profiles (self-signed certificate, pinned by fingerprint),
// api-ssl without a certificate (anonymous DH) and a TLS 1.3 terminator. Median of RUNS
// connections each (after one warm-up), every one a new TCP connection and TLS handshake.
//
// Needs: wasm/build.sh and `cargo build --release -p routeros-sim`. Usage: node bench-tls.mjs [runs]
import { performance } from 'node:perf_hooks';
import { connect } from './pkg/node.js';
import { startSim } from './test/harness.mjs';

const RUNS = Number(process.argv[2] ?? 20);
process.removeAllListeners('warning'); // the anonymous-DH warning is expected here

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function fingerprintOf(sim) {
  for (let i = 0; i < 100; i++) {
    const m = /sha256=([0-9A-Fa-f:]+)/.exec(sim.stderr());
    if (m) return m[1];
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the simulator printed no fingerprint');
}

const setups = [
  ['plain API (8728)', [], () => ({})],
  ['api-ssl v7, fingerprint pinned', ['--tls-generate', '--tls-profile', 'v7'], (fp) => ({ tls: { fingerprint: fp } })],
  ['api-ssl v6, fingerprint pinned', ['--tls-generate', '--tls-profile', 'v6'], (fp) => ({ tls: { fingerprint: fp } })],
  ['api-ssl without certificate (ADH)', ['--tls-anonymous'], () => ({ tls: { anonymous: true } })],
  ['TLS 1.3 terminator, fingerprint pinned', ['--tls-generate', '--tls-profile', 'terminator-tls13'], (fp) => ({ tls: { fingerprint: fp } })],
];

console.log(`connect() (TCP, TLS handshake, login), median of ${RUNS}; Node ${process.version}`);
for (const [name, args, tls] of setups) {
  const sim = await startSim(args);
  try {
    const fp = args.includes('--tls-generate') ? await fingerprintOf(sim) : undefined;
    const options = { host: '127.0.0.1', port: sim.port, timeoutMs: 10_000, keepaliveMs: 0, ...tls(fp) };
    const times = [];
    for (let i = 0; i <= RUNS; i++) {
      const t0 = performance.now();
      const ros = await connect(options);
      const t = performance.now() - t0;
      await ros.close();
      if (i > 0) times.push(t);
    }
    console.log(`${name.padEnd(40)} ${median(times).toFixed(1).padStart(6)} ms`);
  } finally {
    await sim.stop();
  }
}
