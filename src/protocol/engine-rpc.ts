// The one protocol between an editor and the Orchestra engine process (dist/server.js), spoken as
// JSON-RPC over stdio or Node IPC. Every message type lives here, with a zod schema that the
// receiving side validates at the edge. Nothing here is VS Code specific: any LSP client can drive it.
import { RequestType, NotificationType } from 'vscode-jsonrpc';
import { z } from 'zod';
import type { ConfigProblem } from '../core/config';
import type { DiscoveredServer, ModelInfo } from '../core/engine-api';
import type { EngineEvent } from '../core/protocol/events';

// ---------- client → engine requests ----------

export const ConfigureParams = z.object({
  /** The raw `orchestra.*` settings object; the engine validates it with parseConfig. */
  config: z.unknown(),
  /** Absolute path of the workspace the tools work in. */
  workspace: z.string().min(1),
  workspaceTrusted: z.boolean(),
  /** Tools the client serves through engine → client requests (e.g. `find_symbols`). */
  clientTools: z.array(z.enum(['find_symbols'])).default([]),
});
export type ConfigureParams = z.input<typeof ConfigureParams>;
export interface ConfigureResult {
  problems: ConfigProblem[];
  /** Models in the pool after configuration (embedded local models included). */
  modelCount: number;
}
export const ConfigureRequest = new RequestType<ConfigureParams, ConfigureResult, void>('orchestra/configure');

export const AttachmentSchema = z.object({
  kind: z.enum(['selection', 'file']),
  path: z.string(),
  text: z.string(),
  language: z.string().optional(),
  startLine: z.number().int().optional(),
  endLine: z.number().int().optional(),
});

export const AskParams = z.object({
  question: z.string().trim().min(1, 'the question is empty'),
  attachments: z.array(AttachmentSchema).default([]),
  /** Defaults to the configured workspace. */
  workspace: z.string().optional(),
  preferRole: z.enum(['code', 'math']).optional(),
  taskId: z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/, 'only letters, digits and . _ : - (at most 100)').optional(),
});
export type AskParams = z.input<typeof AskParams>;
export interface AskResult {
  taskId: string;
}
export const AskRequest = new RequestType<AskParams, AskResult, void>('orchestra/ask');

export const TaskIdParams = z.object({ taskId: z.string().min(1) });
export type TaskIdParams = z.input<typeof TaskIdParams>;
export const CancelRequest = new RequestType<TaskIdParams, { cancelled: boolean }, void>('orchestra/cancel');

export const ListModelsRequest = new RequestType<Record<string, never>, ModelInfo[], void>('orchestra/listModels');

export const TestModelParams = z.object({ id: z.string().min(1) });
export type TestModelParams = z.input<typeof TestModelParams>;
export interface TestModelResult {
  ok: boolean;
  latencyMs: number;
  error?: string;
}
export const TestModelRequest = new RequestType<TestModelParams, TestModelResult, void>('orchestra/testModel');

export const DiscoverParams = z.object({
  host: z.string().optional(),
  timeoutMs: z.number().int().positive().max(30_000).optional(),
});
export type DiscoverParams = z.input<typeof DiscoverParams>;
export const DiscoverRequest = new RequestType<DiscoverParams, DiscoveredServer[], void>('orchestra/discover');

export const TrajectoryRequest = new RequestType<TaskIdParams, { jsonl?: string }, void>('orchestra/trajectory');

/**
 * Probes an endpoint that is not configured yet ("Add model endpoint"): lists its models and, when
 * `model` is given, sends one tiny chat request. The key, if any, is used for this probe only.
 */
export const ProbeEndpointParams = z.object({
  baseUrl: z.url({ protocol: /^https?$/ }),
  apiKey: z.string().optional(),
  model: z.string().optional(),
  timeoutMs: z.number().int().positive().max(120_000).default(15_000),
});
export type ProbeEndpointParams = z.input<typeof ProbeEndpointParams>;
export interface ProbeEndpointResult {
  ok: boolean;
  /** Model ids from the endpoint's /models list (empty when it has none or failed). */
  models: string[];
  /** Set when `model` was given: the test call's outcome. */
  chat?: { ok: boolean; latencyMs: number; error?: string };
  error?: string;
}
export const ProbeEndpointRequest = new RequestType<ProbeEndpointParams, ProbeEndpointResult, void>('orchestra/probeEndpoint');

// ---------- engine → client notifications ----------

/** Each EngineEvent of every task, validated against the events schema before it is sent. */
export const EventNotification = new NotificationType<EngineEvent>('orchestra/event');

export const LogParams = z.object({ level: z.enum(['debug', 'info', 'warn', 'error']), message: z.string() });
export type LogParams = z.infer<typeof LogParams>;
/** What the engine did, for the editor's log. Never carries secrets. */
export const LogNotification = new NotificationType<LogParams>('orchestra/log');

// ---------- engine → client requests ----------

export const ApprovalParams = z.object({
  taskId: z.string(),
  callId: z.string(),
  approvalId: z.string(),
  kind: z.enum(['run_code', 'paid_call', 'mcp_tool']),
  title: z.string(),
  /** The code or call in full. */
  detail: z.string(),
  language: z.string().optional(),
});
export type ApprovalParams = z.infer<typeof ApprovalParams>;
export const ApprovalRequestType = new RequestType<ApprovalParams, { approved: boolean }, void>('orchestra/approval');

export const SecretParams = z.object({
  modelId: z.string().optional(),
  env: z.string().optional(),
  purpose: z.enum(['model', 'web_search']),
});
export type SecretParams = z.infer<typeof SecretParams>;
/** The engine asks the client for an API key. The value crosses the pipe only into the engine. */
export const SecretRequest = new RequestType<SecretParams, { value?: string }, void>('orchestra/secret');

export const FindSymbolsParams = z.object({
  query: z.string().min(1),
  maxResults: z.number().int().positive().max(200).default(50),
});
export type FindSymbolsParams = z.input<typeof FindSymbolsParams>;
export const SymbolHit = z.object({
  name: z.string(),
  kind: z.string(),
  containerName: z.string().optional(),
  /** Workspace-relative path when inside the workspace. */
  path: z.string(),
  line: z.number().int(),
});
export type SymbolHit = z.infer<typeof SymbolHit>;
export const FindSymbolsResult = z.object({ symbols: z.array(SymbolHit) });
export type FindSymbolsResult = z.infer<typeof FindSymbolsResult>;
/** Served by editors that index symbols (VS Code's workspace symbol providers). */
export const FindSymbolsRequest = new RequestType<FindSymbolsParams, FindSymbolsResult, void>('orchestra/findSymbols');

/** Parses `value` with `schema`, or throws an Error that names each bad field (`question: the question is empty`). */
export function parseAtEdge<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const detail = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(params)'}: ${i.message}`).join('; ');
  throw new Error(`invalid ${what}: ${detail}`);
}
