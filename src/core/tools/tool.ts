// One interface for everything the orchestrator can call: local tools, models, MCP servers and
// sub-orchestrations (Agent-as-Tool). The harness validates arguments against `schema` before `run`.
import type { z } from 'zod';
import type { CallDisplay } from '../protocol/events';

export type ToolKind = 'local' | 'model' | 'mcp' | 'agent' | 'web';

export interface ApprovalRequest {
  kind: 'run_code' | 'paid_call' | 'mcp_tool';
  title: string;
  detail: string;
  language?: string;
}

export interface ToolContext {
  /** Absolute workspace root; file tools never leave it. */
  workspace: string;
  signal: AbortSignal;
  callId: string;
  /** Asks the user; resolves false when denied or when no one can answer. */
  requestApproval(req: ApprovalRequest): Promise<boolean>;
  /** Streams partial output to the UI (e.g. a model's text as it arrives). */
  progress(text: string): void;
}

export interface ToolResult {
  ok: boolean;
  /** What the orchestrator reads. Keep it honest: say when output was cut or no sandbox was used. */
  output: string;
  /** Structured detail for the UI and trajectories. */
  data?: unknown;
  /** The result as its card shows it, without the framing written for the model (absent: `output`). */
  display?: CallDisplay;
  /** Set when ok is false. */
  error?: string;
  /**
   * 'denied' when the user or a rule refused; 'timeout' when a limit killed it; 'over_budget' when
   * the budget could not cover it (never sent); 'cancelled' when the task was stopped.
   */
  state?: 'ok' | 'error' | 'timeout' | 'denied' | 'over_budget' | 'cancelled';
}

export interface Tool<S extends z.ZodType = z.ZodType> {
  name: string;
  /** What the orchestrator reads to decide when to call it. */
  description: string;
  schema: S;
  kind: ToolKind;
  /** Where the data goes: 'local' never leaves the machine; otherwise the remote host name. */
  destination(args: z.infer<S>): 'local' | { host: string };
  /** Whether the harness must ask before running (run_code, MCP tools unless auto-approved). */
  needsApproval?(args: z.infer<S>): ApprovalRequest | undefined;
  run(args: z.infer<S>, ctx: ToolContext): Promise<ToolResult>;
  /**
   * Resume runs this tool again rather than replaying its recorded result, because running it also
   * builds state its dialect keeps (ToolOrchestra's documents); the model calls it makes are still
   * answered from the record.
   */
  restartOnResume?: boolean;
}

/** Helper to keep the generic parameter inferred at definition sites. */
export function defineTool<S extends z.ZodType>(tool: Tool<S>): Tool<S> {
  return tool;
}
