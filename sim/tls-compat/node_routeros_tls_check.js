#!/usr/bin/env node
// Drive routeros-sim's API-SSL modes with the established Node client `node-routeros`, whose
// `tls` option goes straight to Node's `tls.connect`.
//
// Usage: node node_routeros_tls_check.js PATH_TO_ROUTEROS_SIM
//
// For each mode: a login and a print with a client set up as a user would for that router, the
// version and suite it negotiated, and the clients that must be refused. Exits non-zero on the
// first mismatch.
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');
const tls = require('tls');
const assert = require('assert/strict');
const { RouterOSAPI } = require('node-routeros');

const PASSWORD = 's3cret';
const PROTOCOL_VERSION = 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION';
const HANDSHAKE_FAILURE = 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE';
const children = [];

// Starts the simulator; resolves with its address and the `tls profile=...` stderr line.
function start(binary, extra) {
  return new Promise((resolve, reject) => {
    const args = ['--listen', '127.0.0.1:0', '--password', PASSWORD, ...extra];
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    child.once('error', reject);
    let notice;
    readline.createInterface({ input: child.stderr }).once('line', (line) => {
      notice = line;
    });
    readline.createInterface({ input: child.stdout }).once('line', (line) => {
      const i = line.lastIndexOf(':');
      // The notice is written before the address; give its reader a turn.
      setImmediate(() => resolve({ host: line.slice(0, i), port: Number(line.slice(i + 1)), notice, child }));
    });
  });
}

function stop(sim) {
  sim.child.kill('SIGTERM');
}

function ok(what) {
  console.log(`ok - ${what}`);
}

// Logs in over TLS with these `tls` options; returns [protocol, cipher, identity].
async function session(sim, tlsOptions) {
  const api = new RouterOSAPI({
    host: sim.host,
    port: sim.port,
    user: 'admin',
    password: PASSWORD,
    timeout: 5,
    keepalive: false,
    tls: { servername: 'localhost', ...tlsOptions },
  });
  await api.connect();
  try {
    const socket = api.connector.socket;
    const identity = (await api.write('/system/identity/print'))[0].name;
    const names = (await api.write('/interface/print')).map((r) => r.name);
    assert.ok(names.includes('ether1'), 'interface print over TLS');
    return [socket.getProtocol(), socket.getCipher().name, identity];
  } finally {
    await api.close();
  }
}

// What Node's TLS reports for these options (node-routeros passes the same options to
// `tls.connect` but reports failures without the reason).
function tlsError(sim, tlsOptions) {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: sim.host, port: sim.port, servername: 'localhost', ...tlsOptions });
    socket.once('secureConnect', () => {
      socket.destroy();
      resolve(null);
    });
    socket.once('error', (e) => resolve(e.code || e.message));
  });
}

// node-routeros refuses the connection, and Node's TLS says why: `code`.
async function refused(sim, tlsOptions, code, what) {
  assert.equal(await tlsError(sim, tlsOptions), code, what);
  try {
    await session(sim, tlsOptions);
  } catch (e) {
    assert.ok(e instanceof Error, what);
    ok(`${what}: refused (${code})`);
    return;
  }
  assert.fail(`${what}: accepted`);
}

async function main() {
  const binary = process.argv[2];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'routeros-sim-tls-node-'));
  try {
    const otherFile = path.join(dir, 'other.pem');
    const other = await start(binary, ['--tls-generate', '--tls-cert-out', otherFile]);
    stop(other);
    const modes = [
      ['v7', 'TLSv1.2', 'ECDHE-RSA-AES256-GCM-SHA384'],
      ['v6', 'TLSv1.2', 'DHE-RSA-AES256-GCM-SHA384'],
      ['terminator-tls13', 'TLSv1.3', 'TLS_AES_256_GCM_SHA384'],
    ];
    for (const [profile, version, cipher] of modes) {
      const certFile = path.join(dir, `${profile}.pem`);
      const sim = await start(binary, ['--tls-generate', '--tls-cert-out', certFile, '--tls-profile', profile]);
      try {
        assert.match(sim.notice, new RegExp(`^tls profile=${profile} sha256=[0-9a-f]{64}$`));
        const ca = fs.readFileSync(certFile);
        const [gotVersion, gotCipher, identity] = await session(sim, { ca });
        assert.deepEqual([gotVersion, gotCipher, identity], [version, cipher, 'MikroTik']);
        ok(`${profile}: ${gotVersion} ${gotCipher}, login and print`);
        await refused(
          sim,
          { ca: fs.readFileSync(otherFile) },
          'DEPTH_ZERO_SELF_SIGNED_CERT',
          `${profile}: a client trusting another certificate`,
        );
        if (profile === 'terminator-tls13') {
          await refused(sim, { ca, maxVersion: 'TLSv1.2' }, PROTOCOL_VERSION, `${profile}: a TLS 1.2-only client`);
        } else {
          await refused(sim, { ca, minVersion: 'TLSv1.3' }, PROTOCOL_VERSION, `${profile}: a TLS 1.3-only client`);
        }
      } finally {
        stop(sim);
      }
    }
    // Certificate-less api-ssl: anonymous DH at security level 0, nothing to verify.
    const anon = await start(binary, ['--tls-anonymous']);
    try {
      assert.equal(anon.notice, 'tls profile=v7 anonymous');
      const recipe = { ciphers: 'ADH-AES256-GCM-SHA384:ADH-AES256-SHA:@SECLEVEL=0', rejectUnauthorized: false };
      const [gotVersion, gotCipher] = await session(anon, recipe);
      assert.deepEqual([gotVersion, gotCipher], ['TLSv1.2', 'ADH-AES256-GCM-SHA384']);
      ok(`anonymous: ${gotVersion} ${gotCipher}, login and print`);
      await refused(anon, {}, HANDSHAKE_FAILURE, 'anonymous: a client with the default suites');
      // Node checks the (absent) certificate after the handshake unless told not to.
      await refused(anon, { ciphers: recipe.ciphers }, 'UNABLE_TO_GET_ISSUER_CERT', 'anonymous: a client that still verifies');
    } finally {
      stop(anon);
    }
    console.log('node-routeros over API-SSL: every mode behaves as expected');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`not ok - ${e.stack || e}`);
  for (const c of children) c.kill('SIGKILL');
  process.exit(1);
});
