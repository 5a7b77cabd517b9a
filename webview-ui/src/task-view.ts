// A task's own parts of the conversation: its section (question, bar with state, actions and Stop,
// the tree of turns, approvals, the answer, an error, totals) and its footer with the cost per model.
// conversation.ts keeps the model and decides when these are drawn.
import type { EventOf, Totals } from '../../src/core/protocol/events';
import { costSummary, unpricedText } from '../../src/core/protocol/cost-text';
import { costChart } from './chart';
import { formatDollars, formatMs, formatTokens, h } from './format';
import type { StreamingMarkdown } from './markdown';
import type { FeedbackBar } from './feedback';
import { TaskActions, type TaskActionsHost } from './taskActions';
import type { CallCard } from './cards';

export interface TaskView {
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
  calls: CallCard[];
  /** The thumbs under its answer, once it is done. */
  feedback?: FeedbackBar;
}

/** An orchestration: a top-level task, or a subtask running under a `delegate` call. */
export interface Scope {
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

export interface TurnView {
  el: HTMLElement;
  reasoning?: { details: HTMLDetailsElement; text: Text; pending: string; length: number };
  groupEl: HTMLElement;
  labelEl: HTMLElement;
  count: number;
}

/** A new task's section and view; `onStop` is called by its Stop button (absent: read-only, no Stop). */
export function buildTask(taskId: string, startedAt: number, host: TaskActionsHost, onStop?: () => void): TaskView {
  const stateEl = h('span', { class: 'task-state', role: 'status' }, 'running');
  const elapsedEl = h('span', { class: 'task-elapsed' });
  const stopButton = h(
    'button',
    { type: 'button', class: 'stop-button', title: 'Stop this task (cancels every call and subtask)' },
    h('i', { class: 'codicon codicon-debug-stop', 'aria-hidden': 'true' }),
    h('span', { class: 'stop-text' }, 'Stop'),
  );
  const toggleCallsButton = h('button', { type: 'button', class: 'link-button toggle-calls', 'aria-expanded': 'true' }, 'Hide tool calls');
  const scopeBody = h('div', { class: 'scope-body' });
  const approvalsEl = h('div', { class: 'task-approvals' });
  const answerEl = h('div', { class: 'answer', role: 'group', 'aria-label': 'Answer' });
  const errorEl = h('div', { class: 'task-error', role: 'alert' });
  errorEl.hidden = true;
  const footerEl = h('footer', { class: 'task-footer', 'aria-label': 'Task totals' });
  const questionEl = h('div', { class: 'question' }, h('div', { class: 'question-text' }), h('div', { class: 'chips' }));
  const actions = new TaskActions(taskId, questionEl, host, !onStop);
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
        onStop ? stopButton : null,
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
    setStopping(task, true);
    onStop?.();
  });
  toggleCallsButton.addEventListener('click', () => setCallsHidden(task, !el.classList.contains('calls-hidden')));
  return task;
}

export function setStopping(task: TaskView, stopping: boolean): void {
  task.stopButton.disabled = stopping;
  task.stopButton.lastElementChild!.textContent = stopping ? 'Stopping…' : 'Stop';
}

export function setCallsHidden(task: TaskView, hidden: boolean): void {
  task.el.classList.toggle('calls-hidden', hidden);
  const n = task.calls.length;
  task.toggleCallsButton.setAttribute('aria-expanded', String(!hidden));
  task.toggleCallsButton.textContent = hidden ? `Show ${n} tool call${n === 1 ? '' : 's'}` : 'Hide tool calls';
}

/** The task's totals: cost, tokens, time, calls; models used; where the data went; the cost chart once it is over. */
export function renderFooter(task: TaskView): void {
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
  const chart = final ? costChart(costPerModel(task)) : undefined;
  task.footerEl.replaceChildren(line, models ?? '', where, chart ?? '');
  task.footerEl.dataset.final = String(final);
}

/** Cost per model across the task tree; the orchestrator's own spend is what calls do not explain. */
export function costPerModel(task: TaskView): Array<{ label: string; dollars: number }> {
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

export function attachmentChip(a: { kind: string; path: string; startLine?: number; endLine?: number }): HTMLElement {
  const lines =
    a.startLine !== undefined ? `:${a.startLine}${a.endLine !== undefined && a.endLine !== a.startLine ? `-${a.endLine}` : ''}` : '';
  return h(
    'span',
    { class: `chip chip-${a.kind}`, title: `${a.kind === 'selection' ? 'Selection' : 'File'}: ${a.path}${lines}` },
    h('i', { class: `codicon codicon-${a.kind === 'selection' ? 'selection' : 'file'}`, 'aria-hidden': 'true' }),
    `${a.path.split('/').pop() ?? a.path}${lines}`,
  );
}

export function errorTitle(code: EventOf<'error'>['code']): string {
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
