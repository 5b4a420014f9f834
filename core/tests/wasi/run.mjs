// Runs one wasm32-wasip1 test binary under Node's WASI (a 32-bit target on any host):
//   node run.mjs path/to/test.wasm [libtest arguments...]
// Exits with the test binary's status.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import { argv, env, exit } from 'node:process';

const [file, ...args] = argv.slice(2);
const wasi = new WASI({ version: 'preview1', args: [file, ...args], env, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
exit(wasi.start(instance));
