// The header's engine state: a dot and the orchestrator's name when ready (the name shortened in the
// middle when the side bar is narrow, in full on hover), or what is wrong in words; and the banners
// under the header when the engine is down or the settings have problems.
import type { PanelCommand, PanelStatus } from '../../src/protocol/panel';
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

/** Makes a button that runs one of the extension's panel commands. */
export type CommandButton = (label: string, command: PanelCommand, primary?: boolean) => HTMLButtonElement;

/** Banners: the engine down (with Retry), settings problems (with where to fix them). */
export function renderBanners(el: HTMLElement, status: PanelStatus | undefined, commandButton: CommandButton): void {
  const banners: HTMLElement[] = [];
  if (status?.engine.state === 'down') {
    banners.push(
      h(
        'div',
        { class: 'banner error', role: 'alert' },
        h(
          'div',
          { class: 'banner-text' },
          h('strong', {}, 'The engine is not running. '),
          status.engine.message ?? 'It stopped and was not restarted.',
        ),
        commandButton('Retry', 'retryEngine', true),
      ),
    );
  }
  if (status && status.problems.length) {
    // Invalid settings stop every task (fail closed): an error, not a warning, and Send is off.
    const blocked = status.settingsInvalid === true;
    banners.push(
      h(
        'div',
        { class: `banner ${blocked ? 'error settings-invalid' : 'warning'}`, role: blocked ? 'alert' : 'status' },
        h(
          'div',
          { class: 'banner-text' },
          h('strong', {}, blocked ? 'Orchestra will not run until these settings are fixed: ' : 'Settings problems: '),
          h('ul', {}, ...status.problems.slice(0, 8).map((p) => h('li', {}, h('code', {}, problemPath(p)), ' — ', p.message))),
        ),
        commandButton(status.problems[0]?.source ? 'Open orchestra.json' : 'Open settings', 'openSettings', blocked),
      ),
    );
  }
  el.replaceChildren(...banners);
}

/** Where a settings problem is, as the user finds it: `orchestra.budget.maxTurns` or `orchestra.json: budget.maxTurns`. */
function problemPath(p: { path: string; source?: string }): string {
  return p.source ? `${p.source.split(/[\\/]/).pop()}: ${p.path}` : `orchestra.${p.path}`;
}
