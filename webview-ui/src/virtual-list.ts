// Keeps a long conversation light: once it holds more than VIRTUALISE_AFTER cards, only the cards
// near the viewport have their DOM; the others are empty shells of their last measured height, so
// the page keeps its length and scroll position. An IntersectionObserver on the scroll box says
// which are near (no layout reads on scroll). A card that streams, waits for an approval, holds
// subtasks or has focus stays built (CallCard.pinned). Runs of far turns leave the page for one spacer
// each (virtual-gaps.ts), so the page's size follows the viewport, not the session.
// Limit: find-in-page (Ctrl+F) sees only built cards.
import type { CallCard } from './cards';
import { findRuns, makeGaps, openGap, type Gap } from './virtual-gaps';

/** Below this many cards every card stays built: nothing to gain, and find-in-page sees everything. */
export const VIRTUALISE_AFTER = 300;
/** How far beyond the visible part of the scroll box cards are built, so scrolling never meets a blank. */
const NEAR_MARGIN = '800px 0px';
/** Building cards that came near is spread over frames, this much of each at most: a fast fling never stalls a frame. */
const BUILD_BUDGET_MS = 6;
/** What a closed card measures, before any card was measured. */
const ONE_LINE_PX = 30;
/** Far turns are gathered into gaps at most this often (ms): one layout read each time, none on scroll. */
const GAP_EVERY_MS = 250;

export class CardVirtualiser {
  private readonly cards = new Map<Element, CallCard>();
  private observer: IntersectionObserver;
  private root: Element | null = null;
  /** Cards that came near and wait to be built, in the order they came. */
  private readonly queue = new Set<CallCard>();
  private draining = false;
  private heightSum = 0;
  private measured = 0;
  /** The gap each card, turn and spacer out of the page is in. */
  private readonly gapOf = new Map<Element | CallCard, Gap>();
  private gapTimer: ReturnType<typeof setTimeout> | undefined;
  /** Cards the observer has reported on at least once: only those are known to be far. */
  private readonly seen = new WeakSet<CallCard>();

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
    for (const [el, card] of this.cards) if (!this.gapOf.has(card)) this.observer.observe(el);
    for (const gap of new Set(this.gapOf.values())) this.observer.observe(gap.spacer);
  }

  /** How many spacers hold turns out of the page now. */
  get gapCount(): number {
    let n = 0;
    for (const key of this.gapOf.keys()) if (key instanceof Element && key.classList.contains('virtual-gap')) n++;
    return n;
  }

  /** Puts back the turns of the gap that holds `el` (a turn or card), if any: it is needed in the page now. */
  bringBack(el: Element | CallCard): void {
    const gap = this.gapOf.get(el);
    if (!gap) return;
    openGap(gap);
    this.gapOf.delete(gap.spacer);
    this.observer.unobserve(gap.spacer);
    for (const block of gap.blocks) this.gapOf.delete(block);
    for (const card of gap.cards) {
      this.gapOf.delete(card);
      if (this.cards.has(card.el)) this.observer.observe(card.el);
    }
  }

  private scheduleGaps(): void {
    if (this.gapTimer !== undefined || !this.active) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = undefined;
      this.gatherGaps();
    }, GAP_EVERY_MS);
  }

  /** Replaces runs of far turns, every card in them a shell, by spacers. */
  private gatherGaps(): void {
    if (!this.active) return;
    const free = [...this.cards.values()].filter((c) => !this.gapOf.has(c));
    const runs = findRuns(free, (c) => this.seen.has(c) && !c.near && !c.built && !c.pinned && !this.queue.has(c));
    for (const gap of makeGaps(runs)) {
      this.gapOf.set(gap.spacer, gap);
      for (const block of gap.blocks) this.gapOf.set(block, gap);
      for (const card of gap.cards) {
        this.gapOf.set(card, gap);
        this.observer.unobserve(card.el);
      }
      this.observer.observe(gap.spacer);
    }
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
    this.bringBack(card);
    this.queue.delete(card);
    this.cards.delete(card.el);
    this.observer.unobserve(card.el);
    // Few cards left: every card is built again, so every turn is back in the page.
    if (!this.active) for (const gap of new Set(this.gapOf.values())) this.bringBack(gap.spacer);
  }

  /** Whether a card should have its DOM now; one that must (pinned) comes back into the page if it was in a gap. */
  wantsBuilt(card: CallCard): boolean {
    const wants = !this.active || card.near || card.pinned;
    if (wants) this.bringBack(card);
    return wants;
  }

  private makeObserver(): IntersectionObserver {
    return new IntersectionObserver((entries) => this.onEntries(entries), { root: this.root, rootMargin: NEAR_MARGIN });
  }

  private onEntries(entries: IntersectionObserverEntry[]): void {
    const now = this.now();
    for (const e of entries) {
      const gap = this.gapOf.get(e.target);
      if (gap) {
        // A gap came near: its turns come back (its cards are then observed and built as they come near).
        if (e.isIntersecting) this.bringBack(e.target);
        continue;
      }
      const card = this.cards.get(e.target);
      if (!card) continue;
      this.seen.add(card);
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
    this.scheduleGaps();
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
