// The npm package as a user gets it: `npm pack` of wasm/pkg, installed into an empty project,
// imported by name (the "node" export condition), used against the simulator.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSim, wasmDir } from './harness.mjs';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

it('packs, installs and runs from the tarball', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'routeros-wasm-pack-'));
  const sim = await startSim([]);
  try {
    execFileSync(npm, ['pack', '--silent', '--pack-destination', dir, join(wasmDir, 'pkg')], { stdio: 'pipe' });
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    assert.ok(tarball, 'npm pack made a tarball');
    const listing = execFileSync('tar', ['-tzf', join(dir, tarball)], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const file of ['node.js', 'browser.js', 'common.js', 'index.d.ts', 'routeros_wasm.js', 'routeros_wasm_bg.wasm', 'README.md']) {
      assert.ok(listing.includes(`package/${file}`), `${file} is in the tarball`);
    }
    const app = join(dir, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    execFileSync(npm, ['install', '--silent', '--offline', '--no-audit', '--no-fund', join(dir, tarball)], { cwd: app, stdio: 'pipe' });
    writeFileSync(
      join(app, 'main.js'),
      `import { connect, version } from 'routeros-wasm';
       const ros = await connect({ host: '127.0.0.1', port: ${sim.port} });
       console.log(JSON.stringify({ version: version(), identity: await ros.getIdentity() }));
       await ros.close();`,
    );
    const out = JSON.parse(execFileSync(process.execPath, ['main.js'], { cwd: app, encoding: 'utf8', timeout: 20_000 }));
    assert.equal(out.identity, 'MikroTik');
    assert.match(out.version, /^\d+\.\d+\.\d+$/);
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
