// The package in Node against the project's RouterOS simulator: through websockify with the
// `ws` WebSocket (Node 20 has no global one), and over direct TCP.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket as WS } from 'ws';
import { connect, RouterOsError } from '../pkg/node.js';
import { startSim, startStack, within, rejection } from './harness.mjs';

const transports = {
  'WebSocket (ws) through websockify': async (simArgs) => {
    const stack = await startStack(simArgs);
    return { sim: stack.sim, stop: stack.stop, options: { url: stack.url, WebSocket: WS } };
  },
  'direct TCP': async (simArgs) => {
    const sim = await startSim(simArgs);
    return { sim, stop: sim.stop, options: { host: sim.host, port: sim.port } };
  },
};

function assertError(error, type) {
  assert.ok(error instanceof RouterOsError, `expected a RouterOsError, got ${error?.stack ?? error}`);
  assert.ok(error instanceof Error);
  assert.equal(error.type, type, `expected ${type}, got ${error.type}: ${error.message}`);
}

for (const [name, start] of Object.entries(transports)) {
  describe(name, () => {
    let stack;
    const open = (extra = {}) => within(10_000, connect({ ...stack.options, timeoutMs: 5000, ...extra }), 'connect');

    /** Runs `fn(ros, own)` against a simulator of its own started with `simArgs`. */
    async function withOwn(simArgs, fn, extra = {}) {
      const own = await start(simArgs);
      try {
        const ros = await within(10_000, connect({ ...own.options, timeoutMs: 5000, ...extra }), 'connect');
        try {
          await fn(ros, own);
        } finally {
          await ros.close();
        }
      } finally {
        await own.stop();
      }
    }

    before(async () => {
      stack = await start([]);
    });
    after(() => stack.stop());

    it('logs in and prints with a query', async () => {
      const ros = await open();
      const rows = await ros.command(['/interface/print', '?type=ether']);
      assert.deepEqual(
        rows.map((r) => r.name),
        ['ether1', 'ether2', 'ether3', 'ether4', 'ether5'],
      );
      for (const row of rows) {
        assert.equal(Object.getPrototypeOf(row), Object.prototype);
        assert.equal(row.type, 'ether');
        assert.match(row['.id'], /^\*[0-9A-F]+$/);
      }
      assert.equal(rows.ret, undefined);
      const some = await ros.command(['/interface/print', '=.proplist=name,mtu', '?name=ether3']);
      assert.deepEqual([...some], [{ name: 'ether3', mtu: '1500' }]);
      await ros.close();
      assert.equal(await ros.closed, null);
      assert.equal(ros.isOpen, false);
      assertError(await rejection(ros.command(['/system/identity/print'])), 'closed');
    });

    it('surfaces =ret= and runs add, list and remove', async () => {
      const ros = await open();
      const added = await ros.command(['/ip/address/add', '=address=10.9.0.1/24', '=interface=ether2']);
      assert.equal(added.length, 0);
      assert.match(added.ret, /^\*[0-9A-F]+$/);
      const id = await ros.addIpAddress({ address: '10.9.1.1/24', interface: 'ether3', comment: 'from a test' });
      assert.match(id, /^\*[0-9A-F]+$/);
      let list = await ros.listIpAddresses();
      const mine = list.find((a) => a.id === id);
      assert.deepEqual(
        { address: mine.address, interface: mine.interface, comment: mine.comment, disabled: mine.disabled },
        { address: '10.9.1.1/24', interface: 'ether3', comment: 'from a test', disabled: false },
      );
      await ros.removeIpAddress(id);
      await ros.removeIpAddress(added.ret);
      list = await ros.listIpAddresses();
      assert.ok(!list.some((a) => a.id === id || a.id === added.ret));
      await ros.close();
    });

    it('gives traps their type and category and stays in step', async () => {
      const ros = await open();
      const bad = await rejection(ros.command(['/ip/address/add', '=address=nonsense', '=interface=ether1']));
      assertError(bad, 'trap');
      assert.equal(bad.category, 1);
      assert.match(bad.message, /invalid value/);
      const unknown = await rejection(ros.command(['/no/such/menu/print']));
      assertError(unknown, 'trap');
      assert.equal(unknown.category, 0);
      assert.equal(unknown.more, 1, 'the second trap of the same command is counted');
      const missing = await rejection(ros.command(['/ip/address/remove', '=.id=*FFFF']));
      assertError(missing, 'trap');
      assert.equal(missing.category, null);
      // The !done after each trap was read: the next reply belongs to the next command.
      assert.equal((await ros.command(['/system/identity/print']))[0].name, 'MikroTik');
      await ros.close();
    });

    it('answers an empty print with an empty array', async () => {
      const ros = await open();
      assert.deepEqual([...(await ros.command(['/interface/print', '?type=nothing']))], []);
      await ros.close();
      await withOwn(['--empty'], async (ros2) => {
        const rows = await ros2.command(['/interface/print', '?type=nothing']);
        assert.deepEqual([...rows], []);
        assert.equal((await ros2.command(['/interface/print', '?name=ether1']))[0].name, 'ether1');
      });
    });

    it('runs many concurrent commands on one connection, each with its own reply', async () => {
      const ros = await open();
      const order = [];
      const calls = [];
      for (let i = 0; i < 30; i++) {
        const which = i % 4;
        let p;
        if (which === 0) p = ros.command(['/interface/print', `?name=ether${(i % 5) + 1}`]).then((r) => r[0].name);
        else if (which === 1) p = ros.getIdentity();
        else if (which === 2) p = ros.command(['/ip/address/add', '=address=bad', '=interface=ether1']).catch((e) => `trap ${e.category}`);
        else p = ros.command(['/ip/firewall/address-list/print', '?list=blocklist-0', '=.proplist=list']).then((r) => r.length);
        calls.push(p.finally(() => order.push(i)));
      }
      const results = await within(20_000, Promise.all(calls), 'concurrent commands');
      for (let i = 0; i < 30; i++) {
        const which = i % 4;
        if (which === 0) assert.equal(results[i], `ether${(i % 5) + 1}`);
        else if (which === 1) assert.equal(results[i], 'MikroTik');
        else if (which === 2) assert.equal(results[i], 'trap 1');
        else assert.equal(typeof results[i], 'number');
      }
      assert.equal(order.length, 30);
      await ros.close();
    });

    it('runs commands while a stream runs, and cancels the stream on break', async () => {
      const ros = await open();
      const rows = [];
      let during;
      for await (const row of ros.stream(['/interface/monitor-traffic', '=interface=ether1', '=interval=0.05'])) {
        rows.push(row);
        if (rows.length === 1) during = ros.getIdentity();
        if (rows.length === 2) {
          // The command is answered while the stream is still running.
          assert.equal(await within(5000, during, 'command during a stream'), 'MikroTik');
          assert.equal((await ros.getInterface('ether2')).name, 'ether2');
        }
        if (rows.length === 4) break;
      }
      assert.equal(rows.length, 4);
      for (const row of rows) {
        assert.equal(row.name, 'ether1');
        assert.match(row['rx-bits-per-second'], /^\d+$/);
      }
      // Two streams at once, then cancel both: the connection stays in step.
      const a = ros.stream(['/interface/monitor-traffic', '=interface=ether2', '=interval=0.05']);
      const b = ros.stream(['/interface/monitor-traffic', '=interface=ether3', '=interval=0.05']);
      assert.equal((await a.next()).value.name, 'ether2');
      assert.equal((await b.next()).value.name, 'ether3');
      assert.equal((await a.next()).value.name, 'ether2');
      await a.cancel();
      assert.deepEqual(await a.next(), { done: true, value: undefined });
      assert.equal((await b.next()).value.name, 'ether3');
      await b.cancel();
      assert.equal((await ros.getInterface('ether4')).name, 'ether4');
      await ros.close();
    });

    it('keeps answering commands while a stream goes unread', async () => {
      const ros = await open();
      const stream = ros.stream(['/interface/monitor-traffic', '=interface=ether1', '=interval=0.01']);
      assert.equal((await stream.next()).value.name, 'ether1');
      // Rows pile up unread (the oldest are dropped beyond the slot's buffer)...
      // (About 600 bytes a row, 100 rows a second: the 64 KiB buffer overflows in ~1.1 s.)
      for (let i = 0; i < 40; i++) {
        assert.equal((await ros.command(['/ip/firewall/address-list/print'])).length, 16);
        await new Promise((r) => setTimeout(r, 50));
      }
      // ...and the stream still delivers (newer rows; older ones were dropped and counted)
      // and cancels cleanly.
      assert.equal(stream.dropped, 0);
      assert.equal((await stream.next()).value.name, 'ether1');
      assert.ok(stream.dropped > 0, `dropped ${stream.dropped}`);
      await stream.cancel();
      assert.equal(await ros.getIdentity(), 'MikroTik');
      await ros.close();
    });

    it('ends a stream that ends by itself', async () => {
      const ros = await open();
      const rows = [];
      for await (const row of ros.stream(['/interface/monitor-traffic', '=interface=ether1,ether2', '=once='])) {
        rows.push(row.name);
      }
      assert.deepEqual(rows.sort(), ['ether1', 'ether2']);
      const pings = [];
      for await (const row of ros.stream(['/ping', '=address=127.0.0.1', '=count=3', '=interval=0.05'])) {
        pings.push(row);
      }
      assert.equal(pings.length, 3);
      assert.equal(await ros.getIdentity(), 'MikroTik');
      await ros.close();
    });

    it('rejects a stream that traps', async () => {
      const ros = await open();
      const error = await rejection(
        (async () => {
          for await (const row of ros.stream(['/tool/torch', '=interface=nope'])) void row;
        })(),
      );
      assertError(error, 'trap');
      assert.equal(error.category, 1);
      assert.equal(await ros.getIdentity(), 'MikroTik');
      await ros.close();
    });

    it('bounds a command waiting for a free slot (slots_exhausted), and the connection survives', async () => {
      const ros = await open({ timeoutMs: 400, maxStreams: 8 });
      // Every slot taken by a stream (allowed with maxStreams: 8): the next command has to wait.
      const streams = [];
      for (let i = 0; i < 8; i++) {
        const s = ros.stream(['/interface/monitor-traffic', `=interface=ether${(i % 5) + 1}`, '=interval=0.05']);
        streams.push(s);
        await s.next();
      }
      const started = Date.now();
      const full = await rejection(ros.getIdentity());
      assertError(full, 'slots_exhausted');
      assert.match(full.message, /8 of 8 slots busy/);
      assert.ok(Date.now() - started >= 300);
      // A command made now waits until a stream gives its slot back.
      const waiting = ros.getIdentity();
      await streams[0].cancel();
      assert.equal(await waiting, 'MikroTik');
      for (const s of streams) await s.cancel();
      assert.equal(ros.isOpen, true);
      assert.equal(await ros.getIdentity(), 'MikroTik');
      await ros.close();
    });

    it('refuses a wrong password with auth_failed', async () => {
      assertError(await rejection(open({ password: 'wrong' })), 'auth_failed');
      assertError(await rejection(open({ username: 'nobody' })), 'auth_failed');
    });

    it('logs in with the pre-6.43 MD5 challenge', async () => {
      await withOwn(
        ['--legacy-login', '--password', 's3cret'],
        async (ros, own) => {
          assert.equal(await ros.getIdentity(), 'MikroTik');
          const wrong = await rejection(connect({ ...own.options, password: 'nope', timeoutMs: 5000 }));
          assertError(wrong, 'auth_failed');
        },
        { password: 's3cret' },
      );
    });

    it('gives closed, not a hang, when the connection drops mid-reply', async () => {
      await withOwn(['--rows', '1000', '--disconnect-after-rows', '5'], async (ros) => {
        const error = await within(5000, rejection(ros.command(['/ip/firewall/address-list/print'])), 'dropped print');
        assertError(error, 'closed');
        assertError(await within(5000, rejection(ros.getIdentity()), 'command after drop'), 'closed');
        const reason = await within(5000, ros.closed, 'closed promise');
        assertError(reason, 'closed');
        assert.equal(ros.isOpen, false);
      });
    });

    it('notices a simulator killed while idle', async () => {
      await withOwn([], async (ros, own) => {
        assert.equal(await ros.getIdentity(), 'MikroTik');
        await own.sim.stop();
        const reason = await within(5000, ros.closed, 'closed promise');
        assertError(reason, 'closed');
        assertError(await within(5000, rejection(ros.getIdentity()), 'command after kill'), 'closed');
      });
    });

    it('ends a stream with closed when the simulator dies', async () => {
      await withOwn([], async (ros, own) => {
        const stream = ros.stream(['/interface/monitor-traffic', '=interface=ether1', '=interval=0.05']);
        assert.equal((await stream.next()).value.name, 'ether1');
        await own.sim.stop();
        const error = await within(
          5000,
          rejection((async () => { for (;;) { const r = await stream.next(); if (r.done) return; } })()),
          'stream after kill',
        );
        assertError(error, 'closed');
      });
    });

    it('notices a simulator killed while a stream waits unread', async () => {
      await withOwn([], async (ros, own) => {
        const stream = ros.stream(['/interface/monitor-traffic', '=interface=ether1', '=interval=0.05']);
        assert.equal((await stream.next()).value.name, 'ether1');
        await own.sim.stop();
        // Nobody asks the stream for rows, yet the end is noticed.
        assertError(await within(5000, ros.closed, 'closed promise'), 'closed');
        assertError(await within(5000, rejection(stream.next()), 'stream after kill'), 'closed');
      });
    });

    it('times out a slow command and closes the connection', async () => {
      await withOwn(
        ['--delay-ms', '600'],
        async (ros) => {
          const error = await within(5000, rejection(ros.getIdentity()), 'slow command');
          assertError(error, 'timeout');
          assertError(await rejection(ros.getIdentity()), 'closed');
          // The connection ended because of the timeout, and says so.
          assertError(await within(5000, ros.closed, 'closed'), 'timeout');
        },
        { timeoutMs: 250 },
      );
    });

    it('reports !fatal', async () => {
      const ros = await open();
      const error = await rejection(ros.command(['/quit']));
      assertError(error, 'fatal');
      assert.match(error.message, /session terminated/);
      // Later calls get what ended the connection.
      assertError(await within(5000, rejection(ros.getIdentity())), 'fatal');
      assertError(await within(5000, ros.closed), 'fatal');
      // An unprompted !fatal after the second command (websockify may close before relaying it).
      await withOwn(['--fatal-after', '2'], async (ros2) => {
        let ok = 0;
        let failure;
        for (let i = 0; i < 4 && !failure; i++) {
          await within(5000, ros2.getIdentity(), 'identity').then(() => ok++, (e) => (failure = e));
        }
        assert.ok(ok >= 1 && ok <= 2, `${ok} commands succeeded`);
        assert.ok(failure instanceof RouterOsError && ['fatal', 'closed'].includes(failure.type), String(failure));
        const reason = await within(5000, ros2.closed);
        assert.ok(reason instanceof RouterOsError && ['fatal', 'closed'].includes(reason.type), String(reason));
      });
    });

    it('decodes non-UTF-8 values as Windows-1252 and sends raw bytes', async () => {
      await withOwn(['--non-utf8'], async (ros) => {
        assert.equal((await ros.getInterface('ether2')).comment, 'Café € réseau');
        // A word given as bytes goes out as it is: a Windows-1252 comment comes back decoded.
        const word = new Uint8Array([...new TextEncoder().encode('=comment=Caf'), 0xe9, 0x80]);
        await ros.command(['/interface/set', '=numbers=ether3', word]);
        assert.equal((await ros.getInterface('ether3')).comment, 'Café€');
        await ros.setIdentity('žluťoučký kůň');
        assert.equal(await ros.getIdentity(), 'žluťoučký kůň');
      });
    });

    it('skips a reply sentence larger than the receive buffer and stays usable', async () => {
      await withOwn(
        ['--oversize-word', '100000'],
        async (ros) => {
          const error = await rejection(ros.command(['/interface/print']));
          assertError(error, 'buffer_too_small');
          assert.equal(await ros.getIdentity(), 'MikroTik');
          assert.equal((await ros.getInterface('ether3')).name, 'ether3');
        },
        { receiveBufferBytes: 65536 },
      );
    });

    it('offers typed helpers', async () => {
      const ros = await open();
      const ifaces = await ros.listInterfaces();
      const e1 = ifaces.find((i) => i.name === 'ether1');
      assert.equal(e1.type, 'ether');
      assert.equal(e1.mtu, 1500);
      assert.equal(typeof e1.running, 'boolean');
      assert.equal(e1.disabled, false);
      assert.equal(e1.raw.name, 'ether1');
      assert.ok(ifaces.some((i) => i.type === 'bridge'));
      assertError(await rejection(ros.getInterface('ether99')), 'not_found');
      const res = await ros.getSystemResource();
      assert.equal(typeof res.uptime, 'string');
      assert.equal(res.totalMemory, 1073741824);
      assert.equal(res.boardName, 'RB4011iGS+');
      const before = await ros.getIdentity();
      await ros.setIdentity('edge-1');
      assert.equal(await ros.getIdentity(), 'edge-1');
      await ros.setIdentity(before);
      const rules = await ros.listFirewallRules();
      assert.ok(rules.length > 0);
      assert.equal(typeof rules[0].chain, 'string');
      assert.equal(typeof rules[0].bytes, 'number');
      const leases = await ros.listDhcpLeases();
      assert.ok(leases.length > 0);
      assert.match(leases[0].address, /^\d+\.\d+\.\d+\.\d+$/);
      assert.equal(typeof leases[0].dynamic, 'boolean');
      await ros.close();
    });

    it('reboots: the connection closes without a reply and that is success', async () => {
      await withOwn([], async (ros) => {
        await within(5000, ros.reboot(), 'reboot');
        assertError(await within(5000, ros.closed), 'closed');
      });
    });

    it('close() answers commands already made, cancels streams, then refuses new ones', async () => {
      await withOwn(['--delay-ms', '100'], async (ros) => {
        const stream = ros.stream(['/interface/monitor-traffic', '=interface=ether1', '=interval=0.05']);
        assert.equal((await stream.next()).value.name, 'ether1');
        const made = [ros.getIdentity(), ros.getIdentity(), ros.getInterface('ether2')];
        const closing = ros.close();
        assertError(await rejection(ros.getIdentity()), 'closed');
        assert.deepEqual(await Promise.all(made.slice(0, 2)), ['MikroTik', 'MikroTik']);
        assert.equal((await made[2]).name, 'ether2');
        await within(5000, closing, 'close');
        // The stream was cancelled: it ends (any rows it still had first).
        for (let r = await stream.next(); !r.done; r = await stream.next()) assert.equal(r.value.name, 'ether1');
        assert.equal(await ros.closed, null);
        assert.equal(ros.isOpen, false);
      });
    });

    it('rejects unusable arguments without touching the connection', async () => {
      const ros = await open();
      assertError(await rejection(ros.command('/interface/print')), 'invalid_argument');
      assertError(await rejection(ros.command([])), 'invalid_argument');
      assertError(await rejection(ros.command(['/interface/print', ''])), 'invalid_argument');
      assertError(await rejection(ros.command(['/interface/print', 42])), 'invalid_argument');
      assert.throws(() => ros.stream('x'), (e) => e instanceof RouterOsError && e.type === 'invalid_argument');
      assertError(await rejection(connect({ ...stack.options, timeoutMs: -1 })), 'invalid_argument');
      assert.equal(await ros.getIdentity(), 'MikroTik');
      await ros.close();
    });
  });
}
