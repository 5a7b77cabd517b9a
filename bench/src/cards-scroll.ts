// Scroll frame time at 2,000 cards: the built panel in headless Chromium, a session of 2,000 tool
// cards scrolled a step per frame, against the same panel holding 20 cards scrolled the same number
// of frames in the same run. Reported: the main thread's time per frame (script, style, layout, from
// the DevTools Performance domain), its CPU time per frame from a traced round (less moved by the
// machine's load), and the frame interval; ratios, no threshold.
import { launchChromium } from '../../test/support/chromium';
import { EventScript } from '../../test/webview/support/events';
import { longSession } from '../../test/webview/support/long-session';
import { openPanel, startPanelServer, type PanelPage } from '../../test/webview/support/panelPage';
import { mainThreadCpuMs } from './trace-time';
import { median, ms, p95, ratio, type Bench, type Row } from './util';

interface ScrollRun {
  /** Main-thread task time per frame, ms, and the script, layout and style parts of it. */
  mainPerFrame: number;
  scriptPerFrame: number;
  layoutPerFrame: number;
  stylePerFrame: number;
  /** Frame intervals while scrolling, ms. */
  intervals: number[];
  built: number;
  elements: number;
}

async function load(p: PanelPage, cards: number): Promise<void> {
  const session = longSession(new EventScript(`s${cards}`), cards, 1);
  for (let i = 0; i < session.length; i += 1000) await p.send([{ type: 'events', events: session.slice(i, i + 1000) }]);
}

/** Scrolls `frames` steps of `step` px, bouncing between the ends of what can be scrolled. */
async function scroll(p: PanelPage, frames: number, step: number): Promise<ScrollRun> {
  const cdp = await p.page.context().newCDPSession(p.page);
  await cdp.send('Performance.enable');
  const NAMES = ['TaskDuration', 'ScriptDuration', 'LayoutDuration', 'RecalcStyleDuration'] as const;
  const times = async (): Promise<number[]> => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return NAMES.map((n) => (metrics.find((m) => m.name === n)?.value ?? 0) * 1000);
  };
  const before = await times();
  const out = await p.page.evaluate(
    async ({ frames, step }) => {
      const log = document.querySelector('.log') as HTMLElement;
      const intervals: number[] = [];
      let last = await new Promise<number>((r) => requestAnimationFrame(r));
      let y = 0;
      let dir = 1;
      for (let i = 0; i < frames; i++) {
        const range = log.scrollHeight - log.clientHeight;
        y += dir * step;
        if (y > range || y < 0) {
          dir = -dir;
          y = Math.max(0, Math.min(range, y));
        }
        log.scrollTop = y;
        const t = await new Promise<number>((r) => requestAnimationFrame(r));
        intervals.push(t - last);
        last = t;
      }
      const c = (window as unknown as { __orchestraPanel: { cards: { built: number } } }).__orchestraPanel.cards;
      return { intervals, built: c.built, elements: document.getElementsByTagName('*').length };
    },
    { frames, step },
  );
  const [task, script, layout, style] = (await times()).map((t, i) => (t - before[i]) / frames);
  await cdp.detach();
  return { mainPerFrame: task, scriptPerFrame: script, layoutPerFrame: layout, stylePerFrame: style, ...out };
}

export const cardsScroll: Bench = async (ctx) => {
  const server = await startPanelServer(ctx.root);
  const browser = await launchChromium();
  try {
    const frames = ctx.quick ? 120 : 300;
    const rounds = ctx.quick ? 1 : 3;
    const sizes = [20, 2_000];
    const runs = new Map<number, ScrollRun[]>(sizes.map((n) => [n, []]));
    const pages = new Map<number, PanelPage>();
    for (const n of sizes) {
      const p = await openPanel(browser, server, { width: 480, height: 500 });
      await load(p, n);
      pages.set(n, p);
    }
    // Alternated, a warm-up round first (not kept), so drift in machine load hits both.
    for (let r = 0; r <= rounds; r++) {
      for (const n of r % 2 ? [...sizes].reverse() : sizes) {
        const run = await scroll(pages.get(n)!, frames, 180);
        if (r > 0) runs.get(n)!.push(run);
      }
    }
    // One traced round each, alternated: CPU time per frame, which load inflates less than wall-clock time.
    const cpu = new Map<number, number>();
    for (const n of rounds % 2 ? [...sizes].reverse() : sizes) {
      const p = pages.get(n)!;
      cpu.set(n, (await mainThreadCpuMs(browser, p.page, async () => void (await scroll(p, frames, 180)))) / frames);
    }
    for (const p of pages.values()) await p.close();
    const [small, big] = sizes.map((n) => runs.get(n)!);
    const mainSmall = median(small.map((r) => r.mainPerFrame));
    const mainBig = median(big.map((r) => r.mainPerFrame));
    const intervalSmall = p95(small.flatMap((r) => r.intervals));
    const intervalBig = p95(big.flatMap((r) => r.intervals));
    const last = big.at(-1)!;
    const part = (runs: ScrollRun[], k: 'scriptPerFrame' | 'layoutPerFrame' | 'stylePerFrame'): string =>
      median(runs.map((r) => r[k])).toFixed(2);
    const parts = (runs: ScrollRun[]): string =>
      `script ${part(runs, 'scriptPerFrame')}, layout ${part(runs, 'layoutPerFrame')}, style ${part(runs, 'stylePerFrame')} ms`;
    ctx.log(`per frame, 20 cards: ${parts(small)}; 2,000 cards: ${parts(big)}`);
    ctx.log(
      `main thread per frame: 20 cards ${mainSmall.toFixed(2)} ms, 2,000 cards ${mainBig.toFixed(2)} ms; built ${last.built}, ${last.elements} elements`,
    );
    const rows: Row[] = [
      {
        bench: 'cards-scroll',
        what: 'Scroll frame time at 2,000 cards: main-thread time per frame (Chromium, virtualised card list)',
        baseline: `20 cards ${ms(mainSmall)}/frame`,
        measured: `${ms(mainBig)}/frame`,
        ratio: ratio(mainBig, mainSmall),
        target: 'report',
        met: null,
        note: `${frames} frames a round, ${rounds} alternated rounds (medians), 180 px a frame, bouncing between the ends. At the end ${last.built} of 2,001 cards were built, ${last.elements} elements in the page.`,
        data: { small, big },
      },
      {
        bench: 'cards-scroll',
        what: 'Scroll frame CPU time at 2,000 cards: main-thread thread time per frame (Chromium trace)',
        baseline: `20 cards ${ms(cpu.get(20)!)}/frame`,
        measured: `${ms(cpu.get(2_000)!)}/frame`,
        ratio: ratio(cpu.get(2_000)!, cpu.get(20)!),
        target: 'report',
        met: null,
        note: 'One traced round per size after the timed ones: the top-level tasks of the renderer main thread, their CPU time.',
      },
      {
        bench: 'cards-scroll',
        what: 'Scroll frame interval at 2,000 cards, p95 (Chromium)',
        baseline: `20 cards p95 ${ms(intervalSmall)}`,
        measured: `p95 ${ms(intervalBig)}`,
        ratio: ratio(intervalBig, intervalSmall),
        target: 'report',
        met: null,
      },
    ];
    return rows;
  } finally {
    await browser.close();
    await server.close();
  }
};
