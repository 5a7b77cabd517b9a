// The user's verdict through the engine process (dist/server.js), as the panel's thumbs send it: the
// engine counts it for the models that served the task, says it back as a `task_feedback` event of
// the task, and keeps the estimates in the data folder the editor gave it.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startModelServer, type ModelServer } from '../../support/model-server';
import { startEngineProcess, type EngineProcess } from '../../support/engine-process';
import { AskRequest, ConfigureRequest, FeedbackRequest } from '../../../src/protocol/engine-rpc';

let server: ModelServer;
let engine: EngineProcess;
const dir = mkdtempSync(join(tmpdir(), 'orchestra-feedback-'));
const dataDir = join(dir, 'storage');

before(async () => {
  server = await startModelServer();
  engine = await startEngineProcess({ args: ['--stdio'] });
});
after(async () => {
  await engine?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('feedback on a finished task: counted for its models, said back as an event, kept in the data folder', async () => {
  await engine.rpc.sendRequest(ConfigureRequest, {
    config: {
      models: [
        { id: 'orch', baseUrl: server.url, model: 'orch-model', roles: ['orchestrator'] },
        { id: 'coder', baseUrl: server.url, model: 'coder-model', roles: ['code'] },
      ],
      orchestrator: { model: 'orch', dialect: 'general' },
      tools: { runCode: { enabled: false } },
    },
    workspace: dir,
    workspaceTrusted: true,
    dataDir,
  });
  server.script('orch-model', [
    { toolCalls: [{ name: 'call_model', arguments: { role: 'code', task: 'Write it.' } }] },
    { toolCalls: [{ name: 'answer', arguments: { answer: 'Done.' } }] },
  ]);
  server.script('coder-model', [{ content: 'written' }]);
  const { taskId } = await engine.rpc.sendRequest(AskRequest, { question: 'Write it' });
  const end = await engine.finished(taskId);
  assert.equal(end.type, 'done', JSON.stringify(end));

  const served = [
    { model: 'orch', role: 'orchestrator' },
    { model: 'coder', role: 'code' },
  ];
  assert.deepEqual(await engine.rpc.sendRequest(FeedbackRequest, { taskId, verdict: 'down' }), { models: served });
  const stored = () =>
    (JSON.parse(readFileSync(join(dataDir, 'quality.json'), 'utf8')) as { counts: Record<string, Record<string, unknown>> }).counts;
  // Half a success for answering, a whole failure for the thumbs down.
  assert.deepEqual(stored().coder, { code: { successes: 0.5, failures: 1 } });

  const said = async () => {
    for (let i = 0; i < 100; i++) {
      const events = engine.eventsOf(taskId).filter((e) => e.type === 'task_feedback');
      if (events.length) return events;
      await new Promise((r) => setTimeout(r, 20));
    }
    return [];
  };
  const [ev] = await said();
  assert.ok(ev && ev.type === 'task_feedback', 'a task_feedback event');
  assert.equal(ev.verdict, 'down');
  assert.deepEqual(ev.models, served);
  assert.ok(ev.seq > end.seq, 'it follows the task’s last event');

  assert.deepEqual(await engine.rpc.sendRequest(FeedbackRequest, { taskId, verdict: 'none' }), { models: served });
  assert.deepEqual(stored().coder, { code: { successes: 0.5, failures: 0 } });
  await assert.rejects(
    engine.rpc.sendRequest(FeedbackRequest, { taskId: 'task-unknown', verdict: 'up' }),
    /no finished task "task-unknown"/,
  );
  await assert.rejects(engine.rpc.sendRequest(FeedbackRequest, { taskId, verdict: 'sideways' } as never), /verdict/);
});
