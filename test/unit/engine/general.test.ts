// The general dialect end to end against the scripted model server over real HTTP: tool calls in
// every text dialect, parallel calls and delegate subtasks (overlap seen by the server), recovery
// from broken calls, fallback, plain-text answers.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { toolCallText } from '../../support/model-server';
import { dollarsFor } from '../../../src/core/pool';
import { config, model, newEngine, overlaps, recordingHost, runTask, scriptedServerSuite, toolNames, lastUserOrToolText } from './helpers';

describe('general dialect', () => {
  const { server, ws } = scriptedServerSuite({
    'src/answer.ts': 'export const ANSWER = 4217; // the magic number\n',
    'README.md': '# demo\n',
  });

  const baseConfig = (extra: Record<string, unknown> = {}) =>
    config({
      models: [
        model('orch', server.url, { roles: ['orchestrator'], description: 'the orchestrator' }),
        model('coder', server.url, { roles: ['code'], inputPricePerMillion: 1, outputPricePerMillion: 2, description: 'writes code' }),
        model('mathy', server.url, { roles: ['math'], openWeights: true, description: 'does math' }),
      ],
      orchestrator: { model: 'orch', dialect: 'general' },
      tools: { runCode: { enabled: false } },
      ...extra,
    });

  test('native tool call to an expert model, then the answer tool', async () => {
    server.script('orch', [
      {
        toolCalls: [{ name: 'call_model', arguments: { model: 'coder', task: 'Write a function that adds two numbers.' } }],
        usage: { prompt_tokens: 500, completion_tokens: 40 },
      },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'Use `add(a, b)`.' } }], usage: { prompt_tokens: 700, completion_tokens: 20 } },
    ]);
    server.script('coder', [
      { content: '```ts\nconst add = (a: number, b: number) => a + b;\n```', usage: { prompt_tokens: 120, completion_tokens: 30 } },
    ]);
    const engine = newEngine(recordingHost(), baseConfig());
    const run = await runTask(engine, { question: 'How do I add numbers?', workspace: ws.dir });
    assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
    assert.equal(run.outcome.answer, 'Use `add(a, b)`.');
    const done = run.of('done')[0];
    assert.equal(done.answer, 'Use `add(a, b)`.');

    // The expert got a self-contained task under the code role prompt.
    const expertReq = server.requestsFor('coder')[0];
    assert.match(expertReq.body.messages[0].content, /expert programmer/);
    assert.equal(expertReq.body.messages[1].content, 'Write a function that adds two numbers.');
    // The orchestrator's second turn reads the result with its state and cost.
    const second = server.requestsFor('orch')[1];
    const toolMsg = second.body.messages.find((m: any) => m.role === 'tool');
    assert.match(toolMsg.content, /^\[state: ok \| model: coder \| cost: \$/);
    assert.match(toolMsg.content, /const add/);
    // The model list and tools were offered.
    const first = server.requestsFor('orch')[0];
    assert.deepEqual(toolNames(first.body).sort(), ['answer', 'call_model', 'delegate', 'list_files', 'read_file', 'search_workspace']);
    assert.match(first.body.messages[0].content, /coder — code — \$1\/\$2/);

    // Ledger: dollars = Σ tokens × prices, exactly, and per-call events carry them.
    const expected = dollarsFor({ inputPricePerMillion: 1, outputPricePerMillion: 2 }, { inputTokens: 120, outputTokens: 30 });
    assert.equal(done.totals.dollars, expected);
    assert.equal(done.totals.inputTokens, 500 + 700 + 120);
    assert.equal(done.totals.outputTokens, 40 + 20 + 30);
    assert.equal(done.totals.estimated, false);
    assert.deepEqual(done.totals.remoteHosts, []);
    assert.deepEqual([...done.totals.models].sort(), ['coder', 'orch']);
    const finished = run.of('tool_call_finished').find((e) => e.tool === 'call_model')!;
    assert.equal(finished.state, 'ok');
    assert.equal(finished.model, 'coder');
    assert.equal(finished.dollars, expected);
    assert.deepEqual(finished.usage, { inputTokens: 120, outputTokens: 30, estimated: false });
    const costs = run.of('cost_update');
    assert.ok(costs.length >= 3);
    assert.equal(costs[costs.length - 1].totals.dollars, expected);
    await engine.dispose();
  });

  const dialects: Array<[string, (calls: Array<{ name: string; arguments: Record<string, unknown> }>) => string]> = [
    ['hermes', (c) => toolCallText.hermes(c)],
    ['qwen xml', (c) => toolCallText.qwenXml(c)],
    ['mistral', (c) => toolCallText.mistral(c)],
    ['mistral named', (c) => toolCallText.mistralNamed(c)],
    ['llama python_tag', (c) => toolCallText.llama(c)],
    ['bare json', (c) => toolCallText.json(c)],
    ['harmony', (c) => toolCallText.harmony(c)],
    ['harmony without start', (c) => toolCallText.harmony(c, false)],
    ['json fence', (c) => toolCallText.fence(c)],
  ];
  for (const [name, write] of dialects) {
    test(`text tool call (${name}) drives a real tool`, async () => {
      server.script('orch', [
        { content: write([{ name: 'read_file', arguments: { path: 'src/answer.ts' } }]) },
        { content: 'The magic number is 4217.' },
      ]);
      const engine = newEngine(recordingHost(), baseConfig());
      const run = await runTask(engine, { question: 'What is the magic number?', workspace: ws.dir });
      assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
      assert.equal(run.outcome.answer, 'The magic number is 4217.');
      const fin = run.of('tool_call_finished');
      assert.equal(fin.length, 1);
      assert.equal(fin[0].tool, 'read_file');
      assert.equal(fin[0].state, 'ok');
      assert.match(lastUserOrToolText(server.requestsFor('orch')[1].body), /ANSWER = 4217/);
      await engine.dispose();
    });
  }

  test('two calls in one turn run concurrently and come back in the order asked', async () => {
    server.script('orch', [
      {
        toolCalls: [
          { name: 'call_model', arguments: { model: 'coder', task: 'first' } },
          { name: 'call_model', arguments: { model: 'mathy', task: 'second' } },
        ],
      },
      { content: 'both done' },
    ]);
    server.script('coder', [{ content: 'coder reply', latencyMs: 300 }]);
    server.script('mathy', [{ content: 'mathy reply', latencyMs: 150 }]);
    const engine = newEngine(recordingHost(), baseConfig());
    const run = await runTask(engine, { question: 'q', workspace: ws.dir });
    assert.equal(run.outcome.ok, true);
    const [a] = server.requestsFor('coder');
    const [b] = server.requestsFor('mathy');
    assert.ok(overlaps(a, b), 'the two expert requests overlapped in time');
    const tools = server.requestsFor('orch')[1].body.messages.filter((m: any) => m.role === 'tool');
    assert.match(tools[0].content, /coder reply/);
    assert.match(tools[1].content, /mathy reply/);
    // The faster call finished first, but results are in the asked order.
    const fin = run.of('tool_call_finished');
    assert.equal(fin[0].model, 'mathy');
    await engine.dispose();
  });

  test('concurrency 1 serialises the same calls (queued, then running)', async () => {
    server.script('orch', [
      {
        toolCalls: [
          { name: 'call_model', arguments: { model: 'coder', task: 'first' } },
          { name: 'call_model', arguments: { model: 'mathy', task: 'second' } },
        ],
      },
      { content: 'done' },
    ]);
    server.script('coder', [{ content: 'c', latencyMs: 100 }]);
    server.script('mathy', [{ content: 'm', latencyMs: 100 }]);
    const engine = newEngine(recordingHost(), baseConfig({ concurrency: 1 }));
    const run = await runTask(engine, { question: 'q', workspace: ws.dir });
    assert.equal(run.outcome.ok, true);
    assert.equal(overlaps(server.requestsFor('coder')[0], server.requestsFor('mathy')[0]), false);
    const started = run.of('tool_call_started');
    assert.ok(
      started.some((e) => e.state === 'queued'),
      'the second call was shown as queued',
    );
    const queuedId = started.find((e) => e.state === 'queued')!.callId;
    assert.ok(
      started.some((e) => e.callId === queuedId && e.state === 'running'),
      'then as running',
    );
    await engine.dispose();
  });

  test('delegate runs subtasks as concurrent sub-orchestrations with their own budget and rolled-up cost', async () => {
    server.script('orch', [
      {
        toolCalls: [
          {
            name: 'delegate',
            arguments: {
              subtasks: [
                { task: 'Write the parser', role: 'code' },
                { task: 'Prove the bound', model: 'mathy' },
              ],
            },
          },
        ],
      },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'combined' } }] },
    ]);
    // Each subtask is led by its model; answering in plain text ends it.
    server.script('coder', [{ content: 'parser written', latencyMs: 300, usage: { prompt_tokens: 1000, completion_tokens: 100 } }]);
    server.script('mathy', [{ content: 'bound proved', latencyMs: 300 }]);
    const engine = newEngine(recordingHost(), baseConfig());
    const run = await runTask(engine, { question: 'Build it', workspace: ws.dir });
    assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
    assert.ok(overlaps(server.requestsFor('coder')[0], server.requestsFor('mathy')[0]), 'subtasks ran at the same time');

    const delegateStart = run.of('tool_call_started').find((e) => e.tool === 'delegate')!;
    const subStarts = run.of('tool_call_started').filter((e) => e.tool === 'subtask');
    assert.equal(subStarts.length, 2);
    for (const s of subStarts) assert.equal(s.parentCallId, delegateStart.callId);
    const subTasks = run.of('task_started').filter((e) => e.parentCallId);
    assert.equal(subTasks.length, 2);
    for (const t of subTasks) {
      assert.ok(subStarts.some((s) => s.callId === t.parentCallId));
      assert.ok(t.budgetDollars <= (0.5 * 0.5) / 2 + 1e-12, 'each subtask gets its share of what is left');
    }
    // Subtask turns are nested under their subtask call.
    assert.ok(run.of('turn_started').some((e) => e.parentCallId && subStarts.some((s) => s.callId === e.parentCallId)));

    const toolMsg = server.requestsFor('orch')[1].body.messages.find((m: any) => m.role === 'tool').content as string;
    assert.ok(toolMsg.indexOf('Subtask 1 [state: ok | model: coder') < toolMsg.indexOf('Subtask 2 [state: ok | model: mathy'));
    assert.match(toolMsg, /parser written/);
    assert.match(toolMsg, /bound proved/);

    // Subtask spend is in the task total and in the delegate's rolled-up cost.
    const expected = dollarsFor({ inputPricePerMillion: 1, outputPricePerMillion: 2 }, { inputTokens: 1000, outputTokens: 100 });
    const done = run.of('done')[0];
    assert.equal(done.totals.dollars, expected);
    const delegateFin = run.of('tool_call_finished').find((e) => e.tool === 'delegate')!;
    assert.equal(delegateFin.dollars, expected);
    const coderSub = run.of('tool_call_finished').find((e) => e.tool === 'subtask' && e.model === 'coder')!;
    assert.equal(coderSub.dollars, expected);
    await engine.dispose();
  });

  test('a broken tool call becomes an error observation and the orchestrator recovers', async () => {
    server.script('orch', [
      { fault: 'invalid-json-args', toolCalls: [{ name: 'read_file', arguments: {} }] },
      { toolCalls: [{ name: 'call_model', arguments: { model: 'coder' } }] },
      { toolCalls: [{ name: 'no_such_tool', arguments: {} }] },
      { content: '<tool_call>{"name": "read_file", "arguments": {"path": "src/answer.ts"</tool_call>' },
      { toolCalls: [{ name: 'read_file', arguments: { path: 'src/answer.ts' } }] },
      { toolCalls: [{ name: 'answer', arguments: { answer: '4217' } }] },
    ]);
    const engine = newEngine(recordingHost(), baseConfig());
    const run = await runTask(engine, { question: 'magic?', workspace: ws.dir });
    assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
    assert.equal(run.outcome.answer, '4217');
    const reqs = server.requestsFor('orch');
    assert.match(lastUserOrToolText(reqs[1].body), /state: error/);
    assert.match(lastUserOrToolText(reqs[2].body), /invalid arguments for call_model: task/);
    assert.match(lastUserOrToolText(reqs[3].body), /unknown tool "no_such_tool"/);
    assert.match(lastUserOrToolText(reqs[5].body), /ANSWER = 4217/);
    await engine.dispose();
  });

  test('plain text with no tool call is the answer (no "you did not use a tool" loop)', async () => {
    server.script('orch', [{ content: '<think>easy</think>It is 42.' }]);
    const engine = newEngine(recordingHost(), baseConfig());
    const run = await runTask(engine, { question: 'q', workspace: ws.dir });
    assert.equal(run.outcome.answer, 'It is 42.');
    assert.equal(server.requestsFor('orch').length, 1);
    await engine.dispose();
  });

  test('an expert that keeps failing falls back to the next eligible model of its role, and says so', async () => {
    server.script('orch', [{ toolCalls: [{ name: 'call_model', arguments: { model: 'coder', task: 't' } }] }, { content: 'ok' }]);
    server.script('coder', [{ fault: 'http500' }]);
    server.script('coder2', [{ content: 'from the backup' }]);
    const cfg = config({
      models: [
        model('orch', server.url, { roles: ['orchestrator'] }),
        model('coder', server.url, { roles: ['code'] }),
        model('coder2', server.url, { roles: ['code'] }),
      ],
      orchestrator: { model: 'orch', dialect: 'general' },
      tools: { runCode: { enabled: false } },
    });
    const engine = newEngine(recordingHost(), cfg);
    const run = await runTask(engine, { question: 'q', workspace: ws.dir });
    assert.equal(run.outcome.ok, true);
    const fin = run.of('tool_call_finished')[0];
    assert.equal(fin.state, 'ok');
    assert.equal(fin.model, 'coder2');
    assert.match(fin.result, /coder failed .*coder2 answered instead/);
    assert.match(fin.result, /from the backup/);
    await engine.dispose();
  });
});
