// Loads the built panel (dist/webview) in headless Chromium the way VS Code would: the real HTML with
// its CSP and nonce, served from a loopback HTTP server, with a stand-in `acquireVsCodeApi` that
// records what the panel posts and keeps its state (in sessionStorage too, so it survives a reload).
import { after, before } from 'node:test';
import { createServer, type Server } from 'node:http';
import { readFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../support/chromium';
export { launchChromium };
import { makeNonce, panelHtml } from '../../../src/extension/panel/panelHtml';

// Bundled to out/test/webview/*.js: the repository root is three levels up.
export const repoRoot = resolve(__dirname, '..', '..', '..');
export const artifactsDir = join(repoRoot, 'test-artifacts', 'webview');

export interface PanelServer {
  origin: string;
  /** Paths the server was asked for, in order. */
  hits: string[];
  close(): Promise<void>;
}

/** Serves the panel built under `root` (the repository; benchmarks bundled elsewhere pass theirs). */
export async function startPanelServer(root = repoRoot): Promise<PanelServer> {
  const js = join(root, 'dist', 'webview', 'panel.js');
  const css = join(root, 'dist', 'webview', 'panel.css');
  if (!existsSync(js) || !existsSync(css)) throw new Error(`the panel bundle is missing (${js}); run node scripts/build.mjs first`);
  const hits: string[] = [];
  let origin = '';
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    hits.push(path);
    if (path === '/panel.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(
        panelHtml({
          cspSource: origin,
          scriptUri: `${origin}/dist/webview/panel.js`,
          styleUri: `${origin}/dist/webview/panel.css`,
          nonce: makeNonce(),
        }),
      );
    } else if (path === '/dist/webview/panel.js') {
      res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' });
      res.end(readFileSync(js));
    } else if (path === '/dist/webview/panel.css') {
      res.writeHead(200, { 'content-type': 'text/css', 'cache-control': 'no-store' });
      res.end(readFileSync(css));
    } else if (/^\/dist\/webview\/[\w-]+\.ttf$/.test(path) && existsSync(join(root, path))) {
      // The codicon font the stylesheet names (bundled next to it, as VS Code serves it).
      res.writeHead(200, { 'content-type': 'font/ttf', 'cache-control': 'no-store' });
      res.end(readFileSync(join(root, path)));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    hits,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

// setState keeps a structured clone, as VS Code's does (it posts the state to the host), and the copy
// reaches sessionStorage only when the page goes away, so it survives a reload: serialising a large
// log on every save would charge the panel for work VS Code does not do on its main thread.
const STAND_IN = `(() => {
  const KEY = '__orchestra_state';
  let current;
  let persisting = false;
  window.__posted = [];
  window.__savedStateJson = () => (current === undefined ? '' : JSON.stringify(current));
  window.acquireVsCodeApi = () => ({
    postMessage: (m) => { window.__posted.push(JSON.parse(JSON.stringify(m))); },
    getState: () => { if (current !== undefined) return current; const s = sessionStorage.getItem(KEY); return s ? JSON.parse(s) : undefined; },
    setState: (s) => {
      current = structuredClone(s);
      // Added on the first save, so it runs after the panel's own pagehide save.
      if (!persisting) {
        persisting = true;
        window.addEventListener('pagehide', () => sessionStorage.setItem(KEY, JSON.stringify(current)));
      }
      return s;
    },
  });
})();`;

export const DARK_THEME: Record<string, string> = {
  '--vscode-foreground': '#cccccc',
  '--vscode-descriptionForeground': '#9d9d9d',
  '--vscode-sideBar-background': '#181818',
  '--vscode-editorWidget-background': '#202020',
  '--vscode-panel-border': '#2b2b2b',
  '--vscode-focusBorder': '#0078d4',
  '--vscode-button-background': '#0078d4',
  '--vscode-button-foreground': '#ffffff',
  '--vscode-button-secondaryBackground': '#313131',
  '--vscode-button-secondaryForeground': '#cccccc',
  '--vscode-button-secondaryHoverBackground': '#3c3c3c',
  '--vscode-input-background': '#313131',
  '--vscode-input-foreground': '#cccccc',
  '--vscode-dropdown-background': '#313131',
  '--vscode-badge-background': '#616161',
  '--vscode-badge-foreground': '#f8f8f8',
  '--vscode-textLink-foreground': '#4daafc',
  '--vscode-textCodeBlock-background': '#2b2b2b',
  '--vscode-font-family': 'system-ui, "Segoe UI", Ubuntu, sans-serif',
  '--vscode-font-size': '13px',
  '--vscode-editor-font-family': '"DejaVu Sans Mono", monospace',
  '--vscode-editor-font-size': '12px',
};

export const LIGHT_THEME: Record<string, string> = {
  '--vscode-foreground': '#3b3b3b',
  '--vscode-descriptionForeground': '#717171',
  '--vscode-sideBar-background': '#f8f8f8',
  '--vscode-editorWidget-background': '#ffffff',
  '--vscode-panel-border': '#e5e5e5',
  '--vscode-focusBorder': '#005fb8',
  '--vscode-button-background': '#005fb8',
  '--vscode-button-foreground': '#ffffff',
  '--vscode-button-secondaryBackground': '#e5e5e5',
  '--vscode-button-secondaryForeground': '#3b3b3b',
  '--vscode-button-secondaryHoverBackground': '#cccccc',
  '--vscode-button-hoverBackground': '#0258a8',
  '--vscode-input-background': '#ffffff',
  '--vscode-input-foreground': '#3b3b3b',
  '--vscode-input-border': '#cecece',
  '--vscode-dropdown-background': '#ffffff',
  '--vscode-badge-background': '#cccccc',
  '--vscode-badge-foreground': '#3b3b3b',
  '--vscode-textLink-foreground': '#005fb8',
  '--vscode-textCodeBlock-background': '#f0f0f0',
  '--vscode-testing-iconPassed': '#388a34',
  '--vscode-errorForeground': '#e51400',
  '--vscode-editorWarning-foreground': '#bf8803',
  '--vscode-symbolIcon-keywordForeground': '#0000ff',
  '--vscode-debugTokenExpression-string': '#a31515',
  '--vscode-debugTokenExpression-number': '#098658',
  '--vscode-symbolIcon-functionForeground': '#795e26',
  '--vscode-symbolIcon-classForeground': '#267f99',
  '--vscode-symbolIcon-variableForeground': '#001080',
  '--vscode-inputValidation-warningBackground': '#fff8e1',
  '--vscode-inputValidation-errorBackground': '#fde7e9',
  '--vscode-font-family': 'system-ui, "Segoe UI", Ubuntu, sans-serif',
  '--vscode-font-size': '13px',
  '--vscode-editor-font-family': '"DejaVu Sans Mono", monospace',
  '--vscode-editor-font-size': '12px',
};

/** Default High Contrast (dark): black, white text, the cyan contrast border, the orange active border. */
export const HIGH_CONTRAST_THEME: Record<string, string> = {
  '--vscode-foreground': '#ffffff',
  '--vscode-descriptionForeground': '#ffffff',
  '--vscode-sideBar-background': '#000000',
  '--vscode-editorWidget-background': '#0c141f',
  '--vscode-contrastBorder': '#6fc3df',
  '--vscode-contrastActiveBorder': '#f38518',
  '--vscode-focusBorder': '#f38518',
  '--vscode-button-background': '#000000',
  '--vscode-button-foreground': '#ffffff',
  '--vscode-button-border': '#6fc3df',
  '--vscode-button-secondaryForeground': '#ffffff',
  '--vscode-input-background': '#000000',
  '--vscode-input-foreground': '#ffffff',
  '--vscode-input-border': '#6fc3df',
  '--vscode-dropdown-background': '#000000',
  '--vscode-dropdown-border': '#6fc3df',
  '--vscode-badge-background': '#000000',
  '--vscode-badge-foreground': '#ffffff',
  '--vscode-textLink-foreground': '#21a6ff',
  '--vscode-textCodeBlock-background': '#000000',
  '--vscode-testing-iconPassed': '#73c991',
  '--vscode-errorForeground': '#f48771',
  '--vscode-editorWarning-foreground': '#ffd370',
  '--vscode-font-family': 'system-ui, "Segoe UI", Ubuntu, sans-serif',
  '--vscode-font-size': '13px',
  '--vscode-editor-font-family': '"DejaVu Sans Mono", monospace',
  '--vscode-editor-font-size': '12px',
};

export type PanelTheme = 'dark' | 'light' | 'high-contrast';

export interface PanelPage {
  page: Page;
  /** Every URL the page requested. */
  requests: string[];
  /** Console errors and page errors (CSP violations show up here). */
  errors: string[];
  send(messages: unknown[]): Promise<void>;
  posted(): Promise<Array<Record<string, unknown>>>;
  settle(): Promise<void>;
  setTheme(theme: PanelTheme): Promise<void>;
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function openPanel(browser: Browser, server: PanelServer, opts: { width?: number; height?: number } = {}): Promise<PanelPage> {
  const context = await browser.newContext({ viewport: { width: opts.width ?? 480, height: opts.height ?? 900 } });
  const page = await context.newPage();
  await page.addInitScript(STAND_IN);
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${server.origin}/panel.html`);
  await page.waitForSelector('.composer');
  const settle = async (): Promise<void> => {
    // Message events are tasks; a timer after them and two frames later the panel has flushed.
    await page.evaluate(() => new Promise<void>((r) => setTimeout(() => requestAnimationFrame(() => requestAnimationFrame(() => r())), 0)));
  };
  const pp: PanelPage = {
    page,
    requests,
    errors,
    settle,
    async send(messages) {
      await page.evaluate((ms) => {
        for (const m of ms) window.postMessage(m, '*');
      }, messages);
      await settle();
    },
    posted: () => page.evaluate(() => (window as unknown as { __posted: Array<Record<string, unknown>> }).__posted.slice()),
    async setTheme(theme) {
      const vars = theme === 'dark' ? DARK_THEME : theme === 'light' ? LIGHT_THEME : HIGH_CONTRAST_THEME;
      await page.evaluate(
        ({ vars, theme }) => {
          const root = document.documentElement;
          for (const k of Array.from(root.style)) if (k.startsWith('--vscode-')) root.style.removeProperty(k);
          for (const [k, v] of Object.entries(vars)) root.style.setProperty(k, v);
          document.body.classList.remove('vscode-dark', 'vscode-light', 'vscode-high-contrast');
          document.body.classList.add(`vscode-${theme}`);
        },
        { vars, theme },
      );
    },
    async screenshot(name) {
      mkdirSync(artifactsDir, { recursive: true });
      await page.screenshot({ path: join(artifactsDir, `${name}.png`), fullPage: false });
    },
    close: () => context.close(),
  };
  await pp.setTheme('dark');
  return pp;
}

/** One Chromium and one panel server for a test file: started before its tests, closed after them. */
export function panelSuite(): { readonly browser: Browser; readonly server: PanelServer } {
  const suite = {} as { browser: Browser; server: PanelServer };
  before(async () => {
    suite.server = await startPanelServer();
    suite.browser = await launchChromium();
  });
  after(async () => {
    await suite.browser?.close();
    await suite.server?.close();
  });
  return suite;
}
