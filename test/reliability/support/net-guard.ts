// A socket-level guard for the test process: every outbound connection attempt — through
// `net.Socket.prototype.connect` (which `net.connect`, `tls.connect` and undici all end up in),
// `net.connect`/`net.createConnection`, `tls.connect`, and the global fetch dispatcher that the
// openai SDK uses — is recorded, and one to anything but loopback is refused by throwing before a
// packet is sent (no DNS lookup either: names other than `localhost` are refused as they are).
import type * as NetModule from 'node:net';
import type * as TlsModule from 'node:tls';

// The module objects themselves (not an ES namespace copy), so patching them is seen by every user.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const net = require('node:net') as typeof NetModule;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const tls = require('node:tls') as typeof TlsModule;

export interface ConnectAttempt {
  via: 'socket' | 'net.connect' | 'tls.connect' | 'fetch';
  host: string;
  port?: number;
  allowed: boolean;
  /** Where the attempt came from, for the failure message. */
  stack: string;
}

export interface NetGuard {
  attempts: ConnectAttempt[];
  /** Attempts to anything but loopback (all of them were refused). */
  refused(): ConnectAttempt[];
  /** Forget what was recorded so far. */
  clear(): void;
  uninstall(): void;
}

export function isLoopback(host: string): boolean {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = /^(?:::ffff:)?(\d+)\.\d+\.\d+\.\d+$/.exec(h);
  return !!v4 && net.isIP(h.replace(/^::ffff:/, '')) === 4 && Number(v4[1]) === 127;
}

export class RefusedConnection extends Error {
  constructor(host: string, port: number | undefined) {
    super(`net guard: refused a connection to ${host}${port !== undefined ? `:${port}` : ''} (only loopback is allowed in this test)`);
    this.name = 'RefusedConnection';
  }
}

function destination(args: unknown[]): { host?: string; port?: number; path?: string } {
  let a: unknown = args[0];
  // Node's internal normalisation passes [options, cb] with a symbol-tagged array; unwrap it.
  if (Array.isArray(a)) a = a[0];
  if (a && typeof a === 'object') {
    const o = a as { host?: string; hostname?: string; port?: number | string; path?: string };
    if (o.path) return { path: o.path };
    return { host: o.host ?? o.hostname ?? 'localhost', port: o.port !== undefined ? Number(o.port) : undefined };
  }
  if (typeof a === 'number' || (typeof a === 'string' && /^\d+$/.test(a))) {
    return { port: Number(a), host: typeof args[1] === 'string' ? args[1] : 'localhost' };
  }
  if (typeof a === 'string') return { path: a };
  return { host: 'localhost' };
}

const UNDICI_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

/** Node creates fetch's dispatcher on the first request: make one, to a loopback server of our own. */
async function primeFetch(): Promise<void> {
  if ((globalThis as unknown as Record<symbol, unknown>)[UNDICI_DISPATCHER]) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const http = require('node:http') as typeof import('node:http');
  const server = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as NetModule.AddressInfo;
    await (await fetch(`http://127.0.0.1:${port}/`)).text();
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

export async function installNetGuard(): Promise<NetGuard> {
  await primeFetch();
  const attempts: ConnectAttempt[] = [];
  const check = (via: ConnectAttempt['via'], host: string | undefined, port: number | undefined): void => {
    if (host === undefined) return; // a Unix socket or pipe: local by construction
    const allowed = isLoopback(host);
    attempts.push({ via, host, port, allowed, stack: new Error().stack?.split('\n').slice(3, 9).join('\n') ?? '' });
    if (!allowed) throw new RefusedConnection(host, port);
  };

  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with apply(this, …) below
  const socketConnect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guardedConnect(this: NetModule.Socket, ...args: unknown[]) {
    const d = destination(args);
    check('socket', d.path ? undefined : d.host, d.port);
    return (socketConnect as (...a: unknown[]) => NetModule.Socket).apply(this, args);
  };

  const netConnect = net.connect;
  const netCreateConnection = net.createConnection;
  const guardedNet = function (...args: unknown[]) {
    const d = destination(args);
    check('net.connect', d.path ? undefined : d.host, d.port);
    return (netConnect as (...a: unknown[]) => NetModule.Socket)(...args);
  } as typeof net.connect;
  (net as { connect: typeof net.connect }).connect = guardedNet;
  (net as { createConnection: typeof net.createConnection }).createConnection = guardedNet;

  const tlsConnect = tls.connect;
  (tls as { connect: typeof tls.connect }).connect = function (...args: unknown[]) {
    const d = destination(args);
    check('tls.connect', d.path ? undefined : d.host, d.port);
    return (tlsConnect as (...a: unknown[]) => TlsModule.TLSSocket)(...args);
  };

  // Global fetch (undici inside Node): its global dispatcher (created by primeFetch) is wrapped so
  // every request's origin is checked before a connection is opened.
  const g = globalThis as unknown as Record<symbol, { dispatch(opts: { origin?: string | URL }, handler: unknown): boolean } | undefined>;
  const original = g[UNDICI_DISPATCHER];
  if (!original) throw new Error('net guard: the global fetch dispatcher was not found; the guard cannot watch fetch');
  g[UNDICI_DISPATCHER] = new Proxy(original, {
    get(target, prop, receiver) {
      if (prop === 'dispatch') {
        return (opts: { origin?: string | URL }, handler: unknown) => {
          const url = new URL(String(opts.origin));
          check('fetch', url.hostname, url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80);
          return target.dispatch(opts, handler);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });

  return {
    attempts,
    refused: () => attempts.filter((a) => !a.allowed),
    clear: () => void attempts.splice(0),
    uninstall() {
      net.Socket.prototype.connect = socketConnect;
      (net as { connect: typeof net.connect }).connect = netConnect;
      (net as { createConnection: typeof net.createConnection }).createConnection = netCreateConnection;
      (tls as { connect: typeof tls.connect }).connect = tlsConnect;
      g[UNDICI_DISPATCHER] = original;
    },
  };
}
