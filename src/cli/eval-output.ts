// What `orchestra eval` shows while and after it runs: a progress bar on a terminal (plain lines
// otherwise) on stderr, and the per-pool table on stdout. Pool and task names come from the user's
// files, so every one is cleaned of terminal escapes before it is written.
import type { EvalRecord } from '../core/eval/record';
import type { EvalSummary } from '../core/eval/summary';
import { formatDollars, formatMs } from '../core/format';
import { sanitizeTerminal } from './terminal';

/** Progress on stderr: one redrawn bar on a terminal, one line per finished task otherwise. */
export class EvalProgress {
  private done = 0;
  private running = 0;
  private readonly counts = { passed: 0, failed: 0, error: 0 };
  private readonly started = Date.now();
  private drawn = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly err: (text: string) => void,
    private readonly total: number,
    private readonly tty: boolean,
  ) {
    // The elapsed time moves on a terminal even while a long task runs.
    if (tty) this.timer = setInterval(() => this.draw(), 1000).unref();
  }

  taskStarted(): void {
    this.running++;
    this.draw();
  }

  finished(r: EvalRecord): void {
    this.running--;
    this.done++;
    this.counts[r.status]++;
    const why = r.status === 'error' && r.error ? ` · ${r.error.code}: ${sanitizeTerminal(r.error.message).slice(0, 200)}` : '';
    const line = `eval: [${this.done}/${this.total}] ${sanitizeTerminal(r.pool)} ${r.taskId}: ${r.status} · ${formatDollars(r.dollars)} · ${formatMs(r.latencyMs)}${why}\n`;
    // On a terminal the bar says how far it is; only errors get a line of their own, with the reason.
    if (!this.tty) this.err(line);
    else if (why) this.note(line);
    else this.draw();
  }

  /** Writes a message above the bar (warnings while it runs). */
  note(text: string): void {
    this.clear();
    this.err(text);
    this.draw();
  }

  private draw(): void {
    if (!this.tty) return;
    const width = 24;
    const filled = this.total ? Math.round((this.done / this.total) * width) : width;
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const c = this.counts;
    this.err(
      `\r\x1b[2K${bar} ${this.done}/${this.total} · ✓ ${c.passed} ✗ ${c.failed} ! ${c.error} · running ${this.running} · ${formatMs(Date.now() - this.started)}`,
    );
    this.drawn = true;
  }

  private clear(): void {
    if (this.tty && this.drawn) this.err('\r\x1b[2K');
  }

  /** Removes the bar (before the table is printed). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.clear();
    this.drawn = false;
  }
}

/** The per-pool table printed when the run ends. */
export function summaryTable(summary: EvalSummary): string {
  const rows = [
    ['POOL', 'TASKS', 'PASSED', 'ACCURACY', 'ERRORS', 'COST/TASK', 'TOTAL COST', 'MEAN LATENCY', 'P90 LATENCY', 'PARETO'],
    ...summary.pools.map((p) => [
      sanitizeTerminal(p.pool),
      String(p.tasks),
      String(p.passed),
      p.tasks ? `${(p.accuracy * 100).toFixed(1)}%` : '-',
      String(p.errored),
      `${formatDollars(p.meanDollars)}${p.unpricedCalls ? ` +${p.unpricedCalls} unpriced` : ''}`,
      formatDollars(p.totalDollars),
      p.tasks ? formatMs(p.meanLatencyMs) : '-',
      p.tasks ? formatMs(p.p90LatencyMs) : '-',
      p.pareto ? 'yes' : p.tasks ? 'no' : '-',
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return `${rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n')}\n`;
}
