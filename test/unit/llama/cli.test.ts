// `orchestra serve` and `orchestra local` through their command functions.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { makeModelDir, writeToolCallScriptModel } from '../../support/gguf';
import { parseServeArgs, runServeCommand } from '../../../src/cli/serve';
import { runLocalModelsCommand } from '../../../src/cli/local-models';
import type { LocalEndpoint } from '../../../src/server/llama/openai-server';

describe('orchestra serve', () => {
  const dir = makeModelDir();
  after(() => dir.cleanup());

  test('refuses 0.0.0.0 without --allow-remote, and bad arguments, with clear errors', async () => {
    assert.throws(() => parseServeArgs(['--model', 'x.gguf', '--host', '0.0.0.0']), /refusing to listen on 0\.0\.0\.0: .*--allow-remote/);
    assert.equal(parseServeArgs(['--model', 'x.gguf', '--host', '0.0.0.0', '--allow-remote']).allowRemote, true);
    assert.throws(() => parseServeArgs([]), /--model FILE\.gguf is required/);
    assert.throws(() => parseServeArgs(['--model', 'x.gguf', '--port', 'eighty']), /--port needs a whole number/);
    const errors: string[] = [];
    const code = await runServeCommand(['--model', join(dir.dir, 'x.gguf'), '--host', '0.0.0.0'], {
      out: () => {},
      err: (l) => errors.push(l),
    });
    assert.equal(code, 2);
    assert.match(errors.join('\n'), /refusing to listen on 0\.0\.0\.0/);
    const missing: string[] = [];
    assert.equal(
      await runServeCommand(['--model', join(dir.dir, 'absent.gguf'), '--port', '0'], { out: () => {}, err: (l) => missing.push(l) }),
      1,
    );
    assert.match(missing.join('\n'), /absent\.gguf: file not found/);
  });

  test('serves a GGUF file to the openai SDK with streaming and a tool call until stopped', async () => {
    const model = join(dir.dir, 'tiny.gguf');
    writeToolCallScriptModel(model, { toolName: 'lookup', arguments: { q: 'weather' }, answer: 'Sunny today.' });
    const lines: string[] = [];
    let stop!: () => void;
    const stopSignal = new Promise<void>((r) => (stop = r));
    let endpoint!: LocalEndpoint;
    const listening = new Promise<void>((resolve) => {
      void runServeCommand(['--model', model, '--port', '0', '--threads', '1'], {
        out: (l) => lines.push(l),
        err: (l) => lines.push(l),
        stopSignal,
        onListening: (e) => {
          endpoint = e;
          resolve();
        },
      }).then((code) => lines.push(`exit ${code}`));
    });
    await listening;
    try {
      assert.ok(lines.some((l) => l === `OpenAI-compatible endpoint: ${endpoint.baseUrl}`));
      const client = new OpenAI({ baseURL: endpoint.baseUrl, apiKey: 'unused', maxRetries: 0 });
      const tools = [
        {
          type: 'function' as const,
          function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } },
        },
      ];
      const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'weather?' }];
      const stream = await client.chat.completions.create({ model: 'local:tiny', messages, tools, stream: true, temperature: 0 });
      let id = '';
      let args = '';
      for await (const chunk of stream) {
        for (const d of chunk.choices[0]?.delta.tool_calls ?? []) {
          id ||= d.id ?? '';
          args += d.function?.arguments ?? '';
        }
      }
      assert.deepEqual(JSON.parse(args), { q: 'weather' });
      messages.push(
        { role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name: 'lookup', arguments: args } }] },
        { role: 'tool', tool_call_id: id, content: 'sun' },
      );
      const answer = await client.chat.completions.create({ model: 'local:tiny', messages, tools, temperature: 0 });
      assert.equal(answer.choices[0].message.content, 'Sunny today.');
      // Started without --cpu: GPU offload is the default, and the load line says what it came to.
      assert.ok(
        lines.some((l) => /^loaded .*tiny\.gguf in \d+ ms \(.*, 1 threads, gpu: (none|\w+, \d+ layers offloaded)\)$/.test(l)),
        lines.join('\n'),
      );
    } finally {
      stop();
    }
    await waitFor(() => lines.includes('exit 0'));
    assert.ok(lines.includes('stopped'));
  });
});

describe('orchestra local', () => {
  const dir = makeModelDir();
  after(() => dir.cleanup());

  test('lists local models with size, architecture, context and memory fit', async () => {
    writeToolCallScriptModel(join(dir.dir, 'one.gguf'), { toolName: 't', arguments: {}, answer: 'ok' });
    writeFileSync(join(dir.dir, 'broken.gguf'), 'nope');
    let out = '';
    const code = await runLocalModelsCommand(['list', '--dir', dir.dir], { out: (t) => (out += t), err: (t) => (out += t) });
    assert.equal(code, 1, 'a broken file makes the exit code 1');
    assert.match(
      out,
      /local:one\n {2}.*one\.gguf\n {2}\d+(\.\d)? (KB|MB), llama, \d+K parameters, F32, trained context 4096 tokens\n {2}memory: needs ~/,
    );
    assert.match(out, /local:broken\n.*\n {2}problem: .*broken\.gguf: not a GGUF model/);
    assert.match(out, /orchestrator-8b/);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
