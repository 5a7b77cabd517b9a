// The budget with exact token counts, end to end over real HTTP: the scripted task — a $0.50
// cap and calls of $0.10 to $0.40 to a paid model whose server counts tokens (vLLM's /tokenize) —
// runs, lowers the output limit to what fits instead of refusing, stays under the cap, refuses the
// call that cannot fit with the rule, the model and the setting, and records exactly what the server
// charged. Under the old accounting (one token per prompt byte) its first call was already refused.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startModelServer, type ModelServer } from '../../support/model-server';
import { config, model, newEngine, recordingHost, runTask, tempWorkspace } from './helpers';

const IN = 100; // $ per million prompt tokens
const OUT = 200; // $ per million output tokens
const words = (n: number, w: string) => Array.from({ length: n }, () => w).join(' ');

describe('a $0.50 task with calls of $0.10–0.40 runs and stays under the cap', () => {
  let server: ModelServer;
  const ws = tempWorkspace({ 'a.txt': 'alpha\n' });
  before(async () => {
    server = await startModelServer({ flavor: 'vllm', contextWindow: 65536 });
  });
  after(async () => {
    await server.close();
    ws.cleanup();
  });

  test('counted prompts, output limits lowered to fit, the unaffordable call refused with its reason, every dollar recorded', async () => {
    const tasks = [words(1000, 'alpha'), words(2500, 'bravo'), words(3000, 'charlie')];
    server.script('orch', [
      ...tasks.map((task) => ({ toolCalls: [{ name: 'call_model', arguments: { model: 'expert', task } }] })),
      { toolCalls: [{ name: 'answer', arguments: { answer: 'done within the budget' } }] },
    ]);
    server.setHandler('expert', () => ({ content: 'A short expert answer.' }));
    const engine = newEngine(
      recordingHost(),
      config({
        models: [
          // The orchestrator writes the long tasks out in its tool calls: room for them.
          model('orch', server.url, { roles: ['orchestrator'], openWeights: true, contextWindow: 65536, maxOutputTokens: 8192 }),
          model('expert', server.url, {
            roles: ['general'],
            inputPricePerMillion: IN,
            outputPricePerMillion: OUT,
            maxOutputTokens: 2048,
            contextWindow: 65536,
          }),
        ],
        orchestrator: { model: 'orch', dialect: 'general' },
        budget: { maxDollarsPerTask: 0.5 },
        tools: { runCode: { enabled: false } },
      }),
    );
    const run = await runTask(engine, { question: 'Three expensive questions.', workspace: ws.dir });
    assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));

    const calls = run.of('tool_call_finished').filter((e) => e.tool === 'call_model');
    assert.deepEqual(
      calls.map((c) => c.state),
      ['ok', 'ok', 'over_budget'],
    );
    const sent = server.requestsFor('expert');
    assert.equal(sent.length, 2, 'the call that could not fit was never sent');
    const dollarsOf = (r: (typeof sent)[number]) => (r.billed!.promptTokens * IN + r.billed!.completionTokens * OUT) / 1e6;
    const [first, second] = sent.map(dollarsOf);
    assert.ok(first >= 0.1 && first < 0.15 && second >= 0.25 && second < 0.3, `calls of $${first} and $${second}`);
    // Under the old accounting the first prompt, at a token per byte, cost more than the whole cap.
    assert.ok((Buffer.byteLength(JSON.stringify(sent[0].body.messages)) * IN) / 1e6 > 0.5);

    // Each output limit was lowered to what fits (not refused), never below a useful minimum.
    for (const r of sent) {
      const maxTokens = Number(r.body.max_tokens);
      assert.ok(maxTokens < 2048 && maxTokens >= 128, `max_tokens ${maxTokens}`);
    }
    // The reservation was the counted prompt plus that limit, and it fit what was left at the time.
    const cap = 0.5;
    const reserved1 = (sent[0].billed!.promptTokens * IN + Number(sent[0].body.max_tokens) * OUT) / 1e6;
    assert.ok(reserved1 <= cap + 1e-12 && reserved1 > cap - (OUT / 1e6) * 2, `first reservation $${reserved1} fills the cap`);
    const reserved2 = (sent[1].billed!.promptTokens * IN + Number(sent[1].body.max_tokens) * OUT) / 1e6;
    assert.ok(reserved2 <= cap - first + 1e-12, 'the second reservation fits what the first left');

    // The refusal names the rule, the model and the setting that would allow it.
    assert.match(
      calls[2].error ?? '',
      /over budget \(rule budget\.maxDollarsPerTask, \$0\.5 per task\): expert needs up to \$0\.3\d+ for \d+ prompt tokens/,
    );
    assert.match(calls[2].error ?? '', /raise orchestra\.budget\.maxDollarsPerTask/);

    // Every dollar: the totals are exactly what the server charged, counted in its own tokens.
    const totals = run.outcome.totals;
    assert.ok(Math.abs(totals.dollars - (first + second)) < 1e-12, `$${totals.dollars} vs $${first + second}`);
    assert.ok(totals.dollars <= cap);
    assert.equal(totals.estimated, false);
    for (const [i, c] of calls.slice(0, 2).entries())
      assert.equal(c.usage?.inputTokens, sent[i].billed!.promptTokens, 'the count was exact');
    await engine.dispose();
  });

  test('a cut stream is charged for the tokens that arrived, counted by the server', async () => {
    server.reset();
    server.script('orch', [
      { toolCalls: [{ name: 'call_model', arguments: { model: 'expert', task: 'Explain briefly.' } }] },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'ok' } }] },
    ]);
    server.script('expert', [{ content: words(40, 'delta'), fault: 'cut-mid-chunk' }]);
    const engine = newEngine(
      recordingHost(),
      config({
        models: [
          model('orch', server.url, { roles: ['orchestrator'], openWeights: true }),
          model('expert', server.url, { roles: ['general'], inputPricePerMillion: IN, outputPricePerMillion: OUT }),
        ],
        orchestrator: { model: 'orch', dialect: 'general' },
        requests: { retries: 0, timeoutSeconds: 20, stream: true },
        tools: { runCode: { enabled: false } },
      }),
    );
    const run = await runTask(engine, { question: 'q', workspace: ws.dir });
    const [req] = server.requestsFor('expert');
    assert.ok(req.billed && req.billed.completionTokens > 0 && req.billed.completionTokens < 40, JSON.stringify(req.billed));
    const charged = (req.billed.promptTokens * IN + req.billed.completionTokens * OUT) / 1e6;
    assert.ok(Math.abs(run.outcome.totals.dollars - charged) < 1e-12, `$${run.outcome.totals.dollars} recorded, $${charged} charged`);
    assert.equal(run.outcome.totals.estimated, true, 'a cut stream may be billed for more than arrived: shown as counted by us');
    await engine.dispose();
  });
});
