// The quality store on its own: outcomes and verdicts move the Beta posterior as documented, the file
// survives a restart and an unreadable one is kept aside, and Thompson sampling draws from the posterior
// (so feedback changes which model a role pick prefers). Seeded randomness: no test depends on luck.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../src/core/config';
import { QualityStore, sampleBeta } from '../../../src/core/routing/quality';
import { scoreModels, type ScoredInput } from '../../../src/core/routing/score';

/** mulberry32: a small seeded generator, so draws are the same on every run. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const prior = { mean: 0.7, strength: 10, source: 'your prior' };

test('outcomes and verdicts move the posterior: α = prior·strength + successes, β = (1 − prior)·strength + failures', () => {
  const store = new QualityStore();
  assert.equal(store.estimate('m', 'code', prior).mean, 0.7);
  store.taskEnded(
    't1',
    [
      { model: 'm', role: 'code' },
      { model: 'm', role: 'code' },
    ],
    'success',
  );
  assert.deepEqual(store.stats(), [{ model: 'm', role: 'code', successes: 0.5, failures: 0 }], 'counted once per model and role');
  store.feedback('t1', 'down');
  const e = store.estimate('m', 'code', prior);
  assert.ok(Math.abs(e.alpha - 7.5) < 1e-12 && Math.abs(e.beta - 4) < 1e-12);
  assert.equal(e.n, 1.5);
  assert.equal(store.estimate('m', 'math', prior).mean, 0.7, 'per role: math has no evidence');
  // A cancelled task (no outcome) is remembered for feedback but counts nothing by itself.
  store.taskEnded('t2', [{ model: 'm', role: 'math' }], undefined);
  assert.equal(store.estimate('m', 'math', prior).n, 0);
  store.feedback('t2', 'up');
  assert.equal(store.estimate('m', 'math', prior).n, 1);
});

test('the file persists across stores; an unreadable one is moved aside, not lost', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orchestra-quality-'));
  try {
    const file = join(dir, 'sub', 'quality.json');
    const a = new QualityStore(file);
    a.taskEnded('t1', [{ model: 'm', role: 'code' }], 'success');
    a.feedback('t1', 'up');
    const b = new QualityStore(file);
    assert.deepEqual(b.stats(), [{ model: 'm', role: 'code', successes: 1.5, failures: 0 }]);
    b.feedback('t1', 'down');
    assert.deepEqual(new QualityStore(file).stats(), [{ model: 'm', role: 'code', successes: 0.5, failures: 1 }]);
    assert.equal(b.reset(), 1);
    assert.deepEqual(new QualityStore(file).stats(), []);
    assert.throws(() => b.feedback('t1', 'up'), /no finished task/, 'a full reset forgets the tasks too');

    writeFileSync(file, '{ not json');
    const c = new QualityStore(file);
    assert.match(c.loadProblem ?? '', /could not be read.*kept as/);
    assert.deepEqual(c.stats(), []);
    assert.ok(readdirSync(join(dir, 'sub')).some((n) => n.startsWith('quality.json.unreadable-')));
    assert.ok(!existsSync(file), 'nothing written until there is evidence');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Beta draws have the posterior’s mean and shrink with evidence', () => {
  const random = seeded(42);
  const draws = (a: number, b: number) => Array.from({ length: 4000 }, () => sampleBeta(a, b, random));
  const meanOf = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const sdOf = (xs: number[]) => Math.sqrt(meanOf(xs.map((x) => (x - meanOf(xs)) ** 2)));
  for (const [a, b] of [
    [7, 3],
    [0.5, 0.5],
    [70, 30],
  ]) {
    const xs = draws(a, b);
    assert.ok(xs.every((x) => x >= 0 && x <= 1));
    assert.ok(Math.abs(meanOf(xs) - a / (a + b)) < 0.02, `Beta(${a}, ${b}): mean ${meanOf(xs)}`);
  }
  assert.ok(sdOf(draws(70, 30)) < sdOf(draws(7, 3)) / 2, 'ten times the evidence: a much narrower posterior');
});

test('thumbs down on a model’s work make a Thompson-sampled role pick choose it less', () => {
  const { config } = parseConfig({ preferences: { quality: 1, cost: 0, latency: 0, explore: true } });
  const m = (id: string, quality: number): ScoredInput => ({
    id,
    model: id,
    local: false,
    openWeights: false,
    roles: ['code'],
    inputPricePerMillion: 0,
    outputPricePerMillion: 0,
    quality,
  });
  const store = new QualityStore();
  const share = (seed: number) => {
    const random = seeded(seed);
    let wins = 0;
    for (let i = 0; i < 400; i++)
      if (scoreModels([m('x', 0.7), m('y', 0.6)], config, { role: 'code', quality: store, sample: true, random })[0].model.id === 'x')
        wins++;
    return wins / 400;
  };
  const before = share(7);
  assert.ok(before > 0.5 && before < 1, `x, the better prior, is picked most of the time but not always: ${before}`);
  for (let i = 0; i < 6; i++) {
    store.taskEnded(`t${i}`, [{ model: 'x', role: 'code' }], undefined);
    store.feedback(`t${i}`, 'down');
  }
  const after = share(7);
  assert.ok(after < before - 0.3, `after six thumbs down x is picked far less: ${before} → ${after}`);
  const sampled = scoreModels([m('x', 0.7), m('y', 0.6)], config, { role: 'code', quality: store, sample: true, random: seeded(1) });
  assert.match(sampled.find((s) => s.model.id === 'x')!.terms[0].text, /^quality 0\.\d\d for code \(sampled; 6 outcomes, mean 0\.44\)$/);
});
