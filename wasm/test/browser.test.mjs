// The package in headless Chromium (Debian's, driven by playwright-core; no browser is
// downloaded): a page served from localhost imports pkg/browser.js and talks to the project's
// simulator through websockify, like a dashboard would.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { chromium } from 'playwright-core';
import { freePort, pkgDir, startBridge, startStack, wasmDir, within } from './harness.mjs';

const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--js-flags=--expose-gc',
];
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.ts': 'text/plain' };

/** Serves the package at /pkg/ (wasm/pkg, or ROUTEROS_WASM_PKG) and the page in test/browser/ on 127.0.0.1. */
function serveWasmDir() {
  const server = createServer((req, res) => {
    const url = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const path = url.startsWith('/pkg/') ? normalize(join(pkgDir, url.slice(5))) : normalize(join(wasmDir, url));
    const allowed = [pkgDir + sep, join(wasmDir, 'test', 'browser') + sep];
    if (!allowed.some((dir) => path.startsWith(dir)) || !existsSync(path)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
    res.end(readFileSync(path));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('headless Chromium', { skip: !existsSync(chromiumPath) && `no Chromium at ${chromiumPath}` }, () => {
  let http;
  let browser;
  let page;
  let stack;
  const pageErrors = [];

  before(async () => {
    http = await serveWasmDir();
    stack = await startStack([]);
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: FLAGS });
    page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(e));
    await page.goto(`http://127.0.0.1:${http.address().port}/test/browser/index.html`);
    await page.waitForFunction(() => window.routerosReady === true, null, { timeout: 15_000 });
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
    http?.close();
    assert.deepEqual(pageErrors.map(String), []);
  });

  /** Runs `fn(routeros, arg)` in the page. */
  const inPage = (fn, arg) =>
    within(30_000, page.evaluate(`(${fn})(window.routeros, ${JSON.stringify(arg)})`), 'page.evaluate');

  it('loads the module and logs in through websockify', async () => {
    const out = await inPage(async (routeros, url) => {
      const ros = await routeros.connect({ url, timeoutMs: 5000 });
      const rows = await ros.command(['/interface/print', '?type=ether']);
      const identity = await ros.getIdentity();
      await ros.close();
      return { names: rows.map((r) => r.name), identity, closed: await ros.closed, version: routeros.version() };
    }, stack.url);
    assert.deepEqual(out.names, ['ether1', 'ether2', 'ether3', 'ether4', 'ether5']);
    assert.equal(out.identity, 'MikroTik');
    assert.equal(out.closed, null);
    assert.match(out.version, /^\d+\.\d+\.\d+/);
  });

  it('returns ret, traps with category, and runs concurrent commands', async () => {
    const out = await inPage(async (routeros, url) => {
      const ros = await routeros.connect({ url, timeoutMs: 5000 });
      const added = await ros.command(['/ip/address/add', '=address=10.8.0.1/24', '=interface=ether1']);
      let trap;
      try {
        await ros.command(['/ip/address/add', '=address=nope', '=interface=ether1']);
      } catch (e) {
        trap = { type: e.type, category: e.category, isError: e instanceof Error, isRouterOs: e instanceof routeros.RouterOsError };
      }
      const names = await Promise.all(
        [1, 2, 3, 4, 5, 1, 2, 3].map((n) => ros.command(['/interface/print', `?name=ether${n}`]).then((r) => r[0].name)),
      );
      await ros.removeIpAddress(added.ret);
      await ros.close();
      return { ret: added.ret, trap, names };
    }, stack.url);
    assert.match(out.ret, /^\*[0-9A-F]+$/);
    assert.deepEqual(out.trap, { type: 'trap', category: 1, isError: true, isRouterOs: true });
    assert.deepEqual(out.names, ['ether1', 'ether2', 'ether3', 'ether4', 'ether5', 'ether1', 'ether2', 'ether3']);
  });

  it('cancels a stream on break', async () => {
    const out = await inPage(async (routeros, url) => {
      const ros = await routeros.connect({ url, timeoutMs: 5000 });
      const rows = [];
      for await (const row of ros.stream(['/interface/monitor-traffic', '=interface=ether1', '=interval=0.05'])) {
        rows.push(row.name);
        if (rows.length === 3) break;
      }
      const after = await ros.getIdentity();
      await ros.close();
      return { rows, after };
    }, stack.url);
    assert.deepEqual(out, { rows: ['ether1', 'ether1', 'ether1'], after: 'MikroTik' });
  });

  it('refuses a wrong password with auth_failed', async () => {
    const type = await inPage(async (routeros, url) => {
      try {
        await routeros.connect({ url, password: 'wrong', timeoutMs: 5000 });
        return 'connected';
      } catch (e) {
        return e.type;
      }
    }, stack.url);
    assert.equal(type, 'auth_failed');
  });

  it('handles !empty, the MD5 login and Windows-1252 values', async () => {
    const own = await startStack(['--empty', '--legacy-login', '--password', 'pw', '--non-utf8']);
    try {
      const out = await inPage(async (routeros, url) => {
        const ros = await routeros.connect({ url, password: 'pw', timeoutMs: 5000 });
        const none = await ros.command(['/interface/print', '?type=nothing']);
        const comment = (await ros.getInterface('ether2')).comment;
        await ros.close();
        return { none: none.length, comment };
      }, own.url);
      assert.deepEqual(out, { none: 0, comment: 'Café € réseau' });
    } finally {
      await own.stop();
    }
  });

  it('gives closed, not a hang, when the router goes away', async () => {
    const own = await startStack([]);
    try {
      await inPage(async (routeros, url) => {
        window.doomed = await routeros.connect({ url, timeoutMs: 5000 });
        await window.doomed.getIdentity();
      }, own.url);
      await own.sim.stop();
      const out = await inPage(async () => {
        const reason = await window.doomed.closed;
        let type;
        try {
          await window.doomed.getIdentity();
        } catch (e) {
          type = e.type;
        }
        return { reason: reason?.type, type, open: window.doomed.isOpen };
      });
      assert.deepEqual(out, { reason: 'closed', type: 'closed', open: false });
    } finally {
      await own.stop();
    }
  });

  it('fails with connect_failed when the bridge is not there', async () => {
    const url = `ws://127.0.0.1:${await freePort()}`;
    const type = await inPage(async (routeros, url) => {
      try {
        await routeros.connect({ url, timeoutMs: 5000 });
        return 'connected';
      } catch (e) {
        return e.type;
      }
    }, url);
    assert.equal(type, 'connect_failed');
  });

  it('keeps a stream running after its connection object is collected', async () => {
    const out = await inPage(async (routeros, url) => {
      // Only the stream is kept; the connection object becomes garbage.
      const stream = await (async () =>
        (await routeros.connect({ url, timeoutMs: 5000 })).stream(['/interface/monitor-traffic', '=interface=ether1', '=interval=0.02']))();
      let rows = 0;
      for await (const row of stream) {
        for (let i = 0; i < 3; i++) {
          const junk = [];
          for (let j = 0; j < 2000; j++) junk.push({ j, s: `row ${j}`.repeat(4) });
          window.gc();
          await new Promise((r) => setTimeout(r, 10));
        }
        if (row.name === 'ether1' && ++rows === 15) break;
      }
      return rows;
    }, stack.url);
    assert.equal(out, 15, 'the stream ended early: its connection was collected');
  });

  it('aborts a command and a stream with an AbortSignal', async () => {
    const own = await startStack(['--delay-ms', '150']);
    try {
      const out = await inPage(async (routeros, url) => {
        const ros = await routeros.connect({ url, timeoutMs: 5000 });
        const controller = new AbortController();
        const pending = ros.command(['/ip/firewall/address-list/print'], { signal: controller.signal });
        setTimeout(() => controller.abort(), 50);
        const command = await pending.then(() => 'resolved', (e) => `${e.name} ${e.type}`);
        const streamController = new AbortController();
        let rows = 0;
        let stream;
        try {
          for await (const row of ros.stream(['/interface/monitor-traffic', '=interface=ether1', '=interval=0.05'], { signal: streamController.signal })) {
            void row;
            if (++rows === 2) streamController.abort();
          }
          stream = 'ended';
        } catch (e) {
          stream = `${e.name} ${e.type}`;
        }
        const after = await ros.getIdentity();
        await ros.close();
        return { command, stream, rows, after };
      }, own.url);
      assert.deepEqual(out, { command: 'AbortError aborted', stream: 'AbortError aborted', rows: 2, after: 'MikroTik' });
    } finally {
      await own.stop();
    }
  });

  it('fails with connect_failed when the bridge cannot reach the router', async () => {
    const bridge = await startBridge(`127.0.0.1:${await freePort()}`);
    try {
      const type = await inPage(async (routeros, url) => {
        try {
          await routeros.connect({ url, timeoutMs: 5000 });
          return 'connected';
        } catch (e) {
          return e.type;
        }
      }, bridge.url);
      assert.equal(type, 'connect_failed');
    } finally {
      await bridge.stop();
    }
  });
});
