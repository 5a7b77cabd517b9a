// Token counts per model kind, before any call: OpenAI-family models with the bundled BPE (checked
// against the library's own chat encoder), vLLM / SGLang / llama.cpp through their tokenize endpoints
// on the scripted server over real HTTP (probed once, then remembered), and every other server by an
// estimate that learns from the usage it reported, marked as an estimate throughout.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { encodeChat } from 'gpt-tokenizer/encoding/o200k_base';
import { startModelServer, wordChatTokens, wordTokens, type ModelServer } from '../../support/model-server';
import { bpeCountChat, bpeCountText, bpeEncodingFor } from '../../../src/core/tokens/bpe';
import { TokenCounter, promptTokenBound, type CountModel } from '../../../src/core/tokens/counter';
import { serverRoot } from '../../../src/core/tokens/server-tokenize';

const MESSAGES = [
  { role: 'system', content: 'You are a careful assistant. Answer briefly.' },
  { role: 'user', content: 'How many primes are below 100? Explain how you counted them, step by step.' },
  {
    role: 'assistant',
    content: '',
    tool_calls: [{ id: 'c1', type: 'function', function: { name: 'run_code', arguments: '{"code":"print(25)"}' } }],
  },
  { role: 'tool', tool_call_id: 'c1', content: '25' },
];
const TOOLS = [{ type: 'function', function: { name: 'run_code', description: 'Run Python', parameters: { type: 'object' } } }];

function cm(id: string, baseUrl: string, model: string, extra: Partial<CountModel> = {}): CountModel {
  return { id, baseUrl, model, host: '127.0.0.1', local: true, inputPricePerMillion: 0, outputPricePerMillion: 0, ...extra };
}

describe('OpenAI-family models: the bundled BPE', () => {
  test('the encoding follows the model name, provider prefixes included', () => {
    for (const name of ['gpt-4o', 'gpt-4o-mini', 'openai/gpt-4.1', 'gpt-5-mini', 'o3', 'o4-mini', 'gpt-oss-20b'])
      assert.equal(bpeEncodingFor(name), 'o200k_base', name);
    for (const name of ['gpt-4', 'gpt-4-turbo', 'gpt-3.5-turbo']) assert.equal(bpeEncodingFor(name), 'cl100k_base', name);
    for (const name of ['qwen2.5-coder:32b', 'llama-3.1-8b', 'claude-3-5-sonnet', 'gpt4all', 'o1x-model'])
      assert.equal(bpeEncodingFor(name), undefined, name);
  });

  test('chat messages are counted exactly as the library’s own chat encoder does', async () => {
    const plain = MESSAGES.slice(0, 2);
    assert.equal(await bpeCountChat('o200k_base', plain), encodeChat(plain as never, 'gpt-4o').length);
    assert.equal(await bpeCountText('o200k_base', 'hello world'), 2);
    // Tool calls and definitions add their text; never fewer tokens than without them.
    assert.ok((await bpeCountChat('o200k_base', MESSAGES, TOOLS)) > (await bpeCountChat('o200k_base', MESSAGES)));
  });
});

describe('model servers that count: the tokenize endpoints, probed once', () => {
  const servers: Record<string, ModelServer> = {};
  before(async () => {
    for (const flavor of ['vllm', 'sglang', 'llamacpp', 'plain'] as const) servers[flavor] = await startModelServer({ flavor });
  });
  after(async () => {
    for (const s of Object.values(servers)) await s.close();
  });

  test('vLLM, SGLang and llama.cpp: prompt and reply counted by the server, exactly', async () => {
    const counter = new TokenCounter(async () => undefined);
    for (const flavor of ['vllm', 'sglang', 'llamacpp']) {
      const s = servers[flavor];
      const m = cm(flavor, s.url, 'qwen3-8b');
      const count = await counter.countPrompt(m, MESSAGES, TOOLS);
      assert.equal(count.source, 'server', flavor);
      assert.equal(count.exact, true);
      assert.equal(count.tokens, wordChatTokens(MESSAGES, TOOLS), flavor);
      assert.equal(count.reserve, count.tokens);
      assert.equal(await counter.method(m), 'server');
      const reply = await counter.countReply(m, {
        content: 'There are twenty-five primes below 100.',
        reasoning: 'count them',
        toolCalls: [{ name: 'answer', arguments: '{"answer": "25 primes"}' }],
      });
      assert.deepEqual(reply, { tokens: 6 + 2 + 1 + 3, exact: true }, flavor);
    }
    // One probe per endpoint, then only counting requests.
    await counter.countPrompt(cm('vllm', servers.vllm.url, 'qwen3-8b'), MESSAGES);
    const probes = servers.vllm.tokenizeCalls.filter((c) => JSON.stringify(c.body.messages) === '[{"role":"user","content":"hi"}]');
    assert.equal(probes.length, 1);
    assert.ok(servers.llamacpp.tokenizeCalls.some((c) => c.path === '/apply-template'));
  });

  test('a server without one: an estimate, the byte bound reserved, and calibration from reported usage', async () => {
    const counter = new TokenCounter(async () => undefined);
    const m = cm('ollama-ish', servers.plain.url, 'llama3', { inputPricePerMillion: 1, outputPricePerMillion: 1 });
    const first = await counter.countPrompt(m, MESSAGES);
    assert.equal(first.source, 'estimate');
    assert.equal(first.exact, false);
    const bound = promptTokenBound(MESSAGES);
    assert.equal(first.reserve, bound, 'the bound no tokenizer can pass');
    assert.ok(first.reserveIfTight! < bound && first.reserveIfTight! >= first.tokens);
    assert.equal(await counter.method(m), 'estimate');
    // The server said the prompt was 80 tokens: later estimates use its rate (with a margin).
    counter.calibrate(m, { promptBound: bound, promptTokens: 80 });
    const next = await counter.countPrompt(m, MESSAGES);
    assert.equal(next.tokens, 80);
    assert.equal(next.reserveIfTight, Math.ceil(80 * 1.1) + 16);
    // A lighter prompt never lowers the rate learnt.
    counter.calibrate(m, { promptBound: bound, promptTokens: 10 });
    assert.equal((await counter.countPrompt(m, MESSAGES)).tokens, 80);
    // Unknown reply size: one token per byte, the most there can be.
    assert.deepEqual(await counter.countReply(m, { content: 'abc def', reasoning: '', toolCalls: [] }), { tokens: 7, exact: false });
  });

  test('a remote server asked to count is named (it received the prompt)', async () => {
    const counter = new TokenCounter(async () => undefined);
    const count = await counter.countPrompt(cm('remote-vllm', servers.vllm.url, 'm', { local: false, host: 'gpu.example.com' }), MESSAGES);
    assert.equal(count.remoteHost, 'gpu.example.com');
  });

  test('the server root drops the OpenAI /v1 suffix', () => {
    assert.equal(serverRoot('http://127.0.0.1:8000/v1'), 'http://127.0.0.1:8000');
    assert.equal(serverRoot('http://127.0.0.1:8000/v1/'), 'http://127.0.0.1:8000');
    assert.equal(serverRoot('https://host/api'), 'https://host/api');
    assert.equal(wordTokens(' a  b\nc '), 3);
  });
});
