#!/usr/bin/env node
// A stand-in for the VS Code desktop executable, for @vscode/test-electron / @vscode/test-cli
// (`useInstallation.fromPath`): it accepts the desktop flags they pass, runs the test suite inside
// the real VS Code server's extension host driven by headless Chromium, prints the host's console
// output, and exits with the suite's exit code. It fails loudly when VS Code or Chromium cannot start.
import { chromium } from 'playwright-core';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { format } from 'node:util';
import { startVsCodeServer, workbenchUrl, chromiumPath, chromiumArgs, serverVersion } from './vscode-server.mjs';

const flags = {};
const positional = [];
/** `--extra-extension=FOLDER` (ours, repeatable): an unpacked extension installed beside the one under test. */
const extraExtensions = [];
for (const a of process.argv.slice(2)) {
  const m = /^--([^=]+)=(.*)$/.exec(a);
  if (m && m[1] === 'extra-extension') extraExtensions.push(resolve(m[2]));
  else if (m) flags[m[1]] = m[2];
  else if (!a.startsWith('--')) positional.push(a);
}
if (process.argv.includes('--version')) {
  console.log(serverVersion());
  process.exit(0);
}
const extensionDevelopmentPath = flags.extensionDevelopmentPath && resolve(flags.extensionDevelopmentPath);
const extensionTestsPath = flags.extensionTestsPath && resolve(flags.extensionTestsPath);
if (!extensionDevelopmentPath || !extensionTestsPath) {
  console.error('vscode-exec: --extensionDevelopmentPath= and --extensionTestsPath= are required');
  process.exit(2);
}
const folder = positional.length ? resolve(positional[positional.length - 1]) : undefined;
const userDataDir = flags['user-data-dir'] ? resolve(flags['user-data-dir']) : mkdtempSync(join(tmpdir(), 'orchestra-vscode-'));
const extensionsDir = flags['extensions-dir'] ? resolve(flags['extensions-dir']) : join(userDataDir, 'extensions');
const timeoutMs = Number(process.env.ORCHESTRA_INTEGRATION_TIMEOUT_MS || 10 * 60_000);

if (!existsSync(chromiumPath)) {
  console.error(`vscode-exec: Chromium not found at ${chromiumPath} (apt-get install chromium)`);
  process.exit(1);
}

let server;
let browser;
let exitCode = 1;
let printing = Promise.resolve();
try {
  server = await startVsCodeServer({ userDataDir, extensionsDir, extensions: extraExtensions });
  console.log(`[vscode-exec] VS Code server ${server.url} (user data ${userDataDir})`);
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  let resolveExit;
  const exited = new Promise((r) => (resolveExit = r));
  await page.exposeFunction('codeAutomationExit', (code) => resolveExit(Number(code)));
  // The extension host's console arrives as browser console messages, prefixed `%c LEVEL color: …`.
  const noise =
    /ServiceWorker|service worker controller|bad HTTP response code|open-vsx|Resolving connection token|Resolved connection token|Creating a socket|Updating additional builtin|ChatSessionStore|web worker extension host|allow-scripts and allow-same-origin|Overwriting extension <<|vsda|Failed to load resource|marketplace|gallery|update\.code\.visualstudio|Ignoring the error while validating workspace folder|Long running operations during shutdown|\[perf\]/i;
  // Messages are formatted here (printf-style, like Node's console) and printed in arrival order.

  page.on('console', (msg) => {
    printing = printing.then(async () => {
      const raw = msg.text();
      const m = /^%c\s*(\w+)\s+color:\s*\S+\s?([\s\S]*)$/.exec(raw);
      const level = m ? m[1] : msg.type();
      let text = m ? m[2] : raw;
      if (m && /%[sdifoOj]/.test(text)) {
        const values = await Promise.all(
          msg
            .args()
            .slice(2)
            .map((a) => a.jsonValue().catch(() => '?')),
        );
        text = format(...values);
      }
      if (!process.env.ORCHESTRA_DEBUG_SERVER && noise.test(text)) return;
      console.log(level === 'INFO' || level === 'log' ? text : `[${level}] ${text}`);
    });
  });
  page.on('pageerror', (e) => process.env.ORCHESTRA_DEBUG_SERVER && console.error('[page error]', e.message));
  const url = workbenchUrl(server.port, { folder, extensionDevelopmentPath, extensionTestsPath });
  await page.goto(url);
  const timer = new Promise((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
  const result = await Promise.race([exited, timer]);
  if (result === 'timeout') {
    console.error(`[vscode-exec] the test suite did not finish within ${timeoutMs / 1000} s`);
    await page.screenshot({ path: join(userDataDir, 'timeout.png') }).catch(() => {});
    exitCode = 1;
  } else exitCode = result;
} catch (e) {
  console.error(`[vscode-exec] could not run the tests in VS Code: ${e instanceof Error ? e.message : e}`);
  exitCode = 1;
} finally {
  await printing;
  await browser?.close().catch(() => {});
  server?.stop();
}
process.exit(exitCode);
