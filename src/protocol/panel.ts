// The one protocol between the Orchestra panel (webview-ui/) and the extension (src/extension/panel/).
// Messages in both directions are described here with zod. The extension validates everything the
// webview sends (`parsePanelMessage`) before acting on it; the webview imports only the types (so no
// zod lands in the panel bundle) and trusts the extension, which builds its messages from validated
// engine events.
import { z } from 'zod';
import { PrivacyMode } from '../core/config';
import { EngineEvent } from '../core/protocol/events';

const shortId = z.string().min(1).max(200);

export const PanelAttachment = z.object({
  kind: z.enum(['selection', 'file']),
  path: z.string().max(4096),
  text: z.string().max(2_000_000),
  language: z.string().max(100).optional(),
  startLine: z.number().int().nonnegative().optional(),
  endLine: z.number().int().nonnegative().optional(),
});
export type PanelAttachment = z.infer<typeof PanelAttachment>;

/** Commands a panel button can trigger; the extension maps each to its VS Code command. */
export const PanelCommand = z.enum(['addModel', 'discover', 'retryEngine', 'openSettings', 'downloadLocalModel', 'useLocalModelFile']);
export type PanelCommand = z.infer<typeof PanelCommand>;

/** Only web links leave the panel; everything else (javascript:, file:, command:, data:) is refused. */
export const WebLink = z
  .string()
  .max(8192)
  .refine((u) => {
    try {
      const p = new URL(u).protocol;
      return p === 'http:' || p === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL');

/** A workspace-relative path: no scheme, not absolute, no `..` segment, no NUL (the extension resolves it in a workspace folder). */
export const WorkspacePath = z
  .string()
  .min(1)
  .max(4096)
  .refine(
    (p) => !/^(?:[A-Za-z][A-Za-z0-9+.-]*:|[\\/])/.test(p) && !p.split(/[\\/]/).includes('..') && !p.includes('\0'),
    'must be a path inside the workspace',
  );

// ── Panel → extension ──────────────────────────────────────────────────────────────────────────

export const PanelToExtension = z.discriminatedUnion('type', [
  /** The panel script loaded and listens; the extension answers with `restore` and the latest `status`. */
  z.object({ type: z.literal('ready') }),
  z.object({
    type: z.literal('ask'),
    question: z.string().trim().min(1, 'the question is empty').max(200_000),
    attachments: z.array(PanelAttachment).max(50).default([]),
    /** An earlier question edited and sent again: the conversation branches at that task. */
    editOf: shortId.optional(),
  }),
  /** Ask a task's question again (a new branch), optionally with another orchestrator model. */
  z.object({ type: z.literal('retry'), taskId: shortId, orchestratorModel: shortId.optional() }),
  /** Show the branch that goes through this task (one of the answers to its place). */
  z.object({ type: z.literal('selectBranch'), taskId: shortId }),
  /** Run an interrupted or stopped task again from its record: only what did not finish is asked again. */
  z.object({ type: z.literal('resume'), taskId: shortId }),
  z.object({ type: z.literal('cancel'), taskId: shortId }),
  /** Stop one running tool call or subtask (its card's Stop button); the task goes on. */
  z.object({ type: z.literal('cancelCall'), taskId: shortId, callId: shortId }),
  /** The user's verdict on a finished task's answer (its thumbs; `none` withdraws it): quality evidence (docs/ROUTING.md). */
  z.object({ type: z.literal('feedback'), taskId: shortId, verdict: z.enum(['up', 'down', 'none']) }),
  z.object({ type: z.literal('approve'), approvalId: shortId, approved: z.boolean() }),
  z.object({ type: z.literal('setPrivacyMode'), mode: PrivacyMode }),
  /** Make a pool member the orchestrator (`orchestrator.model`) from the next question on: the composer's picker. */
  z.object({ type: z.literal('setOrchestrator'), model: shortId }),
  /** The picker's "Automatic": clear `orchestrator.model` where it takes effect, so the engine picks the orchestrator. */
  z.object({ type: z.literal('setOrchestratorAutomatic') }),
  z.object({ type: z.literal('setBudget'), dollars: z.number().finite().nonnegative().max(10_000) }),
  z.object({ type: z.literal('insertCode'), code: z.string().max(2_000_000), language: z.string().max(100).optional() }),
  z.object({ type: z.literal('applyCode'), code: z.string().max(2_000_000), language: z.string().max(100).optional() }),
  z.object({ type: z.literal('copy'), text: z.string().max(2_000_000) }),
  z.object({ type: z.literal('openLink'), url: WebLink }),
  /** Open a workspace file (a search hit's link) at a line: a relative path inside the workspace, never absolute or climbing out. */
  z.object({ type: z.literal('openFile'), path: WorkspacePath, line: z.number().int().positive().max(100_000_000).optional() }),
  z.object({ type: z.literal('runCommand'), command: PanelCommand }),
  /** Archive the current conversation into history and start an empty one. */
  z.object({ type: z.literal('newConversation') }),
  z.object({ type: z.literal('deleteHistory'), conversationId: shortId }),
  /** Show an earlier conversation (read-only) with its cards. */
  z.object({ type: z.literal('openConversation'), conversationId: shortId }),
  /** Make an earlier conversation the current one, to ask follow-ups in it. */
  z.object({ type: z.literal('continueConversation'), conversationId: shortId }),
  /** Open a conversation as a Markdown document. */
  z.object({ type: z.literal('exportConversation'), conversationId: shortId }),
]);
export type PanelToExtension = z.infer<typeof PanelToExtension>;

/**
 * Validates a message from the webview. Returns the message, or an error naming what is wrong
 * (e.g. `setBudget.dollars: Too small: expected number to be >=0`).
 */
export function parsePanelMessage(raw: unknown): { ok: true; message: PanelToExtension } | { ok: false; error: string } {
  const r = PanelToExtension.safeParse(raw);
  if (r.success) return { ok: true, message: r.data };
  const type =
    raw && typeof raw === 'object' && typeof (raw as { type?: unknown }).type === 'string' ? (raw as { type: string }).type : '(no type)';
  const detail = r.error.issues.map((i) => `${[type, ...i.path.map(String)].join('.')}: ${i.message}`).join('; ');
  return { ok: false, error: `invalid panel message: ${detail}` };
}

// ── Extension → panel ──────────────────────────────────────────────────────────────────────────

export const EngineState = z.enum(['starting', 'ready', 'down']);
export type EngineState = z.infer<typeof EngineState>;

/** A model of the pool as the engine sees it (the header's "Models" list). */
export const PanelModel = z.object({
  id: z.string(),
  local: z.boolean(),
  openWeights: z.boolean(),
  roles: z.array(z.string()),
  inputPricePerMillion: z.number().nonnegative(),
  outputPricePerMillion: z.number().nonnegative(),
  /** Measured moving average; absent until the first call. */
  latencyMs: z.number().nonnegative().optional(),
  eligible: z.boolean(),
  /** Why the current privacy mode or preferences exclude it. */
  ineligibleReason: z.string().optional(),
  /** How its tool calls are read (`auto`, `native` or a format), with the format its name shows under `auto`. */
  toolCallFormat: z.string().optional(),
  detectedToolCallFormat: z.string().optional(),
});
export type PanelModel = z.infer<typeof PanelModel>;

/** A GGUF file named by `orchestra.local`, served by the embedded runtime or not (then `problem` says why). */
export const PanelLocalModel = z.object({
  id: z.string(),
  file: z.string(),
  served: z.boolean(),
  sizeBytes: z.number().nonnegative().optional(),
  architecture: z.string().optional(),
  parameterLabel: z.string().optional(),
  quantization: z.string().optional(),
  trainedContextLength: z.number().int().nonnegative().optional(),
  fits: z.boolean().optional(),
  memorySummary: z.string().optional(),
  problem: z.string().optional(),
});
export type PanelLocalModel = z.infer<typeof PanelLocalModel>;

export const PanelStatus = z.object({
  privacyMode: PrivacyMode,
  /** The per-task cap (`budget.maxDollarsPerTask`). */
  budgetDollars: z.number().nonnegative(),
  /** Dollars spent in this VS Code session, all tasks together. */
  sessionDollars: z.number().nonnegative(),
  engine: z.object({ state: EngineState, message: z.string().optional() }),
  /** Configured models (settings plus embedded local models); 0 shows the "add a model" state. */
  modelCount: z.number().int().nonnegative(),
  /** Settings problems, each naming its field path (and the config file it is in, when it is in one). */
  problems: z.array(z.object({ path: z.string(), message: z.string(), source: z.string().optional() })),
  /**
   * True while the settings are invalid: no task runs (a misspelt or invalid key may have been meant
   * to make a rule stricter), so the panel shows the problems as an error and cannot send.
   */
  settingsInvalid: z.boolean().optional(),
  /** The orchestrator for the next question: `orchestrator.model`, else the automatic choice. */
  orchestratorModel: z.string().optional(),
  /**
   * The picker's "Automatic" entry: whether it is in force (`orchestrator.model` empty where it takes
   * effect), the model it resolves to now (absent: no model is eligible), and why choosing it would be
   * refused now (orchestra.json names a model), absent when it may be chosen.
   */
  automaticOrchestrator: z.object({ active: z.boolean(), model: z.string().optional(), refusal: z.string().optional() }).optional(),
  /**
   * The privacy modes the composer's chip cannot switch to now, each with the reason (a stricter
   * orchestra.json or user value, an untrusted workspace's own value); absent or empty: any.
   */
  privacyRefusals: z.partialRecord(PrivacyMode, z.string()).optional(),
  /** The pool as the engine last reported it; absent until the engine has answered. */
  models: z.array(PanelModel).optional(),
  /** The local GGUF models the settings name. */
  localModels: z.array(PanelLocalModel).optional(),
});
export type PanelStatus = z.infer<typeof PanelStatus>;

export const PanelApproval = z.object({
  approvalId: shortId,
  taskId: z.string(),
  callId: z.string(),
  kind: z.enum(['run_code', 'paid_call', 'mcp_tool']),
  title: z.string(),
  detail: z.string(),
  language: z.string().optional(),
});
export type PanelApproval = z.infer<typeof PanelApproval>;

/** A conversation in the history list: what it was about, when, what it cost, which models answered. */
export const ConversationSummary = z.object({
  id: z.string(),
  startedAt: z.number(),
  /** Last activity (the newest task's end, or start). */
  updatedAt: z.number().optional(),
  /** First question, for the history list. */
  title: z.string(),
  dollars: z.number().nonnegative(),
  taskCount: z.number().int().nonnegative(),
  models: z.array(z.string()).default([]),
});
export type ConversationSummary = z.input<typeof ConversationSummary>;

/** A conversation with its events (the branch shown), compacted: deltas merged, long results cut. */
export const ConversationRecord = ConversationSummary.extend({ events: z.array(EngineEvent) });
export type ConversationRecord = z.input<typeof ConversationRecord>;

/** For a task that has other answers to its place (edited questions, retries): all of them, and which is shown. */
export const BranchInfo = z.object({ siblings: z.array(z.string()), index: z.number().int().nonnegative() });
export type BranchInfo = z.infer<typeof BranchInfo>;

export const ExtensionToPanel = z.discriminatedUnion('type', [
  z.object({ type: z.literal('event'), event: EngineEvent }),
  /** Several events at once (the extension batches bursts of deltas). */
  z.object({ type: z.literal('events'), events: z.array(EngineEvent) }),
  z.object({ type: z.literal('status'), status: PanelStatus }),
  /** An approval the engine waits for; also derivable from `approval_requested` events (deduplicated by id). */
  z.object({ type: z.literal('approval'), approval: PanelApproval }),
  /** The approval was answered elsewhere (e.g. the modal dialog) or timed out. */
  z.object({ type: z.literal('approvalResolved'), approvalId: z.string(), approved: z.boolean() }),
  /**
   * The extension's copy of the current conversation (the branch shown) and the history list;
   * replaces what the panel shows. `branches` lists the tasks that have siblings; `resumable` the
   * interrupted or stopped tasks whose record allows Resume.
   */
  z.object({
    type: z.literal('restore'),
    current: ConversationRecord,
    history: z.array(ConversationSummary),
    branches: z.record(z.string(), BranchInfo).default({}),
    resumable: z.array(z.string()).default([]),
    /** The conversation is recorded (task journals): interrupted or stopped tasks can be resumed. */
    recorded: z.boolean().default(false),
  }),
  /** An earlier conversation to show read-only (answer to `openConversation`). */
  z.object({ type: z.literal('conversation'), record: ConversationRecord }),
  /** The question just sent could not start a task (engine down, model setup dismissed, invalid); the panel drops its "Sending…" and shows why. */
  z.object({ type: z.literal('askFailed'), message: z.string() }),
  /**
   * What a switch in the composer did (privacy mode, orchestrator): written where it takes effect, or
   * refused with the reason (a stricter orchestra.json, an untrusted workspace, a model the rules exclude).
   */
  z.object({
    type: z.literal('settingResult'),
    setting: z.enum(['privacyMode', 'orchestrator.model']),
    ok: z.boolean(),
    message: z.string(),
  }),
  /** Scrolls to a task and shows its tool calls (opened from the Chat view). */
  z.object({ type: z.literal('revealTask'), taskId: z.string() }),
  /** Prefill the question box (e.g. "Ask about selection" with the selection attached). */
  z.object({
    type: z.literal('compose'),
    question: z.string().optional(),
    attachments: z.array(PanelAttachment).default([]),
    focus: z.boolean().default(true),
  }),
]);
export type ExtensionToPanel = z.input<typeof ExtensionToPanel>;
