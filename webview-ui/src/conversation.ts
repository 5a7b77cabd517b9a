// One conversation drawn from the engine's event stream: a section per task, a group per turn with one
// card per tool call (side by side when a turn made several), subtasks of a `delegate` call nested in
// its card, the streamed answer and a footer with the task's totals.
//
// Events only change the model and mark things dirty; `flush()` (once per animation frame) writes the
// DOM for what changed. Text streams are appended, never re-set, and the answer re-renders only its open
// block, so cost stays proportional to what arrived, not to the conversation's length.
import type { EngineEvent, EventOf, Totals, UnpricedKind, Usage } from '../../src/core/protocol/events';
import type { PanelApproval } from '../../src/protocol/panel';
import { costSummary, unpricedLabel, unpricedText } from '../../src/core/protocol/cost-text';
import { costChart } from './chart';
import { argsSummary, cleanText, formatDollars, formatMs, formatTokens, h, prettyArgs } from './format';
import { highlightCode, StreamingMarkdown, type MarkdownStats } from './markdown';
import { choiceElement } from './model-choice';
import { feedbackBar, type FeedbackBar, type Verdict } from './feedback';
import { TaskActions, type TaskActionsHost } from './taskActions';
import { nameEl, setName } from './names';

export interface ConversationHost extends TaskActionsHost {
  cancel(taskId: string): void;
  /** Stops one running tool call or subtask; the task goes on. */
  cancelCall(taskId: string, callId: string): void;
  approve(approvalId: string, approved: boolean): void;
  /** The user's verdict on a finished task's answer (its thumbs); absent: no thumbs are shown. */
  feedback?(taskId: string, verdict: Verdict): void;
}

type CallState = EventOf<'tool_call_started'>['state'];
const TERMINAL: ReadonlySet<CallState> = new Set(['ok', 'error', 'timeout', 'denied', 'over_budget', 'cancelled']);
const STATE_LABEL: Record<CallState, string> = {
  writing: 'writing',
  queued: 'queued',
  running: 'running',
  ok: 'done',
  error: 'error',
  timeout: 'timed out',
  denied: 'denied',
  over_budget: 'over budget',
  cancelled: 'stopped',
};
/** A running call with no output for this long is flagged as stalled (users asked to see it). */
const STALLED_MS = 60_000;
/** Streamed tool output kept on screen while a call runs; the full result replaces it at the end. */
const LIVE_OUTPUT_CHARS = 8_000;

interface TaskView {
  taskId: string;
  el: HTMLElement;
  scope: Scope;
  startedAt: number;
  endedAt?: number;
  /** `stopped`: the user stopped it (neutral, not a failure); `interrupted`: it did not end (reload, engine stopped). */
  state: 'running' | 'done' | 'error' | 'stopped' | 'interrupted';
  actions: TaskActions;
  /** A task_started was seen: another one means the task runs again (Resume) and its view starts over. */
  started: boolean;
  orchestratorModel: string;
  stateEl: HTMLElement;
  elapsedEl: HTMLElement;
  stopButton: HTMLButtonElement;
  toggleCallsButton: HTMLButtonElement;
  approvalsEl: HTMLElement;
  answerEl: HTMLElement;
  answer?: StreamingMarkdown;
  answerText: string;
  answerDirty: boolean;
  /** The streamed answer was replaced (a reset delta): the rendered one starts over. */
  answerReset: boolean;
  errorEl: HTMLElement;
  footerEl: HTMLElement;
  totals?: Totals;
  budgetLeft?: number;
  footerDirty: boolean;
  /** Every call in this task's tree, subtasks included, for the per-model chart. */
  calls: CallView[];
  /** The thumbs under its answer, once it is done. */
  feedback?: FeedbackBar;
}

/** An orchestration: a top-level task, or a subtask running under a `delegate` call. */
interface Scope {
  key: string;
  root: TaskView;
  bodyEl: HTMLElement;
  turns: Map<number, TurnView>;
  /** Subtasks only: their own answer and totals, shown inside the delegate card. */
  sub?: {
    el: HTMLElement;
    answerText: string;
    answerDirty: boolean;
    answerReset: boolean;
    answer?: StreamingMarkdown;
    footerEl: HTMLElement;
  };
}

interface TurnView {
  el: HTMLElement;
  reasoning?: { details: HTMLDetailsElement; text: Text; pending: string; length: number };
  groupEl: HTMLElement;
  labelEl: HTMLElement;
  count: number;
}

interface CallView {
  callId: string;
  root: TaskView;
  tool: string;
  model?: string;
  state: CallState;
  startedAt: number;
  lastActivity: number;
  el: HTMLElement;
  stateEl: HTMLElement;
  modelEl: HTMLElement;
  metaEl: HTMLElement;
  liveEl?: HTMLPreElement;
  liveText?: Text;
  livePending: string;
  liveLength: number;
  resultEl: HTMLElement;
  childrenEl?: HTMLElement;
  approvalsEl: HTMLElement;
  argsSummaryEl: HTMLElement;
  argsEl: HTMLElement;
  /** Stops this call alone; absent on read-only conversations and on `answer`. */
  stopButton?: HTMLButtonElement;
  finished?: EventOf<'tool_call_finished'>;
  dirty: boolean;
  stalled: boolean;
}

interface ApprovalView {
  approval: PanelApproval;
  el: HTMLElement;
  outcomeEl: HTMLElement;
  buttons: HTMLButtonElement[];
  resolved: boolean;
}

export class ConversationView {
  readonly element: HTMLElement;
  readonly stats: MarkdownStats = { streamingRenders: 0, fullRenders: 0, maxStreamingParseChars: 0 };
  private readonly tasks = new Map<string, TaskView>();
  private readonly taskOrder: TaskView[] = [];
  private readonly scopes = new Map<string, Scope>();
  private readonly calls = new Map<string, CallView>();
  /** Subtasks that have their own task id: task id → the delegate call id they run under. */
  private readonly subtaskParent = new Map<string, string>();
  private readonly approvals = new Map<string, ApprovalView>();
  private readonly dirtyCalls = new Set<CallView>();
  private readonly dirtyTurns = new Set<TurnView>();
  private readonly dirtyTasks = new Set<TaskView>();
  private readonly dirtyScopes = new Set<Scope>();
  private readonly running = new Set<CallView>();
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
      if (parent && parent.root.taskId !== e.taskId) this.subtaskParent.set(e.taskId, e.parentCallId);
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
      if (existing.state === 'writing' && e.state !== 'writing') {
        // The arguments streamed into the live area while the model wrote them; now they are whole.
        existing.livePending = '';
        existing.liveLength = 0;
        existing.liveEl = existing.liveText = undefined;
        existing.resultEl.replaceChildren();
        existing.argsSummaryEl.textContent = argsSummary(e.args) || '(no arguments)';
        existing.argsEl.textContent = prettyArgs(e.args);
      }
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
    if (e.tool === 'delegate') call.el.classList.add('card--delegate');
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
      let routes = call.el.querySelector<HTMLElement>(':scope > .card-routes');
      if (!routes) {
        routes = h('div', { class: 'card-routes' });
        call.el.querySelector(':scope > .card-args')?.after(routes);
      }
      routes.append(el);
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
      if (e.type === 'done' && e.answer && !sub.sub.answerText) sub.sub.answerText = e.answer;
      sub.sub.answerDirty = true;
      const subState = e.type === 'done' ? 'done' : e.code === 'cancelled' ? 'stopped' : 'error';
      const subLabel =
        e.type === 'done' ? 'Subtask done' : subState === 'stopped' ? 'Subtask stopped' : `Subtask failed: ${cleanText(e.message)}`;
      sub.sub.footerEl.textContent = `${subLabel} · ${formatDollars(e.totals.dollars)} · ${formatTokens(e.totals.inputTokens + e.totals.outputTokens)} tokens · ${formatMs(e.totals.wallMs)}`;
      sub.sub.el.dataset.state = subState;
      this.dirtyScopes.add(sub);
      return;
    }
    const task = this.taskFor(e.taskId);
    task.state =
      e.type === 'done'
        ? 'done'
        : e.code === 'cancelled'
          ? 'stopped'
          : e.code === 'engine_down' || e.code === 'interrupted'
            ? 'interrupted'
            : 'error';
    task.actions.setState(task.state);
    // A task that did not finish can be run again from its record (the extension said so on restore, or it just stopped).
    if (this.recorded && (task.state === 'stopped' || task.state === 'interrupted')) this.resumable.add(task.taskId);
    task.actions.setResumable(this.resumable.has(task.taskId));
    task.totals = e.totals;
    task.endedAt = e.time;
    if (e.type === 'done') {
      // The final answer is authoritative (a non-streaming model sends it only here).
      if (e.answer && e.answer.trimEnd() !== task.answerText.trimEnd()) task.answerReset = true;
      if (e.answer) task.answerText = e.answer;
      if (!this.readOnly && this.host.feedback && !task.feedback) {
        task.feedback = feedbackBar((verdict) => this.host.feedback?.(e.taskId, verdict));
        task.errorEl.before(task.feedback.el);
      }
    } else {
      task.errorEl.hidden = false;
      task.errorEl.dataset.code = e.code;
      task.errorEl.setAttribute('role', task.state === 'error' ? 'alert' : 'status');
      task.errorEl.replaceChildren(h('strong', {}, errorTitle(e.code)), ' ', cleanText(e.message));
    }
    task.answerDirty = true;
    task.footerDirty = true;
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
      call.el.append(call.childrenEl);
    }
    const bodyEl = h('div', { class: 'scope-body' });
    const footerEl = h('div', { class: 'subtask-footer', role: 'status' });
    const el = h(
      'section',
      { class: 'subtask', 'data-subtask': taskId, 'data-state': 'running' },
      h('div', { class: 'subtask-head' }, h('span', { class: 'subtask-question' }, 'Subtask'), h('span', { class: 'subtask-model' })),
      bodyEl,
      footerEl,
    );
    call.childrenEl.append(el);
    call.childrenEl.dataset.count = String(call.childrenEl.children.length);
    const scope: Scope = {
      key,
      root: call.root,
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
    if (later) scope.bodyEl.insertBefore(el, later[1].el);
    else scope.bodyEl.append(el);
    scope.turns.set(turnNo, turn);
    return turn;
  }

  private appendReasoning(turn: TurnView, text: string): void {
    if (!turn.reasoning) {
      const textNode = document.createTextNode('');
      const details = h(
        'details',
        { class: 'reasoning' },
        h('summary', {}, 'Orchestrator reasoning'),
        h('div', { class: 'reasoning-text' }, textNode),
      );
      turn.el.insertBefore(details, turn.labelEl);
      turn.reasoning = { details, text: textNode, pending: '', length: 0 };
    }
    turn.reasoning.pending += text;
    turn.el.hidden = false;
    this.dirtyTurns.add(turn);
  }

  private createTask(taskId: string, startedAt: number): TaskView {
    // Older tasks fold their tool calls away; the newest stays open.
    for (const older of this.taskOrder) {
      older.el.classList.add('settled');
      if (!older.el.classList.contains('calls-hidden') && older.state !== 'running') setCallsHidden(older, true);
    }
    const stateEl = h('span', { class: 'task-state', role: 'status' }, 'running');
    const elapsedEl = h('span', { class: 'task-elapsed' });
    const stopButton = h(
      'button',
      { type: 'button', class: 'stop-button', title: 'Stop this task (cancels every call and subtask)' },
      'Stop',
    );
    const toggleCallsButton = h(
      'button',
      { type: 'button', class: 'link-button toggle-calls', 'aria-expanded': 'true' },
      'Hide tool calls',
    );
    const scopeBody = h('div', { class: 'scope-body' });
    const approvalsEl = h('div', { class: 'task-approvals' });
    const answerEl = h('div', { class: 'answer', role: 'group', 'aria-label': 'Answer' });
    const errorEl = h('div', { class: 'task-error', role: 'alert' });
    errorEl.hidden = true;
    const footerEl = h('footer', { class: 'task-footer', 'aria-label': 'Task totals' });
    const questionEl = h('div', { class: 'question' }, h('div', { class: 'question-text' }), h('div', { class: 'chips' }));
    const actions = new TaskActions(taskId, questionEl, this.host, this.readOnly);
    const el = h(
      'section',
      { class: 'task', 'data-task-id': taskId, 'data-state': 'running', 'aria-label': 'Task' },
      h(
        'header',
        { class: 'task-head' },
        questionEl,
        h(
          'div',
          { class: 'task-bar' },
          stateEl,
          elapsedEl,
          h('span', { class: 'task-meta' }),
          h('span', { class: 'spacer' }),
          actions.barEl,
          toggleCallsButton,
          this.readOnly ? null : stopButton,
        ),
      ),
      scopeBody,
      approvalsEl,
      answerEl,
      errorEl,
      footerEl,
    );
    const task: TaskView = {
      taskId,
      el,
      scope: undefined as unknown as Scope,
      startedAt,
      state: 'running',
      actions,
      started: false,
      orchestratorModel: '',
      stateEl,
      elapsedEl,
      stopButton,
      toggleCallsButton,
      approvalsEl,
      answerEl,
      answerText: '',
      answerDirty: false,
      answerReset: false,
      errorEl,
      footerEl,
      footerDirty: false,
      calls: [],
    };
    task.scope = { key: taskId, root: task, bodyEl: scopeBody, turns: new Map() };
    stopButton.addEventListener('click', () => {
      stopButton.disabled = true;
      stopButton.textContent = 'Stopping…';
      this.host.cancel(taskId);
    });
    toggleCallsButton.addEventListener('click', () => setCallsHidden(task, !el.classList.contains('calls-hidden')));
    this.tasks.set(taskId, task);
    this.taskOrder.push(task);
    this.element.append(el);
    this.dirtyTasks.add(task);
    return task;
  }

  /** The task runs again (Resume): its tree, answer and totals start over; the new run's events rebuild them. */
  private restartTask(task: TaskView): void {
    for (const call of task.calls) {
      this.calls.delete(call.callId);
      this.running.delete(call);
      this.dirtyCalls.delete(call);
    }
    for (const [key, scope] of this.scopes) if (scope.root === task) this.scopes.delete(key);
    for (const [id, a] of this.approvals) if (a.approval.taskId === task.taskId) this.approvals.delete(id);
    task.calls = [];
    task.scope.turns.clear();
    task.scope.bodyEl.replaceChildren();
    task.approvalsEl.replaceChildren();
    task.answer?.element.remove();
    task.answer = undefined;
    task.answerText = '';
    task.answerReset = false;
    task.errorEl.hidden = true;
    task.errorEl.replaceChildren();
    task.footerEl.replaceChildren();
    task.totals = undefined;
    task.budgetLeft = undefined;
    task.endedAt = undefined;
    task.state = 'running';
    task.stopButton.disabled = false;
    task.stopButton.textContent = 'Stop';
    this.resumable.delete(task.taskId);
    task.actions.setResumable(false);
    task.actions.setState('running');
    this.dirtyTasks.add(task);
  }

  private createCall(e: EventOf<'tool_call_started'>, root: TaskView): CallView {
    const stateEl = h('span', { class: 'card-state' });
    const modelEl = nameEl(e.model ?? '', 'card-model');
    const metaEl = h('div', { class: 'card-meta' });
    const resultEl = h('div', { class: 'card-result' });
    const approvalsEl = h('div', { class: 'card-approvals' });
    const pretty = prettyArgs(e.args);
    // A call that ends the task (answer) has nothing to stop on its own; everything else does.
    const stopButton =
      this.readOnly || e.tool === 'answer'
        ? undefined
        : h(
            'button',
            {
              type: 'button',
              class: 'card-stop',
              'aria-label': `Stop ${e.tool}`,
              title: `Stop this ${e.tool === 'subtask' || e.tool === 'delegate' ? 'subtask and everything under it' : 'call'}; the task goes on`,
            },
            'Stop',
          );
    const argsSummaryEl = h('summary', { title: 'Show the arguments in full' }, argsSummary(e.args) || '(no arguments)');
    const argsEl = h('pre', { tabindex: 0, 'aria-label': 'Arguments' }, pretty);
    const args = h('details', { class: 'card-args' }, argsSummaryEl, argsEl);
    const el = h(
      'article',
      { class: 'card', 'data-call-id': e.callId, 'data-tool': e.tool, 'data-state': e.state, tabindex: '-1' },
      h(
        'header',
        { class: 'card-head' },
        h('span', { class: `card-icon tool-${toolKind(e.tool)}`, 'aria-hidden': 'true' }),
        nameEl(e.tool, 'card-tool'),
        modelEl,
        h('span', { class: 'spacer' }),
        stateEl,
        stopButton ?? null,
      ),
      args,
      approvalsEl,
      resultEl,
      metaEl,
    );
    const call: CallView = {
      callId: e.callId,
      root,
      tool: e.tool,
      model: e.model,
      state: e.state,
      startedAt: e.time,
      lastActivity: e.time,
      el,
      stateEl,
      modelEl,
      metaEl,
      livePending: '',
      liveLength: 0,
      resultEl,
      approvalsEl,
      argsSummaryEl,
      argsEl,
      stopButton,
      dirty: true,
      stalled: false,
    };
    stopButton?.addEventListener('click', () => {
      stopButton.disabled = true;
      stopButton.textContent = 'Stopping…';
      this.host.cancelCall(call.root.taskId, call.callId);
    });
    this.calls.set(e.callId, call);
    root.calls.push(call);
    this.markCall(call);
    return call;
  }

  private markCall(call: CallView): void {
    call.dirty = true;
    this.dirtyCalls.add(call);
  }

  // ── approvals ───────────────────────────────────────────────────────────────────────────────

  addApproval(approval: PanelApproval): void {
    if (this.approvals.has(approval.approvalId)) return;
    const approve = h('button', { type: 'button', class: 'primary' }, 'Approve');
    const deny = h('button', { type: 'button', class: 'secondary' }, 'Deny');
    const outcomeEl = h('div', { class: 'approval-outcome', role: 'status' });
    const code = h('code', { class: 'hljs' });
    // highlightCode escapes everything it does not mark up, so this is text, not markup from the engine.
    code.innerHTML = highlightCode(cleanText(approval.detail), approval.language);
    const el = h(
      'div',
      {
        class: 'approval',
        'data-approval-id': approval.approvalId,
        'data-kind': approval.kind,
        role: 'group',
        'aria-label': `Approval needed: ${approval.title}`,
      },
      h(
        'div',
        { class: 'approval-title' },
        h('span', { class: 'approval-badge' }, approvalKindLabel(approval.kind)),
        ' ',
        cleanText(approval.title),
      ),
      h('div', { class: 'code-block approval-detail' }, h('pre', { tabindex: 0, 'aria-label': 'What would run' }, code)),
      this.readOnly ? null : h('div', { class: 'approval-actions' }, approve, deny),
      outcomeEl,
    );
    const view: ApprovalView = { approval, el, outcomeEl, buttons: [approve, deny], resolved: false };
    this.approvals.set(approval.approvalId, view);
    const decide = (approved: boolean): void => {
      for (const b of view.buttons) b.disabled = true;
      outcomeEl.textContent = approved ? 'Approved — waiting for the engine…' : 'Denied — waiting for the engine…';
      this.host.approve(approval.approvalId, approved);
    };
    approve.addEventListener('click', () => decide(true));
    deny.addEventListener('click', () => decide(false));
    const call = this.calls.get(approval.callId);
    if (call) call.approvalsEl.append(el);
    else this.taskFor(approval.taskId).approvalsEl.append(el);
    el.classList.add('pending');
    if (this.readOnly) this.settleApproval(view, 'Not answered.');
  }

  resolveApproval(approvalId: string, approved: boolean): void {
    const view = this.approvals.get(approvalId);
    if (!view || view.resolved) return;
    this.settleApproval(view, approved ? 'Approved.' : 'Denied.');
    view.el.dataset.decision = approved ? 'approved' : 'denied';
  }

  private settleApproval(view: ApprovalView, text: string): void {
    view.resolved = true;
    view.el.classList.remove('pending');
    for (const b of view.buttons) b.disabled = true;
    view.el.querySelector('.approval-actions')?.remove();
    view.outcomeEl.textContent = text;
  }

  // ── model → DOM, once per frame ─────────────────────────────────────────────────────────────

  /** Writes pending changes to the DOM. Returns true when something still needs another frame. */
  flush(now = Date.now()): boolean {
    this.needsAnotherFrame = false;
    for (const turn of this.dirtyTurns) this.renderTurn(turn);
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
    for (const call of this.running) {
      call.stateEl.textContent = liveStateLabel(call, now);
      const stalled = call.state === 'running' && now - call.lastActivity > STALLED_MS && !awaitingApproval(call);
      if (stalled !== call.stalled) {
        call.stalled = stalled;
        call.el.classList.toggle('stalled', stalled);
        call.stateEl.title = stalled ? `No output for ${formatMs(now - call.lastActivity)}` : '';
      }
    }
    let any = this.running.size > 0;
    for (const task of this.taskOrder) {
      if (task.state !== 'running') continue;
      any = true;
      task.elapsedEl.textContent = formatMs(now - task.startedAt);
    }
    return any;
  }

  private renderTurn(turn: TurnView): void {
    if (turn.reasoning && turn.reasoning.pending) {
      const add = cleanText(turn.reasoning.pending);
      turn.reasoning.text.appendData(add);
      turn.reasoning.length += add.length;
      turn.reasoning.pending = '';
    }
    const parallel = turn.count > 1;
    turn.groupEl.classList.toggle('parallel', parallel);
    turn.groupEl.dataset.count = String(turn.count);
    turn.groupEl.setAttribute('aria-label', parallel ? `${turn.count} tool calls in parallel` : 'tool call');
    turn.labelEl.textContent = parallel ? `${turn.count} calls in parallel` : '';
    turn.labelEl.hidden = !parallel;
  }

  private renderCall(call: CallView, now: number): void {
    if (!call.dirty) return;
    call.dirty = false;
    const el = call.el;
    el.dataset.state = call.state;
    if (call.modelEl.title !== (call.model ?? '')) setName(call.modelEl, call.model ?? '');
    const terminal = TERMINAL.has(call.state);
    if (terminal) this.running.delete(call);
    else this.running.add(call);
    if (call.stopButton) call.stopButton.hidden = terminal;
    el.setAttribute('aria-label', `${call.tool}${call.model ? ` on ${call.model}` : ''}: ${STATE_LABEL[call.state]}`);
    if (!terminal) {
      call.stateEl.textContent = liveStateLabel(call, now);
      if (call.livePending) {
        if (!call.liveEl) {
          call.liveText = document.createTextNode('');
          call.liveEl = h('pre', { class: 'card-live', 'aria-label': 'Live output', tabindex: 0 }, call.liveText);
          call.resultEl.replaceChildren(call.liveEl);
        }
        const add = cleanText(call.livePending);
        call.livePending = '';
        call.liveText!.appendData(add);
        call.liveLength += add.length;
        if (call.liveLength > LIVE_OUTPUT_CHARS * 2) {
          // Keep only the recent output on screen while streaming; the full result comes at the end.
          const keep = call.liveText!.data.slice(-LIVE_OUTPUT_CHARS);
          call.liveText!.data = `…${keep}`;
          call.liveLength = keep.length + 1;
        }
        call.liveEl.scrollTop = call.liveEl.scrollHeight;
      }
      return;
    }
    const f = call.finished;
    call.stateEl.textContent = STATE_LABEL[call.state];
    if (!f) {
      call.resultEl.replaceChildren();
      return;
    }
    call.stateEl.textContent = `${STATE_LABEL[call.state]} · ${formatMs(f.latencyMs)}`;
    call.metaEl.replaceChildren(...metaParts(f.usage, f.dollars, f.latencyMs, f.pricing));
    const parts: Node[] = [];
    if (f.error) parts.push(h('div', { class: 'card-error' }, cleanText(f.error)));
    const full = cleanText(f.result);
    const preview = cleanText(f.preview || f.result.slice(0, 500));
    // A call that produced nothing carries its error as its result: said once, not twice.
    if (preview && !(f.error && full === cleanText(f.error))) {
      const pre = h('pre', { class: 'card-preview', tabindex: 0, 'aria-label': 'Result' }, preview);
      parts.push(pre);
      if (full.length > preview.length) {
        const more = h(
          'button',
          { type: 'button', class: 'link-button', 'aria-expanded': 'false' },
          `Show full result (${full.length.toLocaleString()} characters)`,
        );
        more.addEventListener('click', () => {
          const expanded = more.getAttribute('aria-expanded') === 'true';
          // The full text is put in the DOM only when asked for: 200 cards × 64 KiB would be heavy.
          pre.textContent = expanded ? preview : full;
          pre.classList.toggle('expanded', !expanded);
          more.setAttribute('aria-expanded', String(!expanded));
          more.textContent = expanded ? `Show full result (${full.length.toLocaleString()} characters)` : 'Show less';
        });
        parts.push(more);
      }
    }
    call.resultEl.replaceChildren(...parts);
    call.liveEl = undefined;
    call.liveText = undefined;
  }

  private renderSubAnswer(scope: Scope, now: number): void {
    const sub = scope.sub;
    if (!sub || !sub.answerDirty) return;
    sub.answerDirty = false;
    if (sub.answerReset && sub.answer) {
      sub.answer.element.remove();
      sub.answer = undefined;
    }
    sub.answerReset = false;
    if (!sub.answer) {
      sub.answer = new StreamingMarkdown('subtask-answer', this.stats);
      sub.el.insertBefore(sub.answer.element, sub.footerEl);
    }
    if (sub.el.dataset.state !== 'running') sub.answer.finish(sub.answerText);
    else if (sub.answer.update(sub.answerText, now)) {
      sub.answerDirty = true;
      this.dirtyScopes.add(scope);
      this.needsAnotherFrame = true;
    }
  }

  private renderTask(task: TaskView, now: number): void {
    task.el.dataset.state = task.state;
    task.stateEl.textContent = task.state === 'error' ? 'failed' : task.state;
    task.stopButton.hidden = task.state !== 'running';
    if (task.state !== 'running') task.elapsedEl.textContent = task.endedAt ? formatMs(task.endedAt - task.startedAt) : '';
    if (task.answerDirty) {
      task.answerDirty = false;
      if (task.answerReset && task.answer) {
        // Replaced, not extended: render it anew (StreamingMarkdown only ever appends).
        task.answer.element.remove();
        task.answer = undefined;
      }
      task.answerReset = false;
      if (!task.answerText) task.answerEl.removeAttribute('aria-busy');
      if (task.answerText) {
        if (!task.answer) {
          task.answer = new StreamingMarkdown('answer-body', this.stats);
          task.answerEl.append(task.answer.element);
        }
        if (task.state === 'running') {
          task.answerEl.setAttribute('aria-busy', 'true');
          if (task.answer.update(task.answerText, now)) {
            task.answerDirty = true;
            this.dirtyTasks.add(task);
            this.needsAnotherFrame = true;
          }
        } else if (!task.answer.isFinished) {
          task.answer.finish(task.answerText);
          task.answerEl.removeAttribute('aria-busy');
        }
      }
    }
    if (task.footerDirty) {
      task.footerDirty = false;
      this.renderFooter(task);
    }
  }

  private renderFooter(task: TaskView): void {
    const t = task.totals;
    if (!t) return;
    const approx = t.estimated ? '~' : '';
    const final = task.state !== 'running';
    const line = h(
      'div',
      { class: 'totals' },
      h(
        'span',
        {
          class: 'total-dollars',
          'data-dollars': String(t.dollars),
          title: t.unpriced?.length
            ? `Not in the dollar figure: ${unpricedText(t.unpriced)}`
            : t.estimated
              ? 'Partly estimated: some calls reported no usage (or their cost is unknown)'
              : 'Total cost of this task, subtasks included',
        },
        costSummary(t, formatDollars),
      ),
      h(
        'span',
        { class: 'total-tokens', 'data-tokens': String(t.inputTokens + t.outputTokens) },
        `${approx}${formatTokens(t.inputTokens + t.outputTokens)} tokens (${formatTokens(t.inputTokens)} in / ${formatTokens(t.outputTokens)} out)`,
      ),
      h('span', { class: 'total-wall' }, formatMs(t.wallMs)),
      h('span', { class: 'total-calls', 'data-calls': String(t.calls) }, `${t.calls} call${t.calls === 1 ? '' : 's'}`),
      !final && task.budgetLeft !== undefined
        ? h('span', { class: 'budget-left' }, `${formatDollars(Math.max(0, task.budgetLeft))} of budget left`)
        : null,
    );
    const models = t.models.length
      ? h('div', { class: 'footer-models' }, h('span', { class: 'footer-key' }, 'Models'), ' ', t.models.join(', '))
      : null;
    const where = h(
      'div',
      { class: `footer-data ${t.remoteHosts.length ? 'remote' : 'local'}`, 'data-remote-hosts': t.remoteHosts.join(',') },
      h('span', { class: 'footer-key' }, 'Data'),
      ' ',
      t.remoteHosts.length ? `sent to ${t.remoteHosts.join(', ')}` : 'Local only — nothing left this machine',
    );
    const chart = final ? costChart(this.costPerModel(task)) : undefined;
    task.footerEl.replaceChildren(line, models ?? '', where, chart ?? '');
    task.footerEl.dataset.final = String(final);
  }

  /** Cost per model across the task tree; the orchestrator's own spend is what calls do not explain. */
  costPerModel(task: TaskView): Array<{ label: string; dollars: number }> {
    const byModel = new Map<string, number>();
    let explained = 0;
    const delegates = new Set<string>();
    for (const c of task.calls) if (c.childrenEl) delegates.add(c.callId);
    for (const c of task.calls) {
      // A delegate's dollars roll up its subtasks, whose calls are counted one by one.
      if (!c.finished || delegates.has(c.callId)) continue;
      if (c.finished.dollars <= 0) continue;
      const label = c.model ?? c.tool;
      byModel.set(label, (byModel.get(label) ?? 0) + c.finished.dollars);
      explained += c.finished.dollars;
    }
    const total = task.totals?.dollars ?? explained;
    const rest = total - explained;
    if (rest > 1e-9) {
      const label = task.orchestratorModel ? `${task.orchestratorModel} (orchestrator)` : 'orchestrator';
      byModel.set(label, (byModel.get(label) ?? 0) + rest);
    }
    return [...byModel.entries()].map(([label, dollars]) => ({ label, dollars }));
  }
}

function setCallsHidden(task: TaskView, hidden: boolean): void {
  task.el.classList.toggle('calls-hidden', hidden);
  const n = task.calls.length;
  task.toggleCallsButton.setAttribute('aria-expanded', String(!hidden));
  task.toggleCallsButton.textContent = hidden ? `Show ${n} tool call${n === 1 ? '' : 's'}` : 'Hide tool calls';
}

function metaParts(usage: Usage | undefined, dollars: number, latencyMs: number, pricing?: UnpricedKind): Node[] {
  const out: Node[] = [];
  if (usage) {
    const approx = usage.estimated ? '~' : '';
    out.push(
      h(
        'span',
        {
          class: 'meta-tokens',
          title: usage.estimated
            ? 'Counted by Orchestra, not reported by the server (no usage report, or a stream cut short): may differ from the bill'
            : 'Tokens in / out',
        },
        `${approx}${formatTokens(usage.inputTokens)} in · ${approx}${formatTokens(usage.outputTokens)} out`,
      ),
    );
  }
  // A cost derived from estimated or missing usage is shown as such, never as a confident figure.
  const unknown = usage?.estimated && usage.inputTokens === 0 && usage.outputTokens === 0;
  const priced = unknown ? 'cost unknown' : `${usage?.estimated ? '~' : ''}${formatDollars(dollars)}`;
  // A subscription or unknown price is said as such, never as $0.
  const costText = pricing ? (dollars > 0 ? `${priced} + ${unpricedLabel(pricing)}` : unpricedLabel(pricing)) : priced;
  const costTitle = pricing
    ? pricing === 'subscription'
      ? 'Covered by a subscription: no dollar figure is known for this model'
      : 'This model states no price: what the call cost is not known'
    : unknown
      ? 'The call was sent but no usage came back: what it cost is not known'
      : usage?.estimated
        ? 'Estimated: the server reported no usage'
        : usage?.reportedDollars !== undefined
          ? 'As billed by the provider'
          : 'Tokens × the configured prices';
  out.push(h('span', { class: 'meta-dollars', 'data-dollars': String(dollars), title: costTitle }, costText));
  out.push(h('span', { class: 'meta-latency' }, formatMs(latencyMs)));
  return out;
}

function attachmentChip(a: { kind: string; path: string; startLine?: number; endLine?: number }): HTMLElement {
  const lines =
    a.startLine !== undefined ? `:${a.startLine}${a.endLine !== undefined && a.endLine !== a.startLine ? `-${a.endLine}` : ''}` : '';
  return h(
    'span',
    { class: `chip chip-${a.kind}`, title: `${a.kind === 'selection' ? 'Selection' : 'File'}: ${a.path}${lines}` },
    `${a.path.split('/').pop() ?? a.path}${lines}`,
  );
}

function toolKind(tool: string): string {
  if (tool === 'delegate') return 'agent';
  if (/model|answer|reason/.test(tool)) return 'model';
  if (/search|web|fetch/.test(tool)) return 'search';
  if (/code|run|exec/.test(tool)) return 'code';
  if (/file|read|write|edit|symbol/.test(tool)) return 'file';
  return 'tool';
}

function approvalKindLabel(kind: PanelApproval['kind']): string {
  return kind === 'run_code' ? 'Run code' : kind === 'paid_call' ? 'Paid call' : 'MCP tool';
}

function errorTitle(code: EventOf<'error'>['code']): string {
  switch (code) {
    case 'cancelled':
      return 'Stopped.';
    case 'budget':
      return 'Budget reached.';
    case 'turns':
      return 'Turn limit reached.';
    case 'wall_time':
      return 'Time limit reached.';
    case 'no_model':
      return 'No model available.';
    case 'model_failed':
      return 'A model failed.';
    case 'config':
      return 'Configuration problem.';
    case 'engine_down':
      return 'The engine stopped.';
    case 'interrupted':
      return 'Interrupted.';
    default:
      return 'Something went wrong.';
  }
}

/** A call waiting for the user says so: "running" would suggest the engine is busy. */
function awaitingApproval(call: { approvalsEl: HTMLElement }): boolean {
  return call.approvalsEl.querySelector('.approval.pending') !== null;
}

function liveStateLabel(call: { state: string; startedAt: number; approvalsEl: HTMLElement }, now: number): string {
  if (awaitingApproval(call)) return `awaiting approval · ${formatMs(now - call.startedAt)}`;
  return call.state === 'running' ? `running · ${formatMs(now - call.startedAt)}` : call.state === 'writing' ? 'writing…' : 'queued';
}
