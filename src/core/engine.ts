// The engine: runs tasks with the orchestrator dialect that fits the orchestrator model, over the
// model pool and the workspace tools, and streams typed events. Hosts (CLI, engine process, tests)
// create it with `createEngine(host, config)`. No `vscode` import here.
import type { OrchestraConfig, PrivacyMode } from './config';
import type { DiscoveredServer, Engine, EngineHost, ModelInfo, TaskOutcome, TaskRequest } from './engine-api';
import type { EngineEvent, Totals } from './protocol/events';
import type { Tool } from './tools/tool';
import { ModelPool, type PoolModel, type PoolOptions } from './pool';
import { createWorkspaceTools, McpManager, mcpServerDestination } from './tools';
import { discoverLocalServers } from './discovery';
import { modelVerdict } from './preferences';
import { newId } from './ids';
import { TrajectoryWriter, TRAJECTORY_VERSION, type TrajectoryPoolEntry } from './trajectory';
import { Scope, TaskFailure, TaskTree, abortFailure, raceAbort } from './orchestrator/runtime';
import { runGeneral } from './orchestrator/general';
import { runToolOrchestra } from './orchestrator/toolorchestra';

export interface EngineOptions {
  /** Passed to the model pool (tests shorten the retry backoff). */
  pool?: PoolOptions;
  /** ripgrep to use (VS Code's bundled one); a system `rg` otherwise. */
  rgPath?: string;
  /** How many finished tasks keep their trajectory in memory for `Engine.trajectory`. Default 10. */
  keepTrajectories?: number;
}

export type Dialect = 'general' | 'toolorchestra';

/** The orchestrator model under the current rules, or why there is none. */
export function pickOrchestrator(config: OrchestraConfig, models: PoolModel[]): { model: PoolModel; dialect: Dialect } | { error: string } {
  let model: PoolModel | undefined;
  if (config.orchestrator.model) {
    model = models.find((m) => m.id === config.orchestrator.model);
    if (!model) return { error: `orchestrator.model: no model with id "${config.orchestrator.model}" in models` };
    const v = modelVerdict(model, config);
    if (!v.eligible) return { error: `the orchestrator model cannot be used: ${v.reason}` };
  } else {
    const eligible = models.filter((m) => modelVerdict(m, config).eligible);
    model = eligible.find((m) => m.roles.includes('orchestrator')) ?? eligible[0];
    if (!model) {
      if (!models.length) return { error: 'no models are configured (add entries under "models")' };
      const why = models.map((m) => {
        const v = modelVerdict(m, config);
        return v.eligible ? '' : `${m.id}: ${v.reason}`;
      });
      return { error: `no model is eligible to orchestrate:\n${why.filter(Boolean).join('\n')}` };
    }
  }
  const dialect =
    config.orchestrator.dialect === 'auto'
      ? /orchestrator/i.test(model.model)
        ? 'toolorchestra'
        : 'general'
      : config.orchestrator.dialect;
  return { model, dialect };
}

export function modelInfo(m: PoolModel, config: OrchestraConfig): ModelInfo {
  const v = modelVerdict(m, config);
  return {
    id: m.id,
    model: m.model,
    baseUrl: m.baseUrl,
    host: m.host,
    local: m.local,
    openWeights: m.openWeights,
    roles: [...m.roles],
    description: m.description,
    inputPricePerMillion: m.inputPricePerMillion,
    outputPricePerMillion: m.outputPricePerMillion,
    contextWindow: m.contextWindow,
    latencyMs: m.latencyMs,
    eligible: v.eligible,
    ineligibleReason: v.eligible ? undefined : v.reason,
  };
}

const SECRET_MIN_LENGTH = 8;

export function createEngine(host: EngineHost, initialConfig: OrchestraConfig, options: EngineOptions = {}): Engine {
  let config = initialConfig;
  const secrets = new Set<string>();
  // Every key the engine hands out is remembered so it can be scrubbed from events and trajectories.
  const getSecret: EngineHost['getSecret'] = async (ref) => {
    const value = await host.getSecret(ref);
    if (value && value.length >= SECRET_MIN_LENGTH) secrets.add(value);
    return value;
  };
  const log = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => host.log?.(level, scrub(message));
  const pool = new ModelPool(config, getSecret, log, options.pool);
  // Delegates explicitly (a host may be a class instance whose methods live on its prototype).
  const taskHost: EngineHost = {
    getSecret,
    requestApproval: (req) => host.requestApproval(req),
    log,
    extraTools: host.extraTools ? () => host.extraTools!() : undefined,
    get workspaceTrusted() {
      return host.workspaceTrusted;
    },
  };
  const tasks = new Map<string, AbortController>();
  /** The running tasks' trees, so one call in them can be stopped (`cancelCall`). */
  const trees = new Map<string, TaskTree>();
  const trajectories = new Map<string, string>();
  const keep = options.keepTrajectories ?? 10;
  let mcp: { key: string; manager?: McpManager; tools: Promise<Tool[]> } | undefined;
  let disposed = false;

  /** What child processes must not inherit: every configured key variable and every key fetched. */
  function knownSecrets(): { names: string[]; values: string[] } {
    const names = config.models.flatMap((m) => (m.apiKeyEnv ? [m.apiKeyEnv] : []));
    if (config.tools.webSearch.apiKeyEnv) names.push(config.tools.webSearch.apiKeyEnv);
    return { names, values: [...secrets] };
  }

  function scrub(text: string): string {
    let out = text;
    for (const s of secrets) if (out.includes(s)) out = out.split(s).join('[redacted]');
    return out;
  }
  function scrubEvent(e: EngineEvent): EngineEvent {
    if (!secrets.size) return e;
    const text = JSON.stringify(e);
    const clean = scrub(text);
    return clean === text ? e : (JSON.parse(clean) as EngineEvent);
  }

  function mcpTools(workspace: string, trusted: boolean): Promise<Tool[]> {
    // In local-only mode a remote MCP server is never connected: even starting it (initialize,
    // tools/list) would send data off the machine, so it is skipped, not merely hidden afterwards.
    // MCP tool calls always ask for approval (run_code's autoApprove does not cover them).
    const localOnly = config.privacyMode === 'local-only';
    const servers = config.tools.mcpServers.filter((s) => !localOnly || mcpServerDestination(s) === 'local');
    const key = JSON.stringify([servers, workspace, trusted]);
    if (mcp?.key !== key) {
      const old = mcp;
      mcp = undefined;
      void old?.manager?.dispose().catch(() => undefined);
      for (const s of config.tools.mcpServers) {
        if (!servers.includes(s)) log('info', `MCP server ${s.name} not started: privacy mode local-only, and it is remote (${s.url})`);
      }
      if (!servers.length) {
        mcp = { key, tools: Promise.resolve([]) };
        return mcp.tools;
      }
      const manager = new McpManager(servers, {
        workspace,
        workspaceTrusted: trusted,
        knownSecrets,
        log: (l, m) => log(l === 'error' ? 'error' : l === 'warn' ? 'warn' : 'info', m),
      });
      const tools = manager.start().then(
        (r) => {
          for (const p of r.problems) log('warn', `MCP server ${p.server}: ${p.message}`);
          return r.tools;
        },
        (err: unknown) => {
          log('warn', `MCP servers could not start: ${(err as Error).message}`);
          return [] as Tool[];
        },
      );
      mcp = { key, manager, tools };
    }
    return mcp.tools;
  }

  /**
   * Fetches every key this task may use before anything is emitted, so a model that repeats one (or
   * a provider that echoes it) is scrubbed from the very first event, not only after its first use.
   */
  async function learnSecrets(cfg: OrchestraConfig): Promise<void> {
    const refs: Array<Parameters<EngineHost['getSecret']>[0]> = pool
      .all()
      .filter((m) => modelVerdict(m, cfg).eligible)
      .map((m) => ({ modelId: m.id, env: m.apiKeyEnv, purpose: 'model' as const }));
    const web = cfg.tools.webSearch;
    if (web.provider === 'tavily' || web.provider === 'brave')
      refs.push({ env: web.apiKeyEnv ?? (web.provider === 'tavily' ? 'TAVILY_API_KEY' : 'BRAVE_API_KEY'), purpose: 'web_search' });
    // A key that cannot be read now is asked for again when it is needed (and fails there, with its reason).
    await Promise.all(refs.map((ref) => getSecret(ref).catch(() => undefined)));
  }

  function remember(taskId: string, text: string): void {
    trajectories.set(taskId, text);
    while (trajectories.size > keep) trajectories.delete(trajectories.keys().next().value as string);
  }

  async function ask(req: TaskRequest, onEvent: (e: EngineEvent) => void, signal?: AbortSignal): Promise<TaskOutcome> {
    const taskConfig = config;
    const taskId = req.taskId ?? newId('task');
    if (tasks.has(taskId)) throw new Error(`a task with id ${taskId} is already running`);
    const controller = new AbortController();
    tasks.set(taskId, controller);
    const onOuterAbort = () => controller.abort(new TaskFailure('cancelled', 'cancelled by the user'));
    if (signal?.aborted) onOuterAbort();
    else signal?.addEventListener('abort', onOuterAbort, { once: true });
    const wallSeconds = taskConfig.budget.maxWallTimeSeconds;
    const wallTimer = setTimeout(
      () => controller.abort(new TaskFailure('wall_time', `stopped at the wall-time limit (${wallSeconds} s)`)),
      wallSeconds * 1000,
    );

    const trajectory = new TrajectoryWriter(req.trajectoryPath, scrub);
    let ended = false;
    const emit = (e: EngineEvent) => {
      // After done/error nothing more is said about the task (a late progress line from a stopping tool).
      if (ended) return;
      if (e.type === 'done' || e.type === 'error') ended = true;
      const clean = scrubEvent(e);
      trajectory.write({ type: 'event', event: clean });
      try {
        onEvent(clean);
      } catch (err) {
        log('warn', `event listener failed: ${(err as Error).message}`);
      }
    };
    const tree = new TaskTree({
      taskId,
      config: taskConfig,
      pool,
      host: taskHost,
      workspace: req.workspace,
      emit,
      trajectory,
      signal: controller.signal,
      currentConfig: () => config,
    });
    trees.set(taskId, tree);
    const root = new Scope(tree, { budget: tree.budget, maxTurns: taskConfig.budget.maxTurns, depth: 0 });
    const picked = pickOrchestrator(taskConfig, pool.all());
    const dialect: Dialect = 'dialect' in picked ? picked.dialect : 'general';
    const orchestratorId = 'model' in picked ? picked.model.id : '';

    let outcome: TaskOutcome;
    try {
      await raceAbort(learnSecrets(taskConfig), controller.signal);
      const trusted = host.workspaceTrusted !== false;
      const baseTools: Tool[] = [
        ...createWorkspaceTools({
          config: taskConfig,
          getSecret,
          workspace: req.workspace,
          workspaceTrusted: trusted,
          rgPath: options.rgPath,
          knownSecrets,
        }),
        ...(host.extraTools?.() ?? []),
        ...(await mcpTools(req.workspace, trusted)),
      ];
      trajectory.write({
        type: 'header',
        version: TRAJECTORY_VERSION,
        taskId,
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
        orchestratorModel: orchestratorId,
        privacyMode: taskConfig.privacyMode,
        preferences: taskConfig.preferences,
        budget: taskConfig.budget,
        concurrency: taskConfig.concurrency,
        pool: pool.all().map((m): TrajectoryPoolEntry => {
          // Where a model lives and how fast it was are not part of what a trajectory teaches.
          const { baseUrl: _baseUrl, latencyMs: _latencyMs, ...entry } = modelInfo(m, taskConfig);
          return entry;
        }),
        tools: baseTools.map((t) => ({ name: t.name, kind: t.kind, description: t.description })),
      });
      tree.emit({
        type: 'task_started',
        question: req.question,
        dialect,
        orchestratorModel: orchestratorId,
        privacyMode: taskConfig.privacyMode,
        budgetDollars: taskConfig.budget.maxDollarsPerTask,
        attachments: req.attachments?.length
          ? req.attachments.map((a) => ({ kind: a.kind, path: a.path, startLine: a.startLine, endLine: a.endLine }))
          : undefined,
      });
      if ('error' in picked)
        throw new TaskFailure(
          picked.error.startsWith('orchestrator.model') || picked.error.startsWith('no models') ? 'config' : 'no_model',
          picked.error,
        );
      tree.checkAlive();
      const run =
        dialect === 'toolorchestra'
          ? await runToolOrchestra(root, { question: req.question, orchestrator: picked.model, baseTools, attachments: req.attachments })
          : await runGeneral(root, {
              question: req.question,
              orchestrator: picked.model,
              baseTools,
              attachments: req.attachments,
              preferRole: req.preferRole,
            });
      tree.answerStream.finish(run.answer);
      const totals = tree.totals();
      tree.emit({
        type: 'done',
        answer: run.answer,
        totals,
        trajectoryPath: req.trajectoryPath && !trajectory.error ? req.trajectoryPath : undefined,
      });
      outcome = { taskId, ok: true, answer: run.answer, totals };
    } catch (err) {
      const failure =
        err instanceof TaskFailure
          ? controller.signal.aborted && err.code === 'internal'
            ? abortFailure(controller.signal)
            : err
          : controller.signal.aborted
            ? abortFailure(controller.signal)
            : new TaskFailure('internal', `internal error: ${(err as Error).message}`);
      if (failure.code === 'internal') log('error', `task ${taskId}: ${(err as Error).stack ?? (err as Error).message}`);
      const totals = tree.totals();
      tree.emit({ type: 'error', code: failure.code, message: failure.message, totals });
      outcome = { taskId, ok: false, error: { code: failure.code, message: failure.message }, totals };
    } finally {
      clearTimeout(wallTimer);
      signal?.removeEventListener('abort', onOuterAbort);
      // Anything still running under this task (a subtask's straggler) is stopped now.
      if (!controller.signal.aborted) controller.abort(new TaskFailure('cancelled', 'the task ended'));
      tasks.delete(taskId);
      trees.delete(taskId);
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
    if (trajectory.error) log('warn', trajectory.error);
    remember(taskId, trajectory.text());
    // The outcome carries the same answer and message as the terminal event: scrubbed the same way.
    return secrets.size ? (JSON.parse(scrub(JSON.stringify(outcome))) as TaskOutcome) : outcome;
  }

  const engine: Engine = {
    get config() {
      return config;
    },
    configure(next: OrchestraConfig) {
      config = next;
      pool.update(next);
    },
    ask(req, onEvent, signal) {
      if (disposed) return Promise.reject(new Error('the engine was disposed'));
      return ask(req, onEvent, signal);
    },
    cancel(taskId: string): boolean {
      const c = tasks.get(taskId);
      if (!c || c.signal.aborted) return false;
      c.abort(new TaskFailure('cancelled', 'cancelled by the user'));
      return true;
    },
    cancelCall(taskId: string, callId: string): boolean {
      const c = tasks.get(taskId);
      if (!c || c.signal.aborted) return false;
      return trees.get(taskId)?.cancelCall(callId) ?? false;
    },
    listModels(): ModelInfo[] {
      return pool.all().map((m) => modelInfo(m, config));
    },
    async testModel(id: string, signal?: AbortSignal) {
      const m = pool.get(id);
      if (!m) return { ok: false, latencyMs: 0, error: `unknown model "${id}"` };
      // A test request sends data too: the privacy rules apply to it like to any call.
      const v = modelVerdict(m, config);
      if (!v.eligible) return { ok: false, latencyMs: 0, error: `not tested: ${v.reason}` };
      return pool.test(id, signal);
    },
    discover(opts?: { host?: string; timeoutMs?: number }): Promise<DiscoveredServer[]> {
      return discoverLocalServers({ host: opts?.host, timeoutMs: opts?.timeoutMs });
    },
    trajectory(taskId: string): string | undefined {
      return trajectories.get(taskId);
    },
    setPrivacyMode(mode: PrivacyMode) {
      config = { ...config, privacyMode: mode };
      pool.update(config);
    },
    async dispose() {
      disposed = true;
      for (const c of tasks.values()) c.abort(new TaskFailure('cancelled', 'the engine is shutting down'));
      const m = mcp;
      mcp = undefined;
      await m?.manager?.dispose().catch(() => undefined);
    },
  };
  return engine;
}

export type { Totals };
