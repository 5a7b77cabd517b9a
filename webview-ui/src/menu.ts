// A small pop-up menu of choices behind a button (the composer's orchestrator picker): one choice is
// current (a menuitemradio, checked), others may be unavailable with the reason shown under them and
// on hover (and said, through the owner, when one is picked). Keyboard as in VS Code's own menus:
// Enter, Space or the arrows open it, the arrows, Home and End move, Enter or Space picks, Escape
// closes and gives focus back.
import { h } from './format';

export interface MenuChoice {
  value: string;
  /** The choice's name (a node for names shortened in the middle). */
  label: Node | string;
  /** Text for screen readers and the tooltip, when `label` is a node. */
  name: string;
  /** A short second line: what the choice means, or why it cannot be picked. */
  detail?: string;
  /** Set when the choice cannot be picked now; the reason is shown and read out. */
  disabledReason?: string;
}

export class PopupMenu {
  readonly button: HTMLButtonElement;
  /** The menu itself; the caller places it (it is positioned against its nearest positioned ancestor). */
  readonly menu: HTMLElement;
  private choices: MenuChoice[] = [];
  private current: string | undefined;

  constructor(
    private readonly opts: {
      id: string;
      buttonClass: string;
      menuLabel: string;
      emptyText?: string;
      onPick(value: string): void;
      /** An unavailable choice was picked: say why (the menu stays open, nothing is picked). */
      onRefused?(name: string, reason: string): void;
    },
  ) {
    this.button = h('button', {
      type: 'button',
      class: opts.buttonClass,
      'aria-haspopup': 'menu',
      'aria-expanded': 'false',
      'aria-controls': opts.id,
    });
    this.menu = h('div', { class: 'popup-menu', id: opts.id, role: 'menu', 'aria-label': opts.menuLabel });
    this.menu.hidden = true;
    this.button.addEventListener('click', () => (this.isOpen ? this.close(false) : this.open()));
    this.button.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        this.open(e.key === 'ArrowUp' ? 'last' : 'current');
      }
    });
    this.menu.addEventListener('keydown', (e) => this.onKey(e));
    this.menu.addEventListener('click', (e) => {
      const item = (e.target as Element | null)?.closest<HTMLElement>('[role="menuitemradio"]');
      if (item) this.pick(item);
    });
    // A click anywhere else closes it, as a native menu does.
    document.addEventListener('mousedown', (e) => {
      if (this.isOpen && !this.menu.contains(e.target as Node) && !this.button.contains(e.target as Node)) this.close(false);
    });
  }

  get isOpen(): boolean {
    return !this.menu.hidden;
  }

  /** The choices and which is current; an open menu is redrawn, keeping the focused choice. */
  setChoices(choices: MenuChoice[], current: string | undefined): void {
    this.choices = choices;
    this.current = current;
    if (this.isOpen) {
      const focused = (document.activeElement as HTMLElement | null)?.dataset?.value;
      this.draw();
      this.focusItem(this.items().find((i) => i.dataset.value === focused) ?? this.items()[0]);
    }
  }

  open(where: 'current' | 'last' = 'current'): void {
    this.draw();
    this.menu.hidden = false;
    this.fitRoom();
    this.button.setAttribute('aria-expanded', 'true');
    const items = this.items();
    this.focusItem(where === 'last' ? items.at(-1) : (items.find((i) => i.dataset.value === this.current) ?? items[0]));
  }

  /**
   * It opens upward from its owner's top edge (panel.css): never taller than the room above it, the
   * rest scrolling inside, so that no choice is cut off by the top of a short panel.
   */
  private fitRoom(): void {
    const room = Math.floor((this.menu.offsetParent?.getBoundingClientRect().top ?? 0) - 4);
    this.menu.style.maxHeight = room > 0 ? `min(60vh, ${Math.max(room, 80)}px)` : '';
  }

  close(refocus = true): void {
    if (!this.isOpen) return;
    this.menu.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
    if (refocus) this.button.focus();
  }

  private draw(): void {
    const items = this.choices.map((c) => {
      const disabled = c.disabledReason !== undefined;
      const detail = c.disabledReason ?? c.detail;
      return h(
        'div',
        {
          class: `menu-item${disabled ? ' disabled' : ''}`,
          role: 'menuitemradio',
          tabindex: '-1',
          'aria-checked': String(c.value === this.current),
          'aria-disabled': disabled ? 'true' : undefined,
          'data-value': c.value,
          title: detail ? `${c.name} — ${detail}` : c.name,
        },
        h('span', { class: 'menu-check', 'aria-hidden': 'true' }, c.value === this.current ? '✓' : ''),
        h(
          'span',
          { class: 'menu-text' },
          h('span', { class: 'menu-label' }, c.label),
          detail ? h('span', { class: 'menu-detail' }, detail) : null,
        ),
      );
    });
    this.menu.replaceChildren(
      ...(items.length ? items : [h('div', { class: 'menu-empty', role: 'none' }, this.opts.emptyText ?? 'Nothing to choose from yet.')]),
    );
  }

  private items(): HTMLElement[] {
    return Array.from(this.menu.querySelectorAll<HTMLElement>('[role="menuitemradio"]'));
  }

  private focusItem(item: HTMLElement | undefined): void {
    item?.focus({ preventScroll: true });
  }

  private pick(item: HTMLElement): void {
    const value = item.dataset.value ?? '';
    const choice = this.choices.find((c) => c.value === value);
    // An unavailable choice stays in the menu (its reason is there to be read); picking it says why and picks nothing.
    if (choice?.disabledReason !== undefined) {
      this.opts.onRefused?.(choice.name, choice.disabledReason);
      return;
    }
    this.close();
    if (value !== this.current) this.opts.onPick(value);
  }

  private onKey(e: KeyboardEvent): void {
    const items = this.items();
    const at = items.indexOf(document.activeElement as HTMLElement);
    const move = (to: number) => {
      e.preventDefault();
      this.focusItem(items[(to + items.length) % items.length]);
    };
    if (e.key === 'ArrowDown') move(at + 1);
    else if (e.key === 'ArrowUp') move(at - 1);
    else if (e.key === 'Home') move(0);
    else if (e.key === 'End') move(items.length - 1);
    else if (e.key === 'Escape') {
      e.preventDefault();
      this.close();
    } else if (e.key === 'Tab')
      this.close(); // from the button, so Tab goes on to the control after it
    else if ((e.key === 'Enter' || e.key === ' ') && at >= 0) {
      e.preventDefault();
      this.pick(items[at]);
    }
  }
}
