// A session of 2,000 cards in the built panel (headless Chromium): only the cards near the viewport
// have their DOM, so the page's node count stays bounded while scrolling through it all and comes
// back to where it was (memory stays flat); no main-thread task over 50 ms while scrolling (the
// long-task observer); an opened card, a streaming card and the focused card keep working; the
// status is still announced. Find-in-page only sees built cards (the known limit of virtualising).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { EventScript, totals } from './support/events';
import { longSession } from './support/long-session';
import { describeLongTasks, ownLongTasks, watchLongTasks } from './support/longTasks';
import { openPanel, panelSuite } from './support/panelPage';

const suite = panelSuite();

const CARDS = 2_000;
/** The most cards that can be near the viewport at once (see the first assertion), pinned ones included. */
const NEAR_CARDS = 400;

interface PageCounts {
  nodes: number;
  built: number;
  total: number;
  gaps: number;
}

const counts = (page: Page): Promise<PageCounts> =>
  page.evaluate(() => {
    const c = (window as unknown as { __orchestraPanel: { cards: { built: number; total: number; gaps: number } } }).__orchestraPanel.cards;
    return { nodes: document.getElementsByTagName('*').length, ...c };
  });

/** The DOM nodes Chromium holds (attached or not) after a full garbage collection. */
async function liveNodes(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const c = (await cdp.send('Memory.getDOMCounters')) as { nodes: number };
  await cdp.detach();
  return c.nodes;
}

/** Waits past the virtual list's gathering of far turns into spacers (at most every 250 ms). */
const gathered = (page: Page): Promise<void> => page.waitForTimeout(600);

const frame = (page: Page): Promise<void> =>
  page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));

test('2,000 cards: only those near the viewport are built, the DOM stays bounded, scrolling has no long task', async (t) => {
  const p = await openPanel(suite.browser, suite.server, { width: 520, height: 900 });
  try {
    const { page } = p;
    const s = new EventScript('long');
    const session = longSession(s, CARDS);
    for (let i = 0; i < session.length; i += 1000) await p.send([{ type: 'events', events: session.slice(i, i + 1000) }]);
    // At the bottom, the cards there are built once they are seen.
    await page.locator('.log').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.locator('.card[data-call-id="c1999"] .card-head').waitFor();
    await frame(page);
    const log = page.locator('.log');
    await gathered(page);
    const loaded = await counts(page);
    assert.ok(loaded.gaps > 0, 'runs of far turns are held by spacers');
    assert.equal(loaded.total, CARDS + 1);
    // Far turns are out of the page, held by spacers of their height: far fewer card elements than cards.
    await gathered(page);
    const cardEls = await page.locator('.card').count();
    assert.ok(cardEls <= NEAR_CARDS, `far cards are out of the page (${cardEls} card elements for ${CARDS + 1} cards)`);
    // A built card is a few dozen nodes; a far one is an empty shell.
    const perBuilt = await page.locator('.card[data-call-id="c1999"]').evaluate((e) => e.getElementsByTagName('*').length);
    assert.ok(perBuilt >= 10, `a built card has its content (${perBuilt} nodes)`);
    // Near = the visible 900 px and 800 px either side: at most ~2,500 px of one-line cards, 4 to a row.
    assert.ok(loaded.built <= NEAR_CARDS, `only cards near the viewport are built (${loaded.built} of ${loaded.total})`);
    // Shells and what is around them, plus the cards near the viewport: far below every card built.
    const bound = CARDS * 3 + NEAR_CARDS * perBuilt;
    assert.ok(bound < (CARDS * perBuilt) / 2, 'the bound is well under every card built');
    assert.ok(loaded.nodes < bound, `the page holds ${loaded.nodes} elements for ${CARDS} cards (bound ${bound})`);

    // An opened card, and the keyboard focus on another, near the top.
    await log.evaluate((el) => (el.scrollTop = 0));
    await frame(page);
    await page.locator('.card[data-call-id="c2"] .card-toggle').click();
    await page.locator('.card[data-call-id="c3"] .card-toggle').focus();

    // Scroll through it all, a screen at a time, watching long tasks, built cards and the DOM.
    const height = await log.evaluate((el) => el.scrollHeight);
    const watch = await watchLongTasks(suite.browser, page);
    let worst = loaded;
    for (let y = 0; y <= height; y += 700) {
      await log.evaluate((el, top) => (el.scrollTop = top), y);
      await frame(page);
      const c = await counts(page);
      if (c.nodes > worst.nodes) worst = c;
    }
    const seen = await watch.stop();
    const long = ownLongTasks(seen);
    assert.deepEqual(long, [], `no main-thread task over 50 ms while scrolling: ${describeLongTasks(long)}`);
    t.diagnostic(
      `loaded: ${loaded.nodes} elements, ${loaded.built}/${loaded.total} cards built (${perBuilt} elements each); scrolling: at most ${worst.nodes} elements, ${worst.built} built; long tasks (wall): ${describeLongTasks(seen)}`,
    );
    assert.ok(worst.built <= NEAR_CARDS, `built cards stay bounded while scrolling (at most ${worst.built})`);
    assert.ok(worst.nodes < bound, `the DOM stays bounded while scrolling (${worst.nodes} elements, bound ${bound})`);

    // In the middle, far turns going into spacers and coming back move nothing on screen.
    await log.evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
    await frame(page);
    const id = await page.locator('.card:not(.card--placeholder)').nth(3).getAttribute('data-call-id');
    const anchor = page.locator(`.card[data-call-id="${id}"]`);
    const where = (): Promise<number> => anchor.evaluate((e) => e.getBoundingClientRect().top);
    const top = await where();
    await gathered(page);
    await log.evaluate((el) => (el.scrollTop += 1500));
    await frame(page);
    await gathered(page);
    await log.evaluate((el) => (el.scrollTop -= 1500));
    await frame(page);
    assert.equal(await where(), top, 'the page keeps its length and nothing jumps as far turns leave and come back');

    // Far from the top: the streaming card and the focused one stay built; the streaming one still streams.
    assert.equal(await page.locator('.card[data-call-id="c3"] .card-toggle').evaluate((b) => b === document.activeElement), true);
    await p.send(['line 1\n', 'line 2\n'].map((text) => ({ type: 'event', event: s.ev('tool_call_delta', { callId: 'live', text }) })));
    assert.equal(await page.locator('.card[data-call-id="live"] .card-live').textContent(), 'line 1\nline 2\n');
    assert.equal(await page.locator('.card[data-call-id="c40"] .card-head').count(), 0, 'a far, finished card is a shell');

    // Back at the top: the opened card is still open, with its arguments.
    await log.evaluate((el) => (el.scrollTop = 0));
    await frame(page);
    await page.locator('.card[data-call-id="c2"] .card-args').waitFor();
    assert.equal(await page.locator('.card[data-call-id="c2"] .card-toggle').getAttribute('aria-expanded'), 'true');
    assert.match(await page.locator('.card[data-call-id="c2"] .card-result').innerText(), /Answer 2/);

    // Memory stays flat: after the round trip, the nodes Chromium holds come back to about where they were.
    const after = await liveNodes(page);
    await log.evaluate((el, top) => (el.scrollTop = top), height);
    await frame(page);
    await log.evaluate((el) => (el.scrollTop = 0));
    await frame(page);
    const again = await liveNodes(page);
    t.diagnostic(`DOM nodes held after a round trip: ${after}, after another: ${again}`);
    assert.ok(again < after * 1.2, `DOM nodes after another round trip: ${again} (before: ${after})`);

    // The status is still announced when the task ends.
    await p.send([{ type: 'event', event: s.ev('done', { answer: 'Surveyed.', totals: totals(0.2, 1, 1, CARDS, ['orch'], []) }) }]);
    assert.match(await page.locator('.status-announcer').innerText(), /Answer complete/);
  } finally {
    await p.close();
  }
});

test('the page holds about as many elements at 4,000 cards as at 2,000: its size follows the viewport, not the session', async () => {
  const sizes = [CARDS, CARDS * 2];
  const seen: PageCounts[] = [];
  for (const n of sizes) {
    const p = await openPanel(suite.browser, suite.server, { width: 520, height: 900 });
    try {
      const session = longSession(new EventScript(`size${n}`), n);
      for (let i = 0; i < session.length; i += 1000) await p.send([{ type: 'events', events: session.slice(i, i + 1000) }]);
      const log = p.page.locator('.log');
      await log.evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
      await frame(p.page);
      await gathered(p.page);
      seen.push(await counts(p.page));
    } finally {
      await p.close();
    }
  }
  const [small, big] = seen;
  assert.equal(big.total, CARDS * 2 + 1);
  // Every card built or every shell in the page would add thousands of elements for 2,000 more cards.
  assert.ok(
    big.nodes - small.nodes < CARDS / 10,
    `2,000 more cards add ${big.nodes - small.nodes} elements (${small.nodes} → ${big.nodes})`,
  );
});
