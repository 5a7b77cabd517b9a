// An engine crash mid-task, inside the real VS Code: the extension reports the task as stopped by the
// engine (resumable), the restarted engine resumes it from its record, and the scripted model
// server's request log shows that nothing already answered was asked again.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { scriptedEngineSuite, until } from './helpers';

const TOUCHED = ['models', 'orchestrator.model', 'orchestrator.dialect'];

describe('Resume after an engine crash', function () {
  this.timeout(120_000);
  const suite = scriptedEngineSuite(TOUCHED);

  it('a task cut by an engine crash resumes in the restarted engine without repeating an answered call', async () => {
    const { api, server, events } = suite;
    const config = vscode.workspace.getConfiguration('orchestra');
    const price = { inputPricePerMillion: 1, outputPricePerMillion: 2 };
    await config.update(
      'models',
      [
        { id: 'orch', baseUrl: server.url, model: 'res-orch', roles: ['orchestrator'], openWeights: true, ...price },
        { id: 'expert', baseUrl: server.url, model: 'res-expert', roles: ['general'], openWeights: true, ...price },
      ],
      vscode.ConfigurationTarget.Global,
    );
    await config.update('orchestrator.model', 'orch', vscode.ConfigurationTarget.Global);
    await config.update('orchestrator.dialect', 'general', vscode.ConfigurationTarget.Global);
    await until('the engine to know the test models', async () =>
      (await api.engine.listModels()).some((m) => m.id === 'expert' && m.baseUrl === server.url),
    );
    server.setHandler('res-orch', (body) => {
      const results = body.messages.filter((m: { role: string }) => m.role === 'tool').length;
      if (results === 0) return { toolCalls: [{ name: 'call_model', arguments: { model: 'expert', task: 'part one' } }] };
      if (results === 1) return { content: 'thinking it over '.repeat(1000), tokensPerSecond: 10 };
      return { toolCalls: [{ name: 'answer', arguments: { answer: 'unexpected' } }] };
    });
    server.setHandler('res-expert', () => ({ content: 'Part one is done.' }));

    const conversationId = `c-crash-${Date.now().toString(36)}`;
    const { taskId } = await api.engine.ask({ question: 'Do part one, then think.', conversationId });
    const of = () => events.filter((e) => e.taskId === taskId);
    // Turn 1 and the expert answered; turn 2 streams when the engine dies.
    await until(
      'the second turn to stream',
      () => server.requestsFor('res-orch').length === 2 && of().some((e) => e.type === 'answer_delta'),
    );
    const pid = api.engine.pid!;
    process.kill(pid);
    const end = await until('the task to end', () => of().find((e) => e.type === 'error'));
    assert.equal(end.type === 'error' && end.code, 'engine_down');
    await until('a new engine', () => api.engine.state === 'ready' && api.engine.pid !== undefined && api.engine.pid !== pid);

    // The second turn now answers; resume the task in the new engine.
    server.setHandler('res-orch', () => ({
      toolCalls: [{ name: 'answer', arguments: { answer: 'Part one is done, and I thought it over.' } }],
    }));
    events.length = 0;
    await api.engine.resume({ taskId, conversationId });
    const done = await until('the resumed task to end', () => of().find((e) => e.type === 'done' || e.type === 'error'), 60_000);
    assert.equal(done.type, 'done', JSON.stringify(done));
    assert.equal(done.type === 'done' && done.answer, 'Part one is done, and I thought it over.');
    // Request log: turn 1 once, the interrupted turn 2 twice; the expert once.
    assert.equal(server.requestsFor('res-orch').length, 3);
    assert.equal(server.requestsFor('res-expert').length, 1, 'the answered expert call was not asked again');
    // The resumed run showed the replayed call again, with what it cost.
    const expert = of().find((e) => e.type === 'tool_call_finished' && e.tool === 'call_model');
    assert.ok(expert && expert.type === 'tool_call_finished' && expert.state === 'ok' && expert.dollars > 0);
    // A task that answered cannot be resumed again.
    await assert.rejects(api.engine.resume({ taskId, conversationId }), /already answered/);
  });
});
