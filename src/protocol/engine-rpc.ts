// The one protocol between an editor and the Orchestra engine process (dist/server.js), spoken as
// JSON-RPC over stdio or Node IPC. Every message type lives here, with a zod schema that the
// receiving side validates at the edge. Nothing here is VS Code specific: any LSP client can drive it.
import { RequestType, NotificationType } from 'vscode-jsonrpc';
import { z } from 'zod';
import { ModelRole, PrivacyMode } from '../core/config';
import type { ConfigProblem } from '../core/config';
import type { DiscoveredServer, ModelInfo, QualityRow } from '../core/engine-api';
import type { EngineEvent, Totals } from '../core/protocol/events';

/** A task's totals before anything was spent (the engine and its clients start every task from these). */
export function emptyTotals(): Totals {
  return { dollars: 0, inputTokens: 0, outputTokens: 0, calls: 0, wallMs: 0, models: [], remoteHosts: [], estimated: false };
}

// ---------- host models: the editor's own chat models (VS Code's Language Model API) ----------

/** A model the editor serves, as it joins the pool (see src/core/pool/host-models.ts). */
export const HostModel = z.object({
  id: z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/, 'only letters, digits and . _ : -'),
  hostModelId: z.string().min(1),
  vendor: z.string().min(1),
  family: z.string(),
  version: z.string(),
  name: z.string(),
  contextWindow: z.number().int().positive(),
  maxOutputTokens: z.number().int().positive(),
  toolCalling: z.boolean(),
  local: z.boolean().default(false),
  openWeights: z.boolean().default(false),
  roles: z.array(ModelRole).min(1).default(['general']),
  description: z.string().default(''),
  pricing: z.enum(['listed', 'subscription', 'unknown']).default('unknown'),
  inputPricePerMillion: z.number().nonnegative().default(0),
  outputPricePerMillion: z.number().nonnegative().default(0),
});
export type HostModel = z.input<typeof HostModel>;

// ---------- client → engine requests ----------

export const ConfigureParams = z.object({
  /** The raw `orchestra.*` settings object; the engine validates it with parseConfig. */
  config: z.unknown(),
  /** Absolute path of the workspace the tools work in. */
  workspace: z.string().min(1),
  workspaceTrusted: z.boolean(),
  /** Tools the client serves through engine → client requests (e.g. `find_symbols`). */
  clientTools: z.array(z.enum(['find_symbols'])).default([]),
  /**
   * Whether a model's `apiKeyEnv` (and the web-search key variable) may be read from the engine
   * process's environment when the client has no key. Editors whose settings a workspace can write
   * send false: a repository could otherwise name any variable and have its value sent.
   */
  allowEnvSecrets: z.boolean().default(true),
  /**
   * A ripgrep the client ships (a binary, or an editor install folder holding
   * node_modules/@vscode/ripgrep): search works even where no `rg` is on PATH.
   */
  ripgrepHint: z.string().optional(),
  /**
   * The folder conversations are recorded in (one journal per task, src/core/conversations). Asks
   * that name a conversation need it; without it tasks are not recorded.
   */
  conversationsDir: z.string().min(1).optional(),
  /** The editor's own chat models (VS Code's Language Model API); calls on them come back as `orchestra/hostChat`. */
  hostModels: z.array(HostModel).default([]),
  /** A folder the engine may keep its quality estimates in (`quality.json`); unset: in memory only. Read once, when the engine starts. */
  dataDir: z.string().min(1).optional(),
  /**
   * Settings problems the client found beyond the schema's (values ignored while combining scopes,
   * its config file's problems). While these or the schema's own problems exist the engine starts
   * no task: a misspelt or invalid key may have been meant to make a rule stricter.
   */
  problems: z.array(z.object({ path: z.string(), message: z.string(), source: z.string().optional() })).default([]),
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
  /** A stricter privacy mode for this question only (the Chat view's `/local`); a looser one is ignored. */
  privacyMode: PrivacyMode.optional(),
  /** This question's dollar cap instead of `budget.maxDollarsPerTask` (the Chat view's `/budget`). */
  maxDollars: z.number().nonnegative().max(1_000_000).optional(),
  taskId: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'only letters, digits and . _ : - (at most 100)')
    .optional(),
  /** The conversation the question belongs to (recorded in the configured conversationsDir). */
  conversationId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'only letters, digits and . _ - (at most 100)')
    .optional(),
  /** The task this question follows: its ancestors' questions, answers and tool results go into the context. */
  parentTaskId: z.string().min(1).max(100).optional(),
  /** Orchestrate with this model instead of the configured one (retrying an answer with another model). */
  orchestratorModel: z.string().min(1).optional(),
});
export type AskParams = z.input<typeof AskParams>;
export interface AskResult {
  taskId: string;
}
export const AskRequest = new RequestType<AskParams, AskResult, void>('orchestra/ask');

/**
 * Runs an interrupted or stopped task of a conversation again from its record: what finished is
 * replayed, only what was interrupted runs. The task keeps its id; its events start again from
 * `task_started`. Refused when there is no record, the task already answered, or it is running.
 */
export const ResumeParams = z.object({
  taskId: z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/, 'only letters, digits and . _ : - (at most 100)'),
  conversationId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'only letters, digits and . _ - (at most 100)'),
  /** Defaults to the configured workspace. */
  workspace: z.string().optional(),
});
export type ResumeParams = z.input<typeof ResumeParams>;
export const ResumeRequestType = new RequestType<ResumeParams, AskResult, void>('orchestra/resume');

export const TaskIdParams = z.object({ taskId: z.string().min(1) });
export type TaskIdParams = z.input<typeof TaskIdParams>;
export const CancelRequest = new RequestType<TaskIdParams, { cancelled: boolean }, void>('orchestra/cancel');

export const CancelCallParams = z.object({ taskId: z.string().min(1), callId: z.string().min(1) });
export type CancelCallParams = z.input<typeof CancelCallParams>;
/** The user's verdict on a finished task's answer; the engine answers with a `task_feedback` event too. */
export const FeedbackParams = z.object({ taskId: z.string().min(1), verdict: z.enum(['up', 'down', 'none']) });
export type FeedbackParams = z.input<typeof FeedbackParams>;
export const FeedbackRequest = new RequestType<FeedbackParams, { models: Array<{ model: string; role: string }> }, void>(
  'orchestra/feedback',
);
/**
 * Stops one running tool call or subtask (with everything under it) of a running task; the task
 * goes on. `cancelled` is false when that task or call is not running.
 */
export const CancelCallRequest = new RequestType<CancelCallParams, { cancelled: boolean }, void>('orchestra/cancelCall');

export const ListModelsRequest = new RequestType<Record<string, never>, ModelInfo[], void>('orchestra/listModels');

/** The quality estimates per model and role (docs/ROUTING.md), as `orchestra models --stats` shows them. */
export const QualityStatsRequest = new RequestType<Record<string, never>, QualityRow[], void>('orchestra/qualityStats');
/** Forgets the quality evidence of one model (`model`), or of all; answers how many model-role estimates were reset. */
export const ResetQualityParams = z.object({ model: z.string().min(1).optional() });
export type ResetQualityParams = z.input<typeof ResetQualityParams>;
export const ResetQualityRequest = new RequestType<ResetQualityParams, { reset: number }, void>('orchestra/resetQuality');

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

// ---------- local models: the catalog, downloads, GGUF files ----------

/** `dir`: the folder models are downloaded to; default `local.modelsDir`, else ~/.orchestra/models. */
export const CatalogParams = z.object({ dir: z.string().min(1).optional() });
export type CatalogParams = z.input<typeof CatalogParams>;
/** A downloadable model as the engine sees it on this machine. */
export interface CatalogEntry {
  id: string;
  title: string;
  description: string;
  roles: string[];
  fileName: string;
  /** Approximate file size. */
  sizeBytes: number;
  /** Approximate RAM to run it with an 8k context. */
  memoryBytes: number;
  licence: string;
  licenceUrl: string;
  homepage: string;
  /** Whether the download is checked against a SHA-256. */
  verified: boolean;
  /** Whether `memoryBytes` fits this machine's RAM (with room kept for the system and the editor). */
  fits: boolean;
  totalMemoryBytes: number;
  /** Where the file goes. */
  path: string;
  /** The complete file is already there. */
  downloaded: boolean;
  /** Bytes of an interrupted download (`<path>.part`) that a new download resumes from; 0 when none. */
  partialBytes: number;
}
export const CatalogRequest = new RequestType<CatalogParams, CatalogEntry[], void>('orchestra/catalog');

const DownloadId = z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/, 'only letters, digits and . _ : - (at most 100)');

/**
 * Downloads a catalog model in the engine process; answers when the file is complete and checked.
 * Progress arrives as `orchestra/downloadProgress` notifications carrying `downloadId` (chosen by
 * the client so it can match them before the answer; generated when omitted). An unfinished
 * download is kept as `<file>.part` and the next download of the same model resumes from it.
 * Errors are ResponseErrors whose message names the file and the cause, with `DownloadErrorData`.
 */
export const DownloadModelParams = z.object({
  catalogId: z.string().min(1),
  dir: z.string().min(1).optional(),
  downloadId: DownloadId.optional(),
});
export type DownloadModelParams = z.input<typeof DownloadModelParams>;
export interface DownloadModelResult {
  downloadId: string;
  catalogId: string;
  /** The complete GGUF file. */
  path: string;
  bytes: number;
  /** Undefined when the file was already there and nothing was downloaded. */
  sha256?: string;
  attempts: number;
  /** Bytes taken over from an earlier, interrupted download. */
  resumedFromBytes: number;
  alreadyPresent: boolean;
}
export const DownloadModelRequest = new RequestType<DownloadModelParams, DownloadModelResult, void>('orchestra/downloadModel');

export type DownloadErrorKind =
  'timeout' | 'network' | 'http' | 'checksum' | 'size' | 'cancelled' | 'filesystem' | 'not-gguf' | 'busy' | 'unknown-model' | 'catalog';
/** `data` of a failed `orchestra/downloadModel`. */
export interface DownloadErrorData {
  kind: DownloadErrorKind;
  /** The file the download was writing. */
  file?: string;
  /** Bytes kept in `<file>.part` for the next attempt to resume from. */
  partialBytes?: number;
}

export const DownloadIdParams = z.object({ downloadId: z.string().min(1) });
export type DownloadIdParams = z.input<typeof DownloadIdParams>;
/** Stops a running download; its request then fails with kind `cancelled` and the `.part` file stays. */
export const CancelDownloadRequest = new RequestType<DownloadIdParams, { cancelled: boolean }, void>('orchestra/cancelDownload');

/** A local GGUF model: what its header says and whether it can run here. */
export interface LocalModelStatus {
  file: string;
  /** Its pool id (`local:<name>`). */
  id: string;
  /** Whether the engine serves it in the pool now. */
  served: boolean;
  sizeBytes?: number;
  name?: string;
  architecture?: string;
  /** e.g. "7.6B". */
  parameterLabel?: string;
  /** e.g. "Q4_K_M". */
  quantization?: string;
  trainedContextLength?: number;
  /** Fits in this machine's RAM with an 8k context (or its trained context when smaller). */
  fits?: boolean;
  neededBytes?: number;
  /** e.g. "needs ~1.6 GB of 16.0 GB RAM". */
  memorySummary?: string;
  /** Why it cannot be used (missing, not GGUF, truncated, unsupported architecture, too large). */
  problem?: string;
}
/** Every GGUF model named by `orchestra.local` (files and folders), served or not. */
export const LocalModelsRequest = new RequestType<Record<string, never>, LocalModelStatus[], void>('orchestra/localModels');

export const InspectModelFileParams = z.object({ path: z.string().min(1) });
export type InspectModelFileParams = z.input<typeof InspectModelFileParams>;
/** Checks a GGUF file before it is added to `local.models`; `problem` says why it cannot be used. */
export const InspectModelFileRequest = new RequestType<InspectModelFileParams, LocalModelStatus, void>('orchestra/inspectModelFile');

// ---------- engine → client notifications ----------

/** Each EngineEvent of every task, validated against the events schema before it is sent. */
export const EventNotification = new NotificationType<EngineEvent>('orchestra/event');

export const LogParams = z.object({ level: z.enum(['debug', 'info', 'warn', 'error']), message: z.string() });
export type LogParams = z.infer<typeof LogParams>;
/** What the engine did, for the editor's log. Never carries secrets. */
export const LogNotification = new NotificationType<LogParams>('orchestra/log');

export const DownloadProgressParams = z.object({
  downloadId: z.string(),
  catalogId: z.string(),
  /** Bytes on disk so far, resumed ones included. */
  received: z.number().nonnegative(),
  /** Undefined while the server has not said. */
  total: z.number().nonnegative().optional(),
  bytesPerSecond: z.number().nonnegative(),
  etaSeconds: z.number().nonnegative().optional(),
  /** Bytes that were on disk from an earlier, interrupted download. */
  resumedFrom: z.number().nonnegative(),
});
export type DownloadProgressParams = z.infer<typeof DownloadProgressParams>;
/** Progress of an `orchestra/downloadModel`, a few times a second. */
export const DownloadProgressNotification = new NotificationType<DownloadProgressParams>('orchestra/downloadProgress');

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
  /** The endpoint the key will be sent to (the model's baseUrl or the web-search URL); a client releases a key only to the origin it was stored for. */
  baseUrl: z.string().optional(),
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

/** One message of a host model call, in the OpenAI chat shape the engine speaks. */
export const HostChatMessage = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(z.object({ type: z.string(), text: z.string().optional() }).passthrough()), z.null()]).optional(),
  tool_calls: z
    .array(z.object({ id: z.string(), type: z.literal('function'), function: z.object({ name: z.string(), arguments: z.string() }) }))
    .optional(),
  tool_call_id: z.string().optional(),
  name: z.string().optional(),
});
export type HostChatMessage = z.infer<typeof HostChatMessage>;

export const HostChatParams = z.object({
  /** Chosen by the engine; the deltas of this call carry it. */
  requestId: z.string().min(1),
  /** The pool id, and how the editor knows the model. */
  modelId: z.string(),
  vendor: z.string(),
  hostModelId: z.string(),
  messages: z.array(HostChatMessage).min(1),
  tools: z
    .array(
      z.object({
        type: z.literal('function'),
        function: z.object({ name: z.string(), description: z.string().optional(), parameters: z.unknown().optional() }),
      }),
    )
    .optional(),
  toolChoice: z.union([z.enum(['auto', 'required', 'none']), z.object({ name: z.string() })]).optional(),
  maxTokens: z.number().int().positive(),
  temperature: z.number().optional(),
});
export type HostChatParams = z.infer<typeof HostChatParams>;
export interface HostChatResult {
  usage?: { inputTokens: number; outputTokens: number };
}
/** `data` of a failed `orchestra/hostChat`: why (consent, quota, a vanished model, cancellation, other). */
export interface HostChatErrorData {
  kind: 'no_permissions' | 'blocked' | 'not_found' | 'cancelled' | 'failed';
}
/**
 * The engine asks the editor to run one call on one of its models. The reply streams back as
 * `orchestra/hostChatDelta` notifications, sent before the response; cancelling the request
 * ($/cancelRequest) cancels the call.
 */
export const HostChatRequestType = new RequestType<HostChatParams, HostChatResult, HostChatErrorData>('orchestra/hostChat');

export const HostChatDeltaParams = z.object({
  requestId: z.string(),
  delta: z.union([
    z.object({ content: z.string() }),
    z.object({ toolCall: z.object({ id: z.string(), name: z.string(), arguments: z.string() }) }),
  ]),
});
export type HostChatDeltaParams = z.infer<typeof HostChatDeltaParams>;
/** client → engine: a piece of a host model call's reply, in order. */
export const HostChatDeltaNotification = new NotificationType<HostChatDeltaParams>('orchestra/hostChatDelta');

/** Parses `value` with `schema`, or throws an Error that names each bad field (`question: the question is empty`). */
export function parseAtEdge<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const detail = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(params)'}: ${i.message}`).join('; ');
  throw new Error(`invalid ${what}: ${detail}`);
}
