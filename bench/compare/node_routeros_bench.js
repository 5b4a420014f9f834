#!/usr/bin/env node
// node-routeros (npm) against the same simulator as the Rust benchmarks.
//
// Usage: node node_routeros_bench.js --addr HOST:PORT --mode bulk|rtt [--reps N] [--warmup N]
//                                    [--round-trips N] [--user U] [--password P]
//
// bulk: /ip/firewall/address-list/print, every row counted and its `address` read.
// rtt:  N sequential /system/identity/print round trips on one connection.
//
// Connecting and logging in are not timed. --warmup untimed repetitions (default 1), then
// --reps timed ones. Prints one JSON object: times, best and median (ms), items per repetition, and
// the peak resident set size of this process (process.resourceUsage().maxRSS, KiB).
'use strict';

const { RouterOSAPI } = require('node-routeros');

function parseArgs(argv) {
  const args = { reps: 5, warmup: 1, roundTrips: 1000, user: 'admin', password: '' };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    switch (flag) {
      case '--addr': args.addr = value; break;
      case '--mode': args.mode = value; break;
      case '--reps': args.reps = Number(value); break;
      case '--warmup': args.warmup = Number(value); break;
      case '--round-trips': args.roundTrips = Number(value); break;
      case '--user': args.user = value; break;
      case '--password': args.password = value; break;
      default: throw new Error(`unknown option ${flag}`);
    }
  }
  if (!args.addr || !['bulk', 'rtt'].includes(args.mode)) {
    throw new Error('usage: node_routeros_bench.js --addr HOST:PORT --mode bulk|rtt');
  }
  return args;
}

async function bulk(api) {
  const rows = await api.write('/ip/firewall/address-list/print');
  let touched = 0;
  for (const row of rows) touched += (row.address || '').length;
  if (rows.length && !touched) throw new Error('rows carried no address');
  return rows.length;
}

async function rtt(api, n) {
  for (let i = 0; i < n; i++) {
    const rows = await api.write('/system/identity/print');
    if (!rows.length || rows[0].name === undefined) throw new Error('identity reply had no name');
  }
  return n;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const i = args.addr.lastIndexOf(':');
  const api = new RouterOSAPI({
    host: args.addr.slice(0, i),
    port: Number(args.addr.slice(i + 1)),
    user: args.user,
    password: args.password,
    timeout: 60,
    keepalive: false,
  });
  await api.connect();
  const run = args.mode === 'bulk' ? () => bulk(api) : () => rtt(api, args.roundTrips);
  const times = [];
  let items = 0;
  for (let rep = 0; rep < args.warmup + args.reps; rep++) {
    const start = process.hrtime.bigint();
    items = await run();
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    if (rep >= args.warmup) times.push(elapsed);
  }
  await api.close();
  const sorted = [...times].sort((a, b) => a - b);
  console.log(JSON.stringify({
    client: `${args.mode}-node-routeros`,
    version: require('node-routeros/package.json').version,
    best_ms: sorted[0],
    median_ms: sorted[Math.floor(sorted.length / 2)],
    times_ms: times,
    items,
    peak_rss_kib: process.resourceUsage().maxRSS,
  }));
}

main().catch((e) => {
  console.error(`node_routeros_bench: ${e.message || e}`);
  process.exit(1);
});
