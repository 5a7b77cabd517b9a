// The embedded runtime end to end: tiny GGUF models generated here, served by the real
// node-llama-cpp runtime behind the OpenAI-compatible endpoint, reached with the `openai` SDK.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { makeModelDir, writeRandomModel, writeToolCallScriptModel } from '../../support/gguf';
import { startLocalEndpoint, type LocalEndpoint, type LocalEndpointLogEntry } from '../../../src/server/llama/openai-server';
import { startEmbeddedModels } from '../../../src/server/llama/embedded';
import { ModelEntry } from '../../../src/core/config';
import { TokenCounter } from '../../../src/core/tokens/counter';

const readFileTool = {
  type: 'function' as const,
  function: {
    name: 'read_file',
    description: 'Read a file of the workspace',
    parameters: {
      type: 'object',
      properties: { path: { type: 'string', maxLength: 24 }, lines: { type: 'integer' } },
      required: ['path', 'lines'],
    },
  },
};
const scriptTool = {
  type: 'function' as const,
  function: {
    name: 'read_file',
    description: 'Read a file',
    parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  },
};
const searchTool = {
  type: 'function' as const,
  function: {
    name: 'search',
    description: 'Search the web',
    parameters: {
      type: 'object',
      properties: { query: { type: 'string', maxLength: 16 }, site: { enum: ['docs', 'code'] } },
      required: ['query', 'site'],
    },
  },
};

describe('local OpenAI-compatible endpoint over the embedded runtime', () => {
  const models = makeModelDir();
  const logs: LocalEndpointLogEntry[] = [];
  let endpoint: LocalEndpoint;
  let client: OpenAI;

  before(async () => {
    writeRandomModel(join(models.dir, 'tiny-random.gguf'));
    writeToolCallScriptModel(join(models.dir, 'tiny-script.gguf'), {
      toolName: 'read_file',
      arguments: { path: 'README.md' },
      answer: 'The answer is 42.',
    });
    endpoint = await startLocalEndpoint({
      models: [
        { id: 'random', path: join(models.dir, 'tiny-random.gguf') },
        { id: 'script', path: join(models.dir, 'tiny-script.gguf') },
      ],
      threads: 1,
      concurrency: 2,
      gpu: false,
      contextSize: 4096,
      log: (e) => logs.push(e),
    });
    client = new OpenAI({ baseURL: endpoint.baseUrl, apiKey: 'unused', maxRetries: 0 });
  });
  after(async () => {
    await endpoint?.close();
    models.cleanup();
  });

  test('lists its models and gives local, open-weights, free pool entries', async () => {
    const list = await client.models.list();
    assert.deepEqual(list.data.map((m) => m.id).sort(), ['random', 'script']);
    const entries = endpoint.modelEntries();
    assert.equal(entries.length, 2);
    for (const e of entries) {
      const parsed = ModelEntry.parse(e);
      assert.equal(parsed.baseUrl, endpoint.baseUrl);
      assert.equal(parsed.local, true);
      assert.equal(parsed.openWeights, true);
      assert.equal(parsed.inputPricePerMillion, 0);
      assert.equal(parsed.outputPricePerMillion, 0);
      assert.equal(parsed.contextWindow, 4096);
    }
    assert.match(endpoint.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  });

  test('streams text with usage and stops at max_tokens', async () => {
    const stream = await client.chat.completions.create({
      model: 'random',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hello world' },
      ],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 12,
      temperature: 0,
    });
    let text = '';
    let chunks = 0;
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      if (choice.delta.content) {
        text += choice.delta.content;
        chunks++;
      }
      if (choice.finish_reason) finish = choice.finish_reason;
    }
    assert.ok(chunks >= 2, `expected several content chunks, got ${chunks}`);
    assert.ok(text.length > 0);
    assert.equal(finish, 'length');
    assert.ok(usage, 'usage chunk');
    assert.equal(usage.completion_tokens, 12);
    assert.ok(usage.prompt_tokens > 5, `prompt tokens ${usage.prompt_tokens}`);
    assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
  });

  test('merged stream deltas add up to the non-streamed answer; every chunk names the same completion', async () => {
    const request = { model: 'random', messages: [{ role: 'user' as const, content: 'tell me a story' }], max_tokens: 40, temperature: 0 };
    const whole = await client.chat.completions.create(request);
    const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.equal(chunks[0].choices[0].delta.role, 'assistant');
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
    assert.equal(new Set(chunks.map((c) => c.created)).size, 1);
    assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'random'));
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    assert.equal(text, whole.choices[0].message.content);
    const usage = chunks[chunks.length - 1].usage;
    assert.equal(usage?.completion_tokens, 40);
    assert.equal(
      chunks
        .filter((c) => c.choices[0]?.finish_reason)
        .map((c) => c.choices[0].finish_reason)
        .join(),
      'length',
    );
  });

  test('tool_choice "required" makes a random model produce a valid call of the schema', async () => {
    const res = await client.chat.completions.create({
      model: 'random',
      messages: [{ role: 'user', content: 'read the file' }],
      tools: [readFileTool, searchTool],
      tool_choice: 'required',
      max_tokens: 400,
      temperature: 0.8,
      seed: 7,
    });
    const choice = res.choices[0];
    assert.equal(choice.finish_reason, 'tool_calls');
    const calls = choice.message.tool_calls ?? [];
    assert.ok(calls.length >= 1);
    for (const call of calls) {
      assert.equal(call.type, 'function');
      if (call.type !== 'function') continue;
      assert.match(call.id, /^call_/);
      const args = JSON.parse(call.function.arguments) as Record<string, unknown>;
      if (call.function.name === 'read_file') {
        assert.equal(typeof args.path, 'string');
        assert.ok((args.path as string).length <= 24);
        assert.ok(Number.isInteger(args.lines));
      } else {
        assert.equal(call.function.name, 'search');
        assert.equal(typeof args.query, 'string');
        assert.ok((args.query as string).length <= 16);
        assert.ok(args.site === 'docs' || args.site === 'code');
      }
    }
    assert.ok(res.usage && res.usage.completion_tokens > 0);
  });

  test('a named tool_choice calls exactly that tool, streamed as tool_call deltas', async () => {
    const stream = await client.chat.completions.create({
      model: 'random',
      messages: [{ role: 'user', content: 'search please' }],
      tools: [readFileTool, searchTool],
      tool_choice: { type: 'function', function: { name: 'search' } },
      parallel_tool_calls: false,
      stream: true,
      max_tokens: 400,
      temperature: 0,
    });
    const calls = new Map<number, { id?: string; name?: string; args: string }>();
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (!choice) continue;
      for (const d of choice.delta.tool_calls ?? []) {
        const c = calls.get(d.index) ?? { args: '' };
        if (d.id) c.id = d.id;
        if (d.function?.name) c.name = d.function.name;
        c.args += d.function?.arguments ?? '';
        calls.set(d.index, c);
      }
      if (choice.finish_reason) finish = choice.finish_reason;
    }
    assert.equal(finish, 'tool_calls');
    assert.equal(calls.size, 1);
    const call = calls.get(0)!;
    assert.equal(call.name, 'search');
    assert.match(call.id ?? '', /^call_/);
    const args = JSON.parse(call.args) as { query: unknown; site: unknown };
    assert.equal(typeof args.query, 'string');
    assert.ok(args.site === 'docs' || args.site === 'code');
  });

  test('the script model makes its known tool call, then answers from the tool result', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What does README.md say?' }];
    const first = await client.chat.completions.create({ model: 'script', messages, tools: [scriptTool], temperature: 0 });
    const choice = first.choices[0];
    assert.equal(choice.finish_reason, 'tool_calls');
    const call = choice.message.tool_calls![0];
    assert.ok(call.type === 'function');
    assert.equal(call.function.name, 'read_file');
    assert.deepEqual(JSON.parse(call.function.arguments), { path: 'README.md' });
    assert.equal(choice.message.content, null);

    messages.push(choice.message, { role: 'tool', tool_call_id: call.id, content: 'The file says: 42.' });
    const stream = await client.chat.completions.create({ model: 'script', messages, tools: [scriptTool], temperature: 0, stream: true });
    const deltas: string[] = [];
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      const c = chunk.choices[0];
      if (c?.delta.content) deltas.push(c.delta.content);
      if (c?.delta.tool_calls) assert.fail('no second tool call expected');
      if (c?.finish_reason) finish = c.finish_reason;
    }
    assert.equal(deltas.join(''), 'The answer is 42.');
    // How many SSE events carry it depends on how fast the client reads (the server merges what is
    // waiting into one write), so only the text and that it arrived as a stream are checked here.
    assert.ok(deltas.length >= 1, 'answer streamed');
    assert.equal(finish, 'stop');
  });

  test('tool_choice "none" answers in text even when tools are offered', async () => {
    const res = await client.chat.completions.create({
      model: 'script',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [readFileTool],
      tool_choice: 'none',
      temperature: 0,
      max_tokens: 20,
    });
    assert.equal(res.choices[0].message.tool_calls, undefined);
    assert.notEqual(res.choices[0].finish_reason, 'tool_calls');
  });

  test('a client that disconnects mid-generation stops the generation', async () => {
    const controller = new AbortController();
    const { data: stream, response } = await client.chat.completions
      .create(
        { model: 'random', messages: [{ role: 'user', content: 'write a long story' }], stream: true, max_tokens: 3000, temperature: 0 },
        { signal: controller.signal },
      )
      .withResponse();
    const requestId = (response.headers.get('x-request-id') ?? '').trim();
    assert.match(requestId, /^chatcmpl-/);
    let received = 0;
    try {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) received++;
        if (received === 3) {
          controller.abort();
          break;
        }
      }
    } catch (err) {
      // The SDK may surface the abort as an error; either way the client is gone.
      assert.ok(err instanceof Error);
    }
    assert.equal(received, 3);
    const entry = await waitFor(() => logs.find((e) => e.requestId === requestId));
    assert.equal(entry.finishReason, 'cancelled');
    assert.ok((entry.completionTokens ?? 0) < 3000, `generation went on to ${entry.completionTokens} tokens`);
    // The cancelled call's sequence was released: the model still answers.
    const after = await client.chat.completions.create({ model: 'random', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });
    assert.equal(after.choices[0].finish_reason, 'length');
  });

  test('two concurrent requests are generated side by side', async () => {
    const order: string[] = [];
    const run = async (name: string) => {
      const stream = await client.chat.completions.create({
        model: 'random',
        messages: [{ role: 'user', content: `request ${name}` }],
        stream: true,
        max_tokens: 400,
        temperature: 0,
      });
      let text = '';
      for await (const chunk of stream) {
        const t = chunk.choices[0]?.delta.content;
        if (t) {
          text += t;
          order.push(name);
        }
      }
      return text;
    };
    const [a, b] = await Promise.all([run('a'), run('b')]);
    assert.ok(a.length > 0 && b.length > 0);
    const firstA = order.indexOf('a');
    const firstB = order.indexOf('b');
    const lastA = order.lastIndexOf('a');
    const lastB = order.lastIndexOf('b');
    assert.ok(firstB < lastA && firstA < lastB, 'the two generations overlap');
  });

  test('POST /tokenize counts a prompt as the model will: the engine’s counter matches the usage the model reports', async () => {
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'Which file holds the answer? Read it.' },
    ];
    const counter = new TokenCounter(async () => undefined);
    const m = {
      id: 'script',
      baseUrl: endpoint.baseUrl,
      model: 'script',
      host: '127.0.0.1',
      local: true,
      inputPricePerMillion: 0,
      outputPricePerMillion: 0,
    };
    for (const tools of [undefined, [scriptTool]]) {
      const count = await counter.countPrompt(m, messages, tools);
      assert.equal(count.source, 'server');
      assert.equal(count.exact, true);
      const r = await client.chat.completions.create({ model: 'script', messages, max_tokens: 4, ...(tools ? { tools } : {}) });
      assert.equal(count.tokens, r.usage?.prompt_tokens, `counted before = reported after (${tools ? 'with' : 'without'} tools)`);
    }
    assert.deepEqual(await counter.countReply(m, { content: '', reasoning: '', toolCalls: [] }), { tokens: 0, exact: true });
    assert.ok((await counter.countReply(m, { content: 'The answer is 42.', reasoning: '', toolCalls: [] })).tokens > 0);
  });

  test('bad requests get OpenAI-style errors naming the problem', async () => {
    await assert.rejects(client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }), (err: unknown) => {
      assert.ok(err instanceof OpenAI.APIError);
      assert.equal(err.status, 404);
      assert.match(err.message, /model "nope" is not served here/);
      return true;
    });
    await assert.rejects(
      client.chat.completions.create({
        model: 'random',
        messages: [{ role: 'user', content: 'x' }],
        tools: [readFileTool],
        tool_choice: { type: 'function', function: { name: 'missing' } },
      }),
      (err: unknown) => err instanceof OpenAI.APIError && err.status === 400 && /tool_choice names "missing"/.test(err.message),
    );
    await assert.rejects(
      client.chat.completions.create({
        model: 'random',
        messages: [
          { role: 'user', content: 'x' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'c1', type: 'function', function: { name: 'read_file', arguments: '{}' } }],
          },
        ],
      }),
      (err: unknown) => err instanceof OpenAI.APIError && err.status === 400 && /"c1" has no tool message/.test(err.message),
    );
    const raw = await fetch(`${endpoint.baseUrl}/chat/completions`, {
      method: 'POST',
      body: '{not json',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(raw.status, 400);
    const body = (await raw.json()) as { error: { message: string; type: string } };
    assert.equal(body.error.type, 'invalid_request_error');
    assert.match(body.error.message, /not valid JSON/);
    const browser = await fetch(`${endpoint.baseUrl}/models`, { headers: { origin: 'https://evil.example' } });
    assert.equal(browser.status, 403);
  });

  test('refuses a non-loopback host unless allowed', async () => {
    await assert.rejects(
      startLocalEndpoint({ models: [{ id: 'random', path: join(models.dir, 'tiny-random.gguf') }], host: '0.0.0.0' }),
      /refusing to listen on 0\.0\.0\.0/,
    );
  });

  test('startEmbeddedModels serves the good files and reports the bad ones', async () => {
    const dir = makeModelDir();
    try {
      // An empty modelsDir falls back to the download folder (here a temporary one).
      mkdirSync(join(dir.dir, 'downloads'));
      writeRandomModel(join(dir.dir, 'downloads', 'good.gguf'), { seed: 9 });
      writeFileSync(join(dir.dir, 'notes.gguf'), 'these are not weights');
      const missing = join(dir.dir, 'missing.gguf');
      const embedded = await startEmbeddedModels(
        { models: [missing, join(dir.dir, 'notes.gguf')], modelsDir: '', idleUnloadSeconds: 60 },
        { threads: 1, gpu: false, contextSize: 2048, defaultModelsDir: join(dir.dir, 'downloads') },
      );
      try {
        assert.deepEqual(
          embedded.entries.map((e) => e.id),
          ['local:good'],
        );
        assert.equal(embedded.problems.length, 2);
        assert.ok(embedded.problems.some((p) => p.file === missing && /file or folder not found/.test(p.message)));
        assert.ok(embedded.problems.some((p) => p.file.endsWith('notes.gguf') && /not a GGUF model/.test(p.message)));
        const c = new OpenAI({ baseURL: embedded.baseUrl, apiKey: 'unused', maxRetries: 0 });
        const res = await c.chat.completions.create({ model: 'local:good', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 });
        assert.equal(res.usage?.completion_tokens, 4);
      } finally {
        await embedded.close();
      }
    } finally {
      dir.cleanup();
    }
  });
});

async function waitFor<T>(get: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
