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
  const button = (verdict: 'up' | 'down', symbol: string, label: string) => {
    const b = h(
      'button',
      { type: 'button', class: 'feedback-button', 'data-verdict': verdict, 'aria-pressed': 'false', title: label, 'aria-label': label },
      symbol,
    );
    // Pressing the pressed one again withdraws the verdict.
    b.addEventListener('click', () => {
      status.textContent = 'Sending…';
      send(b.getAttribute('aria-pressed') === 'true' ? 'none' : verdict);
    });
    return b;
  };
  const up = button('up', '👍', 'Good answer: counts for the models that served it');
  const down = button('down', '👎', 'Bad answer: counts against the models that served it');
  const el = h('div', { class: 'feedback', role: 'group', 'aria-label': 'Rate this answer' }, up, down, status);
  return {
    el,
    recorded(e) {
      up.setAttribute('aria-pressed', String(e.verdict === 'up'));
      down.setAttribute('aria-pressed', String(e.verdict === 'down'));
      const who = e.models.map((m) => `${cleanText(m.model)} (${cleanText(m.role)})`).join(', ');
      status.textContent = e.verdict === 'none' ? 'Rating withdrawn.' : `Counted for ${who || 'no model'}.`;
    },
  };
}
