// One model call under every rule, start to finish: eligibility, soft-limit approval, the worst case
// reserved from the budget (maxTokens lowered to fit), fallback only to models that obey the same rules
// and fit the same reservation, every attempt settled and recorded. A call answered in an earlier run of
// the task is replayed from its record (Resume), and an answered call is recorded for a later one.
import type { Usage } from '../protocol/events';
import {
  ModelCallError,
  dollarsFor,
  type AttemptDecision,
  type ChatAttempt,
  type ChatDelta,
  type ChatRequest,
  type ChatResult,
  type ModelPool,
  type PoolModel,
} from '../pool';
import { MIN_ANSWER_TOKENS, fmtDollars, planModelCall, type Budget, type Reservation } from '../budget';
import { unknownCostPart, type UsagePart } from '../ledger';
import { newId } from '../ids';
import { fallbackChoice } from '../routing/choice';
import { CANCELLED_BY_USER, TaskFailure, abortFailure, type TaskTree } from './task-tree';
import { boundedUsage, conservativeUsage, costUnknown, isPaid, overReservationWarning, promptTokenBound, unpricedOf } from './usage-bounds';
import { charge, remoteHostOf, replayFailedAttempts, replayedResult } from './replay';

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

type Answered = Extract<ModelCallOutcome, { ok: true }>;
type Failed = Extract<ModelCallOutcome, { ok: false }>;

export interface ModelCallOptions {
  /** The ledger/event call this model call belongs to (an orchestrator turn or a tool call). */
  callId: string;
  turn: number;
  /** 'orchestrator' or the calling tool's name; recorded in the trajectory. */
  purpose: string;
  /**
   * The call's place in the task, recorded with its result (an orchestrator turn passes its turn key;
   * a tool's model calls get keys under the tool call's own).
   */
  key?: string;
  signal: AbortSignal;
  onDelta?: (d: ChatDelta) => void;
  /** A retry or fallback starts the reply over: what streamed of the failed attempt is void. */
  onRetry?: () => void;
  /** Allow the pool to fall back to another eligible model of an overlapping role. */
  fallback?: boolean;
}

/** What a model call needs of the scope it runs in (Scope implements it). */
export interface ModelCallScope {
  readonly tree: TaskTree;
  readonly budget: Budget;
  readonly parentCallId?: string;
}

/** The attempt being paid for: its model, its reservation and the maxTokens it was sent with. */
interface Attempt {
  model: PoolModel;
  reservation: Reservation;
  maxTokens: number;
  lowered: boolean;
}

/** A call that passed the rules and holds the first attempt's reservation. */
interface Admitted {
  first: Attempt;
  /** The prompt counted in the model's tokens (the context check). */
  promptTokens: number;
  /** The hard bound on the prompt's tokens (what money is reserved against). */
  promptBound: number;
}

/** `o.key` names the call's place in the task: with it, the call is replayed when answered before, and recorded when answered now. */
export async function callModel(scope: ModelCallScope, modelId: string, req: ChatRequest, o: ModelCallOptions): Promise<ModelCallOutcome> {
  // Answered in an earlier run of this task (Resume): the recorded reply, not a second request.
  const replayed = o.key !== undefined ? replayedCall(scope, o.key, o) : undefined;
  if (replayed) return replayed;
  const admitted = await admit(scope, modelId, req, o);
  if ('ok' in admitted) return admitted;
  const outcome = await new PaidCall(scope, req, o, admitted).send();
  if (outcome.ok && o.key !== undefined) recordCall(scope.tree, o.key, outcome.call, outcome.failedParts);
  return outcome.ok ? outcome.call : outcome.failed;
}

/** The rules a call must pass before anything is sent; the first attempt's worst case is reserved. */
async function admit(scope: ModelCallScope, modelId: string, req: ChatRequest, o: ModelCallOptions): Promise<Failed | Admitted> {
  const tree = scope.tree;
  const none = { parts: [] as UsagePart[], dollars: 0, remoteHosts: [] as string[] };
  const model = tree.pool.get(modelId);
  if (!model) {
    const known = tree.pool
      .all()
      .map((m) => m.id)
      .join(', ');
    return { ok: false, state: 'error', message: `unknown model "${modelId}"; known: ${known || 'none'}`, ...none };
  }
  const verdict = tree.modelVerdict(model);
  if (!verdict.eligible)
    return { ok: false, state: 'denied', message: `denied by rule ${verdict.rule}: ${verdict.reason}`, model, ...none };
  if (o.signal.aborted) return { ok: false, state: 'cancelled', message: 'cancelled before the call was sent', model, ...none };
  if (!(await tree.approvePaidCall(o.callId, model, o.signal))) {
    return {
      ok: false,
      state: 'denied',
      message: `denied by rule budget.softLimitDollars: the user did not approve paid calls past $${fmtDollars(tree.config.budget.softLimitDollars)}`,
      model,
      ...none,
    };
  }

  const promptTokens = tree.tokenCounter.count(model, req.messages, req.tools);
  // The context check uses the estimate; money is reserved against the hard bound.
  const promptBound = Math.max(promptTokens, promptTokenBound(req.messages, req.tools));
  if (model.contextWindow - promptTokens < MIN_ANSWER_TOKENS) {
    return {
      ok: false,
      state: 'error',
      message: `the prompt (about ${promptTokens} tokens) does not fit the context window of ${model.id} (${model.contextWindow} tokens)`,
      model,
      ...none,
    };
  }
  const plan = planModelCall(scope.budget.left, model, promptBound, desiredTokens(req, model, promptTokens));
  if (!plan.ok) return { ok: false, state: 'over_budget', message: `${model.id}: ${plan.reason}`, model, ...none };
  const reservation = scope.budget.reserve(plan.worstCaseDollars);
  if (!reservation)
    return {
      ok: false,
      state: 'over_budget',
      message: `${model.id}: over budget: $${fmtDollars(scope.budget.left)} left, the call may cost $${fmtDollars(plan.worstCaseDollars)}`,
      model,
      ...none,
    };
  return { first: { model, reservation, maxTokens: plan.maxTokens, lowered: plan.lowered }, promptTokens, promptBound };
}

/** The output tokens a call asks for on `m`: what the request wants, within the model's limits and what the context leaves. */
function desiredTokens(req: ChatRequest, m: PoolModel, promptTokens: number): number {
  return Math.min(req.maxTokens ?? m.maxOutputTokens, m.maxOutputTokens, m.contextWindow - promptTokens);
}

/**
 * An admitted call sent to the pool. Every attempt (the first, each retry, each fallback) is paid for
 * on its own: its worst case is reserved right before it is sent, and what it consumed is settled,
 * priced by its own model.
 */
class PaidCall {
  private current: Attempt;
  /** What the failed attempts cost (each also recorded as a call of its own in the ledger). */
  private readonly failedParts: UsagePart[] = [];
  private readonly started = Date.now();

  constructor(
    private readonly scope: ModelCallScope,
    private readonly req: ChatRequest,
    private readonly o: ModelCallOptions,
    private readonly admitted: Admitted,
  ) {
    this.current = admitted.first;
  }

  async send(): Promise<{ ok: true; call: Answered; failedParts: UsagePart[] } | { ok: false; failed: Failed }> {
    const { tree } = this.scope;
    const { o, admitted } = this;
    const model = admitted.first.model;
    const fallback = o.fallback
      ? (m: PoolModel) => tree.modelVerdict(m).eligible && admitted.promptTokens + MIN_ANSWER_TOKENS <= m.contextWindow
      : undefined;
    try {
      const result = await tree.pool.chat(
        model.id,
        { ...this.req, maxTokens: admitted.first.maxTokens },
        {
          signal: o.signal,
          fallback,
          onDelta: o.onDelta,
          onRetry: (info) => {
            // A switch to another model is a visible step of the call, never silent.
            if (info.nextModelId !== info.modelId)
              tree.emit(fallbackChoice({ callId: o.callId, turn: o.turn, parentCallId: this.scope.parentCallId }, info));
            o.onRetry?.();
          },
          beforeAttempt: (a) => this.beforeAttempt(a),
          onAttemptFailed: (a) => this.onAttemptFailed(a),
        },
      );
      return { ok: true, call: this.answered(result), failedParts: this.failedParts };
    } catch (err) {
      return { ok: false, failed: this.failed(err) };
    }
  }

  private settledUsage(m: PoolModel, usage: Usage, maxTokens: number, outputBytes: number): Usage {
    const promptBound = this.admitted.promptBound;
    const bounded = boundedUsage(usage, promptBound, maxTokens).usage;
    return usage.estimated && isPaid(m) ? conservativeUsage(bounded, promptBound, maxTokens, outputBytes) : bounded;
  }

  private beforeAttempt({ model: m }: { model: PoolModel; retry: boolean }): AttemptDecision {
    const { tree, budget } = this.scope;
    const v = tree.modelVerdict(m);
    if (!v.eligible) return { refused: `denied by rule ${v.rule}: ${v.reason}` };
    if (this.o.signal.aborted) return { refused: 'cancelled' };
    const promptTokens = this.admitted.promptTokens;
    if (m.contextWindow - promptTokens < MIN_ANSWER_TOKENS) return { refused: `the prompt does not fit the context window of ${m.id}` };
    const p = planModelCall(budget.left, m, this.admitted.promptBound, desiredTokens(this.req, m, promptTokens));
    if (!p.ok) return { refused: p.reason };
    const r = budget.reserve(p.worstCaseDollars);
    if (!r) return { refused: `over budget: $${fmtDollars(budget.left)} left, the attempt may cost $${fmtDollars(p.worstCaseDollars)}` };
    this.current = { model: m, reservation: r, maxTokens: p.maxTokens, lowered: p.lowered };
    return { maxTokens: p.maxTokens };
  }

  private onAttemptFailed(a: ChatAttempt): void {
    const { tree } = this.scope;
    const current = this.current;
    const m = tree.pool.get(a.modelId) ?? current.model;
    const usage = a.usage ? this.settledUsage(m, a.usage, current.maxTokens, a.outputBytes ?? 0) : undefined;
    const dollars = usage ? dollarsFor(m, usage) : 0;
    const overrun = usage && overReservationWarning(m.id, usage, dollars, current.reservation.amount);
    if (overrun) tree.host.log?.('warn', overrun);
    current.reservation.settle(dollars);
    const part: UsagePart[] = usage
      ? [{ model: m.id, usage, dollars, ...unpricedOf(m) }]
      : costUnknown(m, a)
        ? [unknownCostPart(m.id)]
        : [];
    this.failedParts.push(...part);
    // Each failed attempt is a call of its own in the ledger (under the call it belongs to), so the
    // task's totals are the sum of its entries, cut streams that providers bill included.
    const finishedAt = Date.now();
    tree.ledger.record({
      callId: newId('try'),
      parentCallId: this.o.callId,
      tool: this.o.purpose,
      model: m.id,
      turn: this.o.turn,
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
  }

  /** The answer settled against the attempt that gave it, and written to the trajectory. */
  private answered(result: ChatResult): Answered {
    const { tree } = this.scope;
    const { current, o, admitted } = this;
    const served = tree.pool.get(result.modelId) ?? current.model;
    const maxTokens = current.maxTokens;
    const promptBound = admitted.promptBound;
    if (boundedUsage(result.usage, promptBound, maxTokens).clamped) {
      tree.host.log?.(
        'warn',
        `${served.id} reported ${result.usage.inputTokens} prompt and ${result.usage.outputTokens} output tokens, more than the request could produce (at most ${promptBound} prompt tokens, ${maxTokens} output tokens sent as max_tokens); recorded at that bound`,
      );
    }
    result.usage = this.settledUsage(served, result.usage, maxTokens, result.outputBytes);
    const dollars = dollarsFor(served, result.usage);
    const overrun = overReservationWarning(served.id, result.usage, dollars, current.reservation.amount);
    if (overrun) tree.host.log?.('warn', overrun);
    current.reservation.settle(dollars);
    const parts: UsagePart[] = [{ model: served.id, usage: result.usage, dollars, ...unpricedOf(served) }];
    const remoteHosts = hostsOf(tree.pool, [served.id, ...result.attempts.map((a) => a.modelId)]);
    tree.trajectory.write({
      type: 'model_call',
      callId: o.callId,
      parentCallId: this.scope.parentCallId,
      turn: o.turn,
      purpose: o.purpose,
      model: served.id,
      messages: this.req.messages,
      tools: this.req.tools,
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
  }

  /**
   * Failed attempts were settled (and recorded) as they happened. What is left is a call stopped by
   * cancellation or its time limit: a stream cut that way was still processed (and billed) by the
   * server, so the prompt and what streamed are charged; when nothing came back, a paid call's cost is unknown.
   */
  private failed(err: unknown): Failed {
    const { tree } = this.scope;
    const { current, o } = this;
    const model = this.admitted.first.model;
    let parts: UsagePart[] = [];
    let dollars = 0;
    if (!current.reservation.settled) {
      if (err instanceof ModelCallError && err.usage) {
        const usage = this.settledUsage(current.model, err.usage, current.maxTokens, err.outputBytes ?? 0);
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
      `model call ${model.id} failed after ${Date.now() - this.started} ms (${this.failedParts.length} billed failed attempts): ${(err as Error).message}`,
    );
    return { ok: false, state, message, parts, dollars, remoteHosts, model };
  }
}

/** A model call answered in an earlier run, replayed: its cost charged and recorded as then, its reply streamed again. */
function replayedCall(scope: ModelCallScope, key: string, o: ModelCallOptions): ModelCallOutcome | undefined {
  const tree = scope.tree;
  const rec = tree.replay?.models.get(key);
  const model = rec && tree.pool.get(rec.modelId);
  if (!rec || !model || o.signal.aborted) return undefined;
  const failedDollars = rec.failedParts.reduce((s, p) => s + p.dollars, 0);
  charge(scope.budget, rec.dollars + failedDollars);
  replayFailedAttempts(tree.ledger, rec.failedParts, {
    callId: o.callId,
    purpose: o.purpose,
    turn: o.turn,
    remoteHost: remoteHostOf(tree.pool),
  });
  if (rec.failedParts.length) tree.emitCost();
  const result = replayedResult(rec, o.onDelta);
  return {
    ok: true,
    result,
    model,
    parts: rec.parts,
    dollars: rec.dollars,
    remoteHosts: rec.remoteHosts,
    maxTokens: rec.maxTokens,
    lowered: rec.lowered,
  };
}

/** Records an answered model call in the task's journal, for a later Resume. */
function recordCall(tree: TaskTree, key: string, outcome: Answered, failedParts: UsagePart[]): void {
  const r = outcome.result;
  tree.journal?.write({
    type: 'model',
    key,
    modelId: outcome.model.id,
    result: {
      content: r.content,
      reasoning: r.reasoning,
      toolCalls: r.toolCalls,
      toolCallErrors: r.toolCallErrors,
      finishReason: r.finishReason,
      usage: r.usage,
      latencyMs: r.latencyMs,
      outputBytes: r.outputBytes,
    },
    parts: outcome.parts,
    dollars: outcome.dollars,
    remoteHosts: outcome.remoteHosts,
    maxTokens: outcome.maxTokens,
    lowered: outcome.lowered,
    failedParts,
  });
}

function hostsOf(pool: ModelPool, modelIds: string[]): string[] {
  const hosts = new Set<string>();
  for (const id of modelIds) {
    const m = pool.get(id);
    if (m && !m.local) hosts.add(m.host);
  }
  return [...hosts];
}
