// A `Scope` is one orchestration inside a task tree (the task itself, or a delegated subtask) with
// its own budget share and turn limit. Every model call goes through `Scope.callModel` (hard rules,
// soft-limit approval, budget reservation and maxTokens lowering, ledger, trajectory) and every tool
// call through `Scope.executeCalls` (tool-call.ts).
import type { OrchestraConfig } from '../config';
import type { Usage } from '../protocol/events';
import type { Tool } from '../tools/tool';
import type { ParsedToolCall } from '../toolcalls';
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
import { Budget, MIN_ANSWER_TOKENS, fmtDollars, planModelCall, type Reservation } from '../budget';
import { sumUsage, unknownCostPart, type UsagePart } from '../ledger';
import { newId } from '../ids';
import { CANCELLED_BY_USER, TaskFailure, abortFailure, type TaskTree } from './task-tree';
import { boundedUsage, conservativeUsage, costUnknown, isPaid, overReservationWarning, promptTokenBound } from './usage-bounds';
import type { Observation } from './observations';
import { executeToolCall } from './tool-call';
import { charge, remoteHostOf, replayFailedAttempts, replayedResult } from './replay';

export interface ScopeOptions {
  budget: Budget;
  maxTurns: number;
  depth: number;
  /** The `subtask` call this scope runs under; undefined for the task itself. */
  parentCallId?: string;
  /** Stops this scope and everything under it (a cancelled subtask); the task's signal when omitted. */
  signal?: AbortSignal;
  /**
   * Where this scope sits in the task ('r' for the task itself, `<delegate call key>/s<i>` for a
   * subtask): its calls are recorded under keys built from it, the same in every run of the task.
   */
  key?: string;
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
  knownTools?: string[];
}

/** Per-call accounting a tool fills while it runs (model parts, remote hosts). */
export interface CallMeter {
  parts: UsagePart[];
  remoteHosts: Set<string>;
  model?: string;
  /** The turn the call was made in (for model calls a tool makes). */
  turn?: number;
  /** The call's place in the task (see ScopeOptions.key). */
  key?: string;
  /** Model calls the call has made so far (each gets its own key under the call's). */
  modelCalls?: number;
}

export class Scope {
  readonly budget: Budget;
  readonly maxTurns: number;
  readonly depth: number;
  readonly parentCallId?: string;
  /** Aborted when the task stops or this scope's subtask is cancelled. */
  readonly signal: AbortSignal;
  readonly key: string;
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
    this.key = o.key ?? 'r';
  }

  /** The key of this scope's orchestrator turn `turn` (its model call). */
  turnKey(turn: number): string {
    return `${this.key}/t${turn}`;
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

  /** Forgets a finished call's meter. */
  dropMeter(callId: string): void {
    this.meters.delete(callId);
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
    const key = o.key ?? this.modelCallKey(o.callId);
    // Answered in an earlier run of this task (Resume): the recorded reply, not a second request.
    const replayed = key !== undefined ? this.replayedCall(key, o) : undefined;
    if (replayed) return replayed;
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

    const promptTokens = tree.tokenCounter.count(model, req.messages, req.tools);
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
      const part: UsagePart[] = usage ? [{ model: m.id, usage, dollars }] : costUnknown(m, a) ? [unknownCostPart(m.id)] : [];
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
          knownTools: o.knownTools,
          onDelta: o.onDelta,
          onRetry: o.onRetry && (() => o.onRetry!()),
          beforeAttempt,
          onAttemptFailed,
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
      const parts: UsagePart[] = [{ model: served.id, usage: result.usage, dollars }];
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
      const outcome = { ok: true as const, result, model: served, parts, dollars, remoteHosts, maxTokens, lowered: current.lowered };
      if (key !== undefined) this.recordCall(key, outcome, failedParts);
      return outcome;
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
          parts = [{ model: current.model.id, usage, dollars }];
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

  /** The key of a model call a tool makes: under the tool call's key, numbered in the order the tool makes them. */
  private modelCallKey(callId: string): string | undefined {
    const meter = this.meters.get(callId);
    if (!meter?.key) return undefined;
    meter.modelCalls = (meter.modelCalls ?? 0) + 1;
    return `${meter.key}/m${meter.modelCalls}`;
  }

  /** A model call answered in an earlier run, replayed: its cost charged and recorded as then, its reply streamed again. */
  private replayedCall(key: string, o: ModelCallOptions): ModelCallOutcome | undefined {
    const tree = this.tree;
    const rec = tree.replay?.models.get(key);
    const model = rec && tree.pool.get(rec.modelId);
    if (!rec || !model || o.signal.aborted) return undefined;
    const failedDollars = rec.failedParts.reduce((s, p) => s + p.dollars, 0);
    charge(this.budget, rec.dollars + failedDollars);
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
  private recordCall(key: string, outcome: Extract<ModelCallOutcome, { ok: true }>, failedParts: UsagePart[]): void {
    const r = outcome.result;
    this.tree.journal?.write({
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
  async executeCalls(calls: ParsedToolCall[], turn: number, tools: Map<string, Tool>, group = 'c'): Promise<Observation[]> {
    // `group` keeps calls the harness makes itself (a context summary) apart from the model's calls.
    return Promise.all(calls.map((c, i) => executeToolCall(this, c, turn, tools, `${this.turnKey(turn)}/${group}${i}`)));
  }
}

function hostsOf(pool: ModelPool, modelIds: string[]): string[] {
  const hosts = new Set<string>();
  for (const id of modelIds) {
    const m = pool.get(id);
    if (m && !m.local) hosts.add(m.host);
  }
  return [...hosts];
}
