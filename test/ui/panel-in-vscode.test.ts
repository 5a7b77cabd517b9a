// The panel inside the real VS Code, driven as a person would: the workbench (VS Code server from the
// code-server package) in headless Chromium, the Orchestra view opened from the activity bar, a question
// typed into the panel, the task's tool cards, an inline approval and the answer streamed from the
// project's scripted model server over real HTTP; then `@orchestra` asked in VS Code's Chat view; the
// composer's orchestrator picker and privacy switch writing the settings; last, the panel at 280 and
// 800 px in the dark, light and high-contrast themes. Screenshots go to test-artifacts/ui/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Frame, Page } from 'playwright-core';
import { startModelServer, type ModelServer } from '../support/model-server';
import { launchChromium } from '../support/chromium';
import { resizeSideBar, setColorTheme, settingsFiles } from './support/workbench';

const root = resolve(__dirname, '../../..');
const artifacts = join(root, 'test-artifacts/ui');
interface VsCodeServer {
  port: number;
  url: string;
  stop(): void;
}
let vscodeServerModule: { startVsCodeServer(o: object): Promise<VsCodeServer>; workbenchUrl(port: number, o: object): string };

let models: ModelServer;
let vscode: VsCodeServer;
let browser: Browser;
let page: Page;
let scratch: string;

async function panelFrame(p: Page, timeoutMs = 60_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const f of p.frames())
      if (
        await f
          .locator('.question-input')
          .count()
          .catch(() => 0)
      )
        return f;
    await p.waitForTimeout(250);
  }
  await p.screenshot({ path: join(artifacts, 'panel-missing.png') }).catch(() => {});
  throw new Error('the Orchestra panel did not render its question box (screenshot: test-artifacts/ui/panel-missing.png)');
}

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  vscodeServerModule = await import(join(root, 'scripts/vscode-server.mjs'));
  models = await startModelServer({ usage: true });
  // The orchestrator (general dialect) reads the workspace with two parallel calls, asks to run code,
  // then answers; the expert model is never needed.
  models.setHandler('orch', (body) => {
    const toolResults = (body.messages as Array<{ role: string }>).filter((m) => m.role === 'tool').length;
    if (toolResults === 0) {
      return {
        toolCalls: [
          { name: 'search_workspace', arguments: { query: 'def fib' } },
          { name: 'read_file', arguments: { path: 'src/math.py' } },
        ],
      };
    }
    if (toolResults === 2)
      return {
        toolCalls: [{ name: 'run_code', arguments: { language: 'python', code: 'exec(open("src/math.py").read())\nprint(fib(90))' } }],
      };
    return {
      toolCalls: [{ name: 'answer', arguments: { answer: '`fib(90)` is **2880067194370816120**.\n\n```python\nprint(fib(90))\n```' } }],
    };
  });
  scratch = mkdtempSync(join(tmpdir(), 'orchestra-ui-'));
  cpSync(join(root, 'test/integration/fixtures/workspace'), join(scratch, 'workspace'), { recursive: true });
  vscode = await vscodeServerModule.startVsCodeServer({
    userDataDir: join(scratch, 'user-data'),
    extensionsDir: join(scratch, 'extensions'),
    // A chat model provider: the Chat view sends a participant's requests only when a model is there.
    extensions: [join(root, 'test/extensions/scripted-models')],
    settings: {
      'orchestra.models': [
        {
          id: 'orch',
          baseUrl: models.url,
          model: 'orch',
          roles: ['orchestrator'],
          openWeights: true,
          description: 'scripted orchestrator',
        },
        // A second orchestrator, picked in the composer; and a remote model local-only excludes.
        { id: 'orch-b', baseUrl: models.url, model: 'orch-b', roles: ['orchestrator'], openWeights: true },
        { id: 'cloud', baseUrl: 'https://models.example.invalid/v1', model: 'cloud', roles: ['general'] },
        // Paid experts for the conversation and Resume tests (the first tests never call them).
        {
          id: 'fast',
          baseUrl: models.url,
          model: 'fast',
          roles: ['general'],
          openWeights: true,
          inputPricePerMillion: 1,
          outputPricePerMillion: 2,
        },
        {
          id: 'slow',
          baseUrl: models.url,
          model: 'slow',
          roles: ['general'],
          openWeights: true,
          inputPricePerMillion: 1,
          outputPricePerMillion: 2,
        },
      ],
      'orchestra.orchestrator.dialect': 'general',
    },
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(vscodeServerModule.workbenchUrl(vscode.port, { folder: join(scratch, 'workspace'), extensionDevelopmentPath: root }));
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
});

after(async () => {
  await browser?.close().catch(() => {});
  vscode?.stop();
  await models?.close();
  if (scratch && !process.env.ORCHESTRA_KEEP_SCRATCH) rmSync(scratch, { recursive: true, force: true });
});

test('the Orchestra view opens from the activity bar and renders the panel', async () => {
  await page.locator('.activitybar [aria-label^="Orchestra"]').first().click({ timeout: 60_000 });
  const frame = await panelFrame(page);
  assert.equal(await frame.locator('.question-input').isVisible(), true);
  await page.screenshot({ path: join(artifacts, 'panel-open.png') });
});

test('a question typed in the panel runs a task: parallel cards, an inline approval, the answer and its cost', async () => {
  const frame = await panelFrame(page);
  await frame.locator('.question-input').fill('What is fib(90)? Check it by running the code.');
  await frame.locator('.question-input').press('Enter');

  // Two calls of the first turn, grouped side by side, then run_code waiting for approval.
  const approve = frame.getByRole('button', { name: /^Approve/ });
  await approve.waitFor({ timeout: 60_000 });
  assert.equal(await frame.getByText('fib(90)', { exact: false }).first().isVisible(), true);
  await page.screenshot({ path: join(artifacts, 'panel-approval.png') });
  await approve.click();

  // The number shows in the run_code card while the process still runs; the task is over when the
  // answer holds it and the card has settled.
  await frame.locator('.answer', { hasText: '2880067194370816120' }).first().waitFor({ timeout: 60_000 });
  await frame
    .locator('.card[data-tool="run_code"][data-state="ok"]')
    .first()
    .waitFor({ timeout: 30_000 })
    .catch(async (err: Error) => {
      throw new Error(`the run_code card never showed done: ${JSON.stringify(await frame.locator('.card').allInnerTexts())}`, {
        cause: err,
      });
    });
  const cards = await frame.locator('.card').count();
  assert.ok(cards >= 3, `expected at least 3 tool cards, saw ${cards}`);
  const cardText = await frame.locator('.card').allInnerTexts();
  for (const tool of ['search_workspace', 'read_file', 'run_code']) {
    assert.ok(
      cardText.some((t) => t.includes(tool)),
      `a card for ${tool}`,
    );
  }
  // The first turn's two calls ran at once: one group, marked parallel, holding both cards.
  const firstTurnGroup = frame.locator('.turn[data-turn="1"] .call-group.parallel');
  assert.equal(await firstTurnGroup.count(), 1, 'the first turn has one parallel group');
  const parallelCards = await firstTurnGroup.locator('.card').allInnerTexts();
  assert.equal(parallelCards.length, 2, `parallel group cards: ${JSON.stringify(parallelCards)}`);
  assert.ok(
    parallelCards.some((t) => t.includes('search_workspace')) && parallelCards.some((t) => t.includes('read_file')),
    JSON.stringify(parallelCards),
  );
  await page.screenshot({ path: join(artifacts, 'panel-answer.png') });
  // run_code really ran in the workspace: its card, opened, shows the number the program printed and its exit code.
  const run = frame.locator('.card[data-tool="run_code"]').first();
  await run.locator('.card-toggle').click();
  await run.locator('.card-exit').waitFor({ timeout: 10_000 });
  const runCard = await run.innerText();
  assert.match(runCard, /done/i, `run_code card: ${runCard}`);
  assert.match(runCard, /2880067194370816120/, `run_code card: ${runCard}`);
  assert.equal(await run.locator('.card-exit').getAttribute('data-exit-code'), '0', `run_code card: ${runCard}`);
  assert.doesNotMatch(
    await frame.locator('.conversation').innerText(),
    /untrusted data|UNTRUSTED CONTENT/,
    'no frame written for the model',
  );
  // The orchestrator model was called three times over HTTP, each with the tool results of the turn before.
  assert.equal(models.requestsFor('orch').length, 3);
});

const CANARY = 'sk-orchestra-canary-0123456789abcdefXYZ';

test('an API key set through the command palette goes to SecretStorage and reaches only the model endpoint', async () => {
  // Point the orchestrator at a model id whose key we set as a person would: F1, the command, the model, the key.
  await page.keyboard.press('F1');
  await page.keyboard.type('Orchestra: Set API key');
  await page.waitForTimeout(400);
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').getByText('orch', { exact: true }).first().waitFor({ timeout: 20_000 });
  await page.keyboard.type('orch');
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget input[type="password"]').waitFor({ timeout: 20_000 });
  await page.keyboard.type(CANARY);
  await page.keyboard.press('Enter');
  await page.waitForTimeout(500);

  const before = models.requestsFor('orch').length;
  models.setHandler('orch', () => ({ content: 'Plain answer with the key in use.' }));
  const frame = await panelFrame(page);
  await frame.locator('.question-input').fill('Say hello.');
  await frame.locator('.question-input').press('Enter');
  await frame.locator('.answer', { hasText: 'Plain answer with the key in use.' }).first().waitFor({ timeout: 60_000 });
  const reqs = models.requestsFor('orch');
  assert.ok(reqs.length > before);
  assert.equal(reqs[reqs.length - 1].headers.authorization, `Bearer ${CANARY}`, 'the key reached the model endpoint');
  // …and nowhere a person or another process could read it: not the webview, not the settings files.
  for (const f of page.frames()) {
    const html = await f.content().catch(() => '');
    assert.ok(!html.includes(CANARY), `the key appears in a frame (${f.url()})`);
  }
  const files = settingsFiles(join(scratch, 'user-data'));
  assert.ok(files.length > 0);
  for (const f of files) assert.ok(!readFileSync(f, 'utf8').includes(CANARY), `the key is in ${f}`);
  await page.screenshot({ path: join(artifacts, 'panel-api-key.png') });
});

/** Waits for `locator`; on failure saves a screenshot named `name` before failing. */
async function shownOrShot(locator: ReturnType<Page['locator']>, name: string, timeout = 60_000): Promise<void> {
  try {
    await locator.waitFor({ timeout });
  } catch (err) {
    await page.screenshot({ path: join(artifacts, `${name}.png`) });
    throw err;
  }
}

test('@orchestra in the Chat view: progress, the answer with its references, a button to the task tree, a follow-up question', async () => {
  models.setHandler('orch', (body) => {
    const messages = body.messages as Array<{ role: string; content: string }>;
    const results = messages.filter((m) => m.role === 'tool').length;
    const question = messages.find((m) => m.role === 'user')?.content ?? '';
    if (/How fast/.test(question)) {
      // The second question carries the first turn, so it stands on its own for the orchestrator.
      const answer = /Earlier in this conversation:[\s\S]*Where is fib defined\?/.test(question)
        ? 'That `fib` is exponential: **O(2^n)** calls.'
        : 'the question lost its conversation';
      return { toolCalls: [{ name: 'answer', arguments: { answer } }] };
    }
    if (results === 0) return { toolCalls: [{ name: 'read_file', arguments: { path: 'src/math.py' } }] };
    // A slow last turn: the progress of the read stays on screen meanwhile.
    const answer = '`fib` is defined in **src/math.py**; it adds the two numbers before it.';
    return { latencyMs: 3000, toolCalls: [{ name: 'answer', arguments: { answer } }] };
  });
  await page.keyboard.press('F1');
  await page.keyboard.type('Chat: Open Chat');
  await page.waitForTimeout(400);
  await page.keyboard.press('Enter');
  const input = page.locator('.interactive-input-part [role="textbox"]').first();
  const send = async (text: string) => {
    await input.waitFor({ timeout: 30_000 });
    // Placeholder decorations lie over the editor: focus it as the keyboard would.
    await input.focus();
    await page.keyboard.press('Control+A');
    await page.keyboard.type(text);
    await page.keyboard.press('Enter');
  };
  await send('@orchestra Where is fib defined?');

  const responses = page.locator('.interactive-item-container.interactive-response');
  const first = responses.nth(0);
  // Progress while it works: the tool call in words; then the answer.
  await shownOrShot(first.getByText('Reading src/math.py').first(), 'chat-no-progress');
  await shownOrShot(first.getByText('it adds the two numbers before it'), 'chat-no-answer');
  // The chat view types the text out: the totals and the button come last.
  await shownOrShot(first.getByRole('button', { name: 'Open the task tree in Orchestra' }), 'chat-no-button');
  const text = await first.innerText();
  // The answer as Markdown (bold rendered, not asterisks), then the task's totals.
  assert.equal(await first.locator('strong', { hasText: 'src/math.py' }).count(), 1, text);
  assert.match(text, /Orchestra · \$0 · \d+ calls · models orch · nothing left this machine/);
  // The file it read is listed as a reference.
  assert.match(text, /Used 1 reference/, text);
  await page.screenshot({ path: join(artifacts, 'chat-answer.png') });

  // The button opens the task's full tree in the Orchestra panel.
  await first.getByRole('button', { name: 'Open the task tree in Orchestra' }).click();
  const frame = await panelFrame(page);
  const task = frame.locator('.task.revealed');
  await task.waitFor({ timeout: 20_000 });
  assert.match(await task.innerText(), /Where is fib defined\?/);
  assert.ok((await task.locator('.card').allInnerTexts()).some((t) => t.includes('read_file')));
  await page.screenshot({ path: join(artifacts, 'chat-task-tree.png') });

  // A follow-up question in the same chat knows what came before. (VS Code without a default chat
  // agent, as code-server ships, neither titles a session after its first request nor renders
  // follow-up suggestions: the first response ends with that error below Orchestra's answer.)
  await send('@orchestra How fast is it?');
  await shownOrShot(responses.nth(1).getByText('O(2^n)'), 'chat-no-second-answer');
  await page.screenshot({ path: join(artifacts, 'chat-second.png') });
});

test('a general-dialect answer forms in view: its first words are on screen before the server sends its last token', async () => {
  const words = Array.from({ length: 80 }, (_, i) => `word${i}`).join(' ');
  models.setHandler('orch', () => ({ content: `Streaming answer begins here: ${words} end.`, tokensPerSecond: 8 }));
  const frame = await panelFrame(page);
  // A conversation of its own: the Chat view's tasks before it belong to the current one.
  await newConversation(frame);
  await frame.locator('.question-input').fill('Stream me an answer.');
  await frame.locator('.question-input').press('Enter');
  const answer = frame.locator('.task').last().locator('.answer');
  await answer.getByText('Streaming answer begins here').waitFor({ timeout: 60_000 });
  const request = models.requestsFor('orch').at(-1)!;
  assert.equal(request.finishedAt, undefined, 'the first words were visible while the server was still sending');
  await page.screenshot({ path: join(artifacts, 'panel-answer-streaming.png') });
  await answer.getByText('word79 end.').waitFor({ timeout: 60_000 });
  // The answer is in the answer area, not in the (collapsed) reasoning row.
  assert.equal(await frame.locator('.task').last().locator('.reasoning').count(), 0);
});

/** The last user message of a request: the question the orchestrator is answering now. */
function lastQuestion(body: { messages: Array<{ role: string; content: unknown }> }): string {
  const content = body.messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
  return typeof content === 'string' ? content : JSON.stringify(content);
}

async function newConversation(frame: Frame): Promise<void> {
  await frame.getByRole('button', { name: /New/ }).click();
  await frame.locator('.task').first().waitFor({ state: 'detached', timeout: 30_000 });
}

test('a follow-up continues the conversation: the first answer is in the second request', async () => {
  const frame = await panelFrame(page);
  await newConversation(frame);
  models.setHandler('orch', (body) => {
    const text = JSON.stringify(body.messages);
    if (lastQuestion(body).startsWith('Which city is the capital of France'))
      return { toolCalls: [{ name: 'answer', arguments: { answer: 'Paris is the capital of France.' } }] };
    // The follow-up's scripted answer needs the first answer: it is only right when that is in the request.
    const knows = text.includes('Which city is the capital of France') && text.includes('Paris is the capital of France.');
    return {
      toolCalls: [{ name: 'answer', arguments: { answer: knows ? 'About 2.1 million people live in Paris.' : 'Which city do you mean?' } }],
    };
  });
  await frame.locator('.question-input').fill('Which city is the capital of France?');
  await frame.locator('.question-input').press('Enter');
  await frame.locator('.task[data-state="done"] .answer', { hasText: 'Paris is the capital of France.' }).waitFor({ timeout: 60_000 });
  await frame.locator('.question-input').fill('How many people live there?');
  await frame.locator('.question-input').press('Enter');
  await frame.locator('.task .answer', { hasText: 'About 2.1 million people live in Paris.' }).waitFor({ timeout: 60_000 });
  const second = models.requestsFor('orch').at(-1)!.body;
  assert.match(JSON.stringify(second.messages), /Paris is the capital of France\./);
  assert.equal(await frame.locator('.task').count(), 2, 'both questions in one conversation');
  await page.screenshot({ path: join(artifacts, 'panel-follow-up.png') });
});

test('a reload mid-task: the panel shows the task as it was, with its cost; Resume finishes it without repeating a paid call', async () => {
  let frame = await panelFrame(page);
  await newConversation(frame);
  const before = {
    orch: models.requestsFor('orch').length,
    fast: models.requestsFor('fast').length,
    slow: models.requestsFor('slow').length,
  };
  models.setHandler('orch', (body) => {
    const results = (body.messages as Array<{ role: string }>).filter((m) => m.role === 'tool').length;
    if (results === 0)
      return {
        toolCalls: [
          { name: 'call_model', arguments: { model: 'fast', task: 'the quick half' } },
          { name: 'call_model', arguments: { model: 'slow', task: 'the slow half' } },
        ],
      };
    return { toolCalls: [{ name: 'answer', arguments: { answer: 'Both halves are done: quick and slow.' } }] };
  });
  models.setHandler('fast', () => ({ content: 'Quick half done.' }));
  let slowCalls = 0;
  models.setHandler('slow', () =>
    ++slowCalls === 1 ? { content: 'working '.repeat(2000), tokensPerSecond: 4 } : { content: 'Slow half done.' },
  );
  await frame.locator('.question-input').fill('Do both halves.');
  await frame.locator('.question-input').press('Enter');
  // Mid-task: the orchestrator's turn and the fast expert answered (and were paid for); the slow one streams.
  const deadline = Date.now() + 60_000;
  while (!(models.requestsFor('fast').length > before.fast && models.requestsFor('slow').length > before.slow)) {
    assert.ok(Date.now() < deadline, 'the task never got under way');
    await page.waitForTimeout(100);
  }
  await frame.locator('.card[data-tool="call_model"][data-state="ok"]').first().waitFor({ timeout: 30_000 });

  // Reload the window as a person would: F1, Developer: Reload Window.
  await page.keyboard.press('F1');
  await page.keyboard.type('Developer: Reload Window');
  await page.waitForTimeout(400);
  await page.keyboard.press('Enter');
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  const slowRequest = models.requestsFor('slow').at(-1)!;
  while (slowRequest.finishedAt === undefined) {
    assert.ok(Date.now() < deadline + 60_000, 'the reload did not end the running request');
    await page.waitForTimeout(100);
  }
  await page.locator('.activitybar [aria-label^="Orchestra"]').first().click({ timeout: 60_000 });
  frame = await panelFrame(page);
  const task = frame.locator('.task').last();
  await task.locator('.resume-task').waitFor({ timeout: 60_000 });
  assert.equal(await task.getAttribute('data-state'), 'interrupted');
  assert.equal(await task.locator('.card[data-tool="call_model"]').count(), 2, 'the tree as it was');
  assert.ok(Number(await task.locator('.total-dollars').getAttribute('data-dollars')) > 0, 'with what it cost');
  await page.screenshot({ path: join(artifacts, 'panel-interrupted.png') });

  await task.locator('.resume-task').click();
  // Done, not only answered: the answer streams in before the task's end arrives.
  await frame.locator('.task[data-state="done"] .answer', { hasText: 'Both halves are done' }).waitFor({ timeout: 60_000 });
  assert.equal(await frame.locator('.task').last().getAttribute('data-state'), 'done');
  // The server's request log: nothing that answered was asked again; the interrupted call was.
  assert.equal(models.requestsFor('orch').length - before.orch, 2, "the orchestrator's first turn once, then its second");
  assert.equal(models.requestsFor('fast').length - before.fast, 1, 'the answered expert call was not repeated');
  assert.equal(models.requestsFor('slow').length - before.slow, 2, 'the interrupted call ran again');
  await page.screenshot({ path: join(artifacts, 'panel-resumed.png') });
});

test('invalid settings: the panel names the misspelt key, cannot send, and runs again once it is fixed', async () => {
  // What a person types by hand into the workspace's settings.json: a misspelt privacy key.
  const settingsDir = join(scratch, 'workspace', '.vscode');
  mkdirSync(settingsDir, { recursive: true });
  writeFileSync(join(settingsDir, 'settings.json'), JSON.stringify({ 'orchestra.privacyMod': 'local-only' }));
  const frame = await panelFrame(page);
  const banner = frame.locator('.banner.error.settings-invalid');
  await banner.waitFor({ timeout: 30_000 });
  const text = await banner.innerText();
  assert.match(text, /will not run until these settings are fixed/);
  assert.match(text, /orchestra\.privacyMod — unknown key "privacyMod"; did you mean "privacyMode"\?/);
  assert.equal(await frame.locator('.send-button').isDisabled(), true, 'Send is off');
  const before = models.requests.length;
  await frame.locator('.question-input').fill('Where does this go?');
  await frame.locator('.question-input').press('Enter');
  await page.waitForTimeout(500);
  assert.equal(models.requests.length, before, 'no request was sent');
  assert.equal(await frame.locator('.question-input').inputValue(), 'Where does this go?', 'the question is kept');
  await page.screenshot({ path: join(artifacts, 'panel-invalid-settings.png') });

  writeFileSync(join(settingsDir, 'settings.json'), JSON.stringify({ 'orchestra.privacyMode': 'local-only' }));
  await banner.waitFor({ state: 'detached', timeout: 30_000 });
  assert.equal(await frame.locator('.send-button').isDisabled(), false, 'Send is back');
  models.setHandler('orch', () => ({ content: 'Answered under local-only.' }));
  await frame.locator('.question-input').press('Enter');
  await frame.locator('.answer', { hasText: 'Answered under local-only.' }).first().waitFor({ timeout: 60_000 });
});

/** The settings.json files under the VS Code server's user data that match `re`. */
const userSettingsWith = (re: RegExp) => settingsFiles(join(scratch, 'user-data')).filter((f) => re.test(readFileSync(f, 'utf8')));

test('the composer: another orchestrator picked in the menu answers the next question; privacy switched in one click, refused against orchestra.json; back to Automatic', async () => {
  const frame = await panelFrame(page);
  await newConversation(frame);
  const settingsFile = join(scratch, 'workspace', '.vscode', 'settings.json');
  // The workspace settings (the test above) keep local-only: the remote model is offered, unavailable, with the reason.
  await frame.locator('.orchestrator-picker').click();
  const menu = frame.getByRole('menu', { name: 'Orchestrator model' });
  await menu.locator('[data-value="orch-b"]').waitFor({ timeout: 30_000 });
  const cloud = menu.locator('[data-value="cloud"]');
  assert.equal(await cloud.getAttribute('aria-disabled'), 'true');
  assert.match(await cloud.innerText(), /local/i, 'the reason local-only excludes it');
  // Nothing set: "Automatic", first, is checked, named with the model it resolves to.
  assert.match(await menu.locator('[aria-checked="true"]:first-child[data-value=""]').innerText(), /Automatic ·\s+orch\s/);
  await page.screenshot({ path: join(artifacts, 'panel-orchestrator-menu.png') });
  await menu.locator('[data-value="orch-b"]').click();
  const notice = frame.locator('.composer-notice');
  await notice.filter({ hasText: 'Orchestrator: orch-b (saved in your user settings).' }).waitFor({ timeout: 30_000 });
  assert.equal(userSettingsWith(/"orchestra\.orchestrator\.model":\s*"orch-b"/).length, 1, 'the user settings name orch-b');
  await frame.locator('.orchestrator-picker[data-model="orch-b"]').waitFor({ timeout: 30_000 });

  // The next question goes to orch-b; it answers slowly, so the privacy switch below happens while it runs.
  const before = { orch: models.requestsFor('orch').length, b: models.requestsFor('orch-b').length };
  models.setHandler('orch-b', () => ({ latencyMs: 8000, toolCalls: [{ name: 'answer', arguments: { answer: 'Answered by orch-b.' } }] }));
  await frame.locator('.question-input').fill('Who answers now?');
  await frame.locator('.question-input').press('Enter');
  await frame.locator('.task[data-state="running"]').waitFor({ timeout: 30_000 });

  // Privacy in one click: the workspace settings set it, so the switch is written there, for the next question.
  const privacy = frame.getByRole('radiogroup', { name: 'Privacy mode' });
  assert.equal(await privacy.locator('[aria-checked="true"]').getAttribute('data-value'), 'local-only');
  await privacy.getByRole('radio', { name: /^Open weights/ }).click();
  await notice.filter({ hasText: 'Privacy: Open weights (saved in the workspace settings).' }).waitFor({ timeout: 30_000 });
  assert.match(await notice.innerText(), /applies from the next question: the running task keeps the privacy mode it started with/);
  assert.match(readFileSync(settingsFile, 'utf8'), /"orchestra\.privacyMode":\s*"open-weights-only"/);
  await frame
    .locator('.privacy-switch[data-mode="open-weights-only"] .privacy-option[data-value="open-weights-only"][aria-checked="true"]')
    .waitFor({ timeout: 30_000 });
  await frame.locator('.task .answer', { hasText: 'Answered by orch-b.' }).waitFor({ timeout: 60_000 });
  assert.equal(models.requestsFor('orch-b').length - before.b, 1, 'orch-b orchestrated the question');
  assert.equal(models.requestsFor('orch').length, before.orch, 'orch was not asked');

  // The workspace's orchestra.json keeps local-only: the looser modes are unavailable in the switch, with
  // the reason; the Set privacy mode command refuses too, and nothing is written.
  const configFile = join(scratch, 'workspace', 'orchestra.json');
  writeFileSync(configFile, JSON.stringify({ privacyMode: 'local-only' }));
  try {
    await frame.locator('.privacy-switch[data-mode="local-only"]').waitFor({ timeout: 30_000 });
    const any = privacy.getByRole('radio', { name: /^Any model/ });
    await frame.locator('.privacy-option[data-value="any"][aria-disabled="true"]').waitFor({ timeout: 30_000 });
    assert.match((await any.getAttribute('title')) ?? '', /unavailable: .*"local-only" in orchestra\.json/);
    await any.hover();
    await page.screenshot({ path: join(artifacts, 'panel-privacy-locked.png') });
    await any.click({ force: true }); // Playwright will not click what is aria-disabled; a person can.
    await notice.filter({ hasText: /Any model is unavailable: .*"local-only" in orchestra\.json/ }).waitFor({ timeout: 30_000 });
    await page.keyboard.press('F1');
    await page.keyboard.type('Orchestra: Set privacy mode');
    await page.waitForTimeout(400);
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget').getByText('Any model').first().waitFor({ timeout: 20_000 });
    await page.keyboard.type('Any model');
    await page.keyboard.press('Enter');
    await page
      .locator('.notifications-toasts')
      .getByText(/Privacy stays as it is: the privacy mode is "local-only" in orchestra\.json/)
      .first()
      .waitFor({ timeout: 20_000 });
    assert.match(readFileSync(settingsFile, 'utf8'), /"orchestra\.privacyMode":\s*"open-weights-only"/, 'the settings are unchanged');
  } finally {
    rmSync(configFile, { force: true });
  }
  await frame.locator('.privacy-switch[data-mode="open-weights-only"]').waitFor({ timeout: 30_000 });

  // "Automatic" (first; unchecked while orch-b is set) removes orchestrator.model from the user settings.
  await frame.locator('.orchestrator-picker').click();
  await menu.locator('[data-value=""][aria-checked="false"]:first-child').click();
  await notice.filter({ hasText: 'Orchestrator: Automatic, now orch (removed from your user settings).' }).waitFor({ timeout: 30_000 });
  assert.deepEqual(userSettingsWith(/"orchestra\.orchestrator\.model"/), [], 'no settings file names the orchestrator');
  await frame.locator('.orchestrator-picker[data-automatic="true"][data-model="orch"]').waitFor({ timeout: 30_000 });
});

test('the panel at 280 and 800 px in the dark, light and high-contrast themes: one-line header, nothing sideways (screenshots)', async () => {
  // The Chat view's button left the panel open; a click on its activity bar icon now would close it.
  let frame = await panelFrame(page);
  if (!(await frame.locator('.question-input').isVisible())) {
    await page.locator('.activitybar [aria-label^="Orchestra"]').first().click({ timeout: 60_000 });
    frame = await panelFrame(page);
  }
  // The tasks of the tests above are on screen: cards, an approval, answers with code.
  for (const theme of ['dark', 'light', 'high-contrast'] as const) {
    await setColorTheme(page, theme);
    for (const width of [280, 800]) {
      const got = await resizeSideBar(page, frame, width);
      assert.ok(Math.abs(got - width) <= 2, `the side bar could not be made ${width} px wide (it is ${got} px)`);
      await page.waitForTimeout(200);
      const layout = await frame.evaluate(() => {
        const header = document.querySelector('.panel-header') as HTMLElement;
        const tops = Array.from(header.children)
          .filter((e) => e.getBoundingClientRect().width > 0)
          .map((e) => {
            const r = e.getBoundingClientRect();
            return r.top + r.height / 2;
          });
        return {
          scrollWidth: document.documentElement.scrollWidth,
          clientWidth: document.documentElement.clientWidth,
          headerSpread: Math.max(...tops) - Math.min(...tops),
          wideCards: Array.from(document.querySelectorAll('.card')).filter((c) => c.scrollWidth > c.clientWidth + 1).length,
          border: getComputedStyle(document.querySelector('.composer') as Element).borderTopColor,
        };
      });
      const where = `${width} px, ${theme}`;
      assert.ok(layout.scrollWidth <= layout.clientWidth, `${where}: the panel scrolls sideways (${JSON.stringify(layout)})`);
      assert.ok(layout.headerSpread <= 4, `${where}: the header is on one line (${JSON.stringify(layout)})`);
      assert.equal(layout.wideCards, 0, `${where}: cards wider than the panel`);
      // High contrast: the panel's edges are VS Code's contrast border (#6FC3DF in Default High Contrast).
      if (theme === 'high-contrast') assert.equal(layout.border, 'rgb(111, 195, 223)', `${where}: the contrast border`);
      const bar = await page.locator('.part.sidebar').boundingBox();
      await page.screenshot({ path: join(artifacts, `panel-${width}-${theme}.png`), clip: bar ?? undefined });
    }
  }
});
