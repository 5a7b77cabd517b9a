// Hostile Markdown streamed into the built panel in headless Chromium, with Chromium's long-task
// observer watching the main thread: markdown-it's pathological shapes (generated here, as in its own
// tests), a 20 KB wide table and a 1 MB run of brackets. No task of the panel may pass 50 ms (the
// long-task threshold; support/longTasks.ts says how a busy machine is told apart), what is beyond a
// cap shows as plain text under a notice, and nothing is lost.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventScript, msg, totals } from './support/events';
import { openPanel, type PanelPage, panelSuite } from './support/panelPage';
import { PATHOLOGICAL } from '../support/pathological-markdown';
import { describeLongTasks, ownLongTasks, watchLongTasks, type LongTask } from './support/longTasks';

const suite = panelSuite();

/**
 * Streams `answer` into a fresh task as the engine would (deltas of `chunk` characters, `perFrame` of
 * them between two frames), then `done` with the whole answer, and waits until the rendering is
 * complete. Returns the long tasks Chromium observed from the first delta to the end.
 */
async function streamAnswer(p: PanelPage, taskId: string, answer: string, chunk: number, perFrame: number): Promise<LongTask[]> {
  const s = new EventScript(taskId);
  await p.send([
    msg(
      s.ev('task_started', {
        question: 'Render this',
        dialect: 'general',
        orchestratorModel: 'orch-8b',
        privacyMode: 'any',
        budgetDollars: 1,
      }),
    ),
  ]);
  const delta = msg(s.ev('answer_delta', { text: '' }));
  const done = msg(s.ev('done', { answer: '', totals: totals(0, 10, 10, 100, ['orch-8b'], []) }));
  // The answer crosses into the page before the observer starts: that transfer is the test's work, not the panel's.
  await p.page.evaluate((a) => {
    (window as unknown as { __answer: string }).__answer = a;
  }, answer);
  await p.settle();
  const watch = await watchLongTasks(suite.browser, p.page);
  await p.page.evaluate(
    async ({ delta, done, chunk, perFrame }) => {
      const text = (window as unknown as { __answer: string }).__answer;
      let seq = delta.event.seq;
      for (let i = 0; i < text.length;) {
        for (let j = 0; j < perFrame && i < text.length; j++, i += chunk)
          window.postMessage({ ...delta, event: { ...delta.event, seq: seq++, text: text.slice(i, i + chunk) } }, '*');
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      }
      window.postMessage({ ...done, event: { ...done.event, seq, answer: text } }, '*');
    },
    { delta, done, chunk, perFrame },
  );
  await p.page.waitForFunction(
    (id) =>
      document.querySelector(`.task[data-task-id="${id}"]`)?.getAttribute('data-state') === 'done' &&
      !document.querySelector('[data-rendering]'),
    taskId,
    { timeout: 60_000 },
  );
  await p.settle();
  const long = await watch.stop();
  if (long.length) console.log(`long tasks (wall, CPU) for ${taskId}: ${describeLongTasks(long)}`);
  return long;
}

async function answerText(p: PanelPage, taskId: string): Promise<string> {
  return p.page.evaluate((id) => document.querySelector(`.task[data-task-id="${id}"] .answer`)?.textContent ?? '', taskId);
}

describe('panel: hostile Markdown stays fast', () => {
  test("markdown-it's pathological shapes in one 117 KB answer: no long task, each shape capped with a notice", async () => {
    const p = await openPanel(suite.browser, suite.server);
    try {
      const shapes = Object.entries(PATHOLOGICAL);
      const answer = shapes.map(([name, make]) => `## ${name}\n\n${make(5_000)}`).join('\n\n');
      assert.ok(answer.length > 110_000, `answer is ${answer.length} chars`);
      const long = await streamAnswer(p, 'patho', answer, 256, 8);
      assert.deepEqual(ownLongTasks(long), [], `main-thread tasks over 50 ms: ${describeLongTasks(long)}`);
      const capped = await p.page.locator('.task[data-task-id="patho"] .md-capped').count();
      assert.ok(capped >= shapes.length, `${capped} capped blocks for ${shapes.length} shapes`);
      assert.equal(
        await p.page.locator('.task[data-task-id="patho"] .answer h2').count(),
        shapes.length,
        'the headings between them are Markdown',
      );
      const notice = await p.page.locator('.task[data-task-id="patho"] .md-cap-notice').first().innerText();
      assert.match(notice, /^Shown as plain text: /);
      const shown = (await answerText(p, 'patho')).replace(/\s+/g, '');
      for (const [name, make] of shapes)
        assert.ok(shown.includes(make(5_000).replace(/\s+/g, '').slice(0, 300)), `${name}: its text is shown`);
      assert.deepEqual(
        p.errors.filter((e) => /Content Security Policy|Refused|Error/i.test(e)),
        [],
      );
    } finally {
      await p.close();
    }
  });

  test('a 20 KB wide table: no long task, shown as plain text with a notice', async () => {
    const p = await openPanel(suite.browser, suite.server);
    try {
      const cols = 1_250;
      const row = (cell: string) => `|${` ${cell} |`.repeat(cols)}`;
      const table = [row('h'), row('-'), row('c'), row('d')].join('\n');
      assert.ok(table.length > 20_000);
      const answer = `Here is the table:\n\n${table}\n\nAnd after it, **Markdown** again.`;
      const long = await streamAnswer(p, 'table', answer, 64, 16);
      assert.deepEqual(ownLongTasks(long), [], `main-thread tasks over 50 ms: ${describeLongTasks(long)}`);
      assert.equal(await p.page.locator('.task[data-task-id="table"] .md-cap-table-columns').count(), 1);
      assert.equal(await p.page.locator('.task[data-task-id="table"] table').count(), 0, 'no table of 5,000 cells in the DOM');
      assert.equal(await p.page.locator('.task[data-task-id="table"] .answer strong').innerText(), 'Markdown');
    } finally {
      await p.close();
    }
  });

  test('a 1 MB run of brackets: no long task, streamed as plain text past the size cap, all of it kept', async () => {
    const p = await openPanel(suite.browser, suite.server);
    try {
      const answer = `Start.\n\n${'['.repeat(1 << 20)}`;
      const long = await streamAnswer(p, 'brackets', answer, 4_096, 4);
      assert.deepEqual(ownLongTasks(long), [], `main-thread tasks over 50 ms: ${describeLongTasks(long)}`);
      const plain = await p.page.evaluate(() => {
        const el = document.querySelector('.task[data-task-id="brackets"] .md-cap-size .md-plain');
        return { length: el?.textContent?.length ?? 0, brackets: /^\[+$/.test(el?.textContent ?? '') };
      });
      assert.deepEqual(plain, { length: 1 << 20, brackets: true });
      assert.match(await p.page.locator('.task[data-task-id="brackets"] .md-cap-notice').innerText(), /longer than 32 KB/);
      assert.equal(await p.page.locator('.task[data-task-id="brackets"] .answer p').first().innerText(), 'Start.');
    } finally {
      await p.close();
    }
  });
});
