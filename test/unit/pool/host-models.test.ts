// Models the host serves (VS Code's Language Model API) as pool members, with the host played by an
// in-process function in place of the editor (the editor's side is tested inside VS Code): streaming,
// tool calls, consent and quota errors that are not retried, cancellation reaching the host, privacy
// (local-only never calls them) and prices that are never shown as $0.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HostChat, HostChatRequest, HostModelEntry } from '../../../src/core/pool';
import { HostChatError, ModelPool, ModelCallError, priceLabel } from '../../../src/core/pool';
import { createEngine } from '../../../src/core/engine';
import { config, model, recordingHost, runTask, scriptedServerSuite, FAST_POOL } from '../engine/helpers';

function entry(extra: Partial<HostModelEntry> = {}): HostModelEntry {
  return {
    id: 'lm:scripted:echo-1',
    hostModelId: 'echo-1',
    vendor: 'scripted',
    family: 'echo',
    version: '1',
    name: 'Echo One',
    contextWindow: 16_000,
    maxOutputTokens: 1000,
    toolCalling: true,
    local: false,
    openWeights: false,
    roles: ['general'],
    description: '',
    pricing: 'subscription',
    inputPricePerMillion: 0,
    outputPricePerMillion: 0,
    ...extra,
  };
}

/** A host that records each request and answers with `reply`. */
function scriptedHost(reply: (req: HostChatRequest, onDelta: Parameters<HostChat>[1], signal: AbortSignal) => Promise<void>) {
  const calls: HostChatRequest[] = [];
  const hostChat: HostChat = async (req, onDelta, signal) => {
    calls.push(req);
    await reply(req, onDelta, signal);
    return {};
  };
  return { calls, hostChat };
}

function poolWith(hostChat: HostChat | undefined, retries = 2) {
  const cfg = config({ models: [], requests: { retries, timeoutSeconds: 5, stream: true } });
  const pool = new ModelPool(
    cfg,
    async () => undefined,
    () => undefined,
    { backoffBaseMs: 1, hostChat },
  );
  pool.setHostModels([entry()]);
  return pool;
}

describe('host models in the pool', () => {
  test('stream text and a native tool call through the pool, with the request passed on whole', async () => {
    const host = scriptedHost(async (_req, onDelta) => {
      onDelta({ content: 'Looking ' });
      onDelta({ content: 'it up.' });
      onDelta({ toolCall: { id: 'c1', name: 'search_workspace', arguments: '{"query":"fib"}' } });
    });
    const pool = poolWith(host.hostChat);
    const deltas: string[] = [];
    const r = await pool.chat(
      'lm:scripted:echo-1',
      {
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'find fib' },
        ],
        tools: [{ type: 'function', function: { name: 'search_workspace', parameters: { type: 'object' } } }],
        toolChoice: 'auto',
      },
      { onDelta: (d) => d.content && deltas.push(d.content) },
    );
    assert.equal(r.content, 'Looking it up.');
    assert.deepEqual(deltas, ['Looking ', 'it up.']);
    assert.deepEqual(
      r.toolCalls.map((c) => [c.id, c.name, c.arguments]),
      [['c1', 'search_workspace', { query: 'fib' }]],
    );
    assert.equal(r.finishReason, 'tool_calls');
    assert.equal(r.usage.estimated, true, 'the Language Model API reports no usage: estimated');
    const sent = host.calls[0];
    assert.equal(sent.vendor, 'scripted');
    assert.equal(sent.hostModelId, 'echo-1');
    assert.equal(sent.messages.length, 2);
    assert.equal(sent.tools?.[0].type === 'function' && sent.tools[0].function.name, 'search_workspace');
    assert.equal(sent.maxTokens, 1000);
  });

  test('a model without tool calling is sent no tools', async () => {
    const host = scriptedHost(async (_req, onDelta) => onDelta({ content: 'plain' }));
    const cfg = config({ models: [] });
    const pool = new ModelPool(
      cfg,
      async () => undefined,
      () => undefined,
      { hostChat: host.hostChat },
    );
    pool.setHostModels([entry({ toolCalling: false })]);
    await pool.chat('lm:scripted:echo-1', {
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 't', parameters: { type: 'object' } } }],
    });
    assert.equal(host.calls[0].tools, undefined);
  });

  test('consent and quota errors are clear and never retried; other provider errors are', async () => {
    for (const [kind, pattern] of [
      ['no_permissions', /may not use this scripted model yet.*Allow it when VS Code asks/],
      ['blocked', /quota or rate limit/],
    ] as const) {
      const host = scriptedHost(async () => {
        throw new HostChatError('nope', kind);
      });
      const pool = poolWith(host.hostChat, 2);
      const err = await pool.chat('lm:scripted:echo-1', { messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
      assert.ok(err instanceof ModelCallError);
      assert.match(err.message, pattern);
      assert.equal(host.calls.length, 1, `${kind} is not retried`);
    }
    let n = 0;
    const flaky = scriptedHost(async (_req, onDelta) => {
      if (n++ === 0) throw new HostChatError('upstream 502', 'failed');
      onDelta({ content: 'second time' });
    });
    const r = await poolWith(flaky.hostChat, 2).chat('lm:scripted:echo-1', { messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(r.content, 'second time');
    assert.equal(flaky.calls.length, 2);
  });

  test('cancellation reaches the host call', async () => {
    let sawAbort = false;
    const host = scriptedHost(
      (_req, onDelta, signal) =>
        new Promise<void>((_resolve, reject) => {
          onDelta({ content: 'partial' });
          signal.addEventListener('abort', () => {
            sawAbort = true;
            reject(new HostChatError('cancelled', 'cancelled'));
          });
        }),
    );
    const pool = poolWith(host.hostChat);
    const controller = new AbortController();
    const p = pool.chat('lm:scripted:echo-1', { messages: [{ role: 'user', content: 'hi' }] }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const err = await p.catch((e: unknown) => e);
    assert.ok(err instanceof ModelCallError);
    assert.equal(err.kind, 'cancelled');
    assert.equal(sawAbort, true);
  });

  test('without a host that serves them, a call fails with a clear error', async () => {
    const err = await poolWith(undefined, 0)
      .chat('lm:scripted:echo-1', { messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    assert.ok(err instanceof ModelCallError);
    assert.match(err.message, /serves no language models/);
  });

  test('a configured model with the same id wins', () => {
    const cfg = config({ models: [model('lm:scripted:echo-1', 'http://127.0.0.1:9/v1')] });
    const logs: string[] = [];
    const pool = new ModelPool(
      cfg,
      async () => undefined,
      (_l, m) => logs.push(m),
    );
    pool.setHostModels([entry()]);
    assert.equal(pool.all().length, 1);
    assert.equal(pool.get('lm:scripted:echo-1')?.hostModel, undefined);
    assert.match(logs.join('\n'), /not added: a configured model has that id/);
  });

  test('price labels never say $0 for a subscription or unknown price', () => {
    assert.equal(priceLabel({ pricing: 'subscription', inputPricePerMillion: 0, outputPricePerMillion: 0 }), 'covered by a subscription');
    assert.equal(priceLabel({ pricing: 'unknown', inputPricePerMillion: 0, outputPricePerMillion: 0 }), 'price unknown');
    assert.equal(priceLabel({ inputPricePerMillion: 1, outputPricePerMillion: 2 }), '$1/$2');
  });
});

describe('host models in the engine', () => {
  const { server, ws } = scriptedServerSuite({ 'README.md': '# demo\n' });

  const engineFor = (hostChat: HostChat, extra: Record<string, unknown> = {}) => {
    const host = { ...recordingHost(), hostChat };
    const engine = createEngine(
      host,
      config({
        models: [model('orch', server.url, { roles: ['orchestrator'], local: true })],
        orchestrator: { model: 'orch', dialect: 'general' },
        tools: { runCode: { enabled: false } },
        ...extra,
      }),
      FAST_POOL,
    );
    engine.setHostModels([entry({ roles: ['code'] })]);
    return { engine, host };
  };

  test('listed with vendor, family, input limit and its pricing; remote and closed-weights by default', () => {
    const { engine } = engineFor(async () => ({}));
    const info = engine.listModels().find((m) => m.id === 'lm:scripted:echo-1');
    assert.ok(info);
    assert.deepEqual(info.provider, {
      kind: 'vscode-lm',
      vendor: 'scripted',
      family: 'echo',
      version: '1',
      name: 'Echo One',
      maxOutputTokens: 1000,
    });
    assert.equal(info.contextWindow, 16_000);
    assert.equal(info.pricing, 'subscription');
    assert.equal(info.local, false);
    assert.equal(info.openWeights, false);
    assert.equal(info.eligible, true);
  });

  test('used as an expert: the orchestrator sees its price as a subscription, totals never count it as $0', async () => {
    const host = scriptedHost(async (req, onDelta) => {
      assert.match(JSON.stringify(req.messages), /Write fib/);
      onDelta({ content: 'def fib(n): return n if n < 2 else fib(n-1) + fib(n-2)' });
    });
    const { engine } = engineFor(host.hostChat);
    server.script('orch', [
      { toolCalls: [{ name: 'call_model', arguments: { model: 'lm:scripted:echo-1', task: 'Write fib in Python.' } }] },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'Here is fib.' } }] },
    ]);
    const run = await runTask(engine, { question: 'fib?', workspace: ws.dir });
    assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
    assert.equal(host.calls.length, 1);
    const first = server.requestsFor('orch')[0];
    assert.match(first.body.messages[0].content, /lm:scripted:echo-1 — code — covered by a subscription/);
    const toolMsg = server.requestsFor('orch')[1].body.messages.find((m: { role: string }) => m.role === 'tool');
    assert.match(toolMsg.content, /cost: subscription/);
    const finished = run.of('tool_call_finished').find((e) => e.tool === 'call_model');
    assert.equal(finished?.pricing, 'subscription');
    const done = run.of('done')[0];
    assert.deepEqual(done.totals.unpriced, [{ model: 'lm:scripted:echo-1', pricing: 'subscription', calls: 1 }]);
    assert.deepEqual(done.totals.remoteHosts, ['vscode-lm/scripted']);
  });

  test('local-only never calls it, and says why', async () => {
    const host = scriptedHost(async () => undefined);
    const { engine } = engineFor(host.hostChat, { privacyMode: 'local-only' });
    const info = engine.listModels().find((m) => m.id === 'lm:scripted:echo-1');
    assert.equal(info?.eligible, false);
    assert.match(info?.ineligibleReason ?? '', /local-only/);
    server.script('orch', [
      { toolCalls: [{ name: 'call_model', arguments: { model: 'lm:scripted:echo-1', task: 'Write fib.' } }] },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'done locally' } }] },
    ]);
    const run = await runTask(engine, { question: 'fib?', workspace: ws.dir });
    assert.equal(run.outcome.ok, true);
    assert.equal(host.calls.length, 0, 'the host model was never called');
    assert.doesNotMatch(server.requestsFor('orch')[0].body.messages[0].content, /lm:scripted:echo-1/, 'not even offered');
    assert.deepEqual(run.of('done')[0].totals.remoteHosts, []);
  });

  test("a question asked local-only (the Chat view's /local) never calls it; it cannot loosen the configured mode", async () => {
    const host = scriptedHost(async () => undefined);
    const { engine } = engineFor(host.hostChat);
    server.script('orch', [
      { toolCalls: [{ name: 'call_model', arguments: { model: 'lm:scripted:echo-1', task: 'Write fib.' } }] },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'kept local' } }] },
    ]);
    const run = await runTask(engine, { question: 'fib?', workspace: ws.dir, privacyMode: 'local-only', maxDollars: 0.01 });
    assert.equal(run.outcome.ok, true);
    assert.equal(host.calls.length, 0);
    const started = run.of('task_started')[0];
    assert.equal(started.privacyMode, 'local-only');
    assert.equal(started.budgetDollars, 0.01);
    const strict = engineFor(host.hostChat, { privacyMode: 'local-only' }).engine;
    server.script('orch', [{ toolCalls: [{ name: 'answer', arguments: { answer: 'still local' } }] }]);
    const loose = await runTask(strict, { question: 'loosen?', workspace: ws.dir, privacyMode: 'any' });
    assert.equal(loose.of('task_started')[0].privacyMode, 'local-only', 'a task cannot loosen the configured mode');
  });

  test('as the orchestrator', async () => {
    const host = scriptedHost(async (_req, onDelta) => {
      onDelta({ toolCall: { id: 'a1', name: 'answer', arguments: JSON.stringify({ answer: 'answered by the host model' }) } });
    });
    const { engine } = engineFor(host.hostChat);
    engine.configure(
      config({
        models: [model('orch', server.url, { roles: ['orchestrator'] })],
        orchestrator: { model: '', dialect: 'general' },
        preferences: { deniedModels: ['orch'] },
        tools: { runCode: { enabled: false } },
      }),
    );
    const run = await runTask(engine, { question: 'who answers?', workspace: ws.dir });
    assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
    assert.equal(run.outcome.answer, 'answered by the host model');
    assert.equal(run.of('task_started')[0].orchestratorModel, 'lm:scripted:echo-1');
    assert.ok((host.calls[0].tools ?? []).some((t) => t.type === 'function' && t.function.name === 'answer'));
  });
});
