// Runs every task of an eval under every pool configuration: one engine per pool, the (task, pool)
// pairs interleaved task by task so a run stopped early has compared the pools on the same tasks,
// at most `concurrency` at a time. Each finished pair becomes one EvalRecord, handed out at once.
import type { OrchestraConfig } from '../config';
import { createEngine, type EngineOptions } from '../engine';
import type { Engine, EngineHost, TaskOutcome } from '../engine-api';
import { newId } from '../ids';
import type { EngineEvent } from '../protocol/events';
import { checkAnswer } from './checkers';
import { EVAL_RECORD_VERSION, MAX_ANSWER_CHARS, type EvalModelCall, type EvalRecord } from './record';
import type { EvalTask } from './tasks';

export interface EvalPool {
  name: string;
  config: OrchestraConfig;
}

export interface RunEvalOptions {
  runId: string;
  tasks: EvalTask[];
  pools: EvalPool[];
  host: EngineHost;
  /** Pairs run at the same time (each task also runs its own calls in parallel within its pool's `concurrency`). */
  concurrency: number;
  /** Aborting stops the run: running tasks are cancelled and not recorded; nothing new starts. */
  signal?: AbortSignal;
  onStart?(task: EvalTask, pool: EvalPool): void;
  onRecord(record: EvalRecord): void;
  engineOptions?: EngineOptions;
}

export interface EvalRunResult {
  records: EvalRecord[];
  /** Pairs that never finished (the run was stopped). */
  unfinished: number;
  interrupted: boolean;
}

/** Collects what a record needs from a task's event stream. */
class TaskWatcher {
  orchestratorModel = '';
  deniedApprovals = 0;
  readonly calls: EvalModelCall[] = [];
  private readonly roles = new Map<string, string>();

  handle = (e: EngineEvent): void => {
    if (e.type === 'task_started' && !e.parentCallId) this.orchestratorModel = e.orchestratorModel;
    else if (e.type === 'tool_call_started') {
      const role = (e.args as { role?: unknown } | undefined)?.role;
      if (typeof role === 'string') this.roles.set(e.callId, role);
    } else if (e.type === 'tool_call_finished' && e.model) {
      const role = this.roles.get(e.callId);
      this.calls.push({
        model: e.model,
        tool: e.tool,
        ...(role ? { role } : {}),
        state: e.state,
        dollars: e.dollars,
        latencyMs: e.latencyMs,
      });
    } else if (e.type === 'approval_resolved' && !e.approved) this.deniedApprovals++;
  };
}

async function runPair(engine: Engine, task: EvalTask, pool: EvalPool, opts: RunEvalOptions): Promise<EvalRecord | undefined> {
  const watcher = new TaskWatcher();
  const startedAt = Date.now();
  let outcome: TaskOutcome;
  try {
    outcome = await engine.ask(
      { taskId: newId('task'), question: task.question, workspace: task.workspace, maxDollars: task.maxDollars },
      watcher.handle,
      opts.signal,
    );
  } catch (err) {
    // The engine reports task failures as outcomes; a throw is a fault of its own, recorded the same way.
    const totals = { dollars: 0, inputTokens: 0, outputTokens: 0, calls: 0, wallMs: 0, models: [], remoteHosts: [], estimated: false };
    outcome = { taskId: '', ok: false, error: { code: 'internal', message: (err as Error).message }, totals };
  }
  const latencyMs = Date.now() - startedAt;
  if (opts.signal?.aborted) return undefined;
  let status: EvalRecord['status'];
  let checkDetail: string | undefined;
  let error = outcome.error;
  if (!outcome.ok) {
    status = 'error';
  } else {
    const check = await checkAnswer(outcome.answer ?? '', task.checker, {
      workspace: task.workspace,
      config: pool.config,
      signal: opts.signal ?? new AbortController().signal,
    });
    if (opts.signal?.aborted) return undefined;
    status = check.verdict;
    checkDetail = check.detail;
    if (check.verdict === 'error') error = { code: 'checker_failed', message: check.detail };
  }
  const answer = outcome.answer;
  const t = outcome.totals;
  return {
    version: EVAL_RECORD_VERSION,
    runId: opts.runId,
    pool: pool.name,
    taskId: task.id,
    line: task.line,
    status,
    checker: task.checker.type,
    ...(checkDetail !== undefined ? { checkDetail } : {}),
    ...(answer !== undefined ? { answer: answer.slice(0, MAX_ANSWER_CHARS) } : {}),
    ...(answer !== undefined && answer.length > MAX_ANSWER_CHARS ? { answerTruncated: true } : {}),
    ...(error ? { error } : {}),
    dollars: t.dollars,
    unpricedCalls: (t.unpriced ?? []).reduce((n, u) => n + u.calls, 0),
    latencyMs,
    inputTokens: t.inputTokens,
    outputTokens: t.outputTokens,
    orchestratorModel: watcher.orchestratorModel,
    models: t.models,
    modelCalls: watcher.calls,
    deniedApprovals: watcher.deniedApprovals,
    startedAt,
    finishedAt: Date.now(),
  };
}

/** Runs the eval; resolves once every pair finished or, after an abort, once the running ones stopped. */
export async function runEval(opts: RunEvalOptions): Promise<EvalRunResult> {
  const engines = opts.pools.map((p) => createEngine(opts.host, p.config, opts.engineOptions));
  const queue: Array<{ task: EvalTask; pool: number }> = [];
  for (const task of opts.tasks) opts.pools.forEach((_, pool) => queue.push({ task, pool }));
  const total = queue.length;
  const records: EvalRecord[] = [];
  const worker = async (): Promise<void> => {
    while (queue.length && !opts.signal?.aborted) {
      const { task, pool } = queue.shift()!;
      opts.onStart?.(task, opts.pools[pool]);
      const record = await runPair(engines[pool], task, opts.pools[pool], opts);
      if (!record) continue;
      records.push(record);
      opts.onRecord(record);
    }
  };
  try {
    const workers = Math.max(1, Math.min(opts.concurrency, total));
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    await Promise.all(engines.map((e) => e.dispose()));
  }
  return { records, unfinished: total - records.length, interrupted: !!opts.signal?.aborted };
}
