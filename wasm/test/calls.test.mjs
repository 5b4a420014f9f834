// Options and calls as a Node user meets them: unknown options refused, slots and streams,
// AbortSignal and per-call time limits, and errors whose type says what happened.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { WebSocket as WS } from 'ws';
import { freePort, pkgDir, pkgNode, rejection, startBridge, startSim, startStack, within } from './harness.mjs';

const { connect, RouterOsError } = await import(pkgNode);

function assertError(error, type) {
  assert.ok(error instanceof RouterOsError, `expected a RouterOsError, got ${error?.stack ?? error}`);
  assert.equal(error.type, type, `expected ${type}, got ${error.type}: ${error.message}`);
}

const monitor = (i) => ['/interface/monitor-traffic', `=interface=ether${(i % 5) + 1}`, '=interval=0.05'];

describe('options', () => {
  let sim;
  before(async () => {
    sim = await startSim(['--user', 'bob', '--password', 'pw']);
  });
  after(() => sim.stop());

  it('takes user as another name for username', async () => {
    const ros = await within(10_000, connect({ host: sim.host, port: sim.port, user: 'bob', password: 'pw', timeoutMs: 5000 }));
    assert.equal(await ros.getIdentity(), 'MikroTik');
    await ros.close();
  });

  it('refuses an unknown option, naming it', async () => {
    const error = await rejection(connect({ host: sim.host, port: sim.port, usr: 'bob', password: 'pw' }));
    assertError(error, 'invalid_argument');
    assert.match(error.message, /"usr"/);
    assertError(await rejection(connect({ host: sim.host, port: sim.port, username: 'bob', user: 'alice' })), 'invalid_argument');
    assertError(await rejection(connect({ host: sim.host, port: sim.port, slots: 9 })), 'invalid_argument');
    assertError(await rejection(connect({ host: sim.host, port: sim.port, slots: 2, maxStreams: 3 })), 'invalid_argument');
    assertError(await rejection(connect({ host: sim.host, port: sim.port, keepaliveMs: -1 })), 'invalid_argument');
  });

  it('refuses unknown call options and bad per-call limits', async () => {
    const ros = await within(10_000, connect({ host: sim.host, port: sim.port, user: 'bob', password: 'pw', timeoutMs: 5000 }));
    assertError(await rejection(ros.command(['/system/identity/print'], { timeout: 5 })), 'invalid_argument');
    assertError(await rejection(ros.command(['/system/identity/print'], { timeoutMs: -5 })), 'invalid_argument');
    assertError(await rejection(ros.command(['/system/identity/print'], { signal: {} })), 'invalid_argument');
    assert.throws(() => ros.stream(monitor(0), { sginal: 1 }), (e) => e.type === 'invalid_argument');
    assert.equal(await ros.getIdentity(), 'MikroTik');
    await ros.close();
  });
});

describe('activity (what lets Node exit)', () => {
  it('tells a BytePipe when it is busy, and survives a listener that calls back in', async () => {
    const { connectPipe, socketPipe } = await import(pkgNode);
    const sim = await startSim([]);
    try {
      const seen = [];
      let ros;
      let calledBack;
      const pipe = socketPipe(net.connect({ host: sim.host, port: sim.port }));
      const setActive = pipe.setActive;
      pipe.setActive = (active) => {
        seen.push(active);
        setActive(active);
        // A listener that calls into the connection while it is being told.
        if (!active && ros && !calledBack) calledBack = ros.command(['/system/identity/print']);
      };
      ros = await within(10_000, connectPipe(pipe, { timeoutMs: 5000 }));
      assert.equal(await ros.getIdentity(), 'MikroTik');
      assert.equal((await within(5000, calledBack))[0].name, 'MikroTik');
      assert.deepEqual(seen.slice(0, 3), [false, true, false]);
      await ros.close();
      assert.equal(seen.at(-1), false);
    } finally {
      await sim.stop();
    }
  });
});

describe('slots', () => {
  let stack;
  before(async () => {
    stack = await startStack([]);
  });
  after(() => stack.stop());

  for (const [name, options] of [
    ['direct TCP', () => ({ host: stack.sim.host, port: stack.sim.port })],
    ['WebSocket (ws)', () => ({ url: stack.url, WebSocket: WS })],
  ]) {
    it(`${name}: streams leave a slot for commands, and one too many is slots_exhausted`, async () => {
      const ros = await within(10_000, connect({ ...options(), timeoutMs: 2000 }));
      const streams = [];
      for (let i = 0; i < 7; i++) {
        const s = ros.stream(monitor(i));
        streams.push(s);
        await s.next();
      }
      const eighth = (() => {
        try {
          ros.stream(monitor(7));
        } catch (error) {
          return error;
        }
      })();
      assertError(eighth, 'slots_exhausted');
      assert.match(eighth.message, /maxStreams/);
      // Commands still run, several at once, through the slot kept for them.
      const started = Date.now();
      const names = await within(5000, Promise.all([ros.getIdentity(), ros.getIdentity(), ros.getInterface('ether2')]));
      assert.deepEqual(names.slice(0, 2), ['MikroTik', 'MikroTik']);
      assert.ok(Date.now() - started < 1500, `commands took ${Date.now() - started} ms`);
      await streams[0].cancel();
      const again = ros.stream(monitor(0));
      assert.equal((await again.next()).value.name, 'ether1');
      for (const s of [again, ...streams]) await s.cancel();
      await ros.close();
    });
  }

  it('all slots to streams when asked; a command then waits, bounded, with slots_exhausted', async () => {
    const ros = await within(10_000, connect({ host: stack.sim.host, port: stack.sim.port, slots: 2, maxStreams: 2, timeoutMs: 400 }));
    const a = ros.stream(monitor(0));
    const b = ros.stream(monitor(1));
    await a.next();
    await b.next();
    const error = await within(5000, rejection(ros.getIdentity()));
    assertError(error, 'slots_exhausted');
    assert.match(error.message, /2 of 2 slots busy \(2 streams, 0 commands\)/);
    // A command made now gets the slot a cancelled stream gives back.
    const waiting = ros.getIdentity();
    await a.cancel();
    assert.equal(await within(5000, waiting), 'MikroTik');
    await b.cancel();
    assert.equal(ros.isOpen, true);
    await ros.close();
  });

  it('slots: 1 runs commands one at a time, in call order', async () => {
    const ros = await within(10_000, connect({ host: stack.sim.host, port: stack.sim.port, slots: 1, timeoutMs: 5000 }));
    const order = [];
    await Promise.all([1, 2, 3, 4, 5].map((i) => ros.getInterface(`ether${i}`).then((x) => order.push(x.name))));
    assert.deepEqual(order, ['ether1', 'ether2', 'ether3', 'ether4', 'ether5']);
    assert.throws(() => ros.stream(monitor(0)), (e) => e.type === 'slots_exhausted');
    await ros.close();
  });
});

describe('AbortSignal and per-call timeoutMs', () => {
  let sim;
  before(async () => {
    sim = await startSim(['--delay-ms', '150']);
  });
  after(() => sim.stop());

  const open = (extra = {}) => within(10_000, connect({ host: sim.host, port: sim.port, timeoutMs: 5000, ...extra }));

  it('an aborted signal rejects at once with an AbortError', async () => {
    const ros = await open();
    const controller = new AbortController();
    controller.abort(new Error('no longer needed'));
    const error = await rejection(ros.command(['/interface/print'], { signal: controller.signal }));
    assert.equal(error.name, 'AbortError');
    assertError(error, 'aborted');
    assert.equal(error.cause.message, 'no longer needed');
    await ros.close();
  });

  it('aborting a command on the wire cancels it and frees its slot', async () => {
    const ros = await open({ slots: 1 });
    const controller = new AbortController();
    const started = Date.now();
    const pending = ros.command(['/ip/firewall/address-list/print'], { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const error = await within(5000, rejection(pending));
    assert.equal(error.name, 'AbortError');
    assert.ok(Date.now() - started < 1000, `abort took ${Date.now() - started} ms`);
    // The one slot is free again and the connection is in step.
    assert.equal(await within(5000, ros.getIdentity()), 'MikroTik');
    assert.equal((await ros.command(['/interface/print', '?name=ether3']))[0].name, 'ether3');
    await ros.close();
  });

  it('AbortSignal.timeout() works, and a signal that never fires is harmless', async () => {
    const ros = await open();
    const error = await within(5000, rejection(ros.command(['/ip/firewall/address-list/print'], { signal: AbortSignal.timeout(50) })));
    assert.equal(error.name, 'AbortError');
    const controller = new AbortController();
    assert.equal((await ros.command(['/system/identity/print'], { signal: controller.signal }))[0].name, 'MikroTik');
    controller.abort(); // after the command settled: nothing happens
    assert.equal(await ros.getIdentity(), 'MikroTik');
    await ros.close();
  });

  it('aborting a stream sends /cancel and ends the loop with an AbortError', async () => {
    const ros = await open();
    const controller = new AbortController();
    let rows = 0;
    const error = await within(
      5000,
      rejection(
        (async () => {
          for await (const row of ros.stream(['/interface/monitor-traffic', '=interface=ether1', '=interval=0.05'], { signal: controller.signal })) {
            assert.equal(row.name, 'ether1');
            if (++rows === 2) controller.abort();
          }
        })(),
      ),
    );
    assert.equal(error.name, 'AbortError');
    assert.equal(rows, 2);
    assert.equal(await ros.getIdentity(), 'MikroTik');
    await ros.close();
  });

  it('timeoutMs per call overrides the connection', async () => {
    const ros = await open({ timeoutMs: 0 });
    assertError(await within(5000, rejection(ros.command(['/interface/print'], { timeoutMs: 100 }))), 'timeout');
    // That command had gone out, so the connection closed; closed says why.
    const reason = await within(5000, ros.closed);
    assertError(reason, 'timeout');
    const later = await rejection(ros.getIdentity());
    assertError(later, 'closed');
    assertError(later.cause, 'timeout');
    const ros2 = await open({ timeoutMs: 5000 });
    assert.equal((await ros2.command(['/system/identity/print'], { timeoutMs: 0 }))[0].name, 'MikroTik');
    await ros2.close();
  });
});

describe('error types say what happened', () => {
  it('an unprompted !fatal reaches closed and the next command as fatal', async () => {
    const sim = await startSim(['--fatal-after', '1']);
    try {
      const ros = await within(10_000, connect({ host: sim.host, port: sim.port, timeoutMs: 5000, keepaliveMs: 0 }));
      assert.equal(await ros.getIdentity(), 'MikroTik');
      const reason = await within(5000, ros.closed);
      assertError(reason, 'fatal');
      const next = await rejection(ros.getIdentity());
      assertError(next, 'fatal');
      assert.equal(ros.isOpen, false);
    } finally {
      await sim.stop();
    }
  });

  it('the peer going away is closed in ros.closed', async () => {
    const sim = await startSim([]);
    const ros = await within(10_000, connect({ host: sim.host, port: sim.port, timeoutMs: 5000 }));
    await sim.stop();
    assertError(await within(5000, ros.closed), 'closed');
  });

  /** A server that answers anything with an HTTP error and closes, as a web server on the API port would. */
  async function httpServer() {
    const server = net.createServer((s) => {
      s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n'));
      s.on('error', () => {});
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    return server;
  }

  it('a server that does not speak the API is protocol, directly and through a bridge', async () => {
    const server = await httpServer();
    const bridge = await startBridge(`127.0.0.1:${server.address().port}`);
    try {
      const direct = await within(10_000, rejection(connect({ host: '127.0.0.1', port: server.address().port, timeoutMs: 5000 })));
      assertError(direct, 'protocol');
      assert.match(direct.message, /does not speak the RouterOS API.*HTTP\/1\.1 400 Bad Request\\r\\n/);
      const bridged = await within(10_000, rejection(connect({ url: bridge.url, WebSocket: WS, timeoutMs: 5000 })));
      assertError(bridged, 'protocol');
    } finally {
      await bridge.stop();
      server.close();
    }
  });

  it('a bridge whose router is down is connect_failed', async () => {
    const bridge = await startBridge(`127.0.0.1:${await freePort()}`);
    try {
      const error = await within(10_000, rejection(connect({ url: bridge.url, WebSocket: WS, timeoutMs: 5000 })));
      assertError(error, 'connect_failed');
      assert.match(error.message, /before the router answered/);
    } finally {
      await bridge.stop();
    }
  });

  it('the browser entry point imported in Node fails with a RouterOsError', () => {
    // In a fresh process: here the Node entry point has already loaded the module.
    const script = `
      import * as browser from ${JSON.stringify(pathToFileURL(join(pkgDir, 'browser.js')).href)};
      try {
        await browser.connect({ url: 'ws://127.0.0.1:9' });
      } catch (e) {
        console.log(JSON.stringify({ ours: e instanceof browser.RouterOsError, type: e.type, message: e.message }));
      }`;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 }));
    assert.equal(out.ours, true, JSON.stringify(out));
    assert.equal(out.type, 'load_failed');
    assert.match(out.message, /node entry point/);
  });

  it('a browser connect() with Node-only options says so', async () => {
    const browser = await import(pathToFileURL(join(pkgDir, 'browser.js')).href);
    const error = await rejection(browser.connect({ host: '127.0.0.1' }));
    assert.equal(error.type, 'invalid_argument');
    assert.match(error.message, /for Node/);
  });
});
