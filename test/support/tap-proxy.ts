// A TCP tap in front of a model server, for tests of replicas: it forwards connections while the
// replica is "up", and once killed it behaves like a dead process (every open connection is cut, every
// new one is reset) while recording the request line of each attempt, so a test can see exactly what
// the pool still sent to a dead address.
import * as net from 'node:net';

export interface TapRecord {
  /** e.g. `POST /v1/chat/completions` */
  requestLine: string;
  at: number;
}

export interface TapProxy {
  /** Base URL ending in /v1. */
  url: string;
  port: number;
  /** Requests that reached the tap while it was dead. */
  deadHits: TapRecord[];
  /** Cuts every open connection and resets new ones from now on. */
  kill(): void;
  /** Forwards again. */
  revive(): void;
  close(): Promise<void>;
}

export async function startTapProxy(upstreamPort: number, host = '127.0.0.1'): Promise<TapProxy> {
  let dead = false;
  const deadHits: TapRecord[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (dead) {
      client.once('data', (chunk: Buffer) => {
        deadHits.push({ requestLine: chunk.toString('latin1').split('\r\n')[0], at: Date.now() });
        client.resetAndDestroy();
      });
      return;
    }
    const upstream = net.connect(upstreamPort, host);
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://${host}:${port}/v1`,
    port,
    deadHits,
    kill() {
      dead = true;
      for (const s of sockets) {
        // A socket still connecting cannot be reset; destroying it is the same to the peer.
        if (s.connecting) s.destroy();
        else s.resetAndDestroy();
      }
      sockets.clear();
    },
    revive() {
      dead = false;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
