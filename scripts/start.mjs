#!/usr/bin/env node
// `npm start`: builds Orchestra and opens a VS Code with it installed, for a person to use — the
// user's own `code` when it is on PATH, otherwise the VS Code server (from the code-server package)
// on 127.0.0.1, whose URL is printed. `--check` opens that URL in headless Chromium, waits for the
// Orchestra panel to render and saves a screenshot (used to verify the command works).
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { root, serverMain, serverNode, startVsCodeServer, workbenchUrl, chromiumPath, chromiumArgs } from './vscode-server.mjs';

const check = process.argv.includes('--check');
const useServer = check || process.argv.includes('--server');
const workspace = join(root, 'examples/sample-workspace');

const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
if (build.status !== 0) {
  console.error('Build failed; fix the errors above and run `npm start` again.');
  process.exit(1);
}

const hasCode = !useServer && spawnSync('code', ['--version'], { stdio: 'ignore' }).status === 0;
if (hasCode) {
  console.log('Opening your VS Code with Orchestra loaded from this folder…');
  const r = spawnSync('code', ['--new-window', `--extensionDevelopmentPath=${root}`, workspace], { stdio: 'inherit' });
  process.exit(r.status ?? 0);
}

if (!existsSync(serverMain) || !existsSync(serverNode)) {
  console.log('No `code` on PATH: installing the VS Code server from the code-server npm package (once, ~2 min)…');
  try {
    execFileSync('bash', [join(root, 'scripts/install-vscode-server.sh')], { stdio: 'inherit' });
  } catch {
    console.error(
      'Could not start a VS Code: `code` is not on PATH and the VS Code server could not be installed.\n' +
        'Either install VS Code (https://code.visualstudio.com) so that `code` is on PATH, or run\n' +
        '`bash scripts/setup.sh` (needs ripgrep, a C++ toolchain and libkrb5-dev) and try again.',
    );
    process.exit(1);
  }
}

const userDataDir = join(root, '.vscode-test/start-user-data');
mkdirSync(userDataDir, { recursive: true });
let server;
try {
  server = await startVsCodeServer({
    userDataDir,
    extensionsDir: join(userDataDir, 'extensions'),
    port: Number(process.env.PORT) || undefined,
  });
} catch (e) {
  console.error(`Could not start the VS Code server: ${e.message}`);
  process.exit(1);
}
const url = workbenchUrl(server.port, { folder: workspace, extensionDevelopmentPath: root });

if (!check) {
  console.log(
    `\nOrchestra is running in VS Code at:\n\n  ${url}\n\nOpen it in a browser (Chromium, Chrome, Firefox). Press Ctrl+C to stop.`,
  );
  const stop = () => {
    server.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await new Promise(() => {});
}

// --check: open the workbench like a person would and look for the Orchestra panel.
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
let ok = false;
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(url);
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  await page.locator('.activitybar [aria-label^="Orchestra"]').first().click({ timeout: 30_000 });
  const deadline = Date.now() + 60_000;
  while (!ok && Date.now() < deadline) {
    for (const frame of page.frames()) {
      if (
        await frame
          .locator('.question-input')
          .count()
          .catch(() => 0)
      )
        ok = true;
    }
    if (!ok) await page.waitForTimeout(500);
  }
  mkdirSync(join(root, 'test-artifacts'), { recursive: true });
  await page.screenshot({ path: join(root, 'test-artifacts/npm-start.png') });
  console.log(
    ok
      ? 'The Orchestra panel rendered (screenshot: test-artifacts/npm-start.png).'
      : 'The Orchestra panel did not render within 60 s (see test-artifacts/npm-start.png).',
  );
} finally {
  await browser.close();
  server.stop();
}
process.exit(ok ? 0 : 1);
