// The JavaScript face of the package, shared by the browser and Node entry points: errors,
// the RouterOs class with its typed helpers, and the WebSocket opener. The protocol itself
// (words, login, replies, tags, cancel) runs in WebAssembly.

/** Every error the package throws or rejects with. `type` says what failed. */
export class RouterOsError extends Error {
  constructor(type, message, details = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = type === 'aborted' ? 'AbortError' : 'RouterOsError';
    this.type = type;
    if (type === 'trap') {
      this.category = details.category ?? null;
      this.more = details.more ?? 0;
    }
  }

  /** Turns an error from the WebAssembly side into a RouterOsError; others pass through. */
  static from(error) {
    if (error instanceof RouterOsError) return error;
    if (error && typeof error === 'object' && typeof error.type === 'string' && error.name === 'RouterOsError') {
      const cause = error.cause === undefined ? undefined : RouterOsError.from(error.cause);
      return new RouterOsError(error.type, error.message, { category: error.category, more: error.more, cause });
    }
    return error;
  }
}

const rethrow = (error) => {
  throw RouterOsError.from(error);
};

/** The error an aborted call rejects with: named `AbortError`, `type` `aborted`, `cause` the signal's reason. */
function abortError(signal, what) {
  return new RouterOsError('aborted', `${what} was aborted`, { cause: signal.reason });
}

/** Options every entry point's connect() takes; `extra` adds the entry point's own. */
const CONNECT_OPTIONS = [
  'url', 'WebSocket', 'protocols', 'username', 'user', 'password', 'timeoutMs', 'keepaliveMs',
  'slots', 'maxStreams', 'receiveBufferBytes', 'sendBufferBytes',
];

/**
 * Checks that `options` is an object with known keys only; returns it (or `{}`). A misspelt
 * option would otherwise be silently ignored (and e.g. log in as `admin`).
 */
export function checkOptions(options, extra = [], hints = {}) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object') throw new RouterOsError('invalid_argument', 'options must be an object');
  for (const key of Object.keys(options)) {
    if (CONNECT_OPTIONS.includes(key) || extra.includes(key)) continue;
    const known = [...CONNECT_OPTIONS, ...extra].join(', ');
    throw new RouterOsError('invalid_argument', hints[key] ?? `unknown option ${JSON.stringify(key)} (known: ${known})`);
  }
  return options;
}

/** Checks the options of one call: `{ signal, timeoutMs }`. */
function callOptions(options, what) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object') throw new RouterOsError('invalid_argument', `${what} options must be an object`);
  for (const key of Object.keys(options)) {
    if (key !== 'signal' && key !== 'timeoutMs') {
      throw new RouterOsError('invalid_argument', `unknown ${what} option ${JSON.stringify(key)} (known: signal, timeoutMs)`);
    }
  }
  const { signal } = options;
  if (signal !== undefined && !(signal && typeof signal.aborted === 'boolean' && typeof signal.addEventListener === 'function')) {
    throw new RouterOsError('invalid_argument', 'signal must be an AbortSignal');
  }
  return options;
}

const bool = (v) => v === 'true' || v === 'yes';
const num = (v) => {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
};
const opt = (v) => (v === undefined ? undefined : v);

function toInterface(row) {
  return {
    id: row['.id'],
    name: row.name,
    type: row.type,
    mtu: num(row.mtu),
    actualMtu: num(row['actual-mtu']),
    macAddress: opt(row['mac-address']),
    running: bool(row.running),
    disabled: bool(row.disabled),
    comment: opt(row.comment),
    raw: row,
  };
}

function toIpAddress(row) {
  return {
    id: row['.id'],
    address: row.address,
    network: opt(row.network),
    interface: row.interface,
    disabled: bool(row.disabled),
    dynamic: bool(row.dynamic),
    invalid: bool(row.invalid),
    comment: opt(row.comment),
    raw: row,
  };
}

function toSystemResource(row) {
  return {
    uptime: row.uptime,
    version: row.version,
    buildTime: opt(row['build-time']),
    freeMemory: num(row['free-memory']),
    totalMemory: num(row['total-memory']),
    cpu: opt(row.cpu),
    cpuCount: num(row['cpu-count']),
    cpuFrequency: num(row['cpu-frequency']),
    cpuLoad: num(row['cpu-load']),
    freeHddSpace: num(row['free-hdd-space']),
    totalHddSpace: num(row['total-hdd-space']),
    architectureName: opt(row['architecture-name']),
    boardName: opt(row['board-name']),
    platform: opt(row.platform),
    raw: row,
  };
}

function toFirewallRule(row) {
  return {
    id: row['.id'],
    chain: row.chain,
    action: row.action,
    protocol: opt(row.protocol),
    srcAddress: opt(row['src-address']),
    dstAddress: opt(row['dst-address']),
    dstPort: opt(row['dst-port']),
    disabled: bool(row.disabled),
    dynamic: bool(row.dynamic),
    invalid: bool(row.invalid),
    comment: opt(row.comment),
    bytes: num(row.bytes),
    packets: num(row.packets),
    raw: row,
  };
}

function toDhcpLease(row) {
  return {
    id: row['.id'],
    address: row.address,
    macAddress: opt(row['mac-address']),
    hostName: opt(row['host-name']),
    status: opt(row.status),
    server: opt(row.server),
    expiresAfter: opt(row['expires-after']),
    dynamic: bool(row.dynamic),
    disabled: bool(row.disabled),
    blocked: bool(row.blocked),
    comment: opt(row.comment),
    raw: row,
  };
}

/** Rows of a streaming command as an async iterator; `break` (or `cancel()`) sends /cancel. */
class RowStream {
  #handle;
  #done = false;
  #dropped = 0;
  #signal;
  #onAbort;
  #aborted;

  constructor(handle, signal) {
    this.#handle = handle;
    if (signal) {
      this.#signal = signal;
      this.#onAbort = () => {
        this.#aborted = abortError(signal, 'the stream');
        // Ends a pending next() (it then throws the abort) and sends /cancel.
        this.#handle?.cancel().catch(() => {});
      };
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  #end() {
    this.#done = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#signal = undefined;
    const handle = this.#handle;
    this.#handle = null;
    handle?.free();
  }

  async next() {
    if (this.#aborted) {
      const error = this.#aborted;
      this.#end();
      throw error;
    }
    if (this.#done || !this.#handle) return { done: true, value: undefined };
    let row;
    try {
      row = await this.#handle.next();
    } catch (error) {
      this.#end();
      throw this.#aborted ?? RouterOsError.from(error);
    }
    if (this.#aborted) {
      const error = this.#aborted;
      this.#end();
      throw error;
    }
    if (row === undefined) {
      this.#end();
      return { done: true, value: undefined };
    }
    this.#dropped = this.#handle?.dropped ?? this.#dropped;
    return { done: false, value: row };
  }

  /** Rows dropped unread so far (they wait in a 64 KiB buffer; beyond it the oldest go). */
  get dropped() {
    return this.#dropped;
  }

  async return(value) {
    if (!this.#done && this.#handle) {
      this.#done = true;
      try {
        await this.#handle.cancel();
      } finally {
        this.#end();
      }
    }
    return { done: true, value };
  }

  /** Cancels the stream; resolves once the router confirmed it. */
  async cancel() {
    await this.return(undefined);
  }
}

let nextCallId = 1;

/** A logged-in connection. Made by `connect()`. */
export class RouterOs {
  #conn;

  constructor(connection) {
    this.#conn = connection;
  }

  /**
   * Runs a command and resolves with its rows (plain objects). If the router's `!done`
   * carried `=ret=` (the id made by an `add`, ...), the array has it as `ret`.
   * `options.signal` (an AbortSignal) aborts it: it rejects with an `AbortError` and, if it
   * was on the wire, is cancelled there. `options.timeoutMs` overrides the connection's.
   */
  command(words, options) {
    let signal;
    let timeoutMs;
    try {
      ({ signal, timeoutMs } = callOptions(options, 'command'));
    } catch (error) {
      return Promise.reject(error);
    }
    if (!signal) return this.#conn.command(words, timeoutMs, undefined).catch(rethrow);
    if (signal.aborted) return Promise.reject(abortError(signal, 'the command'));
    const id = nextCallId;
    nextCallId = nextCallId >= 0x7fffffff ? 1 : nextCallId + 1;
    const conn = this.#conn;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        reject(abortError(signal, 'the command'));
        conn.abort(id);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      conn
        .command(words, timeoutMs, id)
        .then(resolve, (error) => reject(RouterOsError.from(error)))
        .finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /**
   * Runs a streaming command; iterate with `for await`, `break` cancels it.
   * `options.signal` aborts it (the iterator then throws an `AbortError`); `options.timeoutMs`
   * bounds its start.
   */
  stream(words, options) {
    try {
      const { signal, timeoutMs } = callOptions(options, 'stream');
      if (signal?.aborted) throw abortError(signal, 'the stream');
      return new RowStream(this.#conn.stream(words, timeoutMs), signal);
    } catch (error) {
      throw RouterOsError.from(error);
    }
  }

  /** Cancels streams, lets commands already made finish, sends /quit and closes. */
  close() {
    return this.#conn.close();
  }

  /**
   * Resolves when the connection ends: `null` after close(), else the RouterOsError that
   * ended it, with its own type (`closed`, `fatal`, `timeout`, `protocol`, ...).
   */
  get closed() {
    return this.#conn.closed().then((reason) => (reason ? RouterOsError.from(reason) : null));
  }

  /** Whether the connection still takes commands. */
  get isOpen() {
    return this.#conn.isOpen;
  }

  async listInterfaces() {
    return (await this.command(['/interface/print'])).map(toInterface);
  }

  async getInterface(name) {
    const rows = await this.command(['/interface/print', `?name=${name}`]);
    if (rows.length === 0) throw new RouterOsError('not_found', `no interface named ${name}`);
    return toInterface(rows[0]);
  }

  async listIpAddresses() {
    return (await this.command(['/ip/address/print'])).map(toIpAddress);
  }

  async addIpAddress({ address, interface: iface, comment, disabled } = {}) {
    if (!address || !iface) {
      throw new RouterOsError('invalid_argument', 'addIpAddress needs address and interface');
    }
    const words = ['/ip/address/add', `=address=${address}`, `=interface=${iface}`];
    if (comment !== undefined) words.push(`=comment=${comment}`);
    if (disabled !== undefined) words.push(`=disabled=${disabled ? 'yes' : 'no'}`);
    const rows = await this.command(words);
    if (typeof rows.ret !== 'string') {
      throw new RouterOsError('protocol', 'the router answered /ip/address/add without the new id (=ret=)');
    }
    return rows.ret;
  }

  async removeIpAddress(id) {
    await this.command(['/ip/address/remove', `=.id=${id}`]);
  }

  async getSystemResource() {
    const rows = await this.command(['/system/resource/print']);
    if (rows.length === 0) throw new RouterOsError('not_found', 'no system resource row');
    return toSystemResource(rows[0]);
  }

  async getIdentity() {
    const rows = await this.command(['/system/identity/print']);
    if (rows.length === 0) throw new RouterOsError('not_found', 'no identity row');
    return rows[0].name;
  }

  async setIdentity(name) {
    await this.command(['/system/identity/set', `=name=${name}`]);
  }

  async listFirewallRules() {
    return (await this.command(['/ip/firewall/filter/print'])).map(toFirewallRule);
  }

  async listDhcpLeases() {
    return (await this.command(['/ip/dhcp-server/lease/print'])).map(toDhcpLease);
  }

  /** Reboots the router. It closes the connection without a reply; that counts as success. */
  async reboot() {
    try {
      await this.command(['/system/reboot']);
    } catch (error) {
      if (error?.type === 'closed' || error?.type === 'fatal') return;
      throw error;
    }
  }
}

/** Makes the connection tell `setActive(true)` while it has work and `setActive(false)` when idle. */
function watchActivity(conn, setActive) {
  conn.setActivityListener((active) => {
    try {
      setActive(active);
    } catch {
      // a transport that cannot ref/unref: nothing to do
    }
  });
}

/**
 * Opens `options.url` with the WebSocket class `WS` and logs in. In Node, the socket under
 * the `ws` package's WebSocket is unref'd while the connection is idle, so a forgotten
 * connection does not keep the process running.
 */
export async function openWebSocket(Connection, options, WS) {
  if (typeof WS !== 'function') {
    throw new RouterOsError(
      'invalid_argument',
      'no WebSocket implementation: pass { WebSocket } (e.g. from the "ws" package on Node 20), ' +
        'set globalThis.WebSocket, or (Node) connect with { host, port } over TCP',
    );
  }
  let socket;
  try {
    socket = options.protocols === undefined ? new WS(options.url) : new WS(options.url, options.protocols);
  } catch (error) {
    throw new RouterOsError('connect_failed', `cannot open ${options.url}: ${error?.message ?? error}`, { cause: error });
  }
  let conn;
  try {
    conn = await Connection.openWebSocket(socket, options);
  } catch (error) {
    throw RouterOsError.from(error);
  }
  watchActivity(conn, (active) => {
    const raw = socket._socket; // the net.Socket under Node's `ws`; browsers have none
    if (raw && typeof raw.ref === 'function') {
      if (active) raw.ref();
      else raw.unref();
    }
  });
  return new RouterOs(conn);
}

/** Logs in over a BytePipe (see the type) that the caller made. */
export async function openPipe(Connection, pipe, options) {
  let conn;
  try {
    conn = await Connection.openPipe(pipe, options);
  } catch (error) {
    throw RouterOsError.from(error);
  }
  if (typeof pipe.setActive === 'function') watchActivity(conn, (active) => pipe.setActive(active));
  return new RouterOs(conn);
}
