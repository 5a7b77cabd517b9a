// Long tasks of the panel's main thread, as Chromium's long-task observer (PerformanceObserver
// 'longtask') reports them, each with the CPU time the thread actually spent in it, read from a light
// trace ('toplevel' tasks). The observer measures wall time: on a machine busy with other work a
// short task is stretched past 50 ms while the thread waits for a core. A task is the panel's when
// its CPU time is over 50 ms too; on an idle machine the two are the same.
import type { Browser, Page } from 'playwright-core';
import { traceEvents, type TraceEvent } from '../../support/chromium-trace';

export interface LongTask {
  /** Wall time the observer reported, ms. */
  duration: number;
  /** CPU time of the main thread in the same task, ms; undefined when the trace had no such task. */
  cpu: number | undefined;
}

export interface LongTaskWatch {
  /** Stops watching; the long tasks seen since start. */
  stop(): Promise<LongTask[]>;
}

const SYNC_MARK = 'orchestra-longtask-sync';

export async function watchLongTasks(browser: Browser, page: Page): Promise<LongTaskWatch> {
  await browser.startTracing(page, { categories: ['toplevel', 'blink.user_timing'] });
  const markAt = await page.evaluate((mark) => {
    const w = window as unknown as { __longTasks: Array<{ start: number; duration: number }> };
    w.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask' });
    return performance.mark(mark).startTime;
  }, SYNC_MARK);
  return {
    async stop() {
      // Entries are delivered after their task; give the observer a turn.
      await page.evaluate(() => new Promise((r) => setTimeout(r, 50)));
      const seen = await page.evaluate(
        () => (window as unknown as { __longTasks: Array<{ start: number; duration: number }> }).__longTasks,
      );
      const buffer = await browser.stopTracing();
      const events = traceEvents(buffer);
      const mark = events.find((e) => e.name === SYNC_MARK);
      if (!mark) throw new Error('the trace has no sync mark: cannot attribute long tasks');
      const tasks = events.filter(
        (e) => e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask' && e.pid === mark.pid && e.tid === mark.tid,
      );
      return seen.map(({ start, duration }) => {
        // Page time (ms since its time origin) to trace time (µs), through the mark both clocks saw.
        const from = mark.ts + (start - markAt) * 1000;
        const to = from + duration * 1000;
        let best: TraceEvent | undefined;
        let overlapBest = 0;
        for (const t of tasks) {
          const overlap = Math.min(to, t.ts + (t.dur ?? 0)) - Math.max(from, t.ts);
          if (overlap > overlapBest) {
            overlapBest = overlap;
            best = t;
          }
        }
        return { duration: Math.round(duration), cpu: best?.tdur === undefined ? undefined : Math.round(best.tdur / 1000) };
      });
    },
  };
}

/** The long tasks that are the panel's own: over 50 ms of CPU time, or whose CPU time is unknown. */
export function ownLongTasks(tasks: LongTask[]): LongTask[] {
  return tasks.filter((t) => t.cpu === undefined || t.cpu >= 50);
}

export function describeLongTasks(tasks: LongTask[]): string {
  return tasks.length ? tasks.map((t) => `${t.duration} ms (CPU ${t.cpu ?? '?'} ms)`).join(', ') : 'none';
}
