// The panel at any side-bar width (260 to 900 px) and in the dark, light and high-contrast themes, in
// headless Chromium with a busy task on screen: nothing pokes out sideways (the page, every card, the
// composer and its Stop button, the totals), the header keeps to one line, a wide code block scrolls
// inside its own box, long model and tool names are shortened in the middle with the full name on
// hover, and the composer's orchestrator picker (open or closed) and its privacy switch (every option
// whole, at the panel's text size) stay inside too.
// Screenshots of each width and theme go to test-artifacts/webview/.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { busyTask, LONG_MODEL, LONG_ORCHESTRATOR, LONG_TOOL } from './support/busy-task';
import { openPanel, repoRoot, type PanelTheme, panelSuite } from './support/panelPage';

const suite = panelSuite();

const WIDTHS = [260, 280, 800, 900];
const THEMES: PanelTheme[] = ['dark', 'light', 'high-contrast'];

interface Layout {
  doc: { scrollWidth: number; clientWidth: number };
  /** Elements whose box lies outside the viewport and that no scrolling or clipping box inside it holds. */
  outside: string[];
  /** Elements whose content is wider than their box, other than code that scrolls and names cut with an ellipsis. */
  overflowing: string[];
  /** Cards whose content is wider than the card. */
  cards: string[];
  /** Card lines (tool, model, summary, status, figures, Stop) that took more than one line in a card with room (360 px). */
  tallHeads: string[];
  headerTops: number[];
  headerHeight: number;
  lineHeight: number;
}

/** Measured in the page: what sticks out sideways, and how the header lies. */
function measure(): Layout {
  const vw = document.documentElement.clientWidth;
  const name = (el: Element): string => {
    const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
    const r = el.getBoundingClientRect();
    return `${el.tagName.toLowerCase()}${cls} [${Math.round(r.left)}..${Math.round(r.right)}] "${(el.textContent ?? '').slice(0, 40)}"`;
  };
  /** Boxes that may be narrower than what they hold: they scroll it or end it with an ellipsis. */
  const holds = (el: Element): boolean => {
    const cs = getComputedStyle(el);
    if (cs.overflowX === 'visible') return false;
    if (cs.textOverflow === 'ellipsis' || cs.webkitLineClamp !== 'none') return true;
    return (cs.overflowX === 'auto' || cs.overflowX === 'scroll') && el.matches('pre, table, textarea, .md-plain, .reasoning-text');
  };
  const outside: string[] = [];
  const overflowing: string[] = [];
  for (const el of Array.from(document.querySelectorAll('body *'))) {
    const r = el.getBoundingClientRect();
    // Nothing to see: empty boxes and the screen-reader-only text (a 1 px clipped box).
    if (r.width <= 1 && r.height <= 1) continue;
    if (getComputedStyle(el).visibility === 'hidden') continue;
    if (r.left < -0.5 || r.right > vw + 0.5) {
      let a = el.parentElement;
      while (a && !holds(a)) a = a.parentElement;
      const ar = a?.getBoundingClientRect();
      if (!ar || ar.left < -0.5 || ar.right > vw + 0.5) outside.push(name(el));
    }
    if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0 && !holds(el)) {
      // An element that shows its overflow is only a problem when that overflow leaves its box visibly.
      overflowing.push(name(el));
    }
  }
  const cards = Array.from(document.querySelectorAll('.card'))
    .filter((c) => c.scrollWidth > c.clientWidth + 1)
    .map(name);
  const lineHeight = parseFloat(getComputedStyle(document.body).lineHeight);
  const tallHeads = Array.from(document.querySelectorAll('.card-head'))
    .filter((e) => e.getBoundingClientRect().width >= 360 && e.getBoundingClientRect().height > lineHeight * 1.9)
    .map(name);
  const header = document.querySelector('.panel-header') as HTMLElement;
  const visible = Array.from(header.querySelectorAll(':scope > *, :scope > * > *')).filter(
    (e) => (e as HTMLElement).offsetParent !== null && e.getBoundingClientRect().width > 0,
  );
  return {
    doc: { scrollWidth: document.documentElement.scrollWidth, clientWidth: vw },
    outside,
    overflowing,
    cards,
    tallHeads,
    headerTops: visible.map((e) => Math.round(e.getBoundingClientRect().top + e.getBoundingClientRect().height / 2)),
    headerHeight: header.getBoundingClientRect().height,
    lineHeight,
  };
}

describe('panel: any width, any theme', () => {
  test('260–900 px in dark, light and high contrast: no sideways overflow, a one-line header, code that scrolls in place', async () => {
    const p = await openPanel(suite.browser, suite.server, { width: 260, height: 900 });
    try {
      const busy = busyTask();
      await p.send(busy.messages);
      assert.equal(await p.page.locator('.task').count(), 2, 'both tasks are on screen');
      assert.ok((await p.page.locator('.card .route').count()) >= 2, 'the model choices are shown in their card');
      // Every card open, so what an expanded card shows (arguments, results, code) is measured too.
      await p.page.evaluate(() => document.querySelectorAll<HTMLElement>('.card-toggle[aria-expanded="false"]').forEach((b) => b.click()));
      assert.equal(await p.page.locator('.composer .stop-all').isVisible(), true, 'the composer shows Stop while a task runs');
      for (const theme of THEMES) {
        await p.setTheme(theme);
        for (const width of WIDTHS) {
          await p.page.setViewportSize({ width, height: 900 });
          await p.settle();
          const where = `${width} px, ${theme}`;
          if (process.env.ORCHESTRA_SHOT_ALL || width === 280 || width === 800) await p.screenshot(`panel-${width}-${theme}`);
          const m = await p.page.evaluate(measure);
          assert.ok(
            m.doc.scrollWidth <= m.doc.clientWidth,
            `${where}: the page scrolls sideways (${m.doc.scrollWidth} > ${m.doc.clientWidth})`,
          );
          assert.deepEqual(m.outside, [], `${where}: elements outside the panel`);
          assert.deepEqual(m.overflowing, [], `${where}: elements wider than their box`);
          assert.deepEqual(m.cards, [], `${where}: cards wider than their box`);
          // One line per call where there is room; in a narrow card the status and figures go under the name.
          assert.deepEqual(m.tallHeads, [], `${where}: a card's line wraps`);
          const spread = Math.max(...m.headerTops) - Math.min(...m.headerTops);
          assert.ok(spread <= 4, `${where}: the header wraps (item middles ${m.headerTops.join(', ')})`);
          assert.ok(m.headerHeight < m.lineHeight * 2 + 8, `${where}: the header is ${m.headerHeight} px tall`);
          for (const sel of [
            '.composer .orchestrator-picker',
            '.composer .privacy-switch',
            '.composer .privacy-option[data-value="any"]',
            '.composer .privacy-option[data-value="local-only"]',
            '.composer .stop-all',
            '.composer .send-button',
            '.task-footer .totals',
            '.task[data-state="running"] .task-bar .stop-button',
          ]) {
            const box = await p.page.locator(sel).first().boundingBox();
            assert.ok(box && box.x >= 0 && box.x + box.width <= width + 0.5, `${where}: ${sel} at ${JSON.stringify(box)}`);
          }
          // The privacy switch never shrinks its labels to fit: the composer's controls wrap instead.
          const switchText = await p.page.evaluate(() =>
            Array.from(document.querySelectorAll<HTMLElement>('.privacy-option')).map((o) => ({
              whole: o.scrollWidth <= o.clientWidth,
              px: parseFloat(getComputedStyle(o).fontSize),
              body: parseFloat(getComputedStyle(document.body).fontSize),
            })),
          );
          assert.ok(
            switchText.length === 3 && switchText.every((o) => o.whole && o.px >= 12 && o.px >= o.body),
            `${where}: the privacy switch's options ${JSON.stringify(switchText)}`,
          );
          // The orchestrator menu opens inside the panel, its long names shortened too.
          for (const button of ['.orchestrator-picker']) {
            await p.page.locator(button).click();
            const open = await p.page.evaluate(measure);
            assert.deepEqual(open.outside, [], `${where}, ${button} open: elements outside the panel`);
            assert.deepEqual(open.overflowing, [], `${where}, ${button} open: elements wider than their box`);
            if (button === '.orchestrator-picker' && (width === 280 || process.env.ORCHESTRA_SHOT_ALL))
              await p.screenshot(`panel-${width}-${theme}-orchestrator-menu`);
            await p.page.keyboard.press('Escape');
          }
          // The wide code line scrolls inside its block; the block itself stays in the panel.
          const code = await p.page.evaluate(() => {
            const pre = Array.from(document.querySelectorAll('.answer .code-block pre')).find((e) =>
              e.textContent?.includes('someVeryLong'),
            );
            if (!pre) return undefined;
            pre.scrollLeft = 80;
            const r = pre.getBoundingClientRect();
            return { scrolls: pre.scrollWidth > pre.clientWidth, scrolled: pre.scrollLeft, right: r.right, wraps: r.height > 60 };
          });
          assert.ok(code, `${where}: the wide code block is rendered`);
          assert.ok(code.scrolls && code.scrolled > 0, `${where}: the wide code line scrolls in place (${JSON.stringify(code)})`);
          assert.ok(code.right <= width + 0.5 && !code.wraps, `${where}: the code block stays one line per line, inside the panel`);
        }
      }
    } finally {
      await p.close();
    }
  });

  test('long model and tool names are shortened in the middle, the full name on hover', async () => {
    const p = await openPanel(suite.browser, suite.server, { width: 280, height: 900 });
    try {
      await p.send(busyTask().messages);
      for (const full of [LONG_MODEL, LONG_TOOL]) {
        const names = p.page.locator(`.mid-name[title="${full}"]`);
        assert.ok((await names.count()) > 0, `${full} is shown as a shortened name`);
        const shown = await names.first().evaluate((el) => {
          const head = el.querySelector('.mid-head') as HTMLElement;
          const tail = el.querySelector('.mid-tail') as HTMLElement;
          const box = el.getBoundingClientRect();
          const t = tail.getBoundingClientRect();
          return {
            text: el.textContent,
            cut: head.scrollWidth > head.clientWidth,
            tail: tail.textContent,
            tailInside: t.width > 0 && t.right <= box.right + 0.5,
          };
        });
        // The whole name stays in the text (screen readers, copy); the middle is what the ellipsis hides.
        assert.equal(shown.text, full);
        assert.equal(shown.cut, true, `${full}: its middle is cut at 280 px`);
        assert.ok(shown.tailInside && full.endsWith(shown.tail ?? '\u0000'), `${full}: its end stays visible (${JSON.stringify(shown)})`);
      }
      // The header's orchestrator gives way first; its full name is on hover.
      assert.match(
        (await p.page.locator('.panel-header .engine-state').getAttribute('title')) ?? '',
        new RegExp(LONG_ORCHESTRATOR.replace(/[.]/g, '\\.')),
      );
      // At 900 px the header has room for the orchestrator's whole name.
      await p.page.setViewportSize({ width: 900, height: 900 });
      await p.settle();
      const whole = await p.page
        .locator('.panel-header .engine-model')
        .evaluate((e) => ({ text: e.textContent, cut: e.scrollWidth > e.clientWidth }));
      assert.deepEqual(whole, { text: LONG_ORCHESTRATOR, cut: false }, 'a name that fits is not cut');
    } finally {
      await p.close();
    }
  });

  test('colours come from the VS Code theme: no colour in the stylesheet outside a theme variable’s fallback', () => {
    const css = readFileSync(join(repoRoot, 'dist/webview/panel.css'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
    const literal = /#[0-9a-f]{3,8}\b|\b(?:rgba?|hsla?)\(|\b(?:black|white|red|green|blue|yellow|orange|gray|grey)\b/gi;
    const bare: string[] = [];
    // Each declaration's value, once every var(--x, fallback) is taken out: any colour left is hard-coded.
    for (const [, prop, value] of css.matchAll(/(?:^|[;{])\s*([\w-]+)\s*:([^;{}]*)/g)) {
      let rest = value;
      for (let prev = ''; prev !== rest;) {
        prev = rest;
        rest = rest.replace(/var\(--[\w-]+,(?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)/g, 'var()');
      }
      if (literal.test(rest)) bare.push(`${prop}:${value}`.trim());
      literal.lastIndex = 0;
    }
    assert.deepEqual(bare, [], 'colours that do not come from the theme');
  });
});
