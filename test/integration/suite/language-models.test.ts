// VS Code's language models as Orchestra pool members, in the real VS Code: another installed
// extension (test/extensions/scripted-models) registers a chat model provider with
// `vscode.lm.registerLanguageModelChatProvider`; Orchestra lists its model, a task's orchestrator
// (served by the scripted OpenAI-compatible server) hands it a subtask, the reply streams back through
// the engine process, cancellation reaches the provider, consent errors read clearly, and local-only
// never calls it.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateOrchestra, until } from './helpers';
import { startModelServer, type ModelServer } from '../../support/model-server';
import type { EngineEvent, EventOf } from '../../../src/core/protocol/events';
import type { OrchestraApi } from '../../../src/extension/extension';

const LM_ID = 'lm:scripted:echo-1';

interface ProviderRequest {
  model: string;
  messages: Array<{ role: string; text: string }>;
  tools: string[];
  cancelled: boolean;
  done: boolean;
}

export const providerRequests = (): Thenable<ProviderRequest[]> => vscode.commands.executeCommand('orchestraTest.models.requests');
export const scriptProvider = (replies: unknown[]): Thenable<unknown> =>
  vscode.commands.executeCommand('orchestraTest.models.script', replies);
export const resetProvider = (): Thenable<unknown> => vscode.commands.executeCommand('orchestraTest.models.reset');

/** Runs a task through the extension's API and collects its events up to the final one. */
export async function runTask(api: OrchestraApi, question: string): Promise<{ taskId: string; events: EngineEvent[]; end: EngineEvent }> {
  const events: EngineEvent[] = [];
  const sub = api.engine.onEvent((e) => events.push(e));
  try {
    const { taskId } = await api.engine.ask({ question });
    const end = await until(
      `the end of task ${taskId}`,
      () => events.find((e) => e.taskId === taskId && (e.type === 'done' || e.type === 'error')),
      60_000,
    );
    return { taskId, events: events.filter((e) => e.taskId === taskId), end };
  } finally {
    sub.dispose();
  }
}

function finishedCalls(events: EngineEvent[], tool: string): Array<EventOf<'tool_call_finished'>> {
  return events.filter((e): e is EventOf<'tool_call_finished'> => e.type === 'tool_call_finished' && e.tool === tool);
}

describe('VS Code language models in the pool', function () {
  this.timeout(120_000);
  let api: OrchestraApi;
  let server: ModelServer;
  const config = () => vscode.workspace.getConfiguration('orchestra');

  before(async () => {
    api = await activateOrchestra();
    server = await startModelServer({ usage: true });
    await config().update(
      'models',
      [{ id: 'orch', baseUrl: server.url, model: 'orch-model', roles: ['orchestrator'], local: true }],
      vscode.ConfigurationTarget.Global,
    );
    await config().update('orchestrator.model', 'orch', vscode.ConfigurationTarget.Global);
    await config().update('orchestrator.dialect', 'general', vscode.ConfigurationTarget.Global);
    await config().update('tools.runCode.enabled', false, vscode.ConfigurationTarget.Global);
    await until('the engine to serve the test orchestrator and the scripted language model', async () => {
      const models = await api.engine.listModels();
      return models.some((m) => m.id === 'orch' && m.baseUrl === server.url) && models.some((m) => m.id === LM_ID);
    });
  });

  beforeEach(async () => {
    server.reset();
    await resetProvider();
  });

  after(async () => {
    for (const key of ['models', 'orchestrator.model', 'orchestrator.dialect', 'tools.runCode.enabled', 'privacyMode'])
      await config().update(key, undefined, vscode.ConfigurationTarget.Global);
    await server?.close();
  });

  it('lists the provider model with vendor, family, input limit; remote, closed-weights, price unknown', async () => {
    const lm = (await api.engine.listModels()).find((m) => m.id === LM_ID);
    assert.ok(lm, 'the scripted model is in the pool');
    assert.equal(lm.provider?.kind, 'vscode-lm');
    assert.equal(lm.provider?.vendor, 'scripted');
    assert.equal(lm.provider?.family, 'scripted-echo');
    assert.equal(lm.contextWindow, 32000);
    assert.equal(lm.local, false);
    assert.equal(lm.openWeights, false);
    assert.equal(lm.pricing, 'unknown');
    assert.equal(lm.eligible, true);
  });

  it('uses it as an expert: the subtask reaches the provider and its reply comes back through the engine', async () => {
    await scriptProvider([{ chunks: ['fib(20) ', 'is ', '6765.'] }]);
    server.script('orch-model', [
      { toolCalls: [{ name: 'call_model', arguments: { model: LM_ID, task: 'Compute fib(20).' } }] },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'fib(20) = 6765' } }] },
    ]);
    const run = await runTask(api, 'What is fib(20)?');
    assert.equal(run.end.type, 'done', JSON.stringify(run.end));
    const reqs = await providerRequests();
    assert.equal(reqs.length, 1);
    assert.ok(reqs[0].messages.some((m) => /Compute fib\(20\)\./.test(m.text)));
    const call = finishedCalls(run.events, 'call_model')[0];
    assert.equal(call.state, 'ok');
    assert.equal(call.result, 'fib(20) is 6765.');
    assert.equal(call.pricing, 'unknown', 'its cost is unknown, not $0');
    if (run.end.type === 'done') {
      assert.deepEqual(run.end.totals.unpriced, [{ model: LM_ID, pricing: 'unknown', calls: 1 }]);
      assert.deepEqual(run.end.totals.remoteHosts, ['vscode-lm/scripted']);
    }
    // The orchestrator read the model's price as unknown, not as free.
    assert.match(server.requestsFor('orch-model')[0].body.messages[0].content, /lm:scripted:echo-1 — general — price unknown/);
  });

  it('passes tool definitions and reads the model’s native tool calls', async () => {
    // The scripted model orchestrates: it calls list_files, then answers.
    await config().update('orchestrator.model', LM_ID, vscode.ConfigurationTarget.Global);
    try {
      await until('the engine to take the language model as orchestrator', async () => {
        const models = await api.engine.listModels();
        return models.some((m) => m.id === LM_ID) && api.settings.problems().length === 0;
      });
      await scriptProvider([
        { toolCalls: [{ name: 'list_files', input: { path: '.' } }] },
        { toolCalls: [{ name: 'answer', input: { answer: 'The workspace has files.' } }] },
      ]);
      const run = await runTask(api, 'What is in the workspace?');
      assert.equal(run.end.type, 'done', JSON.stringify(run.end));
      if (run.end.type === 'done') assert.equal(run.end.answer, 'The workspace has files.');
      const reqs = await providerRequests();
      assert.equal(reqs.length, 2);
      assert.ok(reqs[0].tools.includes('list_files') && reqs[0].tools.includes('answer'), reqs[0].tools.join(','));
      assert.ok(
        reqs[1].messages.some((m) => m.text.startsWith('[tool result')),
        'the tool result went back as a tool result part',
      );
      assert.equal(finishedCalls(run.events, 'list_files')[0]?.state, 'ok');
    } finally {
      await config().update('orchestrator.model', 'orch', vscode.ConfigurationTarget.Global);
    }
  });

  it('cancelling the task ends the call at once, without waiting for the provider', async () => {
    // VS Code 1.105 stops forwarding a caller's cancellation to the provider once its reply has started;
    // Orchestra cancels its request token and stops reading, so the task ends while the provider is still busy.
    await scriptProvider([{ delayMs: 8000, text: 'too late' }]);
    server.script('orch-model', [{ toolCalls: [{ name: 'call_model', arguments: { model: LM_ID, task: 'Think for a long time.' } }] }]);
    const events: EngineEvent[] = [];
    const sub = api.engine.onEvent((e) => events.push(e));
    try {
      const { taskId } = await api.engine.ask({ question: 'long one' });
      await until('the provider to get the request', async () => (await providerRequests()).length === 1);
      assert.equal(await api.engine.cancel(taskId), true);
      const end = await until('the task to end', () =>
        events.find((e) => e.taskId === taskId && (e.type === 'done' || e.type === 'error')),
      );
      assert.equal(end.type, 'error');
      if (end.type === 'error') assert.equal(end.code, 'cancelled');
      assert.equal((await providerRequests())[0].done, false, 'the task did not wait for the provider to finish');
      const call = events.find((e) => e.taskId === taskId && e.type === 'tool_call_finished' && e.tool === 'call_model');
      assert.ok(call && call.type === 'tool_call_finished' && call.state === 'cancelled', JSON.stringify(call));
    } finally {
      sub.dispose();
    }
  });

  it('a consent error reads as one and is not retried', async () => {
    await scriptProvider([{ error: 'NoPermissions' }]);
    server.script('orch-model', [
      { toolCalls: [{ name: 'call_model', arguments: { model: LM_ID, task: 'Anything.' } }] },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'could not ask it' } }] },
    ]);
    const run = await runTask(api, 'consent?');
    assert.equal(run.end.type, 'done');
    assert.equal((await providerRequests()).length, 1, 'not retried');
    const call = finishedCalls(run.events, 'call_model')[0];
    assert.equal(call.state, 'error');
    assert.match(call.error ?? '', /may not use this scripted model yet/);
  });

  it('local-only never calls it', async () => {
    await config().update('privacyMode', 'local-only', vscode.ConfigurationTarget.Global);
    try {
      await until(
        'the engine to apply local-only',
        async () => (await api.engine.listModels()).find((m) => m.id === LM_ID)?.eligible === false,
      );
      server.script('orch-model', [
        { toolCalls: [{ name: 'call_model', arguments: { model: LM_ID, task: 'Compute fib(20).' } }] },
        { toolCalls: [{ name: 'answer', arguments: { answer: 'kept local' } }] },
      ]);
      const run = await runTask(api, 'fib(20), locally');
      assert.equal(run.end.type, 'done');
      assert.equal((await providerRequests()).length, 0, 'the provider got no request');
      // Not even offered: the orchestrator's model list leaves it out, and the call it tried ran nowhere.
      assert.doesNotMatch(server.requestsFor('orch-model')[0].body.messages[0].content, /lm:scripted/);
      assert.equal(finishedCalls(run.events, 'call_model').filter((c) => c.state === 'ok').length, 0);
      if (run.end.type === 'done') assert.deepEqual(run.end.totals.remoteHosts, []);
    } finally {
      await config().update('privacyMode', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
