// Discovery against real HTTP servers that speak each local server's own endpoints.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { discoverLocalServers, discoveredToModelEntries, guessRoles } from '../../../src/core/discovery';
import { parseConfig } from '../../../src/core/config';
import { startModelServer, type ModelServerOptions } from '../../support/model-server';

async function withServer<T>(opts: ModelServerOptions, fn: (port: number) => Promise<T>): Promise<T> {
  const s = await startModelServer(opts);
  try {
    return await fn(s.port);
  } finally {
    await s.close();
  }
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('discoverLocalServers', () => {
  test('Ollama: num_ctx from the model parameters when set', async () => {
    await withServer(
      { flavor: 'ollama', models: ['qwen2.5-coder:7b', 'llama3.1:8b'], contextWindow: 131072, runtimeContextWindow: 16384 },
      async (port) => {
        const found = await discoverLocalServers({ ports: [{ port, kind: 'ollama' }] });
        assert.deepEqual(found, [
          {
            kind: 'ollama',
            baseUrl: `http://127.0.0.1:${port}/v1`,
            models: [
              { id: 'qwen2.5-coder:7b', contextWindow: 16384, contextSource: 'num_ctx', maxContextWindow: 131072 },
              { id: 'llama3.1:8b', contextWindow: 16384, contextSource: 'num_ctx', maxContextWindow: 131072 },
            ],
          },
        ]);
      },
    );
  });

  test("Ollama: the model's context_length when num_ctx is not set, and it says so", async () => {
    await withServer({ flavor: 'ollama', models: ['mistral:7b'], contextWindow: 32768 }, async (port) => {
      const [s] = await discoverLocalServers({ ports: [{ port, kind: 'ollama' }] });
      assert.deepEqual(s.models, [{ id: 'mistral:7b', contextWindow: 32768, contextSource: 'context_length', maxContextWindow: 32768 }]);
    });
  });

  test('LM Studio: loaded_context_length, with the maximum alongside', async () => {
    await withServer({ flavor: 'lmstudio', models: ['qwen3-8b'], contextWindow: 40960, runtimeContextWindow: 8192 }, async (port) => {
      const [s] = await discoverLocalServers({ ports: [{ port, kind: 'lmstudio' }] });
      assert.equal(s.kind, 'lmstudio');
      assert.deepEqual(s.models, [
        { id: 'qwen3-8b', contextWindow: 8192, contextSource: 'loaded_context_length', maxContextWindow: 40960 },
      ]);
    });
  });

  test('vLLM: max_model_len', async () => {
    await withServer({ flavor: 'vllm', models: ['nvidia/Nemotron-Orchestrator-8B'], contextWindow: 32768 }, async (port) => {
      const [s] = await discoverLocalServers({ ports: [{ port, kind: 'vllm' }] });
      assert.equal(s.kind, 'vllm');
      assert.deepEqual(s.models, [
        { id: 'nvidia/Nemotron-Orchestrator-8B', contextWindow: 32768, contextSource: 'max_model_len', maxContextWindow: 32768 },
      ]);
    });
  });

  test('llama.cpp: n_ctx from /props, the trained length alongside', async () => {
    await withServer(
      { flavor: 'llamacpp', models: ['gemma-3-4b-it-Q4_K_M.gguf'], contextWindow: 131072, runtimeContextWindow: 4096 },
      async (port) => {
        const [s] = await discoverLocalServers({ ports: [{ port, kind: 'llamacpp' }] });
        assert.equal(s.kind, 'llamacpp');
        assert.deepEqual(s.models, [
          { id: 'gemma-3-4b-it-Q4_K_M.gguf', contextWindow: 4096, contextSource: 'n_ctx', maxContextWindow: 131072 },
        ]);
      },
    );
  });

  test('llama.cpp: the chat template in /props tells the tool-call format, said in the suggested entry', async () => {
    const template =
      '{%- for m in messages %}<|im_start|>{{ m.role }}\n{%- if m.tool_calls %}<tool_call>\n{{ tc | tojson }}\n</tool_call>{%- endif %}{%- endfor %}';
    await withServer({ flavor: 'llamacpp', models: ['Qwen2.5-7B-Instruct-Q4_K_M.gguf'], chatTemplate: template }, async (port) => {
      const [s] = await discoverLocalServers({ ports: [{ port, kind: 'llamacpp' }] });
      assert.equal(s.models[0].toolCallFormat, 'hermes');
      const [entry] = discoveredToModelEntries(s);
      assert.match(entry.description!, /writes hermes tool calls/);
      assert.equal(entry.toolCallFormat, undefined, 'the entry stays on auto: the server may parse calls itself');
    });
  });

  test('SGLang: /get_model_info and max_model_len', async () => {
    await withServer({ flavor: 'sglang', models: ['Qwen/Qwen3-32B'], contextWindow: 40960 }, async (port) => {
      const [s] = await discoverLocalServers({ ports: [{ port, kind: 'sglang' }] });
      assert.equal(s.kind, 'sglang');
      assert.deepEqual(s.models, [{ id: 'Qwen/Qwen3-32B', contextWindow: 40960, contextSource: 'max_model_len', maxContextWindow: 40960 }]);
    });
  });

  test('a plain OpenAI-compatible server on a vLLM port is reported as such', async () => {
    await withServer({ flavor: 'plain', models: ['some-model'] }, async (port) => {
      const [s] = await discoverLocalServers({ ports: [{ port, kind: 'vllm' }] });
      assert.deepEqual(s, { kind: 'openai-compatible', baseUrl: `http://127.0.0.1:${port}/v1`, models: [{ id: 'some-model' }] });
    });
  });

  test('closed ports, wrong servers and silent servers are skipped without throwing; probes run in parallel', async () => {
    const closed = await closedPort();
    // A server that accepts connections and never answers: only the probe timeout ends it.
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const silentPort = (silent.address() as AddressInfo).port;
    try {
      await withServer({ flavor: 'vllm', models: ['m'], contextWindow: 4096 }, async (vllmPort) => {
        const found = await discoverLocalServers({
          timeoutMs: 300,
          ports: [
            { port: closed, kind: 'ollama' },
            { port: silentPort, kind: 'lmstudio' },
            { port: vllmPort, kind: 'llamacpp' }, // a vLLM server where llama.cpp was expected
            { port: vllmPort, kind: 'ollama' },
            { port: vllmPort, kind: 'vllm' },
          ],
        });
        assert.deepEqual(
          found.map((s) => [s.kind, s.models.map((m) => m.id)]),
          [
            ['openai-compatible', ['m']],
            ['vllm', ['m']],
          ],
        );
      });
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  test('nothing found is an empty list', async () => {
    const found = await discoverLocalServers({ ports: [{ port: await closedPort(), kind: 'vllm' }], timeoutMs: 200 });
    assert.deepEqual(found, []);
  });

  test('an aborted signal ends discovery with nothing found', async () => {
    await withServer({ flavor: 'vllm', models: ['m'] }, async (port) => {
      const found = await discoverLocalServers({ ports: [{ port, kind: 'vllm' }], signal: AbortSignal.abort() });
      assert.deepEqual(found, []);
    });
  });
});

describe('discoveredToModelEntries', () => {
  test('open weights, free, roles from the name, real context, valid config entries', () => {
    const entries = discoveredToModelEntries({
      kind: 'ollama',
      baseUrl: 'http://127.0.0.1:11434/v1',
      models: [
        { id: 'qwen2.5-coder:7b', contextWindow: 16384, contextSource: 'num_ctx' },
        { id: 'qwen2.5-math:7b', contextWindow: 4096, contextSource: 'num_ctx' },
        { id: 'nemotron-orchestrator-8b' },
        { id: 'llama3.1:8b' },
      ],
    });
    assert.deepEqual(
      entries.map((e) => [e.id, e.model, e.roles, e.contextWindow, e.openWeights, e.inputPricePerMillion, e.outputPricePerMillion]),
      [
        ['ollama-qwen2.5-coder:7b', 'qwen2.5-coder:7b', ['code'], 16384, true, 0, 0],
        ['ollama-qwen2.5-math:7b', 'qwen2.5-math:7b', ['math'], 4096, true, 0, 0],
        ['ollama-nemotron-orchestrator-8b', 'nemotron-orchestrator-8b', ['orchestrator'], undefined, true, 0, 0],
        ['ollama-llama3.1:8b', 'llama3.1:8b', ['general'], undefined, true, 0, 0],
      ],
    );
    assert.equal(entries[1].maxOutputTokens, 1024, 'small windows leave room for the prompt');
    assert.match(entries[0].description!, /qwen2.5-coder:7b served by ollama on 127.0.0.1:11434, 16384-token context/);
    const { problems } = parseConfig({ models: entries });
    assert.deepEqual(problems, []);
  });

  test('ids with characters the config does not allow are cleaned', () => {
    const [e] = discoveredToModelEntries({
      kind: 'vllm',
      baseUrl: 'http://127.0.0.1:8000/v1',
      models: [{ id: 'nvidia/Nemotron Orchestrator-8B' }],
    });
    assert.equal(e.id, 'vllm-nvidia-Nemotron-Orchestrator-8B');
    assert.equal(e.model, 'nvidia/Nemotron Orchestrator-8B');
  });

  test('guessRoles', () => {
    assert.deepEqual(guessRoles('deepseek-coder-v2'), ['code']);
    assert.deepEqual(guessRoles('Devstral-Small'), ['code']);
    assert.deepEqual(guessRoles('Qwen2.5-Math-72B'), ['math']);
    assert.deepEqual(guessRoles('Nemotron-Orchestrator-8B'), ['orchestrator']);
    assert.deepEqual(guessRoles('gpt-oss-20b'), ['general']);
  });
});
