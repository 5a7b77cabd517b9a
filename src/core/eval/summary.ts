// What an eval's records say per pool — accuracy, cost, latency — and which pools are on the Pareto
// front of accuracy against cost (no other pool is at least as accurate for at most the cost, and
// strictly better in one). Pure functions over records, shared by the table, --json and the report.
import type { EvalRecord } from './record';

export interface PoolSummary {
  pool: string;
  /** Tasks that finished under this pool (passed + failed + errored). */
  tasks: number;
  passed: number;
  failed: number;
  errored: number;
  /** passed / tasks; 0 when no task finished. */
  accuracy: number;
  totalDollars: number;
  meanDollars: number;
  /** Calls on subscription or unknown-price models: not in the dollars. */
  unpricedCalls: number;
  meanLatencyMs: number;
  p50LatencyMs: number;
  p90LatencyMs: number;
  inputTokens: number;
  outputTokens: number;
  /** On the accuracy/cost Pareto front. */
  pareto: boolean;
}

export interface EvalSummary {
  runId: string;
  pools: PoolSummary[];
  /** Pool names on the front, cheapest first. */
  front: string[];
}

/** Nearest-rank percentile of sorted values (0 for none). */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export interface FrontPoint {
  name: string;
  accuracy: number;
  cost: number;
}

/** The names of the points no other point dominates, cheapest first (ties by name). */
export function paretoFront(points: FrontPoint[]): string[] {
  const dominated = (p: FrontPoint) =>
    points.some((q) => q !== p && q.accuracy >= p.accuracy && q.cost <= p.cost && (q.accuracy > p.accuracy || q.cost < p.cost));
  return points
    .filter((p) => !dominated(p))
    .sort((a, b) => a.cost - b.cost || b.accuracy - a.accuracy || a.name.localeCompare(b.name))
    .map((p) => p.name);
}

function summarizePool(pool: string, records: EvalRecord[]): Omit<PoolSummary, 'pareto'> {
  const n = records.length;
  const count = (s: EvalRecord['status']) => records.filter((r) => r.status === s).length;
  const latencies = records.map((r) => r.latencyMs).sort((a, b) => a - b);
  const totalDollars = records.reduce((d, r) => d + r.dollars, 0);
  return {
    pool,
    tasks: n,
    passed: count('passed'),
    failed: count('failed'),
    errored: count('error'),
    accuracy: n ? count('passed') / n : 0,
    totalDollars,
    meanDollars: n ? totalDollars / n : 0,
    unpricedCalls: records.reduce((c, r) => c + r.unpricedCalls, 0),
    meanLatencyMs: n ? latencies.reduce((a, b) => a + b, 0) / n : 0,
    p50LatencyMs: percentile(latencies, 50),
    p90LatencyMs: percentile(latencies, 90),
    inputTokens: records.reduce((c, r) => c + r.inputTokens, 0),
    outputTokens: records.reduce((c, r) => c + r.outputTokens, 0),
  };
}

/**
 * Per-pool summary in the order `pools` gives. Pools with no finished task are listed but left off
 * the front (there is nothing to compare).
 */
export function summarize(runId: string, pools: string[], records: EvalRecord[]): EvalSummary {
  const rows = pools.map((p) =>
    summarizePool(
      p,
      records.filter((r) => r.pool === p),
    ),
  );
  const front = paretoFront(rows.filter((r) => r.tasks > 0).map((r) => ({ name: r.pool, accuracy: r.accuracy, cost: r.meanDollars })));
  return { runId, pools: rows.map((r) => ({ ...r, pareto: front.includes(r.pool) })), front };
}
