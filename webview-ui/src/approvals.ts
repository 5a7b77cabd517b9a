// An approval asked inline (run this code? pay for this call? call this MCP tool?): what would run,
// highlighted, with Approve and Deny; once answered, or when the call or task ends first, it says how
// it was settled and offers nothing more.
import type { PanelApproval } from '../../src/protocol/panel';
import { cleanText, h } from './format';
import { highlightCode } from './markdown';

export interface ApprovalView {
  approval: PanelApproval;
  el: HTMLElement;
  outcomeEl: HTMLElement;
  buttons: HTMLButtonElement[];
  resolved: boolean;
}

/** The approval's element; `decide` is told the user's answer (absent: read-only, nothing can be answered). */
export function approvalView(approval: PanelApproval, decide?: (approved: boolean) => void): ApprovalView {
  const approve = h('button', { type: 'button', class: 'primary' }, 'Approve');
  const deny = h('button', { type: 'button', class: 'secondary' }, 'Deny');
  const outcomeEl = h('div', { class: 'approval-outcome', role: 'status' });
  const code = h('code', { class: 'hljs' });
  // highlightCode escapes everything it does not mark up, so this is text, not markup from the engine.
  code.innerHTML = highlightCode(cleanText(approval.detail), approval.language);
  const el = h(
    'div',
    {
      class: 'approval pending',
      'data-approval-id': approval.approvalId,
      'data-kind': approval.kind,
      role: 'group',
      'aria-label': `Approval needed: ${approval.title}`,
    },
    h(
      'div',
      { class: 'approval-title' },
      h('span', { class: 'approval-badge' }, approvalKindLabel(approval.kind)),
      ' ',
      cleanText(approval.title),
    ),
    h('div', { class: 'code-block approval-detail' }, h('pre', { tabindex: 0, 'aria-label': 'What would run' }, code)),
    decide ? h('div', { class: 'approval-actions' }, approve, deny) : null,
    outcomeEl,
  );
  const view: ApprovalView = { approval, el, outcomeEl, buttons: [approve, deny], resolved: false };
  const answer = (approved: boolean): void => {
    for (const b of view.buttons) b.disabled = true;
    outcomeEl.textContent = approved ? 'Approved — waiting for the engine…' : 'Denied — waiting for the engine…';
    decide?.(approved);
  };
  approve.addEventListener('click', () => answer(true));
  deny.addEventListener('click', () => answer(false));
  if (!decide) settleApproval(view, 'Not answered.');
  return view;
}

export function settleApproval(view: ApprovalView, text: string): void {
  view.resolved = true;
  view.el.classList.remove('pending');
  for (const b of view.buttons) b.disabled = true;
  view.el.querySelector('.approval-actions')?.remove();
  view.outcomeEl.textContent = text;
}

function approvalKindLabel(kind: PanelApproval['kind']): string {
  return kind === 'run_code' ? 'Run code' : kind === 'paid_call' ? 'Paid call' : 'MCP tool';
}
