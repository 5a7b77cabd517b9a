// Eligibility under each privacy mode and the deny lists, model ranking by the soft preferences,
// the instruction block, and ledger roll-up of subtask spend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modelVerdict, rankModels, preferenceInstructions, matchesAny, type RuleModel } from '../../../src/core/preferences';
import { Ledger } from '../../../src/core/ledger';
import { config } from './helpers';

const m = (id: string, extra: Partial<RuleModel> = {}): RuleModel => ({
  id,
  model: id,
  host: '127.0.0.1',
  local: true,
  openWeights: true,
  roles: ['general'],
  inputPricePerMillion: 0,
  outputPricePerMillion: 0,
  ...extra,
});

test('eligibility: privacy modes and deny lists name the rule', () => {
  const cloud = m('gpt', { host: 'api.example.com', local: false, openWeights: false, inputPricePerMillion: 1, outputPricePerMillion: 8 });
  const openRemote = m('llama-70b', { host: 'api.example.com', local: false });
  const any = config({});
  assert.equal(modelVerdict(cloud, any).eligible, true);
  const localOnly = config({ privacyMode: 'local-only' });
  const v = modelVerdict(openRemote, localOnly);
  assert.equal(v.eligible, false);
  assert.ok(!v.eligible && v.rule === 'privacyMode' && /api\.example\.com/.test(v.reason));
  assert.equal(modelVerdict(m('local'), localOnly).eligible, true);
  const openOnly = config({ privacyMode: 'open-weights-only' });
  assert.equal(modelVerdict(cloud, openOnly).eligible, false);
  assert.equal(modelVerdict(openRemote, openOnly).eligible, true);
  const denied = config({ preferences: { deniedModels: ['gpt*'] } });
  const dv = modelVerdict(cloud, denied);
  assert.ok(!dv.eligible && dv.rule === 'preferences.deniedModels');
  assert.ok(matchesAny(['github__*'], ['github__create_issue']));
  assert.ok(!matchesAny(['github__*'], ['gitlab__x']));
});

test('every refusal names the rule, the model and the setting that would allow it', () => {
  const cloud = m('gpt', { host: 'api.example.com', local: false, openWeights: false });
  const verdicts = [
    [
      modelVerdict(cloud, config({ privacyMode: 'local-only' })),
      /orchestra\.privacyMode.*"gpt".*api\.example\.com.*set orchestra\.privacyMode to "any"/,
    ],
    [modelVerdict(cloud, config({ privacyMode: 'open-weights-only' })), /orchestra\.privacyMode.*"gpt".*"openWeights": true/],
    [modelVerdict(cloud, config({ preferences: { deniedModels: ['gpt*'] } })), /"gpt".*orchestra\.preferences\.deniedModels.*remove it/],
  ] as const;
  for (const [v, reason] of verdicts) assert.ok(!v.eligible && reason.test(v.reason), JSON.stringify(v));
  // A loopback model the user marked "local": false is refused for that setting, not for "not this machine".
  const marked = modelVerdict(
    m('loop', { host: '127.0.0.1', local: false, localSource: 'setting' }),
    config({ privacyMode: 'local-only' }),
  );
  assert.ok(!marked.eligible, 'still refused: the setting says it sends data away');
  assert.match(marked.reason, /"loop" runs on 127\.0\.0\.1, on this machine, but its settings say "local": false/);
  assert.doesNotMatch(marked.reason, /not this machine/);
});

test('ranking: preferred first, then by the weighted score; cost weight favours cheap models', () => {
  const cheap = m('cheap', { inputPricePerMillion: 0.1, outputPricePerMillion: 0.2, latencyMs: 900 });
  const pricey = m('pricey', { inputPricePerMillion: 5, outputPricePerMillion: 20, latencyMs: 3000 });
  const fast = m('fast', { inputPricePerMillion: 0.5, outputPricePerMillion: 1, latencyMs: 100 });
  const quality = config({ preferences: { quality: 1, cost: 0, latency: 0 } });
  assert.equal(rankModels([cheap, pricey, fast], quality)[0].id, 'pricey');
  const thrifty = config({ preferences: { quality: 0, cost: 1, latency: 0 } });
  assert.equal(rankModels([pricey, fast, cheap], thrifty)[0].id, 'cheap');
  const speedy = config({ preferences: { quality: 0, cost: 0, latency: 1 } });
  assert.equal(rankModels([pricey, cheap, fast], speedy)[0].id, 'fast');
  const preferred = config({ preferences: { quality: 1, cost: 0, latency: 0, preferredModels: ['cheap'] } });
  assert.equal(rankModels([pricey, fast, cheap], preferred)[0].id, 'cheap');
  const mathy = m('mathy', { roles: ['math'] });
  assert.equal(rankModels([pricey, mathy], quality, 'math')[0].id, 'mathy', 'a role preference lists that role first');
});

test('the instruction block states weights, preferred models, privacy mode and free text', () => {
  const text = preferenceInstructions(
    config({
      privacyMode: 'local-only',
      preferences: { quality: 0.2, cost: 0.7, latency: 0.1, preferredModels: ['a'], instructions: 'Prefer TypeScript.' },
    }),
    'code',
  );
  assert.match(text, /favour low cost, then answer quality/);
  assert.match(text, /Preferred models .*: a\./);
  assert.match(text, /Privacy mode is local-only/);
  assert.match(text, /code model/);
  assert.match(text, /User instructions: Prefer TypeScript\./);
});

test('ledger: subtask spend rolls up into its delegate and the task', () => {
  const l = new Ledger(0);
  const usage = (i: number, o: number) => ({ inputTokens: i, outputTokens: o, estimated: false });
  const entry = (callId: string, parentCallId: string | undefined, dollars: number, host: string[] = []) => ({
    callId,
    parentCallId,
    tool: 'call_model',
    model: 'x',
    turn: 1,
    state: 'ok' as const,
    parts: [{ model: 'x', usage: usage(10, 5), dollars }],
    usage: usage(10, 5),
    dollars,
    latencyMs: 1,
    remoteHosts: host,
    startedAt: 0,
    finishedAt: 1,
  });
  l.link('sub1', 'del');
  l.link('sub2', 'del');
  l.record(entry('a', 'sub1', 0.25, ['api.x']));
  l.record(entry('b', 'sub2', 0.5));
  l.record(entry('c', undefined, 0.125));
  l.record({ ...entry('del', undefined, 0), parts: [] });
  assert.equal(l.totals('sub1').dollars, 0.25);
  assert.equal(l.totals('del').dollars, 0.75);
  assert.equal(l.totals(undefined, 10).dollars, 0.875);
  assert.deepEqual(l.totals().remoteHosts, ['api.x']);
  assert.deepEqual(l.totals('sub2').remoteHosts, []);
  assert.equal(l.totals().inputTokens, 30);
});
