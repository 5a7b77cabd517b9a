// The extension's side of the engine process: starts dist/server.js lazily with
// vscode-languageclient, restarts it after a crash (at most MAX_RESTARTS within RESTART_WINDOW_MS),
// re-sends the configuration after every start, and ends every task that was in flight when the
// process died with an `engine_down` error event, so no view waits forever.
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { CloseAction, ErrorAction, LanguageClient, RevealOutputChannelOn, State, TransportKind } from 'vscode-languageclient/node';
import type { CloseHandlerResult, ErrorHandlerResult, LanguageClientOptions, ServerOptions } from 'vscode-languageclient/node';
import type { ConfigProblem } from '../core/config';
import type { DiscoveredServer, ModelInfo, QualityRow } from '../core/engine-api';
import { EngineEvent } from '../core/protocol/events';
import type { Totals } from '../core/protocol/events';
import {
  ApprovalParams,
  ApprovalRequestType,
  AskRequest,
  CancelCallRequest,
  CancelDownloadRequest,
  CancelRequest,
  CatalogRequest,
  ConfigureRequest,
  DiscoverRequest,
  DownloadModelRequest,
  DownloadProgressNotification,
  DownloadProgressParams,
  EventNotification,
  FeedbackRequest,
  FindSymbolsParams,
  FindSymbolsRequest,
  HostChatDeltaNotification,
  HostChatParams,
  HostChatRequestType,
  InspectModelFileRequest,
  ListModelsRequest,
  QualityStatsRequest,
  ResetQualityRequest,
  LocalModelsRequest,
  LogNotification,
  LogParams,
  ProbeEndpointRequest,
  ResumeRequestType,
  SecretParams,
  SecretRequest,
  TrajectoryRequest,
  emptyTotals,
  parseAtEdge,
} from '../protocol/engine-rpc';
import type {
  AskParams,
  CatalogEntry,
  ConfigureParams,
  DiscoverParams,
  DownloadModelResult,
  LocalModelStatus,
  FindSymbolsResult,
  ProbeEndpointParams,
  ProbeEndpointResult,
  ResumeParams,
  HostChatDeltaParams,
  HostChatResult,
} from '../protocol/engine-rpc';

export const MAX_RESTARTS = 3;
export const RESTART_WINDOW_MS = 3 * 60_000;

export type EngineState = 'stopped' | 'starting' | 'ready' | 'down';

export interface EngineClientHooks {
  /** The configuration to push after every start and on every settings change. */
  configureParams(): ConfigureParams | Promise<ConfigureParams>;
  /** Called with the engine's answer to each configure (problems name their field). */
  onConfigured(result: { problems: ConfigProblem[]; modelCount: number }): void;
  requestApproval(params: ApprovalParams): Promise<boolean>;
  getSecret(params: SecretParams): Promise<string | undefined>;
  findSymbols(params: { query: string; maxResults: number }): Promise<FindSymbolsResult>;
  /** Runs one engine call on one of VS Code's language models; `sendDelta` streams the reply back. */
  hostChat?(
    params: HostChatParams,
    token: vscode.CancellationToken,
    sendDelta: (d: HostChatDeltaParams['delta']) => void,
  ): Promise<HostChatResult>;
}

interface InFlightTask {
  lastSeq: number;
  totals: Totals;
}

export class EngineDownError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineDownError';
  }
}

export class EngineClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private clientDisposables: vscode.Disposable[] = [];
  private stateValue: EngineState = 'stopped';
  private stateMessage: string | undefined;
  private ready: Deferred<void> | undefined;
  private restarts: number[] = [];
  private readonly inFlight = new Map<string, InFlightTask>();
  private readonly eventEmitter = new vscode.EventEmitter<EngineEvent>();
  private readonly stateEmitter = new vscode.EventEmitter<{ state: EngineState; message?: string }>();
  private readonly downloadProgressEmitter = new vscode.EventEmitter<DownloadProgressParams>();
  private disposed = false;
  /** Settings changed while the engine was starting: configure again once it runs. */
  private configDirty = false;

  /** Every event of every task, validated; includes the `engine_down` errors this class synthesizes. */
  readonly onEvent = this.eventEmitter.event;
  readonly onDidChangeState = this.stateEmitter.event;
  /** Progress of every model download the engine runs. */
  readonly onDownloadProgress = this.downloadProgressEmitter.event;

  constructor(
    private readonly serverModule: string,
    private readonly log: vscode.LogOutputChannel,
    private readonly hooks: EngineClientHooks,
  ) {}

  get state(): EngineState {
    return this.stateValue;
  }
  get message(): string | undefined {
    return this.stateMessage;
  }
  /** The engine process id while it runs. */
  get pid(): number | undefined {
    return this.client?.serverProcess?.pid;
  }
  /** Tasks started and not yet finished. */
  get runningTasks(): string[] {
    return [...this.inFlight.keys()];
  }

  /** Starts the engine if it is not running; resolves once it is configured. Rejects when it is down. */
  async whenReady(): Promise<void> {
    if (this.disposed) throw new EngineDownError('the Orchestra extension is shutting down');
    if (this.stateValue === 'ready') return;
    if (this.stateValue === 'down') throw new EngineDownError(this.stateMessage ?? 'the Orchestra engine is down');
    if (!this.client) this.startClient();
    await this.ready!.promise;
  }

  /**
   * Pushes the current settings. Before the engine runs they are sent on start; while it is starting
   * (its first configure may already be on the way, with older settings) they are sent again once
   * it is ready.
   */
  async configure(): Promise<void> {
    if (!this.client) return;
    if (this.stateValue !== 'ready') {
      this.configDirty = true;
      return;
    }
    await this.sendConfigure(this.client);
  }

  async ask(params: AskParams): Promise<{ taskId: string }> {
    await this.whenReady();
    const client = this.client!;
    // The id is chosen here, so the task is tracked before the engine's first event can arrive.
    const taskId = params.taskId ?? randomUUID();
    this.inFlight.set(taskId, { lastSeq: -1, totals: emptyTotals() });
    try {
      return await client.sendRequest(AskRequest, { ...params, taskId });
    } catch (err) {
      this.inFlight.delete(taskId);
      throw err;
    }
  }

  /** The user's verdict on a finished task; the engine also says it as a `task_feedback` event. */
  async feedback(taskId: string, verdict: 'up' | 'down' | 'none'): Promise<Array<{ model: string; role: string }>> {
    await this.whenReady();
    return (await this.client!.sendRequest(FeedbackRequest, { taskId, verdict })).models;
  }

  /** Runs an interrupted or stopped task of a conversation again from its record (only what did not finish runs). */
  async resume(params: ResumeParams): Promise<{ taskId: string }> {
    await this.whenReady();
    const client = this.client!;
    this.inFlight.set(params.taskId, { lastSeq: -1, totals: emptyTotals() });
    try {
      return await client.sendRequest(ResumeRequestType, params);
    } catch (err) {
      this.inFlight.delete(params.taskId);
      throw err;
    }
  }

  async cancel(taskId: string): Promise<boolean> {
    if (!this.client || this.stateValue !== 'ready') return false;
    const r = await this.client.sendRequest(CancelRequest, { taskId });
    return r.cancelled;
  }

  /** Stops one running tool call or subtask of a task; the task goes on. False when it is not running. */
  async cancelCall(taskId: string, callId: string): Promise<boolean> {
    if (!this.client || this.stateValue !== 'ready') return false;
    const r = await this.client.sendRequest(CancelCallRequest, { taskId, callId });
    return r.cancelled;
  }

  async listModels(): Promise<ModelInfo[]> {
    await this.whenReady();
    return this.client!.sendRequest(ListModelsRequest, {});
  }

  /** The engine's quality estimates per model and role (kept in the extension's storage folder). */
  async qualityStats(): Promise<QualityRow[]> {
    await this.whenReady();
    return this.client!.sendRequest(QualityStatsRequest, {});
  }

  /** Forgets the quality evidence of one model, or of all; resolves to how many estimates were reset. */
  async resetQuality(model?: string): Promise<number> {
    await this.whenReady();
    return (await this.client!.sendRequest(ResetQualityRequest, model ? { model } : {})).reset;
  }

  async discover(params: DiscoverParams = {}): Promise<DiscoveredServer[]> {
    await this.whenReady();
    return this.client!.sendRequest(DiscoverRequest, params);
  }

  async trajectory(taskId: string): Promise<string | undefined> {
    await this.whenReady();
    const r = await this.client!.sendRequest(TrajectoryRequest, { taskId });
    return r.jsonl;
  }

  async probeEndpoint(params: ProbeEndpointParams, token?: vscode.CancellationToken): Promise<ProbeEndpointResult> {
    await this.whenReady();
    return this.client!.sendRequest(ProbeEndpointRequest, params, token);
  }

  /** The download catalog as it stands on this machine (what fits, what is on disk already). */
  async catalog(dir?: string): Promise<CatalogEntry[]> {
    await this.whenReady();
    return this.client!.sendRequest(CatalogRequest, { dir });
  }

  /**
   * Downloads a catalog model in the engine process. `onProgress` gets this download's progress;
   * cancel with cancelDownload(downloadId). Rejects with the engine's ResponseError (its `data` is
   * a DownloadErrorData) when the download fails or is cancelled.
   */
  async downloadModel(
    params: { catalogId: string; dir?: string; downloadId?: string },
    onProgress?: (p: DownloadProgressParams) => void,
  ): Promise<DownloadModelResult> {
    await this.whenReady();
    const downloadId = params.downloadId ?? randomUUID();
    const sub = onProgress ? this.onDownloadProgress((p) => p.downloadId === downloadId && onProgress(p)) : undefined;
    try {
      return await this.client!.sendRequest(DownloadModelRequest, { ...params, downloadId });
    } finally {
      sub?.dispose();
    }
  }

  async cancelDownload(downloadId: string): Promise<boolean> {
    if (!this.client || this.stateValue !== 'ready') return false;
    return (await this.client.sendRequest(CancelDownloadRequest, { downloadId })).cancelled;
  }

  /** Every GGUF model the `orchestra.local` settings name, with its facts and whether it is served. */
  async localModels(): Promise<LocalModelStatus[]> {
    await this.whenReady();
    return this.client!.sendRequest(LocalModelsRequest, {});
  }

  /** What a GGUF file is and whether it can be served (`problem` when not). */
  async inspectModelFile(path: string): Promise<LocalModelStatus> {
    await this.whenReady();
    return this.client!.sendRequest(InspectModelFileRequest, { path });
  }

  /** Stops the engine (if running) and starts a fresh one; clears the crash count ("Retry"). */
  async restart(): Promise<void> {
    this.restarts = [];
    await this.stopClient('the engine was restarted');
    this.setState('stopped');
    await this.whenReady();
  }

  private startClient(): void {
    const serverOptions: ServerOptions = {
      run: { module: this.serverModule, transport: TransportKind.ipc },
      debug: { module: this.serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [],
      outputChannel: this.log,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationFailedHandler: (err) => {
        this.log.error(`the engine failed to initialize: ${errorText(err)}`);
        return false;
      },
      errorHandler: {
        error: (_error, _message, count): ErrorHandlerResult => ({
          action: count !== undefined && count <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown,
          handled: true,
        }),
        closed: (): CloseHandlerResult => this.onConnectionClosed(),
      },
    };
    const client = new LanguageClient('orchestra.engine', 'Orchestra engine', serverOptions, clientOptions);
    this.client = client;
    this.ready = new Deferred<void>();
    this.setState('starting', 'starting the engine');

    this.clientDisposables.push(
      client.onNotification(EventNotification, (raw) => this.onEngineEvent(raw)),
      client.onNotification(LogNotification, (raw) => this.onEngineLog(raw)),
      client.onNotification(DownloadProgressNotification, (raw) => {
        const r = DownloadProgressParams.safeParse(raw);
        if (r.success) this.downloadProgressEmitter.fire(r.data);
      }),
      client.onRequest(ApprovalRequestType, async (raw) => {
        const params = parseAtEdge(ApprovalParams, raw, 'orchestra/approval params');
        return { approved: await this.hooks.requestApproval(params) };
      }),
      client.onRequest(SecretRequest, async (raw) => {
        const params = parseAtEdge(SecretParams, raw, 'orchestra/secret params');
        return { value: await this.hooks.getSecret(params) };
      }),
      client.onRequest(FindSymbolsRequest, async (raw) => {
        const params = parseAtEdge(FindSymbolsParams, raw, 'orchestra/findSymbols params');
        return this.hooks.findSymbols(params);
      }),
      client.onRequest(HostChatRequestType, async (raw, token) => {
        const params = parseAtEdge(HostChatParams, raw, 'orchestra/hostChat params');
        if (!this.hooks.hostChat) throw new Error('this editor serves no language models');
        // Deltas go out in order, and all of them before the response.
        let sending: Promise<void> = Promise.resolve();
        const sendDelta = (delta: HostChatDeltaParams['delta']) => {
          sending = sending
            .then(() => client.sendNotification(HostChatDeltaNotification, { requestId: params.requestId, delta }))
            .catch(() => undefined);
        };
        try {
          return await this.hooks.hostChat(params, token, sendDelta);
        } finally {
          await sending;
        }
      }),
      client.onDidChangeState((e) => {
        if (e.newState === State.Running) void this.onRunning(client);
        else if (e.newState === State.StartFailed && this.client === client) {
          // A start (first or automatic restart) failed, e.g. dist/server.js missing or crashing at once.
          this.markDown('the engine could not be started; see the log (Orchestra: Show log), then Retry');
        }
      }),
    );
    client.start().catch((err) => {
      if (this.client !== client) return;
      this.log.error(`starting the engine failed: ${errorText(err)}`);
      this.markDown(`the engine could not be started: ${errorText(err)}`);
    });
  }

  private async onRunning(client: LanguageClient): Promise<void> {
    try {
      // Settings that changed while a configure was on its way are sent again before "ready".
      do {
        this.configDirty = false;
        await this.sendConfigure(client);
      } while (this.configDirty && this.client === client);
      if (this.client !== client) return;
      this.log.info(`engine running (pid ${client.serverProcess?.pid ?? '?'})`);
      this.setState('ready');
      this.ready?.resolve();
    } catch (err) {
      if (this.client !== client) return;
      this.log.error(`configuring the engine failed: ${errorText(err)}`);
      this.markDown(`the engine did not accept its configuration: ${errorText(err)}`);
    }
  }

  private async sendConfigure(client: LanguageClient): Promise<void> {
    const result = await client.sendRequest(ConfigureRequest, await this.hooks.configureParams());
    this.hooks.onConfigured(result);
  }

  private onConnectionClosed(): CloseHandlerResult {
    const now = Date.now();
    this.failInFlight('the Orchestra engine process stopped while this task was running');
    this.restarts = this.restarts.filter((t) => now - t < RESTART_WINDOW_MS);
    if (this.disposed) return { action: CloseAction.DoNotRestart, handled: true };
    if (this.restarts.length >= MAX_RESTARTS) {
      const message = `the engine stopped ${this.restarts.length + 1} times within ${RESTART_WINDOW_MS / 60_000} minutes and was not restarted again; see the log, then Retry`;
      this.log.error(message);
      this.markDown(message);
      return { action: CloseAction.DoNotRestart, handled: true };
    }
    this.restarts.push(now);
    this.log.warn(
      `the engine process stopped unexpectedly; restarting it (${this.restarts.length} of ${MAX_RESTARTS} within ${RESTART_WINDOW_MS / 60_000} minutes)`,
    );
    if (this.stateValue === 'ready' || !this.ready) this.ready = new Deferred<void>();
    this.setState('starting', 'the engine stopped unexpectedly and is restarting');
    return { action: CloseAction.Restart, handled: true };
  }

  private onEngineEvent(raw: unknown): void {
    const parsed = EngineEvent.safeParse(raw);
    if (!parsed.success) {
      this.log.error(
        `ignored an invalid event from the engine: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
      return;
    }
    const e = parsed.data;
    const task = this.inFlight.get(e.taskId);
    if (task) {
      task.lastSeq = Math.max(task.lastSeq, e.seq);
      if (e.type === 'cost_update') task.totals = e.totals;
      if (e.type === 'done' || e.type === 'error') this.inFlight.delete(e.taskId);
    }
    this.eventEmitter.fire(e);
  }

  private onEngineLog(raw: unknown): void {
    const r = LogParams.safeParse(raw);
    if (!r.success) return;
    const { level, message } = r.data;
    if (level === 'debug') this.log.debug(message);
    else if (level === 'info') this.log.info(message);
    else if (level === 'warn') this.log.warn(message);
    else this.log.error(message);
  }

  /** Ends every running task with an `engine_down` error: the engine cannot report them any more. */
  private failInFlight(message: string): void {
    const tasks = [...this.inFlight.entries()];
    this.inFlight.clear();
    for (const [taskId, t] of tasks) {
      this.log.error(`task ${taskId}: engine_down — ${message}`);
      this.eventEmitter.fire({
        type: 'error',
        taskId,
        seq: t.lastSeq + 1,
        time: Date.now(),
        code: 'engine_down',
        message,
        totals: t.totals,
      });
    }
  }

  /** The engine is down until Retry: the spent client is let go (a failed client cannot start again). */
  private markDown(message: string): void {
    const spent = this.client;
    this.client = undefined;
    this.disposeClientHandlers();
    // Disposed after the client finished its own close handling, which may be running right now.
    if (spent) setTimeout(() => void spent.dispose(2000).catch(() => undefined), 0);
    this.failInFlight(message);
    this.setState('down', message);
    const ready = this.ready;
    this.ready = undefined;
    ready?.reject(new EngineDownError(message));
  }

  private setState(state: EngineState, message?: string): void {
    this.stateValue = state;
    this.stateMessage = message;
    this.stateEmitter.fire({ state, message });
  }

  private disposeClientHandlers(): void {
    for (const d of this.clientDisposables) d.dispose();
    this.clientDisposables = [];
  }

  private async stopClient(reason: string): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.disposeClientHandlers();
    this.failInFlight(`the engine was stopped (${reason})`);
    const ready = this.ready;
    this.ready = undefined;
    ready?.reject(new EngineDownError(reason));
    if (client) {
      try {
        if (client.isRunning()) await client.stop(3000);
        else await client.dispose(3000);
      } catch (err) {
        this.log.warn(`stopping the engine: ${errorText(err)}`);
      }
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.stopClient('the extension is shutting down');
    this.eventEmitter.dispose();
    this.stateEmitter.dispose();
    this.downloadProgressEmitter.dispose();
  }
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

class Deferred<T> {
  readonly promise: Promise<T>;
  resolve!: (v: T) => void;
  reject!: (e: unknown) => void;
  constructor() {
    this.promise = new Promise<T>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    // A rejection nobody awaits (the engine went down while idle) is not an unhandled error.
    this.promise.catch(() => undefined);
  }
}
