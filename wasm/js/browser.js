// Browser (and bundler) entry point: loads the WebAssembly module with fetch on first use and
// connects through a WebSocket-to-TCP bridge such as websockify.
import init, { Connection, version } from './routeros_wasm.js';
import { RouterOs, RouterOsError, checkOptions, openWebSocket, openPipe } from './common.js';

export { RouterOs, RouterOsError, version };

let ready;

/**
 * Loads the WebAssembly module. `connect()` calls it for you; call it yourself to load from
 * another place (a URL, a Response, bytes or a compiled WebAssembly.Module). Fails with a
 * RouterOsError of type `load_failed`.
 */
export function initialize(moduleOrPath) {
  ready ??= init(moduleOrPath === undefined ? undefined : { module_or_path: moduleOrPath }).catch((error) => {
    ready = undefined; // let a later call try again
    const inNode = typeof process === 'object' && typeof process.versions?.node === 'string';
    const hint = inNode
      ? ": this is the browser entry point; in Node import 'routeros-wasm' (the node entry point), or call initialize() with the .wasm bytes first"
      : ': serve routeros_wasm_bg.wasm next to browser.js (as application/wasm), or call initialize() with its URL';
    throw new RouterOsError('load_failed', `the WebAssembly module could not be loaded (${error?.message ?? error})${hint}`, { cause: error });
  });
  return ready;
}

const NODE_ONLY = 'host, port and tls are for Node (direct TCP/TLS); in a browser connect through a WebSocket bridge with url';
const HINTS = { host: NODE_ONLY, port: NODE_ONLY, tls: NODE_ONLY };

/** Connects over a WebSocket (`options.url`) and logs in. */
export async function connect(options = {}) {
  options = checkOptions(options, [], HINTS);
  await initialize();
  if (typeof options.url !== 'string') {
    throw new RouterOsError('invalid_argument', 'connect() in a browser needs url: the WebSocket bridge, e.g. wss://host/routeros');
  }
  return openWebSocket(Connection, options, options.WebSocket ?? globalThis.WebSocket);
}

/** Logs in over a BytePipe of your own (another transport). */
export async function connectPipe(pipe, options = {}) {
  options = checkOptions(options, [], HINTS);
  await initialize();
  return openPipe(Connection, pipe, options);
}

/** OpenSSL's cipher list for anonymous DH (Node's `tls: { anonymous: true }`); unused in browsers. */
export const ANONYMOUS_DH_CIPHERS = 'ADH-AES256-GCM-SHA384:ADH-AES256-SHA:@SECLEVEL=0';

/** Node only: there are no TCP sockets in a browser. */
export function socketPipe() {
  throw new RouterOsError('invalid_argument', 'socketPipe() needs Node (net.Socket); in a browser connect through a WebSocket bridge');
}
