// The loopback endpoint's HTTP contract with the real runtime: a prompt over the context window is a
// 400 `context_length_exceeded` before any stream starts (and the engine's pool does not retry it),
// the KV cache of a shared prefix is reused across turns and across calls, and a shutdown lets the
// request in flight finish while refusing new ones.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import OpenAI from 'openai';
import { makeModelDir, writeRandomModel } from '../../support/gguf';
import { startLocalEndpoint, type LocalEndpoint } from '../../../src/server/llama/openai-server';
import { parseConfig } from '../../../src/core/config';
import { ModelPool, ModelCallError } from '../../../src/core/pool';

describe('local endpoint: HTTP status, KV cache reuse, shutdown', () => {
  const models = makeModelDir();
  let endpoint: LocalEndpoint;
  let client: OpenAI;
  // Far more tokens than the 1024-token context holds.
  const tooLong = 'hello world '.repeat(1500);

  before(async () => {
    writeRandomModel(join(models.dir, 'tiny.gguf'));
    endpoint = await startLocalEndpoint({
      models: [{ id: 'tiny', path: join(models.dir, 'tiny.gguf') }],
      threads: 1,
      concurrency: 2,
      gpu: false,
      contextSize: 1024,
    });
    client = new OpenAI({ baseURL: endpoint.baseUrl, apiKey: 'unused', maxRetries: 0 });
  });
  after(async () => {
    await endpoint?.close();
    models.cleanup();
  });

  test('a prompt over the context window is a 400 context_length_exceeded, streamed or not, before any stream starts', async () => {
    for (const stream of [false, true]) {
      const res = await fetch(`${endpoint.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'tiny', stream, messages: [{ role: 'user', content: tooLong }] }),
      });
      assert.equal(res.status, 400, `stream: ${stream}`);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      const body = (await res.json()) as { error: { type: string; code: string; param: string; message: string } };
      assert.equal(body.error.type, 'invalid_request_error');
      assert.equal(body.error.code, 'context_length_exceeded');
      assert.equal(body.error.param, 'messages');
      assert.match(
        body.error.message,
        /^This model's maximum context length is 1024 tokens\. However, your messages resulted in \d{4,} tokens\./,
      );
    }
    // A prompt that fits but leaves less room than max_tokens asks for stops at the context's end.
    const nearlyFull = await client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'hello world '.repeat(300) }],
      max_tokens: 5000,
      temperature: 0,
    });
    assert.equal(nearlyFull.choices[0].finish_reason, 'length');
    assert.equal(nearlyFull.usage!.prompt_tokens + nearlyFull.usage!.completion_tokens, 1024);
  });

  test('the engine pool does not retry a 400 from the local endpoint, and says what it was', async () => {
    const { config } = parseConfig({ models: endpoint.modelEntries(), requests: { retries: 3, timeoutSeconds: 60, stream: true } });
    const pool = new ModelPool(
      config,
      async () => undefined,
      () => undefined,
      { backoffBaseMs: 1 },
    );
    await assert.rejects(pool.chat('tiny', { messages: [{ role: 'user', content: tooLong }] }), (err: unknown) => {
      assert.ok(err instanceof ModelCallError);
      assert.equal(err.kind, 'http');
      assert.equal(err.status, 400);
      assert.match(err.message, /maximum context length is 1024 tokens/);
      assert.equal(err.attempts.length, 1, 'one attempt, no retry');
      return true;
    });
  });

  test('the turns of a task and calls sharing a system prompt reuse the cached prefix', async () => {
    const system = { role: 'system' as const, content: `You are a careful assistant. ${'word '.repeat(200)}` };
    const turn1: OpenAI.ChatCompletionMessageParam[] = [system, { role: 'user', content: 'first question' }];
    const r1 = await client.chat.completions.create({ model: 'tiny', messages: turn1, max_tokens: 8, temperature: 0 });
    // Only the chat template's opening tokens can be cached from the earlier tests' calls.
    assert.ok((r1.usage!.prompt_tokens_details?.cached_tokens ?? 0) < 8, 'nothing of this conversation is cached yet');
    const turn2: OpenAI.ChatCompletionMessageParam[] = [
      ...turn1,
      { role: 'assistant', content: r1.choices[0].message.content },
      { role: 'user', content: 'and the second one' },
    ];
    const r2 = await client.chat.completions.create({ model: 'tiny', messages: turn2, max_tokens: 8, temperature: 0 });
    const cached2 = r2.usage!.prompt_tokens_details?.cached_tokens ?? 0;
    // Everything of turn 1's prompt is reused (the answer's tokens may be rendered differently).
    assert.ok(cached2 >= r1.usage!.prompt_tokens - 2, `turn 2 reused ${cached2} of turn 1's ${r1.usage!.prompt_tokens} prompt tokens`);
    assert.ok(cached2 < r2.usage!.prompt_tokens);
    // Another task with the same system prompt starts from the cached system prompt.
    const other = await client.chat.completions.create({
      model: 'tiny',
      messages: [system, { role: 'user', content: 'unrelated' }],
      max_tokens: 4,
      temperature: 0,
    });
    assert.ok((other.usage!.prompt_tokens_details?.cached_tokens ?? 0) > 200, 'the system prompt was reused');
    // Reuse changes nothing in what is generated: the same request from a cold cache answers the same.
    const again = await client.chat.completions.create({ model: 'tiny', messages: turn2, max_tokens: 8, temperature: 0 });
    assert.equal(again.choices[0].message.content, r2.choices[0].message.content);
  });

  test('closing lets the stream in flight finish and refuses new requests', async () => {
    const own = await startLocalEndpoint({
      models: [{ id: 'tiny', path: join(models.dir, 'tiny.gguf') }],
      threads: 1,
      gpu: false,
      contextSize: 1024,
    });
    const c = new OpenAI({ baseURL: own.baseUrl, apiKey: 'unused', maxRetries: 0 });
    const stream = await c.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'go' }],
      max_tokens: 30,
      stream: true,
    });
    let closing: Promise<void> | undefined;
    let finish: string | null | undefined;
    let late: number | string | undefined;
    for await (const chunk of stream) {
      if (!closing) {
        assert.equal(own.inFlight(), 1);
        closing = own.close({ drainMs: 30_000 });
        late = await fetch(`${own.baseUrl}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'too late' }] }),
        }).then(
          (r) => r.status,
          (e: Error) => (e.cause as NodeJS.ErrnoException | undefined)?.code ?? e.message,
        );
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    await closing;
    assert.equal(finish, 'length');
    assert.ok(late === 503 || late === 'ECONNREFUSED', `a request during shutdown: ${late}`);
  });
});
