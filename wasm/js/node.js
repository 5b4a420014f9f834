// Node entry point: loads the WebAssembly module from disk at import, and connects either
// directly over TCP/TLS (`host`) or through a WebSocket bridge (`url`).
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { initSync, Connection, version } from './routeros_wasm.js';
import { RouterOs, RouterOsError, openWebSocket, openPipe } from './common.js';

export { RouterOs, RouterOsError, version };

initSync({ module: readFileSync(new URL('./routeros_wasm_bg.wasm', import.meta.url)) });

/** Present for symmetry with the browser entry point: the module is already loaded. */
export function initialize() {
  return Promise.resolve();
}

/**
 * Adapts a Node `net.Socket` or `tls.TLSSocket` to the BytePipe interface. `openEvent` is
 * the event that means "ready for bytes": `connect` for TCP, `secureConnect` for TLS.
 */
export function socketPipe(socket, openEvent = 'connect') {
  let reason;
  const pipe = {
    onOpen: null,
    onData: null,
    onClose: null,
    isOpen: socket.readyState === 'open' && !socket.connecting && !socket.pending,
    send(data) {
      socket.write(data);
    },
    close() {
      socket.destroy();
    },
  };
  socket.on(openEvent, () => pipe.onOpen?.());
  socket.on('data', (data) => pipe.onData?.(data));
  socket.on('error', (error) => {
    reason ??= error.message;
  });
  socket.on('close', () => pipe.onClose?.(reason ?? 'connection closed by the peer'));
  return pipe;
}

/**
 * Connects and logs in: `{ host, port, tls }` directly over TCP (port 8728) or TLS
 * (API-SSL, port 8729), or `{ url }` through a WebSocket bridge.
 */
export async function connect(options = {}) {
  if (typeof options.url === 'string') {
    return openWebSocket(Connection, options, options.WebSocket ?? globalThis.WebSocket);
  }
  if (typeof options.host !== 'string') {
    throw new RouterOsError('invalid_argument', 'connect() needs host (direct TCP/TLS) or url (WebSocket bridge)');
  }
  const useTls = Boolean(options.tls);
  const port = options.port ?? (useTls ? 8729 : 8728);
  let socket;
  try {
    if (useTls) {
      const extra = typeof options.tls === 'object' ? options.tls : {};
      socket = tls.connect({ host: options.host, port, servername: net.isIP(options.host) ? undefined : options.host, ...extra });
    } else {
      socket = net.connect({ host: options.host, port });
    }
  } catch (error) {
    throw new RouterOsError('connect_failed', `cannot connect to ${options.host}:${port}: ${error?.message ?? error}`);
  }
  socket.setNoDelay(true);
  return openPipe(Connection, socketPipe(socket, useTls ? 'secureConnect' : 'connect'), options);
}

/** Logs in over a BytePipe of your own (another transport). */
export async function connectPipe(pipe, options = {}) {
  return openPipe(Connection, pipe, options);
}
