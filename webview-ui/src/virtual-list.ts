// Keeps a long conversation light: once it holds more than VIRTUALISE_AFTER cards, only the cards
// near the viewport have their DOM; the others are empty shells of their last measured height, so
// the page keeps its length and scroll position. An IntersectionObserver on the scroll box says
// which are near (no layout reads on scroll). A card that streams, waits for an approval, holds
// subtasks or has focus stays built (CallCard.pinned). Limit: find-in-page (Ctrl+F) sees only built cards.
import type { CallCard } from './cards';

/** Below this many cards every card stays built: nothing to gain, and find-in-page sees everything. */
export const VIRTUALISE_AFTER = 300;
/** How far beyond the visible part of the scroll box cards are built, so scrolling never meets a blank. */
const NEAR_MARGIN = '800px 0px';
/** Building cards that came near is spread over frames, this much of each at most: a fast fling never stalls a frame. */
const BUILD_BUDGET_MS = 6;
/** What a closed card measures, before any card was measured. */
const ONE_LINE_PX = 30;

export class CardVirtualiser {
  private readonly cards = new Map<Element, CallCard>();
  private observer: IntersectionObserver;
  private root: Element | null = null;
  /** Cards that came near and wait to be built, in the order they came. */
  private readonly queue = new Set<CallCard>();
  private draining = false;
  private heightSum = 0;
  private measured = 0;

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
    // Until it is built, a card holds the height cards have had so far: the page's length stays about right.
    card.placeholder(this.estimate());
    this.observer.observe(card.el);
  }

  /** The mean height of the cards measured so far (a one-line card before any was). */
  private estimate(): number {
    return this.measured ? this.heightSum / this.measured : ONE_LINE_PX;
  }

  remove(card: CallCard): void {
    this.queue.delete(card);
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
      if (card.near) {
        if (!card.built) this.queue.add(card);
        continue;
      }
      // Passed by before it was built, or built and now far: a shell (a hidden card measures 0 and takes no room either way).
      this.queue.delete(card);
      if (this.active && card.built && !card.pinned) {
        const height = e.boundingClientRect.height;
        if (height > 0) {
          this.heightSum += height;
          this.measured++;
        }
        card.unbuild(height);
      }
    }
    this.drain(now);
  }

  /** Builds waiting cards until the frame's budget is spent; the rest on the next frames. */
  private drain(now: number): void {
    const start = performance.now();
    for (const card of this.queue) {
      this.queue.delete(card);
      if (card.near && !card.built) card.build(now);
      if (performance.now() - start > BUILD_BUDGET_MS) break;
    }
    if (!this.queue.size || this.draining) return;
    this.draining = true;
    requestAnimationFrame(() => {
      this.draining = false;
      this.drain(this.now());
    });
  }
}
