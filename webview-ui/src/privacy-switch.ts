// The composer's privacy switch: the three modes side by side as one radio group, so a mode is one
// click (or one arrow key) away. A mode the workspace's rules keep from being chosen is shown
// unavailable with the reason on hover; the checked one is the mode in force, from the extension's status.
import type { PanelStatus } from '../../src/protocol/panel';
import { h } from './format';

export type PrivacyMode = PanelStatus['privacyMode'];

export const PRIVACY_MODES: ReadonlyArray<{ mode: PrivacyMode; short: string; label: string; detail: string; icon: string }> = [
  { mode: 'any', short: 'Any', label: 'Any model', detail: 'Local and remote models and tools may be used.', icon: 'globe' },
  {
    mode: 'open-weights-only',
    short: 'Open',
    label: 'Open weights',
    detail: 'Only open-weights models, which may still run remotely.',
    icon: 'unlock',
  },
  {
    mode: 'local-only',
    short: 'Local',
    label: 'Local only',
    detail: 'Nothing leaves this machine: local models and tools only.',
    icon: 'lock',
  },
];

export interface PrivacySwitchHost {
  /** A mode other than the one in force was chosen and may be: post the switch. */
  pick(mode: PrivacyMode): void;
  /** An unavailable mode was chosen: say why (nothing is posted). */
  refused(label: string, reason: string): void;
}

export class PrivacySwitch {
  readonly element: HTMLElement;
  private readonly options: HTMLButtonElement[];
  private mode: PrivacyMode = 'any';
  private refusals: Partial<Record<PrivacyMode, string>> = {};

  constructor(private readonly host: PrivacySwitchHost) {
    this.options = PRIVACY_MODES.map((p) =>
      h(
        'button',
        { type: 'button', role: 'radio', class: 'privacy-option', 'data-value': p.mode, tabindex: '-1' },
        h('i', { class: `codicon codicon-${p.icon}`, 'aria-hidden': 'true' }),
        h('span', { class: 'privacy-short' }, p.short),
      ),
    );
    this.element = h('div', { class: 'privacy-switch', role: 'radiogroup', 'aria-label': 'Privacy mode' }, ...this.options);
    this.options.forEach((b, i) => {
      b.addEventListener('click', () => this.choose(i));
      b.addEventListener('keydown', (e) => this.key(e, i));
    });
    // Tab leaves the group from wherever the arrows went; coming back lands on the mode in force.
    this.element.addEventListener('focusout', (e) => {
      if (!this.element.contains(e.relatedTarget as Node | null)) this.resetTabStop();
    });
    this.render('any', {});
  }

  /** Shows the mode in force and which modes the rules refuse, with why. */
  render(mode: PrivacyMode, refusals: Partial<Record<PrivacyMode, string>>): void {
    this.mode = mode;
    this.refusals = refusals;
    this.element.dataset.mode = mode;
    const focusInside = this.element.contains(document.activeElement);
    PRIVACY_MODES.forEach((p, i) => {
      const b = this.options[i];
      const checked = p.mode === mode;
      // The mode in force is never unavailable: choosing it changes nothing.
      const reason = checked ? undefined : refusals[p.mode];
      b.setAttribute('aria-checked', String(checked));
      if (reason) b.setAttribute('aria-disabled', 'true');
      else b.removeAttribute('aria-disabled');
      b.setAttribute('aria-label', `${p.label}: ${p.detail}${reason ? ` Unavailable: ${reason}.` : ''}`);
      b.title = reason ? `${p.label} — unavailable: ${reason}` : `Privacy: ${p.label} — ${p.detail}${checked ? ' (in force)' : ''}`;
    });
    if (!focusInside) this.resetTabStop();
  }

  private resetTabStop(): void {
    this.options.forEach((b, i) => (b.tabIndex = PRIVACY_MODES[i].mode === this.mode ? 0 : -1));
  }

  private choose(i: number): void {
    const p = PRIVACY_MODES[i];
    const reason = p.mode === this.mode ? undefined : this.refusals[p.mode];
    if (reason) this.host.refused(p.label, reason);
    else if (p.mode !== this.mode) this.host.pick(p.mode);
  }

  /** Radio-group keys: the arrows move (wrapping) and choose the mode moved to when it may be chosen;
   *  an unavailable one is focused so its reason can be read, and nothing is posted; Space chooses. */
  private key(e: KeyboardEvent, i: number): void {
    const n = this.options.length;
    const to =
      e.key === 'ArrowRight' || e.key === 'ArrowDown'
        ? (i + 1) % n
        : e.key === 'ArrowLeft' || e.key === 'ArrowUp'
          ? (i + n - 1) % n
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? n - 1
              : undefined;
    if (to !== undefined) {
      e.preventDefault();
      this.focus(to);
      if (!this.refusals[PRIVACY_MODES[to].mode] && PRIVACY_MODES[to].mode !== this.mode) this.host.pick(PRIVACY_MODES[to].mode);
    } else if (e.key === ' ' || e.key === 'Enter') {
      e.preventDefault();
      this.choose(i);
    }
  }

  private focus(i: number): void {
    this.options.forEach((b, j) => (b.tabIndex = j === i ? 0 : -1));
    this.options[i].focus();
  }
}
