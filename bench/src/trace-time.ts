// The renderer main thread's CPU time (not wall-clock) over a stretch of page activity, from a
// Chromium trace: on a shared, loaded machine wall-clock task times grow with the load, thread time
// much less, so A/B comparisons of panel changes hold up better.
import type { Browser, Page } from 'playwright-core';
import { traceEvents } from '../../test/support/chromium-trace';

/** Runs `work` while tracing `page`; returns the main thread's CPU milliseconds spent in top-level tasks. */
export async function mainThreadCpuMs(browser: Browser, page: Page, work: () => Promise<void>): Promise<number> {
  await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
  await work();
  const events = traceEvents(await browser.stopTracing());
  let best = 0;
  // Each renderer's main thread; the busiest is the page's (others belong to blank or service pages).
  for (const t of events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')) {
    const slices = events
      .filter((e) => e.pid === t.pid && e.tid === t.tid && e.ph === 'X' && e.dur !== undefined)
      .sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
    let cpu = 0;
    let end = -Infinity;
    // Only top-level slices: nested ones are already inside their parent's time.
    for (const e of slices) {
      if (e.ts < end) continue;
      cpu += e.tdur ?? e.dur!;
      end = e.ts + e.dur!;
    }
    best = Math.max(best, cpu / 1000);
  }
  return best;
}
