// Randomised fault injection through the real engine over real HTTP: every task draws a pool
// configuration (retries, streaming, prices, a fallback orchestrator) and a fault plan for each model
// call — dropped connections, 429 with Retry-After, 500/503, 400/401, hangs before and during the
// stream, SSE cut mid-chunk, empty and huge replies, broken tool-call JSON, unknown tool names. The
// expected outcome and the exact number of requests each model must receive are computed from the
// plan (retries and same-role fallbacks as configured) and compared with what the server recorded.
// Seeded: the seed is printed; ORCHESTRA_SEED reproduces a run. ORCHESTRA_STRESS=1 runs 500 tasks.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startModelServer, type ModelServer, type ScriptedReply, type ServerFault } from '../support/model-server';
import { parseConfig } from '../../src/core/config';
import { createEngine } from '../../src/core/engine';
import type { EngineHost } from '../../src/core/engine-api';
import { dollarsFor } from '../../src/core/pool';
import { Rng, STRESS, suiteSeed } from './support/random';
import { crashWatch, runChecked } from './support/tasks';

const TASKS = STRESS ? 500 : 30;
const PARALLEL = STRESS ? 4 : 3;
/** Faults that make an attempt fail; the pool retries all but 400/401 and then falls back. */
const FAILING: ServerFault[] = [
  'drop',
  'http429',
  'http500',
  'http503',
  'hang-before',
  'hang-during',
  'cut-mid-chunk',
  'empty',
  'http400',
  'http401',
];
const NOT_RETRIED = new Set<ServerFault>(['http400', 'http401']);
const ACTIONS = ['answer-tool', 'text', 'call1', 'call2', 'unknown-tool', 'bad-args', 'huge'] as const;
type Action = (typeof ACTIONS)[number];

interface Prices {
  inputPricePerMillion: number;
  outputPricePerMillion: number;
}

interface TaskPlan {
  tag: string;
  retries: number;
  stream: boolean;
  orchB: boolean;
  action: Action;
  expertPrices: Prices;
  /** Failing faults per `model|key`, served in order before the call succeeds. */
  faults: Map<string, ServerFault[]>;
}

interface Simulated {
  served?: string;
  lastFault?: ServerFault;
}

/** What the pool must do for one logical call: retry each model up to `retries` times, then fall back. */
function simulate(plan: TaskPlan, chain: string[], key: string, sent: Map<string, number>): Simulated {
  let lastFault: ServerFault | undefined;
  for (const model of chain) {
    const faults = plan.faults.get(`${model}|${key}`) ?? [];
    for (let attempt = 0; ; attempt++) {
      sent.set(model, (sent.get(model) ?? 0) + 1);
      const fault = faults[attempt];
      if (!fault) return { served: model };
      lastFault = fault;
      if (NOT_RETRIED.has(fault) || attempt >= plan.retries) break;
    }
  }
  return { lastFault };
}

function drawPlan(rng: Rng, tag: string): TaskPlan {
  const retries = rng.int(0, 2);
  const plan: TaskPlan = {
    tag,
    retries,
    stream: rng.chance(0.7),
    orchB: rng.chance(0.5),
    action: rng.pick(ACTIONS),
    expertPrices: rng.pick([
      { inputPricePerMillion: 0, outputPricePerMillion: 0 },
      { inputPricePerMillion: 0.5, outputPricePerMillion: 2 },
      { inputPricePerMillion: 3, outputPricePerMillion: 15 },
    ]),
    faults: new Map(),
  };
  const keys = ['turn1', 'turn2', 'A', 'B'];
  for (const key of keys) {
    const models = key.startsWith('turn') ? ['orch', 'orch-b'] : ['e1', 'e2'];
    for (const model of models) {
      // Half the calls go through clean; hangs are rarer (each one costs a timeout).
      if (rng.chance(0.5)) continue;
      const n = rng.int(1, 3);
      const list: ServerFault[] = [];
      for (let i = 0; i < n; i++) {
        let f = rng.pick(FAILING);
        if ((f === 'hang-before' || f === 'hang-during') && rng.chance(0.5)) f = rng.pick(['http500', 'drop', 'http429'] as const);
        list.push(f);
      }
      plan.faults.set(`${model}|${key}`, list);
    }
  }
  return plan;
}

/**
 * Deterministic usage for a successful reply, as an honest server reports it: about a token per four
 * characters of prompt (give or take), and never more output than the request's max_tokens.
 */
function usageFor(tag: string, model: string, key: string, body: any): { prompt_tokens: number; completion_tokens: number } {
  let h = 2166136261;
  for (const ch of `${tag}|${model}|${key}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  const maxTokens = Number(body.max_tokens ?? body.max_completion_tokens ?? 2048);
  return {
    prompt_tokens: Math.ceil(JSON.stringify(body.messages).length / 4) + (h % 64),
    completion_tokens: 1 + ((h >>> 10) % Math.max(1, Math.min(300, maxTokens))),
  };
}

describe('faults: randomised injections through the real engine', () => {
  let server: ModelServer;
  const plans = new Map<string, TaskPlan>();
  const counters = new Map<string, number>();
  const injected = new Map<string, number>();
  const unexpected: string[] = [];
  const watch = crashWatch();
  const seed = suiteSeed('faults');
  const rng = new Rng(seed);

  const tagOf = (body: any): string | undefined => /\[(t\d+)\]/.exec(JSON.stringify(body.messages ?? []))?.[1];

  const reply = (model: string, body: any): ScriptedReply => {
    const tag = tagOf(body);
    const plan = tag ? plans.get(tag) : undefined;
    if (!plan) {
      unexpected.push(`a request for ${model} without a known task tag`);
      return { fault: 'http400' };
    }
    const msgs: any[] = body.messages;
    const orchestrating = model === 'orch' || model === 'orch-b';
    let key: string;
    if (orchestrating) key = msgs.length === 2 ? 'turn1' : 'turn2';
    else key = /job ([AB])/.exec(String(msgs[msgs.length - 1]?.content))?.[1] ?? '?';
    const count = counters.get(`${tag}|${model}|${key}`) ?? 0;
    counters.set(`${tag}|${model}|${key}`, count + 1);
    const fault = (plan.faults.get(`${model}|${key}`) ?? [])[count];
    if (fault) {
      injected.set(fault, (injected.get(fault) ?? 0) + 1);
      return fault === 'http429' ? { fault, retryAfterSeconds: 0 } : { fault };
    }
    const usage = usageFor(tag!, model, key, body);
    if (!orchestrating) return { content: `result ${key} [${tag}]`, usage };
    if (key === 'turn2') {
      if (msgs.filter((m) => m.role === 'assistant').length > 1) unexpected.push(`${tag}: a third orchestrator turn`);
      return { toolCalls: [{ name: 'answer', arguments: { answer: `final [${tag}]` } }], usage };
    }
    switch (plan.action) {
      case 'answer-tool':
        return { toolCalls: [{ name: 'answer', arguments: { answer: `final [${tag}]` } }], usage };
      case 'text':
        return { content: `plain answer [${tag}]`, usage };
      case 'call1':
        return { toolCalls: [{ name: 'call_model', arguments: { model: 'e1', task: `[${tag}] job A: add 2 and 2` } }], usage };
      case 'call2':
        return {
          toolCalls: [
            { name: 'call_model', arguments: { model: 'e1', task: `[${tag}] job A: add 2 and 2` } },
            { name: 'call_model', arguments: { model: 'e2', task: `[${tag}] job B: add 3 and 3` } },
          ],
          usage,
        };
      case 'unknown-tool':
        return { toolCalls: [{ name: 'no_such_tool', arguments: { x: 1 } }], usage };
      case 'bad-args':
        injected.set('invalid-json-args', (injected.get('invalid-json-args') ?? 0) + 1);
        return { fault: 'invalid-json-args', toolCalls: [{ name: 'answer', arguments: { answer: 'x' } }], usage };
      case 'huge':
        injected.set('huge', (injected.get('huge') ?? 0) + 1);
        return { fault: 'huge', usage };
    }
  };

  before(async () => {
    server = await startModelServer({ usage: true });
    for (const m of ['orch', 'orch-b', 'e1', 'e2']) server.setHandler(m, (body) => reply(m, body));
  });
  after(async () => {
    watch.stop();
    await server.close();
  });

  const host: EngineHost = {
    async getSecret() {
      return undefined;
    },
    async requestApproval() {
      return false;
    },
  };

  test(`${TASKS} tasks: no crash, no hang, one terminal event that says what failed, retries and fallbacks as configured, the ledger adds up`, async () => {
    const outcomes = new Map<string, number>();
    let fallbacks = 0;
    let retried = 0;
    let requestsSeen = 0;
    const failures: string[] = [];

    const runOne = async (i: number) => {
      const tag = `t${i}`;
      const plan = drawPlan(rng.fork(), tag);
      plans.set(tag, plan);
      const models = [
        { id: 'orch', baseUrl: server.url, model: 'orch', roles: ['orchestrator'], openWeights: true },
        ...(plan.orchB ? [{ id: 'orch-b', baseUrl: server.url, model: 'orch-b', roles: ['orchestrator'], openWeights: true }] : []),
        { id: 'e1', baseUrl: server.url, model: 'e1', roles: ['code'], ...plan.expertPrices },
        { id: 'e2', baseUrl: server.url, model: 'e2', roles: ['code'], ...plan.expertPrices },
      ];
      const { config, problems } = parseConfig({
        models,
        orchestrator: { model: 'orch', dialect: 'general' },
        requests: { retries: plan.retries, stream: plan.stream, timeoutSeconds: 1 },
        budget: { maxDollarsPerTask: 5, maxWallTimeSeconds: 60, maxTurns: 6 },
        tools: { runCode: { enabled: false } },
      });
      assert.deepEqual(problems, []);
      // The simulation counts retries and fallbacks; circuit breakers (which stop sending to a model
      // after repeated failures) are tested in test/unit/pool/replicas.test.ts and kept shut here.
      const engine = createEngine(host, config, {
        pool: { backoffBaseMs: 2, maxBackoffMs: 20, prefillMsPerToken: 0, replicas: { failureThreshold: 1_000 } },
      });
      const orchChain = plan.orchB ? ['orch', 'orch-b'] : ['orch'];
      const sent = new Map<string, number>();
      const expectFailure = (what: string, s: Simulated) => ({ failed: what, model: orchChain[orchChain.length - 1], fault: s.lastFault });
      let expected: { answer: string | RegExp } | ReturnType<typeof expectFailure>;
      const jobs: Array<{ key: string; sim: Simulated; primary: string }> = [];
      const t1 = simulate(plan, orchChain, 'turn1', sent);
      if (!t1.served) expected = expectFailure('turn1', t1);
      else if (plan.action === 'answer-tool') expected = { answer: `final [${tag}]` };
      else if (plan.action === 'text') expected = { answer: `plain answer [${tag}]` };
      else if (plan.action === 'huge') expected = { answer: /^(This line is repeated to make a very large reply\. ){1000}/ };
      else {
        if (plan.action === 'call1' || plan.action === 'call2')
          jobs.push({ key: 'A', primary: 'e1', sim: simulate(plan, ['e1', 'e2'], 'A', sent) });
        if (plan.action === 'call2') jobs.push({ key: 'B', primary: 'e2', sim: simulate(plan, ['e2', 'e1'], 'B', sent) });
        const t2 = simulate(plan, orchChain, 'turn2', sent);
        expected = t2.served ? { answer: `final [${tag}]` } : expectFailure('turn2', t2);
      }
      const ws = tmpdir();
      try {
        const run = await runChecked(engine, { question: `[${tag}] What is 2 + 2?`, workspace: ws });
        const code = run.terminal.type === 'done' ? 'done' : run.terminal.code;
        outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
        const ctx = `task ${tag} (seed ${seed}, plan ${JSON.stringify({ ...plan, faults: [...plan.faults] })})`;
        if ('answer' in expected) {
          assert.equal(run.terminal.type, 'done', `${ctx}: expected an answer, got ${JSON.stringify(run.terminal).slice(0, 400)}`);
          if (run.terminal.type === 'done') {
            if (typeof expected.answer === 'string') assert.equal(run.terminal.answer, expected.answer, ctx);
            else assert.match(run.terminal.answer, expected.answer, ctx);
          }
        } else {
          assert.equal(run.terminal.type, 'error', `${ctx}: expected the orchestrator to fail at ${expected.failed}`);
          if (run.terminal.type === 'error') {
            assert.equal(run.terminal.code, 'model_failed', ctx);
            assert.match(run.terminal.message, /the orchestrator model failed/, ctx);
            assert.ok(run.terminal.message.includes(expected.model), `${ctx}: the message names the model (${run.terminal.message})`);
            const why: Record<string, RegExp> = {
              drop: /could not be reached|dropped|malformed|terminated|socket/i,
              http429: /HTTP 429|rate limit/i,
              http500: /HTTP 500/,
              http503: /HTTP 503/,
              http400: /HTTP 400/,
              http401: /HTTP 401/,
              'hang-before': /timed out/,
              'hang-during': /timed out/,
              'cut-mid-chunk': /could not be reached|dropped|malformed|terminated|socket|closed|stream/i,
              empty: /closed the stream without sending anything|malformed|could not be reached|Unexpected end|JSON/i,
            };
            if (expected.fault)
              assert.match(
                run.terminal.message,
                why[expected.fault],
                `${ctx}: the message says what failed (${expected.fault}): ${run.terminal.message}`,
              );
          }
        }
        // Retries and fallbacks as configured: the server saw exactly the requests the plan implies.
        for (const model of ['orch', 'orch-b', 'e1', 'e2']) {
          const seen = server.requestsFor(model).filter((r) => tagOf(r.body) === tag).length;
          requestsSeen += seen;
          assert.equal(seen, sent.get(model) ?? 0, `${ctx}: requests to ${model}`);
        }
        retried += [...sent.values()].reduce((a, b) => a + b, 0);
        // call_model results: served by the model the plan says, with a note when it fell back.
        const finished = run.of('tool_call_finished').filter((e) => e.tool === 'call_model');
        assert.equal(finished.length, t1.served ? jobs.length : 0, `${ctx}: one finished call per job`);
        for (const job of jobs) {
          const ev = finished.find(
            (e) =>
              e.result.includes(`result ${job.key}`) ||
              // A streamed call is announced twice: while it is written (no arguments yet), then with its arguments.
              (e.error !== undefined &&
                run.of('tool_call_started').some((s) => s.callId === e.callId && JSON.stringify(s.args).includes(`job ${job.key}`))),
          );
          assert.ok(ev, `${ctx}: job ${job.key} has its finished event`);
          if (job.sim.served) {
            assert.equal(ev.state, 'ok', `${ctx}: job ${job.key}`);
            assert.equal(ev.model, job.sim.served);
            if (job.sim.served !== job.primary) {
              fallbacks++;
              assert.match(ev.result, new RegExp(`note: ${job.primary} failed`), `${ctx}: the fallback is said`);
            }
          } else {
            assert.notEqual(ev.state, 'ok', `${ctx}: job ${job.key} failed on every model`);
            assert.ok((ev.error ?? '').length > 10, `${ctx}: a failed call says why`);
          }
        }
        // The ledger adds up: each model call costs its tokens × its prices; totals are their sum.
        const lines = (engine.trajectory(run.outcome.taskId) ?? '')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l));
        const calls = lines.filter((l) => l.type === 'model_call');
        const prices = new Map<string, Prices>(
          models.map((m) => [
            m.id,
            {
              inputPricePerMillion: (m as Partial<Prices>).inputPricePerMillion ?? 0,
              outputPricePerMillion: (m as Partial<Prices>).outputPricePerMillion ?? 0,
            },
          ]),
        );
        let sumDollars = 0;
        let sumIn = 0;
        let sumOut = 0;
        for (const c of calls) {
          assert.equal(c.usage.estimated, false, `${ctx}: the server reported usage`);
          assert.equal(c.dollars, dollarsFor(prices.get(c.model)!, c.usage), `${ctx}: dollars = tokens × prices for ${c.model}`);
          sumDollars += c.dollars;
          sumIn += c.usage.inputTokens;
          sumOut += c.usage.outputTokens;
        }
        for (const f of finished.filter((e) => e.state === 'ok')) {
          const c = calls.find((x) => x.callId === f.callId);
          assert.ok(c, `${ctx}: the call_model result has its model call in the trajectory`);
          assert.equal(f.dollars, c.dollars, `${ctx}: the event's dollars are the model call's`);
        }
        const totals = run.terminal.totals;
        const end = lines.find((l) => l.type === 'end');
        assert.deepEqual(end.totals, totals, `${ctx}: the trajectory's totals are the terminal event's`);
        if (!totals.estimated) {
          assert.ok(Math.abs(totals.dollars - sumDollars) <= 1e-12, `${ctx}: totals ${totals.dollars} = Σ calls ${sumDollars}`);
          assert.equal(totals.inputTokens, sumIn, `${ctx}: input tokens add up`);
          assert.equal(totals.outputTokens, sumOut, `${ctx}: output tokens add up`);
        } else {
          // Calls cut off mid-stream are charged an estimate on top of the reported ones.
          assert.ok(
            totals.dollars >= sumDollars - 1e-12 && totals.inputTokens >= sumIn && totals.outputTokens >= sumOut,
            `${ctx}: estimated charges only add`,
          );
        }
        assert.ok(totals.dollars <= 5, `${ctx}: within the cap`);
      } catch (err) {
        failures.push((err as Error).message);
      } finally {
        await engine.dispose();
        plans.delete(tag);
      }
    };

    let next = 0;
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next < TASKS) await runOne(next++);
      }),
    );
    const summary = {
      seed,
      tasks: TASKS,
      parallel: PARALLEL,
      outcomes: Object.fromEntries([...outcomes].sort()),
      faultsInjected: Object.fromEntries([...injected].sort()),
      faultsTotal: [...injected.values()].reduce((a, b) => a + b, 0),
      requests: requestsSeen,
      expertFallbacks: fallbacks,
      failures: failures.length,
    };
    console.log(`[faults] ${JSON.stringify(summary)}`);
    if (STRESS) {
      const dir = resolve(__dirname, '..', '..', '..', 'test-artifacts', 'reliability');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'faults-summary.json'), JSON.stringify(summary, null, 2));
    }
    assert.deepEqual(unexpected, [], 'every request belonged to a planned call');
    assert.deepEqual(watch.crashes, [], 'no uncaught exception or unhandled rejection');
    assert.equal(failures.length, 0, `${failures.length} of ${TASKS} tasks broke the contract:\n${failures.slice(0, 5).join('\n\n')}`);
    void retried;
  });
});
