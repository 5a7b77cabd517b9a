// The eval report as pure text: a Pareto plot of accuracy against cost per task as a standalone SVG,
// and one self-contained HTML page (no script, no outside resource, a CSP that allows neither) with
// the plot, the pool table and every task's result. All task and model text is escaped.
import { formatDollars, formatMs } from '../format';
import type { EvalRecord } from './record';
import type { EvalSummary, PoolSummary } from './summary';
import type { EvalTask } from './tasks';

/** Escapes text for XML and HTML content and attribute values alike. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Round tick steps (1, 2 or 5 × 10^k) covering 0…max. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const n = Math.max(1, Math.ceil(max / step - 1e-9));
  return Array.from({ length: n + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

function dollarTick(v: number): string {
  return v === 0 ? '$0' : `$${Number(v.toPrecision(3))}`;
}

const W = 640;
const H = 420;
const M = { left: 64, right: 150, top: 24, bottom: 56 };

/** The accuracy/cost plot: each pool a point (filled on the front), the front as a staircase. */
export function renderParetoSvg(summary: EvalSummary): string {
  const pools = summary.pools.filter((p) => p.tasks > 0);
  const maxCost = Math.max(0, ...pools.map((p) => p.meanDollars));
  const xTicks = niceTicks(maxCost);
  const xMax = xTicks[xTicks.length - 1] || 1;
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const x = (cost: number) => M.left + (cost / xMax) * plotW;
  const y = (acc: number) => M.top + (1 - acc) * plotH;
  const f = (n: number) => n.toFixed(1);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="pareto-title" font-family="system-ui, sans-serif" font-size="12">`,
    `<title id="pareto-title">Accuracy against mean cost per task, ${pools.length} pool${pools.length === 1 ? '' : 's'}; Pareto front: ${escapeXml(summary.front.join(', ') || 'none')}</title>`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`,
  ];
  for (let a = 0; a <= 100; a += 20) {
    const yy = f(y(a / 100));
    out.push(`<line x1="${M.left}" y1="${yy}" x2="${M.left + plotW}" y2="${yy}" stroke="#e4e4e7"/>`);
    out.push(`<text x="${M.left - 8}" y="${yy}" text-anchor="end" dominant-baseline="middle" fill="#52525b">${a}%</text>`);
  }
  for (const t of xTicks) {
    const xx = f(x(t));
    out.push(`<line x1="${xx}" y1="${M.top}" x2="${xx}" y2="${M.top + plotH}" stroke="#f4f4f5"/>`);
    out.push(`<text x="${xx}" y="${M.top + plotH + 18}" text-anchor="middle" fill="#52525b">${escapeXml(dollarTick(t))}</text>`);
  }
  out.push(
    `<rect x="${M.left}" y="${M.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#a1a1aa"/>`,
    `<text x="${M.left + plotW / 2}" y="${H - 12}" text-anchor="middle" fill="#27272a">mean cost per task${maxCost === 0 ? ' (every pool cost $0 at its configured prices)' : ''}</text>`,
    `<text transform="translate(16 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#27272a">accuracy</text>`,
  );
  const front = summary.front.map((n) => pools.find((p) => p.pool === n)!).filter(Boolean);
  if (front.length > 1) {
    const pts: string[] = [`${f(x(front[0].meanDollars))},${f(y(front[0].accuracy))}`];
    for (let i = 1; i < front.length; i++) {
      pts.push(`${f(x(front[i].meanDollars))},${f(y(front[i - 1].accuracy))}`, `${f(x(front[i].meanDollars))},${f(y(front[i].accuracy))}`);
    }
    out.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="#2563eb" stroke-width="2" stroke-dasharray="6 4"/>`);
  }
  for (const p of pools) out.push(pointSvg(p, x(p.meanDollars), y(p.accuracy)));
  out.push('</svg>');
  return out.join('\n');
}

function pointSvg(p: PoolSummary, cx: number, cy: number): string {
  const tip = `${p.pool}: ${(p.accuracy * 100).toFixed(1)}% (${p.passed}/${p.tasks}), ${formatDollars(p.meanDollars)} per task${p.pareto ? ', on the Pareto front' : ''}`;
  return [
    `<g class="pool${p.pareto ? ' front' : ''}">`,
    `<title>${escapeXml(tip)}</title>`,
    `<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="6" fill="${p.pareto ? '#2563eb' : '#ffffff'}" stroke="${p.pareto ? '#1e40af' : '#71717a'}" stroke-width="2"/>`,
    `<text x="${(cx + 10).toFixed(1)}" y="${(cy - 8).toFixed(1)}" fill="#18181b">${escapeXml(p.pool)}</text>`,
    '</g>',
  ].join('');
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#18181b;background:#fff}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border-bottom:1px solid #e4e4e7;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f4f4f5}td.num{text-align:right;font-variant-numeric:tabular-nums}.passed{color:#15803d}.failed{color:#b91c1c}.error{color:#a16207}
.meta{color:#52525b}.q{max-width:28rem;white-space:pre-wrap;word-break:break-word}details{color:#3f3f46}code{font-size:90%}`;

function poolRow(p: PoolSummary): string {
  const cells = [
    `<td>${escapeXml(p.pool)}${p.pareto ? ' ★' : ''}</td>`,
    `<td class="num">${p.tasks}</td>`,
    `<td class="num">${p.passed}</td>`,
    `<td class="num">${(p.accuracy * 100).toFixed(1)}%</td>`,
    `<td class="num">${p.errored}</td>`,
    `<td class="num">${escapeXml(formatDollars(p.totalDollars))}</td>`,
    `<td class="num">${escapeXml(formatDollars(p.meanDollars))}${p.unpricedCalls ? ` + ${p.unpricedCalls} unpriced calls` : ''}</td>`,
    `<td class="num">${escapeXml(formatMs(p.meanLatencyMs))}</td>`,
    `<td class="num">${escapeXml(formatMs(p.p50LatencyMs))}</td>`,
    `<td class="num">${escapeXml(formatMs(p.p90LatencyMs))}</td>`,
  ];
  return `<tr>${cells.join('')}</tr>`;
}

function resultCell(r: EvalRecord | undefined): string {
  if (!r) return '<td class="meta">not run</td>';
  const mark = r.status === 'passed' ? '✓ passed' : r.status === 'failed' ? '✗ failed' : '! error';
  const why = r.status === 'error' ? (r.error ? `${r.error.code}: ${r.error.message}` : '') : (r.checkDetail ?? '');
  return `<td><span class="${r.status}">${mark}</span> · ${escapeXml(formatDollars(r.dollars))} · ${escapeXml(formatMs(r.latencyMs))}${
    why ? `<details><summary>why</summary>${escapeXml(why)}</details>` : ''
  }</td>`;
}

export interface ReportInput {
  summary: EvalSummary;
  tasks: EvalTask[];
  records: EvalRecord[];
  createdAt: Date;
  /** The run was stopped before every task finished. */
  interrupted: boolean;
  taskFile: string;
}

/** The whole report page. */
export function renderHtmlReport(input: ReportInput): string {
  const { summary, tasks, records } = input;
  const pools = summary.pools.map((p) => p.pool);
  const byKey = new Map(records.map((r) => [`${r.pool}\u0000${r.taskId}`, r]));
  const taskRows = tasks.map((t) => {
    const q = t.question.length > 400 ? `${t.question.slice(0, 400)}…` : t.question;
    return `<tr><td><code>${escapeXml(t.id)}</code></td><td class="q">${escapeXml(q)}</td><td>${t.checker.type}</td>${pools
      .map((p) => resultCell(byKey.get(`${p}\u0000${t.id}`)))
      .join('')}</tr>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Orchestra eval ${escapeXml(summary.runId)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>Orchestra eval</h1>
<p class="meta">Run <code>${escapeXml(summary.runId)}</code> · ${escapeXml(input.createdAt.toISOString())} · ${tasks.length} task${tasks.length === 1 ? '' : 's'} from <code>${escapeXml(input.taskFile)}</code> × ${pools.length} pool${pools.length === 1 ? '' : 's'} · ${records.length} finished${input.interrupted ? ' · <strong>stopped early: only the finished tasks are counted</strong>' : ''}</p>
<h2>Accuracy against cost</h2>
<figure>${renderParetoSvg(summary)}<figcaption class="meta">Filled points (★ in the table) are on the Pareto front: no other pool is at least as accurate for at most the cost. Cost is by each pool's configured prices.</figcaption></figure>
<h2>Pools</h2>
<table><thead><tr><th>Pool</th><th>Tasks</th><th>Passed</th><th>Accuracy</th><th>Errors</th><th>Total cost</th><th>Cost / task</th><th>Mean latency</th><th>p50</th><th>p90</th></tr></thead>
<tbody>${summary.pools.map(poolRow).join('\n')}</tbody></table>
<h2>Tasks</h2>
<table><thead><tr><th>Task</th><th>Question</th><th>Checker</th>${pools.map((p) => `<th>${escapeXml(p)}</th>`).join('')}</tr></thead>
<tbody>${taskRows.join('\n')}</tbody></table>
</body>
</html>
`;
}
