// The CLI's routing commands as a real child process (`node dist/cli.js`) against the scripted model
// server: `ask --explain` prints why each model was chosen; `feedback` and `models --stats` /
// `--reset-stats` move, show and forget the quality estimates kept in $ORCHESTRA_DATA_DIR.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startModelServer, type ModelServer } from '../../support/model-server';
import { CLI, runCli } from '../../support/cli-process';
import { tempWorkspace } from '../engine/helpers';

describe('orchestra CLI: routing you can see', () => {
  let server: ModelServer;
  const ws = tempWorkspace({ 'README.md': '# demo\n' });
  const configFile = join(ws.dir, 'orchestra.json');
  const dataDir = join(ws.dir, 'data');
  const env = { ORCHESTRA_DATA_DIR: dataDir };

  before(async () => {
    assert.ok(existsSync(CLI), `build the CLI first (node scripts/build.mjs): ${CLI} is missing`);
    server = await startModelServer();
    writeFileSync(
      configFile,
      JSON.stringify({
        models: [
          { id: 'orch', baseUrl: server.url, model: 'orch', roles: ['orchestrator'] },
          { id: 'a', baseUrl: server.url, model: 'a', roles: ['code'], local: true, openWeights: true, quality: 0.6 },
          { id: 'c', baseUrl: server.url, model: 'c', roles: ['code'], local: false, openWeights: true, quality: 0.7 },
        ],
        orchestrator: { model: 'orch', dialect: 'general' },
        preferences: { quality: 0.5, cost: 0.3, latency: 0.2, openWeights: 0.2, local: 0.1, explore: false },
        requests: { retries: 0 },
        tools: { runCode: { enabled: false } },
      }),
    );
  });
  after(async () => {
    await server.close();
    ws.cleanup();
  });
  beforeEach(() => server.reset());

  test('ask --explain prints the chosen model’s reasons and the runner-up', async () => {
    const script = () => {
      server.script('orch', [
        { toolCalls: [{ name: 'call_model', arguments: { role: 'code', task: 'Write it.' } }] },
        { toolCalls: [{ name: 'answer', arguments: { answer: 'Done.' } }] },
      ]);
      server.script('c', [{ content: 'written by c' }]);
    };
    script();
    const run = await runCli(['ask', 'Write it', '--config', configFile, '--workspace', ws.dir, '--explain'], { env });
    assert.equal(run.code, 0, run.stderr);
    // Both free and unmeasured, so cost and latency are even (0.5 each): c = 0.5·1 + 0.15 + 0.1 + 0.2 = 0.95,
    // a = 0.5·0 + 0.15 + 0.1 + 0.2 + 0.1 = 0.55.
    assert.match(
      run.stdout,
      /why c for code \(score 0\.95\): quality 0\.70 for code \(your prior\) \(\+0\.50\) · open weights \(\+0\.20\)/,
    );
    assert.match(run.stdout, /runner-up a \(0\.55\)/);
    script();
    const quiet = await runCli(['ask', 'Write it', '--config', configFile, '--workspace', ws.dir], { env });
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.doesNotMatch(quiet.stdout, /why c/, 'without --explain the reasons are not printed');
  });

  test('feedback on a task moves its models’ estimates; models --stats shows them; --reset-stats forgets them', async () => {
    server.script('orch', [
      { toolCalls: [{ name: 'call_model', arguments: { role: 'code', task: 'Write it.' } }] },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'Done.' } }] },
    ]);
    server.script('c', [{ content: 'written by c' }]);
    const data = { ORCHESTRA_DATA_DIR: join(ws.dir, 'data-feedback') };
    const run = await runCli(['ask', 'Write it', '--config', configFile, '--workspace', ws.dir, '--explain'], { env: data });
    assert.equal(run.code, 0, run.stderr);
    const taskId = /orchestra feedback (\S+) up\|down/.exec(run.stdout)?.[1];
    assert.ok(taskId, run.stdout);

    const down = await runCli(['feedback', taskId, 'down'], { env: data });
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /Thumbs down on \S+: counted for orch \(orchestrator\), c \(code\)/);
    const stats = await runCli(['models', '--config', configFile, '--stats'], { env: data });
    assert.equal(stats.code, 0, stats.stderr);
    // c: α = 7 + 0.5 (the answered task), β = 3 + 1 (thumbs down): 7.5 / 11.5 = 0.65; a has no evidence.
    assert.match(stats.stdout, /^c\s+code\s+0\.65\s+0\.\d\d–0\.\d\d\s+0\.5\s+1\s+0\.70 your prior$/m);
    assert.match(stats.stdout, /^a\s+code\s+0\.60\s+\S+\s+0\s+0\s+0\.60 your prior$/m);
    const json = await runCli(['models', '--config', configFile, '--stats', '--json'], { env: data });
    const c = (JSON.parse(json.stdout) as { estimates: Array<{ model: string; role: string; failures: number }> }).estimates.find(
      (r) => r.model === 'c' && r.role === 'code',
    );
    assert.equal(c?.failures, 1);

    const unknown = await runCli(['feedback', 'task-nope', 'up'], { env: data });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no finished task "task-nope"/);
    const bad = await runCli(['feedback', taskId, 'sideways'], { env: data });
    assert.equal(bad.code, 2);

    const reset = await runCli(['models', '--config', configFile, '--reset-stats', '--model', 'c'], { env: data });
    assert.match(reset.stdout, /Reset 1 quality estimate of c/);
    const after = await runCli(['models', '--config', configFile, '--stats'], { env: data });
    assert.match(after.stdout, /^c\s+code\s+0\.70\s+\S+\s+0\s+0\s+/m);
  });
});
