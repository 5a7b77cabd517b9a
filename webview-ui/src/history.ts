// The panel's history of conversations in this workspace: each with its title, date, questions, cost
// and models; opened read-only with its cards, continued, exported as Markdown, or deleted. The list
// comes from the extension (the recorded task journals); this module only draws it.
import type { ConversationSummary } from '../../src/protocol/panel';
import { formatDollars, formatTime, h } from './format';

export interface HistoryActions {
  open(id: string): void;
  continue(id: string): void;
  export(id: string): void;
  delete(id: string, title: string): void;
  close(): void;
}

function meta(c: ConversationSummary): string {
  const models = c.models?.length ? ` · ${c.models.join(', ')}` : '';
  return `${formatTime(c.updatedAt ?? c.startedAt)} · ${c.taskCount} question${c.taskCount === 1 ? '' : 's'} · ${formatDollars(c.dollars)}${models}`;
}

/** Draws the history list into `el`; `current` is the conversation being asked in now (exported from here too). */
export function renderHistory(
  el: HTMLElement,
  history: readonly ConversationSummary[],
  current: { id: string; taskCount: number } | undefined,
  actions: HistoryActions,
): void {
  const close = h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Close history' }, '✕');
  close.addEventListener('click', () => actions.close());
  const items = history.map((c) => {
    const open = h(
      'button',
      { type: 'button', class: 'history-open', title: 'Show this conversation with its cards' },
      h('span', { class: 'history-title' }, c.title || 'Untitled conversation'),
      h('span', { class: 'history-meta' }, meta(c)),
    );
    open.addEventListener('click', () => actions.open(c.id));
    const cont = h(
      'button',
      { type: 'button', class: 'link-button history-continue', title: 'Make it the current conversation' },
      'Continue',
    );
    cont.addEventListener('click', () => actions.continue(c.id));
    const exp = h('button', { type: 'button', class: 'link-button history-export', title: 'Open it as a Markdown document' }, 'Export');
    exp.addEventListener('click', () => actions.export(c.id));
    const del = h('button', { type: 'button', class: 'icon-button history-delete', 'aria-label': `Delete “${c.title}” from history` }, '✕');
    del.addEventListener('click', () => actions.delete(c.id, c.title));
    return h('li', { 'data-conversation-id': c.id }, open, h('span', { class: 'history-actions' }, cont, exp, del));
  });
  const exportCurrent =
    current && current.taskCount > 0
      ? h('button', { type: 'button', class: 'link-button history-export-current' }, 'Export this conversation as Markdown')
      : null;
  exportCurrent?.addEventListener('click', () => actions.export(current!.id));
  el.replaceChildren(
    h('div', { class: 'history-head' }, h('h2', {}, 'History'), close),
    exportCurrent ?? '',
    items.length
      ? h('ul', { class: 'history-list' }, ...items)
      : h('p', { class: 'muted' }, 'No earlier conversations yet. “New” starts one and keeps this one here.'),
  );
}
