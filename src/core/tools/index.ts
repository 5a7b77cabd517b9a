// The workspace tools the engine offers the orchestrator: run_code, search_workspace, read_file,
// list_files, web_search (when a provider is configured) and MCP servers (through McpManager).
import type { OrchestraConfig } from '../config';
import type { EngineHost } from '../engine-api';
import type { Tool } from './tool';
import type { KnownSecrets } from './env';
import { createRunCodeTool } from './run-code';
import { createSearchTool } from './search';
import { createListFilesTool, createReadFileTool } from './files';
import { createWebSearchTool } from './web-search';
import { findRipgrep } from './ripgrep';

export { runCode, probeSandbox, findPythonSync, formatRunCodeResult, DEFAULT_MEMORY_LIMIT_MB } from './run-code';
export type { RunCodeResult, RunCodeOptions, RunCodeLanguage, SandboxSupport, PythonInfo } from './run-code';
export { scrubEnv, isSecretEnv } from './env';
export type { KnownSecrets } from './env';
export { resolveInWorkspace, deniedReason, DENIED_GLOBS } from './paths';
export { McpManager, mcpToolName, jsonSchemaToZod, mcpServerDestination } from './mcp';
export type { McpManagerOptions } from './mcp';
export { findRipgrep } from './ripgrep';
export { isLocalHost } from '../pool/locality';
export { webSearch, webSearchDestination } from './web-search';
export type { WebResult } from './web-search';
export { untrusted } from './untrusted';

export interface WorkspaceToolsOptions {
  config: OrchestraConfig;
  getSecret: EngineHost['getSecret'];
  workspace: string;
  workspaceTrusted: boolean;
  /** VS Code's bundled rg (or its appRoot); a system `rg` on PATH otherwise. */
  rgPath?: string;
  /** Key variable names and values the engine knows of, kept out of run_code's environment. */
  knownSecrets?: () => KnownSecrets;
}

/**
 * run_code (unless disabled in settings), search_workspace, read_file, list_files, and web_search
 * when a provider is configured. run_code stays listed in an untrusted workspace but refuses to run,
 * so the orchestrator learns why instead of guessing.
 */
export function createWorkspaceTools(opts: WorkspaceToolsOptions): Tool[] {
  const rgPath = findRipgrep(opts.rgPath);
  const tools: Tool[] = [];
  if (opts.config.tools.runCode.enabled) {
    tools.push(
      createRunCodeTool({
        config: opts.config,
        workspace: opts.workspace,
        workspaceTrusted: opts.workspaceTrusted,
        knownSecrets: opts.knownSecrets,
      }),
    );
  }
  tools.push(createSearchTool({ workspace: opts.workspace, rgPath }));
  tools.push(createReadFileTool({ workspace: opts.workspace }));
  tools.push(createListFilesTool({ workspace: opts.workspace, rgPath }));
  if (opts.config.tools.webSearch.provider !== 'none') {
    tools.push(createWebSearchTool({ config: opts.config, getSecret: opts.getSecret }));
  }
  return tools;
}
