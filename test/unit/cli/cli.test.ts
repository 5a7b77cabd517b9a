// The CLI as a real child process (`node dist/cli.js`) against the scripted model server: ask --json
// and the live view, approvals without a terminal, exit codes, config errors naming the field,
// models with eligibility and discovery, replay of a trajectory.
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startModelServer, type ModelServer } from '../../support/model-server';
import { CLI, runCli } from '../../support/cli-process';
import { EngineEvent } from '../../../src/core/protocol/events';
import { tempWorkspace } from '../engine/helpers';
import { makeModelDir, writeRandomModel } from '../../support/gguf';

describe('orchestra CLI (child process)', () => {
  let server: ModelServer;
  let remote: ModelServer;
  const ws = tempWorkspace({ 'notes.md': 'The deploy key rotates every 30 days.\n' });
  const configFile = join(ws.dir, 'orchestra.json');

  before(async () => {
    assert.ok(existsSync(CLI), `build the CLI first (node scripts/build.mjs): ${CLI} is missing`);
    server = await startModelServer();
    remote = await startModelServer();
    writeFileSync(
      configFile,
      JSON.stringify({
        models: [
          { id: 'orch', baseUrl: server.url, model: 'orch', roles: ['orchestrator'], openWeights: true },
          { id: 'helper', baseUrl: server.url, model: 'helper', roles: ['general'], openWeights: true },
          {
            id: 'cloud',
            baseUrl: remote.url,
            model: 'cloud',
            local: false,
            roles: ['general'],
            apiKeyEnv: 'CLOUD_KEY',
            inputPricePerMillion: 2,
            outputPricePerMillion: 8,
          },
        ],
        orchestrator: { model: 'orch', dialect: 'general' },
        requests: { retries: 0 },
      }),
    );
  });
  after(async () => {
    await server.close();
    await remote.close();
    ws.cleanup();
  });
  beforeEach(() => {
    server.reset();
    remote.reset();
  });

  test('ask --json prints one valid event per line and ends with done; exit 0', async () => {
    server.script('orch', [
      { toolCalls: [{ name: 'read_file', arguments: { path: 'notes.md' } }] },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'Every 30 days.' } }] },
    ]);
    const r = await runCli(['ask', 'How often does the deploy key rotate?', '--config', configFile, '--workspace', ws.dir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => EngineEvent.parse(JSON.parse(l)));
    assert.equal(events[0].type, 'task_started');
    const last = events[events.length - 1];
    assert.equal(last.type, 'done');
    if (last.type === 'done') assert.equal(last.answer, 'Every 30 days.');
    assert.ok(events.some((e) => e.type === 'tool_call_finished' && e.tool === 'read_file' && e.state === 'ok'));
  });

  test('ask without --json shows the calls, the answer and the totals; --privacy local-only keeps data home', async () => {
    server.script('orch', [
      { toolCalls: [{ name: 'call_model', arguments: { model: 'cloud', task: 'x' } }] },
      { content: 'Answered locally.' },
    ]);
    const r = await runCli(['ask', 'q', '--config', configFile, '--workspace', ws.dir, '--privacy', 'local-only']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /⊘ call_model cloud · denied/);
    assert.match(r.stdout, /Answer\nAnswered locally\./);
    assert.match(r.stdout, /nothing left this machine/);
    assert.equal(remote.requests.length, 0);
  });

  test('approvals: denied without a terminal (and said so), granted with --yes', async () => {
    const code = { name: 'run_code', arguments: { language: 'python', code: 'print(21 * 2)' } };
    server.script('orch', [{ toolCalls: [code] }, { content: 'could not run' }]);
    const denied = await runCli(['ask', 'q', '--config', configFile, '--workspace', ws.dir, '--json']);
    assert.equal(denied.code, 0);
    assert.match(denied.stderr, /approval needed \(run_code\).*denied: stdin is not a terminal; pass --yes/);
    assert.match(denied.stdout, /"state":"denied"/);

    server.script('orch', [{ toolCalls: [code] }, { content: 'ran it' }]);
    const approved = await runCli(['ask', 'q', '--config', configFile, '--workspace', ws.dir, '--json', '--yes']);
    assert.equal(approved.code, 0, approved.stderr);
    const fin = approved.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((e) => e.type === 'tool_call_finished');
    assert.equal(fin.state, 'ok', JSON.stringify(fin));
    assert.match(fin.result, /42/);
  });

  test('a failed task exits 1 with a final error line', async () => {
    server.script('orch', [{ fault: 'http500' }]);
    const r = await runCli(['ask', 'q', '--config', configFile, '--workspace', ws.dir, '--json']);
    assert.equal(r.code, 1);
    const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.equal(last.type, 'error');
    assert.equal(last.code, 'model_failed');
  });

  test('usage and config errors exit 2 and name the field', async () => {
    const bad = join(ws.dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        models: [
          { id: 'a', baseUrl: server.url, model: 'a' },
          { id: 'b', baseUrl: 'not a url', model: 'b' },
        ],
      }),
    );
    const r = await runCli(['ask', 'q', '--config', bad]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /models\[1\]\.baseUrl: Invalid URL/);
    assert.equal((await runCli(['ask'])).code, 2);
    assert.equal((await runCli(['ask', 'q', '--privacy', 'nowhere', '--config', configFile])).code, 2);
    assert.equal((await runCli(['frobnicate'])).code, 2);
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /orchestra ask "QUESTION"/);
  });

  test('a misspelt privacy or budget key: exit 2 before any request, naming the key and what was meant', async () => {
    const typo = join(ws.dir, 'typo.json');
    // What a new user writes: with the keys dropped, privacy would be `any` and the question would go to "cloud".
    writeFileSync(
      typo,
      `{
  // local only, and 5 cents at most
  "models": [{ "id": "cloud", "baseUrl": "${remote.url}", "model": "cloud", "local": false, "roles": ["orchestrator"],
               "inputPricePerMillion": 2, "outputPricePerMillion": 8 }],
  "privacyMod": "local-only",
  "budget": { "maxDollarPerTask": 0.05 },
}`,
    );
    remote.setHandler('cloud', () => ({ toolCalls: [{ name: 'answer', arguments: { answer: 'sent away' } }] }));
    const r = await runCli(['ask', 'Where does this go?', '--config', typo, '--workspace', ws.dir, '--json']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /privacyMod: unknown key "privacyMod"; did you mean "privacyMode"\?/);
    assert.match(r.stderr, /budget\.maxDollarPerTask: unknown key "maxDollarPerTask"; did you mean "maxDollarsPerTask"\?/);
    assert.equal(r.stdout, '', 'no event: the task never started');
    assert.equal(remote.requests.length, 0, 'nothing was sent to the model');

    const check = await runCli(['config', 'check', '--config', typo]);
    assert.equal(check.code, 2);
    assert.match(check.stderr, /typo\.json: 2 problems:\n/);
    assert.match(check.stderr, /^ {2}privacyMod: unknown key/m);
    const json = await runCli(['config', 'check', '--config', typo, '--json']);
    assert.deepEqual(
      JSON.parse(json.stdout)
        .problems.map((p: { path: string }) => p.path)
        .sort(),
      ['budget.maxDollarPerTask', 'privacyMod'],
    );
    // Found in the current folder without --config, like `ask` finds it.
    const valid = await runCli(['config', 'check'], { cwd: ws.dir });
    assert.equal(valid.code, 0, valid.stderr);
    assert.match(valid.stdout, /orchestra\.json: valid — 3 models, privacy any, at most \$0\.5 and 20 turns per task/);
  });

  test('config check sees the local GGUF models as ask does: one may be the orchestrator', async () => {
    const models = makeModelDir();
    try {
      writeRandomModel(join(models.dir, 'tiny-coder.gguf'), { contextLength: 4096 });
      const file = join(ws.dir, 'local-orch.json');
      writeFileSync(
        file,
        JSON.stringify({ orchestrator: { model: 'local:tiny-coder' }, local: { models: [join(models.dir, 'tiny-coder.gguf')] } }),
      );
      const r = await runCli(['config', 'check', '--config', file]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /local-orch\.json: valid — 1 model,/);
      writeFileSync(file, JSON.stringify({ orchestrator: { model: 'local:tiny-coder' } }));
      const missing = await runCli(['config', 'check', '--config', file]);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /orchestrator\.model: no model with id "local:tiny-coder"/);
    } finally {
      models.cleanup();
    }
  });

  test('config schema prints the JSON Schema of the config file, described and strict', async () => {
    const r = await runCli(['config', 'schema']);
    assert.equal(r.code, 0, r.stderr);
    const schema = JSON.parse(r.stdout);
    assert.equal(schema.additionalProperties, false);
    assert.equal(schema.properties.budget.additionalProperties, false);
    assert.match(schema.properties.privacyMode.markdownDescription, /hard rule/, 'descriptions from the settings');
    assert.deepEqual(schema.properties.privacyMode.enum, ['any', 'open-weights-only', 'local-only']);
  });

  test('models: the pool with eligibility and the reason; discovery of a local server', async () => {
    const r = await runCli(['models', '--config', configFile, '--privacy', 'local-only']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^orch .* yes$/m);
    assert.match(r.stdout, /^cloud .*no: privacy mode local-only/m);
    const j = JSON.parse((await runCli(['models', '--config', configFile, '--json'])).stdout);
    assert.equal(j.models.length, 3);
    assert.ok(j.models.every((m: any) => m.eligible));
    assert.ok(j.models.every((m: any) => m.toolCallFormat === 'auto'));

    // How each model's tool calls are read: the setting, and under auto the format its name shows.
    const formats = join(ws.dir, 'formats.json');
    writeFileSync(
      formats,
      JSON.stringify({
        models: [
          { id: 'qwen', baseUrl: server.url, model: 'Qwen/Qwen3-Coder-30B-A3B-Instruct' },
          { id: 'strict', baseUrl: server.url, model: 'some-model', toolCallFormat: 'mistral_args' },
        ],
      }),
    );
    const f = await runCli(['models', '--config', formats]);
    assert.equal(f.code, 0, f.stderr);
    assert.match(f.stdout, /TOOL CALLS/);
    assert.match(f.stdout, /^qwen .*auto \(qwen3_coder\)/m);
    assert.match(f.stdout, /^strict .*mistral_args/m);
    // A format that does not exist is refused, naming the field (never guessed).
    const badFormat = join(ws.dir, 'bad-format.json');
    writeFileSync(badFormat, JSON.stringify({ models: [{ id: 'x', baseUrl: server.url, model: 'x', toolCallFormat: 'hermes2' }] }));
    const bad = await runCli(['models', '--config', badFormat]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /models\[0\]\.toolCallFormat/);

    // How each model's tokens are counted: a vLLM server's own /tokenize, the bundled BPE for an
    // OpenAI-family name, an estimate for a server that cannot count; an excluded model is not asked.
    const vllm = await startModelServer({ flavor: 'vllm' });
    try {
      const counting = join(ws.dir, 'counting.json');
      writeFileSync(
        counting,
        JSON.stringify({
          models: [
            { id: 'vl', baseUrl: vllm.url, model: 'Qwen/Qwen3-8B', roles: ['orchestrator'] },
            { id: 'oai', baseUrl: server.url, model: 'gpt-4o-mini' },
            { id: 'plain', baseUrl: server.url, model: 'helper' },
            { id: 'cloud', baseUrl: remote.url, model: 'cloud', local: false },
          ],
        }),
      );
      const c = await runCli(['models', '--config', counting, '--privacy', 'local-only']);
      assert.equal(c.code, 0, c.stderr);
      assert.match(c.stdout, /TOKENS/);
      assert.match(c.stdout, /^vl .* exact \(server\) /m);
      assert.match(c.stdout, /^oai .* exact \(BPE\) /m);
      assert.match(c.stdout, /^plain .* estimate /m);
      const cj = JSON.parse((await runCli(['models', '--config', counting, '--privacy', 'local-only', '--json'])).stdout);
      assert.deepEqual(Object.fromEntries(cj.models.map((m: any) => [m.id, m.tokenCounting])), {
        vl: 'server',
        oai: 'bpe',
        plain: 'estimate',
        cloud: 'not-asked',
      });
      assert.equal(remote.requests.length, 0, 'the excluded remote model was not contacted');
    } finally {
      await vllm.close();
    }

    const ollama = await startModelServer({ flavor: 'ollama', models: ['qwen2.5-coder:7b'] });
    try {
      const d = await runCli(['models', '--probe', `ollama:${ollama.port}`], { cwd: ws.dir, env: { ORCHESTRA_CONFIG: configFile } });
      assert.equal(d.code, 0, d.stderr);
      assert.match(d.stdout, /ollama at http:\/\/127\.0\.0\.1:\d+/);
      assert.match(d.stdout, /qwen2\.5-coder:7b/);
    } finally {
      await ollama.close();
    }
  });

  test('models also lists the local GGUF models of config.local: size, architecture, trained context, memory fit', async () => {
    const models = makeModelDir();
    try {
      writeRandomModel(join(models.dir, 'tiny-coder.gguf'), { contextLength: 4096 });
      const localConfig = join(ws.dir, 'local.json');
      writeFileSync(
        localConfig,
        JSON.stringify({
          models: [{ id: 'orch', baseUrl: server.url, model: 'orch' }],
          local: { models: [join(models.dir, 'tiny-coder.gguf'), join(models.dir, 'missing.gguf')] },
        }),
      );
      const r = await runCli(['models', '--config', localConfig]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^orch /m, 'the configured pool is still listed');
      assert.match(r.stdout, /Local GGUF models/);
      assert.match(r.stdout, /local:tiny-coder .*tiny-coder\.gguf/);
      assert.match(r.stdout, /llama, .* trained context 4096 tokens; fits in memory/);
      assert.match(r.stdout, /problem: .*missing\.gguf: file or folder not found/);
      const j = JSON.parse((await runCli(['models', '--config', localConfig, '--json'])).stdout);
      const tiny = j.local.find((m: any) => m.id === 'local:tiny-coder');
      assert.equal(tiny.architecture, 'llama');
      assert.equal(tiny.trainedContext, 4096);
      assert.equal(tiny.fits, true);
      assert.ok(tiny.sizeBytes > 0);
      // Without config.local nothing local is listed (and nothing is read).
      assert.equal(JSON.parse((await runCli(['models', '--config', configFile, '--json'])).stdout).local, undefined);
    } finally {
      models.cleanup();
    }
  });

  test('replay shows a trajectory written by ask', async () => {
    server.script('orch', [{ toolCalls: [{ name: 'answer', arguments: { answer: 'replayed answer' } }] }]);
    const file = join(ws.dir, 'run.jsonl');
    const r = await runCli(['ask', 'q', '--config', configFile, '--workspace', ws.dir, '--trajectory', file, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const replay = await runCli(['replay', file]);
    assert.equal(replay.code, 0, replay.stderr);
    assert.match(replay.stdout, /Question: q/);
    assert.match(replay.stdout, /Answer\nreplayed answer/);
    const replayJson = await runCli(['replay', file, '--json']);
    assert.deepEqual(
      replayJson.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
      r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    );
    assert.equal((await runCli(['replay', configFile])).code, 2);
  });
  test('conversations: ask, then ask --continue with the first answer in context; history lists, shows and deletes them', async () => {
    const data = join(ws.dir, '.data-conversations');
    const env = { ORCHESTRA_DATA_DIR: data };
    server.script('orch', [{ toolCalls: [{ name: 'answer', arguments: { answer: 'The key rotates every 30 days.' } }] }]);
    const first = await runCli(['ask', 'How often does the key rotate?', '--config', configFile, '--workspace', ws.dir], { env });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /conversation (c-[a-z0-9]+-[a-z0-9]+) · follow up with: orchestra ask --continue/);
    const id = /conversation (c-[a-z0-9]+-[a-z0-9]+)/.exec(first.stderr)![1];

    // The follow-up's scripted answer needs the first answer: the server checks it is in the request.
    server.setHandler('orch', (body) => ({
      toolCalls: [
        {
          name: 'answer',
          arguments: { answer: JSON.stringify(body.messages).includes('every 30 days') ? 'Twice in 60 days.' : 'Which key?' },
        },
      ],
    }));
    const second = await runCli(['ask', '--continue', 'So how many times in 60 days?', '--config', configFile, '--workspace', ws.dir], {
      env,
    });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /Twice in 60 days\./);
    // Naming the conversation works too; an unknown one is refused by name.
    const third = await runCli(['ask', '--continue', id, 'And in 90?', '--config', configFile, '--workspace', ws.dir, '--json'], { env });
    assert.equal(third.code, 0, third.stderr);
    const bad = await runCli(['ask', '--continue', 'c-nope-123', 'x', '--config', configFile, '--workspace', ws.dir], { env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /no conversation c-nope-123 in .*orchestra history lists them/);

    const list = await runCli(['history', '--workspace', ws.dir], { env });
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`${id} .* 3 .*How often does the key rotate\\?`));
    const json = JSON.parse((await runCli(['history', '--workspace', ws.dir, '--json'], { env })).stdout);
    assert.equal(json[0].id, id);
    assert.deepEqual(json[0].models, ['orch']);
    const md = await runCli(['history', id, '--workspace', ws.dir], { env });
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /^# How often does the key rotate\?/);
    assert.match(md.stdout, /## 2\. So how many times in 60 days\?[\s\S]*Twice in 60 days\./);
    const del = await runCli(['history', '--delete', id, '--workspace', ws.dir], { env });
    assert.equal(del.code, 0, del.stderr);
    assert.match((await runCli(['history', '--workspace', ws.dir], { env })).stdout, /No conversations yet/);
  });
});
