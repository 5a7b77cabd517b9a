// Cost you can trust: cached prompt tokens priced at the cached price, a provider-reported cost
// (OpenRouter `usage.cost`, BYOK upstream cost) recorded as the bill, a bill above the reservation
// recorded and warned about, and a paid call whose cost is unknown shown as an estimate, never a
// confident $0. Every model is reached over real HTTP/SSE on the scripted loopback server.
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startModelServer, type ModelServer, type ScriptedUsage } from '../../support/model-server';
import { ModelPool, dollarsFor } from '../../../src/core/pool';
import { ModelEntry } from '../../../src/core/config';
import { totalsLine } from '../../../src/cli/render';
import { config, model, newEngine, recordingHost, runTask, tempWorkspace } from './helpers';

describe('cost you can trust', () => {
  let server: ModelServer;
  const ws = tempWorkspace({ 'a.txt': 'alpha\n' });

  before(async () => {
    server = await startModelServer();
  });
  after(async () => {
    await server.close();
    ws.cleanup();
  });
  beforeEach(() => server.reset());

  const CLOUD = { inputPricePerMillion: 2, cachedInputPricePerMillion: 0.5, outputPricePerMillion: 8 };
  const pool = (cloud: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
    config({
      models: [
        model('orch', server.url, { roles: ['orchestrator'], openWeights: true }),
        model('cloud', server.url, { roles: ['general'], local: false, apiKeyEnv: 'CLOUD_KEY', ...CLOUD, ...cloud }),
      ],
      orchestrator: { model: 'orch', dialect: 'general' },
      tools: { runCode: { enabled: false } },
      budget: { maxDollarsPerTask: 1 },
      ...extra,
    });
  const secrets = { CLOUD_KEY: 'sk-test-secret-value-123' };
  // A long task keeps the prompt's byte bound above the token counts the server reports, so the
  // recorded usage is what the server said, not a clamped bound.
  const longTask = 'Summarise this. ' + 'word '.repeat(1200);

  /** The orchestrator (free, local) asks `cloud` once per usage given, then answers. */
  function scriptCalls(usages: ScriptedUsage[]): void {
    server.script('orch', [
      ...usages.map(() => ({ toolCalls: [{ name: 'call_model', arguments: { model: 'cloud', task: longTask } }] })),
      { content: 'done' },
    ]);
    server.script(
      'cloud',
      usages.map((usage) => ({ content: 'an answer', usage })),
    );
  }

  test('config: cachedInputPricePerMillion is optional and defaults to the input price when pricing', () => {
    const entry = ModelEntry.parse({
      id: 'm',
      baseUrl: 'http://127.0.0.1:1/v1',
      model: 'm',
      inputPricePerMillion: 3,
      outputPricePerMillion: 6,
    });
    assert.equal(entry.cachedInputPricePerMillion, undefined);
    const usage = { inputTokens: 1000, cachedInputTokens: 600, outputTokens: 100 };
    assert.equal(dollarsFor(entry, usage), dollarsFor(entry, { inputTokens: 1000, outputTokens: 100 }));
    assert.equal(dollarsFor({ ...entry, cachedInputPricePerMillion: 0.3 }, usage), (400 * 3 + 600 * 0.3 + 100 * 6) / 1e6);
    // A reported cost is the bill, whatever the token prices say.
    assert.equal(dollarsFor(entry, { ...usage, reportedDollars: 0.042 }), 0.042);
    assert.throws(() => ModelEntry.parse({ id: 'm', baseUrl: 'http://127.0.0.1:1/v1', model: 'm', cachedInputPricePerMillion: -1 }));
  });

  test('pool: cached prompt tokens and OpenRouter cost fields are read from usage, streaming and not', async () => {
    for (const stream of [true, false]) {
      const cfg = pool({}, { requests: { timeoutSeconds: 20, retries: 0, stream } });
      const p = new ModelPool(cfg, async () => 'sk-test-secret-value-123');
      server.script('cloud', [
        { content: 'a', usage: { prompt_tokens: 120, completion_tokens: 7, prompt_tokens_details: { cached_tokens: 100 } } },
        {
          content: 'b',
          usage: {
            prompt_tokens: 120,
            completion_tokens: 7,
            cost: 0.0001,
            is_byok: true,
            cost_details: { upstream_inference_cost: 0.002 },
          },
        },
        {
          content: 'c',
          usage: {
            prompt_tokens: 120,
            completion_tokens: 7,
            cost: 0.003,
            is_byok: false,
            cost_details: { upstream_inference_cost: 0.003 },
          },
        },
      ]);
      const cached = await p.chat('cloud', { messages: [{ role: 'user', content: 'hi' }] });
      assert.deepEqual(cached.usage, { inputTokens: 120, outputTokens: 7, estimated: false, cachedInputTokens: 100 });
      const byok = await p.chat('cloud', { messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(byok.usage.reportedDollars, 0.0001 + 0.002, `BYOK bill: OpenRouter's fee plus the upstream cost (stream ${stream})`);
      const plain = await p.chat('cloud', { messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(plain.usage.reportedDollars, 0.003, `without BYOK the repeated upstream cost is not added twice (stream ${stream})`);
      // Only OpenRouter is asked for its cost: other servers may reject an unknown field.
      for (const r of server.requestsFor('cloud')) assert.equal(r.body.usage, undefined);
      server.reset();
    }
  });

  test('cached prompt tokens are priced at the cached price; totals are the sum of the calls', async () => {
    scriptCalls([
      { prompt_tokens: 1000, completion_tokens: 100, prompt_tokens_details: { cached_tokens: 600 } },
      { prompt_tokens: 1000, completion_tokens: 100 },
    ]);
    const engine = newEngine(recordingHost({ secrets }), pool());
    const run = await runTask(engine, { question: 'q', workspace: ws.dir });
    assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
    const fin = run.of('tool_call_finished').filter((e) => e.tool === 'call_model');
    assert.equal(fin.length, 2);
    assert.equal(fin[0].usage?.cachedInputTokens, 600);
    assert.equal(fin[0].usage?.estimated, false);
    assert.equal(fin[0].dollars, (400 * 2 + 600 * 0.5 + 100 * 8) / 1e6);
    assert.equal(fin[1].dollars, (1000 * 2 + 100 * 8) / 1e6);
    assert.ok(fin[0].dollars < fin[1].dollars, 'a cache hit costs less than the same prompt uncached');
    // The orchestrator is free, so the task's total is exactly the two calls' dollars.
    assert.equal(run.outcome.totals.dollars, fin[0].dollars + fin[1].dollars);
    assert.equal(run.outcome.totals.estimated, false);
    await engine.dispose();
  });

  test("an OpenRouter-style reported cost is recorded as the call's dollars; the ledger still sums exactly", async () => {
    scriptCalls([
      { prompt_tokens: 1000, completion_tokens: 100, cost: 0.00123 },
      { prompt_tokens: 1000, completion_tokens: 100, cost: 0.0001, is_byok: true, cost_details: { upstream_inference_cost: 0.002 } },
    ]);
    const host = recordingHost({ secrets });
    const engine = newEngine(host, pool());
    const run = await runTask(engine, { question: 'q', workspace: ws.dir });
    assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
    const fin = run.of('tool_call_finished').filter((e) => e.tool === 'call_model');
    assert.equal(fin[0].dollars, 0.00123, 'the bill, not tokens × list prices');
    assert.notEqual(fin[0].dollars, dollarsFor(CLOUD, { inputTokens: 1000, outputTokens: 100 }));
    assert.equal(fin[0].usage?.reportedDollars, 0.00123);
    assert.equal(fin[1].dollars, 0.0001 + 0.002);
    assert.equal(run.outcome.totals.dollars, fin[0].dollars + fin[1].dollars);
    const costs = run.of('cost_update');
    assert.equal(costs[costs.length - 1].totals.dollars, run.outcome.totals.dollars);
    assert.ok(!host.logs.some((l) => /more than the \$[\d.]+ reserved/.test(l)), 'bills within the reservation raise no warning');
    await engine.dispose();
  });

  test('a call billed above its reservation is recorded as billed and stops all further spending at once, saying so', async () => {
    // Two calls asked for; the first is billed $0.25, far above what its tokens cost at the configured prices.
    scriptCalls([
      { prompt_tokens: 1000, completion_tokens: 100, cost: 0.25 },
      { prompt_tokens: 1000, completion_tokens: 100 },
    ]);
    const host = recordingHost({ secrets });
    const engine = newEngine(host, pool());
    const run = await runTask(engine, { question: 'q', workspace: ws.dir });
    assert.equal(run.outcome.ok, false);
    assert.equal(run.outcome.error?.code, 'budget');
    assert.match(run.outcome.error?.message ?? '', /cloud reported a cost of \$0\.25, more than the \$[\d.]+ reserved .*stopped the task/);
    assert.match(run.outcome.error?.message ?? '', /inputPricePerMillion/, 'names the setting to check');
    const fin = run.of('tool_call_finished').filter((e) => e.tool === 'call_model');
    assert.equal(fin[0].dollars, 0.25, 'the bill is recorded as billed');
    assert.equal(run.outcome.totals.dollars, 0.25);
    assert.equal(server.requestsFor('cloud').length, 1, 'nothing more was sent');
    assert.ok(
      host.logs.some((l) => /^warn: cloud reported a cost of \$0\.25/.test(l)),
      host.logs.join('\n'),
    );
    await engine.dispose();
  });

  test('a paid call that timed out before answering is unknown, not $0: totals say they are estimated', async () => {
    server.script('orch', [{ toolCalls: [{ name: 'call_model', arguments: { model: 'cloud', task: 'short' } }] }, { content: 'done' }]);
    server.script('cloud', [{ content: 'too late', latencyMs: 4000 }]);
    const engine = newEngine(recordingHost({ secrets }), pool({ timeoutSeconds: 0.2 }));
    const run = await runTask(engine, { question: 'q', workspace: ws.dir });
    const fin = run.of('tool_call_finished').filter((e) => e.tool === 'call_model');
    assert.equal(fin.length, 1);
    assert.notEqual(fin[0].state, 'ok');
    assert.equal(run.outcome.totals.dollars, 0);
    assert.equal(run.outcome.totals.estimated, true, 'an unknown cost must not read as a confident $0');
    assert.match(totalsLine(run.outcome.totals), /^\$0(\.0+)? \(partly estimated\)/);
    await engine.dispose();
  });

  test('a free model that timed out costs a known $0', async () => {
    server.script('orch', [{ toolCalls: [{ name: 'call_model', arguments: { model: 'cloud', task: 'short' } }] }, { content: 'done' }]);
    server.script('cloud', [{ content: 'too late', latencyMs: 4000 }]);
    const engine = newEngine(
      recordingHost({ secrets }),
      pool({ timeoutSeconds: 0.2, inputPricePerMillion: 0, cachedInputPricePerMillion: 0, outputPricePerMillion: 0 }),
    );
    const run = await runTask(engine, { question: 'q', workspace: ws.dir });
    assert.equal(run.outcome.totals.dollars, 0);
    assert.equal(run.outcome.totals.estimated, false);
    await engine.dispose();
  });
});
