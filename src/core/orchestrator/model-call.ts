// One model call under every rule, start to finish: eligibility, soft-limit approval, the prompt
// counted in the model's own tokens, the worst case reserved from the budget (maxTokens lowered to
// fit), fallback only to models that obey the same rules and fit a reservation of their own, every
// attempt settled (a bill above its reservation stops the task's spending) and recorded. A call
// answered in an earlier run of the task is replayed from its record (Resume), and an answered call
// is recorded, as settled, for a later one.
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
import { MIN_ANSWER_TOKENS, fmtDollars, type Budget, type Reservation } from '../budget';
import { unknownCostPart, type UsagePart } from '../ledger';
import { promptTokenBound, type PromptCount } from '../tokens/counter';
import type { ReplyText } from '../tokens/text';
import { newId } from '../ids';
import { fallbackChoice } from '../routing/choice';
import { CANCELLED_BY_USER, TaskFailure, abortFailure, type TaskTree } from './task-tree';
import {
  PromptCounts,
  contextRefusal,
  costUnknown,
  isPaid,
  moneyRefusal,
  overrunMessage,
  planCall,
  settleUsage,
  unpricedOf,
} from './accounting';
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

/** The attempt being paid for: its model, its reservation, the maxTokens it was sent with and its prompt's count. */
interface Attempt {
  model: PoolModel;
  reservation: Reservation;
  maxTokens: number;
  lowered: boolean;
  count: PromptCount;
}

/** A call that passed the rules and holds the first attempt's reservation. */
interface Admitted {
  first: Attempt;
  /** The prompt counted in each model's own tokens, by model id (a fallback counts in its own). */
  counts: PromptCounts;
  /** One token per byte of the prompt: no tokenizer counts more (impossible reports are clamped to it). */
  promptBound: number;
}

/** What an attempt consumed, as it ended. */
interface Consumed {
  usage: Usage;
  reply?: ReplyText;
  outputBytes: number;
  /** The stream was cut short (a failed attempt, a cancel, a time limit). */
  cut: boolean;
}

/** The hosts of the models a call reached, and of the servers asked to count its prompt, sorted. */
function reachedHosts(pool: ModelPool, modelIds: string[], counts: PromptCounts): string[] {
  return [...new Set([...hostsOf(pool, modelIds), ...counts.remoteHosts()])].sort();
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

  // Counted in the model's own tokens; the output limit is lowered to what the budget has left.
  const counts = new PromptCounts(tree.pool, req);
  const count = await counts.of(model);
  const refused = (state: FailedCallState, message: string): Failed => ({
    ok: false,
    state,
    message,
    model,
    ...none,
    remoteHosts: counts.remoteHosts(),
  });
  if (model.contextWindow - count.tokens < MIN_ANSWER_TOKENS) return refused('error', contextRefusal(model, count));
  const cap = tree.config.budget.maxDollarsPerTask;
  const plan = planCall(scope.budget.left, model, count, desiredTokens(req, model, count.tokens));
  if (!plan.ok) return refused('over_budget', moneyRefusal(scope.budget, cap, model, count, plan));
  const reservation = scope.budget.reserve(plan.worstCaseDollars);
  if (!reservation)
    return refused(
      'over_budget',
      moneyRefusal(scope.budget, cap, model, count, {
        worstCaseDollars: plan.worstCaseDollars,
        minTokens: plan.maxTokens,
        promptTokens: plan.promptTokens,
      }),
    );
  return {
    first: { model, reservation, maxTokens: plan.maxTokens, lowered: plan.lowered, count },
    counts,
    promptBound: promptTokenBound(req.messages, req.tools),
  };
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
    // A fallback's prompt is counted in its own tokens right before it is tried (beforeAttempt), where
    // one that does not fit is passed over; a count already made rules it out here.
    const fits = (m: PoolModel) => {
      const c = admitted.counts.known(m);
      return !c || c.tokens + MIN_ANSWER_TOKENS <= m.contextWindow;
    };
    const fallback = o.fallback ? (m: PoolModel) => tree.modelVerdict(m).eligible && fits(m) : undefined;
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
      return { ok: true, call: await this.answered(result), failedParts: this.failedParts };
    } catch (err) {
      return { ok: false, failed: await this.failed(err) };
    }
  }

  /**
   * Settles what the current attempt consumed against its reservation: the server's usage, else the
   * reply counted in the model's own tokens. A bill above the reservation stops the task's spending.
   */
  private async settle(m: PoolModel, input: Consumed): Promise<{ usage: Usage; dollars: number }> {
    const { tree } = this.scope;
    const attempt = this.current;
    const promptBound = this.admitted.promptBound;
    const settled = await settleUsage(tree.pool.tokens, m, { ...input, maxTokens: attempt.maxTokens, count: attempt.count, promptBound });
    if (settled.clamped)
      tree.host.log?.(
        'warn',
        `${m.id} reported ${input.usage.inputTokens} prompt and ${input.usage.outputTokens} output tokens, more than the request could produce (at most ${promptBound} prompt tokens, ${attempt.maxTokens} output tokens sent as max_tokens); recorded at that bound`,
      );
    const dollars = dollarsFor(m, settled.usage);
    attempt.reservation.settle(dollars);
    const overrun = overrunMessage(m, settled.usage, dollars, attempt.reservation.amount, attempt.count);
    if (overrun) tree.stopSpending(overrun);
    return { usage: settled.usage, dollars };
  }

  private async beforeAttempt({ model: m }: { model: PoolModel; retry: boolean }): Promise<AttemptDecision> {
    const { tree, budget } = this.scope;
    const v = tree.modelVerdict(m);
    if (!v.eligible) return { refused: `denied by rule ${v.rule}: ${v.reason}` };
    if (this.o.signal.aborted) return { refused: 'cancelled' };
    const c = await this.admitted.counts.of(m);
    if (m.contextWindow - c.tokens < MIN_ANSWER_TOKENS) return { refused: contextRefusal(m, c) };
    const cap = tree.config.budget.maxDollarsPerTask;
    const p = planCall(budget.left, m, c, desiredTokens(this.req, m, c.tokens));
    if (!p.ok) return { refused: moneyRefusal(budget, cap, m, c, p) };
    const r = budget.reserve(p.worstCaseDollars);
    if (!r)
      return {
        refused: moneyRefusal(budget, cap, m, c, {
          worstCaseDollars: p.worstCaseDollars,
          minTokens: p.maxTokens,
          promptTokens: p.promptTokens,
        }),
      };
    this.current = { model: m, reservation: r, maxTokens: p.maxTokens, lowered: p.lowered, count: c };
    return { maxTokens: p.maxTokens };
  }

  private async onAttemptFailed(a: ChatAttempt): Promise<void> {
    const { tree } = this.scope;
    const current = this.current;
    const m = tree.pool.get(a.modelId) ?? current.model;
    let part: UsagePart[] = [];
    let usage: Usage | undefined;
    let dollars = 0;
    if (a.usage) {
      ({ usage, dollars } = await this.settle(m, { usage: a.usage, reply: a.reply, outputBytes: a.outputBytes ?? 0, cut: true }));
      part = [{ model: m.id, usage, dollars, ...unpricedOf(m) }];
    } else {
      current.reservation.settle(0);
      if (costUnknown(m, a)) part = [unknownCostPart(m.id)];
    }
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
  private async answered(result: ChatResult): Promise<Answered> {
    const { tree } = this.scope;
    const { current, o, admitted } = this;
    const served = tree.pool.get(result.modelId) ?? current.model;
    const maxTokens = current.maxTokens;
    const settled = await this.settle(served, { usage: result.usage, reply: result.reply, outputBytes: result.outputBytes, cut: false });
    result.usage = settled.usage;
    const dollars = settled.dollars;
    const parts: UsagePart[] = [{ model: served.id, usage: result.usage, dollars, ...unpricedOf(served) }];
    const remoteHosts = reachedHosts(tree.pool, [served.id, ...result.attempts.map((a) => a.modelId)], admitted.counts);
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
   * server, so the prompt and the tokens that arrived are charged; when nothing came back, a paid
   * call's cost is unknown.
   */
  private async failed(err: unknown): Promise<Failed> {
    const { tree } = this.scope;
    const { current, o } = this;
    const model = this.admitted.first.model;
    let parts: UsagePart[] = [];
    let dollars = 0;
    if (!current.reservation.settled) {
      if (err instanceof ModelCallError && err.usage) {
        const settled = await this.settle(current.model, {
          usage: err.usage,
          reply: err.reply,
          outputBytes: err.outputBytes ?? 0,
          cut: true,
        });
        dollars = settled.dollars;
        parts = [{ model: current.model.id, usage: settled.usage, dollars, ...unpricedOf(current.model) }];
      } else {
        current.reservation.settle(0);
        // Stopped before anything came back: the server may have billed the prompt; unknown, not $0.
        if (isPaid(current.model)) parts = [unknownCostPart(current.model.id)];
      }
    }
    const attempts = err instanceof ModelCallError ? err.attempts.map((a) => a.modelId) : [];
    const remoteHosts = reachedHosts(tree.pool, [model.id, ...attempts], this.admitted.counts);
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
