// The built panel in headless Chromium, fed recorded engine event streams through the same
// postMessage channel VS Code uses.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineEvent } from '../../src/core/protocol/events';
import type { PanelStatus } from '../../src/protocol/panel';
import { EventScript, mainScenario, msg, totals } from './support/events';
import { openPanel, type PanelPage, panelSuite } from './support/panelPage';

const READY_STATUS: PanelStatus = {
  privacyMode: 'any',
  budgetDollars: 0.5,
  sessionDollars: 0.0123,
  engine: { state: 'ready' },
  modelCount: 4,
  problems: [],
  orchestratorModel: 'orch-8b',
};

const suite = panelSuite();

async function withPanel(fn: (p: PanelPage) => Promise<void>, opts?: { width?: number; height?: number }): Promise<void> {
  const p = await openPanel(suite.browser, suite.server, opts);
  try {
    await fn(p);
    // The CSP must never have had to block anything the panel itself does.
    assert.deepEqual(
      p.errors.filter((e) => /Content Security Policy|Refused/i.test(e)),
      [],
    );
  } finally {
    await p.close();
  }
}

const events = (es: EngineEvent[]) => es.map(msg);

describe('panel: a task streamed live', () => {
  test('cards appear and move through their states; parallel calls grouped; subtasks nested; costs add up', async () => {
    await withPanel(async (p) => {
      const s = mainScenario();
      const { page } = p;
      assert.deepEqual((await p.posted())[0], { type: 'ready' });
      await p.send([{ type: 'status', status: READY_STATUS }, ...events(s.start)]);

      // The question with its attachment chip, the reasoning collapsed by default.
      assert.match(await page.locator('.task .question-text').innerText(), /parseConfig drop my second model/);
      assert.match(await page.locator('.task .chips .chip').innerText(), /config\.ts:120-140/);
      assert.equal(await page.locator('.turn[data-turn="1"] details.reasoning').getAttribute('open'), null);
      assert.match((await page.locator('.turn[data-turn="1"] .reasoning-text').textContent()) ?? '', /ask a code model at the same time\./);

      // Two calls of one turn: one group, marked parallel, side by side.
      const group = page.locator('.turn[data-turn="1"] .call-group');
      assert.equal(await group.getAttribute('data-count'), '2');
      assert.ok((await group.getAttribute('class'))?.includes('parallel'));
      const c1 = page.locator('.card[data-call-id="c1"]');
      const c2 = page.locator('.card[data-call-id="c2"]');
      assert.equal(await c1.getAttribute('data-state'), 'running');
      assert.equal(await c2.getAttribute('data-state'), 'queued');
      assert.match(await c1.locator('.card-state').innerText(), /running/);
      assert.equal(await c2.locator('.card-model').innerText(), 'coder-large');
      const [b1, b2] = [await c1.boundingBox(), await c2.boundingBox()];
      assert.ok(b1 && b2 && Math.abs(b1.y - b2.y) < 2 && b2.x > b1.x, 'parallel cards sit in one row');
      // Arguments: a one-line summary on the card's line, which opens the card to pretty JSON.
      assert.match(await c1.locator('.card-summary').innerText(), /query: "parseConfig"/);
      assert.equal(await c1.locator('.card-body').isVisible(), false, 'a card starts as one line');
      await c1.locator('.card-toggle').click();
      assert.equal(await c1.locator('.card-toggle').getAttribute('aria-expanded'), 'true');
      assert.match(await c1.locator('.card-args pre').innerText(), /"path": "src"/);

      await p.send(events(s.progress));
      assert.equal(await c1.getAttribute('data-state'), 'ok');
      assert.equal(await c2.getAttribute('data-state'), 'ok');
      assert.match(await c2.locator('.card-meta').innerText(), /1\.2k in · 340 out/);
      assert.equal(await c2.locator('.meta-dollars').getAttribute('data-dollars'), '0.0042');
      assert.match(await c2.locator('.meta-latency').innerText(), /2\.1 s/);
      // Result preview, expandable to the full result; ANSI colour codes are gone.
      const preview = await c1.locator('.card-preview').innerText();
      assert.ok(!preview.includes('\u001b') && !preview.includes('[31m'), 'ANSI escapes stripped');
      const more = c1.locator('.card-result button');
      assert.equal(await more.getAttribute('aria-expanded'), 'false');
      await more.click();
      assert.equal(await more.getAttribute('aria-expanded'), 'true');
      assert.match(await c1.locator('.card-preview').innerText(), /line 79/);
      // Live footer while running.
      assert.match(await page.locator('.task-footer .budget-left').innerText(), /\$0\.4951 of budget left/);

      // An approval inline, in the card of the call that waits for it.
      await p.send(events(s.approvalTurn));
      const approval = page.locator('.card[data-call-id="c3"] .approval[data-approval-id="a1"]');
      assert.match(await approval.innerText(), /Run Python code in the workspace/);
      assert.match(await approval.locator('pre').innerText(), /print\(sum\(range\(10\)\)\)/);
      await approval.getByRole('button', { name: 'Approve' }).click();
      const decisions = (await p.posted()).filter((m) => m.type === 'approve');
      assert.deepEqual(decisions, [{ type: 'approve', approvalId: 'a1', approved: true }]);
      assert.equal(await approval.getByRole('button', { name: 'Deny' }).isDisabled(), true);
      await p.send(events(s.approvalDone));
      assert.equal(await approval.getAttribute('data-decision'), 'approved');
      assert.equal(await page.locator('.card[data-call-id="c3"]').getAttribute('data-state'), 'ok');

      // Delegate: the subtasks' calls nested inside the delegate card, side by side.
      await p.send(events(s.delegateTurn));
      const d1 = page.locator('.card[data-call-id="d1"]');
      assert.equal(await d1.locator('.subtask').count(), 2);
      assert.equal(await d1.locator('.card[data-call-id="s1c1"]').count(), 1);
      assert.equal(await d1.locator('.card[data-call-id="s2c1"]').count(), 1);
      assert.match(await d1.locator('.subtask').first().locator('.subtask-question').innerText(), /Check the schema for id rules/);
      assert.match(await d1.locator('.subtask').first().locator('.subtask-footer').innerText(), /Subtask done · \$0\.0010/);
      const [s1, s2] = [await d1.locator('.subtask').nth(0).boundingBox(), await d1.locator('.subtask').nth(1).boundingBox()];
      assert.ok(s1 && s2 && Math.abs(s1.y - s2.y) < 2 && s2.x > s1.x, 'subtasks sit side by side');
      // The top-level groups hold only top-level calls.
      assert.equal(await page.locator('.task > .scope-body > .turn > .call-group > .card').count(), 4);

      // Stream the answer in several frames, then finish.
      const half = Math.floor(s.answer.length / 2);
      await p.send(events(s.answer.slice(0, half)));
      assert.equal(await page.locator('.answer').getAttribute('aria-busy'), 'true');
      await p.screenshot('task-streaming-dark');
      await p.send(events(s.answer.slice(half)));
      assert.equal(await page.locator('.task').getAttribute('data-state'), 'done');
      assert.equal(await page.locator('.answer').getAttribute('aria-busy'), null);
      assert.equal(await page.locator('.answer h2').innerText(), 'What happens');
      assert.equal(await page.locator('.answer ol > li').count(), 2);
      assert.equal((await page.locator('.answer .code-block[data-language="ts"] pre').innerText()).trimEnd(), s.code);
      assert.ok((await page.locator('.answer .code-block .hljs-keyword').count()) > 0, 'code is highlighted');

      // Footer: totals from the engine, and a per-model chart that adds up to the same total.
      const footer = page.locator('.task-footer');
      assert.equal(await footer.locator('.total-dollars').getAttribute('data-dollars'), String(s.totals.dollars));
      assert.match(await footer.locator('.total-dollars').innerText(), /~\$0\.0083/);
      assert.match(await footer.locator('.total-calls').innerText(), /6 calls/);
      assert.match(await footer.locator('.total-tokens').innerText(), /3\.0k tokens \(2\.4k in \/ 640 out\)/);
      assert.match(await footer.locator('.footer-models').innerText(), /orch-8b, coder-large, small-a, small-b/);
      assert.match(await footer.locator('.footer-data').innerText(), /sent to api\.example\.com/);
      const rows = await footer
        .locator('.cost-chart li')
        .evaluateAll((lis) => lis.map((li) => [li.getAttribute('data-model'), Number(li.getAttribute('data-dollars'))] as const));
      const byModel = Object.fromEntries(rows);
      assert.equal(byModel['coder-large'], 0.0042);
      assert.equal(byModel['small-a'], 0.001);
      assert.equal(byModel['small-b'], 0.002);
      assert.ok(Math.abs(byModel['orch-8b (orchestrator)'] - 0.0011) < 1e-9);
      assert.ok(Math.abs(rows.reduce((a, [, d]) => a + d, 0) - s.totals.dollars) < 1e-9, 'chart sums to the task total');
      assert.equal(await page.locator('.task .stop-button').isHidden(), true);

      // Code block buttons post the code to the extension.
      await page.locator('.answer .code-block [data-code-action="insert"]').click();
      await page.locator('.answer .code-block [data-code-action="apply"]').click();
      await page.locator('.answer .code-block [data-code-action="copy"]').click();
      const codeMsgs = (await p.posted()).filter((m) => ['insertCode', 'applyCode', 'copy'].includes(String(m.type)));
      assert.deepEqual(codeMsgs, [
        { type: 'insertCode', code: s.code, language: 'ts' },
        { type: 'applyCode', code: s.code, language: 'ts' },
        { type: 'copy', text: s.code },
      ]);
      // Links go through the extension; the page never navigates.
      await page.locator('.answer a', { hasText: 'the zod docs' }).click();
      assert.deepEqual(
        (await p.posted()).filter((m) => m.type === 'openLink'),
        [{ type: 'openLink', url: 'https://zod.dev/api' }],
      );
      assert.ok(page.url().endsWith('/panel.html'));

      await p.screenshot('task-done-dark');
      await page.locator('.log').evaluate((el) => (el.scrollTop = 0));
      await p.screenshot('task-top-dark');
      await p.setTheme('light');
      await p.screenshot('task-done-light');
      await page.locator('.card[data-call-id="d1"]').scrollIntoViewIfNeeded();
      await p.screenshot('delegate-light');
    });
  });

  test('Stop posts cancel for the running task; calls left unfinished end as cancelled', async () => {
    await withPanel(async (p) => {
      const s = new EventScript('run-1');
      await p.send([
        { type: 'status', status: READY_STATUS },
        ...events([
          s.ev('task_started', {
            question: 'Long job',
            dialect: 'general',
            orchestratorModel: 'orch-8b',
            privacyMode: 'local-only',
            budgetDollars: 0.5,
          }),
          s.ev('turn_started', { turn: 1 }),
          s.ev('tool_call_started', {
            callId: 'x1',
            turn: 1,
            tool: 'call_model',
            model: 'local-7b',
            args: { task: 'think' },
            state: 'running',
          }),
        ]),
      ]);
      const stop = p.page.locator('.task .stop-button');
      assert.equal(await stop.isVisible(), true);
      await stop.click();
      assert.deepEqual(
        (await p.posted()).filter((m) => m.type === 'cancel'),
        [{ type: 'cancel', taskId: 'run-1' }],
      );
      assert.equal(await stop.isDisabled(), true);
      // The composer's Stop cancels the running task too.
      await p.page.locator('.composer .stop-all').click();
      assert.equal((await p.posted()).filter((m) => m.type === 'cancel').length, 2);
      await p.send(
        events([s.ev('error', { code: 'cancelled', message: 'Cancelled by the user.', totals: totals(0, 10, 0, 1, ['local-7b'], []) })]),
      );
      assert.equal(await p.page.locator('.card[data-call-id="x1"]').getAttribute('data-state'), 'cancelled');
      assert.match(await p.page.locator('.card[data-call-id="x1"] .card-state').innerText(), /stopped/);
      // Stopped by the user is neutral: not "failed", and what it cost so far stays shown.
      assert.equal(await p.page.locator('.task').getAttribute('data-state'), 'stopped');
      assert.equal(await p.page.locator('.task .task-state').innerText(), 'stopped');
      assert.equal(await p.page.locator('.task-error').getAttribute('role'), 'status');
      assert.match(await p.page.locator('.task-error').innerText(), /Stopped\. Cancelled by the user\./);
      assert.match(await p.page.locator('.total-tokens').innerText(), /10 tokens/);
      assert.match(await p.page.locator('.footer-data').innerText(), /Local only/);
      assert.equal(await p.page.locator('.composer .stop-all').isHidden(), true);
    });
  });

  test('the answer forms in view: streamed text shows at once; text taken back (reset) leaves the answer area', async () => {
    await withPanel(async (p) => {
      const s = new EventScript('stream-1');
      await p.send([
        { type: 'status', status: READY_STATUS },
        ...events([
          s.ev('task_started', { question: 'Q', dialect: 'general', orchestratorModel: 'orch-8b', privacyMode: 'any', budgetDollars: 0.5 }),
          s.ev('turn_started', { turn: 1 }),
          s.ev('answer_delta', { text: 'Let me read the file ' }),
        ]),
      ]);
      const answer = p.page.locator('.task .answer');
      await answer.getByText('Let me read the file').waitFor();
      // A tool call followed: the preamble leaves the answer area for the turn's reasoning row.
      await p.send(
        events([
          s.ev('answer_delta', { text: '', reset: true }),
          s.ev('orchestrator_delta', { turn: 1, text: 'Let me read the file ' }),
          s.ev('tool_call_started', { callId: 'r1', turn: 1, tool: 'read_file', args: { path: 'a' }, state: 'running' }),
        ]),
      );
      assert.equal((await answer.innerText()).trim(), '');
      assert.match((await p.page.locator('.turn[data-turn="1"] .reasoning-text').textContent()) ?? '', /Let me read the file/);
      await p.send(
        events([
          s.ev('tool_call_finished', {
            callId: 'r1',
            tool: 'read_file',
            state: 'ok',
            preview: 'x',
            result: 'x',
            dollars: 0,
            latencyMs: 3,
          }),
          s.ev('turn_started', { turn: 2 }),
          s.ev('answer_delta', { text: 'The file ' }),
          s.ev('answer_delta', { text: 'says x. ' }),
        ]),
      );
      await answer.getByText('The file says x.').waitFor();
      await p.send(events([s.ev('done', { answer: 'The file says x.', totals: totals(0, 10, 5, 2, ['orch-8b'], []) })]));
      assert.equal((await answer.innerText()).trim(), 'The file says x.');
      assert.equal(await p.page.locator('.task').getAttribute('data-state'), 'done');
    });
  });

  test("a card's Stop posts cancelCall for that call alone (tool calls and subtasks); the task keeps running", async () => {
    await withPanel(async (p) => {
      const s = new EventScript('run-2');
      await p.send([
        { type: 'status', status: READY_STATUS },
        ...events([
          s.ev('task_started', {
            question: 'Two things at once',
            dialect: 'general',
            orchestratorModel: 'orch-8b',
            privacyMode: 'local-only',
            budgetDollars: 0.5,
          }),
          s.ev('turn_started', { turn: 1 }),
          s.ev('tool_call_started', {
            callId: 'k1',
            turn: 1,
            tool: 'call_model',
            model: 'local-7b',
            args: { task: 'keep' },
            state: 'running',
          }),
          s.ev('tool_call_started', { callId: 'k2', turn: 1, tool: 'search_workspace', args: { query: 'slow' }, state: 'running' }),
          s.ev('tool_call_started', { callId: 'd1', turn: 1, tool: 'delegate', args: { subtasks: [{ task: 'sub' }] }, state: 'running' }),
          s.ev('tool_call_started', {
            callId: 'sub1',
            turn: 1,
            tool: 'subtask',
            model: 'local-7b',
            args: { task: 'sub' },
            state: 'running',
            parentCallId: 'd1',
          }),
        ]),
      ]);
      const card = p.page.locator('.card[data-call-id="k2"]');
      const stop = card.getByRole('button', { name: 'Stop search_workspace' });
      assert.equal(await stop.isVisible(), true);
      await stop.click();
      assert.deepEqual(
        (await p.posted()).filter((m) => m.type === 'cancelCall' || m.type === 'cancel'),
        [{ type: 'cancelCall', taskId: 'run-2', callId: 'k2' }],
        'only that call is cancelled, not the task',
      );
      assert.equal(await stop.isDisabled(), true);
      // The subtask card has its own Stop, scoped to it.
      await p.page.locator('.card[data-call-id="sub1"]').getByRole('button', { name: 'Stop subtask' }).first().click();
      assert.deepEqual((await p.posted()).filter((m) => m.type === 'cancelCall').at(-1), {
        type: 'cancelCall',
        taskId: 'run-2',
        callId: 'sub1',
      });

      await p.send(
        events([
          s.ev('tool_call_finished', {
            callId: 'k2',
            tool: 'search_workspace',
            state: 'cancelled',
            preview: '',
            result: '',
            error: 'cancelled by the user',
            dollars: 0,
            latencyMs: 900,
          }),
        ]),
      );
      assert.equal(await card.getAttribute('data-state'), 'cancelled');
      assert.equal(await stop.isHidden(), true, 'a finished card offers no Stop');
      assert.match(await card.locator('.card-error').innerText(), /cancelled by the user/);
      // The sibling and the task still run, each with its Stop.
      assert.equal(await p.page.locator('.card[data-call-id="k1"]').getAttribute('data-state'), 'running');
      assert.equal(await p.page.locator('.card[data-call-id="k1"]').getByRole('button', { name: 'Stop call_model' }).isVisible(), true);
      assert.equal(await p.page.locator('.task .stop-button').isVisible(), true);
    });
  });

  test('Deny posts a denial; an approval sent by the extension shows once', async () => {
    await withPanel(async (p) => {
      const s = new EventScript('ap-1');
      const approval = {
        approvalId: 'ap',
        taskId: 'ap-1',
        callId: 'k1',
        kind: 'paid_call' as const,
        title: 'Call gpt-big for about $0.12',
        detail: 'model: gpt-big\nprompt tokens: 12000',
      };
      await p.send([
        ...events([
          s.ev('task_started', { question: 'q', dialect: 'general', orchestratorModel: 'o', privacyMode: 'any', budgetDollars: 1 }),
          s.ev('tool_call_started', { callId: 'k1', turn: 1, tool: 'call_model', model: 'gpt-big', args: {}, state: 'queued' }),
        ]),
        { type: 'approval', approval },
        msg(
          s.ev('approval_requested', { approvalId: 'ap', callId: 'k1', kind: 'paid_call', title: approval.title, detail: approval.detail }),
        ),
      ]);
      assert.equal(await p.page.locator('.approval').count(), 1);
      await p.page.getByRole('button', { name: 'Deny' }).click();
      assert.deepEqual(
        (await p.posted()).filter((m) => m.type === 'approve'),
        [{ type: 'approve', approvalId: 'ap', approved: false }],
      );
    });
  });
});

describe('panel: hostile content renders inert', () => {
  test('scripts, javascript: links, event handlers, remote images and ANSI escapes do nothing', async () => {
    await withPanel(async (p) => {
      const remote = `${suite.server.origin}/remote-image.png`;
      const hostile = [
        '<script>window.__pwned = 1</script>',
        '[click me](javascript:window.__pwned=2)',
        '[upper](JAVASCRIPT:window.__pwned=2)',
        '[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
        '[vscode](command:workbench.action.openSettings)',
        `<img src="${remote}" onerror="window.__pwned=3">`,
        '',
        `![remote](${remote}?md)`,
        '',
        '![tracker](https://evil.invalid/pixel.png)',
        '',
        '<a href="#" onclick="window.__pwned=4">x</a> <svg onload="window.__pwned=5"></svg> <iframe src="https://evil.invalid"></iframe>',
        '',
        'Colours: \u001b[31mred\u001b[0m and \u001b]0;title\u0007done',
        '',
        '[safe link](https://example.com/docs) and https://example.org/auto',
        '',
        '```html',
        '<img src=x onerror="window.__pwned=6">',
        '```',
      ].join('\n');
      const s = new EventScript('evil');
      await p.send([
        ...events([
          s.ev('task_started', {
            question: '<img src=x onerror="window.__pwned=7"> \u001b[1mbold?',
            dialect: 'general',
            orchestratorModel: '<b>o</b>',
            privacyMode: 'any',
            budgetDollars: 1,
          }),
          s.ev('orchestrator_delta', { turn: 1, text: '<script>window.__pwned=8</script>' }),
          s.ev('tool_call_started', {
            callId: 'h1',
            turn: 1,
            tool: '<img src=x onerror=alert(1)>',
            model: '<script>',
            args: { code: '<script>window.__pwned=9</script>' },
            state: 'running',
          }),
          s.ev('approval_requested', {
            approvalId: 'h',
            callId: 'h1',
            kind: 'mcp_tool',
            title: '<img src=x onerror="window.__pwned=10">',
            detail: '<script>window.__pwned=11</script>',
            language: 'html',
          }),
          s.ev('tool_call_finished', {
            callId: 'h1',
            tool: 'x',
            state: 'error',
            error: '<img src=x onerror="window.__pwned=12">',
            preview: '\u001b[2J<b>p</b>',
            result: '\u001b[2J<b>p</b>',
            dollars: 0,
            latencyMs: 1,
          }),
        ]),
        ...events(
          Array.from({ length: Math.ceil(hostile.length / 23) }, (_, i) =>
            s.ev('answer_delta', { text: hostile.slice(i * 23, i * 23 + 23) }),
          ),
        ),
      ]);
      // Mid-stream (the open block is rendered too) and after the final render.
      await checkInert(p, remote);
      await p.send(events([s.ev('done', { answer: hostile, totals: totals(0, 1, 1, 1, [], []) })]));
      await checkInert(p, remote);
      assert.match(await p.page.locator('.answer').innerText(), /<script>window\.__pwned = 1<\/script>/, 'raw HTML is shown as text');
      assert.match(await p.page.locator('.answer').innerText(), /\[image not loaded: remote\]/);
      assert.match(await p.page.locator('.answer').innerText(), /Colours: red and done/);
      await p.page.locator('.answer a', { hasText: 'safe link' }).click();
      await p.page.locator('.answer a', { hasText: 'https://example.org/auto' }).click();
      // markdown-it refuses the javascript: link outright: it stays literal text, not a link.
      assert.equal(await p.page.locator('.answer a', { hasText: 'click me' }).count(), 0);
      assert.deepEqual(
        (await p.posted()).filter((m) => m.type === 'openLink'),
        [
          { type: 'openLink', url: 'https://example.com/docs' },
          { type: 'openLink', url: 'https://example.org/auto' },
        ],
      );
      await p.settle();
      assert.equal(await p.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
      await p.screenshot('hostile-dark');
    });
  });
});

async function checkInert(p: PanelPage, remote: string): Promise<void> {
  const { page } = p;
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined, 'no injected script ran');
  const report = await page.evaluate(() => {
    const all = Array.from(document.querySelectorAll('*'));
    return {
      handlers: all.flatMap((el) =>
        Array.from(el.attributes)
          .filter((a) => /^on/i.test(a.name))
          .map((a) => `${el.tagName}[${a.name}]`),
      ),
      scripts: document.querySelectorAll('script').length,
      embeds: document.querySelectorAll('#app img, #app iframe, #app object, #app embed, #app video, #app audio').length,
      foreignSvgs: Array.from(document.querySelectorAll('#app svg')).filter((s) => !s.classList.contains('cost-chart-bar')).length,
      badLinks: Array.from(document.querySelectorAll('#app a[href]'))
        .map((a) => a.getAttribute('href') ?? '')
        .filter((h) => !/^https?:\/\//i.test(h)),
      escapes: /[\u001b\u009b\u0007]/.test(document.body.innerText),
    };
  });
  assert.deepEqual(report.handlers, [], 'no element carries an event-handler attribute');
  assert.equal(report.scripts, 1, 'only the panel bundle is a script');
  assert.equal(report.embeds, 0, 'no images, frames or media elements');
  assert.equal(report.foreignSvgs, 0, 'no SVG from content');
  assert.deepEqual(report.badLinks, [], 'only http(s) links keep an href');
  assert.equal(report.escapes, false, 'no ANSI escapes in the page text');
  const unexpected = p.requests.filter(
    // The panel's own files: its page, bundle, stylesheet and the codicon font the stylesheet names.
    (u) =>
      !/\/(panel\.html|dist\/webview\/(panel\.(js|css)|codicon-\w+\.ttf))$/.test(new URL(u).pathname) || !u.startsWith(suite.server.origin),
  );
  assert.deepEqual(unexpected, [], 'no request besides the panel itself');
  assert.ok(!suite.server.hits.some((h) => h.startsWith('/remote-image')), `the remote image ${remote} was never fetched`);
}

describe('panel: state, history, controls', () => {
  test('the conversation survives a reload (setState), and New moves it into history that also survives', async () => {
    await withPanel(async (p) => {
      const s = mainScenario('keep');
      await p.send([
        { type: 'status', status: READY_STATUS },
        ...events([...s.start, ...s.progress, ...s.approvalTurn, ...s.approvalDone, ...s.delegateTurn, ...s.answer]),
      ]);
      const cards = await p.page.locator('.card').count();
      assert.equal(cards, 6);
      await p.page.locator('.question-input').fill('a draft question');
      // The panel saves a few times a second; wait until the finished task is in the saved state.
      await p.page.waitForFunction(() => {
        const saved = (window as unknown as { __savedStateJson(): string }).__savedStateJson();
        return saved.includes('"type":"done"') && saved.includes('a draft question');
      });
      await p.page.reload();
      await p.page.waitForSelector('.task');
      await p.settle();
      assert.equal(await p.page.locator('.card').count(), cards);
      assert.equal(await p.page.locator('.task').getAttribute('data-state'), 'done');
      assert.equal((await p.page.locator('.answer .code-block pre').innerText()).trimEnd(), s.code);
      assert.equal(await p.page.locator('.task-footer .total-dollars').getAttribute('data-dollars'), String(s.totals.dollars));
      assert.equal(await p.page.locator('.question-input').inputValue(), 'a draft question');
      assert.match(await p.page.locator('.session-spend').innerText(), /Session \$0\.0123/);

      await p.page.getByRole('button', { name: /New/ }).click();
      assert.ok((await p.posted()).some((m) => m.type === 'newConversation'));
      assert.equal(await p.page.locator('.task').count(), 0);
      assert.equal(await p.page.locator('.empty-state').isVisible(), true);
      // The extension keeps the conversation (its task journals) and answers with the new one and the history.
      const all = [...s.start, ...s.progress, ...s.approvalTurn, ...s.approvalDone, ...s.delegateTurn, ...s.answer];
      const summary = {
        id: 'c-keep',
        startedAt: Date.now() - 60_000,
        title: 'Why does parseConfig drop my second model entry?',
        dollars: 0.0083,
        taskCount: 1,
        models: ['orch-8b', 'coder-large'],
      };
      await p.send([
        {
          type: 'restore',
          current: { id: 'c-new', startedAt: Date.now(), title: '', dollars: 0, taskCount: 0, events: [] },
          history: [summary],
        },
      ]);
      await p.page.reload();
      await p.page.waitForSelector('.composer');
      await p.settle();
      assert.equal(await p.page.locator('.task').count(), 0);
      const historyButton = p.page.getByRole('button', { name: /History/ });
      assert.equal(await historyButton.innerText(), 'History (1)');
      await historyButton.click();
      const entry = p.page.locator('.history-list li').first();
      assert.match(await entry.innerText(), /parseConfig drop my second model entry/);
      assert.match(await entry.innerText(), /1 question · \$0\.0083 · orch-8b, coder-large/);
      await p.screenshot('history-dark');
      await entry.locator('.history-open').click();
      assert.deepEqual(
        (await p.posted()).filter((m) => m.type === 'openConversation'),
        [{ type: 'openConversation', conversationId: 'c-keep' }],
      );
      await p.send([{ type: 'conversation', record: { ...summary, events: all } }]);
      assert.equal(await p.page.locator('.card').count(), cards);
      assert.match(await p.page.locator('.viewing-banner').innerText(), /Earlier conversation/);
      assert.equal(await p.page.locator('.task .stop-button').count(), 0, 'history is read only');
      assert.equal(await p.page.locator('.task .edit-question').count(), 0, 'no editing in a conversation only shown');
      await p.page.getByRole('button', { name: 'Export Markdown' }).click();
      await p.page.getByRole('button', { name: 'Continue it' }).click();
      assert.deepEqual(
        (await p.posted()).filter((m) => m.type === 'exportConversation' || m.type === 'continueConversation'),
        [
          { type: 'exportConversation', conversationId: 'c-keep' },
          { type: 'continueConversation', conversationId: 'c-keep' },
        ],
      );
      await p.page.getByRole('button', { name: 'Back to current conversation' }).click();
      assert.equal(await p.page.locator('.task').count(), 0);
    });
  });

  test('the extension’s restore replaces what the panel shows', async () => {
    await withPanel(async (p) => {
      const a = mainScenario('old');
      const b = new EventScript('cur');
      const current = [
        b.ev('task_started', {
          question: 'Current question',
          dialect: 'general',
          orchestratorModel: 'o',
          privacyMode: 'any',
          budgetDollars: 1,
        }),
      ];
      const all = [...a.start, ...a.progress, ...a.answer];
      await p.send([
        {
          type: 'restore',
          current: { id: 'c-cur', startedAt: Date.now(), title: 'Current question', dollars: 0, taskCount: 1, events: current },
          history: [{ id: 'c-old', startedAt: Date.now() - 3600_000, title: 'Old one', dollars: 0.0083, taskCount: 1, events: all }],
        },
      ]);
      assert.equal(await p.page.locator('.task').count(), 1);
      assert.equal(await p.page.locator('.question-text').innerText(), 'Current question');
      assert.equal(await p.page.getByRole('button', { name: /History/ }).innerText(), 'History (1)');
      await p.page.getByRole('button', { name: /History/ }).click();
      await p.page.locator('.history-list li .history-delete').click();
      assert.deepEqual(
        (await p.posted()).filter((m) => m.type === 'deleteHistory'),
        [{ type: 'deleteHistory', conversationId: 'c-old' }],
      );
      assert.equal(await p.page.locator('.history-list li').count(), 0);
    });
  });

  test('conversation actions: context use, edit and resend, branches, retry with another orchestrator, Resume an interrupted task', async () => {
    await withPanel(async (p) => {
      const a = new EventScript('t1');
      const b = new EventScript('t2');
      const started = (s: EventScript, question: string) =>
        s.ev('task_started', { question, dialect: 'general', orchestratorModel: 'orch-8b', privacyMode: 'any', budgetDollars: 0.5 });
      const current = [
        started(a, 'How does X work?'),
        a.ev('turn_started', { turn: 1, contextTokens: 1234, contextWindow: 8192 }),
        a.ev('answer_delta', { text: 'X works like this.' }),
        a.ev('done', { answer: 'X works like this.', totals: totals(0.001, 1234, 20, 1, ['orch-8b'], []) }),
        started(b, 'And Y?'),
        b.ev('turn_started', { turn: 1, contextTokens: 7800, contextWindow: 8192 }),
        b.ev('cost_update', { totals: totals(0.002, 7800, 0, 1, ['orch-8b'], []), budgetLeft: 0.498 }),
        b.ev('error', { code: 'interrupted', message: 'the task did not finish', totals: totals(0.002, 7800, 0, 1, ['orch-8b'], []) }),
      ];
      await p.send([
        {
          type: 'status',
          status: {
            ...READY_STATUS,
            models: [
              {
                id: 'orch-8b',
                local: true,
                openWeights: true,
                roles: ['orchestrator'],
                inputPricePerMillion: 0,
                outputPricePerMillion: 0,
                eligible: true,
              },
              {
                id: 'big-orch',
                local: false,
                openWeights: false,
                roles: ['general'],
                inputPricePerMillion: 1,
                outputPricePerMillion: 2,
                eligible: true,
              },
            ],
          },
        },
        {
          type: 'restore',
          current: { id: 'c-act', startedAt: Date.now(), title: 'How does X work?', dollars: 0.003, taskCount: 2, events: current },
          history: [],
          branches: { t2: { siblings: ['t2x', 't2'], index: 1 } },
          resumable: ['t2'],
          recorded: true,
        },
      ]);
      const t1 = p.page.locator('.task[data-task-id="t1"]');
      const t2 = p.page.locator('.task[data-task-id="t2"]');
      assert.equal(await t1.locator('.task-context').innerText(), 'context 1.2k / 8.2k');
      assert.equal(await t2.locator('.task-context').getAttribute('data-level'), 'high');
      assert.equal(await t2.getAttribute('data-state'), 'interrupted');
      assert.match(await t2.locator('.task-error').innerText(), /Interrupted\./);
      assert.equal(await t2.locator('.branch-count').innerText(), '2/2');
      await p.screenshot('conversation-actions');

      // Branches: the previous answer to Q2.
      await t2.getByRole('button', { name: 'Previous answer' }).click();
      // Retry with another orchestrator.
      await t1.locator('.retry-model').selectOption('big-orch');
      await t1.locator('.retry-task').click();
      // Edit the first question and send it again.
      await t1.locator('.edit-question').click();
      await t1.locator('.question-edit').fill('How does X really work?');
      await t1.locator('.question-edit').press('Enter');
      assert.match(await p.page.locator('.pending-ask').innerText(), /How does X really work\?[\s\S]*Sending/);
      const posted = (await p.posted()).filter((m) => ['selectBranch', 'retry', 'ask'].includes(String(m.type)));
      assert.deepEqual(posted, [
        { type: 'selectBranch', taskId: 't2x' },
        { type: 'retry', taskId: 't1', orchestratorModel: 'big-orch' },
        { type: 'ask', question: 'How does X really work?', attachments: [], editOf: 't1' },
      ]);

      // Resume the interrupted task: its run starts over in place.
      await t2.locator('.resume-task').click();
      assert.deepEqual(
        (await p.posted()).filter((m) => m.type === 'resume'),
        [{ type: 'resume', taskId: 't2' }],
      );
      const r = new EventScript('t2');
      await p.send(
        events([
          started(r, 'And Y?'),
          r.ev('turn_started', { turn: 1, contextTokens: 7800, contextWindow: 8192 }),
          r.ev('answer_delta', { text: 'Y is the same. ' }),
          r.ev('done', { answer: 'Y is the same.', totals: totals(0.003, 9000, 30, 2, ['orch-8b'], []) }),
        ]),
      );
      assert.equal(await t2.getAttribute('data-state'), 'done');
      assert.equal(await t2.locator('.task-error').isHidden(), true);
      assert.equal(await t2.locator('.resume-task').isHidden(), true);
      assert.equal((await t2.locator('.answer').innerText()).trim(), 'Y is the same.');
      assert.equal(await p.page.locator('.task').count(), 2);
    });
  });

  test('empty and error states help: no model, engine down, settings problems', async () => {
    await withPanel(async (p) => {
      await p.send([
        {
          type: 'status',
          status: {
            ...READY_STATUS,
            modelCount: 0,
            engine: { state: 'down', message: 'The engine process exited 3 times in 3 minutes (exit code 1).' },
            problems: [{ path: 'models[1].baseUrl', message: 'Invalid URL' }],
          },
        },
      ]);
      const empty = p.page.locator('.empty-state');
      assert.match(await empty.innerText(), /No model configured yet/);
      await empty.getByRole('button', { name: 'Add model' }).click();
      await empty.getByRole('button', { name: 'Discover local servers' }).click();
      await p.page.locator('.banner.error').getByRole('button', { name: 'Retry' }).click();
      await p.page.locator('.banner.warning').getByRole('button', { name: 'Open settings' }).click();
      assert.match(await p.page.locator('.banner.error').innerText(), /exited 3 times/);
      assert.match(await p.page.locator('.banner.warning').innerText(), /models\[1\]\.baseUrl — Invalid URL/);
      assert.deepEqual(
        (await p.posted()).filter((m) => m.type === 'runCommand').map((m) => m.command),
        ['addModel', 'discover', 'retryEngine', 'openSettings'],
      );
      assert.equal(await p.page.locator('.send-button').isDisabled(), true);
      assert.match(await p.page.locator('.engine-state').innerText(), /Engine down/);
      await p.screenshot('empty-no-model-dark');
      await p.setTheme('light');
      await p.screenshot('empty-no-model-light');
    });
  });

  test('no model: the empty state offers the embedded runtime first and names local files that cannot run', async () => {
    await withPanel(async (p) => {
      await p.send([
        {
          type: 'status',
          status: {
            ...READY_STATUS,
            modelCount: 0,
            models: [],
            localModels: [
              {
                id: 'local:broken',
                file: '/models/broken.gguf',
                served: false,
                problem: 'not a GGUF model (the file does not start with "GGUF")',
              },
            ],
          },
        },
      ]);
      const empty = p.page.locator('.empty-state');
      assert.match(await empty.innerText(), /No model configured yet/);
      const buttons = await empty.locator('button').allInnerTexts();
      assert.deepEqual(buttons, ['Download a recommended model', 'Use a GGUF file on disk', 'Discover local servers', 'Add model']);
      assert.ok(
        (await empty.getByRole('button', { name: 'Download a recommended model' }).getAttribute('class'))?.includes('primary'),
        'the download is the first choice',
      );
      await empty.getByRole('button', { name: 'Download a recommended model' }).click();
      await empty.getByRole('button', { name: 'Use a GGUF file on disk' }).click();
      assert.deepEqual(
        (await p.posted()).filter((m) => m.type === 'runCommand').map((m) => m.command),
        ['downloadLocalModel', 'useLocalModelFile'],
      );
      const problem = empty.locator('.local-problems li[data-file="/models/broken.gguf"]');
      assert.match(await problem.innerText(), /broken\.gguf[\s\S]*not a GGUF model/);
      assert.equal(await p.page.locator('.send-button').isDisabled(), true);
      await p.screenshot('empty-embedded-offer-dark');
    });
  });

  test('the Models disclosure lists the pool and the local model files', async () => {
    await withPanel(async (p) => {
      await p.send([
        {
          type: 'status',
          status: {
            ...READY_STATUS,
            privacyMode: 'local-only',
            modelCount: 2,
            models: [
              {
                id: 'local:qwen',
                local: true,
                openWeights: true,
                roles: ['general', 'answer'],
                inputPricePerMillion: 0,
                outputPricePerMillion: 0,
                latencyMs: 850,
                eligible: true,
              },
              {
                id: 'cloud',
                local: false,
                openWeights: false,
                roles: ['code'],
                inputPricePerMillion: 1.25,
                outputPricePerMillion: 10,
                eligible: false,
                ineligibleReason: 'privacyMode local-only: cloud runs remotely',
              },
            ],
            localModels: [
              {
                id: 'local:qwen',
                file: '/models/qwen.gguf',
                served: true,
                sizeBytes: 1.1 * 1024 ** 3,
                architecture: 'qwen2',
                parameterLabel: '1.5B',
                quantization: 'Q4_K_M',
                trainedContextLength: 32768,
                fits: true,
                memorySummary: 'needs ~1.6 GB of 16.0 GB RAM',
              },
              {
                id: 'local:big',
                file: '/models/big.gguf',
                served: false,
                sizeBytes: 40 * 1024 ** 3,
                architecture: 'llama',
                fits: false,
                memorySummary: 'too large: needs ~45.0 GB but this machine has 16.0 GB RAM',
                problem: 'model too large for this machine',
              },
            ],
          },
        },
      ]);
      const toggle = p.page.locator('.models-toggle');
      assert.equal(await toggle.innerText(), 'Models (1/2)');
      assert.equal(await p.page.locator('.models-panel').isVisible(), false);
      await toggle.click();
      assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
      const panel = p.page.locator('.models-panel');
      assert.equal(await panel.isVisible(), true);
      const qwen = panel.locator('.pool-model[data-model-id="local:qwen"]');
      assert.match(await qwen.innerText(), /local[\s\S]*open weights[\s\S]*free[\s\S]*850 ms measured[\s\S]*may be called/);
      const cloud = panel.locator('.pool-model[data-model-id="cloud"]');
      assert.equal(await cloud.getAttribute('data-eligible'), 'false');
      assert.match(
        await cloud.innerText(),
        /remote[\s\S]*\$1\.25\/\$10 per M tokens[\s\S]*latency not measured yet[\s\S]*privacyMode local-only/,
      );
      const served = panel.locator('.local-model[data-file="/models/qwen.gguf"]');
      assert.equal(await served.getAttribute('data-served'), 'true');
      assert.match(
        await served.innerText(),
        /qwen\.gguf[\s\S]*serving[\s\S]*1\.1 GB · qwen2 1\.5B Q4_K_M · trained context 32,768 tokens[\s\S]*needs ~1\.6 GB/,
      );
      assert.match(
        await panel.locator('.local-model[data-file="/models/big.gguf"]').innerText(),
        /too large[\s\S]*model too large for this machine/,
      );
      await panel.getByRole('button', { name: 'Download a model' }).click();
      await panel.getByRole('button', { name: 'Use a GGUF file' }).click();
      assert.deepEqual(
        (await p.posted()).filter((m) => m.type === 'runCommand').map((m) => m.command),
        ['downloadLocalModel', 'useLocalModelFile'],
      );
      await p.screenshot('models-disclosure-dark');
      await panel.getByRole('button', { name: 'Close models' }).click();
      assert.equal(await panel.isVisible(), false);
      assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    });
  });

  test('controls: ask with attachments, privacy, budget', async () => {
    await withPanel(async (p) => {
      await p.send([
        { type: 'status', status: READY_STATUS },
        {
          type: 'compose',
          question: 'What does this do?',
          attachments: [{ kind: 'selection', path: 'src/a.ts', text: 'let x = 1;', language: 'typescript', startLine: 3, endLine: 4 }],
        },
      ]);
      assert.equal(await p.page.locator('.compose-chips .chip').count(), 1);
      assert.equal(await p.page.locator('.question-input').inputValue(), 'What does this do?');
      await p.page.locator('.question-input').press('Enter');
      const asks = (await p.posted()).filter((m) => m.type === 'ask');
      assert.deepEqual(asks, [
        {
          type: 'ask',
          question: 'What does this do?',
          attachments: [{ kind: 'selection', path: 'src/a.ts', text: 'let x = 1;', language: 'typescript', startLine: 3, endLine: 4 }],
        },
      ]);
      assert.equal(await p.page.locator('.question-input').inputValue(), '');
      assert.equal(await p.page.locator('.compose-chips .chip').count(), 0);
      // The question shows at once, before the engine answers.
      assert.match(await p.page.locator('.pending-ask').innerText(), /What does this do\?/);
      const s = new EventScript('asked');
      await p.send(
        events([
          s.ev('task_started', {
            question: 'What does this do?',
            dialect: 'general',
            orchestratorModel: 'o',
            privacyMode: 'any',
            budgetDollars: 1,
          }),
        ]),
      );
      assert.equal(await p.page.locator('.pending-ask').isHidden(), true);
      assert.match(await p.page.locator('.task .chips').innerText(), /a\.ts:3-4/, 'the attachment chip moves to the task');

      await p.page
        .getByRole('radiogroup', { name: 'Privacy mode' })
        .getByRole('radio', { name: /^Local only/ })
        .click();
      await p.page.locator('.budget-input').fill('1.25');
      await p.page.locator('.budget-input').press('Tab');
      const posted = await p.posted();
      assert.deepEqual(
        posted.filter((m) => m.type === 'setPrivacyMode'),
        [{ type: 'setPrivacyMode', mode: 'local-only' }],
      );
      assert.deepEqual(
        posted.filter((m) => m.type === 'setBudget'),
        [{ type: 'setBudget', dollars: 1.25 }],
      );
      // Keyboard: the controls are reachable with Tab and show a focus outline.
      await p.page.locator('.privacy-option[aria-checked="true"]').focus();
      await p.page.keyboard.press('Tab');
      assert.equal(await p.page.evaluate(() => document.activeElement?.className), 'budget-input');
    });
  });
});

describe('panel: a question that cannot start', () => {
  test('askFailed clears "Sending…", shows why, and gives the question back', async () => {
    await withPanel(async (p) => {
      await p.send([{ type: 'status', status: READY_STATUS }]);
      await p.page.locator('.question-input').fill('Will this start?');
      await p.page.locator('.question-input').press('Enter');
      assert.match(await p.page.locator('.pending-ask').innerText(), /Sending/);
      assert.equal(await p.page.locator('.question-input').inputValue(), '');
      await p.send([{ type: 'askFailed', message: 'could not start the task: the engine is down' }]);
      assert.equal(await p.page.locator('.pending-ask').isHidden(), true, 'no endless "Sending…"');
      const error = p.page.locator('.ask-error');
      assert.equal(await error.getAttribute('role'), 'alert');
      assert.match(await error.innerText(), /Not sent: could not start the task: the engine is down/);
      assert.equal(await p.page.locator('.question-input').inputValue(), 'Will this start?', 'the question comes back to be sent again');
      // The next question clears the message.
      await p.page.locator('.question-input').press('Enter');
      assert.equal(await error.isHidden(), true);
      assert.match(await p.page.locator('.pending-ask').innerText(), /Will this start\?/);
    });
  });
});

describe('panel: long conversations stay cheap', () => {
  test('200 cards and a 10,000-token answer: incremental rendering, no forced scroll', async () => {
    await withPanel(async (p) => {
      const s = new EventScript('big');
      const setup: EngineEvent[] = [
        s.ev('task_started', {
          question: 'Survey every module',
          dialect: 'general',
          orchestratorModel: 'orch-8b',
          privacyMode: 'any',
          budgetDollars: 5,
        }),
      ];
      for (let turn = 1; turn <= 20; turn++) {
        setup.push(s.ev('turn_started', { turn }));
        setup.push(s.ev('orchestrator_delta', { turn, text: `Turn ${turn}: ten reads at once.` }));
        for (let i = 0; i < 10; i++)
          setup.push(
            s.ev('tool_call_started', {
              callId: `b${turn}-${i}`,
              turn,
              tool: 'read_file',
              args: { path: `src/m${turn}/f${i}.ts` },
              state: 'running',
            }),
          );
        for (let i = 0; i < 10; i++)
          setup.push(
            s.ev('tool_call_finished', {
              callId: `b${turn}-${i}`,
              tool: 'read_file',
              state: 'ok',
              preview: `export const f${i} = ${turn};`,
              result: `export const f${i} = ${turn};\n`.repeat(50),
              dollars: 0,
              latencyMs: 3,
            }),
          );
      }
      await p.send([{ type: 'status', status: READY_STATUS }, ...events(setup)]);
      assert.equal(await p.page.locator('.card').count(), 200);
      assert.equal(await p.page.locator('.call-group.parallel[data-count="10"]').count(), 20);

      // ~10,000 tokens (~40,000 characters) of Markdown, streamed in small deltas over many frames.
      const paragraphs: string[] = [];
      for (let i = 0; paragraphs.join('\n\n').length < 40_000; i++) {
        paragraphs.push(
          i % 7 === 3
            ? `\`\`\`ts\nexport function step${i}(x: number): number {\n  return x * ${i};\n}\n\`\`\``
            : `Paragraph ${i}: the module m${i % 20} exports ${i} functions, and **each** one is covered by a test in \`test/m${i % 20}\`.`,
        );
      }
      const answer = paragraphs.join('\n\n');
      const deltas: EngineEvent[] = [];
      for (let i = 0; i < answer.length; i += 16) deltas.push(s.ev('answer_delta', { text: answer.slice(i, i + 16) }, 1));
      for (let i = 0; i < deltas.length; i += 100) await p.send(events(deltas.slice(i, i + 100)));
      const stats = await p.page.evaluate(
        () =>
          (
            window as unknown as {
              __orchestraPanel: { stats: { streamingRenders: number; fullRenders: number; maxStreamingParseChars: number } };
            }
          ).__orchestraPanel.stats,
      );
      assert.ok(stats.streamingRenders > 10, 'the answer rendered while streaming');
      assert.ok(
        stats.streamingRenders < deltas.length,
        `deltas are batched per frame (${stats.streamingRenders} renders for ${deltas.length} deltas)`,
      );
      assert.ok(
        // Blocks are committed a few KB at a time (more arrive per frame on a busy machine), never the whole answer.
        stats.maxStreamingParseChars < answer.length / 8,
        `no streaming render re-parsed the whole answer (largest: ${stats.maxStreamingParseChars} of ${answer.length} chars)`,
      );
      assert.equal(stats.fullRenders, 0);
      await p.send(events([s.ev('done', { answer, totals: totals(0, 20_000, 10_000, 200, ['orch-8b'], []) })]));
      const after = await p.page.evaluate(
        () => (window as unknown as { __orchestraPanel: { stats: { fullRenders: number } } }).__orchestraPanel.stats,
      );
      assert.equal(after.fullRenders, 0, 'no whole-answer render at the end');
      assert.match(
        await p.page.locator('.answer').innerText(),
        new RegExp(`Paragraph ${paragraphs.length - 1}:|step${paragraphs.length - 1}`),
      );

      // Scrolled up: new content must not pull the view down.
      const log = p.page.locator('.log');
      await log.evaluate((el) => (el.scrollTop = 0));
      const s2 = new EventScript('big2');
      await p.send(
        events([
          s2.ev('task_started', {
            question: 'Another one',
            dialect: 'general',
            orchestratorModel: 'orch-8b',
            privacyMode: 'any',
            budgetDollars: 5,
          }),
          s2.ev('tool_call_started', { callId: 'n1', turn: 1, tool: 'search_workspace', args: { query: 'x' }, state: 'running' }),
        ]),
      );
      assert.equal(await log.evaluate((el) => el.scrollTop), 0, 'no forced scroll while the user reads above');
      // The earlier task folded its 200 cards away when the new one started.
      assert.ok((await p.page.locator('.task[data-task-id="big"]').getAttribute('class'))?.includes('calls-hidden'));
      // At the bottom: the view follows new content.
      await log.evaluate((el) => (el.scrollTop = el.scrollHeight));
      await p.send(events(Array.from({ length: 30 }, (_, i) => s2.ev('answer_delta', { text: `Line ${i} of the new answer.\n\n` }))));
      const atBottom = await log.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 48);
      assert.equal(atBottom, true, 'sticks to the bottom when already there');
    });
  });
});
