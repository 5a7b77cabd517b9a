// Why a model serves a call, as the panel shows it in the call's card (or its turn, for the
// orchestrator's own requests): the top reasons of its score and the runner-up, or a fallback step
// "A down → B" with what went wrong. Built from `model_choice` events only.
import type { EventOf } from '../../src/core/protocol/events';
import { cleanText, h } from './format';

type Choice = EventOf<'model_choice'>;

/** One line per choice; a fallback reads "A down → B", a ranked pick "why B: … · runner-up C". */
export function choiceElement(e: Choice): HTMLElement {
  if (e.how === 'fallback' && e.from) {
    return h(
      'div',
      { class: 'route route--fallback', role: 'status', 'data-from': e.from.model, 'data-to': e.model, title: cleanText(e.from.reason) },
      h('span', { class: 'route-step' }, `${e.from.model} ${e.from.unreachable ? 'down' : 'failed'} → ${e.model}`),
      h('span', { class: 'route-detail' }, cleanText(e.from.reason)),
    );
  }
  const lead = e.how === 'named' ? `${e.model}: named by the orchestrator` : `why ${e.model}${e.role ? ` for ${e.role}` : ''}`;
  const score = e.score !== undefined ? ` (score ${e.score.toFixed(2)})` : '';
  const reasons = e.reasons.map(cleanText).join(' · ');
  const runnerUp = e.runnerUp
    ? h(
        'span',
        { class: 'route-runner-up', title: e.runnerUp.reasons.map(cleanText).join(' · ') },
        `runner-up ${e.runnerUp.model} (${e.runnerUp.score.toFixed(2)})`,
      )
    : null;
  return h(
    'div',
    { class: 'route route--choice', 'data-model': e.model, 'data-how': e.how },
    h('span', { class: 'route-lead' }, `${lead}${score}`),
    reasons ? h('span', { class: 'route-reasons' }, reasons) : null,
    runnerUp,
  );
}
