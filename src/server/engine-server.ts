// Serves one Engine over a JSON-RPC connection (the protocol in src/protocol/engine-rpc.ts). The
// connection is any vscode-languageserver Connection: stdio, Node IPC or a socket, so the editor
// that drives this process does not matter. A task runs in the background after `orchestra/ask`
// returns its id; whatever happens inside it ends as that task's `done` or `error` event, never as a
// dead process.
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import { ResponseError, ErrorCodes } from 'vscode-languageserver/node';
import type { Connection } from 'vscode-languageserver/node';
import { invalidSettingsMessage, parseConfig } from '../core/config';
import type { ConfigProblem, OrchestraConfig } from '../core/config';
import { createEngine } from '../core/engine';
import type { Engine, EngineHost, TaskOutcome, TaskRequest } from '../core/engine-api';
import { resumeRequest } from '../core/conversations/task-records';
import { EngineEvent, TaskError } from '../core/protocol/events';
import type { Totals } from '../core/protocol/events';
import type { Tool } from '../core/tools/tool';
import { webSearchEndpoint } from '../core/tools/web-search';
import {
  ApprovalRequestType,
  AskParams,
  AskRequest,
  CancelCallParams,
  CancelCallRequest,
  CancelDownloadRequest,
  CancelRequest,
  CatalogParams,
  FeedbackParams,
  FeedbackRequest,
  CatalogRequest,
  ConfigureParams,
  ConfigureRequest,
  DiscoverParams,
  DiscoverRequest,
  DownloadIdParams,
  DownloadModelParams,
  DownloadModelRequest,
  DownloadProgressNotification,
  EventNotification,
  InspectModelFileParams,
  InspectModelFileRequest,
  ListModelsRequest,
  QualityStatsRequest,
  ResetQualityParams,
  ResetQualityRequest,
  LocalModelsRequest,
  LogNotification,
  ProbeEndpointParams,
  ProbeEndpointRequest,
  ResumeParams,
  ResumeRequestType,
  SecretRequest,
  TaskIdParams,
  TestModelParams,
  TestModelRequest,
  TrajectoryRequest,
  emptyTotals,
  parseAtEdge,
} from '../protocol/engine-rpc';
import type { LogParams } from '../protocol/engine-rpc';
import { DeltaCoalescer } from './delta-coalescer';
import { createFindSymbolsTool } from './find-symbols-tool';
import { HostModelBridge } from './host-models';
import { setAsideHostOrchestrator } from '../core/pool';
import { expandHome } from './llama/embedded';
import { EmbeddedModelHost } from './local-models';
import { ModelDownloads, inspectModelFile } from './model-downloads';
import { probeEndpoint } from './probe-endpoint';
import { SecretRedactor } from './redact';
import { errorText } from './util';

export const SERVER_NAME = 'orchestra-engine';
export const SERVER_VERSION = '0.1.0';
/** How long a finished task's id is remembered, and how many are remembered at most. */
const KEEP_FINISHED_MS = 60_000;
const MAX_FINISHED_KEPT = 1_000;

interface RunningTask {
  controller: AbortController;
  lastSeq: number;
  totals: Totals;
  finished: boolean;
}

export interface EngineServer {
  /** The engine, once the first `orchestra/configure` arrived. */
  readonly engine: Engine | undefined;
  /** `text` with every secret this process has seen blanked out (for anything it sends or logs). */
  redact(text: string): string;
  dispose(): Promise<void>;
}

/** Registers every Orchestra handler on `connection`. The caller calls `connection.listen()`. */
export function startEngineServer(connection: Connection): EngineServer {
  const redactor = new SecretRedactor();
  const tasks = new Map<string, RunningTask>();
  /**
   * Finished task ids → when they finished, kept a while so a late cancel answers truthfully and an
   * id is not reused. Only the id and a time: a task's controller, closures and totals are let go.
   */
  const finishedTasks = new Map<string, { at: number; lastSeq: number }>();
  const rememberFinished = (taskId: string, lastSeq: number): void => {
    const now = Date.now();
    finishedTasks.set(taskId, { at: now, lastSeq });
    // Oldest first (insertion order): drop what is too old, or over the cap.
    for (const [id, { at }] of finishedTasks) {
      if (now - at < KEEP_FINISHED_MS && finishedTasks.size <= MAX_FINISHED_KEPT) break;
      finishedTasks.delete(id);
    }
  };
  let engine: Engine | undefined;
  let workspace = process.cwd();
  let workspaceTrusted = false;
  let clientTools: string[] = [];
  let allowEnvSecrets = true;
  let ripgrepHint: string | undefined;
  /** Where the engine keeps its quality estimates (the client's storage folder); unset: in memory. */
  let dataDir: string | undefined;
  let conversationsDir: string | undefined;
  /** The configuration last applied (set before the engine is created, which may already ask for keys). */
  let currentConfig: OrchestraConfig | undefined;

  const log = (level: LogParams['level'], message: string): void => {
    void connection.sendNotification(LogNotification, { level, message: redactor.redact(message) }).catch(() => undefined);
  };
  const embedded = new EmbeddedModelHost(log);
  const hostModels = new HostModelBridge(connection, log);
  const downloads = new ModelDownloads(
    (p) => void connection.sendNotification(DownloadProgressNotification, p).catch(() => undefined),
    log,
  );
  /** Where downloads go unless a folder is named: `local.modelsDir` of the current settings, else ~/.orchestra/models. */
  const downloadFolder = (dir: string | undefined): string => ModelDownloads.folder(dir, engine?.config.local.modelsDir, workspace);

  /**
   * The endpoint a key is for: the model's baseUrl, or the web-search provider's URL, under the
   * configuration in force. The editor releases a key only to the origin it was stored for.
   */
  const secretEndpoint = (ref: { modelId?: string; purpose: 'model' | 'web_search'; baseUrl?: string }): string | undefined => {
    if (!currentConfig) return undefined;
    if (ref.purpose === 'web_search') return webSearchEndpoint(currentConfig.tools.webSearch) || undefined;
    const model = currentConfig.models.find((m) => m.id === ref.modelId);
    // A key for another replica is asked for that replica's address, and only when the model lists it.
    if (model && ref.baseUrl && model.baseUrls?.includes(ref.baseUrl)) return ref.baseUrl;
    return model?.baseUrl;
  };

  const host: EngineHost = {
    async getSecret(ref) {
      let value: string | undefined;
      const baseUrl = secretEndpoint(ref);
      try {
        const r = await connection.sendRequest(SecretRequest, { modelId: ref.modelId, env: ref.env, purpose: ref.purpose, baseUrl });
        value = typeof r?.value === 'string' && r.value ? r.value : undefined;
      } catch (err) {
        log('warn', `could not ask the editor for a ${ref.purpose} key${ref.modelId ? ` (model ${ref.modelId})` : ''}: ${errorText(err)}`);
      }
      // A CLI-style client may rely on the named environment variable. Not an editor that says
      // otherwise: a workspace's settings could name any variable (GITHUB_TOKEN) and have it sent.
      if (!value && ref.env && allowEnvSecrets) value = process.env[ref.env] || undefined;
      if (value) redactor.add(value);
      return value;
    },
    async requestApproval(req) {
      try {
        const r = await connection.sendRequest(ApprovalRequestType, {
          taskId: req.taskId,
          callId: req.callId,
          approvalId: req.approvalId,
          kind: req.kind,
          title: req.title,
          detail: req.detail,
          language: req.language,
        });
        return r?.approved === true;
      } catch (err) {
        // No one could answer: deny, and say why.
        log('warn', `approval ${req.approvalId} (${req.kind}) could not be asked, denied: ${errorText(err)}`);
        return false;
      }
    },
    log,
    extraTools(): Tool[] {
      return clientTools.includes('find_symbols') ? [createFindSymbolsTool(connection)] : [];
    },
    get workspaceTrusted() {
      return workspaceTrusted;
    },
    hostChat: hostModels.hostChat,
  };

  const requireEngine = (): Engine => {
    if (!engine) throw new ResponseError(ErrorCodes.InvalidRequest, 'the engine is not configured yet: send orchestra/configure first');
    return engine;
  };

  connection.onInitialize(() => ({
    capabilities: {},
    serverInfo: { name: SERVER_NAME, version: SERVER_VERSION },
  }));

  // Configurations apply one after another; a task asked meanwhile starts under the newest one.
  let configuring: Promise<unknown> = Promise.resolve();
  /** Problems of the settings last configured; while there are any, no task starts. */
  let settingsProblems: ConfigProblem[] = [];
  connection.onRequest(ConfigureRequest, (raw) => {
    const params = edge(ConfigureParams, raw, 'orchestra/configure params');
    const run = configuring.then(async () => {
      workspace = params.workspace;
      workspaceTrusted = params.workspaceTrusted;
      clientTools = params.clientTools;
      allowEnvSecrets = params.allowEnvSecrets;
      ripgrepHint = params.ripgrepHint ?? ripgrepHint;
      dataDir = params.dataDir ?? dataDir;
      conversationsDir = params.conversationsDir ?? conversationsDir;
      // VS Code's language models are not in `models`: an orchestrator among them is set aside while validating.
      const aside = setAsideHostOrchestrator(params.config, (id) => params.hostModels.some((m) => m.id === id));
      // The registry step first: embedded models join `models` before validation, so one can be the orchestrator.
      const withLocal = isSettingsObject(aside.raw) ? await embedded.apply(aside.raw, workspace) : { raw: aside.raw, problems: [] };
      const parsed = parseConfig(withLocal.raw);
      const config = aside.restore(parsed.config);
      settingsProblems = [...params.problems, ...parsed.problems];
      const problems = [...parsed.problems, ...withLocal.problems];
      applyConfig(config);
      engine!.setHostModels(params.hostModels);
      for (const p of problems) log('warn', `setting orchestra.${p.path}: ${p.message}`);
      return { problems, modelCount: config.models.length + params.hostModels.length };
    });
    configuring = run.catch(() => undefined);
    return run;
  });

  function applyConfig(config: OrchestraConfig): void {
    currentConfig = config;
    if (!engine) engine = createEngine(host, config, { rgPath: ripgrepHint, qualityFile: dataDir && join(dataDir, 'quality.json') });
    else engine.configure(config);
  }

  connection.onRequest(AskRequest, async (raw) => {
    const params = edge(AskParams, raw, 'orchestra/ask params');
    await configuring;
    const eng = requireEngine();
    if (settingsProblems.length) throw new ResponseError(ErrorCodes.InvalidRequest, invalidSettingsMessage(settingsProblems));
    const taskId = params.taskId ?? randomUUID();
    if (tasks.has(taskId) || finishedTasks.has(taskId))
      throw new ResponseError(ErrorCodes.InvalidParams, `task id "${taskId}" is already in use`);
    if (params.conversationId && !conversationsDir)
      throw new ResponseError(
        ErrorCodes.InvalidParams,
        'conversationId needs a folder to record conversations in: configure conversationsDir first',
      );
    const request: TaskRequest = {
      taskId,
      question: params.question,
      attachments: params.attachments,
      workspace: params.workspace ?? workspace,
      preferRole: params.preferRole,
      orchestratorModel: params.orchestratorModel,
      conversation:
        params.conversationId && conversationsDir
          ? { dir: conversationsDir, id: params.conversationId, parentTaskId: params.parentTaskId }
          : undefined,
      privacyMode: params.privacyMode,
      maxDollars: params.maxDollars,
    };
    const task: RunningTask = { controller: new AbortController(), lastSeq: -1, totals: emptyTotals(), finished: false };
    tasks.set(taskId, task);
    // Runs after the response is on its way: the client learns the id before the first event.
    setImmediate(() => void runTask(taskId, task, (emit, signal) => eng.ask(request, emit, signal)));
    return { taskId };
  });

  connection.onRequest(ResumeRequestType, async (raw) => {
    const params = edge(ResumeParams, raw, 'orchestra/resume params');
    await configuring;
    const eng = requireEngine();
    if (!conversationsDir)
      throw new ResponseError(ErrorCodes.InvalidRequest, 'no conversations are recorded: configure conversationsDir first');
    if (tasks.has(params.taskId)) throw new ResponseError(ErrorCodes.InvalidParams, `task ${params.taskId} is running`);
    const req = {
      taskId: params.taskId,
      conversation: { dir: conversationsDir, id: params.conversationId },
      workspace: params.workspace ?? workspace,
    };
    // Checked before answering, so a task that cannot resume is refused here rather than failing later.
    try {
      resumeRequest(req);
    } catch (err) {
      throw new ResponseError(ErrorCodes.InvalidParams, errorText(err));
    }
    const task: RunningTask = { controller: new AbortController(), lastSeq: -1, totals: emptyTotals(), finished: false };
    tasks.set(params.taskId, task);
    finishedTasks.delete(params.taskId);
    setImmediate(() => void runTask(params.taskId, task, (emit, signal) => eng.resume(req, emit, signal)));
    return { taskId: params.taskId };
  });

  async function runTask(
    taskId: string,
    task: RunningTask,
    start: (emit: (e: EngineEvent) => void, signal: AbortSignal) => Promise<TaskOutcome>,
  ): Promise<void> {
    // Every event is validated once, as sent: a run of merged deltas is one parse, not one per token.
    const send = (e: EngineEvent): void => {
      if (task.finished) return;
      const parsed = EngineEvent.safeParse(e);
      if (!parsed.success) {
        const why = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
        log('error', `task ${taskId}: dropped an invalid ${String((e as { type?: unknown })?.type)} event (${why})`);
        if ((e as { type?: unknown })?.type === 'done' || (e as { type?: unknown })?.type === 'error') {
          finishWithError('internal', `the engine produced an invalid final event (${why})`);
        }
        return;
      }
      const ev = parsed.data;
      task.lastSeq = Math.max(task.lastSeq, ev.seq);
      if (ev.type === 'cost_update' || ev.type === 'done' || ev.type === 'error') task.totals = ev.totals;
      if (ev.type === 'done' || ev.type === 'error') task.finished = true;
      logEvent(ev);
      void connection.sendNotification(EventNotification, ev).catch(() => undefined);
    };
    const coalescer = new DeltaCoalescer(send);
    const emit = (e: EngineEvent): void => {
      if (!task.finished) coalescer.push(e);
    };
    const finishWithError = (code: 'internal' | 'cancelled', message: string): void => {
      coalescer.flush();
      if (task.finished) return;
      const ev: EngineEvent = { type: 'error', taskId, seq: task.lastSeq + 1, time: Date.now(), code, message, totals: task.totals };
      task.finished = true;
      logEvent(ev);
      void connection.sendNotification(EventNotification, ev).catch(() => undefined);
    };
    try {
      const outcome = await start(emit, task.controller.signal);
      coalescer.flush();
      if (!task.finished) {
        // The engine returned without a final event: report its outcome rather than leave the client waiting.
        if (outcome.ok) {
          emit({ type: 'done', taskId, seq: task.lastSeq + 1, time: Date.now(), answer: outcome.answer ?? '', totals: outcome.totals });
        } else {
          const code = TaskError.shape.code.safeParse(outcome.error?.code);
          const ev: EngineEvent = {
            type: 'error',
            taskId,
            seq: task.lastSeq + 1,
            time: Date.now(),
            code: code.success ? code.data : 'internal',
            message: outcome.error?.message ?? 'the task failed',
            totals: outcome.totals,
          };
          emit(ev);
        }
      }
    } catch (err) {
      if (task.controller.signal.aborted) finishWithError('cancelled', 'cancelled');
      else {
        log('error', `task ${taskId} failed: ${errorText(err, true)}`);
        finishWithError('internal', `internal error: ${errorText(err)}`);
      }
    } finally {
      coalescer.flush();
      task.finished = true;
      tasks.delete(taskId);
      rememberFinished(taskId, task.lastSeq);
    }
  }

  function logEvent(ev: EngineEvent): void {
    switch (ev.type) {
      case 'task_started':
        log(
          'info',
          `task ${ev.taskId}: started (orchestrator ${ev.orchestratorModel}, ${ev.dialect} dialect, privacy ${ev.privacyMode}, budget $${ev.budgetDollars})`,
        );
        break;
      case 'tool_call_finished':
        log(
          ev.state === 'ok' ? 'info' : 'warn',
          `task ${ev.taskId}: ${ev.tool}${ev.model ? ` [${ev.model}]` : ''} ${ev.state}` +
            `${ev.usage ? `, ${ev.usage.inputTokens}+${ev.usage.outputTokens} tokens${ev.usage.estimated ? ' (estimated)' : ''}` : ''}` +
            `, $${ev.dollars.toFixed(6)}, ${Math.round(ev.latencyMs)} ms${ev.error ? ` — ${ev.error}` : ''}`,
        );
        break;
      case 'approval_resolved':
        log('info', `task ${ev.taskId}: approval ${ev.approvalId} ${ev.approved ? 'approved' : 'denied'}`);
        break;
      case 'done':
        log('info', `task ${ev.taskId}: done — ${totalsText(ev.totals)}`);
        break;
      case 'error':
        log(ev.code === 'cancelled' ? 'info' : 'error', `task ${ev.taskId}: ${ev.code} — ${ev.message} (${totalsText(ev.totals)})`);
        break;
      default:
        break;
    }
  }

  connection.onRequest(FeedbackRequest, (raw) => {
    const { taskId, verdict } = edge(FeedbackParams, raw, 'orchestra/feedback params');
    let models: Array<{ model: string; role: string }>;
    try {
      models = requireEngine().feedback(taskId, verdict);
    } catch (err) {
      throw new ResponseError(ErrorCodes.InvalidParams, errorText(err));
    }
    // Said as an event of the task too, so every view of it (the panel, its stored copy) shows the verdict.
    const finished = finishedTasks.get(taskId);
    const seq = (finished?.lastSeq ?? 0) + 1;
    if (finished) finished.lastSeq = seq;
    const ev: EngineEvent = { type: 'task_feedback', taskId, seq, time: Date.now(), verdict, models };
    void connection.sendNotification(EventNotification, ev).catch(() => undefined);
    return { models };
  });

  connection.onRequest(CancelRequest, (raw) => {
    const { taskId } = edge(TaskIdParams, raw, 'orchestra/cancel params');
    const task = tasks.get(taskId);
    const byEngine = engine?.cancel(taskId) ?? false;
    if (task && !task.finished) task.controller.abort();
    return { cancelled: byEngine || Boolean(task && !task.finished) };
  });

  connection.onRequest(CancelCallRequest, (raw) => {
    const { taskId, callId } = edge(CancelCallParams, raw, 'orchestra/cancelCall params');
    return { cancelled: engine?.cancelCall(taskId, callId) ?? false };
  });

  connection.onRequest(ListModelsRequest, () => requireEngine().listModels());
  connection.onRequest(QualityStatsRequest, () => requireEngine().qualityStats());
  connection.onRequest(ResetQualityRequest, (raw) => {
    const { model } = edge(ResetQualityParams, raw, 'orchestra/resetQuality params');
    return { reset: requireEngine().resetQuality(model) };
  });

  connection.onRequest(TestModelRequest, async (raw, token) => {
    const { id } = edge(TestModelParams, raw, 'orchestra/testModel params');
    const eng = requireEngine();
    if (!eng.listModels().some((m) => m.id === id))
      throw new ResponseError(ErrorCodes.InvalidParams, `no model with id "${id}" is configured`);
    const controller = new AbortController();
    token.onCancellationRequested(() => controller.abort());
    return eng.testModel(id, controller.signal);
  });

  connection.onRequest(DiscoverRequest, async (raw) => {
    const params = edge(DiscoverParams, raw, 'orchestra/discover params');
    return requireEngine().discover(params);
  });

  connection.onRequest(TrajectoryRequest, (raw) => {
    const { taskId } = edge(TaskIdParams, raw, 'orchestra/trajectory params');
    return { jsonl: requireEngine().trajectory(taskId) };
  });

  connection.onRequest(ProbeEndpointRequest, async (raw, token) => {
    const params = edge(ProbeEndpointParams, raw, 'orchestra/probeEndpoint params');
    if (params.apiKey) redactor.add(params.apiKey);
    const controller = new AbortController();
    token.onCancellationRequested(() => controller.abort());
    const result = await probeEndpoint(params, controller.signal);
    // A provider's error may echo the key it was given.
    if (result.error) result.error = redactor.redact(result.error);
    if (result.chat?.error) result.chat.error = redactor.redact(result.chat.error);
    return result;
  });

  // ---- local models: catalog, downloads, GGUF files ----

  connection.onRequest(CatalogRequest, async (raw) => {
    const { dir } = edge(CatalogParams, raw, 'orchestra/catalog params');
    await configuring;
    return downloads.catalog(downloadFolder(dir));
  });

  connection.onRequest(DownloadModelRequest, async (raw, token) => {
    const params = edge(DownloadModelParams, raw, 'orchestra/downloadModel params');
    await configuring;
    const downloadId = params.downloadId ?? randomUUID();
    // A client may cancel the request itself instead of sending orchestra/cancelDownload.
    const sub = token.onCancellationRequested(() => downloads.cancel(downloadId));
    try {
      return await downloads.download({ catalogId: params.catalogId, dir: downloadFolder(params.dir), downloadId });
    } finally {
      sub.dispose();
    }
  });

  connection.onRequest(CancelDownloadRequest, (raw) => {
    const { downloadId } = edge(DownloadIdParams, raw, 'orchestra/cancelDownload params');
    return { cancelled: downloads.cancel(downloadId) };
  });

  connection.onRequest(LocalModelsRequest, async () => {
    await configuring;
    return embedded.describe();
  });

  connection.onRequest(InspectModelFileRequest, async (raw) => {
    const { path } = edge(InspectModelFileParams, raw, 'orchestra/inspectModelFile params');
    return inspectModelFile(resolve(workspace, expandHome(path)));
  });

  let disposing: Promise<void> | undefined;
  const dispose = (): Promise<void> =>
    (disposing ??= (async () => {
      // The engine first: it ends its tasks as interrupted (resumable), not as stopped by the user.
      const engineDone = engine?.dispose();
      for (const t of tasks.values()) t.controller.abort();
      downloads.cancelAll();
      await engineDone;
      await embedded.stop();
    })());
  connection.onShutdown(dispose);

  return {
    get engine() {
      return engine;
    },
    redact: (text) => redactor.redact(text),
    dispose,
  };
}

function edge<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  try {
    return parseAtEdge(schema, value, what);
  } catch (err) {
    throw new ResponseError(ErrorCodes.InvalidParams, errorText(err));
  }
}

function totalsText(t: Totals): string {
  const where = t.remoteHosts.length ? `data sent to ${t.remoteHosts.join(', ')}` : 'nothing left this machine';
  return `$${t.dollars.toFixed(6)}${t.estimated ? ' (estimated)' : ''}, ${t.calls} calls, ${t.inputTokens}+${t.outputTokens} tokens, ${Math.round(t.wallMs)} ms, models ${t.models.join(', ') || 'none'}; ${where}`;
}

/** Whether a client sent a settings object (anything else is the schema's to report). */
function isSettingsObject(config: unknown): config is Record<string, unknown> {
  return Boolean(config) && typeof config === 'object' && !Array.isArray(config);
}
