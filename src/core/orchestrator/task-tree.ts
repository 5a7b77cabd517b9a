// The task tree: what one task and all its subtasks share — the event sequence, the ledger, the
// root budget, the concurrency limiter, cancellation (of the task, or of one running call by id) and
// approvals. Each orchestration inside it is a `Scope` (scope.ts).
import type { OrchestraConfig } from '../config';
import type { EngineHost } from '../engine-api';
import type { EngineEvent, Totals } from '../protocol/events';
import type { ApprovalRequest, Tool } from '../tools/tool';
import type { ModelPool, PoolModel } from '../pool';
import { Budget, fmtDollars } from '../budget';
import { Ledger } from '../ledger';
import { Limiter } from './limiter';
import { modelVerdict, toolVerdict, type Verdict } from '../preferences';
import { newId } from '../ids';
import type { TrajectoryWriter } from '../trajectory';
import { AnswerStream } from './answer-stream';
import { estimatingCounter, type TokenCounter } from './token-counter';
import type { TaskJournal } from '../conversations/journal';
import type { ReplaySource } from './replay';
import type { QualitySource } from '../routing/prior';

/** Event fields the tree fills in itself. */
export type EventBody = EngineEvent extends infer E ? (E extends EngineEvent ? Omit<E, 'taskId' | 'seq' | 'time'> : never) : never;

/** `interrupted`: the engine shut down under the task (a window reload, the editor closing); it can be resumed. */
export type TaskEndCode =
  'cancelled' | 'interrupted' | 'budget' | 'turns' | 'wall_time' | 'no_model' | 'model_failed' | 'config' | 'internal';

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
  /** Counts prompt tokens for context fitting; an estimate from text by default. */
  tokenCounter?: TokenCounter;
  /** Where finished model and tool calls are recorded (the task's journal), for a later Resume. */
  journal?: TaskJournal;
  /** The records of an earlier run of this task: what finished there is answered from them (Resume). */
  replay?: ReplaySource;
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
  /** The task's final answer as it streams (answer_delta events); see AnswerStream. */
  readonly answerStream: AnswerStream;
  readonly tokenCounter: TokenCounter;
  readonly journal?: TaskJournal;
  readonly replay?: ReplaySource;
  readonly quality?: QualitySource;
  /** Subtask call ids and their task text, for the trajectory's per-subtask totals. */
  readonly subtasks: Array<{ callId: string; parentCallId?: string; task: string }> = [];
  private seq = 0;
  private readonly sink: (e: EngineEvent) => void;
  /** Once the user approved paid calls past the soft limit, later ones go through. */
  private paidApproval?: Promise<boolean>;
  /** Running tool calls and subtasks by call id, so the user can stop one (`cancelCall`). */
  private readonly runningCalls = new Map<string, AbortController>();
  private readonly currentConfig: () => OrchestraConfig;
  /** Aborted with the task's signal, or by the tree itself when spending must stop (`stopSpending`). */
  private readonly stopController = new AbortController();

  constructor(o: TaskTreeOptions) {
    this.taskId = o.taskId;
    this.config = o.config;
    this.pool = o.pool;
    this.host = o.host;
    this.workspace = o.workspace;
    const follow = () => this.stopController.abort(o.signal.reason);
    if (o.signal.aborted) follow();
    else o.signal.addEventListener('abort', follow, { once: true });
    this.signal = this.stopController.signal;
    this.trajectory = o.trajectory;
    this.sink = o.emit;
    this.currentConfig = o.currentConfig ?? (() => o.config);
    this.ledger = new Ledger();
    this.limiter = new Limiter(o.config.concurrency);
    this.budget = new Budget(o.config.budget.maxDollarsPerTask);
    this.tokenCounter = o.tokenCounter ?? estimatingCounter;
    this.journal = o.journal;
    this.quality = o.quality;
    this.replay = o.replay;
    this.answerStream = new AnswerStream((text, reset) => this.emit({ type: 'answer_delta', text, reset: reset || undefined }));
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

  /**
   * Stops every further dollar at once: nothing more is reserved anywhere in the tree, and the task
   * ends (calls in flight are cancelled, what they consumed is still counted) with `reason`.
   */
  stopSpending(reason: string): void {
    this.budget.stop(reason);
    this.host.log?.('warn', reason);
    if (!this.stopController.signal.aborted) this.stopController.abort(new TaskFailure('budget', reason));
  }

  /** Throws the right TaskFailure when the task was cancelled or ran out of wall time. */
  checkAlive(): void {
    if (this.signal.aborted) throw abortFailure(this.signal);
  }

  /** Work still running under this task (tool runs), so a stopped task can wait for it to wind down. */
  private readonly inFlight = new Set<Promise<unknown>>();

  /** Tracks `p` until it settles; returns it. */
  hold<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    const drop = () => this.inFlight.delete(p);
    p.then(drop, drop);
    return p;
  }

  /**
   * Resolves once everything held has settled, or after `timeoutMs`: a stopped task waits here so
   * its calls end (and what they spent is settled) before its final event reports the totals.
   */
  async whenIdle(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight.size) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.inFlight]), new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))]);
      clearTimeout(timer);
    }
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

/** What a call stopped by the user says, in its event and in the orchestrator's observation. */
export const CANCELLED_BY_USER = 'cancelled by the user';

/** The tool name shown for a call that was cut before its name was written. */
export const UNNAMED_CALL = '(unnamed call)';

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
