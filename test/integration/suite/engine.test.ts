// The engine process as the extension runs it, inside the real VS Code extension host: it starts and
// answers, streams a task's events, cancels, round-trips an approval, reports invalid settings by
// name, and survives being killed mid-task. Models are served by the project's scripted test server,
// started here (the extension host is Node).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, until } from './helpers';
import { startModelServer } from '../../support/model-server';
import type { ModelServer } from '../../support/model-server';
import type { EngineEvent } from '../../../src/core/protocol/events';
import type { OrchestraApi } from '../../../src/extension/extension';

const TOUCHED_SETTINGS = ['models', 'orchestrator.model', 'orchestrator.dialect', 'privacyMode', 'requests.retries'];

async function orchestraApi(): Promise<OrchestraApi> {
  const ext = vscode.extensions.getExtension<OrchestraApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not installed in this VS Code`);
  return ext.isActive ? ext.exports : ext.activate();
}

/** Collects the events of every task from the extension's event stream. */
class EventLog implements vscode.Disposable {
  readonly events: EngineEvent[] = [];
  private readonly sub: vscode.Disposable;
  constructor(api: OrchestraApi) {
    this.sub = api.engine.onEvent((e) => this.events.push(e));
  }
  of(taskId: string): EngineEvent[] {
    return this.events.filter((e) => e.taskId === taskId);
  }
  final(taskId: string): Promise<EngineEvent> {
    return until(`the end of task ${taskId}`, () => this.of(taskId).find((e) => e.type === 'done' || e.type === 'error'), 30_000);
  }
  dispose(): void {
    this.sub.dispose();
  }
}

async function configureModels(api: OrchestraApi, server: ModelServer, extraModels: unknown[] = []): Promise<void> {
  const config = vscode.workspace.getConfiguration('orchestra');
  await config.update(
    'models',
    [{ id: 'orch', baseUrl: server.url, model: 'orch-model', roles: ['orchestrator', 'general'], openWeights: true }, ...extraModels],
    vscode.ConfigurationTarget.Global,
  );
  await config.update('orchestrator.model', 'orch', vscode.ConfigurationTarget.Global);
  await config.update('orchestrator.dialect', 'general', vscode.ConfigurationTarget.Global);
  // The settings reach the engine asynchronously; wait until it serves the pool.
  await until('the engine to know the test model', async () =>
    (await api.engine.listModels()).some((m) => m.id === 'orch' && m.baseUrl === server.url),
  );
}

describe('Orchestra engine process inside VS Code', function () {
  this.timeout(90_000);
  let api: OrchestraApi;
  let server: ModelServer;
  let log: EventLog;

  before(async () => {
    api = await orchestraApi();
    server = await startModelServer({ usage: true });
    log = new EventLog(api);
    api.approvals?.setModalFallback(false);
  });

  after(async () => {
    log?.dispose();
    const config = vscode.workspace.getConfiguration('orchestra');
    for (const key of TOUCHED_SETTINGS) await config.update(key, undefined, vscode.ConfigurationTarget.Global);
    api?.approvals?.setModalFallback(true);
    await server?.close();
  });

  it('starts the engine process on demand and it answers', async () => {
    await api.engine.whenReady();
    assert.equal(api.engine.state, 'ready');
    const pid = api.engine.pid;
    assert.ok(typeof pid === 'number' && pid > 0, `engine pid ${pid}`);
    assert.doesNotThrow(() => process.kill(pid, 0), 'the engine process is alive');
    assert.ok(Array.isArray(await api.engine.listModels()));
  });

  it('streams the events of a task against the test model server to the extension', async () => {
    await configureModels(api, server);
    server.script('orch-model', [{ toolCalls: [{ name: 'answer', arguments: { answer: 'The fixture has a math module.' } }] }]);
    const { taskId } = await api.engine.ask({ question: 'What is in this workspace?' });
    const end = await log.final(taskId);
    assert.equal(end.type, 'done', JSON.stringify(end));
    assert.equal(end.type === 'done' && end.answer, 'The fixture has a math module.');
    const events = log.of(taskId);
    assert.equal(events[0].type, 'task_started');
    for (let i = 1; i < events.length; i++) assert.ok(events[i].seq > events[i - 1].seq, 'events arrive in order');
    assert.ok(events.some((e) => e.type === 'tool_call_started' && e.tool === 'answer'));
    // The request really went to the test server, with the question in it.
    assert.match(JSON.stringify(server.requestsFor('orch-model').at(-1)!.body.messages), /What is in this workspace\?/);
  });

  it('cancels a running task through the Cancel command', async () => {
    server.script('orch-model', [{ content: 'slowly '.repeat(500), tokensPerSecond: 20 }]);
    const { taskId } = await api.engine.ask({ question: 'Take your time.' });
    await until('the task to be running', () => log.of(taskId).some((e) => e.type === 'answer_delta'));
    const cancelled = await vscode.commands.executeCommand<boolean>('orchestra.cancelTask', taskId);
    assert.equal(cancelled, true);
    const end = await log.final(taskId);
    assert.equal(end.type, 'error', JSON.stringify(log.of(taskId).map((e) => [e.type, e.type === 'done' ? e.answer.slice(0, 80) : ''])));
    assert.equal(end.type === 'error' && end.code, 'cancelled');
    const request = server.requestsFor('orch-model').at(-1)!;
    await until('the model request to end', () => request.aborted || request.finishedAt);
    assert.equal(request.aborted, true, 'the HTTP request to the model was aborted');
  });

  it('round-trips an approval: the engine asks, the extension answers, the code runs', async () => {
    assert.ok(api.approvals, 'the test API exposes approvals in test mode');
    const requested: string[] = [];
    const sub = api.approvals.onDidRequest((a) => {
      requested.push(a.detail);
      assert.equal(api.approvals!.answer(a.approvalId, true), true);
      // First answer wins: a second one is refused.
      assert.equal(api.approvals!.answer(a.approvalId, false), false);
    });
    try {
      server.script('orch-model', [
        { toolCalls: [{ name: 'run_code', arguments: { language: 'python', code: 'print(6 * 7)' } }] },
        { toolCalls: [{ name: 'answer', arguments: { answer: 'It printed 42.' } }] },
      ]);
      const { taskId } = await api.engine.ask({ question: 'Compute six times seven with python.' });
      const end = await log.final(taskId);
      assert.equal(end.type, 'done', JSON.stringify(end));
      assert.equal(requested.length, 1);
      assert.match(requested[0], /print\(6 \* 7\)/, 'the approval shows the code in full');
      const events = log.of(taskId);
      assert.ok(events.some((e) => e.type === 'approval_resolved' && e.approved));
      const run = events.find((e) => e.type === 'tool_call_finished' && e.tool === 'run_code');
      assert.ok(run && run.type === 'tool_call_finished', 'run_code finished');
      assert.equal(run.state, 'ok', run.result);
      assert.match(run.result, /42/);
    } finally {
      sub.dispose();
    }
  });

  it('reports an invalid setting by its name and keeps the valid rest working', async () => {
    await configureModels(api, server, [{ id: 'broken', baseUrl: 'not a url', model: 'x' }]);
    const problems = await until('the problem to be reported', () => {
      const p = api.settings.problems().find((x) => x.path === 'models[1].baseUrl');
      return p;
    });
    assert.match(problems.message, /url/i);
    const models = await api.engine.listModels();
    // VS Code's own language models (the scripted provider's `lm:` ones) are pool members too; only settings entries count here.
    assert.deepEqual(
      models.filter((m) => !m.id.startsWith('lm:')).map((m) => m.id),
      ['orch'],
      'the valid model keeps working, the broken one is left out',
    );
    await configureModels(api, server);
    await until('the problem to clear', () => !api.settings.problems().some((x) => x.path.startsWith('models')) || undefined);
  });

  it('restarts the engine killed mid-task, and the task reports the failure', async () => {
    server.script('orch-model', [{ content: 'working '.repeat(500), tokensPerSecond: 20 }]);
    const { taskId } = await api.engine.ask({ question: 'A long job.' });
    await until('the task to be running', () => log.of(taskId).some((e) => e.type === 'answer_delta'));
    const oldPid = api.engine.pid!;
    process.kill(oldPid);
    const end = await log.final(taskId);
    assert.equal(end.type, 'error');
    assert.equal(end.type === 'error' && end.code, 'engine_down', JSON.stringify(end));
    await until('a new engine process', () => api.engine.state === 'ready' && api.engine.pid !== undefined && api.engine.pid !== oldPid);
    // The restarted engine got its configuration again and serves tasks.
    server.script('orch-model', [{ toolCalls: [{ name: 'answer', arguments: { answer: 'Back again.' } }] }]);
    const again = await api.engine.ask({ question: 'Are you back?' });
    const end2 = await log.final(again.taskId);
    assert.equal(end2.type, 'done', JSON.stringify(end2));
  });

  it('gives up after repeated crashes with a clear message, and Restart Engine brings it back', async () => {
    // Kill the engine each time it comes back, until the extension stops restarting it.
    for (let kills = 0; api.engine.state !== 'down'; kills++) {
      assert.ok(kills < 6, 'the extension kept restarting a crashing engine');
      const pid = await until('a running engine', () => (api.engine.state === 'ready' ? api.engine.pid : undefined));
      process.kill(pid);
      await until(
        'the engine to restart or give up',
        () => api.engine.state === 'down' || (api.engine.state === 'ready' && api.engine.pid !== pid) || undefined,
      );
    }
    assert.equal(api.engine.state, 'down');
    await assert.rejects(api.engine.ask({ question: 'Anyone there?' }), /not restarted again; see the log, then Retry/);
    await vscode.commands.executeCommand('orchestra.restartEngine');
    assert.equal(api.engine.state, 'ready');
    server.script('orch-model', [{ toolCalls: [{ name: 'answer', arguments: { answer: 'Retried.' } }] }]);
    const { taskId } = await api.engine.ask({ question: 'And now?' });
    const end = await log.final(taskId);
    assert.equal(end.type, 'done', JSON.stringify(end));
  });
});
