#!/usr/bin/env node
// Drive routeros-sim with the established Node client `node-routeros`.
//
// Usage: node node_routeros_check.js PATH_TO_ROUTEROS_SIM
//
// Starts the simulator (plain and legacy login), exercises login, print with a query, add and
// remove of an address, a trap, and a short monitor-traffic stream stopped with /cancel.
// Exits non-zero on the first mismatch.
'use strict';

const { spawn } = require('child_process');
const readline = require('readline');
const assert = require('assert/strict');
const { RouterOSAPI } = require('node-routeros');

const PASSWORD = 's3cret';
// Extra simulator flags for every start (run.sh loops over tag positions and versions).
const EXTRA = (process.env.SIM_ARGS || '').split(/\s+/).filter((a) => a);
const children = [];

function start(binary, extra) {
  return new Promise((resolve, reject) => {
    const all = ['--listen', '127.0.0.1:0', '--password', PASSWORD, ...extra, ...EXTRA];
    const child = spawn(binary, all, {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    child.once('error', reject);
    const lines = readline.createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      const i = line.lastIndexOf(':');
      resolve({ host: line.slice(0, i), port: Number(line.slice(i + 1)) });
    });
  });
}

function ok(what) {
  console.log(`ok - ${what}`);
}

function connect({ host, port }, password) {
  const api = new RouterOSAPI({ host, port, user: 'admin', password, timeout: 5, keepalive: false });
  return api.connect();
}

async function rejects(promise, message, what) {
  try {
    await promise;
  } catch (e) {
    assert.equal(e.message, message, what);
    ok(what);
    return;
  }
  assert.fail(`${what}: no error`);
}

async function checkPlain(addr) {
  // node-routeros maps exactly the RouterOS texts 'invalid user name or password (6)' and
  // 'cannot log in' to this error, so the check also pins the simulator's wording.
  await rejects(connect(addr, 'wrong'), 'Username or password is invalid', 'wrong password is refused');
  const api = await connect(addr, PASSWORD);
  ok('plain login');

  const rows = await api.write('/interface/print', ['?type=ether', '?running=true']);
  assert.deepEqual(rows.map((r) => r.name), ['ether1', 'ether2']);
  assert.equal(rows[0]['.id'], '*1');
  assert.equal(rows[0].mtu, '1500');
  ok('print with a query');

  const either = await api.write('/interface/print', [
    '=.proplist=name',
    '?type=bridge',
    '?type=wlan',
    '?#|',
  ]);
  assert.deepEqual(either, [{ name: 'bridge1' }, { name: 'wlan1' }]);
  ok('print with an OR query and .proplist');

  const added = await api.write('/ip/address/add', [
    '=address=10.88.0.1/24',
    '=interface=ether2',
  ]);
  assert.equal(added.length, 1);
  const id = added[0].ret;
  assert.match(id, /^\*[0-9A-F]+$/);
  ok(`add returns an id (${id})`);
  const found = await api.write('/ip/address/print', [`?.id=${id}`]);
  assert.equal(found.length, 1);
  assert.equal(found[0].network, '10.88.0.0');
  assert.equal(found[0].interface, 'ether2');
  ok('added address is printed');
  assert.deepEqual(await api.write('/ip/address/remove', [`=.id=${id}`]), []);
  assert.deepEqual(await api.write('/ip/address/print', [`?.id=${id}`]), []);
  ok('remove');
  await rejects(
    api.write('/ip/address/remove', [`=.id=${id}`]),
    'no such item (4)',
    'remove of a missing id is a trap',
  );
  await rejects(
    api.write('/ip/address/add', ['=address=10.1.1.1/24', '=interface=nope']),
    'input does not match any value of interface',
    'add on a missing interface is a trap',
  );
  await rejects(api.write('/ip/address/frobnicate'), 'no such command', 'unknown command is a trap');
  // After the traps (each followed by !done) the connection is still in step.
  assert.deepEqual(await api.write('/system/identity/print'), [{ name: 'MikroTik' }]);
  ok('connection in step after traps');

  const packets = [];
  await new Promise((resolve, reject) => {
    const stream = api.stream(
      ['/interface/monitor-traffic', '=interface=ether1', '=interval=100ms'],
      (err, packet) => {
        if (err) {
          reject(err);
          return;
        }
        packets.push(packet);
        if (packets.length === 3) {
          stream.stop().then(resolve, reject);
        }
      },
    );
  });
  assert.equal(packets.length, 3);
  for (const p of packets) {
    assert.equal(p.name, 'ether1');
    assert.ok(Number(p['rx-bits-per-second']) > 0);
  }
  ok('monitor-traffic stream stopped with /cancel');
  assert.deepEqual(await api.write('/system/identity/print'), [{ name: 'MikroTik' }]);
  ok('connection usable after the stream');
  await api.close();
}

async function checkLegacy(addr) {
  const api = await connect(addr, PASSWORD);
  ok('legacy (MD5 challenge) login');
  const res = await api.write('/system/resource/print', ['=.proplist=version,platform']);
  // The version is the profile's (--ros), e.g. `7.18.2 (stable)`.
  assert.equal(res.length, 1);
  assert.equal(res[0].platform, 'MikroTik');
  assert.match(res[0].version, /^[67]\.\d+\.\d+ \(stable\)$/);
  ok('works after legacy login');
  await api.close();
  await rejects(connect(addr, 'wrong'), 'Username or password is invalid', 'wrong legacy password is refused');
}

async function main() {
  const binary = process.argv[2];
  if (!binary) {
    throw new Error('usage: node node_routeros_check.js PATH_TO_ROUTEROS_SIM');
  }
  await checkPlain(await start(binary, []));
  await checkLegacy(await start(binary, ['--legacy-login']));
  console.log('node-routeros: all checks passed');
}

const timer = setTimeout(() => {
  console.error('timed out');
  for (const c of children) c.kill();
  process.exit(1);
}, 30000);

main()
  .then(() => {
    clearTimeout(timer);
    for (const c of children) c.kill();
    process.exit(0);
  })
  .catch((e) => {
    clearTimeout(timer);
    console.error('FAILED:', e);
    for (const c of children) c.kill();
    process.exit(1);
  });
