// The eval report's text and the page VS Code shows it with: hostile task, pool and answer text is
// escaped in the SVG plot and the HTML report, and the viewer's page puts its own strict CSP first
// (no script, nothing from outside) and refuses files that are not an eval report.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderHtmlReport, renderParetoSvg } from '../../../src/core/eval/report';
import { summarize } from '../../../src/core/eval/summary';
import type { EvalRecord } from '../../../src/core/eval/record';
import type { EvalTask } from '../../../src/core/eval/tasks';
import { REPORT_CSP, reportPage } from '../../../src/extension/eval-report-html';

const HOSTILE = `</title><script>alert(1)</script><img src=x onerror=alert(2)>"'&`;

function record(pool: string, taskId: string): EvalRecord {
  return {
    version: 1,
    runId: 'eval_1',
    pool,
    taskId,
    line: 1,
    status: 'failed',
    checker: 'exact',
    checkDetail: `expected 1, got ${HOSTILE}`,
    answer: HOSTILE,
    dollars: 0.01,
    unpricedCalls: 0,
    latencyMs: 100,
    inputTokens: 1,
    outputTokens: 1,
    orchestratorModel: 'orch',
    models: ['orch'],
    modelCalls: [],
    deniedApprovals: 0,
    startedAt: 0,
    finishedAt: 1,
  };
}

function report(): { html: string; svg: string } {
  const tasks: EvalTask[] = [
    {
      id: `t${HOSTILE}`,
      question: `What is ${HOSTILE}?`,
      checker: { type: 'exact', expected: '1', ignoreCase: false },
      line: 1,
      workspace: '/tmp',
    },
  ];
  const records = [record(`pool${HOSTILE}`, tasks[0].id)];
  const summary = summarize('eval_1', [`pool${HOSTILE}`], records);
  return {
    html: renderHtmlReport({ summary, tasks, records, createdAt: new Date(0), interrupted: false, taskFile: `tasks${HOSTILE}.jsonl` }),
    svg: renderParetoSvg(summary),
  };
}

describe('eval report: hostile text', () => {
  test('task, pool and answer text is escaped in the HTML report and the SVG plot', () => {
    const { html, svg } = report();
    for (const text of [html, svg]) {
      assert.ok(!text.includes('<script'), 'no script element');
      assert.ok(!text.includes('<img'), 'no image element');
      assert.ok(!/<\/title><script/.test(text));
    }
    assert.ok(html.includes('&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;'), 'shown as text');
    assert.ok(svg.includes('pool&lt;/title&gt;'), 'the pool name is text in the plot');
    assert.match(html, /<title>Orchestra eval eval_1<\/title>/);
    assert.ok(html.includes('<title>pool&lt;/title&gt;&lt;script&gt;'), 'the point’s tooltip is text too');
  });
});

describe('eval report in VS Code: the page', () => {
  test('the HTML report gets our CSP first in its head; nothing else of it changes', () => {
    const { html } = report();
    const page = reportPage('html', html, 'Eval report: x');
    const head = page.indexOf('<head>');
    const ours = page.indexOf(`content="${REPORT_CSP}"`);
    assert.ok(head >= 0 && ours > head && ours < page.indexOf('<meta charset'), 'ours is the first thing in the head');
    assert.equal(page.replace(`\n<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">`, ''), html);
    assert.match(REPORT_CSP, /default-src 'none'/);
    assert.doesNotMatch(REPORT_CSP, /script-src|unsafe-eval|https?:/);
  });

  test('the SVG plot is shown as an image, with a hostile title escaped', () => {
    const { svg } = report();
    const page = reportPage('svg', svg, `Eval report: ${HOSTILE}`);
    assert.match(page, /<img src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="Eval report: &lt;\/title&gt;/);
    assert.ok(!page.includes('<script'));
    assert.equal(Buffer.from(/base64,([^"]+)/.exec(page)![1], 'base64').toString('utf8'), svg);
  });

  test('files that are not an eval report are refused, naming why', () => {
    assert.throws(() => reportPage('html', '<html><head><title>Bank</title></head></html>', 't'), /not an Orchestra eval report/);
    assert.throws(() => reportPage('svg', '<html><svg></svg></html>', 't'), /not an SVG image/);
  });
});
