// The CLI's side of quality from evidence (docs/ROUTING.md): where the estimates are kept, the
// `orchestra models --stats` table, and `orchestra feedback TASK up|down|none`.
import { join } from 'node:path';
import type { QualityRow } from '../core/engine-api';
import { QualityStore } from '../core/routing/quality';
import { parseArgs, UsageError } from './args';
import { dataDir } from './history';

/** The estimates live in `quality.json` in the CLI's data folder, beside the conversations (history.ts dataDir). */
export function qualityFile(env: NodeJS.ProcessEnv, cwd: string, dataDirFlag?: string): string {
  return join(dataDir(dataDirFlag, { env, cwd }), 'quality.json');
}

const pct = (x: number) => x.toFixed(2);

/** One line per model and role: the estimate, its 90% interval, the evidence and the prior. */
export function qualityStatsTable(rows: readonly QualityRow[], file: string): string {
  const table = [
    ['MODEL', 'ROLE', 'QUALITY', '90% INTERVAL', 'GOOD', 'BAD', 'PRIOR'],
    ...rows.map((r) => [
      r.inPool ? r.model : `${r.model} (not in the pool)`,
      r.role,
      pct(r.mean),
      `${pct(r.low)}–${pct(r.high)}`,
      fmtCount(r.successes),
      fmtCount(r.failures),
      `${pct(r.prior)} ${r.priorSource}`,
    ]),
  ];
  const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  const lines = table.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  '));
  return `Quality estimates (${file}):\n${lines.join('\n')}\n`;
}

const fmtCount = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/** `orchestra feedback TASK_ID up|down|none`: the user's verdict on a finished task's answer. */
export function feedbackCommand(argv: string[], io: { out(t: string): void; env: NodeJS.ProcessEnv; cwd: string }, usage: string): number {
  const a = parseArgs(argv, { booleans: ['--help'] });
  if (a.flags.has('--help')) {
    io.out(usage);
    return 0;
  }
  const [taskId, verdict, extra] = a.positionals;
  if (!taskId || extra !== undefined) throw new UsageError('feedback needs a task id and up, down or none');
  if (verdict !== 'up' && verdict !== 'down' && verdict !== 'none')
    throw new UsageError(`feedback verdict must be up, down or none, got "${verdict ?? ''}"`);
  const file = qualityFile(io.env, io.cwd);
  const store = new QualityStore(file);
  const served = store.feedback(taskId, verdict);
  const who = served.map((s) => `${s.model} (${s.role})`).join(', ') || 'no model';
  io.out(verdict === 'none' ? `Feedback on ${taskId} withdrawn for ${who}.\n` : `Thumbs ${verdict} on ${taskId}: counted for ${who}.\n`);
  return 0;
}
