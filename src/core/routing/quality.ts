// Quality from evidence (docs/ROUTING.md): per model and per role, weighted successes and failures
// from task outcomes and the user's thumbs up/down, kept in one local JSON file, read by the routing
// score as a Beta posterior over the prior (prior.ts) and sampled for Thompson-sampling exploration.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EngineEvent } from '../protocol/events';
import type { QualityRow } from '../engine-api';
import { TestEvidence, type TestVerdict } from './test-evidence';
import { GUESSED_PRIOR_STRENGTH, posterior, priorQuality, type QualityEstimate, type QualityPrior, type QualitySource } from './prior';

/** What one finished task is worth as evidence, per model that served it; the user's verdict weighs most. */
export const OUTCOME_WEIGHT = 0.5;
export const FEEDBACK_WEIGHT = 1;
/** A test run in run_code, passed or failed, per model that wrote the code it tested (test-evidence.ts). */
export const TEST_WEIGHT = 0.5;
/** Finished tasks remembered for feedback given later (the panel's thumbs, `orchestra feedback`). */
export const KEEP_TASKS = 200;

/** A model that served a task in a role (the orchestrator counts with role `orchestrator`). */
export interface Served {
  model: string;
  role: string;
}

export interface QualityStat {
  model: string;
  role: string;
  successes: number;
  failures: number;
}

type Verdict = 'up' | 'down';

interface TaskRecord {
  served: Served[];
  /** The task's own outcome, counted when it ended; absent when it says nothing of quality (cancelled, budget). */
  outcome?: 'success' | 'failure';
  feedback?: Verdict;
  at: number;
}

interface StoreFile {
  version: 1;
  counts: Record<string, Record<string, { successes: number; failures: number }>>;
  tasks: Record<string, TaskRecord>;
}

const empty = (): StoreFile => ({ version: 1, counts: {}, tasks: {} });

export class QualityStore implements QualitySource {
  private data: StoreFile;
  /** Set when the file could not be read: it was moved aside (nothing lost) and the store starts empty. */
  readonly loadProblem?: string;

  /** `file` unset: in memory only (tests, hosts with nowhere to keep it). */
  constructor(private readonly file?: string) {
    this.data = empty();
    if (!file) return;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return; // no evidence yet
    }
    try {
      this.data = validate(JSON.parse(text));
    } catch (err) {
      const aside = `${file}.unreadable-${Date.now()}`;
      renameSync(file, aside);
      this.loadProblem = `${file} could not be read (${(err as Error).message}); kept as ${aside}, starting without evidence`;
    }
  }

  estimate(modelId: string, role: string, prior: QualityPrior): QualityEstimate {
    const c = this.data.counts[modelId]?.[role];
    return posterior(prior, c?.successes ?? 0, c?.failures ?? 0);
  }

  sample(e: QualityEstimate, random: () => number = Math.random): number {
    return sampleBeta(e.alpha, e.beta, random);
  }

  /**
   * A task ended: its outcome counts for each model that served it, each test verdict for the model
   * that wrote the tested code, and the task is kept for later feedback.
   */
  taskEnded(taskId: string, served: Served[], outcome: 'success' | 'failure' | undefined, tests: readonly TestVerdict[] = []): void {
    for (const t of tests) this.add(t, t.passed, TEST_WEIGHT);
    const unique = dedupe(served);
    if (!unique.length) {
      if (tests.length) this.save();
      return;
    }
    if (outcome) for (const s of unique) this.add(s, outcome === 'success', OUTCOME_WEIGHT);
    this.data.tasks[taskId] = { served: unique, outcome, at: Date.now() };
    const ids = Object.keys(this.data.tasks);
    if (ids.length > KEEP_TASKS) {
      ids.sort((a, b) => this.data.tasks[a].at - this.data.tasks[b].at);
      for (const id of ids.slice(0, ids.length - KEEP_TASKS)) delete this.data.tasks[id];
    }
    this.save();
  }

  /**
   * The user's verdict on a task's answer: a success (up) or failure (down) for each model that served
   * it. A changed verdict replaces the earlier one; `none` withdraws it. Unknown task: an error.
   */
  feedback(taskId: string, verdict: Verdict | 'none'): Served[] {
    const t = this.data.tasks[taskId];
    if (!t) throw new Error(`no finished task "${taskId}" is remembered (the last ${KEEP_TASKS} tasks are)`);
    if (t.feedback) for (const s of t.served) this.add(s, t.feedback === 'up', -FEEDBACK_WEIGHT);
    if (verdict === 'none') delete t.feedback;
    else {
      t.feedback = verdict;
      for (const s of t.served) this.add(s, verdict === 'up', FEEDBACK_WEIGHT);
    }
    this.save();
    return t.served;
  }

  stats(): QualityStat[] {
    return Object.entries(this.data.counts)
      .flatMap(([model, roles]) => Object.entries(roles).map(([role, c]) => ({ model, role, ...c })))
      .sort((a, b) => a.model.localeCompare(b.model) || a.role.localeCompare(b.role));
  }

  /** Forgets the evidence (of one model, or all); returns how many model-role estimates were reset. */
  reset(modelId?: string): number {
    const n = modelId ? Object.keys(this.data.counts[modelId] ?? {}).length : this.stats().length;
    if (modelId) {
      delete this.data.counts[modelId];
      for (const t of Object.values(this.data.tasks)) t.served = t.served.filter((s) => s.model !== modelId);
    } else this.data = empty();
    this.save();
    return n;
  }

  private add(s: Served, success: boolean, weight: number): void {
    const roles = (this.data.counts[s.model] ??= {});
    const c = (roles[s.role] ??= { successes: 0, failures: 0 });
    // Withdrawn feedback can leave float dust; never below zero.
    if (success) c.successes = Math.max(0, round(c.successes + weight));
    else c.failures = Math.max(0, round(c.failures + weight));
    if (c.successes === 0 && c.failures === 0) delete roles[s.role];
    if (!Object.keys(roles).length) delete this.data.counts[s.model];
  }

  private save(): void {
    if (!this.file) return;
    mkdirSync(dirname(this.file), { recursive: true });
    // Write then rename: a crash mid-write never leaves half a file.
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.data, null, 1)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}

/**
 * Which models served a task, read from its events: the orchestrator, and each model whose call
 * finished ok in the role it was chosen for (`model_choice`; `general` when none was said).
 */
export class ServedCollector {
  private readonly roles = new Map<string, string>();
  private readonly list: Served[] = [];
  private readonly tests = new TestEvidence();
  /** The task's own outcome as evidence: answered, or out of turns; other ends (cancelled, budget, down) say nothing. */
  outcome: 'success' | 'failure' | undefined;

  see(e: EngineEvent): void {
    if (e.type === 'task_started' && e.orchestratorModel) this.list.push({ model: e.orchestratorModel, role: 'orchestrator' });
    else if (e.type === 'model_choice' && e.role) this.roles.set(e.callId, e.role);
    else if (e.type === 'tool_call_finished' && e.model && e.state === 'ok')
      this.list.push({ model: e.model, role: this.roles.get(e.callId) ?? 'general' });
    else if (e.type === 'done') this.outcome = 'success';
    else if (e.type === 'error' && e.code === 'turns') this.outcome = 'failure';
    this.tests.see(e, (callId) => this.roles.get(callId));
  }

  /** The task's test runs in run_code, one verdict per model that wrote tested code (test-evidence.ts). */
  testVerdicts(): TestVerdict[] {
    return this.tests.list();
  }

  served(): Served[] {
    return dedupe(this.list);
  }
}

type PriorInput = Parameters<typeof priorQuality>[0] & { roles: readonly string[] };

/**
 * Every estimate worth showing: each pool model in each of its roles (evidence or not) and in each
 * role it has evidence for, then evidence about models no longer in the pool. The interval is
 * mean ± 1.645 sd of the Beta, clipped to 0–1.
 */
export function qualityTable(store: QualityStore, models: readonly PriorInput[]): QualityRow[] {
  const rows: QualityRow[] = [];
  const seen = new Set<string>();
  const row = (model: string, role: string, prior: QualityPrior, inPool: boolean) => {
    seen.add(`${model}\u0000${role}`);
    const e = store.estimate(model, role, prior);
    const c = store.stats().find((s) => s.model === model && s.role === role);
    const n = e.alpha + e.beta;
    const sd = Math.sqrt((e.alpha * e.beta) / (n * n * (n + 1)));
    rows.push({
      model,
      role,
      successes: c?.successes ?? 0,
      failures: c?.failures ?? 0,
      mean: e.mean,
      low: Math.max(0, e.mean - 1.645 * sd),
      high: Math.min(1, e.mean + 1.645 * sd),
      prior: prior.mean,
      priorSource: prior.source,
      inPool,
    });
  };
  // A pool model's evidence in a role it is not listed for (the orchestrator setting names any model) is its own too.
  const stats = store.stats();
  for (const m of models) {
    const roles = new Set([...m.roles, ...stats.filter((s) => s.model === m.id).map((s) => s.role)]);
    for (const role of roles) row(m.id, role, priorQuality(m), true);
  }
  const gone: QualityPrior = { mean: 0.5, strength: GUESSED_PRIOR_STRENGTH, source: 'not in the pool' };
  for (const s of stats) if (!seen.has(`${s.model}\u0000${s.role}`)) row(s.model, s.role, gone, false);
  return rows;
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

function dedupe(served: Served[]): Served[] {
  const seen = new Set<string>();
  return served.filter((s) => {
    const key = `${s.model}\u0000${s.role}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function validate(raw: unknown): StoreFile {
  const d = raw as StoreFile;
  if (!d || typeof d !== 'object' || d.version !== 1 || typeof d.counts !== 'object' || typeof d.tasks !== 'object')
    throw new Error('not an Orchestra quality file (version 1)');
  for (const roles of Object.values(d.counts))
    for (const c of Object.values(roles))
      if (!(c.successes >= 0 && c.failures >= 0)) throw new Error('a count is not a non-negative number');
  return d;
}

/** A draw from Beta(α, β) as X/(X+Y) with X ~ Gamma(α), Y ~ Gamma(β). */
export function sampleBeta(alpha: number, beta: number, random: () => number = Math.random): number {
  const x = sampleGamma(alpha, random);
  const y = sampleGamma(beta, random);
  return x + y > 0 ? x / (x + y) : alpha / (alpha + beta);
}

/** Marsaglia and Tsang's method; shape < 1 through Gamma(shape + 1) · U^(1/shape). */
function sampleGamma(shape: number, random: () => number): number {
  if (shape <= 0) return 0;
  if (shape < 1) return sampleGamma(shape + 1, random) * Math.pow(random() || Number.MIN_VALUE, 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u || Number.MIN_VALUE) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

function normal(random: () => number): number {
  const u = random() || Number.MIN_VALUE;
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
