// A `Scope` is one orchestration inside a task tree (the task itself, or a delegated subtask) with
// its own budget share and turn limit. Every model call goes through `Scope.callModel` (model-call.ts:
// hard rules, soft-limit approval, budget reservation and maxTokens lowering, ledger, trajectory) and
// every tool call through `Scope.executeCalls` (tool-call.ts).
import type { OrchestraConfig } from '../config';
import type { Tool } from '../tools/tool';
import type { ParsedToolCall } from '../toolcalls';
import type { ChatRequest } from '../pool';
import type { Budget } from '../budget';
import { sumUsage, type UsagePart } from '../ledger';
import { abortFailure, type TaskTree } from './task-tree';
import type { Observation } from './observations';
import { executeToolCall } from './tool-call';
import { callModel, type ModelCallOptions, type ModelCallOutcome } from './model-call';

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
   * One model call under every rule (model-call.ts): eligibility, soft-limit approval, the worst case
   * reserved from the budget (maxTokens lowered to fit), fallback only to models that obey the same
   * rules and fit the same reservation. Never throws for model failures: the outcome says what happened.
   */
  callModel(modelId: string, req: ChatRequest, o: ModelCallOptions): Promise<ModelCallOutcome> {
    return callModel(this, modelId, req, { ...o, key: o.key ?? this.modelCallKey(o.callId) });
  }

  /** The key of a model call a tool makes: under the tool call's key, numbered in the order the tool makes them. */
  private modelCallKey(callId: string): string | undefined {
    const meter = this.meters.get(callId);
    if (!meter?.key) return undefined;
    meter.modelCalls = (meter.modelCalls ?? 0) + 1;
    return `${meter.key}/m${meter.modelCalls}`;
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
    opts: { callIds?: Map<ParsedToolCall, string>; group?: string } = {},
  ): Promise<Observation[]> {
    // `group` keeps calls the harness makes itself (a context summary) apart from the model's calls;
    // `callIds` are the cards shown while the model wrote the calls (live-calls.ts).
    const group = opts.group ?? 'c';
    return Promise.all(
      calls.map((c, i) => executeToolCall(this, c, turn, tools, `${this.turnKey(turn)}/${group}${i}`, opts.callIds?.get(c))),
    );
  }
}
