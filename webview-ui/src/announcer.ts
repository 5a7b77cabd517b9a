// Tells screen readers how a task stands while it streams, through one polite live region: started
// (with its question), answering, waiting for an approval, done (calls and cost) or failed. Only the
// top-level tasks of events that arrive live; a tool call at a time would be noise.
import type { EngineEvent } from '../../src/core/protocol/events';
import { cleanText, formatDollars, h } from './format';

export class Announcer {
  readonly element: HTMLElement;
  /** Top-level task ids, and those whose answer has been announced as streaming. */
  private readonly tasks = new Set<string>();
  private readonly answering = new Set<string>();

  constructor(parent: HTMLElement) {
    this.element = h('div', { class: 'sr-only status-announcer', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
    parent.append(this.element);
  }

  onEvent(e: EngineEvent): void {
    if (e.type === 'task_started') {
      if (e.parentCallId) return;
      this.tasks.add(e.taskId);
      return this.say(`Orchestra is working on: ${short(e.question)}`);
    }
    if (!this.tasks.has(e.taskId)) return;
    switch (e.type) {
      case 'answer_delta':
        if (this.answering.has(e.taskId)) return;
        this.answering.add(e.taskId);
        return this.say('Orchestra is answering…');
      case 'approval_requested':
        return this.say(`Approval needed: ${short(e.title)}`);
      case 'done': {
        const t = e.totals;
        const cost = t.dollars > 0 ? `, ${t.estimated ? 'about ' : ''}${formatDollars(t.dollars)}` : '';
        return this.finish(e.taskId, `Answer complete: ${t.calls} call${t.calls === 1 ? '' : 's'}${cost}.`);
      }
      case 'error':
        return this.finish(e.taskId, `The task failed: ${short(e.message)}`);
    }
  }

  private finish(taskId: string, text: string): void {
    this.tasks.delete(taskId);
    this.answering.delete(taskId);
    this.say(text);
  }

  private say(text: string): void {
    this.element.textContent = text;
  }
}

function short(s: string): string {
  const one = cleanText(s).replace(/\s+/g, ' ').trim();
  return one.length > 120 ? `${one.slice(0, 119)}…` : one;
}
