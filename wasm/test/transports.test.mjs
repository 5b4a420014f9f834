// Ways to reach the router from Node: the WebSocket found on globalThis or passed in, Node's
// own experimental WebSocket, direct TCP and TLS, a BytePipe of one's own; and the failures of
// each (nothing listening, a server that never answers, no WebSocket at all).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket as WS } from 'ws';
import { connect, connectPipe, socketPipe, RouterOsError } from '../pkg/node.js';
import { freePort, startSim, startStack, within, rejection, wasmDir, websockifyBin } from './harness.mjs';
import { spawn } from 'node:child_process';

function assertError(error, type) {
  assert.ok(error instanceof RouterOsError, `expected a RouterOsError, got ${error?.stack ?? error}`);
  assert.equal(error.type, type, `expected ${type}, got ${error.type}: ${error.message}`);
}

describe('WebSocket implementations', () => {
  let stack;
  before(async () => {
    stack = await startStack([]);
  });
  after(() => stack.stop());

  it('uses globalThis.WebSocket when no WebSocket option is given', async () => {
    const saved = globalThis.WebSocket;
    globalThis.WebSocket = WS;
    try {
      const ros = await within(10_000, connect({ url: stack.url, timeoutMs: 5000 }));
      assert.equal(await ros.getIdentity(), 'MikroTik');
      await ros.close();
    } finally {
      globalThis.WebSocket = saved;
    }
  });

  it('says what to do when there is no WebSocket (Node 20)', async (t) => {
    if (globalThis.WebSocket) return t.skip('this Node has a global WebSocket');
    const error = await rejection(connect({ url: stack.url }));
    assertError(error, 'invalid_argument');
    assert.match(error.message, /ws/);
  });

  it("works with Node's own WebSocket (--experimental-websocket)", async (t) => {
    const probe = spawnSync(process.execPath, ['--experimental-websocket', '-e', 'process.exit(typeof WebSocket === "function" ? 0 : 3)']);
    if (probe.status !== 0) return t.skip('this Node has no --experimental-websocket');
    const script = `
      import { connect } from ${JSON.stringify(join(wasmDir, 'pkg', 'node.js'))};
      const ros = await connect({ url: ${JSON.stringify(stack.url)}, timeoutMs: 5000 });
      const rows = await ros.command(['/interface/print', '?name=ether2']);
      let n = 0;
      for await (const row of ros.stream(['/interface/monitor-traffic', '=interface=ether1', '=interval=0.05'])) if (++n === 2) break;
      console.log(JSON.stringify({ name: rows[0].name, n, identity: await ros.getIdentity() }));
      await ros.close();
    `;
    const out = execFileSync(process.execPath, ['--experimental-websocket', '--no-warnings', '--input-type=module', '-e', script], {
      timeout: 20_000,
      encoding: 'utf8',
    });
    assert.deepEqual(JSON.parse(out.trim()), { name: 'ether2', n: 2, identity: 'MikroTik' });
  });

  it('offers a subprotocol when asked', async () => {
    const ros = await within(10_000, connect({ url: stack.url, WebSocket: WS, protocols: ['binary'], timeoutMs: 5000 }));
    assert.equal((await ros.command(['/interface/print', '?name=ether5']))[0].name, 'ether5');
    await ros.close();
  });

  it('fails with connect_failed when nothing listens', async () => {
    const port = await freePort();
    const error = await within(10_000, rejection(connect({ url: `ws://127.0.0.1:${port}`, WebSocket: WS, timeoutMs: 5000 })));
    assertError(error, 'connect_failed');
  });

  it('fails with connect_failed for a malformed URL', async () => {
    assertError(await rejection(connect({ url: 'not a url', WebSocket: WS })), 'connect_failed');
  });
});

function selfSignedCert(dir) {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' });
  return { cert, key };
}

describe('the safe bridge setup of the README', () => {
  it('wss only, targets from a token allow-list, no recording', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'routeros-wasm-wss-'));
    const sim = await startSim([]);
    const port = await freePort();
    let bridge;
    try {
      const { cert, key } = selfSignedCert(dir);
      const tokens = join(dir, 'tokens');
      writeFileSync(tokens, `lab-router: ${sim.addr}\n`);
      bridge = spawn(websockifyBin, [
        '--ssl-only', '--cert', cert, '--key', key,
        '--token-plugin', 'TokenFile', '--token-source', tokens,
        `127.0.0.1:${port}`,
      ], { stdio: 'ignore' });
      const ca = readFileSync(cert);
      // Node's ws takes TLS options as a third argument; a browser trusts the certificate itself.
      class TrustingWS extends WS {
        constructor(url, protocols) {
          super(url, protocols ?? [], { ca });
        }
      }
      let ros;
      for (let i = 0; i < 100 && !ros; i++) {
        ros = await connect({ url: `wss://localhost:${port}/?token=lab-router`, WebSocket: TrustingWS, timeoutMs: 5000 }).catch(
          (e) => (e.type === 'connect_failed' ? new Promise((r) => setTimeout(r, 100)) : Promise.reject(e)),
        );
      }
      assert.ok(ros, 'connected through wss');
      assert.equal(await ros.getIdentity(), 'MikroTik');
      await ros.close();
      // Unknown token: the bridge has no target for it, so no connection to any router.
      const refused = await within(10_000, rejection(connect({ url: `wss://localhost:${port}/?token=elsewhere`, WebSocket: TrustingWS, timeoutMs: 5000 })));
      assert.ok(['connect_failed', 'closed'].includes(refused.type), refused.message);
      // Plain ws:// is refused with --ssl-only.
      const plain = await within(10_000, rejection(connect({ url: `ws://localhost:${port}/?token=lab-router`, WebSocket: WS, timeoutMs: 5000 })));
      assert.ok(['connect_failed', 'closed'].includes(plain.type), plain.message);
    } finally {
      bridge?.kill('SIGKILL');
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('direct TCP and TLS', () => {
  it('fails with connect_failed when nothing listens', async () => {
    const port = await freePort();
    const error = await within(10_000, rejection(connect({ host: '127.0.0.1', port, timeoutMs: 5000 })));
    assertError(error, 'connect_failed');
    assert.match(error.message, /ECONNREFUSED/);
  });

  it('times out against a server that never answers the login', async () => {
    const sockets = [];
    const server = net.createServer((s) => {
      sockets.push(s);
      s.resume(); // read (and drop) the login, so the close is seen
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    try {
      const started = Date.now();
      const error = await within(10_000, rejection(connect({ host: '127.0.0.1', port: server.address().port, timeoutMs: 300 })));
      assertError(error, 'timeout');
      assert.ok(Date.now() - started >= 250);
      // The package closed its socket after giving up.
      await within(5000, new Promise((resolve) => (sockets[0].destroyed ? resolve() : sockets[0].once('close', resolve))));
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });

  it('logs in over a BytePipe made from a socket by hand', async () => {
    const sim = await startSim([]);
    try {
      const pipe = socketPipe(net.connect({ host: sim.host, port: sim.port }));
      const ros = await within(10_000, connectPipe(pipe, { timeoutMs: 5000 }));
      assert.equal(await ros.getIdentity(), 'MikroTik');
      await ros.close();
    } finally {
      await sim.stop();
    }
  });

  it('speaks API-SSL over TLS', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'routeros-wasm-tls-'));
    try {
      const { cert, key } = selfSignedCert(dir);
      let sim;
      try {
        sim = await startSim(['--tls-cert', cert, '--tls-key', key]);
      } catch (error) {
        return t.skip(`this simulator build does not serve TLS: ${error.message.split('\n')[0]}`);
      }
      try {
        const ca = readFileSync(cert);
        const ros = await within(10_000, connect({ host: 'localhost', port: sim.port, tls: { ca }, timeoutMs: 5000 }));
        assert.equal((await ros.command(['/interface/print', '?name=ether1']))[0].name, 'ether1');
        await ros.close();
        // An unknown certificate is refused before any password is sent.
        const refused = await within(10_000, rejection(connect({ host: 'localhost', port: sim.port, tls: true, timeoutMs: 5000 })));
        assertError(refused, 'connect_failed');
      } finally {
        await sim.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
