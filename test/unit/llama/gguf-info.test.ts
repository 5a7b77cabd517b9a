import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeGguf, makeModelDir, writeRandomModel } from '../../support/gguf';
import { GgufError, fitsInMemory, readGgufInfo, validateLocalModel } from '../../../src/server/llama/gguf-info';
import { toGrammarSchema, toChatHistory, parseChatRequest, RequestError } from '../../../src/server/llama/chat-request';
import { detectChatFormat } from '../../../src/server/llama/runtime';
import { guessRoles, modelIdForFile } from '../../../src/server/llama/openai-server';

describe('GGUF header reading', () => {
  const dir = makeModelDir();
  const good = join(dir.dir, 'tiny-random.gguf');
  before(() => writeRandomModel(good, { contextLength: 8192 }));
  after(() => dir.cleanup());

  test('reads architecture, trained context, parameters and quantisation without loading', async () => {
    const info = await readGgufInfo(good);
    assert.equal(info.architecture, 'llama');
    assert.equal(info.trainedContextLength, 8192);
    assert.equal(info.quantization, 'F32');
    assert.equal(info.layerCount, 2);
    assert.equal(info.embeddingLength, 64);
    assert.equal(info.headCountKv, 2);
    assert.equal(info.name, 'tiny-random');
    assert.equal(info.supported, true);
    assert.ok(info.parameterCount > 50_000);
    assert.equal(info.sizeBytes, readFileSync(good).length);
    assert.match(info.chatTemplate ?? '', /<\|im_start\|>/);
    assert.ok((info.metadata['tokenizer.ggml.tokens'] as { arrayLength: number }).arrayLength > 300);
  });

  test('a missing file is named with the cause', async () => {
    const missing = join(dir.dir, 'nope.gguf');
    await assert.rejects(
      readGgufInfo(missing),
      (err: unknown) => err instanceof GgufError && err.file === missing && err.message === `${missing}: file not found`,
    );
  });

  test('a file that is not GGUF is refused by its magic', async () => {
    const text = join(dir.dir, 'readme.gguf');
    writeFileSync(text, 'hello, this is a text file and not a model at all');
    await assert.rejects(readGgufInfo(text), /readme\.gguf: not a GGUF model \(the file does not start with "GGUF"\)/);
  });

  test('a truncated download is detected', async () => {
    const bytes = readFileSync(good);
    const cutTensors = join(dir.dir, 'cut-tensors.gguf');
    writeFileSync(cutTensors, bytes.subarray(0, bytes.length - 1000));
    await assert.rejects(readGgufInfo(cutTensors), /cut-tensors\.gguf: truncated: the tensors need \d+ bytes but the file has \d+/);
    const cutHeader = join(dir.dir, 'cut-header.gguf');
    writeFileSync(cutHeader, bytes.subarray(0, 5000));
    await assert.rejects(readGgufInfo(cutHeader), /cut-header\.gguf: truncated/);
  });

  test('unsupported and non-chat architectures are refused for serving', async () => {
    const odd = join(dir.dir, 'odd.gguf');
    writeFileSync(
      odd,
      encodeGguf(
        [['general.architecture', { type: 'string', value: 'mystery-net' }]],
        [{ name: 'w', dims: [4], data: new Float32Array(4) }],
      ),
    );
    const info = await readGgufInfo(odd);
    assert.equal(info.supported, false);
    await assert.rejects(validateLocalModel(odd), /odd\.gguf: unsupported architecture "mystery-net"/);
    const bert = join(dir.dir, 'embedder.gguf');
    writeFileSync(
      bert,
      encodeGguf([['general.architecture', { type: 'string', value: 'bert' }]], [{ name: 'w', dims: [4], data: new Float32Array(4) }]),
    );
    await assert.rejects(validateLocalModel(bert), /embedder\.gguf: architecture "bert" is not a chat model/);
  });

  test('memory fit counts weights and KV cache, and too-large models are refused', async () => {
    const info = await readGgufInfo(good);
    const roomy = fitsInMemory(info, { contextLength: 4096, totalBytes: 16 * 1024 ** 3, freeBytes: 8 * 1024 ** 3 });
    assert.equal(roomy.fits, true);
    assert.equal(roomy.fitsNow, true);
    assert.ok(roomy.neededBytes > info.sizeBytes);
    const big = { ...info, sizeBytes: 40 * 1024 ** 3 };
    const tight = fitsInMemory(big, { totalBytes: 16 * 1024 ** 3, freeBytes: 8 * 1024 ** 3 });
    assert.equal(tight.fits, false);
    assert.match(tight.summary, /^too large: needs ~\d+\.\d GB but this machine has 16\.0 GB RAM$/);
    await assert.rejects(validateLocalModel(good, { totalBytes: 1024 ** 2 }), /tiny-random\.gguf: model too large for this machine/);
  });
});

describe('request conversion', () => {
  test('tool schemas become grammar schemas with bounded strings', () => {
    const schema = toGrammarSchema(
      {
        type: 'object',
        properties: {
          path: { type: 'string', description: 'file' },
          short: { type: 'string', maxLength: 5 },
          mode: { enum: ['a', 'b'] },
          tags: { type: 'array', items: { type: 'string' } },
          opt: { anyOf: [{ type: 'integer' }, { type: 'null' }] },
          ref: { $ref: '#/$defs/Point' },
        },
        required: ['path', 'unknown'],
        $defs: { Point: { type: 'object', properties: { x: { type: 'number' } }, required: ['x'] } },
      },
      100,
    ) as unknown as { properties: Record<string, Record<string, unknown>>; required: string[] };
    assert.deepEqual(schema.properties.path, { type: 'string', maxLength: 100, description: 'file' });
    assert.deepEqual(schema.properties.short, { type: 'string', maxLength: 5 });
    assert.deepEqual(schema.properties.mode, { enum: ['a', 'b'] });
    assert.deepEqual(schema.properties.tags, { type: 'array', items: { type: 'string', maxLength: 100 } });
    assert.deepEqual(schema.properties.opt, { oneOf: [{ type: 'integer' }, { type: 'null' }] });
    assert.deepEqual(schema.properties.ref, { type: 'object', properties: { x: { type: 'number' } }, required: ['x'] });
    assert.deepEqual(schema.required, ['path']);
  });

  test('assistant tool calls carry the results of their tool messages', () => {
    const req = parseChatRequest({
      model: 'm',
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: [{ type: 'text', text: 'q' }] },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'a', type: 'function', function: { name: 'f', arguments: '{"x":1}' } },
            { id: 'b', type: 'function', function: { name: 'g', arguments: '' } },
          ],
        },
        { role: 'tool', tool_call_id: 'b', content: 'B' },
        { role: 'tool', tool_call_id: 'a', content: 'A' },
      ],
    });
    const { history, callsInLastTurn } = toChatHistory(req.messages, new Map([['f', 'does f']]));
    assert.equal(callsInLastTurn, 2);
    assert.deepEqual(history[0], { type: 'system', text: 'sys' });
    assert.deepEqual(history[1], { type: 'user', text: 'q' });
    const model = history[2] as { type: string; response: Array<{ name: string; params: unknown; result: unknown; description?: string }> };
    assert.equal(model.type, 'model');
    assert.deepEqual(
      model.response.map((r) => [r.name, r.params, r.result, r.description]),
      [
        ['f', { x: 1 }, 'A', 'does f'],
        ['g', {}, 'B', undefined],
      ],
    );
    assert.throws(
      () => parseChatRequest({ model: 'm', messages: [] }),
      (err: unknown) => err instanceof RequestError && /messages: messages must not be empty/.test(err.message),
    );
    assert.throws(
      () =>
        toChatHistory(
          parseChatRequest({ model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] })
            .messages,
          new Map(),
        ),
      /"image_url" parts are not supported/,
    );
  });

  test('chat format, model ids and roles are derived cheaply', () => {
    assert.equal(detectChatFormat('<|im_start|>{{x}}<tool_call>'), 'hermes');
    assert.equal(detectChatFormat('<|im_start|>{{x}}'), 'chatml');
    assert.equal(detectChatFormat('<|start_header_id|>'), 'llama3');
    assert.equal(detectChatFormat('[INST] x [/INST]'), 'mistral');
    assert.equal(detectChatFormat(undefined), 'chatml');
    assert.equal(modelIdForFile('/m/Qwen2.5 Coder (7B).Q4_K_M.gguf'), 'local:Qwen2.5-Coder-7B-.Q4_K_M');
    assert.deepEqual(guessRoles('nvidia_Orchestrator-8B-Q4_K_M'), ['orchestrator']);
    assert.deepEqual(guessRoles('Qwen2.5-Coder-7B'), ['code']);
    assert.deepEqual(guessRoles('tiny-random'), ['general', 'answer']);
  });
});
