// The panel's composer: the question box with its attached context, the orchestrator picker (a
// one-click menu: "Automatic", then the pool) and the privacy switch (one click per mode; the extension writes the setting or says
// why it will not), the per-task budget, Stop and Send. It knows the status the extension sent and
// whether tasks run; what a sent question does to the conversation is main.ts's.
import type { PanelAttachment, PanelModel, PanelStatus, PanelToExtension } from '../../src/protocol/panel';
import { h } from './format';
import { PopupMenu, type MenuChoice } from './menu';
import { priceText } from './models-panel';
import { nameEl } from './names';
import { PrivacySwitch } from './privacy-switch';

export interface ComposerHost {
  post(msg: PanelToExtension): void;
  /** Sends a question with its attachments (the composer has checked it may and clears itself after). */
  send(question: string, attachments: PanelAttachment[]): void;
  /** Stops the newest running task. */
  stop(): void;
  /** The draft changed: save the panel state soon. */
  changed(): void;
}

export interface ComposerState {
  status: PanelStatus | undefined;
  /** Running tasks of the current conversation (none while an earlier one is viewed). */
  running: number;
}

/** The picker's value for "Automatic" (`orchestrator.model` cleared): no model id is empty. */
const AUTOMATIC = '';

type AutomaticStatus = NonNullable<PanelStatus['automaticOrchestrator']>;

/** "Automatic · <the model it resolves to now>", first in the picker; unavailable while orchestra.json names a model. */
function automaticChoice(auto: AutomaticStatus): MenuChoice {
  return {
    value: AUTOMATIC,
    name: auto.model ? `Automatic · ${auto.model}` : 'Automatic',
    label: h(
      'span',
      { class: 'menu-auto' },
      auto.model ? 'Automatic ·' : 'Automatic',
      auto.model ? nameEl(auto.model, 'menu-model') : null,
    ),
    detail: auto.model
      ? 'Orchestra picks: the first allowed model with the orchestrator role, else the first allowed model'
      : 'No model is allowed to orchestrate now',
    disabledReason: auto.active ? undefined : auto.refusal,
  };
}

/** A pool member as a choice of orchestrator: where it runs and its price, or why the rules exclude it. */
function orchestratorChoice(m: PanelModel): MenuChoice {
  const facts = [
    m.local ? 'local' : 'remote',
    m.openWeights ? 'open weights' : '',
    priceText(m),
    m.roles.includes('orchestrator') ? 'orchestrator role' : '',
  ];
  return {
    value: m.id,
    name: m.id,
    label: nameEl(m.id, 'menu-model'),
    detail: facts.filter(Boolean).join(' · '),
    disabledReason: m.eligible ? undefined : (m.ineligibleReason ?? 'the current rules exclude it'),
  };
}

export class Composer {
  readonly element: HTMLElement;
  readonly input: HTMLTextAreaElement;
  private attachments: PanelAttachment[] = [];
  private readonly askError = h('div', { class: 'ask-error', role: 'alert' });
  private readonly chips = h('div', { class: 'compose-chips', 'aria-label': 'Attached context' });
  private readonly budget = h('input', {
    id: 'budget',
    class: 'budget-input',
    type: 'number',
    min: '0',
    step: '0.05',
    inputmode: 'decimal',
    title: 'Maximum dollars per task',
  });
  private readonly sendButton = h('button', { type: 'button', class: 'primary send-button' }, 'Send');
  private readonly stopButton = h('button', { type: 'button', class: 'secondary stop-all', title: 'Stop the running task' }, 'Stop');
  private readonly hint = h('div', { class: 'composer-hint' });
  /** What the last switch did (saved where, applies from the next question) or why it was refused. */
  private readonly notice = h('div', { class: 'composer-notice', role: 'status' });
  private readonly privacy: PrivacySwitch;
  private readonly orchestrator: PopupMenu;

  constructor(private readonly host: ComposerHost) {
    this.input = h('textarea', {
      class: 'question-input',
      rows: 3,
      placeholder: 'Ask a coding question… (Enter to send, Shift+Enter for a new line)',
      'aria-label': 'Question',
    });
    this.privacy = new PrivacySwitch({
      pick: (mode) => this.switching('privacyMode', () => host.post({ type: 'setPrivacyMode', mode })),
      refused: (label, reason) => this.showNotice(`${label} is unavailable: ${reason}.`, false),
    });
    this.orchestrator = new PopupMenu({
      id: 'orchestrator-menu',
      buttonClass: 'composer-chip orchestrator-picker',
      menuLabel: 'Orchestrator model',
      emptyText: 'The engine has not listed its models yet.',
      onPick: (model) =>
        this.switching('orchestrator.model', () =>
          host.post(model === AUTOMATIC ? { type: 'setOrchestratorAutomatic' } : { type: 'setOrchestrator', model }),
        ),
      // As the privacy switch does: an unavailable choice says why, and nothing is posted.
      onRefused: (name, reason) => this.showNotice(`${name} is unavailable: ${reason}.`, false),
    });
    this.askError.hidden = true;
    this.notice.hidden = true;
    this.element = h(
      'footer',
      { class: 'composer' },
      this.askError,
      this.chips,
      this.input,
      h(
        'div',
        { class: 'composer-actions' },
        this.orchestrator.button,
        this.privacy.element,
        h(
          'label',
          { class: 'field', for: 'budget' },
          h('span', { class: 'field-label' }, h('span', { class: 'wide-only' }, 'Budget '), '$'),
          this.budget,
        ),
        h('span', { class: 'spacer' }),
        this.stopButton,
        this.sendButton,
      ),
      this.notice,
      this.hint,
      this.orchestrator.menu,
    );
    this.wire();
    this.renderChips();
  }

  private wire(): void {
    this.sendButton.addEventListener('click', () => this.send());
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.send();
      }
    });
    this.input.addEventListener('input', () => this.host.changed());
    this.stopButton.addEventListener('click', () => this.host.stop());
    this.budget.addEventListener('change', () => {
      const dollars = Number(this.budget.value);
      if (!Number.isFinite(dollars) || dollars < 0) {
        this.budget.setCustomValidity('Enter a dollar amount of 0 or more');
        this.budget.reportValidity();
        return;
      }
      this.budget.setCustomValidity('');
      this.host.post({ type: 'setBudget', dollars });
    });
  }

  /** Posts a switch and says so until the extension answers (`settingResult`). */
  private switching(setting: 'privacyMode' | 'orchestrator.model', post: () => void): void {
    this.showNotice(setting === 'privacyMode' ? 'Switching the privacy mode…' : 'Switching the orchestrator…', true);
    post();
  }

  private showNotice(message: string, ok: boolean): void {
    this.notice.textContent = message;
    this.notice.dataset.ok = String(ok);
    this.notice.hidden = false;
  }

  /** The extension's answer to a switch. */
  settingResult(ok: boolean, message: string): void {
    this.showNotice(message, ok);
  }

  render(state: ComposerState): void {
    const { status, running } = state;
    if (status) {
      if (document.activeElement !== this.budget) this.budget.value = String(status.budgetDollars);
      this.element.dataset.privacy = status.privacyMode;
      this.privacy.render(status.privacyMode, status.privacyRefusals ?? {});
      this.renderOrchestrator(status);
    }
    this.stopButton.hidden = running === 0;
    const noModel = status !== undefined && status.modelCount === 0;
    const invalid = status?.settingsInvalid === true;
    this.sendButton.disabled = noModel || invalid;
    this.hint.textContent = invalid
      ? 'Fix the settings above to ask.'
      : noModel
        ? 'Add a model to start.'
        : running
          ? 'A task is running; a new question starts another.'
          : '';
  }

  private renderOrchestrator(status: PanelStatus): void {
    const current = status.orchestratorModel;
    const auto = status.automaticOrchestrator;
    const automatic = auto?.active === true;
    const b = this.orchestrator.button;
    b.dataset.model = current ?? '';
    b.dataset.automatic = String(automatic);
    const said = automatic ? `Automatic (${current ?? 'no model is allowed now'})` : (current ?? 'none');
    b.setAttribute('aria-label', `Orchestrator: ${said}. Change the orchestrator`);
    b.title = automatic
      ? `Orchestrator for the next question: picked automatically, now ${current ?? 'none'}. Click to change.`
      : current
        ? `Orchestrator for the next question: ${current}. Click to change.`
        : 'No orchestrator yet: add a model.';
    b.replaceChildren(
      h('span', { class: 'wide-only picker-label' }, 'Orchestrator '),
      ...(automatic ? [h('span', { class: 'picker-auto' }, current ? 'Automatic ·' : 'Automatic')] : []),
      ...(current ? [nameEl(current, 'picker-name')] : automatic ? [] : [h('span', { class: 'picker-name' }, 'none')]),
      h('span', { class: 'chip-caret', 'aria-hidden': 'true' }, '▾'),
    );
    const models = (status.models ?? []).map(orchestratorChoice);
    // Before the engine has listed its models the menu says so, rather than offer "Automatic" alone.
    const choices = auto && models.length ? [automaticChoice(auto), ...models] : models;
    this.orchestrator.setChoices(choices, automatic ? AUTOMATIC : current);
  }

  private send(): void {
    const question = this.input.value.trim();
    if (!question || this.sendButton.disabled) return;
    const attachments = this.attachments;
    this.askError.hidden = true;
    this.notice.hidden = true;
    this.host.send(question, attachments);
    this.input.value = '';
    this.attachments = [];
    this.renderChips();
  }

  /** Prefills the question box (the extension's `compose`). */
  compose(question: string | undefined, attachments: PanelAttachment[], focus: boolean): void {
    if (question !== undefined) this.input.value = question;
    this.attachments = [...attachments];
    this.renderChips();
    if (focus) this.input.focus();
  }

  /** The question never became a task: say why and give its text back when the box is empty. */
  askFailed(message: string, question: string): void {
    this.askError.replaceChildren(h('strong', {}, 'Not sent: '), message);
    this.askError.hidden = false;
    if (!this.input.value.trim() && question) this.input.value = question;
  }

  hideAskError(): void {
    this.askError.hidden = true;
  }

  private renderChips(): void {
    this.chips.replaceChildren(
      ...this.attachments.map((a, i) => {
        const remove = h('button', { type: 'button', class: 'chip-remove', 'aria-label': `Remove ${a.path}` }, '✕');
        remove.addEventListener('click', () => {
          this.attachments.splice(i, 1);
          this.renderChips();
          this.input.focus();
        });
        const lines = a.startLine !== undefined ? `:${a.startLine}${a.endLine !== undefined ? `-${a.endLine}` : ''}` : '';
        return h('span', { class: `chip chip-${a.kind}`, title: a.path }, `${a.path.split('/').pop() ?? a.path}${lines}`, remove);
      }),
    );
    this.chips.hidden = this.attachments.length === 0;
  }
}
