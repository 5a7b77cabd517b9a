// The hard dollar cap as a property (fast-check): over random prices, caps, token counts, servers
// that report more tokens than the estimate (or than the request could produce), and call patterns
// with parallel reservations and sub-budgets, recorded spend never exceeds the cap. Once on the
// budget arithmetic itself, once end to end through the engine and the scripted server. And every
// dollar: over random task trees with faults (cut streams, errors, dropped connections, provider-
// reported bills), the task total is exactly what the servers charged.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { tmpdir } from 'node:os';
import { startModelServer, wordChatTokens, type ModelServer, type RecordedRequest, type ScriptedReply } from '../support/model-server';
import { Budget, planModelCall, type Reservation } from '../../src/core/budget';
import { dollarsFor } from '../../src/core/pool';
import { boundedUsage } from '../../src/core/orchestrator/accounting';
import { promptTokenBound } from '../../src/core/tokens/counter';
import { parseConfig } from '../../src/core/config';
import { createEngine } from '../../src/core/engine';
import type { EngineHost } from '../../src/core/engine-api';
import { STRESS, suiteSeed } from './support/random';
import { runChecked } from './support/tasks';

/** Float sums of many settled calls may differ from the cap in the last bits; nothing more. */
const EPS = 1e-12;

const price = fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 100, noNaN: true }));
const callSpec = fc.record({
  inPrice: price,
  outPrice: price,
  promptBound: fc.integer({ min: 1, max: 200_000 }),
  desired: fc.integer({ min: 1, max: 32_000 }),
  // How much the server reports relative to the bounds: below, at, or far above them.
  inFactor: fc.double({ min: 0, max: 5, noNaN: true }),
  outFactor: fc.double({ min: 0, max: 5, noNaN: true }),
  /** Settled right away, or left in flight while later calls reserve. */
  overlap: fc.boolean(),
  /** Run in a child budget (a delegated subtask) of this share. */
  childShare: fc.option(fc.double({ min: 0.01, max: 1, noNaN: true }), { nil: undefined }),
});

describe('budgets: recorded spend never exceeds the cap', () => {
  const seed = suiteSeed('budget');

  test('budget arithmetic: plans, parallel reservations, sub-budgets and over-reporting servers', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 5, noNaN: true }), fc.array(callSpec, { minLength: 1, maxLength: 40 }), (cap, calls) => {
        const root = new Budget(cap);
        const inFlight: Array<{ r: Reservation; dollars: number }> = [];
        for (const c of calls) {
          const budget = c.childShare !== undefined ? root.child(root.left * c.childShare) : root;
          const prices = { inputPricePerMillion: c.inPrice, outputPricePerMillion: c.outPrice };
          const plan = planModelCall(budget.left, prices, c.promptBound, c.desired);
          if (!plan.ok) continue;
          const r = budget.reserve(plan.worstCaseDollars);
          if (!r) continue;
          const reported = {
            inputTokens: Math.round(c.promptBound * c.inFactor),
            outputTokens: Math.round(plan.maxTokens * c.outFactor),
            estimated: false,
          };
          const { usage } = boundedUsage(reported, c.promptBound, plan.maxTokens);
          const dollars = dollarsFor(prices, usage);
          assert.ok(dollars <= r.amount + EPS, `a call never costs more than its reservation (${dollars} > ${r.amount})`);
          inFlight.push({ r, dollars });
          if (!c.overlap) for (const f of inFlight.splice(0)) f.r.settle(f.dollars);
          assert.ok(root.spent + root.reserved <= cap + EPS, `spent ${root.spent} + reserved ${root.reserved} within cap ${cap}`);
        }
        for (const f of inFlight.splice(0)) f.r.settle(f.dollars);
        assert.ok(root.spent <= cap + EPS, `spent ${root.spent} > cap ${cap}`);
        assert.ok(Math.abs(root.reserved) <= EPS, 'every reservation was settled');
      }),
      { seed, numRuns: STRESS ? 20_000 : 2_000 },
    );
  });

  describe('end to end through the engine', () => {
    let server: ModelServer;
    before(async () => {
      server = await startModelServer();
    });
    after(async () => {
      await server.close();
    });

    test('random prices, caps, parallel calls and delegated subtasks against a server that over-reports: within the cap, or stopped at the first bill past its reservation', async () => {
      let clamped = 0;
      let overruns = 0;
      let overBudget = 0;
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            cap: fc.double({ min: 0.00001, max: 0.05, noNaN: true }),
            inPrice: fc.double({ min: 0.1, max: 60, noNaN: true }),
            outPrice: fc.double({ min: 0.1, max: 120, noNaN: true }),
            calls: fc.integer({ min: 1, max: 5 }),
            delegate: fc.boolean(),
            inFactor: fc.double({ min: 0.5, max: 8, noNaN: true }),
            outFactor: fc.double({ min: 0.2, max: 4, noNaN: true }),
            taskChars: fc.integer({ min: 10, max: 6000 }),
          }),
          async (p) => {
            runs++;
            const tag = `b${runs}`;
            server.setHandler(`orch-${tag}`, (body) => {
              if (body.messages.filter((m: any) => m.role === 'assistant').length > 0)
                return { toolCalls: [{ name: 'answer', arguments: { answer: 'done' } }], usage: false };
              const calls: Array<{ name: string; arguments: object }> = Array.from({ length: p.calls }, (_, i) => ({
                name: 'call_model',
                arguments: { model: 'paid', task: `[${tag}] part ${i}: ${'x'.repeat(p.taskChars)}` },
              }));
              if (p.delegate)
                calls.push({
                  name: 'delegate',
                  arguments: {
                    subtasks: [
                      { task: `[${tag}] sub`, model: 'paid' },
                      { task: `[${tag}] sub 2`, model: 'paid' },
                    ],
                  },
                });
              return { toolCalls: calls, usage: false };
            });
            // The paid expert reports usage scaled from the estimate — often beyond what is possible.
            server.setHandler(`paid-${tag}`, (body) => {
              const estimate = Math.ceil(JSON.stringify(body.messages).length / 4);
              const maxTokens = Number(body.max_tokens ?? 2048);
              const usage = {
                prompt_tokens: Math.round(estimate * p.inFactor),
                completion_tokens: Math.max(1, Math.round(maxTokens * p.outFactor)),
              };
              if (body.tools) return { toolCalls: [{ name: 'answer', arguments: { answer: 'sub done' } }], usage };
              return { content: 'paid answer', usage };
            });
            const logs: string[] = [];
            const host: EngineHost = {
              async getSecret() {
                return undefined;
              },
              async requestApproval() {
                return true;
              },
              log: (_l, m) => logs.push(m),
            };
            const { config, problems } = parseConfig({
              models: [
                { id: 'orch', baseUrl: server.url, model: `orch-${tag}`, roles: ['orchestrator'] },
                {
                  id: 'paid',
                  baseUrl: server.url,
                  model: `paid-${tag}`,
                  roles: ['general', 'code'],
                  inputPricePerMillion: p.inPrice,
                  outputPricePerMillion: p.outPrice,
                  contextWindow: 65536,
                },
              ],
              orchestrator: { model: 'orch', dialect: 'general' },
              budget: { maxDollarsPerTask: p.cap, maxTurns: 4 },
              requests: { retries: 0, timeoutSeconds: 20 },
              tools: { runCode: { enabled: false } },
            });
            assert.deepEqual(problems, []);
            const engine = createEngine(host, config);
            try {
              const run = await runChecked(engine, { question: `[${tag}] spend`, workspace: tmpdir() });
              const totals = run.terminal.totals;
              // This server counts no tokens itself, so prompts are estimated: where the byte bound did
              // not fit, the estimate was reserved, and a report above it stops the task at once.
              const stopped = run.terminal.type === 'error' && /stopped the task so that nothing more is spent/.test(run.terminal.message);
              if (stopped) overruns++;
              else assert.ok(totals.dollars <= p.cap + EPS, `recorded $${totals.dollars} exceeds the cap $${p.cap} (${JSON.stringify(p)})`);
              // Every recorded paid call is its (bounded) tokens × prices.
              const lines = (engine.trajectory(run.outcome.taskId) ?? '')
                .trim()
                .split('\n')
                .map((l) => JSON.parse(l));
              for (const c of lines.filter((l) => l.type === 'model_call' && l.model === 'paid')) {
                assert.equal(c.dollars, dollarsFor({ inputPricePerMillion: p.inPrice, outputPricePerMillion: p.outPrice }, c.usage));
                assert.ok(c.usage.outputTokens <= c.maxTokens, 'never more output recorded than max_tokens sent');
              }
              clamped += logs.filter((l) => /more than the request could produce/.test(l)).length;
              overBudget += run.of('tool_call_finished').filter((e) => e.state === 'over_budget').length;
            } finally {
              await engine.dispose();
            }
          },
        ),
        { seed, numRuns: STRESS ? 150 : 15 },
      );
      console.log(`[budget] ${JSON.stringify({ seed, engineRuns: runs, clampedReports: clamped, overBudgetCalls: overBudget, overruns })}`);
    });
  });

  describe('every dollar: random task trees with faults', () => {
    let server: ModelServer;
    before(async () => {
      server = await startModelServer({ flavor: 'vllm', contextWindow: 65536 });
    });
    after(async () => {
      await server.close();
    });

    const fault = fc.oneof(
      { weight: 5, arbitrary: fc.constant({ kind: 'none' as const }) },
      fc.constant({ kind: 'cut-mid-chunk' as const }),
      fc.constant({ kind: 'http500' as const }),
      fc.constant({ kind: 'drop' as const }),
      fc.constant({ kind: 'empty' as const }),
      fc.record({ kind: fc.constant('cost' as const), factor: fc.double({ min: 0.2, max: 3, noNaN: true }) }),
    );

    test('the task total equals what the servers charged; within the cap unless a bill passed its reservation, which stops the task', async () => {
      let runs = 0;
      let overruns = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            cap: fc.double({ min: 0.002, max: 0.3, noNaN: true }),
            inPrice: fc.double({ min: 5, max: 100, noNaN: true }),
            outPrice: fc.double({ min: 5, max: 200, noNaN: true }),
            rootTurns: fc.array(fc.record({ calls: fc.integer({ min: 0, max: 3 }), subs: fc.integer({ min: 0, max: 2 }) }), {
              minLength: 1,
              maxLength: 3,
            }),
            subTurns: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 1, maxLength: 2 }),
            faults: fc.array(fault, { minLength: 24, maxLength: 24 }),
            words: fc.integer({ min: 5, max: 400 }),
          }),
          async (p) => {
            runs++;
            const tag = `t${runs}`;
            let nextFault = 0;
            const turnsFor = (body: any) => (body.messages as Array<{ role: string }>).filter((m) => m.role === 'assistant').length;
            server.setHandler(`orch-${tag}`, (body): ScriptedReply => {
              const text = JSON.stringify(body.messages[1]?.content ?? '');
              const sub = /\[sub\]/.test(text);
              const turns = sub ? p.subTurns.map((calls) => ({ calls, subs: 0 })) : p.rootTurns;
              const t = turnsFor(body);
              if (t >= turns.length) return { toolCalls: [{ name: 'answer', arguments: { answer: `done ${tag}` } }] };
              const task = `[${tag}] ${'word '.repeat(p.words)}`;
              const calls: Array<{ name: string; arguments: object }> = Array.from({ length: turns[t].calls }, (_, i) => ({
                name: 'call_model',
                arguments: { model: 'paid', task: `${task} part ${i}` },
              }));
              if (turns[t].subs)
                calls.push({
                  name: 'delegate',
                  arguments: { subtasks: Array.from({ length: turns[t].subs }, (_, i) => ({ task: `[sub] ${tag} ${i}`, model: 'orch' })) },
                });
              return calls.length ? { toolCalls: calls } : { toolCalls: [{ name: 'answer', arguments: { answer: 'nothing to do' } }] };
            });
            server.setHandler(`paid-${tag}`, (body): ScriptedReply => {
              const f = p.faults[nextFault++ % p.faults.length];
              const content = 'a paid answer of a few words '.repeat(3);
              if (f.kind === 'none') return { content };
              if (f.kind === 'cost') {
                const prompt = wordChatTokens(body.messages, body.tools);
                const completion = 21;
                const reserved = (prompt * p.inPrice + Number(body.max_tokens) * p.outPrice) / 1e6;
                return { content, usage: { prompt_tokens: prompt, completion_tokens: completion, cost: reserved * f.factor } };
              }
              return { content, fault: f.kind };
            });
            const { config, problems } = parseConfig({
              models: [
                { id: 'orch', baseUrl: server.url, model: `orch-${tag}`, roles: ['orchestrator'], contextWindow: 65536 },
                {
                  id: 'paid',
                  baseUrl: server.url,
                  model: `paid-${tag}`,
                  roles: ['general'],
                  inputPricePerMillion: p.inPrice,
                  outputPricePerMillion: p.outPrice,
                  contextWindow: 65536,
                  maxOutputTokens: 512,
                },
              ],
              orchestrator: { model: 'orch', dialect: 'general' },
              budget: { maxDollarsPerTask: p.cap, maxTurns: 6 },
              requests: { retries: 1, timeoutSeconds: 20 },
              tools: { runCode: { enabled: false } },
            });
            assert.deepEqual(problems, []);
            const host: EngineHost = {
              async getSecret() {
                return undefined;
              },
              async requestApproval() {
                return true;
              },
            };
            const engine = createEngine(host, config, { pool: { backoffBaseMs: 1, maxBackoffMs: 5 } });
            try {
              const run = await runChecked(engine, { question: `[${tag}] spend`, workspace: tmpdir() });
              const totals = run.terminal.totals;
              const paid = server.requestsFor(`paid-${tag}`);
              const billOf = (r: RecordedRequest) =>
                r.billed ? (r.billed.cost ?? (r.billed.promptTokens * p.inPrice + r.billed.completionTokens * p.outPrice) / 1e6) : 0;
              const charged = paid.reduce((n, r) => n + billOf(r), 0);
              const overrun = run.terminal.type === 'error' && /stopped the task so that nothing more is spent/.test(run.terminal.message);
              const ctx = `${JSON.stringify({ ...p, faults: p.faults.slice(0, nextFault) })}: recorded $${totals.dollars}, charged $${charged}`;
              if (overrun) {
                overruns++;
                assert.equal(run.terminal.type === 'error' && run.terminal.code, 'budget', ctx);
                // Calls in flight when spending stopped are cancelled and charged for what reached the
                // engine: never more than the servers charged, and any shortfall is marked as estimated.
                assert.ok(totals.dollars <= charged + 1e-9, ctx);
                if (totals.dollars < charged - 1e-9) assert.equal(totals.estimated, true, `a shortfall is shown as an estimate: ${ctx}`);
              } else {
                assert.ok(Math.abs(totals.dollars - charged) < 1e-9, `every dollar counted: ${ctx}`);
                assert.ok(totals.dollars <= p.cap + EPS, `within the cap: ${ctx}`);
              }
              // The task total is the sum of its calls (each top-level card includes what ran under it).
              const nested = new Set(
                run
                  .of('tool_call_started')
                  .filter((e) => e.parentCallId)
                  .map((e) => e.callId),
              );
              const top = run.of('tool_call_finished').filter((e) => !nested.has(e.callId));
              const cards = top.reduce((n, e) => n + e.dollars, 0);
              assert.ok(Math.abs(cards - totals.dollars) < 1e-9, `cards $${cards} vs total $${totals.dollars}: ${ctx}`);
            } finally {
              await engine.dispose();
            }
          },
        ),
        { seed, numRuns: STRESS ? 200 : 20 },
      );
      console.log(`[budget] ${JSON.stringify({ seed, faultyTrees: runs, overruns })}`);
    });
  });

  test('the prompt bound is never below what a byte-level tokenizer can count', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 400 }), { minLength: 1, maxLength: 6 }), (texts) => {
        const messages = texts.map((t, i) => ({ role: i % 2 ? 'assistant' : 'user', content: t }));
        const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
        // One token per byte plus a few template tokens per message is the most any such tokenizer counts.
        assert.ok(promptTokenBound(messages) >= bytes + 4 * messages.length);
      }),
      { seed, numRuns: 200 },
    );
  });
});
