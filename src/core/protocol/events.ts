// The engine's event stream: the one source of truth the CLI, the engine process, the extension and
// the panel all consume. Every event carries the task id and a monotonically increasing sequence.
//
// Merged deltas: consecutive `answer_delta`, `orchestrator_delta` or `tool_call_delta` events of one
// stream (same task, and same turn and parentCallId, or same callId) may be merged into one whose
// text is theirs concatenated and whose `seq` and `time` are those of the last delta merged. The
// engine process does this before sending (src/server/delta-coalescer.ts), and the panel's event log
// keeps a stream as one event. So `seq` always increases in the order events are delivered, but it
// may skip numbers: consumers must not expect consecutive values. An `answer_delta` with `reset`
// replaces the answer so far: merging one into earlier deltas keeps only its text and what follows.
import { z } from 'zod';

/** `writing`: the model is still writing the call (its name is known, its arguments are arriving). */
export const CallState = z.enum(['writing', 'queued', 'running', 'ok', 'error', 'timeout', 'denied', 'over_budget', 'cancelled']);
export type CallState = z.infer<typeof CallState>;

export const Usage = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  /**
   * True when the counts are not the server's own report: it reported none (or the stream was cut), so
   * Orchestra counted them (docs/BUDGET.md), exactly with the model's tokenizer or as an estimate.
   */
  estimated: z.boolean(),
  /** Prompt tokens the provider served from its cache (part of `inputTokens`), priced at the cached price. */
  cachedInputTokens: z.number().int().nonnegative().optional(),
  /** What the provider said the call cost (OpenRouter `usage.cost`, or the upstream cost with BYOK): the bill. */
  reportedDollars: z.number().nonnegative().optional(),
});
export type Usage = z.infer<typeof Usage>;

/** How a call's price is known when it is not by per-token prices: a subscription covers it, or nobody says. */
export const UnpricedKind = z.enum(['subscription', 'unknown']);
export type UnpricedKind = z.infer<typeof UnpricedKind>;
/** Calls whose cost is not in `dollars` (VS Code language models): counted per model, never shown as $0. */
export const UnpricedCalls = z.object({ model: z.string(), pricing: UnpricedKind, calls: z.number().int().positive() });
export type UnpricedCalls = z.infer<typeof UnpricedCalls>;

export const Totals = z.object({
  dollars: z.number().nonnegative(),
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  calls: z.number().int().nonnegative(),
  wallMs: z.number().nonnegative(),
  /** Model ids used in this task. */
  models: z.array(z.string()),
  /** Hosts that received data; empty means nothing left the machine. */
  remoteHosts: z.array(z.string()),
  estimated: z.boolean(),
  /** Calls on models whose price is a subscription or unknown: `dollars` does not include them. */
  unpriced: z.array(UnpricedCalls).optional(),
});
export type Totals = z.infer<typeof Totals>;

const base = {
  taskId: z.string(),
  /** Increases with every event of a task; gaps where deltas were merged (see above). */
  seq: z.number().int().nonnegative(),
  /** ms since epoch */
  time: z.number(),
};

export const TaskStarted = z.object({
  ...base,
  type: z.literal('task_started'),
  question: z.string(),
  dialect: z.enum(['general', 'toolorchestra']),
  orchestratorModel: z.string(),
  privacyMode: z.string(),
  budgetDollars: z.number(),
  /** For a sub-orchestration: the call id of the `delegate` call that spawned it. */
  parentCallId: z.string().optional(),
  /** What was attached to the question, for display (the text itself is not repeated here). */
  attachments: z
    .array(
      z.object({
        kind: z.enum(['selection', 'file']),
        path: z.string(),
        startLine: z.number().int().optional(),
        endLine: z.number().int().optional(),
      }),
    )
    .optional(),
});
export const TurnStarted = z.object({
  ...base,
  type: z.literal('turn_started'),
  turn: z.number().int(),
  parentCallId: z.string().optional(),
  /** Prompt tokens the turn sends the orchestrator (counted in its tokens, or estimated), and its context window. */
  contextTokens: z.number().int().nonnegative().optional(),
  contextWindow: z.number().int().positive().optional(),
});
export const OrchestratorDelta = z.object({
  ...base,
  type: z.literal('orchestrator_delta'),
  turn: z.number().int(),
  text: z.string(),
  parentCallId: z.string().optional(),
});
export const ToolCallStarted = z.object({
  ...base,
  type: z.literal('tool_call_started'),
  callId: z.string(),
  turn: z.number().int(),
  tool: z.string(),
  /** The model that serves the call, when the tool calls a model. */
  model: z.string().optional(),
  args: z.unknown(),
  state: CallState,
  /** The `delegate` call this belongs to, when it runs inside a subtask. */
  parentCallId: z.string().optional(),
});
/** Text arriving for a call's card: its arguments while the model writes it (`writing`), then its live output. */
export const ToolCallDelta = z.object({ ...base, type: z.literal('tool_call_delta'), callId: z.string(), text: z.string() });
/**
 * What a finished call's card shows: the result as the user wants to read it, without the framing
 * written for the model (untrusted-data fences, notes). `result` keeps what the model read.
 */
export const CallDisplay = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('text'), summary: z.string().optional(), text: z.string() }),
  /** A model's answer, rendered as Markdown; `notes` are the engine's remarks (fallback, cut reply). */
  z.object({ kind: z.literal('markdown'), text: z.string(), notes: z.array(z.string()).optional() }),
  z.object({
    kind: z.literal('code'),
    exitCode: z.number().int().nullable(),
    stdout: z.string(),
    stderr: z.string(),
    summary: z.string(),
  }),
  /** Workspace search hits, each line a link to file:line. */
  z.object({
    kind: z.literal('hits'),
    summary: z.string(),
    files: z.array(
      z.object({
        path: z.string(),
        matchCount: z.number().int().nonnegative(),
        lines: z.array(z.object({ line: z.number().int().positive(), text: z.string(), match: z.boolean() })),
      }),
    ),
  }),
  /** Lines of a workspace file, from `startLine`. */
  z.object({ kind: z.literal('file'), path: z.string(), startLine: z.number().int().positive(), summary: z.string(), text: z.string() }),
]);
export type CallDisplay = z.infer<typeof CallDisplay>;
export const ToolCallFinished = z.object({
  ...base,
  type: z.literal('tool_call_finished'),
  callId: z.string(),
  tool: z.string(),
  model: z.string().optional(),
  state: CallState,
  /** First ~500 characters of the result. */
  preview: z.string(),
  /** The full result text (capped at 64 KiB). */
  result: z.string(),
  error: z.string().optional(),
  usage: Usage.optional(),
  dollars: z.number().nonnegative(),
  /** Set when (part of) the call ran on a model whose price is a subscription or unknown: `dollars` leaves it out. */
  pricing: UnpricedKind.optional(),
  latencyMs: z.number().nonnegative(),
  /** The result for people (absent: show `result`); capped like `result`. */
  display: CallDisplay.optional(),
});
/** One candidate's score under the routing formula (docs/ROUTING.md) and its largest terms, as text. */
export const ModelScore = z.object({ model: z.string(), score: z.number(), reasons: z.array(z.string()) });
export type ModelScore = z.infer<typeof ModelScore>;

/**
 * Which model serves a call and why: its score's top reasons and the runner-up when it was ranked
 * for a role; or, on a fallback, the model that failed and why (shown as "A down → B", never silent).
 */
export const ModelChoice = z.object({
  ...base,
  type: z.literal('model_choice'),
  /** The tool call (its card) or the orchestrator turn the model serves. */
  callId: z.string(),
  turn: z.number().int(),
  parentCallId: z.string().optional(),
  model: z.string(),
  /** The role it was chosen for, when one was asked for. */
  role: z.string().optional(),
  /** `ranked`: the best score for the role; `named`: the orchestrator named it; `fallback`: `from` failed. */
  how: z.enum(['ranked', 'named', 'fallback']),
  score: z.number().optional(),
  /** The largest terms of its score, largest first. */
  reasons: z.array(z.string()),
  runnerUp: ModelScore.optional(),
  from: z.object({ model: z.string(), reason: z.string(), unreachable: z.boolean() }).optional(),
});

export const CostUpdate = z.object({ ...base, type: z.literal('cost_update'), totals: Totals, budgetLeft: z.number() });
export const AnswerDelta = z.object({
  ...base,
  type: z.literal('answer_delta'),
  text: z.string(),
  /**
   * The text replaces the answer streamed so far (empty: clears it). Sent when streamed text turns
   * out not to be the answer: a retried reply, or a preamble the orchestrator followed with a tool call.
   */
  reset: z.boolean().optional(),
});
export const ApprovalRequested = z.object({
  ...base,
  type: z.literal('approval_requested'),
  approvalId: z.string(),
  callId: z.string(),
  kind: z.enum(['run_code', 'paid_call', 'mcp_tool']),
  title: z.string(),
  /** The code or call in full, as the user must see it before deciding. */
  detail: z.string(),
  language: z.string().optional(),
});
export const ApprovalResolved = z.object({ ...base, type: z.literal('approval_resolved'), approvalId: z.string(), approved: z.boolean() });
export const TaskDone = z.object({
  ...base,
  type: z.literal('done'),
  answer: z.string(),
  totals: Totals,
  trajectoryPath: z.string().optional(),
});
export const TaskError = z.object({
  ...base,
  type: z.literal('error'),
  /** Says what failed, for the user. */
  message: z.string(),
  /**
   * `engine_down`: the engine process stopped mid-task; `interrupted`: the task did not end (the
   * window was reloaded or the engine went away), said by the editor when it finds the task's record
   * without an end. Both can be resumed.
   */
  code: z.enum([
    'cancelled',
    'budget',
    'turns',
    'wall_time',
    'no_model',
    'model_failed',
    'config',
    'internal',
    'engine_down',
    'interrupted',
  ]),
  totals: Totals,
});

/**
 * The user's verdict on a finished task's answer (the panel's thumbs; `none`: withdrawn), said after
 * the task ended: the quality evidence it gave each model that served the task (docs/ROUTING.md).
 */
export const TaskFeedback = z.object({
  ...base,
  type: z.literal('task_feedback'),
  verdict: z.enum(['up', 'down', 'none']),
  models: z.array(z.object({ model: z.string(), role: z.string() })),
});

export const EngineEvent = z.discriminatedUnion('type', [
  TaskStarted,
  TurnStarted,
  OrchestratorDelta,
  ToolCallStarted,
  ToolCallDelta,
  ToolCallFinished,
  ModelChoice,
  CostUpdate,
  AnswerDelta,
  ApprovalRequested,
  ApprovalResolved,
  TaskDone,
  TaskError,
  TaskFeedback,
]);
export type EngineEvent = z.infer<typeof EngineEvent>;
export type EngineEventType = EngineEvent['type'];
export type EventOf<T extends EngineEventType> = Extract<EngineEvent, { type: T }>;
