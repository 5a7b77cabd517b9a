// GPU offload as far as a machine without a GPU build can check it: the option's values and their
// errors, and the default ("offload when a GPU build is present") falling back to the CPU without a
// failure when none is, in the runtime and in `orchestra serve`. Offload onto a real GPU needs a GPU
// build of node-llama-cpp and a device; see docs/LOCAL-MODELS.md.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { makeModelDir, writeRandomModel } from '../../support/gguf';
import { runCli } from '../../support/cli-process';
import { LlamaRuntime } from '../../../src/server/llama/runtime';
import { parseGpuLayers, parseServeArgs } from '../../../src/cli/serve';

describe('GPU offload option', () => {
  test('auto, max or a whole number of layers; anything else is refused with the value named', () => {
    assert.equal(parseGpuLayers('--gpu-layers', 'auto'), 'auto');
    assert.equal(parseGpuLayers('--gpu-layers', 'max'), 'max');
    assert.equal(parseGpuLayers('--gpu-layers', '0'), 0);
    assert.equal(parseGpuLayers('--gpu-layers', '33'), 33);
    for (const bad of ['lots', '-1', '1.5', '', 'MAX', '1e3', ' 4'])
      assert.throws(
        () => parseGpuLayers('--gpu-layers', bad),
        new RegExp(`--gpu-layers must be auto, max or a whole number of layers, got "${bad.replace('.', '\\.')}"`),
      );
    assert.equal(parseServeArgs(['--model', 'x.gguf']).gpuLayers, undefined, 'the default is left to the runtime (auto)');
    assert.equal(parseServeArgs(['--model', 'x.gguf', '--gpu-layers', 'max']).gpuLayers, 'max');
    assert.equal(parseServeArgs(['--model', 'x.gguf', '--cpu', '--gpu-layers', '0']).cpu, true);
    assert.throws(
      () => parseServeArgs(['--model', 'x.gguf', '--cpu', '--gpu-layers', '4']),
      /--cpu and --gpu-layers contradict each other/,
    );
  });

  test('ask refuses a bad --gpu-layers as a usage error (exit 2) before anything runs', async () => {
    const r = await runCli(['ask', 'Hello?', '--gpu-layers', 'all']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--gpu-layers must be auto, max or a whole number of layers, got "all"/);
  });
});

describe('GPU offload by default: the GPU with a GPU build, else the CPU without a failure', () => {
  const models = makeModelDir();
  const spec = { path: join(models.dir, 'tiny-random.gguf') };
  before(() => writeRandomModel(spec.path));
  after(() => models.cleanup());

  for (const gpuLayers of [undefined, 'max', 8] as const) {
    test(`gpuLayers ${gpuLayers ?? '(default: auto)'} loads where it can (the CPU without a GPU build), says where, and evaluates a prompt`, async () => {
      const logs: string[] = [];
      const runtime = new LlamaRuntime({ threads: 1, concurrency: 1, contextSize: 512, gpuLayers, log: (e) => logs.push(e.message) });
      try {
        const handle = await runtime.model(spec);
        const gpu = handle.llama.gpu;
        const loaded = logs.find((l) => l.startsWith(`loaded ${spec.path}`));
        assert.ok(loaded, `a load line was logged: ${logs.join(' | ')}`);
        if (gpu === false) {
          assert.match(loaded, /gpu: none\)$/);
          assert.equal(handle.model.gpuLayers, 0, 'nothing is offloaded without a GPU build');
        } else {
          // A machine with a GPU build: the layers asked for (all, for max and auto on this tiny model) are offloaded.
          assert.match(loaded, new RegExp(`gpu: ${gpu}, ${handle.model.gpuLayers} layers offloaded\\)$`));
          assert.ok(handle.model.gpuLayers > 0);
        }
        const lease = await runtime.acquire(spec);
        try {
          const evaluated = await lease.sequence.evaluateWithoutGeneratingNewTokens(handle.model.tokenize('hello world'));
          assert.equal(evaluated, undefined);
          assert.ok(lease.sequence.nextTokenIndex > 0, 'the prompt was evaluated');
        } finally {
          lease.release();
        }
      } finally {
        await runtime.close();
      }
    });
  }
});
