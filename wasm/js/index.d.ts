// Types of the package's public API (both entry points: browser and Node).

/**
 * A transport written in JavaScript, for {@link connectPipe}: the package sets the three
 * `on*` handlers and the transport calls them. `send` gets a fresh array it may keep.
 */
export interface BytePipe {
  send(data: Uint8Array): void;
  close(): void;
  /** True if the link is already open when handed over. */
  isOpen?: boolean;
  onOpen: (() => void) | null;
  onData: ((data: Uint8Array | ArrayBuffer) => void) | null;
  onClose: ((reason?: string | Error) => void) | null;
}

/** One reply row: every attribute as a string, `.id` under its own name. */
export type Row = Record<string, string>;

/**
 * What `command()` resolves with: the rows, and `ret` when the router's `!done` carried
 * `=ret=` (the id made by an `add`, the value of a `get`, ...).
 */
export type CommandResult = Row[] & { ret?: string };

/** A word: text (sent as UTF-8) or raw bytes. */
export type Word = string | Uint8Array;

/** What failed, as the `type` of a {@link RouterOsError}. */
export type ErrorType =
  | 'trap'
  | 'fatal'
  | 'auth_failed'
  | 'timeout'
  | 'closed'
  | 'connect_failed'
  | 'protocol'
  | 'buffer_too_small'
  | 'io'
  | 'invalid_argument'
  | 'not_found'
  | 'cancelled'
  | 'busy'
  | 'internal';

/**
 * Every error the package throws or rejects with.
 *
 * - `trap`: the router refused the command (`!trap`); `category` is its number (0 missing
 *   item, 1 argument value, 2 interrupted, 3 scripting, 4 general, 5 API, 6 TTY,
 *   7 `:return` value, or another number a newer RouterOS sends) or `null`; `more` counts
 *   further traps of the same command. The connection stays usable.
 * - `fatal`: the router sent `!fatal` and closed the connection.
 * - `auth_failed`: wrong user name or password.
 * - `timeout`: `timeoutMs` passed. While connecting, or while the command waited for a slot,
 *   nothing else is affected; once it was on the wire the connection is closed too.
 * - `closed`: the connection is gone (closed by the peer, by `close()`, or after an error).
 * - `connect_failed`: the WebSocket or TCP connection could not be opened.
 */
export declare class RouterOsError extends Error {
  name: 'RouterOsError';
  type: ErrorType;
  /** For `trap`: the category number, or `null` if the router sent none. */
  category?: number | null;
  /** For `trap`: how many more traps the command produced. */
  more?: number;
  constructor(type: ErrorType, message: string, details?: { category?: number | null; more?: number });
  static from(error: unknown): unknown;
}

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** WebSocket bridge address (`ws://` or `wss://`), e.g. websockify in front of the router. */
  url?: string;
  /** Node only: connect straight to the router over TCP (or TLS with `tls`). */
  host?: string;
  /** Node only: TCP port. Default 8728, or 8729 with `tls`. */
  port?: number;
  /** Node only: use TLS (API-SSL); an object is passed on to `tls.connect` (ca, ciphers, ...). */
  tls?: boolean | Record<string, unknown>;
  /** User name. Default `admin`. */
  username?: string;
  /** Password. Default empty. Never logged. */
  password?: string;
  /**
   * Bound in milliseconds on connect + login, and on each command counted from the call (time
   * spent waiting for a free slot counts); for streams, on starting and on cancelling (rows
   * may take as long as they take). A command that times out after it went out also closes
   * the connection; one still waiting for a slot does not. Default 10000; 0: no limit.
   */
  timeoutMs?: number;
  /** WebSocket class to use instead of `globalThis.WebSocket` (e.g. `ws`'s on Node 20). */
  WebSocket?: unknown;
  /** WebSocket subprotocols to offer, e.g. `['binary']`. Default none. */
  protocols?: string | string[];
  /** Largest reply sentence in bytes. Default 262144 (256 KiB). */
  receiveBufferBytes?: number;
  /** Largest command in bytes. Default 65536. */
  sendBufferBytes?: number;
}

/**
 * Rows of a streaming command. `break` out of `for await`, or `cancel()`, sends `/cancel`.
 * Rows not read yet wait in a 64 KiB buffer per stream; beyond that the oldest are dropped,
 * so a slow reader sees recent rows and never holds up the connection.
 */
export interface RowStream extends AsyncIterableIterator<Row> {
  /** Cancels the stream; resolves once the router confirmed it. */
  cancel(): Promise<void>;
  /** Rows dropped unread so far (counted as of the last row read). */
  readonly dropped: number;
}

export interface Interface {
  id: string;
  name: string;
  type: string;
  mtu?: number;
  actualMtu?: number;
  macAddress?: string;
  running: boolean;
  disabled: boolean;
  comment?: string;
  /** The row as the router sent it. */
  raw: Row;
}

export interface IpAddress {
  id: string;
  /** With prefix length, e.g. `10.0.0.1/24`. */
  address: string;
  network?: string;
  interface: string;
  disabled: boolean;
  dynamic: boolean;
  invalid: boolean;
  comment?: string;
  raw: Row;
}

export interface NewIpAddress {
  /** With prefix length, e.g. `10.0.0.1/24`. */
  address: string;
  interface: string;
  comment?: string;
  disabled?: boolean;
}

export interface SystemResource {
  uptime: string;
  version: string;
  buildTime?: string;
  freeMemory?: number;
  totalMemory?: number;
  cpu?: string;
  cpuCount?: number;
  cpuFrequency?: number;
  cpuLoad?: number;
  freeHddSpace?: number;
  totalHddSpace?: number;
  architectureName?: string;
  boardName?: string;
  platform?: string;
  raw: Row;
}

export interface FirewallRule {
  id: string;
  chain: string;
  action?: string;
  protocol?: string;
  srcAddress?: string;
  dstAddress?: string;
  dstPort?: string;
  disabled: boolean;
  dynamic: boolean;
  invalid: boolean;
  comment?: string;
  /** Counters as numbers: exact up to 2^53. */
  bytes?: number;
  packets?: number;
  raw: Row;
}

export interface DhcpLease {
  id: string;
  address: string;
  macAddress?: string;
  hostName?: string;
  status?: string;
  server?: string;
  /** RouterOS duration text, e.g. `4m10s`. */
  expiresAfter?: string;
  dynamic: boolean;
  disabled: boolean;
  blocked: boolean;
  comment?: string;
  raw: Row;
}

/**
 * A logged-in connection. Calls may overlap: up to 8 commands and streams run at once on the
 * one connection (each tagged; replies are routed by tag), more wait for a free slot. Streams
 * do not hold up commands.
 */
export declare class RouterOs {
  private constructor();
  /** Runs a command, e.g. `['/interface/print', '?type=ether']`. */
  command(words: Word[]): Promise<CommandResult>;
  /** Runs a streaming command, e.g. `['/interface/monitor-traffic', '=interface=ether1']`. */
  stream(words: Word[]): RowStream;
  /**
   * Cancels running streams, lets commands already made finish, sends `/quit` and closes.
   * Calls made after `close()` reject with `closed`.
   */
  close(): Promise<void>;
  /** Resolves when the connection ends: `null` after `close()`, else the error that ended it. */
  readonly closed: Promise<RouterOsError | null>;
  /** Whether the connection still takes commands. */
  readonly isOpen: boolean;

  listInterfaces(): Promise<Interface[]>;
  /** Rejects with `not_found` if there is no such interface. */
  getInterface(name: string): Promise<Interface>;
  listIpAddresses(): Promise<IpAddress[]>;
  /** Resolves with the new item's id (e.g. `*3`). */
  addIpAddress(address: NewIpAddress): Promise<string | undefined>;
  removeIpAddress(id: string): Promise<void>;
  getSystemResource(): Promise<SystemResource>;
  getIdentity(): Promise<string>;
  setIdentity(name: string): Promise<void>;
  listFirewallRules(): Promise<FirewallRule[]>;
  listDhcpLeases(): Promise<DhcpLease[]>;
  /** The router closes the connection without a reply; that counts as success. */
  reboot(): Promise<void>;
}

/**
 * Connects and logs in. Browsers: `url` (a WebSocket bridge). Node: `host` (direct TCP/TLS)
 * or `url` (needs a WebSocket: Node 22+ has one; on Node 20 pass `WebSocket` from `ws`).
 */
export declare function connect(options: ConnectOptions): Promise<RouterOs>;

/** Logs in over a transport of your own. */
export declare function connectPipe(pipe: BytePipe, options?: ConnectOptions): Promise<RouterOs>;

/**
 * Loads the WebAssembly module (browsers: fetched on first use; pass a URL, Response, bytes or
 * `WebAssembly.Module` to load it from elsewhere). Node loads it at import.
 */
export declare function initialize(moduleOrPath?: unknown): Promise<unknown>;

/** Node only: adapts a `net.Socket` / `tls.TLSSocket` to a {@link BytePipe}. */
export declare function socketPipe(socket: unknown, openEvent?: 'connect' | 'secureConnect'): BytePipe;

/** The package version. */
export declare function version(): string;
