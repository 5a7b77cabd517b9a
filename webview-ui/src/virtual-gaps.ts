// Keeps the page's size bounded by the viewport, not the session: a run of turns far off screen whose
// cards are all shells is taken out of the page and held by one spacer of the run's measured height
// (a "gap"), so layout, paint and intersection checks see a few spacers instead of thousands of shells.
// A gap coming near the viewport puts its turns back, unchanged, before they can be seen.
import type { CallCard } from './cards';

/** Fewer far turns than this in a row stay in the page: a gap would save little. */
const MIN_GAP_BLOCKS = 8;
/** A gap holds at most this many turns, so bringing one back is a small, bounded change to the page. */
const MAX_GAP_BLOCKS = 48;

export interface Gap {
  readonly spacer: HTMLElement;
  readonly blocks: HTMLElement[];
  readonly cards: CallCard[];
}

/** The element a card is gathered into gaps with: its turn (a card outside any turn is its own block). */
export function blockOf(card: CallCard): HTMLElement {
  return card.el.closest<HTMLElement>('.turn') ?? card.el;
}

/**
 * The runs of blocks that can become gaps now: in page order, in the same parent, every block shown
 * and every card in it collapsible (far, a shell, not pinned). Reads no layout.
 */
export function findRuns(
  cards: Iterable<CallCard>,
  collapsible: (card: CallCard) => boolean,
): Array<{ blocks: HTMLElement[]; cards: CallCard[] }> {
  const byBlock = new Map<HTMLElement, { ok: boolean; cards: CallCard[] }>();
  for (const card of cards) {
    const block = blockOf(card);
    if (!block.isConnected) continue;
    const entry = byBlock.get(block) ?? { ok: true, cards: [] };
    entry.ok &&= collapsible(card);
    entry.cards.push(card);
    byBlock.set(block, entry);
  }
  const parents = new Set<Element>();
  for (const block of byBlock.keys()) if (block.parentElement) parents.add(block.parentElement);
  const runs: Array<{ blocks: HTMLElement[]; cards: CallCard[] }> = [];
  for (const parent of parents) {
    let run: { blocks: HTMLElement[]; cards: CallCard[] } = { blocks: [], cards: [] };
    const close = (): void => {
      if (run.blocks.length >= MIN_GAP_BLOCKS) runs.push(run);
      run = { blocks: [], cards: [] };
    };
    for (const child of Array.from(parent.children)) {
      const entry = byBlock.get(child as HTMLElement);
      if (!entry?.ok || (child as HTMLElement).hidden) {
        close();
        continue;
      }
      run.blocks.push(child as HTMLElement);
      run.cards.push(...entry.cards);
      if (run.blocks.length >= MAX_GAP_BLOCKS) close();
    }
    close();
  }
  return runs;
}

/** Replaces each run by a spacer of its height: all measured first, then the page changed once. */
export function makeGaps(runs: Array<{ blocks: HTMLElement[]; cards: CallCard[] }>): Gap[] {
  const heights = runs.map(
    ({ blocks }) => blocks[blocks.length - 1].getBoundingClientRect().bottom - blocks[0].getBoundingClientRect().top,
  );
  return runs.map((run, i) => {
    const spacer = document.createElement('div');
    spacer.className = 'virtual-gap';
    spacer.setAttribute('aria-hidden', 'true');
    // Set through the CSSOM: the panel's CSP allows no inline style attribute.
    spacer.style.height = `${heights[i]}px`;
    run.blocks[0].before(spacer);
    for (const block of run.blocks) block.remove();
    return { spacer, ...run };
  });
}

/** Puts a gap's turns back where its spacer was: the same height, so nothing on screen moves. */
export function openGap(gap: Gap): void {
  gap.spacer.replaceWith(...gap.blocks);
}
