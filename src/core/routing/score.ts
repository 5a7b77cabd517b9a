// The routing score (docs/ROUTING.md): every eligible candidate for a role gets
//   score = w_q·q̃ + w_c·c̃ + w_l·l̃ + w_o·[open weights] + w_loc·[local]
// with the weights from `preferences` (per role from `preferences.byRole`), q̃ its quality estimate
// scaled across the candidates, c̃ and l̃ how cheap and how fast it is among them. Each term is kept
// with its text, so the reasons shown for a choice are the very numbers that made it.
import type { OrchestraConfig } from '../config';
import { priorQuality, type QualityEstimate, type QualitySource } from './prior';

/** What the score reads of a model (a PoolModel has all of it). */
export interface ScoredInput {
  id: string;
  model: string;
  local: boolean;
  openWeights: boolean;
  roles: readonly string[];
  inputPricePerMillion: number;
  outputPricePerMillion: number;
  latencyMs?: number;
  /** The user's prior for its quality (0–1), from the model entry. */
  quality?: number;
}

export interface Weights {
  quality: number;
  cost: number;
  latency: number;
  openWeights: number;
  local: number;
}

export type TermKind = keyof Weights;

export interface Term {
  kind: TermKind;
  weight: number;
  /** The feature scaled to 0–1 across the candidates (1 is best). */
  value: number;
  /** weight × value: what it adds to the score. */
  contribution: number;
  /** What the feature is, in words ("quality 0.82 for code (12 outcomes)", "free", "open weights"). */
  text: string;
}

export interface Scored<T extends ScoredInput> {
  model: T;
  score: number;
  terms: Term[];
  quality: QualityEstimate & { used: number; sampled: boolean };
  /** Listed in `preferences.preferredModels` (those come first, in the user's order). */
  preferred: boolean;
}

/** Quality differences smaller than this are scaled down rather than stretched to the full weight. */
export const MIN_QUALITY_SPAN = 0.1;

/** The weights for a role: `preferences`, with that role's `preferences.byRole` entries on top. */
export function weightsFor(config: OrchestraConfig, role?: string): Weights {
  const p = config.preferences;
  const base: Weights = { quality: p.quality, cost: p.cost, latency: p.latency, openWeights: p.openWeights, local: p.local };
  const over = role ? (p.byRole as Record<string, Partial<Weights> | undefined>)[role] : undefined;
  return { ...base, ...(over ?? {}) };
}

/** Output tokens dominate most bills; weigh them like a typical 3:1 prompt-to-answer token mix. */
export function blendedPrice(m: ScoredInput): number {
  return (3 * m.inputPricePerMillion + m.outputPricePerMillion) / 4;
}

function minMax(values: number[]): (v: number) => number {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return (v) => (hi > lo ? (v - lo) / (hi - lo) : 0.5);
}

export interface ScoreOptions {
  /** The role the models are scored for (picks its quality estimates and weights). */
  role?: string;
  quality?: QualitySource;
  /** Draw each quality from its posterior (Thompson sampling) instead of using the mean. */
  sample?: boolean;
  random?: () => number;
}

/**
 * Scores and orders candidates: preferred models first (in the user's order), then models of the role,
 * then by score, then in pool order. Never filters: eligibility is the hard rules' business.
 */
export function scoreModels<T extends ScoredInput>(models: readonly T[], config: OrchestraConfig, o: ScoreOptions = {}): Array<Scored<T>> {
  const w = weightsFor(config, o.role);
  const role = o.role;
  const estimates = models.map((m) => {
    const prior = priorQuality(m);
    const est = o.quality?.estimate(m.id, role ?? 'general', prior) ?? { mean: prior.mean, n: 0, alpha: 0, beta: 0, prior };
    const sampled = o.sample === true && o.quality !== undefined;
    const used = sampled ? o.quality!.sample(est, o.random) : est.mean;
    return { ...est, used, sampled };
  });
  const prices = models.map(blendedPrice);
  const measured = models.map((m) => m.latencyMs).filter((x): x is number => typeof x === 'number');
  const avgLatency = measured.length ? measured.reduce((a, b) => a + b, 0) / measured.length : 0;
  const latencies = models.map((m) => m.latencyMs ?? avgLatency);
  const qs = estimates.map((e) => e.used);
  const qLo = Math.min(...qs);
  const qHi = Math.max(...qs);
  const nq = (q: number) => (qHi > qLo ? (q - qLo) / Math.max(qHi - qLo, MIN_QUALITY_SPAN) : 0.5);
  const nc = minMax(prices);
  const nl = minMax(latencies);
  const cheapest = Math.min(...prices);
  const fastest = Math.min(...latencies);
  const scored = models.map((m, i): Scored<T> => {
    const e = estimates[i];
    const terms: Term[] = [
      term('quality', w.quality, nq(e.used), qualityText(e, role)),
      term('cost', w.cost, 1 - nc(prices[i]), costText(m, prices[i], cheapest, models.length)),
      term('latency', w.latency, 1 - nl(latencies[i]), latencyText(m, latencies[i], fastest, models.length)),
      term('openWeights', w.openWeights, m.openWeights ? 1 : 0, m.openWeights ? 'open weights' : 'closed weights'),
      term('local', w.local, m.local ? 1 : 0, m.local ? 'runs locally' : 'remote'),
    ];
    const preferred = config.preferences.preferredModels.some((p) => p === m.id || p === m.model);
    return { model: m, score: terms.reduce((s, t) => s + t.contribution, 0), terms, quality: e, preferred };
  });
  const prefRank = (m: T) => {
    const i = config.preferences.preferredModels.findIndex((p) => p === m.id || p === m.model);
    return i < 0 ? Number.POSITIVE_INFINITY : i;
  };
  const roleRank = (m: T) => (role && m.roles.includes(role) ? 0 : 1);
  return scored
    .map((s, i) => ({ s, i }))
    .sort(
      (a, b) =>
        prefRank(a.s.model) - prefRank(b.s.model) || roleRank(a.s.model) - roleRank(b.s.model) || b.s.score - a.s.score || a.i - b.i,
    )
    .map((x) => x.s);
}

function term(kind: TermKind, weight: number, value: number, text: string): Term {
  return { kind, weight, value, contribution: weight * value, text };
}

/** The reasons of a choice: its terms that add to the score, largest first, as "text (+0.41)". */
export function reasonsOf(s: Scored<ScoredInput>, max = 3): string[] {
  const out = s.preferred ? ['preferred by you (preferences.preferredModels)'] : [];
  const terms = s.terms.filter((t) => t.contribution > 0.005).sort((a, b) => b.contribution - a.contribution);
  return [...out, ...terms.slice(0, max).map((t) => `${t.text} (+${t.contribution.toFixed(2)})`)];
}

function qualityText(e: QualityEstimate & { used: number; sampled: boolean }, role: string | undefined): string {
  const what = `quality ${e.used.toFixed(2)}${role ? ` for ${role}` : ''}`;
  const source = e.n > 0 ? `${e.n} outcome${e.n === 1 ? '' : 's'}, mean ${e.mean.toFixed(2)}` : e.prior.source;
  return `${what} (${e.sampled ? `sampled; ${source}` : source})`;
}

function costText(m: ScoredInput, price: number, cheapest: number, n: number): string {
  const listed = `$${m.inputPricePerMillion}/$${m.outputPricePerMillion} per M`;
  if (price === 0) return 'free';
  return n > 1 && price === cheapest ? `cheapest (${listed})` : listed;
}

function latencyText(m: ScoredInput, latency: number, fastest: number, n: number): string {
  if (m.latencyMs === undefined) return 'latency not measured';
  const s = `${(latency / 1000).toFixed(1)} s measured`;
  return n > 1 && latency === fastest ? `fastest (${s})` : s;
}
