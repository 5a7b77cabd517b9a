// How a task's parts are drawn from its model, once per frame: a turn's reasoning and parallel label,
// a subtask's section, answer and end line, the task's answer (streamed, then finished), its end state
// and error, and a task that runs again (Resume) starting over. conversation.ts decides when.
import type { EventOf } from '../../src/core/protocol/events';
import { cleanText, formatDollars, formatMs, formatTokens, h } from './format';
import { StreamingMarkdown, type MarkdownStats } from './markdown';
import { errorTitle, renderFooter, setStopping, type Scope, type TaskView, type TurnView } from './task-view';

export function renderTurn(turn: TurnView): void {
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
  turn.labelEl.replaceChildren(
    ...(parallel ? [h('i', { class: 'codicon codicon-split-horizontal', 'aria-hidden': 'true' }), `${turn.count} calls in parallel`] : []),
  );
  turn.labelEl.hidden = !parallel;
}

/** Queues the orchestrator's reasoning text for the turn (drawn by renderTurn). */
export function appendReasoning(turn: TurnView, text: string): void {
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
}

/** A subtask's section inside its delegate card: question and model, its turns, its end line. */
export function subtaskSection(taskId: string): { el: HTMLElement; bodyEl: HTMLElement; footerEl: HTMLElement } {
  const bodyEl = h('div', { class: 'scope-body' });
  const footerEl = h('div', { class: 'subtask-footer', role: 'status' });
  const el = h(
    'section',
    { class: 'subtask', 'data-subtask': taskId, 'data-state': 'running' },
    h('div', { class: 'subtask-head' }, h('span', { class: 'subtask-question' }, 'Subtask'), h('span', { class: 'subtask-model' })),
    bodyEl,
    footerEl,
  );
  return { el, bodyEl, footerEl };
}

/** A subtask ended: its state and a line with its cost, tokens and time. */
export function endSubtask(sub: NonNullable<Scope['sub']>, e: EventOf<'done'> | EventOf<'error'>): void {
  if (e.type === 'done' && e.answer && !sub.answerText) sub.answerText = e.answer;
  sub.answerDirty = true;
  const state = e.type === 'done' ? 'done' : e.code === 'cancelled' ? 'stopped' : 'error';
  const label = e.type === 'done' ? 'Subtask done' : state === 'stopped' ? 'Subtask stopped' : `Subtask failed: ${cleanText(e.message)}`;
  const t = e.totals;
  sub.footerEl.textContent = `${label} · ${formatDollars(t.dollars)} · ${formatTokens(t.inputTokens + t.outputTokens)} tokens · ${formatMs(t.wallMs)}`;
  sub.el.dataset.state = state;
}

/** Draws a subtask's answer; true when it needs another frame. */
export function renderSubAnswer(scope: Scope, stats: MarkdownStats, now: number): boolean {
  const sub = scope.sub;
  if (!sub || !sub.answerDirty) return false;
  sub.answerDirty = false;
  if (sub.answerReset && sub.answer) {
    sub.answer.element.remove();
    sub.answer = undefined;
  }
  sub.answerReset = false;
  if (!sub.answer) {
    sub.answer = new StreamingMarkdown('subtask-answer', stats);
    sub.el.insertBefore(sub.answer.element, sub.footerEl);
  }
  if (sub.el.dataset.state !== 'running') sub.answer.finish(sub.answerText);
  else if (sub.answer.update(sub.answerText, now)) return (sub.answerDirty = true);
  return false;
}

/** The task's end: its state, and for a failure or a stop what happened (done: the final answer is authoritative). */
export function endTask(task: TaskView, e: EventOf<'done'> | EventOf<'error'>): void {
  task.state =
    e.type === 'done'
      ? 'done'
      : e.code === 'cancelled'
        ? 'stopped'
        : e.code === 'engine_down' || e.code === 'interrupted'
          ? 'interrupted'
          : 'error';
  task.actions.setState(task.state);
  task.totals = e.totals;
  task.endedAt = e.time;
  if (e.type === 'done') {
    // A non-streaming model sends its answer only here.
    if (e.answer && e.answer.trimEnd() !== task.answerText.trimEnd()) task.answerReset = true;
    if (e.answer) task.answerText = e.answer;
  } else {
    task.errorEl.hidden = false;
    task.errorEl.dataset.code = e.code;
    task.errorEl.setAttribute('role', task.state === 'error' ? 'alert' : 'status');
    task.errorEl.replaceChildren(h('strong', {}, errorTitle(e.code)), ' ', cleanText(e.message));
  }
  task.answerDirty = true;
  task.footerDirty = true;
}

/** Draws the task's bar, answer and footer; true when the answer needs another frame. */
export function renderTask(task: TaskView, stats: MarkdownStats, now: number): boolean {
  let again = false;
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
        task.answer = new StreamingMarkdown('answer-body', stats);
        task.answerEl.append(task.answer.element);
      }
      if (task.state === 'running') {
        task.answerEl.setAttribute('aria-busy', 'true');
        if (task.answer.update(task.answerText, now)) again = task.answerDirty = true;
      } else if (!task.answer.isFinished) {
        task.answer.finish(task.answerText);
        task.answerEl.removeAttribute('aria-busy');
      }
    }
  }
  if (task.footerDirty) {
    task.footerDirty = false;
    renderFooter(task);
  }
  return again;
}

/** The task runs again (Resume): its tree, answer and totals start over; the new run's events rebuild them. */
export function resetTask(task: TaskView): void {
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
  setStopping(task, false);
  task.actions.setResumable(false);
  task.actions.setState('running');
}
