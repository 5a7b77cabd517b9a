// The routing score of docs/ROUTING.md, checked against the formula computed by hand: the terms, the
// order, per-role weights, the soft preferences for open weights and local models, preferred models,
// and that the reasons a choice shows are its own largest terms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, type OrchestraConfigInput } from '../../../src/core/config';
import { scoreModels, reasonsOf, weightsFor, type ScoredInput } from '../../../src/core/routing/score';
import { priorQuality } from '../../../src/core/routing/prior';
import { namedChoice, rankedChoice } from '../../../src/core/routing/choice';

function cfg(preferences: OrchestraConfigInput['preferences']) {
  const { config, problems } = parseConfig({ preferences });
  assert.deepEqual(problems, []);
  return config;
}

const m = (id: string, extra: Partial<ScoredInput>): ScoredInput => ({
  id,
  model: id,
  local: false,
  openWeights: false,
  roles: ['code'],
  inputPricePerMillion: 0,
  outputPricePerMillion: 0,
  ...extra,
});

// a: local, open, free, prior 0.6 · b: remote, closed, $1/$4, prior 0.9 · c: remote, open, $0.2/$0.2, prior 0.7
const a = m('a', { local: true, openWeights: true, quality: 0.6 });
const b = m('b', { inputPricePerMillion: 1, outputPricePerMillion: 4, quality: 0.9 });
const c = m('c', { openWeights: true, inputPricePerMillion: 0.2, outputPricePerMillion: 0.2, quality: 0.7 });
const weights = { quality: 0.5, cost: 0.3, latency: 0.2, openWeights: 0.2, local: 0.1, explore: false };

test('the score is the documented sum of weighted terms, computed by hand', () => {
  const ranked = scoreModels([a, b, c], cfg(weights), { role: 'code' });
  // q̃: (q − 0.6) / 0.3; c̃: 1 − (p − 0) / 1.75 with blended prices 0, 1.75, 0.2; nothing measured: l̃ = 0.5.
  const expected = {
    a: 0.5 * 0 + 0.3 * 1 + 0.2 * 0.5 + 0.2 * 1 + 0.1 * 1,
    b: 0.5 * 1 + 0.3 * 0 + 0.2 * 0.5 + 0 + 0,
    c: 0.5 * (0.1 / 0.3) + 0.3 * (1 - 0.2 / 1.75) + 0.2 * 0.5 + 0.2 * 1 + 0,
  };
  assert.deepEqual(
    ranked.map((s) => s.model.id),
    ['c', 'a', 'b'],
  );
  for (const s of ranked) {
    assert.ok(Math.abs(s.score - expected[s.model.id as 'a']) < 1e-12, `${s.model.id}: ${s.score} vs ${expected[s.model.id as 'a']}`);
    assert.ok(Math.abs(s.score - s.terms.reduce((x, t) => x + t.contribution, 0)) < 1e-12, 'the terms add up to the score');
  }
  const top = ranked[0];
  assert.deepEqual(reasonsOf(top), ['$0.2/$0.2 per M (+0.27)', 'open weights (+0.20)', 'quality 0.70 for code (your prior) (+0.17)']);
  const choice = rankedChoice(ranked, top, 'code');
  assert.equal(choice.model, 'c');
  assert.equal(choice.score, Math.round(expected.c * 1000) / 1000);
  assert.equal(choice.runnerUp?.model, 'a');
  assert.equal(choice.runnerUp?.score, Math.round(expected.a * 1000) / 1000);
  assert.deepEqual(choice.runnerUp?.reasons, ['free (+0.30)', 'open weights (+0.20)', 'latency not measured (+0.10)']);
});

test('per-role weights override the general ones for that role only', () => {
  const config = cfg({ ...weights, byRole: { code: { quality: 1, cost: 0, openWeights: 0, local: 0 } } });
  assert.deepEqual(weightsFor(config, 'code'), { quality: 1, cost: 0, latency: 0.2, openWeights: 0, local: 0 });
  assert.deepEqual(weightsFor(config, 'math'), { quality: 0.5, cost: 0.3, latency: 0.2, openWeights: 0.2, local: 0.1 });
  assert.equal(scoreModels([a, b, c], config, { role: 'code' })[0].model.id, 'b', 'quality alone for code: the strongest');
  assert.equal(scoreModels([a, b, c], config, { role: 'math' })[0].model.id, 'c');
  assert.match(JSON.stringify(parseConfig({ preferences: { byRole: { code: { qualty: 1 } } } }).problems), /byRole/);
  assert.match(JSON.stringify(parseConfig({ preferences: { byRole: { coding: { quality: 1 } } } }).problems), /byRole/);
});

test('prefer open weights and prefer local are soft: they move the ranking, they exclude nothing', () => {
  const plain = { quality: 0, cost: 0, latency: 0, openWeights: 0, local: 0, explore: false };
  const x = m('x', { quality: 0.8 });
  const y = m('y', { quality: 0.7, openWeights: true });
  const z = m('z', { quality: 0.7, local: true });
  assert.deepEqual(
    scoreModels([x, y, z], cfg({ ...plain, quality: 0.1 })).map((s) => s.model.id),
    ['x', 'y', 'z'],
  );
  assert.deepEqual(
    scoreModels([x, y, z], cfg({ ...plain, quality: 0.1, openWeights: 0.5 })).map((s) => s.model.id),
    ['y', 'x', 'z'],
  );
  assert.deepEqual(
    scoreModels([x, y, z], cfg({ ...plain, quality: 0.1, local: 0.5 })).map((s) => s.model.id),
    ['z', 'x', 'y'],
  );
});

test('small quality differences are not stretched to the full weight; preferred models come first', () => {
  const p = m('p', { quality: 0.72 });
  const q = m('q', { quality: 0.7 });
  const [first, second] = scoreModels([q, p], cfg({ ...weights, cost: 0, latency: 0, openWeights: 0, local: 0 }));
  assert.equal(first.model.id, 'p');
  assert.ok(Math.abs(first.score - 0.5 * (0.02 / 0.1)) < 1e-12, 'a 2-point lead is worth a fifth of the weight');
  assert.equal(second.score, 0);
  const preferred = scoreModels([q, p], cfg({ ...weights, preferredModels: ['q'] }));
  assert.equal(preferred[0].model.id, 'q');
  assert.equal(reasonsOf(preferred[0])[0], 'preferred by you (preferences.preferredModels)');
});

test('a named model shows its own standing and the best alternative', () => {
  const ranked = scoreModels([a, b, c], cfg(weights), { role: 'code' });
  const named = namedChoice(ranked, 'b', 'code');
  assert.equal(named.how, 'named');
  assert.equal(named.reasons[0], 'ranked #3 of 3 for code by the scoring');
  assert.equal(named.runnerUp?.model, 'c');
});

test('priors: the user’s figure, else a weak guess from price and size', () => {
  assert.deepEqual(priorQuality({ ...b, quality: 0.9 }), { mean: 0.9, strength: 10, source: 'your prior' });
  const small = priorQuality(m('qwen2.5-coder:1.5b', {}));
  const big = priorQuality(m('qwen2.5-coder:32b', {}));
  const paid = priorQuality(m('gpt-5', { inputPricePerMillion: 1.25, outputPricePerMillion: 10 }));
  assert.ok(small.mean < big.mean && big.mean < paid.mean, `${small.mean} < ${big.mean} < ${paid.mean}`);
  assert.equal(big.source, 'guessed from size');
  assert.equal(paid.strength, 4);
});
