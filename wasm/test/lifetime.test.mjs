// How long a connection lives: as long as anything refers to its work (a stream, a pending
// command), and not longer; an idle connection nobody closed does not keep Node running.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { WebSocket as WS } from 'ws';
import { countingRelay, eventually, pkgNode, startSim, startStack, wasmDir, within } from './harness.mjs';

const { connect } = await import(pkgNode);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

/** Collects garbage the way a busy program would: allocations, then a full collection. */
async function collect() {
  for (let i = 0; i < 3; i++) {
    const junk = [];
    for (let j = 0; j < 2000; j++) junk.push({ j, s: `row ${j}`.repeat(4) });
    gc();
    await new Promise((r) => setTimeout(r, 10)); // let finalizers run
  }
}

const transports = {
  'direct TCP': async () => {
    const sim = await startSim([]);
    return { sim, stop: sim.stop, options: (port = sim.port) => ({ host: sim.host, port }) };
  },
  'WebSocket (ws) through websockify': async () => {
    const stack = await startStack([]);
    return { sim: stack.sim, stop: stack.stop, options: () => ({ url: stack.url, WebSocket: WS }) };
  },
};

for (const [name, start] of Object.entries(transports)) {
  describe(`lifetime, ${name}`, () => {
    let env;
    before(async () => {
      env = await start();
    });
    after(() => env.stop());

    it('a stream keeps its connection alive when only the stream is kept', async () => {
      // Only the stream survives this function: the connection object becomes garbage.
      const open = async () =>
        (await connect({ ...env.options(), timeoutMs: 5000 })).stream(['/interface/monitor-traffic', '=interface=ether1', '=interval=0.02']);
      const stream = await open();
      let rows = 0;
      await within(
        15_000,
        (async () => {
          for await (const row of stream) {
            assert.equal(row.name, 'ether1');
            await collect();
            if (++rows === 15) break;
          }
        })(),
        'stream rows',
      );
      assert.equal(rows, 15, 'the stream ended early: its connection was collected');
    });

    it('a pending command keeps its connection alive when only the promise is kept', async () => {
      const run = async () => (await connect({ ...env.options(), timeoutMs: 5000 })).command(['/ip/firewall/address-list/print']);
      const pending = run();
      await collect();
      assert.equal((await within(10_000, pending, 'command')).length, 16);
    });
  });
}

describe('lifetime, closing what nobody refers to', () => {
  it('a connection whose stream and handle are both gone is closed', async () => {
    const sim = await startSim([]);
    const relay = await countingRelay({ host: sim.host, port: sim.port });
    try {
      await (async () => {
        const stream = (await connect({ host: relay.host, port: relay.port, timeoutMs: 5000 })).stream([
          '/interface/monitor-traffic',
          '=interface=ether1',
          '=interval=0.02',
        ]);
        await stream.next();
      })();
      assert.equal(relay.open, 1);
      await eventually(10_000, async () => {
        await collect();
        return relay.open === 0;
      }, 'the socket closed');
    } finally {
      await relay.stop();
      await sim.stop();
    }
  });
});

/** Runs `script` (an ES module) in a fresh Node; resolves with { code, ms, out, err }. */
function runNode(script, ms = 15_000) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: wasmDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, ms: Date.now() - started, out, err });
    });
  });
}

describe('a forgotten close() does not keep Node running', () => {
  let stack;
  before(async () => {
    stack = await startStack([]);
  });
  after(() => stack.stop());

  const forgetful = (connectArgs) => `
    import { connect } from ${JSON.stringify(pkgNode)};
    ${connectArgs.includes('WebSocket') ? "import { WebSocket } from 'ws';" : ''}
    const ros = await connect(${connectArgs});
    console.log(await ros.getIdentity());
    let n = 0;
    for await (const row of ros.stream(['/interface/monitor-traffic', '=interface=ether1', '=interval=0.02'])) if (++n === 3) break;
    console.log(n);
    globalThis.keep = ros; // still referenced, never closed
  `;

  it('direct TCP: the process exits as soon as its work is done', async () => {
    const run = await runNode(forgetful(`{ host: '127.0.0.1', port: ${stack.sim.port} }`));
    assert.equal(run.code, 0, run.err);
    assert.equal(run.out, 'MikroTik\n3\n');
    assert.ok(run.ms < 4000, `the process took ${run.ms} ms to exit`);
  });

  it('WebSocket (ws): the process exits as soon as its work is done', async () => {
    const run = await runNode(forgetful(`{ url: ${JSON.stringify(stack.url)}, WebSocket }`));
    assert.equal(run.code, 0, run.err);
    assert.equal(run.out, 'MikroTik\n3\n');
    assert.ok(run.ms < 4000, `the process took ${run.ms} ms to exit`);
  });

  it('a command not awaited still completes before the process exits', async () => {
    const sim = await startSim(['--delay-ms', '300']);
    try {
      const run = await runNode(`
        import { connect } from ${JSON.stringify(pkgNode)};
        const ros = await connect({ host: '127.0.0.1', port: ${sim.port} });
        ros.getIdentity().then((name) => console.log(name));
      `);
      assert.equal(run.code, 0, run.err);
      assert.equal(run.out, 'MikroTik\n');
    } finally {
      await sim.stop();
    }
  });
});
