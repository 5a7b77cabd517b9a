// The hard dollar cap as a property (fast-check): over random prices, caps, token counts, servers
// that report more tokens than the estimate (or than the request could produce), and call patterns
// with parallel reservations and sub-budgets, recorded spend never exceeds the cap. Once on the
// budget arithmetic itself, once end to end through the engine and the scripted server.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { tmpdir } from 'node:os';
import { startModelServer, type ModelServer } from '../support/model-server';
import { Budget, planModelCall, type Reservation } from '../../src/core/budget';
import { dollarsFor } from '../../src/core/pool';
import { boundedUsage, promptTokenBound } from '../../src/core/orchestrator/runtime';
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

    test('random prices, caps, parallel calls and delegated subtasks against a server that over-reports: totals stay within the cap', async () => {
      let clamped = 0;
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
              assert.ok(totals.dollars <= p.cap + EPS, `recorded $${totals.dollars} exceeds the cap $${p.cap} (${JSON.stringify(p)})`);
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
      console.log(`[budget] ${JSON.stringify({ seed, engineRuns: runs, clampedReports: clamped, overBudgetCalls: overBudget })}`);
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
