// The model pool against the project's scripted OpenAI-compatible server, over real HTTP/SSE.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, type OrchestraConfigInput, type ModelEntryInput } from '../../../src/core/config';
import { ModelPool, ModelCallError, type AttemptDecision, type ChatRequest } from '../../../src/core/pool';
import { startModelServer, toolCallText, type ModelServer } from '../../support/model-server';

let server: ModelServer;
before(async () => {
  server = await startModelServer();
});
after(async () => {
  await server.close();
});
beforeEach(() => server.reset());

type Secret = { modelId?: string; env?: string; purpose: string };

function makePool(
  models: Array<Partial<ModelEntryInput> & { id: string }>,
  extra: OrchestraConfigInput = {},
  secrets: Record<string, string> = {},
) {
  const { config, problems } = parseConfig({
    models: models.map((m) => ({ baseUrl: server.url, model: m.id, ...m })),
    requests: { retries: 0, timeoutSeconds: 30, stream: true },
    ...extra,
  });
  assert.deepEqual(problems, []);
  const asked: Secret[] = [];
  const logs: string[] = [];
  const pool = new ModelPool(
    config,
    async (ref) => {
      asked.push(ref);
      return ref.env ? secrets[ref.env] : undefined;
    },
    (level, msg) => logs.push(`${level}: ${msg}`),
    { backoffBaseMs: 5 },
  );
  return { pool, asked, logs, config };
}

const ask = (text = 'hi'): ChatRequest => ({ messages: [{ role: 'user', content: text }] });
const readFileTool = {
  type: 'function' as const,
  function: {
    name: 'read_file',
    description: 'Read a file',
    parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  },
};
const searchTool = {
  type: 'function' as const,
  function: { name: 'search', description: 'Search', parameters: { type: 'object', properties: { q: { type: 'string' } } } },
};

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), `gave up waiting for: ${what}`);
}

async function rejectsWith(p: Promise<unknown>, check: (e: ModelCallError) => void): Promise<ModelCallError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ModelCallError, `expected ModelCallError, got ${String(err)}`);
    check(err);
    return err;
  }
  assert.fail('expected the call to fail');
}

describe('ModelPool: streaming and results', () => {
  test('streams content and reasoning through onDelta, with usage the server reported', async () => {
    const { pool } = makePool([{ id: 'm1' }]);
    server.script('m1', [
      { content: 'The answer is 42.', reasoning: 'Six times seven.', usage: { prompt_tokens: 11, completion_tokens: 7 } },
    ]);
    const deltas: Array<{ content?: string; reasoning?: string }> = [];
    const r = await pool.chat('m1', ask(), { onDelta: (d) => deltas.push(d) });
    assert.equal(r.content, 'The answer is 42.');
    assert.equal(r.reasoning, 'Six times seven.');
    assert.equal(r.finishReason, 'stop');
    assert.deepEqual(r.usage, { inputTokens: 11, outputTokens: 7, estimated: false });
    assert.equal(r.modelId, 'm1');
    assert.deepEqual(r.attempts, []);
    assert.equal(r.fellBackFrom, undefined);
    assert.ok(deltas.filter((d) => d.content).length >= 4, 'content arrives in several chunks');
    assert.equal(deltas.map((d) => d.content ?? '').join(''), 'The answer is 42.');
    assert.equal(deltas.map((d) => d.reasoning ?? '').join(''), 'Six times seven.');
    // Reasoning came first in the stream.
    assert.ok(deltas.findIndex((d) => d.reasoning) < deltas.findIndex((d) => d.content));
    const body = server.requests[0].body;
    assert.equal(body.stream, true);
    assert.deepEqual(body.stream_options, { include_usage: true });
    assert.equal(body.model, 'm1');
    assert.equal(body.max_tokens, 2048, 'max tokens default to the model entry');
    assert.ok(r.firstTokenMs !== undefined && r.firstTokenMs <= r.latencyMs);
  });

  test('usage is estimated and marked so when the server reports none', async () => {
    const { pool } = makePool([{ id: 'm1' }]);
    server.script('m1', [{ content: 'twelve chars', usage: false }]);
    const r = await pool.chat('m1', ask('a question of some length'));
    assert.equal(r.usage.estimated, true);
    assert.ok(r.usage.inputTokens > 0);
    assert.equal(r.usage.outputTokens, 3);
  });

  test('non-streaming mode returns the same result shape', async () => {
    const { pool } = makePool([{ id: 'm1' }], { requests: { stream: false, retries: 0, timeoutSeconds: 30 } });
    server.script('m1', [
      { content: 'plain reply', reasoning: 'hmm', toolCalls: [{ name: 'read_file', arguments: { path: 'a.ts' }, id: 'call_x' }] },
    ]);
    const r = await pool.chat('m1', { ...ask(), tools: [readFileTool] });
    assert.notEqual(server.requests[0].body.stream, true);
    assert.equal(r.content, 'plain reply');
    assert.equal(r.reasoning, 'hmm');
    assert.deepEqual(r.toolCalls, [
      { id: 'call_x', name: 'read_file', arguments: { path: 'a.ts' }, rawArguments: '{"path":"a.ts"}', source: 'native', streamIndex: 0 },
    ]);
    assert.equal(r.usage.estimated, false);
  });

  test('native tool calls are assembled from stream deltas, in order', async () => {
    const { pool } = makePool([{ id: 'm1' }]);
    server.script('m1', [
      {
        toolCalls: [
          { name: 'search', arguments: { q: 'parallel tool calls in the OpenAI API' }, id: 'call_a' },
          { name: 'read_file', arguments: { path: 'src/core/pool/pool.ts' }, id: 'call_b' },
        ],
      },
    ]);
    const r = await pool.chat('m1', { ...ask(), tools: [searchTool, readFileTool], toolChoice: { name: 'search' } });
    assert.deepEqual(
      r.toolCalls.map((c) => [c.id, c.name, c.arguments, c.source]),
      [
        ['call_a', 'search', { q: 'parallel tool calls in the OpenAI API' }, 'native'],
        ['call_b', 'read_file', { path: 'src/core/pool/pool.ts' }, 'native'],
      ],
    );
    assert.deepEqual(r.toolCallErrors, []);
    assert.equal(r.finishReason, 'tool_calls');
    const body = server.requests[0].body;
    assert.deepEqual(body.tool_choice, { type: 'function', function: { name: 'search' } });
    assert.equal(body.tools.length, 2);
  });

  test('native tool calls with broken arguments carry the problem; unknown names pass on to be answered', async () => {
    const { pool } = makePool([{ id: 'm1' }]);
    server.script('m1', [
      { toolCalls: [{ name: 'read_file', arguments: {} }], fault: 'invalid-json-args' },
      { toolCalls: [{ name: 'rm_rf', arguments: {} }] },
      { toolCalls: [{ name: 'read_file', arguments: '{"path": "src/a' }], finishReason: 'length' },
    ]);
    const broken = await pool.chat('m1', { ...ask(), tools: [readFileTool] });
    assert.equal(broken.toolCalls.length, 1);
    assert.equal(broken.toolCalls[0].problem?.kind, 'unreadable');
    assert.match(broken.toolCalls[0].problem.message, /the arguments of "read_file" are not a valid JSON object/);
    // The orchestration loop answers an unknown name with the valid tools (see the engine tests).
    const unknown = await pool.chat('m1', { ...ask(), tools: [readFileTool] });
    assert.deepEqual(
      unknown.toolCalls.map((c) => [c.name, c.problem]),
      [['rm_rf', undefined]],
    );
    const cut = await pool.chat('m1', { ...ask(), tools: [readFileTool], maxTokens: 64 });
    assert.equal(cut.finishReason, 'length');
    assert.equal(cut.toolCalls[0].problem?.kind, 'cut');
    assert.match(cut.toolCalls[0].problem.message, /max-token limit \(64 tokens\)/);
    assert.deepEqual(cut.toolCalls[0].arguments, {});
  });

  test('tool calls written as text are parsed when the server sent no native ones', async () => {
    const { pool } = makePool([{ id: 'm1' }]);
    const text = 'I will read it.\n' + toolCallText.hermes([{ name: 'read_file', arguments: { path: 'README.md' } }]);
    server.script('m1', [{ content: text }, { content: toolCallText.harmony([{ name: 'search', arguments: { q: 'x' } }]) }]);
    const r = await pool.chat('m1', { ...ask(), tools: [readFileTool, searchTool] });
    assert.equal(r.content, 'I will read it.');
    assert.equal(r.rawContent, text);
    assert.deepEqual(
      r.toolCalls.map((c) => [c.name, c.arguments, c.source]),
      [['read_file', { path: 'README.md' }, 'hermes']],
    );
    const h = await pool.chat('m1', { ...ask(), tools: [readFileTool, searchTool] });
    assert.deepEqual(
      h.toolCalls.map((c) => [c.name, c.arguments, c.source]),
      [['search', { q: 'x' }, 'gpt_oss_harmony']],
    );
  });

  test('text that looks like a call is not parsed when no tools were offered', async () => {
    const { pool } = makePool([{ id: 'm1' }]);
    const text = toolCallText.json([{ name: 'read_file', arguments: { path: 'x' } }]);
    server.script('m1', [{ content: text }]);
    const r = await pool.chat('m1', ask());
    assert.equal(r.content, text);
    assert.deepEqual(r.toolCalls, []);
  });

  test('a huge reply streams in full and is scanned for text tool calls', async () => {
    const { pool } = makePool([{ id: 'm1' }]);
    server.script('m1', [{ fault: 'huge' }]);
    const r = await pool.chat('m1', { ...ask(), tools: [readFileTool] });
    assert.ok(r.content.length >= 2 * 1024 * 1024);
    assert.deepEqual(r.toolCalls, []);
    assert.deepEqual(r.toolCallErrors, []);
  });

  test('<think> left in the content by a server without a reasoning parser moves to reasoning', async () => {
    const { pool } = makePool([{ id: 'm1' }]);
    server.script('m1', [{ content: '<think>\nLet me add.\n</think>\n\n<answer>4</answer>' }]);
    const r = await pool.chat('m1', ask());
    assert.equal(r.reasoning, 'Let me add.');
    assert.equal(r.content, '<answer>4</answer>');
    assert.equal(r.rawContent, '<think>\nLet me add.\n</think>\n\n<answer>4</answer>');
  });
});

test('a server that rejects stream_options is asked again without it, and usage is estimated', async () => {
  const strict = await startModelServer({ rejectStreamOptions: true });
  try {
    const { config } = makePool([{ id: 'm1' }]);
    const pool = new ModelPool({ ...config, models: config.models.map((m) => ({ ...m, baseUrl: strict.url })) }, async () => undefined);
    strict.script('m1', [{ content: 'first' }, { content: 'second' }]);
    const r1 = await pool.chat('m1', ask());
    assert.equal(r1.content, 'first');
    assert.deepEqual(r1.attempts, []);
    assert.equal(r1.usage.estimated, true);
    await pool.chat('m1', ask());
    assert.deepEqual(
      strict.requests.map((r) => r.body.stream_options !== undefined),
      [true, false, false],
      'asked once with the option, then remembered',
    );
  } finally {
    await strict.close();
  }
});

describe('ModelPool: keys', () => {
  test('the key comes from getSecret; keyless local servers get a placeholder', async () => {
    const { pool, asked } = makePool([{ id: 'keyed', apiKeyEnv: 'TEST_KEY' }, { id: 'keyless' }], {}, { TEST_KEY: 'sk-test-123456' });
    server.script('keyed', [{ content: 'a' }]);
    server.script('keyless', [{ content: 'b' }]);
    await pool.chat('keyed', ask());
    await pool.chat('keyless', ask());
    assert.deepEqual(asked, [
      { modelId: 'keyed', env: 'TEST_KEY', purpose: 'model' },
      { modelId: 'keyless', env: undefined, purpose: 'model' },
    ]);
    assert.equal(server.requestsFor('keyed')[0].headers.authorization, 'Bearer sk-test-123456');
    assert.equal(server.requestsFor('keyless')[0].headers.authorization, 'Bearer not-needed');
  });

  test('a 401 says which key is missing and never shows a key', async () => {
    const { pool, logs } = makePool(
      [
        { id: 'm1', apiKeyEnv: 'MISSING_KEY' },
        { id: 'm2', apiKeyEnv: 'K2' },
      ],
      {},
      { K2: 'sk-secret-abcdef' },
    );
    server.script('m1', [{ fault: 'http401' }]);
    server.script('m2', [{ fault: 'http401' }]);
    await rejectsWith(pool.chat('m1', ask()), (e) => {
      assert.equal(e.status, 401);
      assert.match(e.message, /no API key: set MISSING_KEY/);
    });
    const e2 = await rejectsWith(pool.chat('m2', ask()), (e) => assert.equal(e.status, 401));
    assert.ok(!JSON.stringify({ m: e2.message, a: e2.attempts, logs }).includes('sk-secret-abcdef'));
  });
});

describe('ModelPool: retries', () => {
  test('429 is retried after the Retry-After the server asked for', async () => {
    const { pool } = makePool([{ id: 'm1' }], { requests: { retries: 2, timeoutSeconds: 30, stream: true } });
    server.script('m1', [{ fault: 'http429', retryAfterSeconds: 1 }, { content: 'ok now' }]);
    const r = await pool.chat('m1', ask());
    assert.equal(r.content, 'ok now');
    assert.equal(server.requests.length, 2);
    assert.deepEqual(
      r.attempts.map((a) => [a.modelId, a.status]),
      [['m1', 429]],
    );
    // Retry-After is a floor (the pool's own backoff here is 5 ms): the retry never comes earlier.
    const gap = server.requests[1].receivedAt - server.requests[0].receivedAt;
    assert.ok(gap >= 950, `the retry came ${gap} ms after the 429`);
  });

  test('500 then success; a dropped connection then success', async () => {
    const { pool } = makePool([{ id: 'm1' }], { requests: { retries: 2, timeoutSeconds: 30, stream: true } });
    server.script('m1', [{ fault: 'http500' }, { fault: 'drop' }, { content: 'third time' }]);
    const retried: string[] = [];
    const r = await pool.chat('m1', ask(), { onRetry: (i) => retried.push(`${i.modelId}->${i.nextModelId}`) });
    assert.equal(r.content, 'third time');
    assert.equal(r.attempts.length, 2);
    assert.equal(r.attempts[0].status, 500);
    assert.equal(r.attempts[1].status, undefined);
    assert.match(r.attempts[1].error, /could not be reached or dropped the connection/);
    assert.deepEqual(retried, ['m1->m1', 'm1->m1']);
  });

  test('400 is not retried', async () => {
    const { pool } = makePool([{ id: 'm1' }], { requests: { retries: 3, timeoutSeconds: 30, stream: true } });
    server.script('m1', [{ fault: 'http400' }, { content: 'never asked' }]);
    await rejectsWith(pool.chat('m1', ask()), (e) => {
      assert.equal(e.kind, 'http');
      assert.equal(e.status, 400);
      assert.equal(e.attempts.length, 1);
    });
    assert.equal(server.requests.length, 1);
  });

  test('retries run out: the error lists every attempt', async () => {
    const { pool, config } = makePool([{ id: 'm1' }], { requests: { retries: 2, timeoutSeconds: 30, stream: true } });
    server.script('m1', [{ fault: 'http503' }, { fault: 'http503' }, { fault: 'http503' }, { content: 'too late' }]);
    await rejectsWith(pool.chat('m1', ask()), (e) => {
      assert.equal(e.status, 503);
      assert.equal(e.attempts.length, config.requests.retries + 1);
    });
    assert.equal(server.requests.length, 3);
    assert.equal(pool.get('m1')!.failures, 1);
  });

  test('a stream cut mid-chunk and an empty reply are errors, retried', async () => {
    const { pool } = makePool([{ id: 'm1' }], { requests: { retries: 2, timeoutSeconds: 30, stream: true } });
    server.script('m1', [{ content: 'one two three four five six', fault: 'cut-mid-chunk' }, { fault: 'empty' }, { content: 'whole' }]);
    const r = await pool.chat('m1', ask());
    assert.equal(r.content, 'whole');
    assert.equal(r.attempts.length, 2);
    assert.match(r.attempts[0].error, /dropped the connection|malformed/);
    assert.match(r.attempts[1].error, /closed the stream without sending anything/);
  });
});

describe('ModelPool: timeouts and cancellation', () => {
  test('no first token in time: a timeout, and the request is ended', async () => {
    const { pool } = makePool([{ id: 'm1', timeoutSeconds: 0.3 }]);
    server.script('m1', [{ fault: 'hang-before' }]);
    await rejectsWith(pool.chat('m1', ask()), (e) => {
      assert.equal(e.kind, 'timeout');
      assert.match(e.message, /no first token within/);
    });
    await waitFor(() => server.requests[0].aborted, 'the server to see the request aborted');
  });

  test('a stream that stalls after some chunks times out on the idle timer', async () => {
    const { pool } = makePool([{ id: 'm1', timeoutSeconds: 0.3 }]);
    server.script('m1', [{ content: 'first words then silence forever', fault: 'hang-during' }]);
    const got: string[] = [];
    const e = await rejectsWith(pool.chat('m1', ask(), { onDelta: (d) => d.content && got.push(d.content) }), (e) => {
      assert.equal(e.kind, 'timeout');
      assert.match(e.message, /the stream stalled/);
    });
    assert.ok(got.length > 0, 'some content arrived before the stall');
    assert.equal(e.attempts.length, 1);
    assert.equal(e.attempts[0].usage?.estimated, true, 'the part that streamed is counted');
    assert.ok(e.attempts[0].usage.outputTokens > 0);
    await waitFor(() => server.requests[0].aborted, 'the server to see the request aborted');
  });

  test('a slow but steady stream is not cut by the per-call timeout', async () => {
    // Each gap (50 ms) is well under the idle timeout; the whole stream takes longer than it.
    const { pool } = makePool([{ id: 'm1', timeoutSeconds: 0.5 }]);
    const words = Array.from({ length: 15 }, (_, i) => `w${i}`).join(' ');
    server.script('m1', [{ content: words, tokensPerSecond: 20 }]);
    const r = await pool.chat('m1', ask());
    assert.equal(r.content, words);
  });

  test('cancelling mid-stream aborts the HTTP request and is never retried', async () => {
    const { pool } = makePool([{ id: 'm1' }], { requests: { retries: 3, timeoutSeconds: 30, stream: true } });
    server.script('m1', [{ content: Array.from({ length: 200 }, (_, i) => `word${i}`).join(' '), tokensPerSecond: 50 }]);
    const ctrl = new AbortController();
    await rejectsWith(
      pool.chat('m1', ask(), {
        signal: ctrl.signal,
        onDelta: (d) => {
          if (d.content?.startsWith('word2')) ctrl.abort();
        },
      }),
      (e) => {
        assert.equal(e.kind, 'cancelled');
        assert.ok(e.usage && e.usage.outputTokens > 0, 'what streamed before the cancel is counted');
      },
    );
    await waitFor(() => server.requests[0].aborted, 'the server to see the request aborted');
    assert.equal(server.requests.length, 1);
  });

  test('cancelling during the backoff stops further attempts', async () => {
    const { config } = makePool([{ id: 'm1' }]);
    const pool = new ModelPool({ ...config, requests: { ...config.requests, retries: 3 } }, async () => undefined, undefined, {
      backoffBaseMs: 60_000,
      maxBackoffMs: 60_000,
    });
    server.script('m1', [{ fault: 'http500' }, { content: 'never' }]);
    const ctrl = new AbortController();
    const p = pool.chat('m1', ask(), { signal: ctrl.signal, onRetry: () => ctrl.abort() });
    await rejectsWith(p, (e) => {
      assert.equal(e.kind, 'cancelled');
      assert.equal(e.attempts.length, 1);
    });
    assert.equal(server.requests.length, 1);
  });

  test('an already aborted signal sends nothing', async () => {
    const { pool } = makePool([{ id: 'm1' }]);
    await rejectsWith(pool.chat('m1', ask(), { signal: AbortSignal.abort() }), (e) => assert.equal(e.kind, 'cancelled'));
    assert.equal(server.requests.length, 0);
  });
});

describe('ModelPool: fallback', () => {
  const models = [
    { id: 'coder-a', roles: ['code' as const] },
    { id: 'general-b', roles: ['general' as const] },
    { id: 'coder-c', roles: ['code' as const, 'general' as const] },
    { id: 'coder-d', roles: ['code' as const] },
  ];

  test('falls back to the next model with an overlapping role that passes the filter, and says so', async () => {
    const { pool } = makePool(models, { requests: { retries: 1, timeoutSeconds: 30, stream: true } });
    server.script('coder-a', [{ fault: 'http503' }, { fault: 'http500' }]);
    server.script('coder-c', [{ content: 'from c' }]);
    const retried: string[] = [];
    const r = await pool.chat('coder-a', ask(), {
      fallback: (m) => m.id !== 'coder-d',
      onRetry: (i) => retried.push(`${i.modelId}->${i.nextModelId}`),
    });
    assert.equal(r.content, 'from c');
    assert.equal(r.modelId, 'coder-c');
    assert.equal(r.fellBackFrom, 'coder-a');
    assert.deepEqual(
      r.attempts.map((a) => [a.modelId, a.status]),
      [
        ['coder-a', 503],
        ['coder-a', 500],
      ],
    );
    assert.deepEqual(retried, ['coder-a->coder-a', 'coder-a->coder-c']);
    assert.equal(server.requestsFor('general-b').length, 0, 'no role overlap, never tried');
    assert.equal(pool.get('coder-a')!.failures, 1);
    assert.equal(pool.get('coder-c')!.failures, 0);
  });

  test('no fallback unless asked for', async () => {
    const { pool } = makePool(models);
    server.script('coder-a', [{ fault: 'http500' }]);
    server.script('coder-c', [{ content: 'unused' }]);
    await rejectsWith(pool.chat('coder-a', ask()), (e) => assert.equal(e.modelId, 'coder-a'));
    assert.equal(server.requestsFor('coder-c').length, 0);
  });

  test('when every eligible model fails the error names them all', async () => {
    const { pool } = makePool(models);
    server.script('coder-a', [{ fault: 'http500' }]);
    server.script('coder-c', [{ fault: 'http503' }]);
    await rejectsWith(pool.chat('coder-a', ask(), { fallback: (m) => m.id === 'coder-c' }), (e) => {
      assert.match(e.message, /every model failed \(coder-a, coder-c\)/);
      assert.equal(e.modelId, 'coder-c');
      assert.deepEqual(
        e.attempts.map((a) => a.modelId),
        ['coder-a', 'coder-c'],
      );
    });
  });

  test('cancellation does not fall back', async () => {
    const { pool } = makePool(models);
    server.script('coder-a', [{ fault: 'hang-before' }]);
    server.script('coder-c', [{ content: 'unused' }]);
    const ctrl = new AbortController();
    const p = pool.chat('coder-a', ask(), { signal: ctrl.signal, fallback: () => true });
    await waitFor(() => server.requests.length === 1, 'the request to arrive');
    ctrl.abort();
    await rejectsWith(p, (e) => assert.equal(e.kind, 'cancelled'));
    assert.equal(server.requestsFor('coder-c').length, 0);
  });
});

describe('ModelPool: latency and pool state', () => {
  test('latency is an exponential moving average of successful calls', async () => {
    const { pool } = makePool([{ id: 'm1' }]);
    server.script('m1', [{ content: 'a' }, { content: 'b', latencyMs: 40 }, { fault: 'http400' }]);
    assert.equal(pool.get('m1')!.latencyMs, undefined);
    const r1 = await pool.chat('m1', ask());
    assert.equal(pool.get('m1')!.latencyMs, r1.latencyMs);
    const r2 = await pool.chat('m1', ask());
    assert.ok(r2.latencyMs >= 40, 'the scripted server latency is part of the call latency');
    const expected = 0.3 * r2.latencyMs + 0.7 * r1.latencyMs;
    assert.ok(Math.abs(pool.get('m1')!.latencyMs! - expected) < 1e-9);
    assert.equal(pool.get('m1')!.latencySamples, 2);
    await assert.rejects(pool.chat('m1', ask()));
    assert.equal(pool.get('m1')!.latencySamples, 2, 'failures do not count as latency samples');
  });

  test('locality comes from the host unless the entry overrides it; update keeps measurements', async () => {
    const { pool, config } = makePool([
      { id: 'here' },
      { id: 'remote', baseUrl: 'https://api.example.com/v1' },
      { id: 'forced', baseUrl: 'https://gpu.example.com/v1', local: true },
    ]);
    assert.deepEqual(
      pool.all().map((m) => [m.id, m.host, m.local]),
      [
        ['here', '127.0.0.1', true],
        ['remote', 'api.example.com', false],
        ['forced', 'gpu.example.com', true],
      ],
    );
    server.script('here', [{ content: 'x' }]);
    await pool.chat('here', ask());
    const measured = pool.get('here')!.latencyMs;
    pool.update({ ...config, models: [...config.models, { ...config.models[0], id: 'another' }] });
    assert.equal(pool.get('here')!.latencyMs, measured);
    assert.equal(pool.get('another')!.latencyMs, undefined);
    pool.update({ ...config, models: config.models.map((m) => (m.id === 'here' ? { ...m, model: 'different' } : m)) });
    assert.equal(pool.get('here')!.latencyMs, undefined, 'a changed endpoint starts unmeasured');
  });

  test('an unknown model id is a clear error', async () => {
    const { pool } = makePool([{ id: 'm1' }]);
    await rejectsWith(pool.chat('nope', ask()), (e) => assert.match(e.message, /no model with id "nope"/));
  });

  test('test() reports success and failure without retrying', async () => {
    const { pool } = makePool([{ id: 'm1' }], { requests: { retries: 3, timeoutSeconds: 30, stream: true } });
    server.script('m1', [{ content: 'OK' }, { fault: 'http503' }]);
    const ok = await pool.test('m1');
    assert.equal(ok.ok, true);
    assert.equal(server.requests[0].body.max_tokens, 16);
    const bad = await pool.test('m1');
    assert.equal(bad.ok, false);
    assert.match(bad.error!, /503/);
    assert.equal(server.requests.length, 2);
  });
});

describe('malformed streams and replies', () => {
  const chunk = (choice: Record<string, unknown>) => ({
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 0,
    model: 'odd',
    choices: [{ index: 0, ...choice }],
  });

  test('a chunk without a delta is skipped, not a crash', async () => {
    const { pool } = makePool([{ id: 'odd' }]);
    server.script('odd', [
      {
        rawChunks: [
          chunk({ delta: { role: 'assistant', content: 'Hel' } }),
          chunk({ finish_reason: null }),
          chunk({ delta: { content: 'lo' } }),
          chunk({ finish_reason: 'stop' }),
        ],
      },
    ]);
    const r = await pool.chat('odd', ask());
    assert.equal(r.content, 'Hello');
    assert.equal(r.finishReason, 'stop');
  });

  test('native tool calls numbered from 1 (a hole at 0) are read in order', async () => {
    const { pool } = makePool([{ id: 'odd' }]);
    server.script('odd', [
      {
        rawChunks: [
          chunk({ delta: { role: 'assistant' } }),
          chunk({
            delta: { tool_calls: [{ index: 1, id: 'call_a', type: 'function', function: { name: 'read_file', arguments: '{"path":' } }] },
          }),
          chunk({ delta: { tool_calls: [{ index: 1, function: { arguments: '"a.ts"}' } }] } }),
          chunk({
            delta: { tool_calls: [{ index: 3, id: 'call_b', type: 'function', function: { name: 'search', arguments: '{"q":"x"}' } }] },
          }),
          chunk({ delta: {}, finish_reason: 'tool_calls' }),
        ],
      },
    ]);
    const r = await pool.chat('odd', { ...ask(), tools: [readFileTool, searchTool] });
    assert.deepEqual(
      r.toolCalls.map((c) => [c.id, c.name, c.arguments]),
      [
        ['call_a', 'read_file', { path: 'a.ts' }],
        ['call_b', 'search', { q: 'x' }],
      ],
    );
    assert.deepEqual(r.toolCallErrors, []);
  });

  test('non-streaming: a choice without a message is a bad_response error with a kind, retried', async () => {
    const { pool } = makePool([{ id: 'odd' }], { requests: { stream: false, retries: 1, timeoutSeconds: 30 } });
    const broken = { id: 'x', object: 'chat.completion', created: 0, model: 'odd', choices: [{ index: 0, finish_reason: 'stop' }] };
    server.script('odd', [{ rawBody: broken }, { rawBody: broken }]);
    const e = await rejectsWith(pool.chat('odd', ask()), (err) => {
      assert.equal(err.kind, 'bad_response');
      assert.match(err.message, /odd sent a choice without a message/);
    });
    assert.equal(e.attempts.length, 2, 'retried once, both attempts recorded');
    server.script('odd', [
      {
        rawBody: {
          ...broken,
          choices: [{ index: 0, message: { role: 'assistant', content: 'fine', tool_calls: [null] }, finish_reason: 'stop' }],
        },
      },
    ]);
    assert.equal((await pool.chat('odd', ask())).content, 'fine');
  });
});

describe('paying for attempts (beforeAttempt / onAttemptFailed)', () => {
  test('every retry is announced before it is sent, with its own max tokens; a refusal stops retrying with kind over_budget', async () => {
    const { pool } = makePool([{ id: 'flaky' }], { requests: { retries: 3, timeoutSeconds: 30, stream: true } });
    server.script('flaky', [{ fault: 'http500' }, { fault: 'http500' }, { fault: 'http500' }, { content: 'never reached' }]);
    const asked: boolean[] = [];
    const failed: string[] = [];
    const e = await rejectsWith(
      pool.chat('flaky', ask(), {
        beforeAttempt: ({ retry }) => {
          asked.push(retry);
          return asked.length < 2 ? { maxTokens: 77 } : { refused: 'over budget: $0 left' };
        },
        onAttemptFailed: (a) => void failed.push(a.error),
      }),
      (err) => {
        assert.equal(err.kind, 'over_budget');
        assert.match(err.message, /not retried .*over budget: \$0 left/);
      },
    );
    assert.deepEqual(asked, [true, true]);
    assert.equal(failed.length, 2);
    assert.equal(e.attempts.length, 2);
    const reqs = server.requestsFor('flaky');
    assert.equal(reqs.length, 2, 'the refused retry was never sent');
    assert.equal(reqs[1].body.max_tokens, 77);
  });

  test('a cut stream reports its estimated usage and output bytes to onAttemptFailed', async () => {
    const { pool } = makePool([{ id: 'cut' }], { requests: { retries: 1, timeoutSeconds: 30, stream: true } });
    server.script('cut', [{ content: 'één twee drie vier vijf zes zeven acht', fault: 'cut-mid-chunk' }, { content: 'ok' }]);
    const failed: Array<{ usage?: unknown; outputBytes?: number }> = [];
    const r = await pool.chat('cut', ask(), { onAttemptFailed: (a) => void failed.push(a) });
    assert.equal(r.content, 'ok');
    assert.equal(failed.length, 1);
    assert.ok(failed[0].usage, 'usage of the cut attempt');
    assert.ok((failed[0].outputBytes ?? 0) > 0);
    assert.equal(r.outputBytes, 2);
  });

  test('fallbacks are tried fewest consecutive failures first; a refused fallback is skipped', async () => {
    const { pool } = makePool(
      [
        { id: 'main', roles: ['general'] },
        { id: 'shaky', roles: ['general'] },
        { id: 'steady', roles: ['general'] },
      ],
      { requests: { retries: 0, timeoutSeconds: 30, stream: true } },
    );
    // Make "shaky" fail once on its own, so it has one consecutive failure.
    server.script('shaky', [{ fault: 'http500' }]);
    await assert.rejects(pool.chat('shaky', ask()));
    assert.equal(pool.get('shaky')!.failures, 1);
    server.script('main', [{ fault: 'http500' }]);
    server.script('steady', [{ content: 'steady answer' }]);
    const r = await pool.chat('main', ask(), { fallback: () => true });
    assert.equal(r.modelId, 'steady', 'the model with fewer failures was tried first');
    assert.equal(server.requestsFor('shaky').length, 1, 'shaky was not needed');

    server.script('main', [{ fault: 'http500' }]);
    server.script('shaky', [{ content: 'shaky answer' }]);
    const r2 = await pool.chat('main', ask(), {
      fallback: () => true,
      beforeAttempt: ({ model }): AttemptDecision => (model.id === 'steady' ? { refused: 'over budget' } : {}),
    });
    assert.equal(r2.modelId, 'shaky', 'the refused fallback was skipped, the next one answered');
  });
});
