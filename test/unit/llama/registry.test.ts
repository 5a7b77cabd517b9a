// One model registry: GGUF files in the models folder (ORCHESTRA_MODELS_DIR here, ~/.orchestra/models
// by default) are pool members before the configuration is validated — in the CLI, the engine
// process and the extension's own settings check — so an embedded model can be the orchestrator.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeModelDir, writeToolCallScriptModel } from '../../support/gguf';
import { runCli } from '../../support/cli-process';
import { parseConfig } from '../../../src/core/config';
import { EmbeddedModelHost } from '../../../src/server/local-models';
import { addLocalEntries, withLocalModelsForCheck } from '../../../src/server/llama/registry';

describe('one model registry', () => {
  const tmp = makeModelDir();
  const modelsDir = join(tmp.dir, 'models');
  const workspace = join(tmp.dir, 'workspace');
  mkdirSync(modelsDir);
  mkdirSync(workspace);
  writeFileSync(join(workspace, 'README.md'), '# A workspace\n');
  writeToolCallScriptModel(join(modelsDir, 'orch.gguf'), {
    toolName: 'answer',
    arguments: { answer: 'Answered by the embedded orchestrator.' },
    answer: 'unused',
    // An engine task's prompt (every tool's schema) needs more than 4096 tokens of this tiny vocabulary.
    contextLength: 16384,
  });
  const env = { ORCHESTRA_MODELS_DIR: modelsDir };
  after(() => tmp.cleanup());

  test('orchestra ask: a model in the models folder can be orchestrator.model, with no local settings at all', async () => {
    const config = join(tmp.dir, 'orchestra.json');
    writeFileSync(config, JSON.stringify({ orchestrator: { model: 'local:orch', dialect: 'general' }, privacyMode: 'local-only' }));
    const r = await runCli(['ask', 'What is this workspace?', '--config', config, '--workspace', workspace, '--json', '--threads', '1'], {
      env,
    });
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; text?: string; answer?: string });
    const text = JSON.stringify(events.filter((e) => /answer|done/.test(e.type)));
    assert.match(text, /Answered by the embedded orchestrator\./);
    assert.doesNotMatch(r.stderr, /orchestrator\.model/);
  });

  test('orchestra ask with no config file and an empty models folder says how to get a model', async () => {
    const empty = join(tmp.dir, 'empty');
    mkdirSync(empty);
    const none = await runCli(['ask', 'Hello?', '--workspace', workspace], { env: { ORCHESTRA_MODELS_DIR: empty }, cwd: workspace });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no config file and no local model: .*orchestra local download qwen2\.5-1\.5b-instruct/);
  });

  test('orchestra models lists the folder’s models in the pool', async () => {
    const r = await runCli(['models', '--json'], { env, cwd: workspace });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { models: Array<{ id: string; local: boolean }>; local: Array<{ id: string }> };
    assert.ok(out.models.some((m) => m.id === 'local:orch' && m.local));
    assert.deepEqual(
      out.local.map((m) => m.id),
      ['local:orch'],
    );
  });

  test('the engine process step: the served entries join the raw settings before validation', async () => {
    const logs: string[] = [];
    const host = new EmbeddedModelHost((level, message) => logs.push(`${level} ${message}`));
    const previous = process.env.ORCHESTRA_MODELS_DIR;
    process.env.ORCHESTRA_MODELS_DIR = modelsDir;
    try {
      const { raw, problems } = await host.apply({ orchestrator: { model: 'local:orch' } }, workspace);
      assert.deepEqual(problems, []);
      const parsed = parseConfig(raw);
      assert.deepEqual(parsed.problems, []);
      assert.equal(parsed.config.orchestrator.model, 'local:orch');
      const entry = parsed.config.models.find((m) => m.id === 'local:orch')!;
      assert.match(entry.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      assert.equal(entry.local, true);
      const described = await host.describe();
      assert.deepEqual(
        described.map((d) => [d.id, d.served]),
        [['local:orch', true]],
      );
    } finally {
      if (previous === undefined) delete process.env.ORCHESTRA_MODELS_DIR;
      else process.env.ORCHESTRA_MODELS_DIR = previous;
      await host.stop();
    }
  });

  test('the extension’s own check knows the local ids; a taken id keeps the user’s entry and says so', () => {
    const raw = { orchestrator: { model: 'local:orch' } };
    assert.deepEqual(
      parseConfig(raw).problems.map((p) => p.path),
      ['orchestrator.model'],
      'without the registry step it is refused',
    );
    const checked = parseConfig(withLocalModelsForCheck(raw, workspace, env));
    assert.deepEqual(checked.problems, []);
    assert.equal(checked.config.orchestrator.model, 'local:orch');

    const mine = { id: 'local:orch', baseUrl: 'http://127.0.0.1:9/v1', model: 'mine' };
    const added = addLocalEntries({ models: [mine] }, [{ id: 'local:orch', baseUrl: 'http://127.0.0.1:1/v1', model: 'local:orch' }]);
    assert.deepEqual(added.raw.models, [mine]);
    assert.match(added.problems[0].message, /model id "local:orch" is already used in models; the local file is not added/);
  });
});
