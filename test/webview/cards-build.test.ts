// Cards built as they come near in a long conversation (virtual-list.ts, cards.ts), in the built panel
// in headless Chromium: after a fling every card on screen has its DOM, the same DOM a card has in a
// short conversation where nothing is virtualised (also after going far away and back), a failed card
// shows its error, and an opened card comes back open without its Markdown result being drawn again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { EventScript } from './support/events';
import { longSession } from './support/long-session';
import { openPanel, panelSuite, type PanelPage } from './support/panelPage';

const suite = panelSuite();

/** Cards compared between the short and the long conversation: a failed search, a model call, a file read. */
const SAMPLES = ['c7', 'c10', 'c13'];
/** Over the virtualising threshold (300), and short enough to fling through quickly. */
const CARDS = 1_000;

async function load(p: PanelPage, cards: number): Promise<void> {
  const session = longSession(new EventScript(`build${cards}`), cards);
  for (let i = 0; i < session.length; i += 1000) await p.send([{ type: 'events', events: session.slice(i, i + 1000) }]);
}

/** Scrolls the log `step` px a frame until `to` (as the scroll bench does), then lets the panel rest. */
async function fling(page: Page, to: number, step = 180): Promise<void> {
  // Built cards take their real height (shells held an estimate), so the end can move: go on until it is reached.
  for (let pass = 0; pass < 5; pass++) {
    const reached = await page.evaluate(
      async ({ to, step }) => {
        const log = document.querySelector('.log') as HTMLElement;
        const target = (): number => Math.max(0, Math.min(to, log.scrollHeight - log.clientHeight));
        const start = log.scrollTop;
        while (Math.abs(log.scrollTop - target()) > 1) {
          const t = target();
          log.scrollTop = t > log.scrollTop ? Math.min(t, log.scrollTop + step) : Math.max(t, log.scrollTop - step);
          await new Promise((r) => requestAnimationFrame(r));
        }
        return Math.abs(start - log.scrollTop) <= 1;
      },
      { to, step },
    );
    // Past the virtual list's batching of far turns, and two frames to draw what it built.
    await page.waitForTimeout(400);
    await page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
    if (reached && pass > 0) return;
  }
}

/** The cards intersecting the visible part of the log: their ids, and those still empty shells. */
const onScreen = (page: Page): Promise<{ ids: string[]; shells: string[] }> =>
  page.evaluate(() => {
    const box = document.querySelector('.log')!.getBoundingClientRect();
    const cards = Array.from(document.querySelectorAll<HTMLElement>('.card:not([hidden])')).filter((c) => {
      const r = c.getBoundingClientRect();
      return r.bottom > box.top && r.top < box.bottom;
    });
    return {
      ids: cards.map((c) => c.dataset.callId ?? ''),
      shells: cards.filter((c) => !c.querySelector('.card-head')).map((c) => c.dataset.callId ?? ''),
    };
  });

const html = (page: Page, id: string): Promise<string> => page.locator(`.card[data-call-id="${id}"]`).evaluate((e) => e.outerHTML);

/** Markdown parses the panel has done (every block of every answer or result drawn counts one). */
const markdownParses = (page: Page): Promise<number> =>
  page.evaluate(() => {
    const { stats } = (window as unknown as { __orchestraPanel: { stats: { streamingRenders: number; fullRenders: number } } })
      .__orchestraPanel;
    return stats.streamingRenders + stats.fullRenders;
  });

test('a long conversation: cards on screen after a fling are whole, the same as in a short one, and come back unchanged', async () => {
  // The reference: 200 cards, under the virtualising threshold, so every card is built once and kept.
  const short = await openPanel(suite.browser, suite.server, { width: 520, height: 900 });
  const expected = new Map<string, string>();
  try {
    await load(short, 200);
    for (const id of SAMPLES) expected.set(id, await html(short.page, id));
  } finally {
    await short.close();
  }

  const p = await openPanel(suite.browser, suite.server, { width: 520, height: 900 });
  try {
    const { page } = p;
    await load(p, CARDS);
    await fling(page, 0);
    for (const id of SAMPLES) assert.equal(await html(page, id), expected.get(id), `${id} is drawn as in a short conversation`);

    // An opened model call: its Markdown answer is drawn once.
    await page.locator('.card[data-call-id="c2"] .card-toggle').click();
    await page.locator('.card[data-call-id="c2"] .card-result strong').waitFor();
    const renders = await markdownParses(page);
    // Focus keeps a card built (CallCard.pinned): moved off it, the opened card can be dropped when far.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());

    // A fling to the bottom: every card on screen there has its DOM, the failed one its error.
    await fling(page, Number.MAX_SAFE_INTEGER);
    const bottom = await onScreen(page);
    assert.ok(bottom.ids.includes('c999'), `the last card is on screen (${bottom.ids.join(', ')})`);
    assert.deepEqual(bottom.shells, [], 'no card on screen is an empty shell after the fling');
    const failed = page.locator('.card[data-call-id="c961"]');
    assert.equal(await failed.locator('.card-error').innerText(), 'exit code 1');
    assert.equal(await failed.locator('.card-state').innerText(), 'failed');
    assert.match(await failed.locator('.card-summary').innerText(), /query: "symbol961", path: "src\/m88\/f961\.ts"/);
    assert.equal(await failed.locator('.card-meta > span').count(), 3, 'tokens, cost and latency');
    // Far from the bottom, the opened card has no DOM (a shell, or out of the page in a gap).
    assert.equal(await page.locator('.card[data-call-id="c2"] .card-head').count(), 0, 'the opened card, far away, is dropped');

    // A quarter of the way down and back to the top, twice: every card on screen whole each time, the samples unchanged,
    // the opened card still open with its answer, which was put back, not drawn again.
    for (let round = 0; round < 2; round++) {
      await fling(page, await page.locator('.log').evaluate((el) => el.scrollHeight / 4));
      assert.deepEqual((await onScreen(page)).shells, [], `round ${round}: no shell on screen a quarter of the way down`);
      assert.equal(
        await page.locator('.card[data-call-id="c2"] .card-head').count(),
        0,
        `round ${round}: the opened card is dropped there`,
      );
      await fling(page, 0);
      assert.deepEqual((await onScreen(page)).shells, [], `round ${round}: no shell on screen at the top`);
      for (const id of SAMPLES) assert.equal(await html(page, id), expected.get(id), `round ${round}: ${id} came back as it was`);
      const toggle = page.locator('.card[data-call-id="c2"] .card-toggle');
      assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
      const body = page.locator(`#${await toggle.getAttribute('aria-controls')}`);
      assert.equal(await body.isVisible(), true, 'the toggle controls the visible body');
      assert.match(await body.innerText(), /Answer 2/);
      assert.equal(await markdownParses(page), renders, `round ${round}: the opened card's answer was not drawn again`);
    }
  } finally {
    await p.close();
  }
});
