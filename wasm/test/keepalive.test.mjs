// Keepalive: a router that stops answering (frozen with SIGSTOP: its socket stays open, as
// with a dead router behind a live network path or bridge) is noticed within a bounded time;
// pending commands and streams fail with `timeout`, and a stream never just ends.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket as WS } from 'ws';
import { pkgNode, rejection, startSim, startStack, within } from './harness.mjs';

const { connect, RouterOsError } = await import(pkgNode);

function assertError(error, type) {
  assert.ok(error instanceof RouterOsError, `expected a RouterOsError, got ${error?.stack ?? error}`);
  assert.equal(error.type, type, `expected ${type}, got ${error.type}: ${error.message}`);
}

const transports = {
  'direct TCP': async () => {
    const sim = await startSim([]);
    return { sim, stop: sim.stop, options: { host: sim.host, port: sim.port } };
  },
  'WebSocket (ws) through websockify': async () => {
    const stack = await startStack([]);
    return { sim: stack.sim, stop: stack.stop, options: { url: stack.url, WebSocket: WS } };
  },
};

for (const [name, start] of Object.entries(transports)) {
  describe(`keepalive, ${name}`, () => {
    it('notices a frozen router: streams and commands fail with timeout, not a normal end', async () => {
      const env = await start();
      try {
        // timeoutMs 0: only the keepalive can notice.
        const ros = await within(10_000, connect({ ...env.options, timeoutMs: 0, keepaliveMs: 300 }));
        const stream = ros.stream(['/interface/monitor-traffic', '=interface=ether1', '=interval=0.05']);
        assert.equal((await stream.next()).value.name, 'ether1');
        env.sim.child.kill('SIGSTOP');
        const started = Date.now();
        await new Promise((r) => setTimeout(r, 100)); // the signal is delivered asynchronously
        // Settled into values at once, so that neither counts as an unhandled rejection.
        const settle = (p) => p.then((v) => ({ resolved: v }), (e) => e);
        const pending = settle(ros.getIdentity());
        const streamEnd = settle(
          (async () => {
            for (;;) if ((await stream.next()).done) return 'ended normally';
          })(),
        );
        assertError(await within(5000, streamEnd, 'stream after freeze'), 'timeout');
        assertError(await within(5000, pending, 'command after freeze'), 'timeout');
        const reason = await within(5000, ros.closed);
        assertError(reason, 'timeout');
        assert.match(reason.message, /keepalive/);
        const took = Date.now() - started;
        assert.ok(took < 2000, `noticed after ${took} ms (keepaliveMs 300)`);
        assertError(await rejection(ros.getIdentity()), 'closed');
      } finally {
        env.sim.child.kill('SIGCONT');
        await env.stop();
      }
    });

    it('leaves a quiet but healthy connection alone', async () => {
      const env = await start();
      try {
        const ros = await within(10_000, connect({ ...env.options, timeoutMs: 5000, keepaliveMs: 100 }));
        await new Promise((r) => setTimeout(r, 800));
        assert.equal(ros.isOpen, true);
        assert.equal(await ros.getIdentity(), 'MikroTik');
        await ros.close();
        assert.equal(await ros.closed, null);
      } finally {
        await env.stop();
      }
    });
  });
}
