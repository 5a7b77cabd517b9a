// `orchestra mcp`: serves the orchestrator to other agents over MCP, on stdio (the client starts this
// command) or Streamable HTTP on loopback (`--http`, bearer token printed at start). The engine and
// its rules come from the same config file as `orchestra ask`.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { OrchestraConfig, PrivacyMode } from '../core/config';
import type { EngineHost } from '../core/engine-api';
import { createEngine } from '../core/engine';
import { parseArgs, UsageError } from './args';
import { MIN_TOKEN_LENGTH, newToken, startMcpHttpServer } from './mcp-http';
import { createMcpServer, type McpContext } from './mcp-server';
import { sanitizeTerminal } from './terminal';

export const MCP_USAGE = `usage: orchestra mcp [--config FILE] [--workspace DIR] [--privacy MODE] [--yes]
                    [--http [--port N] [--host 127.0.0.1]]
Serves Orchestra's orchestrator over MCP: tools "ask" (a question → the answer, its cost, the models
used, the trajectory id; progress notifications while it works) and "models".
  (default)   stdio: an MCP client starts this command
  --http      Streamable HTTP at http://127.0.0.1:PORT/mcp (loopback only); every request needs the
              bearer token printed at start (or set ORCHESTRA_MCP_TOKEN, ${MIN_TOKEN_LENGTH}+ characters)
  --yes       approve every approval request; otherwise the client is asked (MCP elicitation) when it
              can be, and the request is denied when it cannot
The config's privacy mode and budget apply to every question; a client may only make them stricter.`;

export interface McpCommandIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Resolves when the HTTP server should stop; default SIGINT or SIGTERM. */
  stopSignal?: Promise<void>;
}

export interface McpCommandDeps {
  /** The validated configuration with the embedded models serving, or undefined once the reason was printed. */
  loadConfig(file: string | undefined): Promise<{ config: OrchestraConfig; close(): Promise<void> } | undefined>;
  privacy(value: string | undefined): PrivacyMode | undefined;
  version: string;
}

function signalStop(): Promise<void> {
  return new Promise((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export async function runMcpCommand(argv: string[], io: McpCommandIo, deps: McpCommandDeps): Promise<number> {
  const a = parseArgs(argv, {
    values: ['--config', '--workspace', '--privacy', '--port', '--host'],
    booleans: ['--http', '--yes', '--help'],
  });
  if (a.flags.has('--help')) {
    io.out(`${MCP_USAGE}\n`);
    return 0;
  }
  if (a.positionals.length) throw new UsageError(`mcp takes no arguments, got "${a.positionals[0]}"`);
  const http = a.flags.has('--http');
  if (!http && (a.values['--port'] !== undefined || a.values['--host'] !== undefined))
    throw new UsageError('--port and --host go with --http');
  const port = a.values['--port'] === undefined ? 0 : Number(a.values['--port']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port needs a whole number from 0 to 65535`);
  const listenHost = a.values['--host'] ?? '127.0.0.1';
  const privacy = deps.privacy(a.values['--privacy']);
  const workspace = resolve(io.cwd, a.values['--workspace'] ?? '.');
  try {
    if (!statSync(workspace).isDirectory()) throw new Error('not a folder');
  } catch {
    throw new UsageError(`--workspace ${workspace} is not a folder`);
  }
  const token = io.env.ORCHESTRA_MCP_TOKEN || newToken();
  if (http && token.length < MIN_TOKEN_LENGTH)
    throw new UsageError(`ORCHESTRA_MCP_TOKEN must have at least ${MIN_TOKEN_LENGTH} characters`);
  const embedded = await deps.loadConfig(a.values['--config']);
  if (!embedded) return 2;
  const config = privacy ? { ...embedded.config, privacyMode: privacy } : embedded.config;

  const log = (message: string) => io.err(`orchestra mcp: ${sanitizeTerminal(message)}\n`);
  const approvers: McpContext['approvers'] = new Map();
  const host: EngineHost = {
    workspaceTrusted: true,
    getSecret(ref) {
      return Promise.resolve(ref.env ? io.env[ref.env] : undefined);
    },
    requestApproval(req) {
      const ask = approvers.get(req.taskId);
      return ask ? ask(req) : Promise.resolve(false);
    },
    log(level, message) {
      if (level === 'warn' || level === 'error' || io.env.ORCHESTRA_DEBUG) log(`${level}: ${message}`);
    },
  };
  const engine = createEngine(host, config);
  const ctx: McpContext = { engine, workspace, version: deps.version, approveAll: a.flags.has('--yes'), approvers, log };
  try {
    if (!http) {
      const transport = new StdioServerTransport();
      const closed = new Promise<void>((done) => (transport.onclose = () => done()));
      await createMcpServer(ctx).connect(transport);
      log(
        `serving on stdio (workspace ${workspace}, privacy ${config.privacyMode}, budget $${config.budget.maxDollarsPerTask} per question)`,
      );
      await closed;
      return 0;
    }
    let server;
    try {
      server = await startMcpHttpServer(ctx, { host: listenHost, port, token });
    } catch (err) {
      io.err(`orchestra mcp: ${(err as Error).message}\n`);
      return 2;
    }
    io.out(
      [
        `Orchestra MCP server (Streamable HTTP): ${server.url}`,
        `Bearer token: ${token}`,
        `Workspace ${workspace} · privacy ${config.privacyMode} · budget $${config.budget.maxDollarsPerTask} per question`,
        'In an MCP client\'s settings (e.g. VS Code\'s mcp.json: "servers"; others: "mcpServers"):',
        JSON.stringify({ orchestra: { type: 'http', url: server.url, headers: { Authorization: `Bearer ${token}` } } }),
        'Press Ctrl+C to stop.',
        '',
      ].join('\n'),
    );
    await (io.stopSignal ?? signalStop());
    await server.close();
    io.out('stopped\n');
    return 0;
  } finally {
    await engine.dispose();
    await embedded.close();
  }
}
