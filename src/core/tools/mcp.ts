// MCP servers as tools. Each configured server (stdio command or HTTP URL) is connected with the
// official SDK; its tools become Tools named `<server>__<tool>`. A server that fails or is slow to
// start is reported and skipped — never fatal — and nothing starts in an untrusted workspace.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { z } from 'zod';
import type { McpServer } from '../config';
import { defineTool, type Tool, type ToolResult } from './tool';
import { scrubEnv, type KnownSecrets } from './env';
import { isLocalHost } from '../pool/locality';
import { textField, untrusted } from './untrusted';

export const MCP_START_TIMEOUT_MS = 10_000;
export const MCP_CALL_TIMEOUT_MS = 300_000;
const MAX_MCP_OUTPUT_CHARS = 100_000;

export interface McpManagerOptions {
  workspace: string;
  workspaceTrusted: boolean;
  autoApprove?: boolean;
  /** Key variable names and key values the engine knows of: kept out of stdio servers' environment. */
  knownSecrets?: () => KnownSecrets;
  log?: (level: string, message: string) => void;
  /** How long a server may take to start and list its tools (default 10 s). */
  startTimeoutMs?: number;
}

interface Connected {
  server: McpServer;
  client: Client;
  transport: Transport;
}

/** `<server>__<tool>` limited to [A-Za-z0-9_-] and 64 characters (what model APIs accept). */
export function mcpToolName(server: string, tool: string): string {
  return `${server}__${tool}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
}

/**
 * The server's JSON schema as zod, via zod 4's `z.fromJSONSchema`. When a schema cannot be
 * converted, a permissive object is used instead (the server still validates on its side).
 */
export function jsonSchemaToZod(schema: unknown): { schema: z.ZodType; exact: boolean } {
  const permissive = z.looseObject({});
  if (!schema || typeof schema !== 'object') return { schema: permissive, exact: false };
  try {
    const converted = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
    return { schema: converted, exact: true };
  } catch {
    return { schema: permissive, exact: false };
  }
}

/** Where a server's traffic goes: 'local' for stdio servers and loopback/private URLs (or `local: true`). */
export function mcpServerDestination(server: McpServer): 'local' | { host: string } {
  if (server.command) return 'local';
  if (server.local === true) return 'local';
  let host: string;
  try {
    host = new URL(server.url!).hostname;
  } catch {
    return { host: server.url ?? '(invalid url)' };
  }
  if (server.local === false) return { host };
  return isLocalHost(host) ? 'local' : { host };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
    }),
  ]);
}

/** Renders an MCP tool result's content blocks as text. */
function renderContent(content: unknown): string {
  if (!Array.isArray(content)) return '';
  const parts: string[] = [];
  for (const block of content as Array<Record<string, unknown>>) {
    if (block.type === 'text') parts.push(textField(block.text));
    else if (block.type === 'image' || block.type === 'audio')
      parts.push(`[${block.type}: ${textField(block.mimeType) || 'unknown type'}, not shown]`);
    else if (block.type === 'resource_link') parts.push(`[resource link: ${textField(block.uri)}]`);
    else if (block.type === 'resource') {
      const r = block.resource as Record<string, unknown> | undefined;
      parts.push(typeof r?.text === 'string' ? r.text : `[resource: ${textField(r?.uri)}]`);
    } else parts.push(JSON.stringify(block));
  }
  return parts.join('\n');
}

export class McpManager {
  private connected: Connected[] = [];
  private disposed = false;

  constructor(
    private readonly servers: McpServer[],
    private readonly opts: McpManagerOptions,
  ) {}

  /** Connects every server (in parallel) and lists its tools. Failures become `problems`. */
  async start(): Promise<{ tools: Tool[]; problems: Array<{ server: string; message: string }> }> {
    const problems: Array<{ server: string; message: string }> = [];
    if (!this.opts.workspaceTrusted) {
      for (const s of this.servers)
        problems.push({ server: s.name, message: 'not started: MCP servers are disabled in an untrusted workspace' });
      return { tools: [], problems };
    }
    const outcomes = await Promise.all(
      this.servers.map(async (server) => {
        try {
          return { server, tools: await this.startOne(server) };
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e);
          this.opts.log?.('warn', `MCP server "${server.name}" skipped: ${message}`);
          return { server, error: message };
        }
      }),
    );
    const tools: Tool[] = [];
    const taken = new Set<string>();
    for (const o of outcomes) {
      if ('error' in o) {
        problems.push({ server: o.server.name, message: o.error! });
        continue;
      }
      for (const t of o.tools) {
        let name = t.name;
        for (let i = 2; taken.has(name); i++) name = `${t.name.slice(0, 64 - String(i).length - 1)}_${i}`;
        taken.add(name);
        tools.push(name === t.name ? t : { ...t, name });
      }
    }
    return { tools, problems };
  }

  private async startOne(server: McpServer): Promise<Tool[]> {
    if (this.disposed) throw new Error('the MCP manager was disposed');
    let transport: Transport;
    let stderrTail = '';
    if (server.command) {
      const stdio = new StdioClientTransport({
        command: server.command,
        args: server.args,
        // The server gets the scrubbed environment plus exactly what its configuration names.
        env: { ...(scrubEnv(process.env, this.opts.knownSecrets?.()) as Record<string, string>), ...server.env },
        cwd: this.opts.workspace,
        stderr: 'pipe',
      });
      stdio.stderr?.on('data', (chunk: Buffer) => {
        stderrTail = (stderrTail + chunk.toString('utf8')).slice(-2000);
        this.opts.log?.('debug', `[mcp ${server.name}] ${chunk.toString('utf8').trimEnd()}`);
      });
      transport = stdio;
    } else {
      transport = new StreamableHTTPClientTransport(new URL(server.url!));
    }
    const client = new Client({ name: 'orchestra', version: '0.1.0' });
    const entry: Connected = { server, client, transport };
    try {
      const listed = await withTimeout(
        (async () => {
          await client.connect(transport);
          const all: Array<{ name: string; description?: string; inputSchema: unknown }> = [];
          let cursor: string | undefined;
          do {
            const page = await client.listTools(cursor ? { cursor } : undefined);
            all.push(...page.tools);
            cursor = page.nextCursor;
          } while (cursor && all.length < 1000);
          return all;
        })(),
        this.opts.startTimeoutMs ?? MCP_START_TIMEOUT_MS,
        'starting the server and listing its tools',
      );
      if (this.disposed) throw new Error('the MCP manager was disposed while the server started');
      this.connected.push(entry);
      return listed.map((t) => this.toTool(entry, t));
    } catch (e) {
      await client.close().catch(() => undefined);
      const detail = e instanceof Error ? e.message : String(e);
      const tail = stderrTail.trim().split('\n').slice(-3).join(' | ');
      throw new Error(
        `${server.command ? `command "${server.command}"` : `url ${server.url}`}: ${detail}${tail ? ` (stderr: ${tail})` : ''}`,
        { cause: e },
      );
    }
  }

  private toTool(entry: Connected, t: { name: string; description?: string; inputSchema: unknown }): Tool {
    const { schema, exact } = jsonSchemaToZod(t.inputSchema);
    const serverName = entry.server.name;
    const destination = mcpServerDestination(entry.server);
    const autoApprove = this.opts.autoApprove ?? false;
    const log = this.opts.log;
    return defineTool({
      name: mcpToolName(serverName, t.name),
      description: `[MCP server "${serverName}"] ${t.description ?? t.name}${exact ? '' : ' (arguments are passed through unchecked)'}`,
      schema,
      kind: 'mcp',
      destination: () => destination,
      needsApproval: (args) =>
        autoApprove
          ? undefined
          : { kind: 'mcp_tool', title: `Call ${t.name} on MCP server "${serverName}"`, detail: JSON.stringify(args, null, 2) },
      async run(args, ctx): Promise<ToolResult> {
        try {
          const res = await entry.client.callTool({ name: t.name, arguments: (args ?? {}) as Record<string, unknown> }, undefined, {
            signal: ctx.signal,
            timeout: MCP_CALL_TIMEOUT_MS,
          });
          let text = renderContent(res.content);
          if (!text && res.structuredContent !== undefined) text = JSON.stringify(res.structuredContent, null, 2);
          if (text.length > MAX_MCP_OUTPUT_CHARS)
            text = `${text.slice(0, MAX_MCP_OUTPUT_CHARS)}\n[truncated: ${text.length - MAX_MCP_OUTPUT_CHARS} more characters]`;
          const output = untrusted(`the MCP server "${serverName}"`, text || '(no content)');
          const display = { kind: 'text' as const, text: text || '(no content)' };
          if (res.isError)
            return {
              ok: false,
              output,
              error: `the MCP tool reported an error: ${text.slice(0, 300)}`,
              state: 'error',
              data: res,
              display,
            };
          return { ok: true, output, data: res, state: 'ok', display };
        } catch (e) {
          const msg = `MCP call ${serverName}/${t.name} failed: ${e instanceof Error ? e.message : String(e)}`;
          log?.('warn', msg);
          // Stopped by the user (or the task): the SDK told the server to cancel the request.
          if (ctx.signal.aborted) return { ok: false, output: '', error: 'cancelled', state: 'cancelled' };
          return { ok: false, output: msg, error: msg, state: /timed out|timeout/i.test(msg) ? 'timeout' : 'error' };
        }
      },
    });
  }

  /** Closes every connection (stdio servers are terminated). */
  async dispose(): Promise<void> {
    this.disposed = true;
    const all = this.connected;
    this.connected = [];
    await Promise.all(all.map((c) => c.client.close().catch(() => undefined)));
  }
}
