// Browser (and bundler) entry point: loads the WebAssembly module with fetch on first use and
// connects through a WebSocket-to-TCP bridge such as websockify.
import init, { Connection, version } from './routeros_wasm.js';
import { RouterOs, RouterOsError, openWebSocket, openPipe } from './common.js';

export { RouterOs, RouterOsError, version };

let ready;

/**
 * Loads the WebAssembly module. `connect()` calls it for you; call it yourself to load from
 * another place (a URL, a Response, bytes or a compiled WebAssembly.Module).
 */
export function initialize(moduleOrPath) {
  ready ??= init(moduleOrPath === undefined ? undefined : { module_or_path: moduleOrPath }).catch((error) => {
    ready = undefined; // let a later call try again
    throw error;
  });
  return ready;
}

/** Connects over a WebSocket (`options.url`) and logs in. */
export async function connect(options = {}) {
  await initialize();
  if (typeof options.url !== 'string') {
    throw new RouterOsError('invalid_argument', 'connect() in a browser needs url: the WebSocket bridge, e.g. wss://host/routeros');
  }
  return openWebSocket(Connection, options, options.WebSocket ?? globalThis.WebSocket);
}

/** Logs in over a BytePipe of your own (another transport). */
export async function connectPipe(pipe, options = {}) {
  await initialize();
  return openPipe(Connection, pipe, options);
}

/** Node only: there are no TCP sockets in a browser. */
export function socketPipe() {
  throw new RouterOsError('invalid_argument', 'socketPipe() needs Node (net.Socket); in a browser connect through a WebSocket bridge');
}
