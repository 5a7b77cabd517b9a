// Cards for people, in the built panel in headless Chromium: one line per call with a codicon (the
// font bundled and allowed by the CSP), and opened, the result drawn for its kind — search hits that
// open file:line in the editor, a program's output with its exit code and its code highlighted, a
// model's answer as Markdown, file lines — and never the untrusted-data frame written for the model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { untrusted } from '../../src/core/tools/untrusted';
import { EventScript, msg } from './support/events';
import { openPanel, panelSuite } from './support/panelPage';

const suite = panelSuite();

function scenario(s: EventScript) {
  // A turn each: one card per row, with the room a card has in an editor-wide panel.
  let turn = 0;
  const started = (callId: string, tool: string, args: unknown, model?: string) =>
    s.ev('tool_call_started', { callId, turn: ++turn, tool, args, state: 'running', ...(model ? { model } : {}) });
  const hitsBody = 'src/config.ts (2 matches)\n  11- import x\n  12: export function parseConfig() {\n    --\n  40: parseConfig(raw)';
  return [
    s.ev('task_started', {
      question: 'Where is the config parsed?',
      dialect: 'general',
      orchestratorModel: 'orch',
      privacyMode: 'any',
      budgetDollars: 1,
    }),
    started('h1', 'search_workspace', { query: 'parseConfig', maxResults: 20 }),
    started('r1', 'run_code', { language: 'python', code: 'import sys\nprint("out")\nsys.exit(3)', timeoutSeconds: 10 }),
    started('m1', 'call_model', { model: 'coder', prompt: 'Explain parseConfig' }, 'coder'),
    started('f1', 'read_file', { path: 'src/config.ts', startLine: 11, endLine: 12 }),
    started('w1', 'web_search', { query: 'zod refine' }),
    s.ev('tool_call_finished', {
      callId: 'h1',
      tool: 'search_workspace',
      state: 'ok',
      preview: '',
      result: `Found 2 matches in 1 files for text "parseConfig".\n${untrusted('workspace files', hitsBody)}`,
      dollars: 0,
      latencyMs: 12,
      display: {
        kind: 'hits',
        summary: 'Found 2 matches in 1 files for text "parseConfig".',
        files: [
          {
            path: 'src/config.ts',
            matchCount: 2,
            lines: [
              { line: 11, text: 'import x', match: false },
              { line: 12, text: 'export function parseConfig() {', match: true },
              { line: 40, text: 'parseConfig(raw)', match: true },
            ],
          },
        ],
      },
    }),
    s.ev('tool_call_finished', {
      callId: 'r1',
      tool: 'run_code',
      state: 'error',
      preview: '',
      result: 'exit code 3 …',
      error: 'exit code 3',
      dollars: 0,
      latencyMs: 90,
      display: { kind: 'code', exitCode: 3, stdout: 'out\n', stderr: 'Traceback: boom\n', summary: 'exit code 3; 80 ms; sandboxed' },
    }),
    s.ev('tool_call_finished', {
      callId: 'm1',
      tool: 'call_model',
      model: 'coder',
      state: 'ok',
      preview: '',
      result: '[note: the reply was cut at the max-token limit]\nIt **parses** the file.',
      usage: { inputTokens: 1500, outputTokens: 200, estimated: false },
      dollars: 0.0031,
      latencyMs: 1400,
      display: { kind: 'markdown', text: 'It **parses** the file.', notes: ['[note: the reply was cut at the max-token limit]'] },
    }),
    s.ev('tool_call_finished', {
      callId: 'f1',
      tool: 'read_file',
      state: 'ok',
      preview: '',
      result: `src/config.ts: lines 11-12\n${untrusted('the workspace file src/config.ts', '11| import x\n12| export function parseConfig() {')}`,
      dollars: 0,
      latencyMs: 3,
      display: {
        kind: 'file',
        path: 'src/config.ts',
        startLine: 11,
        summary: 'src/config.ts: lines 11-12 of 80',
        text: 'import x\nexport function parseConfig() {',
      },
    }),
    // Recorded before cards had displays: the frame is taken off what is shown.
    s.ev('tool_call_finished', {
      callId: 'w1',
      tool: 'web_search',
      state: 'ok',
      preview: '',
      result: `1 web results for "zod refine" (brave):\n${untrusted('the web', '1. Zod docs\n   https://zod.dev\n   refine lets you…')}`,
      dollars: 0,
      latencyMs: 300,
    }),
  ];
}

test('one line per call with a codicon; opened, each result is drawn for its kind, never the frame written for the model', async () => {
  const p = await openPanel(suite.browser, suite.server, { width: 720, height: 1400 });
  try {
    const { page } = p;
    await p.send(scenario(new EventScript('t1')).map(msg));
    // The codicon font is the panel's own, allowed by its CSP, and loaded; no letter stands in for an icon.
    assert.equal(await page.evaluate(async () => (await document.fonts.ready, document.fonts.check('16px codicon'))), true);
    assert.ok(
      p.requests.some((u) => /\/dist\/webview\/codicon-\w+\.ttf/.test(u)),
      'the font is fetched from the bundle',
    );
    assert.deepEqual(
      p.errors.filter((e) => /Content Security Policy|Refused|Error/i.test(e)),
      [],
      'no CSP violation or page error',
    );
    const icons = await page
      .locator('.card .card-icon')
      .evaluateAll((els) => els.map((e) => ({ cls: e.className, text: e.textContent, font: getComputedStyle(e).fontFamily })));
    assert.deepEqual(
      icons.map((i) => i.cls.match(/codicon-([\w-]+)/)?.[1]),
      ['search', 'terminal', 'hubot', 'file', 'globe'],
    );
    for (const i of icons) assert.ok(i.text === '' && /codicon/.test(i.font), JSON.stringify(i));

    // One line each: name, summary, status and figures.
    const lines = await page.locator('.card-head').evaluateAll((els) => els.map((e) => Math.round(e.getBoundingClientRect().height)));
    const lineHeight = await page.evaluate(() => parseFloat(getComputedStyle(document.body).lineHeight));
    for (const hgt of lines) assert.ok(hgt < lineHeight * 1.9, `a card line is ${hgt} px tall`);
    const m1 = page.locator('.card[data-call-id="m1"]');
    assert.match(
      await m1.locator('.card-head').innerText(),
      /coder[\s\S]*prompt: "Explain parseConfig"[\s\S]*done[\s\S]*1\.5k in · 200 out[\s\S]*\$0\.0031[\s\S]*1\.4 s/,
    );
    assert.equal(
      await m1.locator('.card-summary').innerText(),
      'prompt: "Explain parseConfig"',
      'the model is named once, not again in the summary',
    );
    assert.match(await page.locator('.card[data-call-id="r1"] .card-state').innerText(), /^failed$/);

    // Open every card.
    for (const b of await page.locator('.card-toggle').all()) await b.click();

    // Search hits: links to file:line that ask the extension to open them.
    const h1 = page.locator('.card[data-call-id="h1"]');
    assert.equal(await h1.locator('.hit-line').count(), 3);
    assert.equal(await h1.locator('.hit.match').count(), 2);
    await h1.locator('.hit-line', { hasText: '40' }).click();
    await h1.locator('.hit-path').click();
    const opened = (await p.posted()).filter((m) => m.type === 'openFile');
    assert.deepEqual(opened, [
      { type: 'openFile', path: 'src/config.ts', line: 40 },
      { type: 'openFile', path: 'src/config.ts', line: 12 },
    ]);

    // Code: the program highlighted, its output with the exit code.
    const r1 = page.locator('.card[data-call-id="r1"]');
    assert.ok((await r1.locator('.card-code code.hljs span[class^="hljs-"]').count()) > 0, 'the program is highlighted');
    assert.match(await r1.locator('.card-args').innerText(), /"timeoutSeconds": 10/);
    assert.equal(await r1.locator('.card-exit').getAttribute('data-exit-code'), '3');
    assert.match(await r1.locator('.card-exit').innerText(), /exit code 3/);
    assert.equal(await r1.locator('.card-stdout').innerText(), 'out\n');
    assert.match(await r1.locator('.card-stderr').innerText(), /Traceback: boom/);

    // A model's answer as Markdown, the engine's note said plainly.
    assert.equal(await m1.locator('.card-md strong').innerText(), 'parses');
    assert.equal(await m1.locator('.card-note').innerText(), 'the reply was cut at the max-token limit');

    // File lines, highlighted, with a link to where they start.
    const f1 = page.locator('.card[data-call-id="f1"]');
    assert.equal(await f1.locator('.card-file').innerText(), 'import x\nexport function parseConfig() {');
    await f1.locator('.file-link').click();
    assert.deepEqual((await p.posted()).filter((m) => m.type === 'openFile').at(-1), { type: 'openFile', path: 'src/config.ts', line: 11 });

    // An older record without a display: the frame's note and fences are not shown, the content is.
    const w1 = page.locator('.card[data-call-id="w1"] .card-preview');
    assert.match(await w1.innerText(), /^1 web results for "zod refine" \(brave\):\n1\. Zod docs\n {3}https:\/\/zod\.dev/);

    const text = await page.locator('.conversation').innerText();
    assert.doesNotMatch(text, /untrusted|UNTRUSTED|<<<|\[note:/, 'nothing written for the model is shown');
  } finally {
    await p.close();
  }
});
