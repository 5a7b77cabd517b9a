// Keeps a long conversation light: once it holds more than VIRTUALISE_AFTER cards, only the cards
// near the viewport have their DOM; the others are empty shells of their last measured height, so
// the page keeps its length and scroll position. An IntersectionObserver on the scroll box says
// which are near (no layout reads on scroll). A card that streams, waits for an approval, holds
// subtasks or has focus stays built (CallCard.pinned). Limit: find-in-page (Ctrl+F) sees only built cards.
import type { CallCard } from './cards';

/** Below this many cards every card stays built: nothing to gain, and find-in-page sees everything. */
export const VIRTUALISE_AFTER = 300;
/** How far beyond the visible part of the scroll box cards are built, so scrolling never meets a blank. */
const NEAR_MARGIN = '1200px 0px';

export class CardVirtualiser {
  private readonly cards = new Map<Element, CallCard>();
  private observer: IntersectionObserver;
  private root: Element | null = null;

  constructor(
    private readonly now: () => number,
    private readonly threshold = VIRTUALISE_AFTER,
  ) {
    this.observer = this.makeObserver();
  }

  /** Whether cards far from the viewport are unbuilt now. */
  get active(): boolean {
    return this.cards.size > this.threshold;
  }

  /** The element that scrolls the conversation (the panel's log); null: the page itself. */
  setRoot(root: Element | null): void {
    if (root === this.root) return;
    this.root = root;
    this.observer.disconnect();
    this.observer = this.makeObserver();
    for (const el of this.cards.keys()) this.observer.observe(el);
  }

  add(card: CallCard): void {
    this.cards.set(card.el, card);
    this.observer.observe(card.el);
  }

  remove(card: CallCard): void {
    this.cards.delete(card.el);
    this.observer.unobserve(card.el);
  }

  /** Whether a card should have its DOM now. */
  wantsBuilt(card: CallCard): boolean {
    return !this.active || card.near || card.pinned;
  }

  private makeObserver(): IntersectionObserver {
    return new IntersectionObserver((entries) => this.onEntries(entries), { root: this.root, rootMargin: NEAR_MARGIN });
  }

  private onEntries(entries: IntersectionObserverEntry[]): void {
    const now = this.now();
    for (const e of entries) {
      const card = this.cards.get(e.target);
      if (!card) continue;
      card.near = e.isIntersecting;
      if (card.near) card.build(now);
      // A hidden card (its task's calls folded away) measures 0: it is unbuilt and takes no room either way.
      else if (this.active && card.built && !card.pinned) card.unbuild(e.boundingClientRect.height);
    }
  }
}
