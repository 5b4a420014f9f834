// Test fixtures: the project's RouterOS simulator, websockify in front of it, free ports.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

export const wasmDir = dirname(dirname(fileURLToPath(import.meta.url)));
export const repoDir = dirname(wasmDir);
export const simBin = process.env.ROUTEROS_SIM ?? join(repoDir, 'target', 'release', 'routeros-sim');
export const websockifyBin = process.env.WEBSOCKIFY ?? join(wasmDir, '.venv', 'bin', 'websockify');
/** The built package to test: wasm/pkg, or ROUTEROS_WASM_PKG (e.g. an older build, to see a test fail). */
export const pkgDir = process.env.ROUTEROS_WASM_PKG ?? join(wasmDir, 'pkg');
/** The package's Node entry point, for `await import(pkgNode)`. */
export const pkgNode = pathToFileURL(join(pkgDir, 'node.js')).href;

for (const [what, path, hint] of [
  ['simulator', simBin, 'cargo build --release -p routeros-sim (at the repository root)'],
  ['websockify', websockifyBin, 'python3 -m venv wasm/.venv && wasm/.venv/bin/pip install websockify'],
  ['package', join(process.env.ROUTEROS_WASM_PKG ?? join(wasmDir, 'pkg'), 'node.js'), 'wasm/build.sh'],
]) {
  if (!existsSync(path)) throw new Error(`${what} not found at ${path}: run ${hint}`);
}

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function stopper(child) {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
}

/** Starts `routeros-sim --listen 127.0.0.1:0 ...args`; resolves once it printed its address. */
export function startSim(args = []) {
  const child = spawn(simBin, ['--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`simulator printed no address within 10 s: ${stderr}`));
    }, 10_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`simulator exited with ${code}: ${stderr}`));
    });
    child.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.stdout.removeAllListeners('data');
      child.stdout.resume();
      const addr = out.slice(0, nl).trim();
      const i = addr.lastIndexOf(':');
      resolve({ host: addr.slice(0, i), port: Number(addr.slice(i + 1)), addr, child, stop: stopper(child), stderr: () => stderr });
    });
  });
}

function waitForPort(port, ms) {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > end) reject(new Error(`nothing listens on ${port} after ${ms} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** Starts websockify on a free port, relaying to `target` (host:port). */
export async function startBridge(target) {
  const port = await freePort();
  const child = spawn(websockifyBin, [`127.0.0.1:${port}`, target], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  try {
    await waitForPort(port, 10_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`websockify did not start: ${error.message}\n${stderr}`);
  }
  return { url: `ws://127.0.0.1:${port}`, port, child, stop: stopper(child) };
}

/** A simulator with websockify in front of it. */
export async function startStack(simArgs = []) {
  const sim = await startSim(simArgs);
  let bridge;
  try {
    bridge = await startBridge(sim.addr);
  } catch (error) {
    await sim.stop();
    throw error;
  }
  return {
    sim,
    bridge,
    url: bridge.url,
    async stop() {
      await bridge.stop();
      await sim.stop();
    },
  };
}

/** Rejects if `promise` has not settled within `ms`: turns a hang into a test failure. */
export function within(ms, promise, what = 'operation') {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Resolves with the error `promise` rejects with; fails if it resolves. */
export async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/**
 * A TCP relay in front of `target` ({ host, port }) that counts the connections open through
 * it: lets a test see whether the package closed its socket.
 */
export async function countingRelay(target) {
  const open = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    open.add(client);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      open.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    host: '127.0.0.1',
    port: server.address().port,
    get open() {
      return open.size;
    },
    stop() {
      for (const c of open) c.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/** Polls `check()` every 50 ms until it is true; rejects after `ms`. */
export async function eventually(ms, check, what = 'condition') {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
