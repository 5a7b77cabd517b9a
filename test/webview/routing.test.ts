// The panel in headless Chromium shows why a model serves each call: a fallback as a step of the
// call's card ("A down → B"), the orchestrator's own switch in its turn, and a ranked pick's reasons
// with the runner-up; and the thumbs under an answer send the user's verdict and show what was recorded.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineEvent } from '../../src/core/protocol/events';
import { EventScript, msg, totals } from './support/events';
import { openPanel, type PanelPage, panelSuite } from './support/panelPage';

const suite = panelSuite();

async function withPanel(fn: (p: PanelPage) => Promise<void>): Promise<void> {
  const p = await openPanel(suite.browser, suite.server);
  try {
    await fn(p);
  } finally {
    await p.close();
  }
}

/** One task: the orchestrator falls back in turn 1, a ranked call_model picks coder, then falls back to backup. */
function routingScenario(): EngineEvent[] {
  const s = new EventScript('t-route');
  return [
    s.ev('task_started', {
      question: 'Which model?',
      dialect: 'general',
      orchestratorModel: 'orch',
      privacyMode: 'any',
      budgetDollars: 0.5,
    }),
    s.ev('turn_started', { turn: 1 }),
    s.ev('model_choice', {
      callId: 'turn_1',
      turn: 1,
      model: 'orch-backup',
      how: 'fallback',
      reasons: ['orch is down: connection refused'],
      from: { model: 'orch', reason: 'orch could not be reached or dropped the connection: connect ECONNREFUSED', unreachable: true },
    }),
    s.ev('tool_call_started', { callId: 'c1', turn: 1, tool: 'call_model', args: { role: 'code', task: 'Write it' }, state: 'running' }),
    s.ev('model_choice', {
      callId: 'c1',
      turn: 1,
      model: 'coder',
      role: 'code',
      how: 'ranked',
      score: 0.71,
      reasons: ['quality 0.82 for code (+0.41)', 'free (+0.30)'],
      runnerUp: { model: 'cloud', score: 0.55, reasons: ['quality 0.90 for code (+0.45)', 'costs $10/M out (+0.10)'] },
    }),
    s.ev('model_choice', {
      callId: 'c1',
      turn: 1,
      model: 'backup',
      how: 'fallback',
      reasons: ['coder failed: HTTP 500'],
      from: { model: 'coder', reason: 'coder: HTTP 500 internal error', unreachable: false },
    }),
    s.ev('tool_call_finished', {
      callId: 'c1',
      tool: 'call_model',
      model: 'backup',
      state: 'ok',
      preview: 'done',
      result: 'done',
      dollars: 0,
      latencyMs: 900,
    }),
    s.ev('done', { answer: 'All set.', totals: totals(0, 10, 5, 2, ['orch-backup', 'backup'], []) }),
  ];
}

describe('panel: routing', () => {
  test('a call card shows why its model was chosen and each fallback step; the orchestrator’s switch shows in its turn', async () => {
    await withPanel(async (p) => {
      await p.send(routingScenario().map(msg));
      const card = p.page.locator('.card[data-call-id="c1"]');
      assert.equal(await card.locator('.card-model').innerText(), 'backup', 'the card names the model that served it');
      // A fallback step is on the card as it is; why the model was chosen shows when the card is opened.
      assert.equal(await card.locator('.route--fallback').isVisible(), true);
      assert.equal(await card.locator('.route--choice').isVisible(), false);
      await card.locator('.card-toggle').click();
      const why = card.locator('.route--choice');
      assert.equal(await why.isVisible(), true);
      assert.match(await why.innerText(), /why coder for code \(score 0\.71\)/);
      assert.match(await why.innerText(), /quality 0\.82 for code \(\+0\.41\) · free \(\+0\.30\)/);
      assert.match(await why.locator('.route-runner-up').innerText(), /runner-up cloud \(0\.55\)/);
      const step = card.locator('.route--fallback');
      assert.equal(await step.locator('.route-step').innerText(), 'coder failed → backup');
      assert.match((await step.getAttribute('title')) ?? '', /HTTP 500/);
      const turnStep = p.page.locator('.turn[data-turn="1"] > .route--fallback');
      assert.equal(await turnStep.locator('.route-step').innerText(), 'orch down → orch-backup');
      assert.equal(await turnStep.isVisible(), true);
    });
  });

  test('thumbs under a finished answer: a click sends the verdict; pressed is what the engine recorded; again withdraws', async () => {
    await withPanel(async (p) => {
      const scenario = routingScenario();
      const running = scenario.slice(0, -1);
      await p.send(running.map(msg));
      const task = p.page.locator('.task[data-task-id="t-route"]');
      assert.equal(await task.locator('.feedback').count(), 0, 'no thumbs while the task runs');
      await p.send([msg(scenario.at(-1)!)]);
      const up = task.locator('.feedback-button[data-verdict="up"]');
      const down = task.locator('.feedback-button[data-verdict="down"]');
      await up.click();
      const sent = async () => (await p.posted()).filter((m) => m.type === 'feedback');
      assert.deepEqual((await sent()).at(-1), { type: 'feedback', taskId: 't-route', verdict: 'up' });
      assert.equal(await up.getAttribute('aria-pressed'), 'false', 'not pressed until the engine says it recorded it');
      const recorded = (verdict: 'up' | 'down' | 'none', seq: number): EngineEvent => ({
        type: 'task_feedback',
        taskId: 't-route',
        seq,
        time: Date.now(),
        verdict,
        models:
          verdict === 'none'
            ? []
            : [
                { model: 'orch-backup', role: 'orchestrator' },
                { model: 'backup', role: 'code' },
              ],
      });
      await p.send([msg(recorded('up', 100))]);
      assert.equal(await up.getAttribute('aria-pressed'), 'true');
      assert.equal(await down.getAttribute('aria-pressed'), 'false');
      // Icons from the bundled codicon font (emoji showed as empty boxes without an emoji font); the pressed one filled.
      assert.equal(await up.locator('.codicon-thumbsup-filled').count(), 1);
      assert.equal(await down.locator('.codicon-thumbsdown').count(), 1);
      assert.match(await up.evaluate((b) => getComputedStyle(b.querySelector('.codicon')!).fontFamily), /codicon/);
      assert.equal(await task.locator('.feedback-status').innerText(), 'Counted for orch-backup (orchestrator), backup (code).');
      await up.click();
      assert.deepEqual((await sent()).at(-1), { type: 'feedback', taskId: 't-route', verdict: 'none' }, 'pressing it again withdraws');
      await down.click();
      assert.deepEqual((await sent()).at(-1), { type: 'feedback', taskId: 't-route', verdict: 'down' }, 'the other thumb is a new verdict');
      await p.send([msg(recorded('down', 101))]);
      assert.equal(await up.getAttribute('aria-pressed'), 'false');
      assert.equal(await down.getAttribute('aria-pressed'), 'true');
    });
  });
});
