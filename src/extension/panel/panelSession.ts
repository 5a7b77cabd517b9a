// Everything the panel's VS Code side does that is not VS Code glue: validating what the webview
// sends, dispatching it to the handlers, placing each question in its conversation (a follow-up, an
// edited question, a retry), recording engine events in the store, batching them to the webview, and
// replaying the state (conversation, history, status, open approvals) whenever a webview (re)loads
// and says `ready`.
import type { PrivacyMode } from '../../core/config';
import type { Attachment } from '../../core/engine-api';
import type { EngineEvent } from '../../core/protocol/events';
import { parsePanelMessage, type ExtensionToPanel, type PanelApproval, type PanelCommand, type PanelStatus } from '../../protocol/panel';
import type { ConversationStore } from './conversationStore';

/** Where a question goes: the task id it will have, its conversation and the task it follows. */
export interface AskTicket {
  taskId: string;
  conversationId: string;
  parentTaskId?: string;
  /** Orchestrate with this model (an answer retried with another model). */
  orchestratorModel?: string;
}

export interface PanelHandlers {
  /** Starts the task; resolves false when it could not start (the handler has told the panel why). */
  ask(question: string, attachments: Attachment[], ticket: AskTicket): Promise<boolean> | boolean;
  /** Runs an interrupted or stopped task again from its record. */
  resume(taskId: string, conversationId: string): Promise<boolean> | boolean;
  /** Opens a conversation exported as Markdown. */
  openMarkdown(markdown: string, title: string): void;
  cancel(taskId: string): void;
  /** Stops one running tool call or subtask; the task goes on. Optional for hosts without an engine (benchmarks). */
  cancelCall(taskId: string, callId: string): void;
  /** The user's verdict on a finished task's answer; the engine says it back as a `task_feedback` event. */
  feedback?(taskId: string, verdict: 'up' | 'down' | 'none'): void;
  approve(approvalId: string, approved: boolean): void;
  setPrivacyMode(mode: PrivacyMode): void;
  /** The composer's orchestrator picker: `orchestrator.model` for the next question on. */
  setOrchestrator(model: string): void;
  /** The picker's "Automatic": `orchestrator.model` cleared where it takes effect. */
  setOrchestratorAutomatic(): void;
  setBudget(dollars: number): void;
  insertCode(code: string, language?: string): void;
  applyCode(code: string, language?: string): void;
  copy(text: string): void;
  /** Opens a workspace file at a line (a search hit in a card); the path is relative and validated. */
  openFile(path: string, line?: number): void;
  runCommand(id: PanelCommand): void;
  newConversation(): void;
}

export interface PanelTransport {
  postMessage(message: ExtensionToPanel): PromiseLike<boolean> | boolean | void;
}

export interface PanelSessionOptions {
  /** Opens an http(s) link (already validated) outside the editor. */
  openLink(url: string): void;
  /** Where refused messages and handler failures are reported (never message contents). */
  log?(level: 'warn' | 'error', message: string): void;
  /** Delay used to batch bursts of events into one message. */
  batchMs?: number;
  /** Task ids for new questions (unique, letters, digits and - only). */
  newTaskId?: () => string;
}

export class PanelSession {
  private transport: PanelTransport | undefined;
  private ready = false;
  private status: PanelStatus | undefined;
  private readonly approvals = new Map<string, PanelApproval>();
  private compose: ExtensionToPanel | undefined;
  private pendingReveal: ExtensionToPanel | undefined;
  private batch: EngineEvent[] = [];
  private batchTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly store: ConversationStore,
    private readonly handlers: PanelHandlers,
    private readonly options: PanelSessionOptions,
  ) {}

  /** A webview was created; nothing is sent until it says `ready`. */
  attach(transport: PanelTransport): void {
    this.transport = transport;
    this.ready = false;
    this.clearBatch();
  }

  detach(): void {
    this.transport = undefined;
    this.ready = false;
    this.clearBatch();
  }

  get isReady(): boolean {
    return this.ready;
  }

  get pendingApprovals(): PanelApproval[] {
    return [...this.approvals.values()];
  }

  post(msg: ExtensionToPanel): void {
    switch (msg.type) {
      case 'event':
        this.record(msg.event);
        return;
      case 'events':
        for (const e of msg.events) this.record(e);
        return;
      case 'status':
        this.status = msg.status;
        break;
      case 'approval':
        this.approvals.set(msg.approval.approvalId, msg.approval);
        break;
      case 'approvalResolved':
        this.approvals.delete(msg.approvalId);
        break;
      case 'askFailed':
      case 'settingResult':
        break;
      case 'compose':
        if (!this.ready) {
          this.compose = msg;
          return;
        }
        break;
      case 'restore':
      case 'conversation':
        break;
      case 'revealTask':
        // Opened from the Chat view before the panel was loaded: shown once it has its conversation.
        if (!this.ready) {
          this.pendingReveal = msg;
          return;
        }
        break;
    }
    if (this.ready) this.send(msg);
  }

  /** Starts a new conversation from the extension side (the `orchestra.newConversation` command). */
  newConversation(): void {
    this.store.newConversation();
    this.handlers.newConversation();
    if (this.ready) this.sendRestore();
  }

  /** A message from the webview: validated, then handed to its handler. */
  receive(raw: unknown): void {
    const parsed = parsePanelMessage(raw);
    if (!parsed.ok) {
      this.options.log?.('warn', parsed.error);
      // The panel shows "Sending…" until a task starts: tell it this question never will.
      if ((raw as { type?: unknown } | null)?.type === 'ask') this.post({ type: 'askFailed', message: parsed.error });
      return;
    }
    const m = parsed.message;
    try {
      switch (m.type) {
        case 'ready':
          this.ready = true;
          this.replay();
          return;
        case 'ask':
          return this.startAsk(m.question, m.attachments, m.editOf);
        case 'retry':
          return this.retry(m.taskId, m.orchestratorModel);
        case 'selectBranch':
          if (this.store.selectBranch(m.taskId)) this.sendRestore();
          return;
        case 'resume':
          return void Promise.resolve(this.handlers.resume(m.taskId, this.store.currentConversationId)).then(
            () => undefined,
            (err: unknown) => this.options.log?.('error', `resume failed: ${err instanceof Error ? err.message : String(err)}`),
          );
        case 'openConversation': {
          const record = this.store.record(m.conversationId);
          if (record) this.send({ type: 'conversation', record });
          return;
        }
        case 'continueConversation':
          if (this.store.continueConversation(m.conversationId)) this.sendRestore();
          return;
        case 'exportConversation':
          return this.handlers.openMarkdown(this.store.markdown(m.conversationId), m.conversationId);
        case 'cancel':
          return this.handlers.cancel(m.taskId);
        case 'cancelCall':
          return this.handlers.cancelCall(m.taskId, m.callId);
        case 'feedback':
          return this.handlers.feedback?.(m.taskId, m.verdict);
        case 'approve':
          this.approvals.delete(m.approvalId);
          return this.handlers.approve(m.approvalId, m.approved);
        case 'setPrivacyMode':
          return this.handlers.setPrivacyMode(m.mode);
        case 'setOrchestrator':
          return this.handlers.setOrchestrator(m.model);
        case 'setOrchestratorAutomatic':
          return this.handlers.setOrchestratorAutomatic();
        case 'setBudget':
          return this.handlers.setBudget(m.dollars);
        case 'insertCode':
          return this.handlers.insertCode(m.code, m.language);
        case 'applyCode':
          return this.handlers.applyCode(m.code, m.language);
        case 'copy':
          return this.handlers.copy(m.text);
        case 'openLink':
          return this.options.openLink(m.url);
        case 'openFile':
          return this.handlers.openFile(m.path, m.line);
        case 'runCommand':
          return this.handlers.runCommand(m.command);
        case 'newConversation':
          return this.newConversation();
        case 'deleteHistory':
          this.store.deleteConversation(m.conversationId);
          this.sendRestore();
          return;
      }
    } catch (err) {
      this.options.log?.('error', `panel action "${m.type}" failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /**
   * Places a question in the current conversation (after its last task, or beside an edited one) and
   * asks it. A question that branches redraws the conversation at once: what followed is not shown.
   */
  private startAsk(question: string, attachments: Attachment[], editOf?: string, orchestratorModel?: string): void {
    const place = this.store.placeFor(editOf);
    const taskId = (this.options.newTaskId ?? defaultTaskId)();
    const ticket: AskTicket = { taskId, ...place, ...(orchestratorModel ? { orchestratorModel } : {}) };
    const branches = editOf !== undefined || orchestratorModel !== undefined;
    this.store.expect(taskId, place);
    if (branches && this.ready) this.sendRestore();
    void Promise.resolve(this.handlers.ask(question, attachments, ticket)).then(
      (started) => {
        if (started) return;
        this.store.forget(taskId);
        if (branches && this.ready) this.sendRestore();
      },
      (err: unknown) => {
        this.store.forget(taskId);
        this.options.log?.('error', `ask failed: ${err instanceof Error ? err.message : String(err)}`);
      },
    );
  }

  /** Asks a task's question again, as a sibling of it (optionally with another orchestrator model). */
  private retry(taskId: string, orchestratorModel?: string): void {
    const header = this.store.library?.journal(this.store.currentConversationId, taskId)?.header;
    if (!header) {
      this.post({ type: 'askFailed', message: `the question of task ${taskId} is not recorded, so it cannot be asked again` });
      return;
    }
    this.startAsk(header.question, header.attachments, taskId, orchestratorModel);
  }

  private record(e: EngineEvent): void {
    this.store.append(e);
    if (e.type === 'approval_resolved') this.approvals.delete(e.approvalId);
    if (e.type === 'done' || e.type === 'error') for (const [id, a] of this.approvals) if (a.taskId === e.taskId) this.approvals.delete(id);
    if (!this.ready) return; // the store has it; `restore` replays it when the webview is ready
    this.batch.push(e);
    if (!this.batchTimer) this.batchTimer = setTimeout(() => this.flushBatch(), this.options.batchMs ?? 16);
  }

  private flushBatch(): void {
    this.batchTimer = undefined;
    if (!this.batch.length || !this.ready) return;
    const events = this.batch;
    this.batch = [];
    this.send(events.length === 1 ? { type: 'event', event: events[0] } : { type: 'events', events });
  }

  private clearBatch(): void {
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    this.batch = [];
  }

  private replay(): void {
    this.sendRestore();
    if (this.status) this.send({ type: 'status', status: this.status });
    for (const approval of this.approvals.values()) this.send({ type: 'approval', approval });
    if (this.compose) this.send(this.compose);
    this.compose = undefined;
    if (this.pendingReveal) this.send(this.pendingReveal);
    this.pendingReveal = undefined;
  }

  private sendRestore(): void {
    // Events waiting in the batch are already part of the snapshot.
    this.clearBatch();
    this.send({ type: 'restore', ...this.store.snapshot() });
  }

  private send(msg: ExtensionToPanel): void {
    const t = this.transport;
    if (!t) return;
    try {
      const r = t.postMessage(msg);
      if (r && typeof r === 'object' && 'then' in r) {
        r.then(undefined, (err: unknown) =>
          this.options.log?.('warn', `could not post to the panel: ${err instanceof Error ? err.message : String(err)}`),
        );
      }
    } catch (err) {
      this.options.log?.('warn', `could not post to the panel: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

function defaultTaskId(): string {
  return `t-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}
