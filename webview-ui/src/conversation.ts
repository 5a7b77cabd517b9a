// One conversation drawn from the engine's event stream: a section per task, a group per turn with one
// card per tool call (side by side when a turn made several), subtasks of a `delegate` call nested in
// its card, the streamed answer and a footer with the task's totals. Cards are cards.ts; tasks'
// sections and footers task-view.ts; a long conversation keeps only the cards near the viewport built
// (virtual-list.ts).
//
// Events only change the model and mark things dirty; `flush()` (once per animation frame) writes the
// DOM for what changed. Text streams are appended, never re-set, and the answer re-renders only its open
// block, so cost stays proportional to what arrived, not to the conversation's length.
import type { EngineEvent, EventOf } from '../../src/core/protocol/events';
import type { PanelApproval } from '../../src/protocol/panel';
import { cleanText, formatDollars, formatMs, h } from './format';
import type { MarkdownStats } from './markdown';
import { choiceElement } from './model-choice';
import { feedbackBar, type Verdict } from './feedback';
import type { TaskActionsHost } from './taskActions';
import { setName } from './names';
import { CallCard, TERMINAL, type CardHost } from './cards';
import { approvalView, settleApproval as settle, type ApprovalView } from './approvals';
import { CardVirtualiser } from './virtual-list';
import { attachmentChip, buildTask, setCallsHidden, type Scope, type TaskView, type TurnView } from './task-view';
import { appendReasoning, endSubtask, endTask, renderSubAnswer, renderTask, renderTurn, resetTask, subtaskSection } from './task-render';

export interface ConversationHost extends TaskActionsHost {
  cancel(taskId: string): void;
  /** Stops one running tool call or subtask; the task goes on. */
  cancelCall(taskId: string, callId: string): void;
  approve(approvalId: string, approved: boolean): void;
  /** The user's verdict on a finished task's answer (its thumbs); absent: no thumbs are shown. */
  feedback?(taskId: string, verdict: Verdict): void;
  /** Opens a workspace file at a line (a search hit's link); absent: hits are plain text. */
  openFile?(path: string, line?: number): void;
}

export class ConversationView {
  readonly element: HTMLElement;
  readonly stats: MarkdownStats = { streamingRenders: 0, fullRenders: 0, maxStreamingParseChars: 0 };
  private readonly tasks = new Map<string, TaskView>();
  private readonly taskOrder: TaskView[] = [];
  private readonly scopes = new Map<string, Scope>();
  private readonly calls = new Map<string, CallCard>();
  /** Subtasks that have their own task id: task id → the delegate call id they run under. */
  private readonly subtaskParent = new Map<string, string>();
  private readonly approvals = new Map<string, ApprovalView>();
  private readonly dirtyCalls = new Set<CallCard>();
  private readonly dirtyTurns = new Set<TurnView>();
  private readonly dirtyTasks = new Set<TaskView>();
  private readonly dirtyScopes = new Set<Scope>();
  private readonly running = new Set<CallCard>();
  private readonly virtual = new CardVirtualiser(() => Date.now());
  /** Attachments of a question sent from this panel, shown on the task the engine starts for it. */
  private pendingAttachments: Array<{ kind: string; path: string; startLine?: number; endLine?: number }> | undefined;
  private needsAnotherFrame = false;
  /** The conversation is recorded by the extension: an interrupted or stopped task can be resumed. */
  private recorded = false;
  private readonly resumable = new Set<string>();

  constructor(
    private readonly host: ConversationHost,
    private readonly readOnly = false,
  ) {
    this.element = h('div', { class: 'conversation' });
  }

  get taskCount(): number {
    return this.taskOrder.length;
  }

  /** How many cards have their DOM now, and how many there are (the virtual list's state, for tests and benches). */
  get cardCounts(): { built: number; total: number; gaps: number } {
    let built = 0;
    for (const c of this.calls.values()) if (c.built) built++;
    return { built, total: this.calls.size, gaps: this.virtual.gapCount };
  }

  /** The element the conversation scrolls in: cards near its visible part are built. */
  setScrollRoot(root: Element | null): void {
    this.virtual.setRoot(root);
  }

  /** Brings a task into view with its tool calls shown (the Chat view's "Open in Orchestra"); false when it is not here. */
  revealTask(taskId: string): boolean {
    const task = this.tasks.get(taskId);
    if (!task) return false;
    setCallsHidden(task, false);
    task.el.scrollIntoView({ block: 'start' });
    task.el.classList.add('revealed');
    setTimeout(() => task.el.classList.remove('revealed'), 1500);
    return true;
  }

  get runningTaskIds(): string[] {
    return this.taskOrder.filter((t) => t.state === 'running').map((t) => t.taskId);
  }

  expectAttachments(attachments: Array<{ kind: string; path: string; startLine?: number; endLine?: number }>): void {
    this.pendingAttachments = attachments.length ? attachments : undefined;
  }

  /** Which tasks have other answers to their place (edited questions, retries), from the extension. */
  setBranches(branches: Record<string, { siblings: string[]; index: number }>): void {
    for (const t of this.taskOrder) t.actions.setBranch(branches[t.taskId]);
  }

  /** The conversation is recorded, and these of its tasks can be resumed now. */
  setResumable(recorded: boolean, taskIds: readonly string[]): void {
    this.recorded = recorded;
    this.resumable.clear();
    for (const id of taskIds) this.resumable.add(id);
    for (const t of this.taskOrder) t.actions.setResumable(this.resumable.has(t.taskId));
  }

  // ── events → model ──────────────────────────────────────────────────────────────────────────

  apply(e: EngineEvent): void {
    switch (e.type) {
      case 'task_started':
        return this.onTaskStarted(e);
      case 'turn_started': {
        const scope = this.scopeFor(e.taskId, e.parentCallId);
        this.turnFor(scope, e.turn);
        if (!scope.sub && e.contextTokens !== undefined && e.contextWindow) scope.root.actions.setContext(e.contextTokens, e.contextWindow);
        return;
      }
      case 'orchestrator_delta': {
        const turn = this.turnFor(this.scopeFor(e.taskId, e.parentCallId), e.turn);
        this.appendReasoning(turn, e.text);
        return;
      }
      case 'tool_call_started':
        return this.onCallStarted(e);
      case 'tool_call_delta': {
        const call = this.calls.get(e.callId);
        if (!call) return;
        call.livePending += e.text;
        call.lastActivity = e.time;
        if (call.state === 'queued') call.state = 'running';
        this.markCall(call);
        return;
      }
      case 'tool_call_finished':
        return this.onCallFinished(e);
      case 'model_choice':
        return this.onModelChoice(e);
      case 'cost_update': {
        const sub = this.subScope(e.taskId);
        if (sub) return;
        const task = this.taskFor(e.taskId);
        task.totals = e.totals;
        task.budgetLeft = e.budgetLeft;
        task.footerDirty = true;
        this.dirtyTasks.add(task);
        return;
      }
      case 'answer_delta': {
        const sub = this.subScope(e.taskId);
        if (sub?.sub) {
          sub.sub.answerText = e.reset ? e.text : sub.sub.answerText + e.text;
          sub.sub.answerReset ||= e.reset === true;
          sub.sub.answerDirty = true;
          this.dirtyScopes.add(sub);
          return;
        }
        // A reset delta replaces what streamed before it (text that was not the answer after all).
        const task = this.taskFor(e.taskId);
        task.answerText = e.reset ? e.text : task.answerText + e.text;
        task.answerReset ||= e.reset === true;
        task.answerDirty = true;
        this.dirtyTasks.add(task);
        return;
      }
      case 'approval_requested':
        return this.addApproval({
          approvalId: e.approvalId,
          taskId: e.taskId,
          callId: e.callId,
          kind: e.kind,
          title: e.title,
          detail: e.detail,
          language: e.language,
        });
      case 'approval_resolved':
        return this.resolveApproval(e.approvalId, e.approved);
      case 'done':
      case 'error':
        return this.onTaskEnded(e);
      case 'task_feedback':
        return this.tasks.get(e.taskId)?.feedback?.recorded(e);
    }
  }

  private onTaskStarted(e: EventOf<'task_started'>): void {
    if (e.parentCallId) {
      const parent = this.calls.get(e.parentCallId);
      if (parent && parent.taskId !== e.taskId) this.subtaskParent.set(e.taskId, e.parentCallId);
      const scope = this.scopeFor(e.taskId, e.parentCallId);
      if (scope.sub) {
        const q = scope.sub.el.querySelector('.subtask-question');
        if (q) q.textContent = cleanText(e.question);
        const m = scope.sub.el.querySelector('.subtask-model');
        if (m instanceof HTMLElement) setName(m, e.orchestratorModel);
      }
      return;
    }
    let task = this.tasks.get(e.taskId);
    if (!task) task = this.createTask(e.taskId, e.time);
    else if (task.started) this.restartTask(task);
    task.started = true;
    task.startedAt = e.time;
    task.orchestratorModel = e.orchestratorModel;
    const q = task.el.querySelector('.question-text');
    if (q) q.textContent = cleanText(e.question);
    const attachments = e.attachments ?? this.pendingAttachments;
    this.pendingAttachments = undefined;
    const chips = task.el.querySelector('.chips');
    if (chips && attachments?.length) chips.replaceChildren(...attachments.map(attachmentChip));
    const meta = task.el.querySelector('.task-meta');
    if (meta instanceof HTMLElement) {
      meta.textContent = `${e.orchestratorModel} · ${e.dialect} · privacy ${e.privacyMode} · budget ${formatDollars(e.budgetDollars)}`;
      meta.title = meta.textContent;
    }
    this.dirtyTasks.add(task);
  }

  private onCallStarted(e: EventOf<'tool_call_started'>): void {
    const existing = this.calls.get(e.callId);
    if (existing) {
      // The arguments streamed into the live area while the model wrote them; now they are whole.
      if (existing.state === 'writing' && e.state !== 'writing') existing.argsComplete(e.args);
      existing.state = e.state;
      existing.model = e.model ?? existing.model;
      this.markCall(existing);
      return;
    }
    const scope = this.scopeFor(e.taskId, e.parentCallId);
    const turn = this.turnFor(scope, e.turn);
    const call = this.createCall(e, scope.root);
    turn.groupEl.append(call.el);
    // The `answer` call is the answer itself, rendered below as Markdown: a card would only repeat it.
    if (e.tool === 'answer') {
      call.el.hidden = true;
      if (turn.count === 0 && !turn.reasoning) turn.el.hidden = true;
    } else {
      turn.count++;
      turn.el.hidden = false;
    }
    this.dirtyTurns.add(turn);
    // An approval asked before its card existed moves into the card, next to the code it is about.
    for (const a of this.approvals.values()) if (a.approval.callId === e.callId) call.approvalsEl.append(a.el);
  }

  private onCallFinished(e: EventOf<'tool_call_finished'>): void {
    const call = this.calls.get(e.callId);
    if (!call) return;
    call.state = e.state;
    call.model = e.model ?? call.model;
    call.finished = e;
    call.lastActivity = e.time;
    this.markCall(call);
    for (const a of this.approvals.values())
      if (a.approval.callId === e.callId && !a.resolved) this.settleApproval(a, 'The call ended before an answer was given.');
  }

  /** Why a model serves a call, or a fallback step: in the call's card, else (orchestrator turns) in the turn. */
  private onModelChoice(e: EventOf<'model_choice'>): void {
    const el = choiceElement(e);
    const call = this.calls.get(e.callId);
    if (call) {
      call.model = e.model;
      call.routesEl.append(el);
      this.markCall(call);
      return;
    }
    const turn = this.turnFor(this.scopeFor(e.taskId, e.parentCallId), e.turn);
    turn.el.insertBefore(el, turn.labelEl);
    turn.el.hidden = false;
  }

  private onTaskEnded(e: EventOf<'done'> | EventOf<'error'>): void {
    const sub = this.subScope(e.taskId);
    if (sub?.sub) {
      endSubtask(sub.sub, e);
      this.dirtyScopes.add(sub);
      return;
    }
    const task = this.taskFor(e.taskId);
    endTask(task, e);
    // A task that did not finish can be run again from its record (the extension said so on restore, or it just stopped).
    if (this.recorded && (task.state === 'stopped' || task.state === 'interrupted')) this.resumable.add(task.taskId);
    task.actions.setResumable(this.resumable.has(task.taskId));
    if (e.type === 'done' && !this.readOnly && this.host.feedback && !task.feedback) {
      task.feedback = feedbackBar((verdict) => this.host.feedback?.(e.taskId, verdict));
      task.errorEl.before(task.feedback.el);
    }
    this.dirtyTasks.add(task);
    for (const call of task.calls) {
      if (!TERMINAL.has(call.state)) {
        // The engine ended the task; calls it never finished are shown as cancelled, not running forever.
        call.state = 'cancelled';
        this.markCall(call);
      }
    }
    for (const a of this.approvals.values())
      if (a.approval.taskId === e.taskId && !a.resolved) this.settleApproval(a, 'The task ended before an answer was given.');
  }

  // ── model helpers ───────────────────────────────────────────────────────────────────────────

  private taskFor(taskId: string): TaskView {
    return this.tasks.get(taskId) ?? this.createTask(taskId, Date.now());
  }

  /** The scope of a subtask that has its own task id, if `taskId` is one. */
  private subScope(taskId: string): Scope | undefined {
    const parentCallId = this.subtaskParent.get(taskId);
    return parentCallId ? this.scopes.get(`${taskId}\u0000${parentCallId}`) : undefined;
  }

  private scopeFor(taskId: string, parentCallId: string | undefined): Scope {
    const parent = parentCallId ?? this.subtaskParent.get(taskId);
    if (!parent) return this.taskFor(taskId).scope;
    const key = `${taskId}\u0000${parent}`;
    const existing = this.scopes.get(key);
    if (existing) return existing;
    const call = this.calls.get(parent);
    if (!call) return this.taskFor(taskId).scope; // the delegate call is unknown: keep the work visible at top level
    if (!call.childrenEl) {
      call.childrenEl = h('div', { class: 'card-children', role: 'group', 'aria-label': 'Subtasks, run in parallel' });
      // A card with subtasks stays built (CallCard.pinned); one not built yet gets them when it is.
      if (call.built) call.el.append(call.childrenEl);
      this.markCall(call);
    }
    const { el, bodyEl, footerEl } = subtaskSection(taskId);
    call.childrenEl.append(el);
    call.childrenEl.dataset.count = String(call.childrenEl.children.length);
    const scope: Scope = {
      key,
      root: this.taskFor(call.taskId),
      bodyEl,
      turns: new Map(),
      sub: { el, answerText: '', answerDirty: false, answerReset: false, footerEl },
    };
    this.scopes.set(key, scope);
    return scope;
  }

  private turnFor(scope: Scope, turnNo: number): TurnView {
    const existing = scope.turns.get(turnNo);
    if (existing) return existing;
    const labelEl = h('div', { class: 'group-label' });
    const groupEl = h('div', { class: 'call-group', role: 'group' });
    const el = h('section', { class: 'turn', 'data-turn': String(turnNo) }, labelEl, groupEl);
    // Shown once it holds something: a turn that only answered has no card and no reasoning.
    el.hidden = true;
    labelEl.hidden = true;
    const turn: TurnView = { el, groupEl, labelEl, count: 0 };
    // Keep turns in order even if events of an earlier turn arrive late.
    const later = [...scope.turns.entries()].filter(([n]) => n > turnNo).sort((a, b) => a[0] - b[0])[0];
    if (later) this.virtual.bringBack(later[1].el);
    if (later) scope.bodyEl.insertBefore(el, later[1].el);
    else scope.bodyEl.append(el);
    scope.turns.set(turnNo, turn);
    return turn;
  }

  private appendReasoning(turn: TurnView, text: string): void {
    appendReasoning(turn, text);
    this.dirtyTurns.add(turn);
  }

  private createTask(taskId: string, startedAt: number): TaskView {
    // Older tasks fold their tool calls away; the newest stays open.
    for (const older of this.taskOrder) {
      older.el.classList.add('settled');
      if (!older.el.classList.contains('calls-hidden') && older.state !== 'running') setCallsHidden(older, true);
    }
    const task = buildTask(taskId, startedAt, this.host, this.readOnly ? undefined : () => this.host.cancel(taskId));
    this.tasks.set(taskId, task);
    this.taskOrder.push(task);
    this.element.append(task.el);
    this.dirtyTasks.add(task);
    return task;
  }

  /** The task runs again (Resume): its tree, answer and totals start over; the new run's events rebuild them. */
  private restartTask(task: TaskView): void {
    for (const call of task.calls) {
      this.calls.delete(call.callId);
      this.running.delete(call);
      this.dirtyCalls.delete(call);
      this.virtual.remove(call);
    }
    for (const [key, scope] of this.scopes) if (scope.root === task) this.scopes.delete(key);
    for (const [id, a] of this.approvals) if (a.approval.taskId === task.taskId) this.approvals.delete(id);
    this.resumable.delete(task.taskId);
    resetTask(task);
    this.dirtyTasks.add(task);
  }

  private createCall(e: EventOf<'tool_call_started'>, root: TaskView): CallCard {
    const host: CardHost = {
      stats: this.stats,
      // A call that ends the task (answer) has nothing to stop on its own; read-only views stop nothing.
      cancelCall: this.readOnly ? undefined : (callId) => this.host.cancelCall(root.taskId, callId),
      openFile: this.host.openFile ? (path, line) => this.host.openFile?.(path, line) : undefined,
    };
    const call = new CallCard(e.callId, e.tool, e.time, root.taskId, e, host);
    this.calls.set(e.callId, call);
    root.calls.push(call);
    this.virtual.add(call);
    this.markCall(call);
    return call;
  }

  private markCall(call: CallCard): void {
    this.dirtyCalls.add(call);
  }

  // ── approvals ───────────────────────────────────────────────────────────────────────────────

  addApproval(approval: PanelApproval): void {
    if (this.approvals.has(approval.approvalId)) return;
    const view = approvalView(approval, this.readOnly ? undefined : (approved) => this.host.approve(approval.approvalId, approved));
    this.approvals.set(approval.approvalId, view);
    const call = this.calls.get(approval.callId);
    if (call) {
      call.approvalsEl.append(view.el);
      this.markCall(call);
    } else this.taskFor(approval.taskId).approvalsEl.append(view.el);
  }

  resolveApproval(approvalId: string, approved: boolean): void {
    const view = this.approvals.get(approvalId);
    if (!view || view.resolved) return;
    this.settleApproval(view, approved ? 'Approved.' : 'Denied.');
    view.el.dataset.decision = approved ? 'approved' : 'denied';
  }

  private settleApproval(view: ApprovalView, text: string): void {
    settle(view, text);
  }

  // ── model → DOM, once per frame ─────────────────────────────────────────────────────────────

  /** Writes pending changes to the DOM. Returns true when something still needs another frame. */
  flush(now = Date.now()): boolean {
    this.needsAnotherFrame = false;
    for (const turn of this.dirtyTurns) renderTurn(turn);
    this.dirtyTurns.clear();
    for (const call of this.dirtyCalls) this.renderCall(call, now);
    this.dirtyCalls.clear();
    for (const scope of this.dirtyScopes) this.renderSubAnswer(scope, now);
    this.dirtyScopes.clear();
    for (const task of this.dirtyTasks) this.renderTask(task, now);
    this.dirtyTasks.clear();
    return this.needsAnotherFrame;
  }

  /** Updates elapsed times and stalled flags of running calls and tasks (called once a second). */
  tick(now = Date.now()): boolean {
    for (const call of this.running) call.tick(now);
    let any = this.running.size > 0;
    for (const task of this.taskOrder) {
      if (task.state !== 'running') continue;
      any = true;
      task.elapsedEl.textContent = formatMs(now - task.startedAt);
    }
    return any;
  }

  private renderCall(call: CallCard, now: number): void {
    if (call.terminal) this.running.delete(call);
    else this.running.add(call);
    if (!call.built && this.virtual.wantsBuilt(call)) call.build(now);
    else call.render(now);
  }

  private renderSubAnswer(scope: Scope, now: number): void {
    if (!renderSubAnswer(scope, this.stats, now)) return;
    this.dirtyScopes.add(scope);
    this.needsAnotherFrame = true;
  }

  private renderTask(task: TaskView, now: number): void {
    if (!renderTask(task, this.stats, now)) return;
    this.dirtyTasks.add(task);
    this.needsAnotherFrame = true;
  }
}
