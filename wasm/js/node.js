// Node entry point: loads the WebAssembly module from disk at import, and connects either
// directly over TCP/TLS (`host`) or through a WebSocket bridge (`url`).
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { initSync, Connection, version } from './routeros_wasm.js';
import { RouterOs, RouterOsError, checkOptions, openWebSocket, openPipe } from './common.js';

export { RouterOs, RouterOsError, version };

initSync({ module: readFileSync(new URL('./routeros_wasm_bg.wasm', import.meta.url)) });

/** Present for symmetry with the browser entry point: the module is already loaded. */
export function initialize() {
  return Promise.resolve();
}

/**
 * The cipher list for RouterOS API-SSL without a certificate: anonymous Diffie-Hellman,
 * which OpenSSL only allows at security level 0. Anonymous DH authenticates nobody.
 */
export const ANONYMOUS_DH_CIPHERS = 'ADH-AES256-GCM-SHA384:ADH-AES256-SHA:@SECLEVEL=0';

/** Our own keys of the `tls` option; the rest go to `tls.connect`. */
const TLS_OWN = ['fingerprint', 'anonymous'];

let warnedAnonymous = false;

/** `AB:CD:...` or `abcd...` (64 hex digits) → `AB:CD:...`, as Node's `fingerprint256`. */
function normalizeFingerprint(text) {
  const hex = typeof text === 'string' ? text.replace(/[:\s]/g, '').toUpperCase() : '';
  if (!/^[0-9A-F]{64}$/.test(hex)) {
    throw new RouterOsError('invalid_argument', 'tls.fingerprint must be a SHA-256 fingerprint: 64 hex digits, colons allowed');
  }
  return hex.match(/../g).join(':');
}

/** Turns the `tls` option into `tls.connect` options and our checks. */
function tlsSettings(option) {
  const given = typeof option === 'object' && option !== null ? option : {};
  const settings = {};
  for (const [key, value] of Object.entries(given)) if (!TLS_OWN.includes(key)) settings[key] = value;
  let fingerprint;
  if (given.fingerprint !== undefined) {
    if (given.anonymous) throw new RouterOsError('invalid_argument', 'tls.fingerprint and tls.anonymous exclude each other: anonymous DH has no certificate');
    fingerprint = normalizeFingerprint(given.fingerprint);
    // The chain is not checked (routers' certificates are self-signed): the pin is.
    settings.rejectUnauthorized = false;
  }
  if (given.anonymous) {
    if (given.anonymous !== true) throw new RouterOsError('invalid_argument', 'tls.anonymous must be true (or left out)');
    settings.ciphers = ANONYMOUS_DH_CIPHERS;
    settings.maxVersion = 'TLSv1.2';
    settings.rejectUnauthorized = false;
    if (!warnedAnonymous) {
      warnedAnonymous = true;
      process.emitWarning(
        'tls.anonymous: anonymous Diffie-Hellman encrypts but authenticates nobody; anyone on the path can pose as the router and read the password. Give the router a certificate and pin it with tls.fingerprint.',
        { type: 'RouterOsSecurityWarning', code: 'ROUTEROS_TLS_ANONYMOUS' },
      );
    }
  }
  return { settings, fingerprint };
}

/** Says what to do about a TLS handshake failure. */
function tlsHint(error) {
  const code = String(error?.code ?? '');
  const text = `${code} ${error?.message ?? ''}`;
  if (/PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|WRONG_VERSION/i.test(text)) {
    return 'the router and this client share no TLS version: RouterOS api-ssl speaks TLS 1.2 at most, so do not set minVersion TLSv1.3';
  }
  if (/SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|CERT_|ERR_TLS_CERT_ALTNAME/i.test(text)) {
    return 'the router\'s certificate is not trusted: pass its CA as tls.ca, or pin its SHA-256 fingerprint with tls.fingerprint';
  }
  if (/HANDSHAKE_FAILURE|NO_SHARED_CIPHER|NO_CIPHERS|SSLV3_ALERT/i.test(text)) {
    return 'no common cipher: an api-ssl service without a certificate only offers anonymous DH (tls: { anonymous: true })';
  }
  return undefined;
}

/**
 * Adapts a Node `net.Socket` or `tls.TLSSocket` to the BytePipe interface. `openEvent` is
 * the event that means "ready for bytes": `connect` for TCP, `secureConnect` for TLS.
 * `check` (optional) runs at that event and may return an error text to refuse the peer
 * before anything is sent. The socket is unref'd while the connection is idle, so that a
 * forgotten connection does not keep Node running.
 */
export function socketPipe(socket, openEvent = 'connect', check = undefined) {
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
    setActive(active) {
      if (active) socket.ref();
      else socket.unref();
    },
  };
  socket.on(openEvent, () => {
    const refused = check?.(socket);
    if (refused) {
      reason ??= refused;
      socket.destroy();
      return;
    }
    pipe.onOpen?.();
  });
  socket.on('data', (data) => pipe.onData?.(data));
  socket.on('error', (error) => {
    if (reason !== undefined) return;
    const hint = openEvent === 'secureConnect' ? tlsHint(error) : undefined;
    reason = hint ? `${error.message}: ${hint}` : error.message;
  });
  socket.on('close', () => pipe.onClose?.(reason ?? 'connection closed by the peer'));
  return pipe;
}

const NODE_OPTIONS = ['host', 'port', 'tls'];

/**
 * Connects and logs in: `{ host, port, tls }` directly over TCP (port 8728) or TLS
 * (API-SSL, port 8729), or `{ url }` through a WebSocket bridge.
 */
export async function connect(options = {}) {
  options = checkOptions(options, NODE_OPTIONS);
  if (typeof options.url === 'string') {
    if (options.host !== undefined) throw new RouterOsError('invalid_argument', 'give either url (a WebSocket bridge) or host (direct TCP/TLS), not both');
    return openWebSocket(Connection, options, options.WebSocket ?? globalThis.WebSocket);
  }
  if (typeof options.host !== 'string') {
    throw new RouterOsError('invalid_argument', 'connect() needs host (direct TCP/TLS) or url (WebSocket bridge)');
  }
  const useTls = Boolean(options.tls);
  const port = options.port ?? (useTls ? 8729 : 8728);
  let socket;
  let check;
  try {
    if (useTls) {
      const { settings, fingerprint } = tlsSettings(options.tls);
      if (fingerprint) {
        check = (s) => {
          const seen = s.getPeerCertificate()?.fingerprint256;
          return seen === fingerprint
            ? undefined
            : `the router's certificate does not match tls.fingerprint (it has SHA-256 ${seen ?? 'no certificate'}); nothing was sent`;
        };
      }
      socket = tls.connect({ host: options.host, port, servername: net.isIP(options.host) ? undefined : options.host, ...settings });
    } else {
      socket = net.connect({ host: options.host, port });
    }
  } catch (error) {
    if (error instanceof RouterOsError) throw error;
    throw new RouterOsError('connect_failed', `cannot connect to ${options.host}:${port}: ${error?.message ?? error}`, { cause: error });
  }
  socket.setNoDelay(true);
  return openPipe(Connection, socketPipe(socket, useTls ? 'secureConnect' : 'connect', check), options);
}

/** Logs in over a BytePipe of your own (another transport). */
export async function connectPipe(pipe, options = {}) {
  return openPipe(Connection, pipe, checkOptions(options));
}
