// The harness against the scripted server over real HTTP: every attempt of a model call (retries,
// fallbacks, streams cut mid-way) is paid for and recorded; usage a server does not report is settled
// conservatively; sub-orchestrators' turns take concurrency slots; rules tightened mid-task apply to
// the next call; ToolOrchestra reads the preferences and hides denied tools; role prompts for query
// writing and answering; the final answer streams as answer_delta events.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { dollarsFor } from '../../../src/core/pool';
import { ROLE_PROMPTS, rolePromptFor } from '../../../src/core/prompts';
import { partialJsonStringField, partialTaggedAnswer } from '../../../src/core/orchestrator/partial-text';
import type { Engine } from '../../../src/core/engine-api';
import { config, model, newEngine, overlaps, recordingHost, runTask, scriptedServerSuite, toolNames } from './helpers';

describe('attempts, rules and streaming', () => {
  const { server, ws } = scriptedServerSuite({ 'README.md': '# demo\n' });

  const paidPrices = { inputPricePerMillion: 10, outputPricePerMillion: 30 };

  test('budget: a paid model cut mid-stream twice, then answering: every attempt is paid, recorded, and within the cap', async () => {
    const cap = 0.02;
    server.script('orch', [
      { toolCalls: [{ name: 'call_model', arguments: { model: 'paid', task: 'Say hello.' } }], usage: false },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'hello' } }], usage: false },
    ]);
    const words = 'one two three four five six seven eight nine ten';
    server.script('paid', [
      { content: words, fault: 'cut-mid-chunk' },
      { content: words, fault: 'cut-mid-chunk' },
      { content: 'hello', usage: { prompt_tokens: 50, completion_tokens: 5 } },
    ]);
    const engine = newEngine(
      recordingHost(),
      config({
        models: [
          model('orch', server.url, { roles: ['orchestrator'] }),
          model('paid', server.url, { ...paidPrices, maxOutputTokens: 200 }),
        ],
        orchestrator: { model: 'orch', dialect: 'general' },
        budget: { maxDollarsPerTask: cap },
        requests: { retries: 2, timeoutSeconds: 20, stream: true },
        tools: { runCode: { enabled: false } },
      }),
    );
    const run = await runTask(engine, { question: 'hi', workspace: ws.dir });
    assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
    assert.equal(server.requestsFor('paid').length, 3, 'two cut attempts and the answer');
    const totals = run.outcome.totals;
    const answeredOnly = dollarsFor(paidPrices, { inputTokens: 50, outputTokens: 5 });
    assert.ok(totals.dollars <= cap, `spend ${totals.dollars} within the cap ${cap}`);
    // Each cut attempt is charged at least its prompt (byte bound) — far more than the answer alone.
    const promptBytes = Buffer.byteLength(JSON.stringify(server.requestsFor('paid')[0].body.messages));
    assert.ok(
      totals.dollars >= answeredOnly + 2 * dollarsFor(paidPrices, { inputTokens: promptBytes, outputTokens: 1 }),
      `the cut attempts are in the total (${totals.dollars})`,
    );
    // Ledger: 2 orchestrator turns + call_model + answer + the 2 failed attempts, each its own entry.
    assert.equal(totals.calls, 6);
    const call = run.of('tool_call_finished').find((e) => e.tool === 'call_model')!;
    assert.equal(call.state, 'ok');
    assert.ok(Math.abs(call.dollars - totals.dollars) < 1e-12, 'the call shows what its attempts cost too');
    // Each retry reserved its own worst case: later attempts asked for no more than fits.
    for (const r of server.requestsFor('paid')) assert.ok(Number(r.body.max_tokens) <= 200);
  });

  test('budget: retries stop when the budget cannot cover one more attempt, and the call says so', async () => {
    server.script('orch', [
      { toolCalls: [{ name: 'call_model', arguments: { model: 'paid', task: `Summarise: ${'x'.repeat(2000)}` } }], usage: false },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'could not afford it' } }], usage: false },
    ]);
    server.script('paid', [{ content: 'one two three four five six seven eight', fault: 'cut-mid-chunk' }, { content: 'never sent' }]);
    const engine = newEngine(
      recordingHost(),
      config({
        models: [
          model('orch', server.url, { roles: ['orchestrator'] }),
          model('paid', server.url, { inputPricePerMillion: 10, outputPricePerMillion: 1, maxOutputTokens: 100 }),
        ],
        orchestrator: { model: 'orch', dialect: 'general' },
        // The ~2,100-byte prompt costs ~$0.021 at its byte bound: one attempt fits $0.025; after it is
        // charged, not even the estimate (about a third of the bytes, ~$0.007) of a second one fits.
        budget: { maxDollarsPerTask: 0.025 },
        requests: { retries: 2, timeoutSeconds: 20, stream: true },
        tools: { runCode: { enabled: false } },
      }),
    );
    const run = await runTask(engine, { question: 'hi', workspace: ws.dir });
    assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
    assert.equal(server.requestsFor('paid').length, 1, 'the retry was never sent');
    const call = run.of('tool_call_finished').find((e) => e.tool === 'call_model')!;
    assert.equal(call.state, 'over_budget');
    assert.match(call.error ?? '', /not retried .*over budget/);
    assert.ok(call.dollars > 0, 'the cut attempt was charged');
    assert.ok(run.outcome.totals.dollars <= 0.025);
  });

  test('budget: a paid model reporting no usage is settled at the byte bounds, not a chars/4 estimate', async () => {
    const cjk = '这是一个关于预算的很长的中文回答，每个字符都占三个字节。'.repeat(6);
    server.script('orch', [
      { toolCalls: [{ name: 'call_model', arguments: { model: 'paid', task: '用中文回答。' } }], usage: false },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'ok' } }], usage: false },
    ]);
    server.script('paid', [{ content: cjk, usage: false }]);
    const engine = newEngine(
      recordingHost(),
      config({
        models: [
          model('orch', server.url, { roles: ['orchestrator'] }),
          model('paid', server.url, { ...paidPrices, maxOutputTokens: 4000 }),
        ],
        orchestrator: { model: 'orch', dialect: 'general' },
        tools: { runCode: { enabled: false } },
      }),
    );
    const run = await runTask(engine, { question: 'hi', workspace: ws.dir });
    assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
    const call = run.of('tool_call_finished').find((e) => e.tool === 'call_model')!;
    assert.equal(call.usage?.estimated, true);
    assert.equal(call.usage?.outputTokens, Buffer.byteLength(cjk), 'output settled at its UTF-8 bytes');
    assert.ok(call.usage.outputTokens > Math.ceil(cjk.length / 4) * 2, 'well above the chars/4 estimate');
    const promptBytes = Buffer.byteLength(JSON.stringify(server.requestsFor('paid')[0].body.messages));
    assert.ok(call.usage.inputTokens >= promptBytes, 'input settled at the prompt byte bound');
    assert.ok(Math.abs(call.dollars - dollarsFor(paidPrices, call.usage)) < 1e-12);
  });

  test('concurrency 1: the leaders of three delegated subtasks never run their turns at the same time', async () => {
    server.script('orch', [
      {
        toolCalls: [
          {
            name: 'delegate',
            arguments: {
              subtasks: [
                { task: 'part A', model: 'lead' },
                { task: 'part B', model: 'lead' },
                { task: 'part C', model: 'lead' },
              ],
            },
          },
        ],
      },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'all parts done' } }] },
    ]);
    server.setHandler('lead', () => ({ toolCalls: [{ name: 'answer', arguments: { answer: 'part done' } }], latencyMs: 40 }));
    const engine = newEngine(
      recordingHost(),
      config({
        models: [model('orch', server.url, { roles: ['orchestrator'] }), model('lead', server.url, { roles: ['general'] })],
        orchestrator: { model: 'orch', dialect: 'general' },
        concurrency: 1,
        tools: { runCode: { enabled: false } },
      }),
    );
    const run = await runTask(engine, { question: 'do three parts', workspace: ws.dir });
    assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
    const leads = server.requestsFor('lead');
    assert.equal(leads.length, 3);
    for (let i = 0; i < leads.length; i++)
      for (let j = i + 1; j < leads.length; j++) assert.equal(overlaps(leads[i], leads[j]), false, `leader turns ${i} and ${j} overlapped`);
    assert.deepEqual(
      run
        .of('tool_call_finished')
        .filter((e) => e.tool === 'subtask')
        .map((e) => e.state),
      ['ok', 'ok', 'ok'],
    );
  });

  test('privacy tightened mid-task: the next call to a remote model is denied, naming the rule', async () => {
    let engine!: Engine;
    server.setHandler('orch', (_body, index) => {
      if (index === 0) {
        engine.setPrivacyMode('local-only');
        return { toolCalls: [{ name: 'call_model', arguments: { model: 'cloud', task: 'Tell me a secret plan.' } }] };
      }
      return { toolCalls: [{ name: 'answer', arguments: { answer: 'answered locally' } }] };
    });
    server.script('cloud', [{ content: 'must never be asked' }]);
    engine = newEngine(
      recordingHost(),
      config({
        models: [model('orch', server.url, { roles: ['orchestrator'] }), model('cloud', server.url, { local: false, roles: ['general'] })],
        orchestrator: { model: 'orch', dialect: 'general' },
        tools: { runCode: { enabled: false } },
      }),
    );
    const run = await runTask(engine, { question: 'plan', workspace: ws.dir });
    assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
    const call = run.of('tool_call_finished').find((e) => e.tool === 'call_model')!;
    assert.equal(call.state, 'denied');
    assert.match(call.error ?? '', /denied by rule privacyMode: privacy mode local-only/);
    assert.equal(server.requestsFor('cloud').length, 0, 'nothing was sent to the remote model');
    assert.deepEqual(run.outcome.totals.remoteHosts, []);
  });

  test('toolorchestra: preference instructions reach the orchestrator; a denied tool is not offered', async () => {
    server.script('Nemotron-Orchestrator-8B', [{ toolCalls: [{ name: 'answer', arguments: { model: 'answer-1' } }] }]);
    server.script('qwen', [{ content: '<answer>42</answer>' }]);
    const engine = newEngine(
      recordingHost(),
      config({
        models: [
          { id: 'orch8b', baseUrl: server.url, model: 'Nemotron-Orchestrator-8B', roles: ['orchestrator'], openWeights: true },
          model('qwen', server.url, { roles: ['general', 'code'] }),
        ],
        preferences: {
          cost: 0.9,
          quality: 0.1,
          latency: 0,
          instructions: 'Never use more than two rounds.',
          deniedTools: ['enhance_reasoning'],
        },
        tools: { runCode: { enabled: true } },
      }),
    );
    const run = await runTask(engine, { question: 'What is 6*7?', workspace: ws.dir });
    assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
    const first = server.requestsFor('Nemotron-Orchestrator-8B')[0].body;
    assert.deepEqual(toolNames(first).sort(), ['answer', 'search']);
    assert.match(first.messages[1].content, /User instructions: Never use more than two rounds\./);
    assert.match(first.messages[1].content, /favour low cost/);
  });

  test('role prompts: query writing and answering from context are mapped; a general model keeps the general prompt', async () => {
    assert.equal(rolePromptFor(['search-query']), ROLE_PROMPTS['search-query']);
    assert.equal(rolePromptFor(['answer']), ROLE_PROMPTS.answer);
    assert.equal(rolePromptFor(['general', 'search-query']), ROLE_PROMPTS.general);
    assert.equal(rolePromptFor(['search-query', 'math']), ROLE_PROMPTS.math);
    server.script('orch', [
      {
        toolCalls: [
          { name: 'call_model', arguments: { role: 'search-query', task: 'Find docs about zod 4 JSON schema.' } },
          { name: 'call_model', arguments: { role: 'answer', task: 'What is the limit?', context: 'The limit is 7.' } },
        ],
      },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'done' } }] },
    ]);
    server.setHandler('querier', () => ({ content: 'zod 4 toJSONSchema' }));
    server.setHandler('reader', () => ({ content: '7' }));
    const engine = newEngine(
      recordingHost(),
      config({
        models: [
          model('orch', server.url, { roles: ['orchestrator'] }),
          model('querier', server.url, { roles: ['search-query'] }),
          model('reader', server.url, { roles: ['answer'] }),
        ],
        orchestrator: { model: 'orch', dialect: 'general' },
        tools: { runCode: { enabled: false } },
      }),
    );
    const run = await runTask(engine, { question: 'q', workspace: ws.dir });
    assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
    assert.match(server.requestsFor('querier')[0].body.messages[0].content, /You write search queries/);
    assert.match(server.requestsFor('reader')[0].body.messages[0].content, /You answer from collected context/);
  });

  test('streaming: the answer tool arguments stream as several answer_delta events before done', async () => {
    const answer = 'The retry limit is seven, set in src/config.ts, and it applies to every request the client sends.';
    server.script('orch', [{ toolCalls: [{ name: 'answer', arguments: { answer } }] }]);
    const engine = newEngine(
      recordingHost(),
      config({
        models: [model('orch', server.url, { roles: ['orchestrator'] })],
        orchestrator: { model: 'orch', dialect: 'general' },
        tools: { runCode: { enabled: false } },
      }),
    );
    const run = await runTask(engine, { question: 'q', workspace: ws.dir });
    assert.equal(run.outcome.ok, true);
    const deltas = run.of('answer_delta');
    assert.ok(deltas.length >= 2, `several deltas (got ${deltas.length})`);
    assert.equal(deltas.map((d) => d.text).join(''), answer, 'the deltas add up to the answer');
    const doneAt = run.events.findIndex((e) => e.type === 'done');
    assert.ok(
      run.events.findIndex((e) => e.type === 'answer_delta') <
        run.events.findIndex((e) => e.type === 'tool_call_finished' && e.tool === 'answer'),
      'the answer streamed before the answer call finished',
    );
    assert.ok(run.events.findLastIndex((e) => e.type === 'answer_delta') < doneAt);
  });

  test('streaming: in toolorchestra the answer model content inside <answer> streams as answer_delta', async () => {
    server.script('Nemotron-Orchestrator-8B', [{ toolCalls: [{ name: 'answer', arguments: { model: 'answer-1' } }] }]);
    server.script('qwen', [
      { content: '<think>six times seven</think><answer>The product of six and seven is forty-two, as computed.</answer>' },
    ]);
    const engine = newEngine(
      recordingHost(),
      config({
        models: [
          { id: 'orch8b', baseUrl: server.url, model: 'Nemotron-Orchestrator-8B', roles: ['orchestrator'], openWeights: true },
          model('qwen', server.url, { roles: ['general'] }),
        ],
      }),
    );
    const run = await runTask(engine, { question: 'What is 6*7?', workspace: ws.dir });
    assert.equal(run.outcome.answer, 'The product of six and seven is forty-two, as computed.');
    const deltas = run.of('answer_delta');
    assert.ok(deltas.length >= 3, `several deltas (got ${deltas.length})`);
    assert.equal(deltas.map((d) => d.text).join(''), run.outcome.answer);
    assert.ok(!deltas.some((d) => /think|<answer>/.test(d.text)), 'no reasoning or markup streamed');
    const finishedAt = run.events.findIndex((e) => e.type === 'tool_call_finished' && e.tool === 'answer');
    assert.ok(run.events.findIndex((e) => e.type === 'answer_delta') < finishedAt, 'streamed while the answer model wrote');
  });

  test('partial readers: JSON string fields and <answer> tags read while streaming', () => {
    assert.equal(partialJsonStringField('{"answer": "line one\\nline', 'answer'), 'line one\nline');
    assert.equal(partialJsonStringField('{"answer":"a \\"quoted\\" wo', 'answer'), 'a "quoted" wo');
    assert.equal(partialJsonStringField('{"answer":"cut escape \\', 'answer'), 'cut escape ');
    assert.equal(partialJsonStringField('{"answer":"caf\\u00e9 ok"}', 'answer'), 'café ok');
    assert.equal(partialJsonStringField('{"other":"x"', 'answer'), undefined);
    assert.equal(partialTaggedAnswer('<think>x</think>'), undefined);
    assert.equal(partialTaggedAnswer('<answer> forty </ans'), 'forty ');
    assert.equal(partialTaggedAnswer('<answer>forty-two</answer> trailing'), 'forty-two');
  });
});
