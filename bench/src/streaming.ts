// The streaming pipeline end to end: the scripted model server streams tokens → the engine process
// (dist/server.js) → JSON-RPC over stdio → a Node "extension" relay that forwards events exactly as
// the extension does (PanelSession: record, batch, post) → the real panel bundle in headless
// Chromium. Each token carries its index; the server side stamps when it was written to the socket,
// the page stamps when the DOM holding it changed (in the MutationObserver, i.e. in the frame that
// paints it). Clocks are aligned by a round-trip calibration. Both orchestrator dialects are measured
// into the answer area: the general one (the orchestrator's reply text is the answer) and the
// ToolOrchestra one (the answer tool's expert writes it inside <answer> tags).
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startModelServer } from '../../test/support/model-server';
import { launchChromium } from '../../test/support/chromium';
import { makeNonce, panelHtml } from '../../src/extension/panel/panelHtml';
import { ConversationStore } from '../../src/extension/panel/conversationStore';
import { PanelSession } from '../../src/extension/panel/panelSession';
import type { ExtensionToPanel } from '../../src/protocol/panel';
import { startEngineProcess } from '../../test/support/engine-process';
import { median, ms, p95, sleep, wallNow, type Bench } from './util';

/** Serves the built panel under its real HTML and CSP, as test/webview/support/panelPage does. */
async function startPanelServer(root: string): Promise<{ origin: string; close(): Promise<void> }> {
  const js = join(root, 'dist', 'webview', 'panel.js');
  const css = join(root, 'dist', 'webview', 'panel.css');
  if (!existsSync(js) || !existsSync(css)) throw new Error(`the panel bundle is missing (${js}); run node scripts/build.mjs first`);
  let origin = '';
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/panel.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(panelHtml({ cspSource: origin, scriptUri: `${origin}/panel.js`, styleUri: `${origin}/panel.css`, nonce: makeNonce() }));
    } else if (path === '/panel.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(readFileSync(js));
    } else if (path === '/panel.css') {
      res.writeHead(200, { 'content-type': 'text/css' });
      res.end(readFileSync(css));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const TOKEN = /"content":"t(\d{6}) "/g;

/** Stamps every token index as its SSE chunk is written (bench process only). */
function stampServerWrites(sent: Map<number, number>): () => void {
  const proto = http.ServerResponse.prototype as any;
  const original = proto.write;
  proto.write = function (chunk: unknown, ...rest: unknown[]) {
    if (typeof chunk === 'string' && chunk.includes('"content":"t')) {
      const t = wallNow();
      for (const m of chunk.matchAll(TOKEN)) sent.set(Number(m[1]), t);
    }
    return original.call(this, chunk, ...rest);
  };
  return () => {
    proto.write = original;
  };
}

// The webview side: the stand-in VS Code API forwards to the relay; a MutationObserver stamps the
// highest token index present whenever the panel changes the DOM.
const PAGE_SETUP = `(() => {
  window.acquireVsCodeApi = () => ({
    postMessage: (m) => window.__toExtension(JSON.parse(JSON.stringify(m))),
    getState: () => undefined,
    setState: (s) => s,
  });
  window.__paint = [];
  let max = -1;
  window.__resetPaint = () => { window.__paint = []; max = -1; };
  const scan = (text) => {
    const tail = text.slice(-32);
    const m = /t(\\d{6})[^t\\d]*$/.exec(tail);
    if (!m) return;
    const idx = Number(m[1]);
    if (idx <= max) return;
    const t = performance.timeOrigin + performance.now();
    for (let i = max + 1; i <= idx; i++) window.__paint.push(t);
    max = idx;
  };
  // The answer's last text node: the newest token is at its end (reading textContent would cost O(answer) a frame).
  const lastText = (el) => {
    let n = el;
    while (n && n.nodeType === 1) {
      let c = n.lastChild;
      while (c && c.previousSibling && (c.nodeType === 8 || (c.nodeType === 3 && !c.data.trim()))) c = c.previousSibling;
      n = c;
    }
    return n && n.nodeType === 3 ? n.data : '';
  };
  new MutationObserver((records) => {
    const inAnswer = records.some((r) => {
      const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      return el && (el.closest('.answer-body') || el.querySelector?.('.answer-body'));
    });
    if (!inAnswer) return;
    const bodies = document.querySelectorAll('.answer-body');
    if (bodies.length) scan(lastText(bodies[bodies.length - 1]));
  }).observe(document, { subtree: true, childList: true, characterData: true });
})();`;

async function clockOffset(page: Page): Promise<number> {
  // page clock − node clock, from the round trip with the smallest delay.
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < 15; i++) {
    const t0 = wallNow();
    const pageNow = await page.evaluate(() => performance.timeOrigin + performance.now());
    const t1 = wallNow();
    if (t1 - t0 < best.rtt) best = { rtt: t1 - t0, offset: pageNow - (t0 + t1) / 2 };
  }
  return best.offset;
}

type Dialect = 'general' | 'toolorchestra';

interface RunResult {
  tokens: number;
  sendRate: number;
  deliveredRate: number;
  lagP50: number;
  lagP95: number;
  firstDecileLag: number;
  lastDecileLag: number;
  /** Server write → event received by the relay (the engine process and JSON-RPC). */
  serverToRelayP50: number;
  serverToRelayP95: number;
}

export const streamingPipeline: Bench = async (ctx) => {
  const sent = new Map<number, number>();
  const restore = stampServerWrites(sent);
  const server = await startModelServer();
  const panelServer = await startPanelServer(ctx.root);
  const ws = mkdtempSync(join(tmpdir(), 'orchestra-bench-stream-'));
  const engine = await startEngineProcess({ root: ctx.root });
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 480, height: 900 } });
    const page = await context.newPage();
    const memento = new Map<string, unknown>();
    const store = new ConversationStore({
      get: <T>(k: string) => memento.get(k) as T | undefined,
      update: async (k, v) => void memento.set(k, v),
    });
    const noop = () => undefined;
    const session = new PanelSession(
      store,
      {
        ask: () => true,
        resume: () => true,
        openMarkdown: noop,
        cancel: noop,
        cancelCall: noop,
        approve: noop,
        setPrivacyMode: noop,
        setOrchestrator: noop,
        setOrchestratorAutomatic: noop,
        setBudget: noop,
        insertCode: noop,
        applyCode: noop,
        copy: noop,
        openFile: noop,
        runCommand: noop,
        newConversation: noop,
      },
      { openLink: noop },
    );
    let posting: Promise<unknown> = Promise.resolve();
    session.attach({
      // The webview's postMessage: one message in, in order.
      postMessage: (m: ExtensionToPanel) => {
        posting = page
          .evaluate((msg) => window.postMessage(msg, '*'), m as unknown)
          .catch((err: unknown) => ctx.log(`post failed: ${String(err)}`));
        return true;
      },
    });
    await page.exposeFunction('__toExtension', (m: unknown) => session.receive(m));
    await page.addInitScript(PAGE_SETUP);
    await page.goto(`${panelServer.origin}/panel.html`);
    await page.waitForSelector('.composer');
    for (let i = 0; i < 50 && !session.isReady; i++) await sleep(20);
    if (!session.isReady) throw new Error('the panel never said ready');
    // The extension relays every engine event to the panel (orchestra.ts → PanelBridge.postEngineEvent).
    const relayed = new Map<number, number>();
    engine.onEvent = (e) => {
      if (e.type === 'answer_delta') {
        const t = wallNow();
        for (const m of e.text.matchAll(/t(\d{6}) /g)) relayed.set(Number(m[1]), t);
      }
      session.post({ type: 'event', event: e });
    };
    const configureFor = (dialect: Dialect) =>
      engine.configure(
        {
          models: [
            { id: 'orch', baseUrl: server.url, model: 'orch', roles: ['orchestrator'] },
            { id: 'expert', baseUrl: server.url, model: 'expert', roles: ['general', 'code'] },
          ],
          orchestrator: { model: 'orch', dialect },
          tools: { runCode: { enabled: false } },
        },
        ws,
      );

    const run = async (dialect: Dialect, tokens: number, tokensPerSecond: number): Promise<RunResult> => {
      sent.clear();
      relayed.clear();
      await page.evaluate(() => (window as any).__resetPaint());
      // A fresh conversation each run, as "New conversation" does (archives, then restores the panel).
      session.newConversation();
      await posting;
      const chunks = Array.from({ length: tokens }, (_, i) => `t${String(i).padStart(6, '0')} `);
      if (dialect === 'general') server.script('orch', [{ chunks, tokensPerSecond }]);
      else {
        // The orchestrator calls its answer tool; the expert behind it writes the answer in <answer> tags.
        server.script('orch', [{ toolCalls: [{ name: 'answer', arguments: { model: 'answer-1' } }] }]);
        server.script('expert', [{ chunks: ['<answer>', ...chunks, '</answer>'], tokensPerSecond }]);
      }
      const end = await engine.ask('Stream a long reply.');
      if (end.type !== 'done') throw new Error(`streaming task ended with ${end.type}: ${JSON.stringify(end)}`);
      await posting;
      // Wait for the page to show the last token.
      for (let i = 0; i < 200; i++) {
        const n = await page.evaluate(() => (window as any).__paint.length as number);
        if (n >= tokens) break;
        await sleep(50);
      }
      const offset = await clockOffset(page);
      const paint: number[] = await page.evaluate(() => (window as any).__paint);
      if (paint.length < tokens) {
        const tail = await page.evaluate(() => {
          const els = document.querySelectorAll('.answer-body');
          return Array.from(els).map((e) => (e.textContent ?? '').length + ':' + (e.textContent ?? '').slice(-40));
        });
        throw new Error(
          `${dialect}: only ${paint.length} of ${tokens} tokens reached the answer area (server stamped ${sent.size}; answer elements ${JSON.stringify(tail)})`,
        );
      }
      const lags: number[] = [];
      const toRelay: number[] = [];
      for (let i = 0; i < tokens; i++) {
        const s = sent.get(i);
        if (s === undefined) throw new Error(`token ${i} was never stamped at the server`);
        lags.push(paint[i] - offset - s);
        toRelay.push((relayed.get(i) ?? NaN) - s);
      }
      const firstSent = sent.get(0)!;
      const lastSent = sent.get(tokens - 1)!;
      const decile = Math.max(1, Math.floor(tokens / 10));
      return {
        tokens,
        sendRate: (tokens - 1) / ((lastSent - firstSent) / 1000),
        deliveredRate: (tokens - 1) / ((paint[tokens - 1] - paint[0]) / 1000),
        lagP50: median(lags),
        lagP95: p95(lags),
        firstDecileLag: median(lags.slice(decile, 2 * decile)),
        lastDecileLag: median(lags.slice(-decile)),
        serverToRelayP50: median(toRelay),
        serverToRelayP95: p95(toRelay),
      };
    };

    const TARGET_RATE = 5000;
    // Offered 10% above the target: delivering exactly the offered rate can never show ≥ the target
    // when the offer is the target itself (the server's own pacing jitters around it).
    const OFFERED_RATE = 5500;
    const N = ctx.quick ? 10_000 : 25_000;
    const reps = ctx.quick ? 1 : 3;
    const rows = [];
    for (const dialect of ['general', 'toolorchestra'] as const) {
      await configureFor(dialect);
      await run(dialect, 2000, OFFERED_RATE); // warm-up: JIT, first layout
      const paced: RunResult[] = [];
      for (let i = 0; i < reps; i++) paced.push(await run(dialect, N, OFFERED_RATE));
      // Capacity: the server sends as fast as it can; what the pipeline delivers is its ceiling.
      const flood = await run(dialect, N, 0);
      const mid = paced.sort((a, b) => a.lagP95 - b.lagP95)[Math.floor(paced.length / 2)];
      const growth = mid.lastDecileLag - mid.firstDecileLag;
      const noBacklog = growth <= 50;
      const met = mid.deliveredRate >= TARGET_RATE && mid.lagP95 <= 50 && noBacklog;
      const label =
        dialect === 'general' ? 'general dialect (the reply is the answer)' : "ToolOrchestra dialect (the answer tool's expert)";
      rows.push({
        bench: 'streaming',
        what: `token → paint in the answer area, ${label}: server → engine process → JSON-RPC → relay → panel DOM (Chromium), ${N} tokens offered at ${OFFERED_RATE} tok/s`,
        baseline: `server sent ${mid.sendRate.toFixed(0)} tok/s`,
        measured: `${mid.deliveredRate.toFixed(0)} tok/s; p95 ${ms(mid.lagP95)} (p50 ${ms(mid.lagP50)})`,
        ratio: `${(mid.deliveredRate / mid.sendRate).toFixed(2)}× of sent`,
        target: '≥ 5,000 tok/s; ≤ 50 ms',
        met,
        note: `Token-to-paint lag: first decile ${ms(mid.firstDecileLag)}, last decile ${ms(mid.lastDecileLag)} (${noBacklog ? 'no growing backlog' : 'BACKLOG GROWS'}); of that, server → relay (engine process + JSON-RPC) p50 ${ms(mid.serverToRelayP50)}, p95 ${ms(mid.serverToRelayP95)}, the rest is relay → panel DOM. Median of ${reps} run(s) by p95. Capacity with an unpaced server: ${flood.deliveredRate.toFixed(0)} tok/s delivered (server sent ${flood.sendRate.toFixed(0)} tok/s; lag p95 ${ms(flood.lagP95)} includes the queue a flood builds).`,
        data: { dialect, paced, flood },
      });
    }
    return rows;
  } finally {
    restore();
    await browser?.close().catch(() => undefined);
    await engine.close();
    await server.close();
    await panelServer.close();
    rmSync(ws, { recursive: true, force: true });
  }
};
