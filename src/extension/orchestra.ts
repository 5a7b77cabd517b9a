// The extension's parts and how they meet: settings → engine process, engine events → panel,
// status bar and session, approvals and secrets → the engine. Commands (commands.ts) and the panel
// call into this one object.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ModelInfo, QualityRow } from '../core/engine-api';
import type { EngineEvent } from '../core/protocol/events';
import { invalidSettingsMessage, type ConfigProblem } from '../core/config';
import type { ApprovalParams, LocalModelStatus } from '../protocol/engine-rpc';
import type { PanelLocalModel, PanelModel, PanelStatus } from '../protocol/panel';
import { ApprovalBroker } from './approvals';
import { automaticOrchestratorRefusal, privacyRefusals } from './composer-settings';
import { automaticOrchestratorOf } from './models/model-rows';
import { EngineClient, EngineDownError, errorText } from './engine-client';
import type { EngineState } from './engine-client';
import { findWorkspaceSymbols } from './find-symbols';
import { LanguageModels } from './language-models';
import { offerModelSetup } from './local-models';
import { ProposalContentProvider, PROPOSAL_SCHEME } from './editor-actions';
import { PanelBridge } from './panel-bridge';
import { ApiKeys } from './secrets';
import { SessionState } from './session';
import { SettingsWatcher, readSettings, userScopeSecretEndpoint } from './settings';
import type { OrchestraStatusBar } from './status-bar';
import type { AskInput, LocalModelsHost, PanelHost } from './hosts';

/** Bursts (a configure plus a finished task) refresh the panel's model list once. */
const MODELS_REFRESH_DELAY_MS = 200;

export class Orchestra implements vscode.Disposable, PanelHost, LocalModelsHost {
  readonly log: vscode.LogOutputChannel;
  readonly settings: SettingsWatcher;
  readonly keys: ApiKeys;
  readonly session = new SessionState();
  readonly engine: EngineClient;
  readonly approvals: ApprovalBroker;
  readonly panel: PanelBridge;
  readonly proposals = new ProposalContentProvider();
  readonly languageModels: LanguageModels;
  private readonly disposables: vscode.Disposable[] = [];
  /** The engine's view of the configuration (problems it found, models incl. embedded local ones). */
  private engineProblems: ConfigProblem[] = [];
  private engineModelCount: number | undefined;
  /** The pool and the local GGUF models as the engine last reported them (for the panel). */
  private poolModels: ModelInfo[] | undefined;
  /** The privacy modes the panel's chip cannot switch to (read again when the settings change). */
  /** What the composer's switches would refuse now (they read orchestra.json): computed once per settings change. */
  private composerRefusals: { privacy: PanelStatus['privacyRefusals']; automatic: string | undefined } | undefined;
  private localModelStatus: LocalModelStatus[] | undefined;
  /** The quality estimates per model and role as the engine last reported them (the Models view shows them). */
  private qualityRows: QualityRow[] | undefined;
  private modelsRefresh: NodeJS.Timeout | undefined;
  private hasModelsContext: boolean | undefined;
  private readonly modelsRefreshed = new vscode.EventEmitter<void>();
  /** The engine reported the pool again (the Models view follows). */
  readonly onDidRefreshModels = this.modelsRefreshed.event;

  /** `statusBar` is extension.ts's, shown since activation; from now on this object keeps it current. */
  constructor(
    readonly context: vscode.ExtensionContext,
    private readonly statusBar: OrchestraStatusBar,
  ) {
    this.log = vscode.window.createOutputChannel('Orchestra', { log: true });
    this.settings = new SettingsWatcher(this.log);
    this.keys = new ApiKeys(context.secrets, userScopeSecretEndpoint, (message) => this.log.warn(message));
    this.languageModels = new LanguageModels(this.log);
    this.approvals = new ApprovalBroker(
      {
        panelVisible: () => this.panel.visible,
        showInPanel: (a) => this.panel.showApproval(a),
        resolvedElsewhere: (id, approved) => this.panel.approvalResolved(id, approved),
      },
      this.log,
    );
    this.engine = new EngineClient(context.asAbsolutePath(join('dist', 'server.js')), this.log, {
      configureParams: async () => {
        const settings = readSettings();
        return {
          hostModels: await this.languageModels.current(),
          config: settings.raw,
          // The engine refuses tasks while these (or the schema's own problems) exist.
          problems: settings.problems,
          workspace: this.workspacePath(),
          workspaceTrusted: vscode.workspace.isTrusted,
          clientTools: ['find_symbols'],
          // A workspace's settings may name any variable as a model's apiKeyEnv; keys come from SecretStorage only.
          allowEnvSecrets: false,
          // VS Code ships ripgrep: workspace search needs nothing else installed.
          ripgrepHint: vscode.env.appRoot,
          // Quality estimates (docs/ROUTING.md) stay on this machine, with the extension's other state.
          dataDir: this.context.globalStorageUri.fsPath,
          conversationsDir: this.conversationsDir(),
        };
      },
      onConfigured: (r) => {
        this.engineProblems = r.problems;
        this.engineModelCount = r.modelCount;
        this.pushStatus();
        this.refreshModelsSoon();
      },
      requestApproval: (p: ApprovalParams) => this.approvals.request(p),
      getSecret: (p) => this.keys.get(p),
      findSymbols: (p) => findWorkspaceSymbols(p),
      hostChat: (p, token, sendDelta) => this.languageModels.chat(p, token, sendDelta),
    });
    // After the engine client: the panel's conversation store asks it which journalled tasks still run.
    this.panel = new PanelBridge(this);

    this.disposables.push(
      this.log,
      this.modelsRefreshed,
      this.settings,
      this.session,
      this.approvals,
      this.panel,
      this.languageModels,
      this.languageModels.onDidChange(() => {
        this.engine.configure().catch((err) => this.log.error(`sending the language models to the engine failed: ${errorText(err)}`));
      }),
      vscode.workspace.registerTextDocumentContentProvider(PROPOSAL_SCHEME, this.proposals),
      this.engine.onEvent((e) => this.onEngineEvent(e)),
      this.engine.onDidChangeState(({ state, message }) => {
        if (state === 'down') {
          this.approvals.denyAll();
          this.log.error(`engine down: ${message ?? ''}`);
        }
        this.setContext('orchestra.engineState', state);
        this.pushStatus();
      }),
      this.settings.onDidChange(() => {
        this.composerRefusals = undefined;
        this.pushStatus();
        this.engine.configure().catch((err) => this.log.error(`sending the settings to the engine failed: ${errorText(err)}`));
      }),
      this.session.onDidChange(() => {
        this.pushStatus();
        this.setContext('orchestra.taskRunning', this.session.runningTasks.length > 0);
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.log.info('workspace trusted: code execution and MCP servers are allowed now');
        this.engine.configure().catch((err) => this.log.error(`sending workspace trust to the engine failed: ${errorText(err)}`));
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        this.engine.configure().catch((err) => this.log.error(`sending the workspace to the engine failed: ${errorText(err)}`));
      }),
    );
    this.settings.report();
    this.pushStatus();
    this.setContext('orchestra.engineState', this.engine.state);
    this.setContext('orchestra.taskRunning', false);
  }

  /** Context keys for `when` clauses: `orchestra.taskRunning` (boolean), `orchestra.engineState` (stopped|starting|ready|down). */
  private setContext(key: string, value: unknown): void {
    void vscode.commands.executeCommand('setContext', key, value);
  }

  /** Starts the engine when nothing has yet, so the first question does not wait for it (extension.ts calls it a little after activation). */
  warmUp(): void {
    if (this.engine.state === 'stopped') this.engine.whenReady().catch(() => undefined);
  }

  /** The folder the tools work in: the active editor's workspace folder, else the first one. */
  workspacePath(): string {
    const active = vscode.window.activeTextEditor?.document.uri;
    const folder = (active && vscode.workspace.getWorkspaceFolder(active)) ?? vscode.workspace.workspaceFolders?.[0];
    if (folder && folder.uri.scheme === 'file') return folder.uri.fsPath;
    // No folder open: an empty scratch folder, so the file tools never roam the home directory.
    const scratch = join(this.context.globalStorageUri.fsPath, 'no-workspace');
    mkdirSync(scratch, { recursive: true });
    return scratch;
  }

  /**
   * Where the engine records this workspace's conversations (a journal per task): the extension's
   * storage for the workspace, or for the window when no folder is open.
   */
  conversationsDir(): string {
    const base = this.context.storageUri?.fsPath ?? join(this.context.globalStorageUri.fsPath, 'no-workspace');
    return join(base, 'conversations');
  }

  /** The pool as the engine last reported it (undefined until it has). */
  get models(): ModelInfo[] | undefined {
    return this.poolModels;
  }

  /** The quality estimates as the engine last reported them (undefined until it has). */
  get quality(): QualityRow[] | undefined {
    return this.qualityRows;
  }

  /** Configured models, embedded local ones included once the engine has reported them. */
  modelCount(): number {
    if (this.engineModelCount !== undefined) return this.engineModelCount;
    const c = this.settings.config;
    return c.models.length + c.local.models.length + (c.local.modelsDir ? 1 : 0);
  }

  /** Starts a task and shows it in the panel; returns its id, or undefined when it could not start. */
  async ask(input: AskInput): Promise<string | undefined> {
    // Fail closed: an invalid or misspelt setting may have been meant to make a rule stricter.
    if (this.settings.problems.length) {
      const message = invalidSettingsMessage(this.settings.problems);
      void this.panel.reveal();
      if (input.onFailed) input.onFailed(message);
      else this.settings.report(true);
      return undefined;
    }
    // No model: offer the embedded runtime (and the other ways), then go on with the question.
    if (this.modelCount() === 0) {
      let ready: boolean;
      try {
        ready = await offerModelSetup(this);
      } catch (err) {
        this.reportEngineError('could not set up a model', err);
        input.onFailed?.(`no model could be set up: ${errorText(err)}`);
        return undefined;
      }
      if (!ready) {
        input.onFailed?.('no model is configured yet: add one, discover local servers or download a local model, then ask again');
        return undefined;
      }
    }
    void this.panel.reveal();
    try {
      const { taskId } = await this.engine.ask({
        question: input.question,
        attachments: input.attachments ?? [],
        preferRole: input.preferRole,
        workspace: this.workspacePath(),
        taskId: input.taskId,
        conversationId: input.conversationId,
        parentTaskId: input.parentTaskId,
        orchestratorModel: input.orchestratorModel,
      });
      this.session.taskStarted(taskId);
      return taskId;
    } catch (err) {
      this.reportEngineError('could not start the task', err);
      input.onFailed?.(`could not start the task: ${errorText(err)}`);
      return undefined;
    }
  }

  /** Runs an interrupted or stopped task again from its record; false (and the reason shown) when it cannot. */
  async resume(taskId: string, conversationId: string): Promise<boolean> {
    void this.panel.reveal();
    try {
      await this.engine.resume({ taskId, conversationId, workspace: this.workspacePath() });
      this.session.taskStarted(taskId);
      return true;
    } catch (err) {
      this.reportEngineError('could not resume the task', err);
      return false;
    }
  }

  /** Sends the current settings to the engine and waits until it applied them (local models started). */
  async syncEngine(): Promise<void> {
    await this.engine.whenReady();
    await this.engine.configure();
  }

  /** After `file` was added to `local.models`: applies it and says how the engine serves it. */
  async syncLocalModel(file: string): Promise<LocalModelStatus | undefined> {
    try {
      await this.syncEngine();
      this.localModelStatus = await this.engine.localModels();
      this.pushStatus();
      this.refreshModelsSoon();
      return this.localModelStatus.find((m) => m.file === file);
    } catch (err) {
      this.log.warn(`could not read the local models from the engine: ${errorText(err)}`);
      return undefined;
    }
  }

  /** Refreshes the panel's model list from the engine a moment from now (only while it runs). */
  refreshModelsSoon(): void {
    if (this.modelsRefresh) return;
    this.modelsRefresh = setTimeout(() => {
      this.modelsRefresh = undefined;
      if (this.engine.state !== 'ready') return;
      // An engine without the estimates (an older one) still lists its models.
      const quality = this.engine.qualityStats().catch(() => undefined);
      Promise.all([this.engine.listModels(), this.engine.localModels(), quality]).then(
        ([pool, local, rows]) => {
          this.poolModels = pool;
          this.localModelStatus = local;
          this.qualityRows = rows;
          this.pushStatus();
          this.modelsRefreshed.fire();
        },
        (err) => this.log.debug(`could not read the model list from the engine: ${errorText(err)}`),
      );
    }, MODELS_REFRESH_DELAY_MS);
  }

  async cancel(taskId: string): Promise<boolean> {
    try {
      const cancelled = await this.engine.cancel(taskId);
      this.approvals.denyTask(taskId);
      return cancelled;
    } catch (err) {
      this.log.error(`cancelling task ${taskId} failed: ${errorText(err)}`);
      return false;
    }
  }

  /** The panel's thumbs on an answer: quality evidence for the models that served the task. */
  async feedback(taskId: string, verdict: 'up' | 'down' | 'none'): Promise<void> {
    try {
      await this.engine.feedback(taskId, verdict);
      // The estimates moved.
      this.refreshModelsSoon();
    } catch (err) {
      this.log.warn(`feedback on task ${taskId} was not recorded: ${errorText(err)}`);
      void vscode.window.showWarningMessage(`Orchestra: your feedback was not recorded: ${errorText(err)}`);
    }
  }

  /** Stops one tool call or subtask of a running task (the panel's per-card Stop). */
  async cancelCall(taskId: string, callId: string): Promise<boolean> {
    try {
      return await this.engine.cancelCall(taskId, callId);
    } catch (err) {
      this.log.error(`cancelling call ${callId} of task ${taskId} failed: ${errorText(err)}`);
      return false;
    }
  }

  reportEngineError(what: string, err: unknown): void {
    const message = `Orchestra ${what}: ${errorText(err)}`;
    this.log.error(message);
    const actions = err instanceof EngineDownError ? ['Retry', 'Show Log'] : ['Show Log'];
    void vscode.window.showErrorMessage(message, ...actions).then((choice) => {
      if (choice === 'Retry') void vscode.commands.executeCommand('orchestra.restartEngine');
      else if (choice === 'Show Log') this.log.show(true);
    });
  }

  private onEngineEvent(e: EngineEvent): void {
    this.session.onEvent(e);
    if (e.type === 'done' || e.type === 'error') {
      this.approvals.denyTask(e.taskId);
      // Measured latencies and quality estimates changed.
      this.refreshModelsSoon();
    }
    this.panel.postEngineEvent(e);
  }

  engineState(): { state: EngineState; message?: string } {
    return { state: this.engine.state, message: this.engine.message };
  }

  /** Settings problems: the extension's own check plus any the engine found beyond it. */
  problems(): ConfigProblem[] {
    // The engine validates the merged settings, so a problem of orchestra.json comes back without
    // the file's name: the same path and message count once.
    const key = (p: ConfigProblem) => `${p.path}\u0000${p.message}`;
    const seen = new Set(this.settings.problems.map(key));
    return [...this.settings.problems, ...this.engineProblems.filter((p) => !seen.has(key(p)))];
  }

  pushStatus(): void {
    const config = this.settings.config;
    // The walkthrough's first step is done once any model is in the pool.
    const hasModels = this.modelCount() > 0;
    if (hasModels !== this.hasModelsContext) {
      this.hasModelsContext = hasModels;
      this.setContext('orchestra.hasModels', hasModels);
    }
    const { state, message } = this.engineState();
    const problems = this.problems();
    const automatic = automaticOrchestratorOf(config, this.poolModels);
    // "Automatic" in force is never refused: choosing it changes nothing.
    this.composerRefusals ??= {
      privacy: privacyRefusals(),
      automatic: config.orchestrator.model ? automaticOrchestratorRefusal() : undefined,
    };
    const refusals = this.composerRefusals;
    this.statusBar.update({
      privacyMode: config.privacyMode,
      sessionDollars: this.session.sessionDollars,
      engine: state,
      engineMessage: message,
      problems: problems.length,
    });
    this.panel.postStatus({
      privacyMode: config.privacyMode,
      budgetDollars: config.budget.maxDollarsPerTask,
      sessionDollars: this.session.sessionDollars,
      engine: state === 'stopped' ? { state: 'starting', message: 'the engine starts with the first question' } : { state, message },
      modelCount: this.modelCount(),
      problems,
      settingsInvalid: this.settings.problems.length > 0,
      orchestratorModel: config.orchestrator.model || automatic,
      automaticOrchestrator: { active: !config.orchestrator.model, model: automatic, refusal: refusals.automatic },
      privacyRefusals: refusals.privacy,
      models: this.poolModels?.map(toPanelModel),
      localModels: this.localModelStatus?.map(toPanelLocalModel),
    });
  }

  private disposing: Promise<void> | undefined;

  /** Stops the engine and releases everything; safe to call more than once (deactivate and subscriptions both do). */
  dispose(): Promise<void> {
    this.disposing ??= this.disposeOnce();
    return this.disposing;
  }

  private async disposeOnce(): Promise<void> {
    if (this.modelsRefresh) clearTimeout(this.modelsRefresh);
    this.approvals.denyAll();
    await this.engine.dispose();
    for (const d of this.disposables.reverse()) d.dispose();
  }
}

function toPanelModel(m: ModelInfo): PanelModel {
  return {
    id: m.id,
    local: m.local,
    openWeights: m.openWeights,
    roles: m.roles,
    inputPricePerMillion: m.inputPricePerMillion,
    outputPricePerMillion: m.outputPricePerMillion,
    latencyMs: m.latencyMs,
    eligible: m.eligible,
    ineligibleReason: m.ineligibleReason,
    toolCallFormat: m.toolCallFormat,
    detectedToolCallFormat: m.detectedToolCallFormat,
  };
}

function toPanelLocalModel(m: LocalModelStatus): PanelLocalModel {
  return {
    id: m.id,
    file: m.file,
    served: m.served,
    sizeBytes: m.sizeBytes,
    architecture: m.architecture,
    parameterLabel: m.parameterLabel,
    quantization: m.quantization,
    trainedContextLength: m.trainedContextLength,
    fits: m.fits,
    memorySummary: m.memorySummary,
    problem: m.problem,
  };
}
