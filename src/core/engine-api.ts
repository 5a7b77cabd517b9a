// The engine's public surface, shared by the CLI, the engine process (src/server) and tests.
// Implemented by src/core/engine.ts. Pure types: no runtime code lives here.
import type { OrchestraConfig, PrivacyMode } from './config';
import type { EngineEvent, Totals } from './protocol/events';
import type { ApprovalRequest, Tool } from './tools/tool';
import type { ToolCallFormatSetting } from './config';
import type { ToolCallFormat } from './toolcalls';
import type { HostChat, HostModelEntry, Pricing } from './pool/host-models';

/** Context attached to a question: the editor selection, a file, etc. */
export interface Attachment {
  kind: 'selection' | 'file';
  /** Workspace-relative path when inside the workspace. */
  path: string;
  text: string;
  language?: string;
  startLine?: number;
  endLine?: number;
}

export interface TaskRequest {
  /** Generated when omitted. */
  taskId?: string;
  question: string;
  attachments?: Attachment[];
  /** Absolute path of the workspace the tools work in. */
  workspace: string;
  /** Write the JSONL trajectory here when set. */
  trajectoryPath?: string;
  /** Steer toward one role for the whole task ("Delegate to a math or code model"). */
  preferRole?: 'code' | 'math';
  /**
   * The conversation the task belongs to. The task is recorded (journal) in `dir`/`id`; the tasks
   * before `parentTaskId` (its ancestors in the conversation) go into its context.
   */
  conversation?: { dir: string; id: string; parentTaskId?: string };
  /** Orchestrate with this model instead of the configured one (an answer retried with another model). */
  orchestratorModel?: string;
  /** A stricter privacy mode for this task only (a looser one is ignored: the configured mode stays). */
  privacyMode?: PrivacyMode;
  /** This task's dollar cap instead of `budget.maxDollarsPerTask`. */
  maxDollars?: number;
}

/** Runs an interrupted or stopped task again from its record (its journal): only what did not finish is asked again. */
export interface ResumeRequest {
  taskId: string;
  conversation: { dir: string; id: string };
  /** Absolute path of the workspace the tools work in. */
  workspace: string;
  trajectoryPath?: string;
}

export interface TaskOutcome {
  taskId: string;
  ok: boolean;
  answer?: string;
  error?: { code: string; message: string };
  totals: Totals;
}

/** What the engine needs from whoever hosts it (CLI, engine process, tests). */
export interface EngineHost {
  /**
   * Returns an API key. For models: `ref.modelId` is set (VS Code keeps keys in SecretStorage by
   * model id) and `ref.env` is the configured `apiKeyEnv`, if any (the CLI reads the environment).
   * `ref.baseUrl` is set when the key goes to one of a model's other replicas (`baseUrls`), not its first.
   */
  getSecret(ref: { modelId?: string; env?: string; purpose: 'model' | 'web_search'; baseUrl?: string }): Promise<string | undefined>;
  /** Asks the user; resolving false denies. Called at most once per call needing approval. */
  requestApproval(req: ApprovalRequest & { taskId: string; callId: string; approvalId: string }): Promise<boolean>;
  log?(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
  /** Editor-provided tools (e.g. find_symbols in VS Code). */
  extraTools?(): Tool[];
  /** Whether the workspace is trusted; run_code and MCP servers are refused when false. */
  workspaceTrusted?: boolean;
  /** Runs calls on the host's own models (VS Code's Language Model API), given by `Engine.setHostModels`. */
  hostChat?: HostChat;
}

export interface ModelInfo {
  id: string;
  model: string;
  baseUrl: string;
  host: string;
  local: boolean;
  openWeights: boolean;
  roles: string[];
  description: string;
  inputPricePerMillion: number;
  outputPricePerMillion: number;
  contextWindow: number;
  /** How the price is known: `subscription` and `unknown` prices are never shown as $0. Absent: `listed`. */
  pricing?: Pricing;
  /** For a model the host serves (VS Code's Language Model API): who provides it. */
  provider?: { kind: 'vscode-lm'; vendor: string; family: string; version: string; name: string; maxOutputTokens: number };
  /** Measured moving average; undefined until the first call. */
  latencyMs?: number;
  eligible: boolean;
  /** Why it is not eligible under the current preferences (names the rule). */
  ineligibleReason?: string;
  /** How its tool calls are read: the model's `toolCallFormat` setting. */
  toolCallFormat: ToolCallFormatSetting;
  /** Under `auto`, the text format its name shows it writes (read first), when the name says. */
  detectedToolCallFormat?: ToolCallFormat;
  /** Its addresses with their circuit-breaker state and load: present for replicas (`baseUrls`) and for an address that is down. */
  replicas?: Array<{
    url: string;
    state: 'closed' | 'open' | 'half-open';
    inFlight: number;
    sent: number;
    failures: number;
    lastError?: string;
    coolingUntil?: number;
  }>;
}

export type TokenCounting = 'server' | 'bpe' | 'estimate' | 'not-asked';

export interface QualityRow {
  model: string;
  role: string;
  /** Weighted outcomes seen. */
  successes: number;
  failures: number;
  /** The posterior mean, and its 90% interval. */
  mean: number;
  low: number;
  high: number;
  prior: number;
  priorSource: string;
  /** False for evidence about a model no longer in the pool. */
  inPool: boolean;
}

export interface DiscoveredModel {
  id: string;
  /** The context the running server uses for this model, when it says. */
  contextWindow?: number;
  /**
   * Where `contextWindow` comes from: Ollama `num_ctx` (set in the model's parameters) or
   * `context_length` (the model's maximum: Ollama may run it with a smaller default), LM Studio
   * `loaded_context_length` or `max_context_length` (not loaded), vLLM/SGLang `max_model_len`,
   * llama.cpp `n_ctx`.
   */
  contextSource?: 'num_ctx' | 'context_length' | 'loaded_context_length' | 'max_context_length' | 'max_model_len' | 'n_ctx';
  /** The model's trained maximum, when the server reports it separately. */
  maxContextWindow?: number;
  /** The tool-call format its chat template shows (llama.cpp's `/props`), when it shows one. */
  toolCallFormat?: ToolCallFormat;
}

export interface DiscoveredServer {
  kind: 'ollama' | 'lmstudio' | 'vllm' | 'llamacpp' | 'sglang' | 'openai-compatible';
  baseUrl: string;
  models: DiscoveredModel[];
}

export interface Engine {
  configure(config: OrchestraConfig): void;
  readonly config: OrchestraConfig;
  ask(req: TaskRequest, onEvent: (e: EngineEvent) => void, signal?: AbortSignal): Promise<TaskOutcome>;
  /**
   * Runs a task again from its record: every model call that answered and every tool call that
   * finished in an earlier run is replayed from the record (same reply, same cost, no request);
   * only what was interrupted runs. Rejects when there is no record or the task already answered.
   */
  resume(req: ResumeRequest, onEvent: (e: EngineEvent) => void, signal?: AbortSignal): Promise<TaskOutcome>;
  cancel(taskId: string): boolean;
  /**
   * Stops one running tool call or delegated subtask of a running task (for `delegate` and
   * `subtask` calls, everything under them: model requests, child processes). The call finishes
   * with state `cancelled`, the orchestrator reads that the user cancelled it, and the task goes
   * on; the call is never restarted. False when the task or call is not running.
   */
  cancelCall(taskId: string, callId: string): boolean;
  listModels(): ModelInfo[];
  /**
   * How each model's tokens are counted before a call (docs/BUDGET.md): `server` its own tokenize
   * endpoint, `bpe` the bundled OpenAI tokenizer, `estimate` calibrated from the usage it reports.
   * Asks each eligible server whether it has a tokenize endpoint; models the rules exclude are not
   * contacted (`not-asked`).
   */
  tokenCounting(): Promise<Array<{ id: string; counting: TokenCounting }>>;
  testModel(id: string, signal?: AbortSignal): Promise<{ ok: boolean; latencyMs: number; error?: string }>;
  discover(opts?: { host?: string; timeoutMs?: number }): Promise<DiscoveredServer[]>;
  /** The JSONL trajectory of a finished task (kept for the last few tasks). */
  trajectory(taskId: string): string | undefined;
  setPrivacyMode(mode: PrivacyMode): void;
  /**
   * The user's verdict on a finished task's answer (thumbs up/down; `none` withdraws it): evidence for
   * each model that served the task, in its role. Throws for a task it does not remember.
   */
  feedback(taskId: string, verdict: 'up' | 'down' | 'none'): Array<{ model: string; role: string }>;
  /** The quality estimates per model and role: prior, evidence, posterior mean (docs/ROUTING.md). */
  qualityStats(): QualityRow[];
  /** Forgets the evidence of one model, or of all; returns how many estimates were reset. */
  resetQuality(modelId?: string): number;
  /** The host's models (VS Code's Language Model API) join the pool beside the configured ones. */
  setHostModels(models: readonly HostModelEntry[]): void;
  dispose(): Promise<void>;
}
