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
  /**
   * Optional: told `true` while the connection has work someone waits for and `false` when
   * it is idle (Node's socket adapter refs and unrefs its socket with it).
   */
  setActive?(active: boolean): void;
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
  | 'aborted'
  | 'slots_exhausted'
  | 'load_failed'
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
 * - `connect_failed`: the WebSocket or TCP connection could not be opened, TLS was refused,
 *   or the transport closed before the router answered the login (a bridge that cannot
 *   reach its router).
 * - `protocol`: the other end does not speak the RouterOS API.
 * - `slots_exhausted`: `maxStreams` streams are open, or a command found no free slot
 *   within its time limit.
 * - `aborted`: the call's AbortSignal fired; the error is named `AbortError` and its
 *   `cause` is the signal's reason.
 * - `load_failed`: the WebAssembly module could not be loaded.
 */
export declare class RouterOsError extends Error {
  name: 'RouterOsError' | 'AbortError';
  type: ErrorType;
  /** For `trap`: the category number, or `null` if the router sent none. */
  category?: number | null;
  /** For `trap`: how many more traps the command produced. */
  more?: number;
  /** What led to this error, e.g. the timeout that closed the connection. */
  cause?: unknown;
  constructor(type: ErrorType, message: string, details?: { category?: number | null; more?: number; cause?: unknown });
  static from(error: unknown): unknown;
}

/** Node only: the `tls` option in object form. Other keys go to `tls.connect` (`ca`, `minVersion`, ...). */
export interface TlsOptions {
  /**
   * Pin the router's certificate by its SHA-256 fingerprint (64 hex digits, colons allowed;
   * RouterOS shows it in `/certificate print detail`). The chain is then not checked: the
   * pin is. A different certificate is refused before anything is sent.
   */
  fingerprint?: string;
  /**
   * For api-ssl without a certificate: anonymous Diffie-Hellman (`ADH-AES256-GCM-SHA384`,
   * `ADH-AES256-SHA`, TLS 1.2). Encrypts but authenticates nobody: anyone on the path can
   * pose as the router. Emits a `RouterOsSecurityWarning` once.
   */
  anonymous?: true;
  [option: string]: unknown;
}

/** Options of {@link connect}. Unknown keys are refused (`invalid_argument`). */
export interface ConnectOptions {
  /** WebSocket bridge address (`ws://` or `wss://`), e.g. websockify in front of the router. */
  url?: string;
  /** Node only: connect straight to the router over TCP (or TLS with `tls`). */
  host?: string;
  /** Node only: TCP port. Default 8728, or 8729 with `tls`. */
  port?: number;
  /**
   * Node only: use TLS (API-SSL). `true` verifies against Node's CAs; an object adds
   * `fingerprint` pinning or `anonymous` DH, and passes the rest to `tls.connect`.
   */
  tls?: boolean | TlsOptions;
  /** User name. Default `admin`. */
  username?: string;
  /** Another name for `username`. */
  user?: string;
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
  /** Commands and streams on the wire at once, 1 to 8. Default 8. */
  slots?: number;
  /**
   * How many slots streams may hold, 0 to `slots`. Default `slots - 1`, so commands always
   * have one; a stream beyond it throws `slots_exhausted`.
   */
  maxStreams?: number;
  /**
   * After this many milliseconds without a byte from the router, ask it something cheap;
   * no answer within the same time ends the connection with `timeout` (pending commands and
   * streams reject). A dead router or bridge is noticed within about twice this. Default
   * 10000; 0: no keepalive.
   */
  keepaliveMs?: number;
}

/** Options of one call. */
export interface CallOptions {
  /** Aborts the call: it rejects with an `AbortError` (`type` `aborted`) and is cancelled on the wire. */
  signal?: AbortSignal;
  /** This call's time limit in milliseconds, instead of the connection's `timeoutMs`; 0: none. */
  timeoutMs?: number;
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
 * A logged-in connection. Calls may overlap: up to `slots` (8) commands and streams run at
 * once on the one connection (each tagged; replies are routed by tag), more wait for a free
 * slot. Streams hold at most `maxStreams` slots, so they do not hold up commands.
 */
export declare class RouterOs {
  private constructor();
  /** Runs a command, e.g. `['/interface/print', '?type=ether']`. */
  command(words: Word[], options?: CallOptions): Promise<CommandResult>;
  /**
   * Runs a streaming command, e.g. `['/interface/monitor-traffic', '=interface=ether1']`.
   * Throws `slots_exhausted` if `maxStreams` streams are open.
   */
  stream(words: Word[], options?: CallOptions): RowStream;
  /**
   * Cancels running streams, lets commands already made finish, sends `/quit` and closes.
   * Calls made after `close()` reject with `closed`.
   */
  close(): Promise<void>;
  /**
   * Resolves when the connection ends: `null` after `close()`, else the error that ended it
   * with its own type (`closed`, `fatal`, `timeout`, `protocol`).
   */
  readonly closed: Promise<RouterOsError | null>;
  /** Whether the connection still takes commands. */
  readonly isOpen: boolean;

  listInterfaces(): Promise<Interface[]>;
  /** Rejects with `not_found` if there is no such interface. */
  getInterface(name: string): Promise<Interface>;
  listIpAddresses(): Promise<IpAddress[]>;
  /** Resolves with the new item's id (e.g. `*3`). */
  addIpAddress(address: NewIpAddress): Promise<string>;
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

/**
 * Node only: adapts a `net.Socket` / `tls.TLSSocket` to a {@link BytePipe}. `check`, if
 * given, runs when the socket is ready and may return a reason to refuse the peer.
 */
export declare function socketPipe(
  socket: unknown,
  openEvent?: 'connect' | 'secureConnect',
  check?: (socket: unknown) => string | undefined,
): BytePipe;

/** OpenSSL's cipher list for anonymous DH (what `tls: { anonymous: true }` uses). */
export declare const ANONYMOUS_DH_CIPHERS: string;

/** The package version. */
export declare function version(): string;
