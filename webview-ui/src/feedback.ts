// The thumbs under a finished answer: the user's verdict, sent to the engine as quality evidence for
// the models that served the task (docs/ROUTING.md). What is shown pressed comes only from the
// engine's `task_feedback` events, so a reloaded panel shows what was recorded, not what was clicked.
import type { EventOf } from '../../src/core/protocol/events';
import { cleanText, h } from './format';

export type Verdict = 'up' | 'down' | 'none';

export interface FeedbackBar {
  el: HTMLElement;
  /** The engine recorded a verdict (or its withdrawal). */
  recorded(e: EventOf<'task_feedback'>): void;
}

export function feedbackBar(send: (verdict: Verdict) => void): FeedbackBar {
  const status = h('span', { class: 'feedback-status', role: 'status' });
  // Codicons, not emoji: a machine without an emoji font (a bare Linux desktop, code-server) showed empty boxes.
  const button = (verdict: 'up' | 'down', label: string) => {
    const b = h(
      'button',
      { type: 'button', class: 'feedback-button', 'data-verdict': verdict, 'aria-pressed': 'false', title: label, 'aria-label': label },
      h('i', { class: `codicon codicon-thumbs${verdict}`, 'aria-hidden': 'true' }),
    );
    // Pressing the pressed one again withdraws the verdict.
    b.addEventListener('click', () => {
      status.textContent = 'Sending…';
      send(b.getAttribute('aria-pressed') === 'true' ? 'none' : verdict);
    });
    return b;
  };
  const up = button('up', 'Good answer: counts for the models that served it');
  const down = button('down', 'Bad answer: counts against the models that served it');
  /** The pressed one shows its filled icon as well as its pressed style. */
  const show = (b: HTMLElement, pressed: boolean, verdict: 'up' | 'down') => {
    b.setAttribute('aria-pressed', String(pressed));
    const icon = b.querySelector('.codicon');
    if (icon) icon.className = `codicon codicon-thumbs${verdict}${pressed ? '-filled' : ''}`;
  };
  const el = h('div', { class: 'feedback', role: 'group', 'aria-label': 'Rate this answer' }, up, down, status);
  return {
    el,
    recorded(e) {
      show(up, e.verdict === 'up', 'up');
      show(down, e.verdict === 'down', 'down');
      const who = e.models.map((m) => `${cleanText(m.model)} (${cleanText(m.role)})`).join(', ');
      status.textContent = e.verdict === 'none' ? 'Rating withdrawn.' : `Counted for ${who || 'no model'}.`;
    },
  };
}
