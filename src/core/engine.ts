// The engine: runs tasks with the orchestrator dialect that fits the orchestrator model, over the
// model pool and the workspace tools, and streams typed events. Hosts (the engine process, the CLI,
// benchmarks, tests) create it with `createEngine(host, config)`, the one place where its parts — key
// registry, pool, task tools, running tasks — are put together. No `vscode` import here.
import type { OrchestraConfig, PrivacyMode } from './config';
import type { Engine, EngineHost } from './engine-api';
import { discoverLocalServers } from './discovery';
import { bpeEncodingFor } from './tokens/bpe';
import { modelInfo } from './model-info';
import { ModelPool, type PoolOptions } from './pool';
import { modelVerdict } from './preferences';
import { SecretRegistry } from './secrets';
import { runTask, type TaskDeps } from './task-run';
import { RecentTrajectories, RunningTasks } from './tasks';
import { TaskTools } from './tools/task-tools';
import { QualityStore, qualityTable } from './routing/quality';
import type { TokenCounter } from './orchestrator/token-counter';
import { resumeRequest } from './conversations/task-records';

export interface EngineOptions {
  /** Passed to the model pool (tests shorten the retry backoff). */
  pool?: PoolOptions;
  /** ripgrep to use (VS Code's bundled one); a system `rg` otherwise. */
  rgPath?: string;
  /** How many finished tasks keep their trajectory in memory for `Engine.trajectory`. Default 10. */
  keepTrajectories?: number;
  /** Where the quality estimates are kept (docs/ROUTING.md); unset: in memory for this engine only. */
  qualityFile?: string;
  /** Counts prompt tokens for fitting the orchestrator's context (an exact tokenizer); an estimate by default. */
  tokenCounter?: TokenCounter;
}

export function createEngine(host: EngineHost, initialConfig: OrchestraConfig, options: EngineOptions = {}): Engine {
  let config = initialConfig;
  let disposed = false;
  const secrets = new SecretRegistry(host);
  const log: TaskDeps['log'] = (level, message) => host.log?.(level, secrets.scrub(message));
  const pool = new ModelPool(config, secrets.get, log, {
    ...options.pool,
    hostChat: host.hostChat ? (req, onDelta, signal) => host.hostChat!(req, onDelta, signal) : undefined,
  });
  const quality = new QualityStore(options.qualityFile);
  if (quality.loadProblem) log('warn', quality.loadProblem);
  const tools = new TaskTools({
    getSecret: secrets.get,
    extraTools: host.extraTools && (() => host.extraTools?.() ?? []),
    rgPath: options.rgPath,
    knownSecrets: () => secrets.known(config),
    log,
  });
  const deps: TaskDeps = {
    pool,
    // Delegates explicitly (a host may be a class instance whose methods live on its prototype).
    host: {
      getSecret: secrets.get,
      requestApproval: (req) => host.requestApproval(req),
      log,
      extraTools: host.extraTools && (() => host.extraTools?.() ?? []),
      get workspaceTrusted() {
        return host.workspaceTrusted;
      },
    },
    secrets,
    tools,
    running: new RunningTasks(),
    recent: new RecentTrajectories(options.keepTrajectories ?? 10),
    log,
    currentConfig: () => config,
    quality,
    tokenCounter: options.tokenCounter,
  };

  return {
    get config() {
      return config;
    },
    configure(next: OrchestraConfig) {
      config = next;
      pool.update(next);
    },
    ask(req, onEvent, signal) {
      if (disposed) return Promise.reject(new Error('the engine was disposed'));
      return runTask(deps, req, onEvent, signal);
    },
    resume(req, onEvent, signal) {
      if (disposed) return Promise.reject(new Error('the engine was disposed'));
      if (deps.running.has(req.taskId)) return Promise.reject(new Error(`task ${req.taskId} is running`));
      let prepared: ReturnType<typeof resumeRequest>;
      try {
        prepared = resumeRequest(req);
      } catch (err) {
        return Promise.reject(err);
      }
      return runTask(deps, prepared.request, onEvent, signal, prepared.record);
    },
    cancel: (taskId) => deps.running.cancel(taskId),
    cancelCall: (taskId, callId) => deps.running.cancelCall(taskId, callId),
    listModels: () => pool.all().map((m) => modelInfo(m, config, pool.replicaStatus(m.id))),
    tokenCounting: () =>
      Promise.all(
        pool.all().map(async (m) => {
          // The editor's own models have no tokenize endpoint; a model the rules exclude is not asked anything.
          if (m.hostModel) return { id: m.id, counting: bpeEncodingFor(m.model) ? ('bpe' as const) : ('estimate' as const) };
          if (!modelVerdict(m, config).eligible) return { id: m.id, counting: 'not-asked' as const };
          return { id: m.id, counting: await pool.tokens.method(m) };
        }),
      ),
    async testModel(id, signal) {
      const m = pool.get(id);
      if (!m) return { ok: false, latencyMs: 0, error: `unknown model "${id}"` };
      // A test request sends data too: the privacy rules apply to it like to any call.
      const v = modelVerdict(m, config);
      if (!v.eligible) return { ok: false, latencyMs: 0, error: `not tested: ${v.reason}` };
      return pool.test(id, signal);
    },
    discover: (opts) => discoverLocalServers({ host: opts?.host, timeoutMs: opts?.timeoutMs }),
    trajectory: (taskId) => deps.recent.get(taskId),
    feedback: (taskId, verdict) => quality.feedback(taskId, verdict),
    qualityStats: () => qualityTable(quality, pool.all()),
    resetQuality: (modelId) => quality.reset(modelId),
    setPrivacyMode(mode: PrivacyMode) {
      config = { ...config, privacyMode: mode };
      pool.update(config);
    },
    setHostModels(models) {
      pool.setHostModels(models);
    },
    async dispose() {
      disposed = true;
      deps.running.interruptAll('the engine shut down while the task ran (the window was reloaded or closed)');
      await tools.dispose();
    },
  };
}
