// One task from question to outcome: opens it (cancellation, wall-time limit, trajectory), gives it its
// tools, runs the orchestrator dialect that fits the orchestrator model, and turns whatever happens
// into exactly one terminal event and one outcome, scrubbed of every known key.
import type { OrchestraConfig } from './config';
import { withTaskLimits } from './task-limits';
import type { EngineHost, TaskOutcome, TaskRequest } from './engine-api';
import { newId } from './ids';
import { modelInfo } from './model-info';
import { runGeneral } from './orchestrator/general';
import { pickOrchestrator, type Dialect } from './orchestrator/pick';
import { Scope, TaskFailure, TaskTree, abortFailure, raceAbort } from './orchestrator/runtime';
import { runToolOrchestra } from './orchestrator/toolorchestra';
import type { ModelPool, PoolModel } from './pool';
import type { EngineEvent } from './protocol/events';
import type { SecretRegistry } from './secrets';
import type { RecentTrajectories, RunningTasks } from './tasks';
import type { TaskTools } from './tools/task-tools';
import type { Tool } from './tools/tool';
import { TrajectoryWriter, TRAJECTORY_VERSION, type TrajectoryPoolEntry } from './trajectory';
import { ServedCollector, type QualityStore } from './routing/quality';
import type { TokenCounter } from './orchestrator/token-counter';
import type { ParsedJournal, TaskJournal } from './conversations/journal';
import { earlierTurns, openTaskJournal, taskHeader } from './conversations/task-records';

type Log = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;

/** What a task runs on; built once by `createEngine`. */
export interface TaskDeps {
  pool: ModelPool;
  /** The host as tasks see it (its log scrubbed, its keys remembered). */
  host: EngineHost;
  secrets: SecretRegistry;
  tools: TaskTools;
  running: RunningTasks;
  recent: RecentTrajectories;
  log: Log;
  /** The configuration now: a task starts with a snapshot, but privacy may only tighten mid-task. */
  currentConfig: () => OrchestraConfig;
  /** The quality estimates choices read, and where a finished task's outcome is counted (routing/quality.ts). */
  quality?: QualityStore;
  /** Counts prompt tokens for context fitting (an estimate when absent). */
  tokenCounter?: TokenCounter;
}

/** Runs a task; `resumed` is the record of an earlier run of it (Resume): what finished there is replayed. */
export async function runTask(
  deps: TaskDeps,
  req: TaskRequest,
  onEvent: (e: EngineEvent) => void,
  signal?: AbortSignal,
  resumed?: ParsedJournal,
): Promise<TaskOutcome> {
  // This question's own rules (a stricter privacy mode, its dollar cap) on top of the configuration.
  const config = withTaskLimits(deps.currentConfig(), req);
  const taskId = req.taskId ?? newId('task');
  const controller = deps.running.start(taskId);
  const stopWatching = watchTask(controller, config.budget.maxWallTimeSeconds, signal);
  const trajectory = new TrajectoryWriter(req.trajectoryPath, (line) => deps.secrets.scrub(line));
  const served = new ServedCollector();
  const journal =
    req.conversation &&
    openTaskJournal(req.conversation, taskHeader(req, taskId), (line) => deps.secrets.scrub(line), resumed !== undefined);
  const tree = new TaskTree({
    taskId,
    config,
    pool: deps.pool,
    host: deps.host,
    workspace: req.workspace,
    emit: eventSink(
      deps,
      trajectory,
      (e) => {
        served.see(e);
        onEvent(e);
      },
      journal,
    ),
    trajectory,
    signal: controller.signal,
    currentConfig: deps.currentConfig,
    quality: deps.quality,
    tokenCounter: deps.tokenCounter,
    journal,
    replay: resumed && { models: resumed.models, tools: resumed.tools },
  });
  deps.running.attach(taskId, tree);

  let outcome: TaskOutcome;
  try {
    outcome = await answer(deps, tree, req, config, trajectory);
  } catch (err) {
    outcome = await failed(deps, tree, err);
  } finally {
    stopWatching();
    // Anything still running under this task (a subtask's straggler) is stopped now.
    if (!controller.signal.aborted) controller.abort(new TaskFailure('cancelled', 'the task ended'));
    deps.running.end(taskId);
  }
  trajectory.write({
    type: 'end',
    ok: outcome.ok,
    answer: outcome.answer,
    error: outcome.error,
    totals: outcome.totals,
    subtasks: tree.subtasks.map((s) => ({ ...s, totals: tree.ledger.totals(s.callId) })),
  });
  trajectory.flush();
  if (trajectory.error) deps.log('warn', trajectory.error);
  if (journal) {
    journal.write({
      type: 'end',
      ok: outcome.ok,
      answer: outcome.answer,
      error: outcome.error,
      totals: outcome.totals,
      endedAt: Date.now(),
    });
    if (journal.error) deps.log('warn', journal.error);
  }
  deps.recent.remember(taskId, trajectory.text());
  try {
    deps.quality?.taskEnded(taskId, served.served(), served.outcome, served.testVerdicts());
  } catch (err) {
    deps.log('warn', `quality estimates not saved: ${(err as Error).message}`);
  }
  // The outcome carries the same answer and message as the terminal event: scrubbed the same way.
  return deps.secrets.scrubJson(outcome);
}

/** Stops the task when the caller's signal aborts or the wall-time limit passes; returns the undo. */
function watchTask(controller: AbortController, wallSeconds: number, signal?: AbortSignal): () => void {
  const onOuterAbort = () => controller.abort(new TaskFailure('cancelled', 'cancelled by the user'));
  if (signal?.aborted) onOuterAbort();
  else signal?.addEventListener('abort', onOuterAbort, { once: true });
  const wallTimer = setTimeout(
    () => controller.abort(new TaskFailure('wall_time', `stopped at the wall-time limit (${wallSeconds} s)`)),
    wallSeconds * 1000,
  );
  return () => {
    clearTimeout(wallTimer);
    signal?.removeEventListener('abort', onOuterAbort);
  };
}

/** Scrubs, records (trajectory, journal) and delivers each event; after done/error nothing more is said about the task. */
function eventSink(
  deps: TaskDeps,
  trajectory: TrajectoryWriter,
  onEvent: (e: EngineEvent) => void,
  journal?: TaskJournal,
): (e: EngineEvent) => void {
  let ended = false;
  return (e) => {
    // A late progress line from a stopping tool must not follow the terminal event.
    if (ended) return;
    if (e.type === 'done' || e.type === 'error') ended = true;
    const clean = deps.secrets.scrubJson(e);
    trajectory.write({ type: 'event', event: clean });
    journal?.event(clean);
    try {
      onEvent(clean);
    } catch (err) {
      deps.log('warn', `event listener failed: ${(err as Error).message}`);
    }
  };
}

async function answer(
  deps: TaskDeps,
  tree: TaskTree,
  req: TaskRequest,
  config: OrchestraConfig,
  trajectory: TrajectoryWriter,
): Promise<TaskOutcome> {
  const root = new Scope(tree, { budget: tree.budget, maxTurns: config.budget.maxTurns, depth: 0 });
  const picked = pickOrchestrator(config, deps.pool.all(), req.orchestratorModel);
  const dialect: Dialect = 'dialect' in picked ? picked.dialect : 'general';
  const orchestratorId = 'model' in picked ? picked.model.id : '';
  await raceAbort(deps.secrets.learn(deps.pool.all(), config), tree.signal);
  const baseTools = await deps.tools.forTask(config, req.workspace, deps.host.workspaceTrusted !== false);
  trajectory.write(trajectoryHeader(tree, req, config, deps.pool.all(), baseTools, dialect, orchestratorId));
  tree.emit({
    type: 'task_started',
    question: req.question,
    dialect,
    orchestratorModel: orchestratorId,
    privacyMode: config.privacyMode,
    budgetDollars: config.budget.maxDollarsPerTask,
    attachments: req.attachments?.length
      ? req.attachments.map((a) => ({ kind: a.kind, path: a.path, startLine: a.startLine, endLine: a.endLine }))
      : undefined,
  });
  if ('error' in picked)
    throw new TaskFailure(
      picked.error.startsWith('orchestrator.model') || picked.error.startsWith('no models') ? 'config' : 'no_model',
      picked.error,
    );
  if (tree.journal?.error) throw new TaskFailure('config', tree.journal.error);
  const earlier = earlierTurns(req.conversation);
  tree.checkAlive();
  const input = { question: req.question, orchestrator: picked.model, baseTools, attachments: req.attachments, earlier };
  const run =
    dialect === 'toolorchestra' ? await runToolOrchestra(root, input) : await runGeneral(root, { ...input, preferRole: req.preferRole });
  tree.answerStream.finish(run.answer);
  const totals = tree.totals();
  tree.emit({
    type: 'done',
    answer: run.answer,
    totals,
    trajectoryPath: req.trajectoryPath && !trajectory.error ? req.trajectoryPath : undefined,
  });
  return { taskId: tree.taskId, ok: true, answer: run.answer, totals };
}

/** How long a stopped task waits for its calls to end before it reports (they are all aborted already). */
const STOP_SETTLE_MS = 3000;

/** The failure a thrown error stands for: a stop explains itself by its reason, anything unexpected is internal. */
async function failed(deps: TaskDeps, tree: TaskTree, err: unknown): Promise<TaskOutcome> {
  const aborted = tree.signal.aborted;
  const failure =
    err instanceof TaskFailure
      ? aborted && err.code === 'internal'
        ? abortFailure(tree.signal)
        : err
      : aborted
        ? abortFailure(tree.signal)
        : new TaskFailure('internal', `internal error: ${(err as Error).message}`);
  if (failure.code === 'internal') deps.log('error', `task ${tree.taskId}: ${(err as Error).stack ?? (err as Error).message}`);
  // Stopped: its calls wind down first, so they end as stopped and what they spent is in the totals.
  if (failure.code === 'cancelled') await tree.whenIdle(STOP_SETTLE_MS);
  const totals = tree.totals();
  tree.emit({ type: 'error', code: failure.code, message: failure.message, totals });
  return { taskId: tree.taskId, ok: false, error: { code: failure.code, message: failure.message }, totals };
}

function trajectoryHeader(
  tree: TaskTree,
  req: TaskRequest,
  config: OrchestraConfig,
  pool: PoolModel[],
  tools: Tool[],
  dialect: Dialect,
  orchestratorModel: string,
) {
  return {
    type: 'header' as const,
    version: TRAJECTORY_VERSION,
    taskId: tree.taskId,
    question: req.question,
    attachments: (req.attachments ?? []).map((a) => ({
      kind: a.kind,
      path: a.path,
      startLine: a.startLine,
      endLine: a.endLine,
      chars: a.text.length,
    })),
    startedAt: tree.ledger.startedAt,
    dialect,
    orchestratorModel,
    privacyMode: config.privacyMode,
    preferences: config.preferences,
    budget: config.budget,
    concurrency: config.concurrency,
    pool: pool.map((m): TrajectoryPoolEntry => {
      // Where a model lives and how fast it was are not part of what a trajectory teaches.
      const { baseUrl: _baseUrl, latencyMs: _latencyMs, ...entry } = modelInfo(m, config);
      return entry;
    }),
    tools: tools.map((t) => ({ name: t.name, kind: t.kind, description: t.description })),
  };
}
