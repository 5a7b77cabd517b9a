// "Orchestra: Open eval report" inside the real VS Code: an `orchestra eval` results folder (written by
// the report generator with hostile task and pool text) opens in a webview panel whose page runs no
// script (our CSP first in its head, scripts off) and shows that text escaped; the plot alone opens as an
// image; a file that is no eval report is refused and opens nothing.
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { activateOrchestra, until } from './helpers';
import { renderHtmlReport, renderParetoSvg } from '../../../src/core/eval/report';
import { summarize } from '../../../src/core/eval/summary';
import type { EvalRecord } from '../../../src/core/eval/record';
import { REPORT_CSP } from '../../../src/extension/eval-report-html';
import type { OpenedReport } from '../../../src/extension/eval-report';

const HOSTILE = `<script>document.title='pwned'</script><img src=x onerror=alert(1)>`;

function webviewTabs(title?: string): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter(
      (t) => t.input instanceof vscode.TabInputWebview && (title === undefined ? t.label.startsWith('Eval report: ') : t.label === title),
    );
}

/** The window's tabs follow the extension host a moment later. */
const tabOpens = (title: string) => until(`a webview tab "${title}"`, () => webviewTabs(title).length > 0);

describe('Open eval report', function () {
  this.timeout(60_000);
  let dir: string;

  before(async () => {
    await activateOrchestra();
    dir = mkdtempSync(join(tmpdir(), 'orchestra-eval-report-'));
    const pool = `cheap${HOSTILE}`;
    const record: EvalRecord = {
      version: 1,
      runId: 'eval_it',
      pool,
      taskId: 't1',
      line: 1,
      status: 'passed',
      checker: 'exact',
      answer: HOSTILE,
      dollars: 0.002,
      unpricedCalls: 0,
      latencyMs: 900,
      inputTokens: 10,
      outputTokens: 5,
      orchestratorModel: 'orch',
      models: ['orch'],
      modelCalls: [],
      deniedApprovals: 0,
      startedAt: 0,
      finishedAt: 1,
    };
    const summary = summarize('eval_it', [pool], [record]);
    const tasks = [
      {
        id: 't1',
        line: 1,
        question: `Explain ${HOSTILE}`,
        checker: { type: 'exact' as const, expected: 'x', ignoreCase: false },
        workspace: dir,
      },
    ];
    writeFileSync(
      join(dir, 'report.html'),
      renderHtmlReport({ summary, tasks, records: [record], createdAt: new Date(0), interrupted: false, taskFile: 'tasks.jsonl' }),
    );
    writeFileSync(join(dir, 'pareto.svg'), renderParetoSvg(summary));
    writeFileSync(join(dir, 'notes.html'), '<html><head><title>Not a report</title></head><body><script>1</script></body></html>');
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    rmSync(dir, { recursive: true, force: true });
  });

  it('a results folder opens its report.html in a panel with a strict CSP, task text escaped', async () => {
    const opened = await vscode.commands.executeCommand<OpenedReport | undefined>('orchestra.openEvalReport', vscode.Uri.file(dir));
    assert.ok(opened, 'the command opened the report');
    assert.equal(opened.file, join(dir, 'report.html'));
    const head = opened.html.slice(opened.html.indexOf('<head>'), opened.html.indexOf('<meta charset'));
    assert.ok(head.includes(`content="${REPORT_CSP}"`), 'our CSP comes first in the head');
    assert.ok(!opened.html.includes('<script'), 'no script element, from the task text or anywhere');
    assert.ok(opened.html.includes('Explain &lt;script&gt;'), 'the task text is shown as text');
    await tabOpens(opened.title);
  });

  it('the plot alone opens as an image', async () => {
    const opened = await vscode.commands.executeCommand<OpenedReport | undefined>(
      'orchestra.openEvalReport',
      vscode.Uri.file(join(dir, 'pareto.svg')),
    );
    assert.ok(opened);
    assert.match(opened.html, /<img src="data:image\/svg\+xml;base64,/);
    assert.equal(opened.title, 'Eval report: pareto.svg');
    await tabOpens(opened.title);
  });

  it('a file that is not an eval report is refused and opens nothing', async () => {
    const before = webviewTabs().length;
    const opened = await vscode.commands.executeCommand('orchestra.openEvalReport', vscode.Uri.file(join(dir, 'notes.html')));
    assert.equal(opened, undefined);
    // A report opened after it shows up in the tabs; by then anything the refused one opened would too.
    await vscode.commands.executeCommand('orchestra.openEvalReport', vscode.Uri.file(join(dir, 'pareto.svg')));
    await until('the second plot tab', () => webviewTabs().length === before + 1);
    assert.equal(webviewTabs().length, before + 1, 'the refused file opened no tab');
  });
});
