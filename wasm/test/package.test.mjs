// The npm package as a user gets it: `npm pack` of the built package, installed into an empty
// project, used by name from ES modules and from CommonJS, its types resolved both ways, the
// README's first snippet run as written, and `npm publish --dry-run`.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pkgDir, startSim, wasmDir } from './harness.mjs';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = (file, cwd) => execFileSync(process.execPath, [file], { cwd, encoding: 'utf8', timeout: 20_000 });

describe('the packed package', () => {
  let dir;
  let app;
  let sim;
  let tarball;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'routeros-wasm-pack-'));
    sim = await startSim([]);
    execFileSync(npm, ['pack', '--silent', '--pack-destination', dir, pkgDir], { stdio: 'pipe' });
    tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
    execFileSync(npm, ['install', '--silent', '--offline', '--no-audit', '--no-fund', join(dir, tarball)], { cwd: app, stdio: 'pipe' });
  });
  after(async () => {
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds the files it needs', () => {
    const listing = execFileSync('tar', ['-tzf', join(dir, tarball)], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const file of ['node.js', 'node.cjs', 'browser.js', 'common.js', 'index.d.ts', 'index.d.cts', 'routeros_wasm.js', 'routeros_wasm_bg.wasm', 'README.md', 'package.json']) {
      assert.ok(listing.includes(`package/${file}`), `${file} is in the tarball`);
    }
    const manifest = JSON.parse(readFileSync(join(app, 'node_modules', 'routeros-wasm', 'package.json'), 'utf8'));
    for (const field of ['exports', 'engines', 'files', 'repository', 'license', 'keywords', 'types']) {
      assert.ok(manifest[field], `package.json has ${field}`);
    }
  });

  it('works from an ES module (import)', () => {
    writeFileSync(
      join(app, 'main.mjs'),
      `import { connect, version } from 'routeros-wasm';
       const ros = await connect({ host: '127.0.0.1', port: ${sim.port} });
       console.log(JSON.stringify({ version: version(), identity: await ros.getIdentity() }));
       await ros.close();`,
    );
    const out = JSON.parse(run('main.mjs', app));
    assert.equal(out.identity, 'MikroTik');
    assert.match(out.version, /^\d+\.\d+\.\d+$/);
  });

  it('works from CommonJS (require)', () => {
    writeFileSync(
      join(app, 'main.cjs'),
      `const { connect, RouterOsError } = require('routeros-wasm');
       (async () => {
         const ros = await connect({ host: '127.0.0.1', port: ${sim.port} });
         const rows = await ros.command(['/interface/print', '?name=ether2']);
         const bad = await ros.command(['/nope']).catch((e) => e);
         console.log(JSON.stringify({ name: rows[0].name, trap: bad instanceof RouterOsError && bad.type }));
         await ros.close();
       })();`,
    );
    assert.deepEqual(JSON.parse(run('main.cjs', app)), { name: 'ether2', trap: 'trap' });
  });

  it("runs the README's first snippet as written (Node 20, direct TCP)", () => {
    const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8');
    const snippet = /```js\n([\s\S]*?)```/.exec(readme)[1];
    assert.match(snippet, /port: 8728/);
    // As written, except for the simulator's port.
    writeFileSync(join(app, 'readme.mjs'), `${snippet.replace('port: 8728', `port: ${sim.port}`)}\nconsole.log('snippet ran');\n`);
    assert.match(run('readme.mjs', app), /snippet ran\n$/);
  });

  it('type-checks for both import and require (TypeScript, module node16)', () => {
    const tsc = join(wasmDir, 'node_modules', 'typescript', 'bin', 'tsc');
    writeFileSync(join(app, 'esm.mts'), "import { connect } from 'routeros-wasm';\nexport const p: Promise<string> = connect({ host: 'r' }).then((r) => r.addIpAddress({ address: '10.0.0.1/24', interface: 'ether1' }));\n");
    writeFileSync(join(app, 'cjs.cts'), "import { connect } from 'routeros-wasm';\nexport const p: Promise<string> = connect({ host: 'r' }).then((r) => r.getIdentity());\n");
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'node16', moduleResolution: 'node16', target: 'es2022', lib: ['es2022', 'dom'], types: [] }, files: ['esm.mts', 'cjs.cts'] }),
    );
    execFileSync(process.execPath, [tsc, '-p', app], { encoding: 'utf8' });
  });

  it('passes npm publish --dry-run', () => {
    const out = execFileSync(npm, ['publish', '--dry-run', '--ignore-scripts'], { cwd: pkgDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    void out;
  });
});
