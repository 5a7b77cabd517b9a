// Shared by the benchmarks: statistics, timing, result rows, and small process helpers.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** One line of the results table. `met` is null where the target is "report" only. */
export interface Row {
  bench: string;
  what: string;
  baseline: string;
  measured: string;
  ratio: string;
  target: string;
  met: boolean | null;
  /** Why a target was missed, or what the figure means; printed under the table. */
  note?: string;
  /** Raw numbers for bench/results/latest.json. */
  data?: Record<string, unknown>;
}

export interface BenchContext {
  quick: boolean;
  /** Repository root (absolute). */
  root: string;
  log(message: string): void;
}

export type Bench = (ctx: BenchContext) => Promise<Row[]>;

export const now = (): number => performance.now();
/** Wall-clock milliseconds with sub-millisecond resolution (comparable across processes). */
export const wallNow = (): number => performance.timeOrigin + performance.now();

export function quantile(values: number[], q: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}
export const median = (v: number[]): number => quantile(v, 0.5);
export const p95 = (v: number[]): number => quantile(v, 0.95);

export function ms(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  return n >= 100 ? `${n.toFixed(0)} ms` : n >= 10 ? `${n.toFixed(1)} ms` : `${n.toFixed(2)} ms`;
}
export function ratio(a: number, b: number): string {
  return Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : 'n/a';
}
export function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs the measured functions alternately (A B, B A, A B …) so drift in machine load hits both
 * equally; returns each one's durations in ms after `warmup` rounds that are not kept.
 */
export async function alternate(fns: Array<() => Promise<unknown>>, rounds: number, warmup: number): Promise<number[][]> {
  const out = fns.map(() => [] as number[]);
  for (let r = 0; r < warmup + rounds; r++) {
    const order = fns.map((_, i) => i);
    if (r % 2) order.reverse();
    for (const i of order) {
      const t0 = now();
      await fns[i]();
      const dt = now() - t0;
      if (r >= warmup) out[i].push(dt);
    }
  }
  return out;
}

/** Resident set size of a process, from /proc (Linux). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) * 1024;
}

/** Spawns a command and resolves with its stdout (rejects on spawn failure or exit code > 1). */
export function capture(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ stdout: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const parts: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => parts.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== null && code > 1) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.slice(0, 500)}`));
      else resolve({ stdout: Buffer.concat(parts).toString('utf8'), code });
    });
  });
}

/**
 * A scripted orchestrator that fans out: its first turn calls the expert `n` times in parallel, and
 * once it has their results it answers `done`.
 */
export function fanOutOrchestrator(n: number, done: string): (body: { messages: Array<{ role: string }> }) => object {
  return (body) =>
    body.messages.some((m) => m.role === 'tool')
      ? { content: done }
      : {
          toolCalls: Array.from({ length: n }, (_, i) => ({
            name: 'call_model',
            arguments: { model: 'expert', task: `Independent part ${i + 1} of the job.` },
          })),
        };
}
