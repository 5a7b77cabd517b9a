// The harness both dialects share. A `TaskTree` holds what one task and all its subtasks share (event
// sequence, ledger, root budget, concurrency limiter, cancellation); a `Scope` is one orchestration
// inside it (the task, or a delegated subtask) with its own budget share and turn limit. Every model
// call goes through `Scope.callModel` (hard rules, soft-limit approval, budget reservation and
// maxTokens lowering, ledger) and every tool call through `Scope.executeCalls` (validation, rules,
// approval, concurrency, timeout, explicit state).
import type OpenAI from 'openai';
import { z } from 'zod';
import type { OrchestraConfig } from '../config';
import type { EngineHost } from '../engine-api';
import type { CallState, EngineEvent, Totals, UnpricedKind, Usage } from '../protocol/events';
import { unpricedLabel } from '../protocol/cost-text';
import type { ApprovalRequest, Tool, ToolContext, ToolResult } from '../tools/tool';
import type { ParsedToolCall } from '../toolcalls';
import {
  ModelCallError,
  dollarsFor,
  estimateMessagesTokens,
  estimateTokens,
  toolsJsonSize,
  type AttemptDecision,
  type ChatAttempt,
  type ChatDelta,
  type ChatRequest,
  type ChatResult,
  type ModelPool,
  type PoolModel,
} from '../pool';
import { Budget, MIN_ANSWER_TOKENS, fmtDollars, planModelCall, type Reservation } from '../budget';
import { Ledger, sumUsage, unknownCostPart, type UsagePart } from '../ledger';
import { Limiter } from './limiter';
import { modelVerdict, toolVerdict, destinationOf, type Verdict } from '../preferences';
import { newId } from '../ids';
import type { TrajectoryWriter } from '../trajectory';
import { fallbackChoice } from '../routing/choice';
import type { QualitySource } from '../routing/prior';

/** Event fields the tree fills in itself. */
type EventBody = EngineEvent extends infer E ? (E extends EngineEvent ? Omit<E, 'taskId' | 'seq' | 'time'> : never) : never;

export type TaskEndCode = 'cancelled' | 'budget' | 'turns' | 'wall_time' | 'no_model' | 'model_failed' | 'config' | 'internal';

/** Thrown to end a scope (or the whole task) with a coded failure. */
export class TaskFailure extends Error {
  constructor(
    readonly code: TaskEndCode,
    message: string,
  ) {
    super(message);
    this.name = 'TaskFailure';
  }
}

/** Prompt tokens are estimated from text; pad the estimate so the budget check stays on the safe side. */
export function paddedPromptTokens(messages: unknown[], tools?: unknown[]): number {
  return Math.ceil(estimateMessagesTokens(messages, tools) * 1.15) + 16;
}

/**
 * A hard upper bound on the prompt tokens a server can count for these messages: a token of a
 * byte-level tokenizer covers at least one byte, and the JSON form is longer than the text it holds
 * (its keys and quotes stand in for the chat template's few tokens per message). Tool definitions
 * get an allowance for the instructions templates wrap around them. The budget reserves against this
 * bound, so a server that counts more tokens than the estimate cannot push spend past the cap.
 */
export function promptTokenBound(messages: unknown[], tools?: unknown[]): number {
  const toolBytes = tools && tools.length ? toolsJsonSize(tools).bytes + 256 : 0;
  return Buffer.byteLength(JSON.stringify(messages)) + toolBytes + 32;
}

/**
 * Usage as recorded: what the server reported, unless that is more than the request could produce
 * (output beyond the max_tokens sent, or a prompt beyond its byte bound) — then the bound, so
 * recorded spend stays within what was reserved. Returns whether it had to clamp.
 */
export function boundedUsage(reported: Usage, promptBound: number, maxTokens: number): { usage: Usage; clamped: boolean } {
  if (reported.inputTokens <= promptBound && reported.outputTokens <= maxTokens) return { usage: reported, clamped: false };
  const inputTokens = Math.min(reported.inputTokens, promptBound);
  // Cached tokens and a reported cost stay: the provider's bill is what it is (see dollarsFor).
  const cached = reported.cachedInputTokens !== undefined ? { cachedInputTokens: Math.min(reported.cachedInputTokens, inputTokens) } : {};
  return {
    usage: { ...reported, inputTokens, outputTokens: Math.min(reported.outputTokens, maxTokens), estimated: true, ...cached },
    clamped: true,
  };
}

/**
 * The usage a paid call is settled at when the server reported none: the estimate (about four
 * characters a token) can be several times low (CJK text, code), so it is raised to the hard bounds
 * instead — the prompt's byte bound and the bytes the model produced, capped at the max tokens sent.
 * That never exceeds the reserved worst case, and never falls below what the server can have billed.
 */
export function conservativeUsage(estimate: Usage, promptBound: number, maxTokens: number, outputBytes: number): Usage {
  return {
    ...estimate,
    inputTokens: Math.max(estimate.inputTokens, promptBound),
    outputTokens: Math.min(maxTokens, Math.max(estimate.outputTokens, outputBytes)),
    estimated: true,
  };
}

/** A part's price marker for a model whose price is a subscription or unknown (nothing for listed prices). */
function unpricedOf(m: PoolModel): Pick<UsagePart, 'pricing'> {
  return m.pricing && m.pricing !== 'listed' ? { pricing: m.pricing } : {};
}

function isPaid(m: { inputPricePerMillion: number; outputPricePerMillion: number }): boolean {
  return m.inputPricePerMillion > 0 || m.outputPricePerMillion > 0;
}

/**
 * A failed paid attempt with no usage whose cost is unknown rather than $0: it timed out or answered
 * unreadably, so the server may have processed (and billed) it. HTTP errors and unreachable servers
 * processed nothing.
 */
function costUnknown(m: { inputPricePerMillion: number; outputPricePerMillion: number }, a: ChatAttempt): boolean {
  return !a.usage && isPaid(m) && (a.kind === 'timeout' || a.kind === 'bad_response');
}

/**
 * The budget reserves a call's worst case at list prices before it is sent; a provider's reported
 * bill can still exceed that (its prices changed, or differ from those configured). The bill is
 * recorded as it is — the ledger must match what is paid — and the overrun is said aloud.
 */
function overReservationWarning(modelId: string, usage: Usage, dollars: number, reserved: number): string | undefined {
  if (usage.reportedDollars === undefined || dollars <= reserved) return undefined;
  return `${modelId} reported a cost of $${fmtDollars(dollars)}, more than the $${fmtDollars(reserved)} reserved for the call at the configured prices; recorded as reported (check the model's prices)`;
}

const RESULT_EVENT_CAP = 64 * 1024;
const PREVIEW_CHARS = 500;
/** What one tool result may put into the orchestrator's context. */
const OBSERVATION_CAP = 24_000;

export interface TaskTreeOptions {
  taskId: string;
  config: OrchestraConfig;
  pool: ModelPool;
  host: EngineHost;
  workspace: string;
  emit: (e: EngineEvent) => void;
  trajectory: TrajectoryWriter;
  signal: AbortSignal;
  /**
   * The engine's configuration now. Rules may tighten while a task runs (a stricter privacy mode, a
   * model or tool added to a deny list): each call is judged against both this and the task's start.
   */
  currentConfig?: () => OrchestraConfig;
  /** The quality estimates model choices read (routing/quality.ts); the priors alone when absent. */
  quality?: QualitySource;
}

export class TaskTree {
  readonly taskId: string;
  readonly config: OrchestraConfig;
  readonly pool: ModelPool;
  readonly host: EngineHost;
  readonly workspace: string;
  readonly ledger: Ledger;
  readonly limiter: Limiter;
  readonly budget: Budget;
  readonly signal: AbortSignal;
  readonly trajectory: TrajectoryWriter;
  readonly quality?: QualitySource;
  /** The task's final answer as it streams (answer_delta events); see AnswerStream. */
  readonly answerStream: AnswerStream;
  /** Subtask call ids and their task text, for the trajectory's per-subtask totals. */
  readonly subtasks: Array<{ callId: string; parentCallId?: string; task: string }> = [];
  private seq = 0;
  private readonly sink: (e: EngineEvent) => void;
  /** Once the user approved paid calls past the soft limit, later ones go through. */
  private paidApproval?: Promise<boolean>;
  /** Running tool calls and subtasks by call id, so the user can stop one (`cancelCall`). */
  private readonly runningCalls = new Map<string, AbortController>();
  private readonly currentConfig: () => OrchestraConfig;

  constructor(o: TaskTreeOptions) {
    this.taskId = o.taskId;
    this.config = o.config;
    this.pool = o.pool;
    this.host = o.host;
    this.workspace = o.workspace;
    this.signal = o.signal;
    this.trajectory = o.trajectory;
    this.sink = o.emit;
    this.currentConfig = o.currentConfig ?? (() => o.config);
    this.quality = o.quality;
    this.ledger = new Ledger();
    this.limiter = new Limiter(o.config.concurrency);
    this.budget = new Budget(o.config.budget.maxDollarsPerTask);
    this.answerStream = new AnswerStream((text) => this.emit({ type: 'answer_delta', text }));
  }

  emit(body: EventBody): EngineEvent {
    // Absent, not undefined: events read back from JSON (trajectories, the engine process) compare equal.
    // Copied key by key rather than deleted afterwards: `delete` turns the object into a slow
    // dictionary, and every event is serialised at least twice (trajectory, JSON-RPC).
    const event: Record<string, unknown> = {};
    for (const k in body) {
      const v = (body as Record<string, unknown>)[k];
      if (v !== undefined) event[k] = v;
    }
    event.taskId = this.taskId;
    event.seq = this.seq++;
    event.time = Date.now();
    this.sink(event as EngineEvent);
    return event as EngineEvent;
  }

  totals(): Totals {
    return this.ledger.totals();
  }

  /** The hard rules for a model under the task's start config and the engine's current one (the stricter wins). */
  modelVerdict(m: PoolModel): Verdict {
    const atStart = modelVerdict(m, this.config);
    if (!atStart.eligible) return atStart;
    const now = this.currentConfig();
    return now === this.config ? atStart : modelVerdict(m, now);
  }

  /** The hard rules for a tool call, judged the same way as `modelVerdict`. */
  toolVerdict(tool: Tool, args?: unknown): Verdict {
    const atStart = toolVerdict(tool, this.config, args);
    if (!atStart.eligible) return atStart;
    const now = this.currentConfig();
    return now === this.config ? atStart : toolVerdict(tool, now, args);
  }

  emitCost(): void {
    this.emit({ type: 'cost_update', totals: this.totals(), budgetLeft: this.budget.left });
  }

  /** Throws the right TaskFailure when the task was cancelled or ran out of wall time. */
  checkAlive(): void {
    if (this.signal.aborted) throw abortFailure(this.signal);
  }

  /** Makes a running call stoppable by id until the returned function is called. */
  trackCall(callId: string, controller: AbortController): () => void {
    this.runningCalls.set(callId, controller);
    return () => {
      if (this.runningCalls.get(callId) === controller) this.runningCalls.delete(callId);
    };
  }

  /**
   * Stops one running tool call or subtask (with everything under it); the task goes on and the
   * orchestrator reads that the user cancelled it. False when no such call is running.
   */
  cancelCall(callId: string): boolean {
    const c = this.runningCalls.get(callId);
    if (!c || c.signal.aborted) return false;
    c.abort(new TaskFailure('cancelled', CANCELLED_BY_USER));
    return true;
  }

  /** Asks the host, with the approval events around it; denies when the task is aborted meanwhile. */
  async requestApproval(callId: string, req: ApprovalRequest, signal: AbortSignal): Promise<boolean> {
    const approvalId = newId('appr');
    this.emit({
      type: 'approval_requested',
      approvalId,
      callId,
      kind: req.kind,
      title: req.title,
      detail: req.detail,
      language: req.language,
    });
    let approved: boolean;
    try {
      approved = await raceAbort(Promise.resolve(this.host.requestApproval({ ...req, taskId: this.taskId, callId, approvalId })), signal);
    } catch (err) {
      if (!signal.aborted) this.host.log?.('warn', `approval request failed: ${(err as Error).message}`);
      approved = false;
    }
    this.emit({ type: 'approval_resolved', approvalId, approved: approved === true });
    return approved === true;
  }

  /** Paid calls past `softLimitDollars` need the user's yes once per task. */
  async approvePaidCall(callId: string, model: PoolModel, signal: AbortSignal): Promise<boolean> {
    const soft = this.config.budget.softLimitDollars;
    const paid = model.inputPricePerMillion > 0 || model.outputPricePerMillion > 0;
    if (!paid || soft <= 0 || this.budget.spent + this.budget.reserved < soft) return true;
    this.paidApproval ??= this.requestApproval(
      callId,
      {
        kind: 'paid_call',
        title: `Continue with paid models past $${fmtDollars(soft)}?`,
        detail: `This task has spent $${fmtDollars(this.budget.spent)} (soft limit $${fmtDollars(soft)}, hard cap $${fmtDollars(this.config.budget.maxDollarsPerTask)}). Next paid call: ${model.id} ($${model.inputPricePerMillion}/$${model.outputPricePerMillion} per million tokens in/out). Approving allows further paid calls in this task up to the hard cap.`,
      },
      signal,
    );
    return this.paidApproval;
  }
}

/**
 * The final answer streamed as `answer_delta` events while the model writing it streams. Only text
 * that extends what was already sent goes out, so a retried or diverging stream never garbles it;
 * `finish` sends whatever the final answer adds (all of it when nothing streamed). The `done` event
 * carries the whole answer and stays authoritative.
 */
export class AnswerStream {
  private streamed = '';
  constructor(private readonly send: (text: string) => void) {}

  /** `visible` is the whole answer text known so far. */
  update(visibleSoFar: string): void {
    // Only whole words go out: secrets are scrubbed event by event, so a key must never be split
    // across two deltas. The word still arriving waits for the next piece (or `finish`).
    const lastSpace = Math.max(visibleSoFar.lastIndexOf(' '), visibleSoFar.lastIndexOf('\n'), visibleSoFar.lastIndexOf('\t'));
    const visible = visibleSoFar.slice(0, lastSpace + 1);
    if (visible.length > this.streamed.length && visible.startsWith(this.streamed)) {
      const delta = visible.slice(this.streamed.length);
      this.streamed = visible;
      this.send(delta);
    }
  }

  finish(answer: string): void {
    if (answer.length > this.streamed.length && answer.startsWith(this.streamed)) this.send(answer.slice(this.streamed.length));
    this.streamed = answer;
  }
}

/** The value of a JSON string field read from JSON still being streamed (what has arrived of it so far). */
export function partialJsonStringField(json: string, field: string): string | undefined {
  const m = new RegExp(`"${field}"\\s*:\\s*"`).exec(json);
  if (!m) return undefined;
  const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '"': '"', '\\': '\\', '/': '/' };
  let out = '';
  for (let i = m.index + m[0].length; i < json.length;) {
    const c = json[i];
    if (c === '"') break;
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    // An escape cut at the end of what has arrived waits for the next piece.
    if (i + 1 >= json.length) break;
    const e = json[i + 1];
    if (e === 'u') {
      if (i + 6 > json.length) break;
      out += String.fromCharCode(parseInt(json.slice(i + 2, i + 6), 16));
      i += 6;
    } else {
      out += escapes[e] ?? e;
      i += 2;
    }
  }
  return out;
}

/** The text inside <answer>…</answer> streamed so far (without a tag cut at the end); undefined before the tag. */
export function partialTaggedAnswer(text: string): string | undefined {
  const open = /<answer>/i.exec(text);
  if (!open) return undefined;
  let body = text.slice(open.index + open[0].length);
  const close = body.search(/<\/answer>/i);
  if (close >= 0) body = body.slice(0, close);
  else {
    // Hold back a partial closing tag ("</ans") until it is known not to be one.
    const lt = body.lastIndexOf('<');
    if (lt >= 0 && '</answer>'.startsWith(body.slice(lt).toLowerCase())) body = body.slice(0, lt);
  }
  return body.replace(/^\s+/, '');
}

export interface ScopeOptions {
  budget: Budget;
  maxTurns: number;
  depth: number;
  /** The `subtask` call this scope runs under; undefined for the task itself. */
  parentCallId?: string;
  /** Stops this scope and everything under it (a cancelled subtask); the task's signal when omitted. */
  signal?: AbortSignal;
}

export type FailedCallState = 'error' | 'timeout' | 'denied' | 'over_budget' | 'cancelled';

export type ModelCallOutcome =
  | {
      ok: true;
      result: ChatResult;
      model: PoolModel;
      parts: UsagePart[];
      dollars: number;
      remoteHosts: string[];
      maxTokens: number;
      lowered: boolean;
    }
  | { ok: false; state: FailedCallState; message: string; parts: UsagePart[]; dollars: number; remoteHosts: string[]; model?: PoolModel };

export interface ModelCallOptions {
  /** The ledger/event call this model call belongs to (an orchestrator turn or a tool call). */
  callId: string;
  turn: number;
  /** 'orchestrator' or the calling tool's name; recorded in the trajectory. */
  purpose: string;
  signal: AbortSignal;
  onDelta?: (d: ChatDelta) => void;
  /** Allow the pool to fall back to another eligible model of an overlapping role. */
  fallback?: boolean;
}

export interface Observation {
  callId: string;
  /** The id the model gave the call (native tool_call id). */
  modelCallId: string;
  tool: string;
  state: CallState;
  output: string;
  error?: string;
  data?: unknown;
  model?: string;
  usage?: Usage;
  dollars: number;
  /** Set when the call ran on a model whose price is a subscription or unknown (`dollars` leaves it out). */
  pricing?: UnpricedKind;
  latencyMs: number;
  args?: unknown;
  /** False when the call was refused before the tool ran (unknown, invalid, denied, unapproved). */
  ran: boolean;
}

/** Per-call accounting a tool fills while it runs (model parts, remote hosts). */
export interface CallMeter {
  parts: UsagePart[];
  remoteHosts: Set<string>;
  model?: string;
  /** The turn the call was made in (for model calls a tool makes). */
  turn?: number;
}

export class Scope {
  readonly budget: Budget;
  readonly maxTurns: number;
  readonly depth: number;
  readonly parentCallId?: string;
  /** Aborted when the task stops or this scope's subtask is cancelled. */
  readonly signal: AbortSignal;
  /** Orchestrator turns taken so far in this scope. */
  turnsUsed = 0;
  private readonly meters = new Map<string, CallMeter>();

  constructor(
    readonly tree: TaskTree,
    o: ScopeOptions,
  ) {
    this.budget = o.budget;
    this.maxTurns = o.maxTurns;
    this.depth = o.depth;
    this.parentCallId = o.parentCallId;
    this.signal = o.signal ?? tree.signal;
  }

  get config(): OrchestraConfig {
    return this.tree.config;
  }

  /** Throws the right TaskFailure when the task stopped or this scope's subtask was cancelled. */
  checkAlive(): void {
    this.tree.checkAlive();
    if (this.signal.aborted) throw abortFailure(this.signal);
  }

  /** The meter of a running call, so model-backed tools can attribute their model usage to it. */
  meter(callId: string): CallMeter {
    let m = this.meters.get(callId);
    if (!m) {
      m = { parts: [], remoteHosts: new Set() };
      this.meters.set(callId, m);
    }
    return m;
  }

  /**
   * One model call under every rule: eligibility, soft-limit approval, the worst case reserved from
   * the budget (maxTokens lowered to fit), fallback only to models that obey the same rules and fit
   * the same reservation. Never throws for model failures: the outcome says what happened.
   */
  async callModel(modelId: string, req: ChatRequest, o: ModelCallOptions): Promise<ModelCallOutcome> {
    const tree = this.tree;
    const config = tree.config;
    const none = { parts: [] as UsagePart[], dollars: 0, remoteHosts: [] as string[] };
    const model = tree.pool.get(modelId);
    if (!model)
      return {
        ok: false,
        state: 'error',
        message: `unknown model "${modelId}"; known: ${
          tree.pool
            .all()
            .map((m) => m.id)
            .join(', ') || 'none'
        }`,
        ...none,
      };
    const verdict = tree.modelVerdict(model);
    if (!verdict.eligible)
      return { ok: false, state: 'denied', message: `denied by rule ${verdict.rule}: ${verdict.reason}`, model, ...none };
    if (o.signal.aborted) return { ok: false, state: 'cancelled', message: 'cancelled before the call was sent', model, ...none };
    if (!(await tree.approvePaidCall(o.callId, model, o.signal))) {
      return {
        ok: false,
        state: 'denied',
        message: `denied by rule budget.softLimitDollars: the user did not approve paid calls past $${fmtDollars(config.budget.softLimitDollars)}`,
        model,
        ...none,
      };
    }

    const promptTokens = paddedPromptTokens(req.messages, req.tools);
    // The context check uses the estimate; money is reserved against the hard bound.
    const promptBound = Math.max(promptTokens, promptTokenBound(req.messages, req.tools));
    const desiredFor = (m: PoolModel) => Math.min(req.maxTokens ?? m.maxOutputTokens, m.maxOutputTokens, m.contextWindow - promptTokens);
    if (model.contextWindow - promptTokens < MIN_ANSWER_TOKENS) {
      return {
        ok: false,
        state: 'error',
        message: `the prompt (about ${promptTokens} tokens) does not fit the context window of ${model.id} (${model.contextWindow} tokens)`,
        model,
        ...none,
      };
    }
    const plan = planModelCall(this.budget.left, model, promptBound, desiredFor(model));
    if (!plan.ok) return { ok: false, state: 'over_budget', message: `${model.id}: ${plan.reason}`, model, ...none };
    const firstReservation = this.budget.reserve(plan.worstCaseDollars);
    if (!firstReservation)
      return {
        ok: false,
        state: 'over_budget',
        message: `${model.id}: over budget: $${fmtDollars(this.budget.left)} left, the call may cost $${fmtDollars(plan.worstCaseDollars)}`,
        model,
        ...none,
      };

    // Every attempt (the first, each retry, each fallback) is paid for on its own: its worst case is
    // reserved right before it is sent, and what it consumed is settled, priced by its own model.
    let current: { model: PoolModel; reservation: Reservation; maxTokens: number; lowered: boolean } = {
      model,
      reservation: firstReservation,
      maxTokens: plan.maxTokens,
      lowered: plan.lowered,
    };
    const failedParts: UsagePart[] = [];
    const settledUsageOf = (m: PoolModel, usage: Usage, maxTokens: number, outputBytes: number): Usage => {
      const bounded = boundedUsage(usage, promptBound, maxTokens).usage;
      return usage.estimated && isPaid(m) ? conservativeUsage(bounded, promptBound, maxTokens, outputBytes) : bounded;
    };
    const beforeAttempt = ({ model: m }: { model: PoolModel; retry: boolean }): AttemptDecision => {
      const v = tree.modelVerdict(m);
      if (!v.eligible) return { refused: `denied by rule ${v.rule}: ${v.reason}` };
      if (o.signal.aborted) return { refused: 'cancelled' };
      if (m.contextWindow - promptTokens < MIN_ANSWER_TOKENS) return { refused: `the prompt does not fit the context window of ${m.id}` };
      const p = planModelCall(this.budget.left, m, promptBound, desiredFor(m));
      if (!p.ok) return { refused: p.reason };
      const r = this.budget.reserve(p.worstCaseDollars);
      if (!r)
        return { refused: `over budget: $${fmtDollars(this.budget.left)} left, the attempt may cost $${fmtDollars(p.worstCaseDollars)}` };
      current = { model: m, reservation: r, maxTokens: p.maxTokens, lowered: p.lowered };
      return { maxTokens: p.maxTokens };
    };
    const onAttemptFailed = (a: ChatAttempt) => {
      const m = tree.pool.get(a.modelId) ?? current.model;
      const usage = a.usage ? settledUsageOf(m, a.usage, current.maxTokens, a.outputBytes ?? 0) : undefined;
      const dollars = usage ? dollarsFor(m, usage) : 0;
      const overrun = usage && overReservationWarning(m.id, usage, dollars, current.reservation.amount);
      if (overrun) tree.host.log?.('warn', overrun);
      current.reservation.settle(dollars);
      const part: UsagePart[] = usage
        ? [{ model: m.id, usage, dollars, ...unpricedOf(m) }]
        : costUnknown(m, a)
          ? [unknownCostPart(m.id)]
          : [];
      failedParts.push(...part);
      // Each failed attempt is a call of its own in the ledger (under the call it belongs to), so the
      // task's totals are the sum of its entries, cut streams that providers bill included.
      const finishedAt = Date.now();
      tree.ledger.record({
        callId: newId('try'),
        parentCallId: o.callId,
        tool: o.purpose,
        model: m.id,
        turn: o.turn,
        state: 'error',
        parts: part,
        usage,
        dollars,
        latencyMs: a.latencyMs ?? 0,
        remoteHosts: m.local ? [] : [m.host],
        startedAt: finishedAt - (a.latencyMs ?? 0),
        finishedAt,
      });
      if (dollars > 0 || part.length) tree.emitCost();
    };

    const fallback = o.fallback
      ? (m: PoolModel) => tree.modelVerdict(m).eligible && promptTokens + MIN_ANSWER_TOKENS <= m.contextWindow
      : undefined;

    const started = Date.now();
    try {
      const result = await tree.pool.chat(
        model.id,
        { ...req, maxTokens: plan.maxTokens },
        {
          signal: o.signal,
          fallback,
          onDelta: o.onDelta,
          beforeAttempt,
          onAttemptFailed,
          // A switch to another model is a visible step of the call, never silent.
          onRetry: (info) => {
            if (info.nextModelId !== info.modelId)
              tree.emit(fallbackChoice({ callId: o.callId, turn: o.turn, parentCallId: this.parentCallId }, info));
          },
        },
      );
      const served = tree.pool.get(result.modelId) ?? current.model;
      const maxTokens = current.maxTokens;
      const bounded = boundedUsage(result.usage, promptBound, maxTokens);
      if (bounded.clamped) {
        tree.host.log?.(
          'warn',
          `${served.id} reported ${result.usage.inputTokens} prompt and ${result.usage.outputTokens} output tokens, more than the request could produce (at most ${promptBound} prompt tokens, ${maxTokens} output tokens sent as max_tokens); recorded at that bound`,
        );
      }
      result.usage = settledUsageOf(served, result.usage, maxTokens, result.outputBytes);
      const dollars = dollarsFor(served, result.usage);
      const overrun = overReservationWarning(served.id, result.usage, dollars, current.reservation.amount);
      if (overrun) tree.host.log?.('warn', overrun);
      current.reservation.settle(dollars);
      const parts: UsagePart[] = [{ model: served.id, usage: result.usage, dollars, ...unpricedOf(served) }];
      const remoteHosts = hostsOf(tree.pool, [served.id, ...result.attempts.map((a) => a.modelId)]);
      tree.trajectory.write({
        type: 'model_call',
        callId: o.callId,
        parentCallId: this.parentCallId,
        turn: o.turn,
        purpose: o.purpose,
        model: served.id,
        messages: req.messages,
        tools: req.tools,
        maxTokens,
        response: {
          content: result.content,
          reasoning: result.reasoning || undefined,
          toolCalls: result.toolCalls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments, source: c.source })),
          toolCallErrors: result.toolCallErrors,
          finishReason: result.finishReason,
        },
        usage: result.usage,
        dollars,
        latencyMs: result.latencyMs,
      });
      if (result.fellBackFrom) tree.host.log?.('info', `${result.fellBackFrom} failed; ${served.id} answered instead`);
      return { ok: true, result, model: served, parts, dollars, remoteHosts, maxTokens, lowered: current.lowered };
    } catch (err) {
      // Failed attempts were settled (and recorded) as they happened. What is left is a call stopped
      // by cancellation or its time limit: a stream cut that way was still processed (and billed) by
      // the server, so the prompt and what streamed are charged; when nothing came back, a paid call's cost is unknown.
      let parts: UsagePart[] = [];
      let dollars = 0;
      if (!current.reservation.settled) {
        if (err instanceof ModelCallError && err.usage) {
          const usage = settledUsageOf(current.model, err.usage, current.maxTokens, err.outputBytes ?? 0);
          dollars = dollarsFor(current.model, usage);
          parts = [{ model: current.model.id, usage, dollars, ...unpricedOf(current.model) }];
        } else if (isPaid(current.model)) {
          // Stopped before anything came back: the server may have billed the prompt; unknown, not $0.
          parts = [unknownCostPart(current.model.id)];
        }
        current.reservation.settle(dollars);
      }
      const attempts = err instanceof ModelCallError ? err.attempts.map((a) => a.modelId) : [];
      const remoteHosts = hostsOf(tree.pool, [model.id, ...attempts]);
      const aborted = o.signal.aborted || (err instanceof ModelCallError && err.kind === 'cancelled');
      const overBudget = !aborted && err instanceof ModelCallError && err.kind === 'over_budget';
      // Stopped by the user (the task, or this call or a subtask around it) is `cancelled`; by a time limit, `timeout`.
      const userCancelled = !tree.signal.aborted && o.signal.reason instanceof TaskFailure && o.signal.reason.code === 'cancelled';
      const state: FailedCallState = aborted
        ? tree.signal.aborted || userCancelled
          ? 'cancelled'
          : 'timeout'
        : overBudget
          ? 'over_budget'
          : err instanceof ModelCallError && err.kind === 'timeout'
            ? 'timeout'
            : 'error';
      const message = aborted
        ? tree.signal.aborted
          ? abortFailure(tree.signal).message
          : userCancelled
            ? CANCELLED_BY_USER
            : 'the call ran past its time limit'
        : `${model.id}: ${(err as Error).message}`;
      tree.host.log?.(
        'debug',
        `model call ${model.id} failed after ${Date.now() - started} ms (${failedParts.length} billed failed attempts): ${(err as Error).message}`,
      );
      return { ok: false, state, message, parts, dollars, remoteHosts, model };
    }
  }

  /** Records an orchestrator turn (a model call that is not a tool call) in the ledger. */
  recordTurn(callId: string, turn: number, outcome: ModelCallOutcome, latencyMs: number): void {
    this.tree.ledger.record({
      callId,
      parentCallId: this.parentCallId,
      tool: 'orchestrator',
      model: outcome.model?.id,
      turn,
      state: outcome.ok === true ? 'ok' : outcome.state,
      parts: outcome.parts,
      usage: sumUsage(outcome.parts),
      dollars: outcome.dollars,
      latencyMs,
      remoteHosts: outcome.remoteHosts,
      startedAt: Date.now() - latencyMs,
      finishedAt: Date.now(),
    });
    this.tree.emitCost();
  }

  /**
   * Runs the calls of one turn concurrently (bounded by the tree's limiter) and returns one
   * observation per call, in the order the model asked. Nothing here throws for a bad call.
   */
  async executeCalls(
    calls: ParsedToolCall[],
    turn: number,
    tools: Map<string, Tool>,
    callIds?: Map<ParsedToolCall, string>,
  ): Promise<Observation[]> {
    return Promise.all(calls.map((c) => this.executeCall(c, turn, tools, callIds?.get(c))));
  }

  /** `presetId`: the call's card was shown while the model wrote it (live-calls.ts). */
  private async executeCall(call: ParsedToolCall, turn: number, tools: Map<string, Tool>, presetId?: string): Promise<Observation> {
    const tree = this.tree;
    const callId = presetId ?? newId('call');
    tree.ledger.link(callId, this.parentCallId);
    const tool = tools.get(call.name);
    const argModel = modelArgOf(call.arguments);
    const willWait = !!tool && tool.kind !== 'agent' && !tree.limiter.free;
    const toolName = call.name || UNNAMED_CALL;
    tree.emit({
      type: 'tool_call_started',
      callId,
      turn,
      tool: toolName,
      model: argModel,
      args: call.arguments,
      state: willWait && !call.problem ? 'queued' : 'running',
      parentCallId: this.parentCallId,
    });
    const started = Date.now();
    const meter = this.meter(callId);
    meter.turn = turn;
    let ran = false;

    const finish = (state: CallState, output: string, extra: { error?: string; data?: unknown } = {}): Observation => {
      this.meters.delete(callId);
      const latencyMs = Date.now() - started;
      const usage = sumUsage(meter.parts);
      const dollars = meter.parts.reduce((s, p) => s + p.dollars, 0);
      // Agent calls (delegate, subtasks) spend through their children; their own entry holds no money.
      tree.ledger.record({
        callId,
        parentCallId: this.parentCallId,
        tool: toolName,
        model: meter.model,
        turn,
        state,
        parts: meter.parts,
        usage,
        dollars,
        latencyMs,
        remoteHosts: [...meter.remoteHosts],
        startedAt: started,
        finishedAt: Date.now(),
        ...(extra.error ? { error: extra.error } : {}),
      });
      // What ran under this call (a subtask's calls, failed model attempts) is part of its cost.
      const below = tree.ledger.totals(callId);
      const shownDollars = dollars + below.dollars;
      const shownUsage = below.calls ? rolledUsage(addUsage(below, usage)) : usage;
      // A call (or anything under it) on a subscription or unknown-price model: its dollars leave that out.
      const unpriced = [...meter.parts.map((p) => p.pricing), ...(below.unpriced ?? []).map((u) => u.pricing)].filter(
        (p) => p !== undefined,
      );
      const pricing = unpriced.includes('unknown') ? 'unknown' : unpriced[0];
      const fullText = extra.error && !output ? extra.error : output;
      tree.emit({
        type: 'tool_call_finished',
        callId,
        tool: toolName,
        model: meter.model ?? argModel,
        state,
        preview: fullText.slice(0, PREVIEW_CHARS),
        result: fullText.length > RESULT_EVENT_CAP ? fullText.slice(0, RESULT_EVENT_CAP) : fullText,
        error: extra.error,
        usage: shownUsage,
        dollars: shownDollars,
        ...(pricing ? { pricing } : {}),
        latencyMs,
      });
      tree.emitCost();
      return {
        callId,
        modelCallId: call.id,
        tool: toolName,
        state,
        output,
        error: extra.error,
        data: extra.data,
        model: meter.model ?? argModel,
        usage: shownUsage,
        dollars: shownDollars,
        ...(pricing ? { pricing } : {}),
        latencyMs,
        args: call.arguments,
        ran,
      };
    };

    // A call cut by the token limit or unreadable never runs; the model reads why and writes it again.
    if (call.problem) return finish('error', '', { error: call.problem.message });
    if (!tool) {
      return finish('error', '', {
        error: `not run: unknown tool "${call.name}"; the tools you can call are: ${[...tools.keys()].join(', ')}`,
      });
    }
    const parsed = tool.schema.safeParse(call.arguments ?? {});
    if (!parsed.success) {
      return finish('error', '', { error: `not run: invalid arguments for ${tool.name}: ${formatZodError(parsed.error)}` });
    }
    const args = parsed.data;
    const verdict = tree.toolVerdict(tool, args);
    if (!verdict.eligible) return finish('denied', '', { error: `denied by rule ${verdict.rule}: ${verdict.reason}` });

    // Each call gets its own controller: cancelling the task (or the subtask this scope runs) aborts
    // it, and so do its own timeout and the user stopping this one call.
    const controller = new AbortController();
    const scopeSignal = this.signal;
    const onTreeAbort = () => controller.abort(scopeSignal.reason);
    if (scopeSignal.aborted) onTreeAbort();
    else scopeSignal.addEventListener('abort', onTreeAbort, { once: true });
    const untrack = tree.trackCall(callId, controller);
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    let release: (() => void) | undefined;
    try {
      const approval = tool.needsApproval?.(args);
      if (approval) {
        const approved = await tree.requestApproval(callId, approval, controller.signal);
        if (!approved) {
          if (controller.signal.aborted) return finish('cancelled', '', { error: cancelledText(tree, controller.signal) });
          return finish('denied', '', { error: `denied: the user did not approve (${approval.title})` });
        }
      }
      if (tool.kind !== 'agent') {
        release = await tree.limiter.acquire(controller.signal);
        if (willWait)
          tree.emit({
            type: 'tool_call_started',
            callId,
            turn,
            tool: call.name,
            model: argModel,
            args: call.arguments,
            state: 'running',
            parentCallId: this.parentCallId,
          });
      }
      const timeoutMs = harnessTimeoutMs(tool, tree.config);
      if (timeoutMs) {
        timer = setTimeout(() => {
          timedOut = true;
          controller.abort(new TaskFailure('internal', `${tool.name} ran past its ${Math.round(timeoutMs / 1000)} s limit`));
        }, timeoutMs);
      }
      // Model-backed tools report the hosts their model calls really reached; others go where they say.
      const dest = tool.kind === 'model' || tool.kind === 'agent' ? undefined : destinationOf(tool, args);
      if (dest && dest !== 'local') meter.remoteHosts.add(dest.host);
      const ctx: ToolContext = {
        workspace: tree.workspace,
        signal: controller.signal,
        callId,
        requestApproval: (req) => tree.requestApproval(callId, req, controller.signal),
        progress: (text) => {
          if (text) tree.emit({ type: 'tool_call_delta', callId, text });
        },
      };
      ran = true;
      const result: ToolResult = await raceAbort(tool.run(args, ctx), controller.signal);
      const state: CallState = result.state ?? (result.ok ? 'ok' : 'error');
      return finish(state, result.output ?? '', { error: result.ok ? undefined : (result.error ?? 'failed'), data: result.data });
    } catch (err) {
      if (timedOut) return finish('timeout', '', { error: `timeout: ${tool.name} ran past its time limit and was stopped` });
      if (controller.signal.aborted) return finish('cancelled', '', { error: cancelledText(tree, controller.signal) });
      return finish('error', '', { error: `${tool.name} failed: ${(err as Error).message}` });
    } finally {
      if (timer) clearTimeout(timer);
      scopeSignal.removeEventListener('abort', onTreeAbort);
      untrack();
      release?.();
    }
  }
}

/** What the orchestrator reads for one call: the state line first, then the output. */
export function observationText(o: Observation): string {
  const head = [`state: ${o.state}`];
  if (o.model) head.push(`model: ${o.model}`);
  const cost = o.pricing
    ? `${o.dollars > 0 ? `$${fmtDollars(o.dollars)} + ` : ''}${unpricedLabel(o.pricing)}`
    : `$${fmtDollars(o.dollars)}`;
  head.push(`cost: ${cost}`, `latency: ${(o.latencyMs / 1000).toFixed(1)} s`);
  let body = o.output;
  if (o.error) body = body ? `${o.error}\n${body}` : o.error;
  if (body.length > OBSERVATION_CAP)
    body = `${body.slice(0, OBSERVATION_CAP)}\n[cut: ${body.length - OBSERVATION_CAP} more characters not shown]`;
  return `[${head.join(' | ')}]\n${body}`;
}

/** The tool list in OpenAI function format. */
export function toOpenAITools(tools: Tool[]): OpenAI.Chat.ChatCompletionTool[] {
  return tools.map((t) => ({
    type: 'function',
    function: { name: t.name, description: t.description, parameters: jsonSchemaOf(t.schema) },
  }));
}

// Converting a zod schema costs about as much as a zero-latency model turn, and the tools' schemas
// are module constants: convert each once. Callers treat the result as read-only.
const jsonSchemaCache = new WeakMap<z.ZodType, Record<string, unknown>>();

export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  let out = jsonSchemaCache.get(schema);
  if (!out) {
    try {
      out = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
      delete out.$schema;
    } catch {
      out = { type: 'object' };
    }
    jsonSchemaCache.set(schema, out);
  }
  return out;
}

export function formatZodError(err: z.ZodError): string {
  return err.issues
    .map((i) => {
      const path = i.path.length
        ? i.path
            .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
            .join('.')
            .replace(/\.\[/g, '[')
        : '(arguments)';
      return `${path}: ${i.message}`;
    })
    .join('; ');
}

function modelArgOf(args: unknown): string | undefined {
  return args && typeof args === 'object' && typeof (args as { model?: unknown }).model === 'string'
    ? (args as { model: string }).model
    : undefined;
}

function addUsage(t: Totals, u: Usage | undefined): Totals {
  return u
    ? {
        ...t,
        inputTokens: t.inputTokens + u.inputTokens,
        outputTokens: t.outputTokens + u.outputTokens,
        estimated: t.estimated || u.estimated,
      }
    : t;
}

function rolledUsage(t: Totals): Usage | undefined {
  return t.inputTokens || t.outputTokens ? { inputTokens: t.inputTokens, outputTokens: t.outputTokens, estimated: t.estimated } : undefined;
}

function hostsOf(pool: ModelPool, modelIds: string[]): string[] {
  const hosts = new Set<string>();
  for (const id of modelIds) {
    const m = pool.get(id);
    if (m && !m.local) hosts.add(m.host);
  }
  return [...hosts];
}

/** Model-backed and agent tools are bounded by the pool's own timeouts and by turn limits. */
function harnessTimeoutMs(tool: Tool, config: OrchestraConfig): number | undefined {
  if (tool.kind === 'agent' || tool.kind === 'model') return undefined;
  const seconds = tool.name === 'run_code' ? config.tools.runCode.timeoutSeconds + 15 : Math.max(config.requests.timeoutSeconds, 30);
  return seconds * 1000;
}

/** The tool name shown for a call that was cut before its name was written. */
export const UNNAMED_CALL = '(unnamed call)';

/** What a call stopped by the user says, in its event and in the orchestrator's observation. */
export const CANCELLED_BY_USER = 'cancelled by the user';

/** Why a call was cancelled: the task's reason when the task stopped, else this call's (or its subtask's). */
function cancelledText(tree: TaskTree, callSignal: AbortSignal): string {
  if (tree.signal.aborted) return abortFailure(tree.signal).message;
  const failure = abortFailure(callSignal);
  return failure.code === 'cancelled' ? `${failure.message}: this call was stopped and is not run again` : failure.message;
}

export function abortFailure(signal: AbortSignal): TaskFailure {
  const r: unknown = signal.reason;
  if (r instanceof TaskFailure) return r;
  return new TaskFailure('cancelled', 'cancelled by the user');
}

export function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    p.catch(() => undefined);
    return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export { estimateTokens };
