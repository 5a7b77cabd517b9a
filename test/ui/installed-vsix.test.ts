// Orchestra as a user installs it: the linux-x64 .vsix is built (scripts/package.mjs), installed into
// the VS Code server with --install-extension, and a question typed into the panel of a real
// workspace is answered by a GGUF model through the embedded llama.cpp runtime the .vsix carries.
// The model is a tiny generated one in the models folder, named as the orchestrator.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Frame, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium';
import { writeRandomModel, writeToolCallScriptModel } from '../support/gguf';
import { startModelServer } from '../support/model-server';

const root = resolve(__dirname, '../../..');
const artifacts = join(root, 'test-artifacts/ui');
const ANSWER = 'Answered by the model inside the installed extension.';

interface VsCodeServer {
  port: number;
  stop(): void;
}
interface ServerModule {
  serverMain: string;
  /** The Node the VS Code server runs on (newer servers need a newer Node than the tests'). */
  serverNode?: string;
  startVsCodeServer(o: object): Promise<VsCodeServer>;
  workbenchUrl(port: number, o: object): string;
}

let scratch: string;
let extensionsDir: string;
let vscode: VsCodeServer | undefined;
let browser: Browser | undefined;
let page: Page;

/** The frame of the Orchestra panel (a webview sits two iframes deep). */
async function orchestraPanel(p: Page, timeoutMs = 90_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const f of p.frames())
      if (
        (await f
          .locator('.question-input')
          .count()
          .catch(() => 0)) > 0
      )
        return f;
    await p.waitForTimeout(250);
  }
  throw new Error('the installed extension did not render the Orchestra panel');
}

function serverNodeOf(server: ServerModule): string {
  return server.serverNode && existsSync(server.serverNode) ? server.serverNode : process.execPath;
}

function runOrFail(cmd: string, args: string[], what: string): string {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, `${what} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  const server = (await import(join(root, 'scripts/vscode-server.mjs'))) as ServerModule;
  scratch = mkdtempSync(join(tmpdir(), 'orchestra-vsix-'));
  const built = runOrFail(process.execPath, ['scripts/package.mjs', '--target', 'linux-x64', '--out', scratch], 'packaging');
  console.log(built.trim().split('\n').slice(-3).join('\n'));
  const vsix = readdirSync(scratch).find((f) => f.endsWith('-linux-x64.vsix'));
  assert.ok(vsix, 'a linux-x64 .vsix was built');

  extensionsDir = join(scratch, 'extensions');
  const userData = join(scratch, 'user-data');
  const installed = runOrFail(
    serverNodeOf(server),
    [
      server.serverMain,
      '--install-extension',
      join(scratch, vsix),
      '--extensions-dir',
      extensionsDir,
      '--user-data-dir',
      userData,
      '--server-data-dir',
      userData,
      '--accept-server-license-terms',
    ],
    'installing the .vsix',
  );
  assert.match(installed, /successfully installed/);

  const models = join(scratch, 'models');
  mkdirSync(models);
  writeToolCallScriptModel(join(models, 'orch.gguf'), {
    toolName: 'answer',
    arguments: { answer: ANSWER },
    answer: 'unused',
    // An engine task's prompt (every tool's schema) needs more than 4096 tokens of this tiny vocabulary.
    contextLength: 16384,
  });
  cpSync(join(root, 'test/integration/fixtures/workspace'), join(scratch, 'workspace'), { recursive: true });
  vscode = await server.startVsCodeServer({
    userDataDir: userData,
    extensionsDir,
    settings: {
      // No orchestra.models at all: the model folder's GGUF file is the pool, and the orchestrator.
      'orchestra.local.modelsDir': models,
      'orchestra.orchestrator.model': 'local:orch',
      'orchestra.orchestrator.dialect': 'general',
      'orchestra.privacyMode': 'local-only',
      'orchestra.local.threads': 1,
    },
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  // No extensionDevelopmentPath: only what --install-extension put in the extensions folder runs.
  await page.goto(server.workbenchUrl(vscode.port, { folder: join(scratch, 'workspace') }));
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
});

after(async () => {
  await browser?.close().catch(() => {});
  vscode?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test('the installed extension carries the linux-x64 runtime only, and no sources or maps', () => {
  const [ext] = readdirSync(extensionsDir).filter((d) => d.startsWith('orchestra-dev.orchestra-'));
  assert.ok(ext, `installed: ${readdirSync(extensionsDir).join(', ')}`);
  const dir = join(extensionsDir, ext);
  assert.deepEqual(readdirSync(join(dir, 'node_modules/@node-llama-cpp')), ['linux-x64']);
  assert.ok(existsSync(join(dir, 'node_modules/node-llama-cpp/package.json')));
  assert.equal(existsSync(join(dir, 'node_modules/node-llama-cpp/llama/gitRelease.bundle')), false, 'no llama.cpp sources');
  assert.equal(existsSync(join(dir, 'src')), false);
  assert.deepEqual(
    readdirSync(join(dir, 'dist')).filter((f) => f.endsWith('.map')),
    [],
  );
});

test('a question in the panel is answered by the GGUF model through the embedded runtime of the installed .vsix', async () => {
  await page.locator('.activitybar [aria-label^="Orchestra"]').first().click({ timeout: 60_000 });
  const frame = await orchestraPanel(page);
  await frame.locator('.question-input').fill('What does this workspace do?');
  await frame.locator('.question-input').press('Enter');
  const answer = frame.locator('.answer', { hasText: ANSWER }).first();
  try {
    await answer.waitFor({ timeout: 180_000 });
  } finally {
    await page.screenshot({ path: join(artifacts, 'installed-vsix-answer.png') });
  }
  assert.equal(await answer.isVisible(), true);
});

test('the universal .vsix (no runtime) still answers with a server model and says how to get local ones', async () => {
  const server = (await import(join(root, 'scripts/vscode-server.mjs'))) as ServerModule;
  const out = join(scratch, 'universal');
  // Reuses the production build the linux-x64 package just made.
  runOrFail(process.execPath, ['scripts/package.mjs', '--no-runtime', '--skip-build', '--out', out], 'packaging the universal .vsix');
  const vsix = readdirSync(out).find((f) => /^orchestra-[\d.]+\.vsix$/.test(f));
  assert.ok(vsix, `built: ${readdirSync(out).join(', ')}`);
  const extDir = join(out, 'extensions');
  runOrFail(
    process.execPath,
    [
      server.serverMain,
      '--install-extension',
      join(out, vsix),
      '--extensions-dir',
      extDir,
      '--user-data-dir',
      join(out, 'ud'),
      '--server-data-dir',
      join(out, 'ud'),
      '--accept-server-license-terms',
    ],
    'installing the universal .vsix',
  );
  const [ext] = readdirSync(extDir).filter((d) => d.startsWith('orchestra-dev.orchestra-'));
  const cli = join(extDir, ext, 'dist/cli.js');
  assert.equal(existsSync(join(extDir, ext, 'node_modules')), false, 'no runtime in the universal .vsix');
  const models = join(out, 'models');
  mkdirSync(models);
  writeRandomModel(join(models, 'tiny.gguf'));
  const env = { PATH: process.env.PATH ?? '', HOME: scratch, ORCHESTRA_MODELS_DIR: models, NO_COLOR: '1' };

  const serve = spawnSync(process.execPath, [cli, 'serve', '--model', join(models, 'tiny.gguf'), '--port', '0'], { env, encoding: 'utf8' });
  assert.equal(serve.status, 1);
  assert.match(serve.stderr, /no embedded llama\.cpp runtime for this platform\. Install the Orchestra \.vsix built for your platform/);

  const remote = await startModelServer();
  try {
    remote.setHandler('remote-orch', () => ({ content: 'Answered by a server model.' }));
    const config = join(out, 'orchestra.json');
    writeFileSync(
      config,
      JSON.stringify({ models: [{ id: 'remote-orch', baseUrl: remote.url, model: 'remote-orch', roles: ['orchestrator'] }] }),
    );
    const ask = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolveRun) => {
      const child = spawn(process.execPath, [cli, 'ask', 'Hello?', '--config', config, '--workspace', join(scratch, 'workspace')], { env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (status) => resolveRun({ status, stdout, stderr }));
    });
    assert.equal(ask.status, 0, ask.stderr);
    assert.match(ask.stdout, /Answered by a server model\./);
    assert.match(ask.stderr, /tiny\.gguf: not served: this Orchestra build has no embedded llama\.cpp runtime/);
  } finally {
    await remote.close();
  }
});
