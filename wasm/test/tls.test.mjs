// API-SSL from Node against the simulator's RouterOS-like TLS: the v7 and v6 profiles with a
// self-signed certificate (CA and SHA-256 fingerprint pinning), certificate-less api-ssl
// (anonymous DH), a TLS 1.3-only client (fails, as against a router), and a TLS 1.3
// terminator.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, pkgNode, rejection, startSim, within } from './harness.mjs';

const { connect, RouterOsError } = await import(pkgNode);

function assertError(error, type) {
  assert.ok(error instanceof RouterOsError, `expected a RouterOsError, got ${error?.stack ?? error}`);
  assert.equal(error.type, type, `expected ${type}, got ${error.type}: ${error.message}`);
}

/** Starts the simulator with a generated certificate; resolves with it, its CA and fingerprint. */
async function tlsSim(dir, profile) {
  const certFile = join(dir, `${profile}.pem`);
  const sim = await startSim(['--tls-generate', '--tls-cert-out', certFile, '--tls-profile', profile]);
  let fingerprint;
  await eventually(5000, () => (fingerprint = /sha256=([0-9A-Fa-f:]+)/.exec(sim.stderr())?.[1]), 'the fingerprint line');
  return { sim, ca: readFileSync(certFile), fingerprint };
}

async function identity(options) {
  const ros = await within(10_000, connect({ timeoutMs: 5000, ...options }));
  try {
    return await ros.getIdentity();
  } finally {
    await ros.close();
  }
}

describe('API-SSL (tls option)', () => {
  let dir;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'routeros-wasm-tls-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const profile of ['v7', 'v6']) {
    it(`${profile}: a CA or a pinned fingerprint works; a wrong pin or an unknown certificate is refused`, async () => {
      const { sim, ca, fingerprint } = await tlsSim(dir, profile);
      try {
        const at = { host: 'localhost', port: sim.port };
        assert.equal(await identity({ ...at, tls: { ca } }), 'MikroTik');
        assert.equal(await identity({ ...at, tls: { fingerprint } }), 'MikroTik');
        assert.equal(await identity({ host: '127.0.0.1', port: sim.port, tls: { fingerprint: fingerprint.toLowerCase().replace(/:/g, '') } }), 'MikroTik');
        const wrong = [...fingerprint.replace(/:/g, '')].reverse().join('');
        const pinned = await rejection(connect({ ...at, tls: { fingerprint: wrong }, timeoutMs: 5000 }));
        assertError(pinned, 'connect_failed');
        assert.match(pinned.message, /does not match tls\.fingerprint/);
        const unknown = await rejection(connect({ ...at, tls: true, timeoutMs: 5000 }));
        assertError(unknown, 'connect_failed');
        assert.match(unknown.message, /tls\.fingerprint/);
      } finally {
        await sim.stop();
      }
    });
  }

  it('v7: a TLS 1.3-only client fails clearly (RouterOS speaks TLS 1.2 at most)', async () => {
    const { sim, ca } = await tlsSim(dir, 'v7');
    try {
      const error = await rejection(connect({ host: 'localhost', port: sim.port, tls: { ca, minVersion: 'TLSv1.3' }, timeoutMs: 5000 }));
      assertError(error, 'connect_failed');
      assert.match(error.message, /TLS 1\.2 at most/);
    } finally {
      await sim.stop();
    }
  });

  it('a TLS 1.3 terminator in front of a router works', async () => {
    const { sim, ca } = await tlsSim(dir, 'terminator-tls13');
    try {
      assert.equal(await identity({ host: 'localhost', port: sim.port, tls: { ca, minVersion: 'TLSv1.3' } }), 'MikroTik');
    } finally {
      await sim.stop();
    }
  });

  it('certificate-less api-ssl: anonymous DH with tls.anonymous, warned; refused otherwise', async () => {
    const sim = await startSim(['--tls-anonymous']);
    const warnings = [];
    const onWarning = (w) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const refused = await rejection(connect({ host: '127.0.0.1', port: sim.port, tls: true, timeoutMs: 5000 }));
      assertError(refused, 'connect_failed');
      assert.match(refused.message, /anonymous/);
      assert.equal(await identity({ host: '127.0.0.1', port: sim.port, tls: { anonymous: true } }), 'MikroTik');
      await new Promise((r) => setImmediate(r));
      assert.ok(
        warnings.some((w) => w.name === 'RouterOsSecurityWarning' && /authenticates nobody/.test(w.message)),
        `warnings: ${warnings.map(String)}`,
      );
      assertError(await rejection(connect({ host: '127.0.0.1', port: sim.port, tls: { anonymous: true, fingerprint: 'AB' } })), 'invalid_argument');
    } finally {
      process.off('warning', onWarning);
      await sim.stop();
    }
  });
});
