// Connects the Orchestra panel (the webview view of src/extension/panel/) to the rest of the
// extension: its buttons become engine calls, settings writes and editor edits; engine events,
// status and approvals go to it. Everything the extension says to the panel passes through here.
import * as vscode from 'vscode';
import type { PrivacyMode } from '../core/config';
import type { Attachment } from '../core/engine-api';
import type { EngineEvent } from '../core/protocol/events';
import type { ApprovalParams } from '../protocol/engine-rpc';
import type { PanelStatus } from '../protocol/panel';
import { applyCode, insertCode, openWorkspaceFile } from './editor-actions';
import { errorText } from './engine-client';
import type { PanelHost } from './hosts';
import { OrchestraPanelProvider } from './panel/OrchestraPanel';
import type { PanelHandlers } from './panel/OrchestraPanel';
import type { AskTicket } from './panel/panelSession';
import { ConversationLibrary } from '../core/conversations/library';
import { openSettingsAt, writeSetting } from './settings';
import { switchOrchestrator, switchOrchestratorAutomatic, switchPrivacyMode, type SettingChange } from './composer-settings';

const PANEL_COMMANDS = {
  addModel: 'orchestra.addModel',
  discover: 'orchestra.discoverLocalServers',
  retryEngine: 'orchestra.restartEngine',
  downloadLocalModel: 'orchestra.downloadLocalModel',
  useLocalModelFile: 'orchestra.useLocalModelFile',
} as const;

/**
 * The panel's side of the Orchestra object. The view provider itself is registered by extension.ts
 * at activation, which hands each view it is given to `resolveWebviewView` here.
 */
export class PanelBridge implements vscode.Disposable {
  private readonly provider: OrchestraPanelProvider;

  constructor(private readonly o: PanelHost) {
    const handlers: PanelHandlers = {
      ask: async (question: string, attachments: Attachment[], ticket: AskTicket) =>
        (await o.ask({ question, attachments, ...ticket, onFailed: (message) => this.provider.post({ type: 'askFailed', message }) })) !==
        undefined,
      resume: (taskId: string, conversationId: string) => o.resume(taskId, conversationId),
      openMarkdown: (markdown: string) =>
        void this.run('export the conversation', async () => {
          const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: markdown });
          await vscode.window.showTextDocument(doc, { preview: false });
        }),
      cancel: (taskId: string) => void o.cancel(taskId),
      cancelCall: (taskId: string, callId: string) => void o.cancelCall(taskId, callId),
      feedback: (taskId, verdict) => void o.feedback(taskId, verdict),
      approve: (approvalId: string, approved: boolean) => void o.approvals.answer(approvalId, approved, 'panel'),
      setPrivacyMode: (mode: PrivacyMode) => void this.switchSetting('privacyMode', 'the privacy mode', () => switchPrivacyMode(o, mode)),
      setOrchestrator: (model: string) =>
        void this.switchSetting('orchestrator.model', 'the orchestrator', () => switchOrchestrator(o, model)),
      setOrchestratorAutomatic: () =>
        void this.switchSetting('orchestrator.model', 'the orchestrator', () => switchOrchestratorAutomatic(o)),
      setBudget: (dollars: number) => void this.run('set the budget', () => writeSetting('budget.maxDollarsPerTask', dollars)),
      insertCode: (code: string, language?: string) => void this.run('insert the code', () => insertCode(code, language)),
      applyCode: (code: string, language?: string) => void this.run('apply the code', () => applyCode(code, o.proposals, language)),
      copy: (text: string) => void this.run('copy', () => vscode.env.clipboard.writeText(text)),
      openFile: (path: string, line?: number) => void this.run(`open ${path}`, () => openWorkspaceFile(path, line)),
      runCommand: (id) => {
        // With problems: where the first one is (orchestra.json, settings.json, or the setting).
        if (id === 'openSettings') void openSettingsAt(o.settings.problems[0]);
        else void vscode.commands.executeCommand(PANEL_COMMANDS[id]);
      },
      newConversation: () => o.log.info('new conversation started in the panel'),
    };
    this.provider = new OrchestraPanelProvider(
      o.context.extensionUri,
      handlers,
      o.context.workspaceState,
      {
        library: new ConversationLibrary(o.conversationsDir()),
        isRunning: (taskId) => o.engine.runningTasks.includes(taskId),
      },
      (level, message) => (level === 'error' ? o.log.error(`panel: ${message}`) : o.log.warn(`panel: ${message}`)),
      // Approvals shown inline can no longer be answered there: they get their modal.
      () => o.approvals.panelHidden(),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.provider.resolveWebviewView(view);
  }

  /** Visible and listening: only then can a user answer an approval there. */
  get visible(): boolean {
    return this.provider.visible && this.provider.ready;
  }

  reveal(): Promise<void> {
    return this.provider.reveal();
  }

  /** Shows the panel scrolled to a task, its tool calls open (the Chat view's "Open in Orchestra"). */
  async revealTask(taskId: string): Promise<void> {
    await this.provider.reveal();
    this.provider.post({ type: 'revealTask', taskId });
  }

  postEngineEvent(e: EngineEvent): void {
    this.provider.postEngineEvent(e);
  }

  postStatus(status: PanelStatus): void {
    this.provider.post({ type: 'status', status });
  }

  showApproval(a: ApprovalParams): void {
    this.provider.post({ type: 'approval', approval: a });
  }

  approvalResolved(approvalId: string, approved: boolean): void {
    this.provider.post({ type: 'approvalResolved', approvalId, approved });
  }

  async newConversation(): Promise<void> {
    await this.provider.newConversation();
  }

  /**
   * A switch from the composer; its answer (saved where, refused why, or the write's failure) goes
   * back to the composer, and the new status follows through the settings watcher.
   */
  private async switchSetting(
    setting: 'privacyMode' | 'orchestrator.model',
    what: string,
    fn: () => Promise<SettingChange>,
  ): Promise<void> {
    let change: SettingChange;
    try {
      change = await fn();
    } catch (err) {
      this.o.log.error(`could not set ${what}: ${errorText(err)}`);
      change = { ok: false, message: `Orchestra could not save ${what}: ${errorText(err)}` };
    }
    this.provider.post({ type: 'settingResult', setting, ...change });
  }

  private async run(what: string, fn: () => Thenable<unknown> | Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.o.log.error(`could not ${what}: ${errorText(err)}`);
      void vscode.window.showErrorMessage(`Orchestra could not ${what}: ${errorText(err)}`);
    }
  }

  dispose(): void {
    this.provider.dispose();
  }
}
