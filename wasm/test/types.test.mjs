// The package's TypeScript declarations (hand-written index.d.ts and wasm-bindgen's
// routeros_wasm.d.ts) compile in strict mode against a usage example.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { wasmDir } from './harness.mjs';

const tsc = join(wasmDir, 'node_modules', 'typescript', 'bin', 'tsc');
const check = (config) => {
  const run = spawnSync(process.execPath, [tsc, '-p', join(wasmDir, 'test', 'types', config)], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stdout + run.stderr);
};

it('type-checks the package API (index.d.ts) with default libraries', () => check('tsconfig.json'));

// wasm-bindgen's declarations use Symbol.dispose: they need lib esnext.disposable.
it("type-checks wasm-bindgen's generated declarations", () => check('tsconfig.generated.json'));

// The `ws` path of the README type-checks once `@types/ws` is installed (as the README says).
it('type-checks connect({ url, WebSocket }) with ws and @types/ws', () => check('tsconfig.ws.json'));
