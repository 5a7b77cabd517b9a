// Quality from evidence, end to end over the scripted model server: a finished task and the user's
// thumbs move the estimate of the model that served it (in its role), the next choice's reasons show
// the new estimate with the very numbers it was scored with, and the estimates persist and reset.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../../../src/core/engine';
import type { Engine } from '../../../src/core/engine-api';
import { FAST_POOL, config, model, recordingHost, runTask, scriptedServerSuite } from '../engine/helpers';

describe('quality from evidence', () => {
  const { server, ws } = scriptedServerSuite({ 'README.md': '# demo\n' });
  const dataDir = mkdtempSync(join(tmpdir(), 'orchestra-quality-'));
  const file = join(dataDir, 'quality.json');
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  // Two free, open code models: a local with your prior 0.6, c remote with your prior 0.7 (each worth 10 outcomes).
  const cfg = () =>
    config({
      models: [
        model('orch', server.url, { roles: ['orchestrator'] }),
        model('a', server.url, { roles: ['code'], local: true, openWeights: true, quality: 0.6 }),
        model('c', server.url, { roles: ['code'], local: false, openWeights: true, quality: 0.7 }),
      ],
      orchestrator: { model: 'orch', dialect: 'general' },
      preferences: { quality: 0.5, cost: 0.3, latency: 0, openWeights: 0.2, local: 0.1, explore: false },
      tools: { runCode: { enabled: false } },
    });
  const engine = (): Engine => createEngine(recordingHost(), cfg(), { ...FAST_POOL, qualityFile: file });
  const codeTask = async (e: Engine, expert: string) => {
    server.script('orch', [
      { toolCalls: [{ name: 'call_model', arguments: { role: 'code', task: 'Write it.' } }] },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'done' } }] },
    ]);
    server.script(expert, [{ content: `written by ${expert}` }]);
    const run = await runTask(e, { question: 'code please', workspace: ws.dir });
    assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
    return run;
  };
  const row = (e: Engine, m: string, role: string) => e.qualityStats().find((r) => r.model === m && r.role === role)!;

  test('a task, then thumbs down: the estimate moves, and the next choice is scored and explained with it', async () => {
    const e1 = engine();
    const first = await codeTask(e1, 'c');
    const [pick] = first.of('model_choice');
    // c = 0.5·1 + 0.3·0.5 + 0.2·1 = 0.85 (quality span 0.1: c gets the full quality weight).
    assert.equal(pick.model, 'c');
    assert.equal(pick.score, 0.85);
    assert.deepEqual(pick.reasons, ['quality 0.70 for code (your prior) (+0.50)', 'open weights (+0.20)', 'free (+0.15)']);

    // The task answered: half an outcome of success for c as code, and for orch as orchestrator.
    assert.deepEqual({ s: row(e1, 'c', 'code').successes, f: row(e1, 'c', 'code').failures }, { s: 0.5, f: 0 });
    assert.equal(row(e1, 'orch', 'orchestrator').successes, 0.5);
    assert.equal(row(e1, 'a', 'code').successes, 0, 'a did not serve');
    assert.ok(Math.abs(row(e1, 'c', 'code').mean - 7.5 / 10.5) < 1e-12);

    // Thumbs down: a whole failure for every model that served the task.
    assert.deepEqual(e1.feedback(first.outcome.taskId, 'down'), [
      { model: 'orch', role: 'orchestrator' },
      { model: 'c', role: 'code' },
    ]);
    const mean = 7.5 / 11.5; // α = 0.7·10 + 0.5, β = 0.3·10 + 1
    assert.ok(Math.abs(row(e1, 'c', 'code').mean - mean) < 1e-12);
    assert.ok(row(e1, 'c', 'code').low < mean && mean < row(e1, 'c', 'code').high);
    // Changing one's mind replaces the verdict; withdrawing it restores the estimate.
    e1.feedback(first.outcome.taskId, 'up');
    assert.deepEqual([row(e1, 'c', 'code').successes, row(e1, 'c', 'code').failures], [1.5, 0]);
    e1.feedback(first.outcome.taskId, 'none');
    assert.deepEqual([row(e1, 'c', 'code').successes, row(e1, 'c', 'code').failures], [0.5, 0]);
    e1.feedback(first.outcome.taskId, 'down');
    assert.throws(() => e1.feedback('task-unknown', 'up'), /no finished task "task-unknown"/);
    await e1.dispose();

    // A new engine (a new session) reads the same file; the next choice uses the moved estimate.
    const e2 = engine();
    assert.equal(row(e2, 'c', 'code').failures, 1);
    const second = await codeTask(e2, 'c');
    const [again] = second.of('model_choice');
    // q̃(c) = (0.652 − 0.6) / 0.1: c = 0.5·0.522 + 0.15 + 0.2 = 0.611; a = 0 + 0.15 + 0.2 + 0.1 = 0.45.
    const qc = (0.5 * (mean - 0.6)) / 0.1;
    assert.equal(again.score, Math.round((qc + 0.35) * 1000) / 1000);
    assert.deepEqual(again.reasons, [
      `quality ${mean.toFixed(2)} for code (1.5 outcomes, mean ${mean.toFixed(2)}) (+${qc.toFixed(2)})`,
      'open weights (+0.20)',
      'free (+0.15)',
    ]);
    assert.deepEqual(again.runnerUp, {
      model: 'a',
      score: 0.45,
      reasons: ['open weights (+0.20)', 'free (+0.15)', 'runs locally (+0.10)'],
    });

    // Reset one model, then all.
    assert.equal(e2.resetQuality('c'), 1);
    assert.equal(row(e2, 'c', 'code').successes + row(e2, 'c', 'code').failures, 0);
    assert.ok(row(e2, 'orch', 'orchestrator').successes > 0);
    assert.ok(e2.resetQuality() >= 1);
    assert.deepEqual(
      e2.qualityStats().map((r) => r.successes + r.failures),
      [0, 0, 0],
    );
    await e2.dispose();
    assert.ok(existsSync(file));
  });
});
