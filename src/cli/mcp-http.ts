// `orchestra mcp --http`: the MCP server over Streamable HTTP. It is a door into the workspace, so it
// listens on loopback only, refuses browsers (any Origin header) and unknown Host headers (DNS
// rebinding), and requires the bearer token it prints at start. Each client session gets its own
// server object and transport; every `ask` is its own task.
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { readJsonBody, RequestBodyError } from '../server/http-body';
import { isLoopbackHost } from '../server/llama/openai-server';
import { createMcpServer, type McpContext } from './mcp-server';

export const MCP_PATH = '/mcp';
const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Shorter tokens are refused (ORCHESTRA_MCP_TOKEN): the token is all that guards the door. */
export const MIN_TOKEN_LENGTH = 32;

export interface McpHttpServer {
  url: string;
  token: string;
  /** Client sessions open now. */
  sessions(): number;
  close(): Promise<void>;
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function refuse(res: http.ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

export async function startMcpHttpServer(ctx: McpContext, opts: { host: string; port: number; token: string }): Promise<McpHttpServer> {
  if (!isLoopbackHost(opts.host))
    throw new Error(
      `refusing to listen on ${opts.host}: the MCP server opens the workspace to its callers, so it listens on loopback only`,
    );
  if (opts.token.length < MIN_TOKEN_LENGTH) throw new Error(`the bearer token must have at least ${MIN_TOKEN_LENGTH} characters`);
  const transports = new Map<string, StreamableHTTPServerTransport>();
  let port = 0;

  /** The Host header must name this server on loopback: a DNS-rebound name is refused. */
  const allowedHost = (header: string | undefined): boolean => {
    if (!header) return false;
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(header.trim().toLowerCase());
    if (!m) return false;
    return isLoopbackHost(m[1].replace(/^\[|\]$/g, '')) && Number(m[2] ?? 80) === port;
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.headers.origin !== undefined || !allowedHost(req.headers.host)) {
      // Browsers send Origin; a web page must not reach the workspace (nor DNS-rebind onto it).
      refuse(res, 403, 'requests from browsers or unknown hosts are refused');
      return;
    }
    const auth = req.headers.authorization ?? '';
    const given = /^Bearer (.+)$/i.exec(auth)?.[1] ?? '';
    if (!sameSecret(given, opts.token)) {
      refuse(res, 401, 'missing or wrong bearer token (send Authorization: Bearer <the token orchestra mcp printed>)', {
        'www-authenticate': 'Bearer realm="orchestra"',
      });
      return;
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== MCP_PATH) {
      refuse(res, 404, `not found: the MCP endpoint is ${MCP_PATH}`);
      return;
    }
    const sessionId = req.headers['mcp-session-id'];
    const existing = typeof sessionId === 'string' ? transports.get(sessionId) : undefined;
    if (req.method === 'POST') {
      const body = await readJsonBody(req, MAX_BODY_BYTES);
      if (existing) return existing.handleRequest(req, res, body);
      if (sessionId !== undefined) return refuse(res, 404, 'unknown session: initialize a new one');
      if (!isInitializeRequest(body)) return refuse(res, 400, 'no session: the first request must be initialize');
      // A new client: its own server object and transport, dropped when it closes.
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          transports.set(id, transport);
        },
      });
      transport.onclose = () => {
        if (transport.sessionId) transports.delete(transport.sessionId);
      };
      await createMcpServer(ctx).connect(transport);
      return transport.handleRequest(req, res, body);
    }
    if (req.method === 'GET' || req.method === 'DELETE') {
      if (!existing) return refuse(res, sessionId === undefined ? 400 : 404, 'unknown or missing session');
      return existing.handleRequest(req, res);
    }
    refuse(res, 405, `method ${req.method} is not allowed`, { allow: 'GET, POST, DELETE' });
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      ctx.log(`HTTP request failed: ${(err as Error).message}`);
      // A body too large is a 413; anything else the request got wrong, a 400.
      if (!res.headersSent) refuse(res, err instanceof RequestBodyError ? err.status : 400, (err as Error).message);
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const urlHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${urlHost}:${port}${MCP_PATH}`,
    token: opts.token,
    sessions: () => transports.size,
    async close() {
      for (const t of transports.values()) await t.close().catch(() => undefined);
      transports.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
