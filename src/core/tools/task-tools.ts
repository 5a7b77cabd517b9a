// The tools one task is given: the workspace tools built for its config, the host's own (e.g.
// find_symbols in VS Code) and the configured MCP servers' tools. MCP servers are started once and
// kept while the servers, the workspace and its trust stay the same.
import type { OrchestraConfig } from '../config';
import type { EngineHost } from '../engine-api';
import type { KnownSecrets } from './env';
import { createWorkspaceTools } from './index';
import { McpManager, mcpServerDestination } from './mcp';
import type { Tool } from './tool';

type Log = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;

export interface TaskToolsOptions {
  getSecret: EngineHost['getSecret'];
  /** Editor-provided tools, asked for anew per task. */
  extraTools?: () => Tool[];
  /** VS Code's bundled rg (or its appRoot); a system `rg` on PATH otherwise. */
  rgPath?: string;
  knownSecrets: () => KnownSecrets;
  log: Log;
}

export class TaskTools {
  private mcp: { key: string; manager?: McpManager; tools: Promise<Tool[]> } | undefined;

  constructor(private readonly opts: TaskToolsOptions) {}

  async forTask(config: OrchestraConfig, workspace: string, trusted: boolean): Promise<Tool[]> {
    return [
      ...createWorkspaceTools({
        config,
        getSecret: this.opts.getSecret,
        workspace,
        workspaceTrusted: trusted,
        rgPath: this.opts.rgPath,
        knownSecrets: this.opts.knownSecrets,
      }),
      ...(this.opts.extraTools?.() ?? []),
      ...(await this.mcpTools(config, workspace, trusted)),
    ];
  }

  async dispose(): Promise<void> {
    const m = this.mcp;
    this.mcp = undefined;
    await m?.manager?.dispose().catch(() => undefined);
  }

  private mcpTools(config: OrchestraConfig, workspace: string, trusted: boolean): Promise<Tool[]> {
    const log = this.opts.log;
    // In local-only mode a remote MCP server is never connected: even starting it (initialize,
    // tools/list) would send data off the machine, so it is skipped, not merely hidden afterwards.
    // MCP tool calls always ask for approval (run_code's autoApprove does not cover them).
    const localOnly = config.privacyMode === 'local-only';
    const servers = config.tools.mcpServers.filter((s) => !localOnly || mcpServerDestination(s) === 'local');
    const key = JSON.stringify([servers, workspace, trusted]);
    if (this.mcp?.key === key) return this.mcp.tools;
    void this.dispose();
    for (const s of config.tools.mcpServers) {
      if (!servers.includes(s)) log('info', `MCP server ${s.name} not started: privacy mode local-only, and it is remote (${s.url})`);
    }
    if (!servers.length) {
      this.mcp = { key, tools: Promise.resolve([]) };
      return this.mcp.tools;
    }
    const manager = new McpManager(servers, {
      workspace,
      workspaceTrusted: trusted,
      knownSecrets: this.opts.knownSecrets,
      log: (l, m) => log(l === 'error' ? 'error' : l === 'warn' ? 'warn' : 'info', m),
    });
    const tools = manager.start().then(
      (r) => {
        for (const p of r.problems) log('warn', `MCP server ${p.server}: ${p.message}`);
        return r.tools;
      },
      (err: unknown) => {
        log('warn', `MCP servers could not start: ${(err as Error).message}`);
        return [] as Tool[];
      },
    );
    this.mcp = { key, manager, tools };
    return tools;
  }
}
