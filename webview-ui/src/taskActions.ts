// What a user can do with a task of the current conversation, beside its question and in its bar:
// edit the question and send it again (the conversation branches there), switch between the answers
// to that place (‹ 2/3 ›), ask again (with another orchestrator model), resume a task that was
// interrupted or stopped; and how much of the orchestrator's context window the task uses.
import { formatTokens, h } from './format';

export interface TaskActionsHost {
  /** Sends an edited question in place of task `editOf` (a new branch). */
  ask(question: string, editOf: string): void;
  /** Asks the task's question again, optionally with another orchestrator model. */
  retry(taskId: string, orchestratorModel?: string): void;
  selectBranch(taskId: string): void;
  resume(taskId: string): void;
  /** Models that may orchestrate now (eligible ones), for "Retry with". */
  orchestratorChoices(): string[];
}

export type TaskActionState = 'running' | 'done' | 'error' | 'stopped' | 'interrupted';

export class TaskActions {
  /** Goes into the task's bar. */
  readonly barEl: HTMLElement;
  private readonly contextEl: HTMLElement;
  private readonly branchEl: HTMLElement;
  private readonly editButton: HTMLButtonElement;
  private readonly retryButton: HTMLButtonElement;
  private readonly retryModel: HTMLSelectElement;
  private readonly resumeButton: HTMLButtonElement;
  private state: TaskActionState = 'running';
  private resumable = false;
  private editing = false;

  constructor(
    private readonly taskId: string,
    /** The question's block: the editor replaces its text while editing. */
    private readonly questionEl: HTMLElement,
    private readonly host: TaskActionsHost,
    private readonly readOnly: boolean,
  ) {
    this.contextEl = h('span', { class: 'task-context', hidden: true });
    this.branchEl = h('span', { class: 'branch-switch', role: 'group', 'aria-label': 'Other answers to this question', hidden: true });
    this.editButton = h(
      'button',
      {
        type: 'button',
        class: 'link-button edit-question',
        title: 'Edit this question and send it again (the conversation branches here)',
      },
      'Edit',
    );
    this.retryButton = h('button', { type: 'button', class: 'link-button retry-task', title: 'Ask this question again' }, 'Retry');
    this.retryModel = h('select', { class: 'retry-model', 'aria-label': 'Orchestrator model for the retry' });
    this.resumeButton = h(
      'button',
      { type: 'button', class: 'primary resume-task', title: 'Run what did not finish; what was answered and paid for is not asked again' },
      'Resume',
    );
    this.editButton.addEventListener('click', () => this.startEditing());
    this.retryButton.addEventListener('click', () => {
      this.retryButton.disabled = true;
      this.host.retry(this.taskId, this.retryModel.value || undefined);
    });
    this.resumeButton.addEventListener('click', () => {
      this.resumeButton.disabled = true;
      this.resumeButton.textContent = 'Resuming…';
      this.host.resume(this.taskId);
    });
    this.retryModel.addEventListener('focus', () => this.fillModels());
    this.barEl = h(
      'span',
      { class: 'task-actions' },
      this.contextEl,
      this.branchEl,
      readOnly ? null : this.editButton,
      readOnly ? null : h('span', { class: 'retry-group' }, this.retryButton, this.retryModel),
      readOnly ? null : this.resumeButton,
    );
    this.render();
  }

  setState(state: TaskActionState): void {
    this.state = state;
    this.render();
  }

  setResumable(resumable: boolean): void {
    this.resumable = resumable;
    this.render();
  }

  /** The other answers to this task's place; none when it is the only one. */
  setBranch(info: { siblings: string[]; index: number } | undefined): void {
    if (!info || info.siblings.length < 2) {
      this.branchEl.hidden = true;
      this.branchEl.replaceChildren();
      return;
    }
    const { siblings, index } = info;
    const go = (to: number, label: string, name: string): HTMLButtonElement => {
      const b = h('button', { type: 'button', class: 'icon-button', 'aria-label': name, disabled: to < 0 || to >= siblings.length }, label);
      b.addEventListener('click', () => this.host.selectBranch(siblings[to]));
      return b;
    };
    this.branchEl.replaceChildren(
      go(index - 1, '‹', 'Previous answer'),
      h('span', { class: 'branch-count' }, `${index + 1}/${siblings.length}`),
      go(index + 1, '›', 'Next answer'),
    );
    this.branchEl.hidden = false;
  }

  /** Prompt tokens of the task's latest orchestrator turn, of the model's window. */
  setContext(tokens: number, window: number): void {
    const share = window > 0 ? tokens / window : 0;
    this.contextEl.textContent = `context ${formatTokens(tokens)} / ${formatTokens(window)}`;
    this.contextEl.title = `The orchestrator's last turn used ${tokens.toLocaleString('en-US')} of its ${window.toLocaleString('en-US')}-token context window (${Math.round(share * 100)}%)`;
    this.contextEl.dataset.level = share > 0.9 ? 'high' : share > 0.7 ? 'mid' : 'low';
    this.contextEl.hidden = false;
  }

  private render(): void {
    const ended = this.state !== 'running';
    this.editButton.hidden = !ended || this.editing;
    this.retryButton.hidden = !ended;
    this.retryButton.disabled = false;
    this.retryModel.hidden = !ended;
    if (ended && !this.retryModel.options.length) this.fillModels();
    this.resumeButton.hidden = !(ended && this.resumable && this.state !== 'done');
  }

  private fillModels(): void {
    const current = this.retryModel.value;
    const models = this.host.orchestratorChoices();
    this.retryModel.replaceChildren(
      h('option', { value: '' }, 'same orchestrator'),
      ...models.map((m) => h('option', { value: m }, `with ${m}`)),
    );
    this.retryModel.value = models.includes(current) ? current : '';
  }

  private startEditing(): void {
    const textEl = this.questionEl.querySelector<HTMLElement>('.question-text');
    if (!textEl || this.editing) return;
    this.editing = true;
    const original = textEl.textContent ?? '';
    const input = h('textarea', { class: 'question-edit', rows: 3, 'aria-label': 'Edited question' });
    input.value = original;
    const send = h('button', { type: 'button', class: 'primary' }, 'Send');
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const editor = h('div', { class: 'question-editor' }, input, h('div', { class: 'question-editor-actions' }, cancel, send));
    textEl.hidden = true;
    textEl.after(editor);
    this.render();
    const close = (): void => {
      editor.remove();
      textEl.hidden = false;
      this.editing = false;
      this.render();
    };
    send.addEventListener('click', () => {
      const q = input.value.trim();
      if (!q) return;
      close();
      this.host.ask(q, this.taskId);
    });
    cancel.addEventListener('click', close);
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        send.click();
      } else if (e.key === 'Escape') close();
    });
    input.focus();
  }
}
