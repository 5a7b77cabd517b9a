// A call's card while the model is still writing it (state `writing`): it appears with the name, the
// arguments stream into it, and when the call runs the card shows the whole arguments and only the
// call's own output; a call cut by the token limit ends on its card with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventScript, msg } from './support/events';
import { openPanel, panelSuite } from './support/panelPage';

const suite = panelSuite();

test('a card appears while its call is written, streams the arguments, then runs with them', async () => {
  const p = await openPanel(suite.browser, suite.server);
  try {
    const s = new EventScript('w1');
    const { page } = p;
    await p.send(
      [
        s.ev('task_started', {
          question: 'Read the file',
          dialect: 'general',
          orchestratorModel: 'qwen',
          privacyMode: 'any',
          budgetDollars: 0.5,
        }),
        s.ev('turn_started', { turn: 1 }),
        s.ev('tool_call_started', { callId: 'k1', turn: 1, tool: 'read_file', args: {}, state: 'writing' }),
        s.ev('tool_call_delta', { callId: 'k1', text: '{"path": "src/' }),
        s.ev('tool_call_delta', { callId: 'k1', text: 'main.ts"}' }),
      ].map(msg),
    );
    const card = page.locator('.card[data-call-id="k1"]');
    assert.equal(await card.getAttribute('data-state'), 'writing');
    assert.match(await card.locator('.card-state').innerText(), /writing/);
    await page.waitForFunction(() => document.querySelector('.card[data-call-id="k1"] .card-live')?.textContent?.includes('main.ts'));
    assert.equal(await card.locator('.card-live').innerText(), '{"path": "src/main.ts"}');

    await p.send(
      [
        s.ev('tool_call_started', { callId: 'k1', turn: 1, tool: 'read_file', args: { path: 'src/main.ts' }, state: 'running' }),
        s.ev('tool_call_delta', { callId: 'k1', text: 'line 1 of the file' }),
      ].map(msg),
    );
    assert.equal(await card.getAttribute('data-state'), 'running');
    assert.match(await card.locator('.card-summary').innerText(), /path: "src\/main\.ts"/);
    await page.waitForFunction(() => document.querySelector('.card[data-call-id="k1"] .card-live')?.textContent === 'line 1 of the file');
    assert.equal(await page.locator('.card[data-call-id="k1"]').count(), 1, 'one card for the call, written then run');

    await p.send(
      [
        s.ev('tool_call_started', { callId: 'k2', turn: 1, tool: 'write_file', args: {}, state: 'writing' }),
        s.ev('tool_call_finished', {
          callId: 'k2',
          tool: 'write_file',
          state: 'error',
          preview: '',
          result: '',
          error:
            'not run: the reply reached the max-token limit (512 tokens) in the middle of the call to "write_file", so the call is incomplete.',
          dollars: 0,
          latencyMs: 5,
        }),
      ].map(msg),
    );
    const cut = page.locator('.card[data-call-id="k2"]');
    assert.equal(await cut.getAttribute('data-state'), 'error');
    assert.match(await cut.locator('.card-error').innerText(), /max-token limit \(512 tokens\)/);
  } finally {
    await p.close();
  }
});
