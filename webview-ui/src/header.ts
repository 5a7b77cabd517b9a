// The header's engine state: a dot and the orchestrator's name when ready (the name shortened in the
// middle when the side bar is narrow, in full on hover), or what is wrong in words.
import type { PanelStatus } from '../../src/protocol/panel';
import { h } from './format';
import { nameEl } from './names';

export function renderEngineState(el: HTMLElement, status: PanelStatus): void {
  const state = status.engine.state;
  el.dataset.state = state;
  if (state === 'ready') {
    const model = status.orchestratorModel;
    el.title = model ? `Engine ready; orchestrator: ${model}` : 'Engine ready';
    el.replaceChildren(
      h('span', { class: 'engine-dot', 'aria-hidden': 'true' }, '●'),
      h('span', { class: model ? 'wide-only' : '' }, model ? 'Ready · ' : 'Engine ready'),
      model ? nameEl(model, 'engine-model') : '',
    );
    return;
  }
  el.title = status.engine.message ?? '';
  el.replaceChildren(state === 'starting' ? '◌ Engine starting…' : '✕ Engine down');
}
