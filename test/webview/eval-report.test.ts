// The eval report in headless Chromium: the Pareto SVG parses as XML with no error, hostile task and
// pool text shows as text (no element, no script), the page loads nothing from outside, and the plot
// marks the front.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/chromium';
import { renderHtmlReport, renderParetoSvg } from '../../src/core/eval/report';
import { summarize } from '../../src/core/eval/summary';
import type { EvalRecord } from '../../src/core/eval/record';
import type { EvalTask } from '../../src/core/eval/tasks';

const HOSTILE = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>]]>&amp; "quotes' </svg>`;

function rec(pool: string, taskId: string, status: EvalRecord['status'], dollars: number): EvalRecord {
  return {
    version: 1,
    runId: 'eval_test',
    pool,
    taskId,
    line: 1,
    status,
    checker: 'exact',
    checkDetail: `expected "1", got ${HOSTILE}`,
    answer: HOSTILE,
    dollars,
    unpricedCalls: 0,
    latencyMs: 1200,
    inputTokens: 10,
    outputTokens: 10,
    orchestratorModel: 'orch',
    models: ['orch'],
    modelCalls: [],
    deniedApprovals: 0,
    startedAt: 0,
    finishedAt: 1,
  };
}

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

describe('eval report', () => {
  const pools = ['cheap', `evil<b>${HOSTILE}`, 'dear'];
  const records = [
    rec('cheap', 't1', 'passed', 0),
    rec('cheap', 't2', 'failed', 0),
    rec(pools[1], 't1', 'failed', 0.02),
    rec(pools[1], 't2', 'failed', 0.02),
    rec('dear', 't1', 'passed', 0.01),
    rec('dear', 't2', 'passed', 0.01),
  ];
  const tasks: EvalTask[] = [
    { id: 't1', line: 1, question: `What is ${HOSTILE}?`, checker: { type: 'exact', expected: '1', ignoreCase: false }, workspace: '/' },
    { id: 't2', line: 2, question: 'Second', checker: { type: 'regex', pattern: 'x', flags: '' }, workspace: '/' },
  ];
  const summary = summarize('eval_test', pools, records);

  test('the SVG is well-formed XML and marks the front', async () => {
    assert.deepEqual(summary.front, ['cheap', 'dear']);
    const page = await browser.newPage();
    try {
      const parsed = await page.evaluate((svg) => {
        const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
        return {
          error: doc.getElementsByTagName('parsererror').length,
          root: doc.documentElement.localName,
          front: [...doc.querySelectorAll('g.front > text')].map((t) => t.textContent),
          all: [...doc.querySelectorAll('g.pool > text')].map((t) => t.textContent),
          staircase: doc.querySelectorAll('polyline').length,
        };
      }, renderParetoSvg(summary));
      assert.deepEqual(parsed, { error: 0, root: 'svg', front: ['cheap', 'dear'], all: pools, staircase: 1 });
    } finally {
      await page.close();
    }
  });

  test('the HTML report shows hostile text as text, runs nothing and loads nothing', async () => {
    const html = renderHtmlReport({
      summary,
      tasks,
      records,
      createdAt: new Date(0),
      interrupted: false,
      taskFile: `/tmp/${HOSTILE}.jsonl`,
    });
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('data:') && r.url() !== 'about:blank') requests.push(r.url());
    });
    try {
      await page.setContent(html, { waitUntil: 'load' });
      const seen = await page.evaluate(() => ({
        pwned: (window as unknown as { __pwned?: number }).__pwned,
        imgs: document.querySelectorAll('img').length,
        scripts: document.querySelectorAll('script').length,
        question: document.querySelector('td.q')?.textContent,
        headers: [...document.querySelectorAll('thead')[1].querySelectorAll('th')].map((t) => t.textContent),
        svgs: document.querySelectorAll('svg').length,
        stars: [...document.querySelectorAll('tbody')[0].querySelectorAll('tr')].map((r) => r.cells[0].textContent),
      }));
      assert.equal(seen.pwned, undefined);
      assert.equal(seen.imgs, 0);
      assert.equal(seen.scripts, 0);
      assert.equal(seen.question, `What is ${HOSTILE}?`);
      assert.deepEqual(seen.headers, ['Task', 'Question', 'Checker', ...pools]);
      assert.equal(seen.svgs, 1);
      assert.deepEqual(seen.stars, ['cheap ★', pools[1], 'dear ★']);
      assert.deepEqual(requests, []);
    } finally {
      await page.close();
    }
  });
});
