// The JavaScript face of the package, shared by the browser and Node entry points: errors,
// the RouterOs class with its typed helpers, and the WebSocket opener. The protocol itself
// (words, login, replies, tags, cancel) runs in WebAssembly.

/** Every error the package throws or rejects with. `type` says what failed. */
export class RouterOsError extends Error {
  constructor(type, message, details = {}) {
    super(message);
    this.name = 'RouterOsError';
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
      return new RouterOsError(error.type, error.message, error);
    }
    return error;
  }
}

const rethrow = (error) => {
  throw RouterOsError.from(error);
};

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

  constructor(handle) {
    this.#handle = handle;
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  #end() {
    if (!this.#done) {
      this.#done = true;
    }
    const handle = this.#handle;
    this.#handle = null;
    handle?.free();
  }

  async next() {
    if (this.#done || !this.#handle) return { done: true, value: undefined };
    let row;
    try {
      row = await this.#handle.next();
    } catch (error) {
      this.#end();
      throw RouterOsError.from(error);
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

/** A logged-in connection. Made by `connect()`. */
export class RouterOs {
  #conn;

  constructor(connection) {
    this.#conn = connection;
  }

  /**
   * Runs a command and resolves with its rows (plain objects). If the router's `!done`
   * carried `=ret=` (the id made by an `add`, ...), the array has it as `ret`.
   */
  command(words) {
    return this.#conn.command(words).catch(rethrow);
  }

  /** Runs a streaming command; iterate with `for await`, `break` cancels it. */
  stream(words) {
    try {
      return new RowStream(this.#conn.stream(words));
    } catch (error) {
      throw RouterOsError.from(error);
    }
  }

  /** Cancels streams, lets commands already made finish, sends /quit and closes. */
  close() {
    return this.#conn.close();
  }

  /** Resolves when the connection ends: `null` after close(), else the error that ended it. */
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

/** Opens `options.url` with the WebSocket class `WS` and logs in. */
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
    throw new RouterOsError('connect_failed', `cannot open ${options.url}: ${error?.message ?? error}`);
  }
  try {
    return new RouterOs(await Connection.openWebSocket(socket, options));
  } catch (error) {
    throw RouterOsError.from(error);
  }
}

/** Logs in over a BytePipe (see the type) that the caller made. */
export async function openPipe(Connection, pipe, options) {
  try {
    return new RouterOs(await Connection.openPipe(pipe, options));
  } catch (error) {
    throw RouterOsError.from(error);
  }
}
