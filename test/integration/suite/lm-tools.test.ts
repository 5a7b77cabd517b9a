// Orchestra's language model tools as another extension uses them, in the real VS Code: the test
// extension (test/extensions/scripted-models) calls `vscode.lm.invokeTool('orchestra_delegate')`,
// which runs an Orchestra task (after its confirmation, which VS Code accepts in tests) and returns
// the answer with its cost; the caller can make the rules stricter, never looser; and
// `orchestra_search_workspace` searches the workspace.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateOrchestra, until } from './helpers';
import { startModelServer, type ModelServer } from '../../support/model-server';
import type { EngineEvent } from '../../../src/core/protocol/events';
import type { OrchestraApi } from '../../../src/extension/extension';

type Invoked = { ok: true; text: string } | { ok: false; error: string };
const invokeTool = (name: string, input: unknown): Thenable<Invoked> =>
  vscode.commands.executeCommand('orchestraTest.invokeTool', name, input);

describe('Orchestra’s tools for other extensions', function () {
  this.timeout(120_000);
  let api: OrchestraApi;
  let server: ModelServer;
  const events: EngineEvent[] = [];
  let sub: vscode.Disposable;
  const config = () => vscode.workspace.getConfiguration('orchestra');

  before(async () => {
    api = await activateOrchestra();
    server = await startModelServer({ usage: true });
    sub = api.engine.onEvent((e) => events.push(e));
    await config().update(
      'models',
      [{ id: 'orch', baseUrl: server.url, model: 'orch-model', roles: ['orchestrator', 'general'], local: true }],
      vscode.ConfigurationTarget.Global,
    );
    await config().update('orchestrator.model', 'orch', vscode.ConfigurationTarget.Global);
    await config().update('orchestrator.dialect', 'general', vscode.ConfigurationTarget.Global);
    await config().update('budget.maxDollarsPerTask', 0.3, vscode.ConfigurationTarget.Global);
    await until('the engine to serve the test orchestrator', async () =>
      (await api.engine.listModels()).some((m) => m.id === 'orch' && m.baseUrl === server.url),
    );
  });

  beforeEach(() => server.reset());

  after(async () => {
    sub?.dispose();
    for (const key of ['models', 'orchestrator.model', 'orchestrator.dialect', 'budget.maxDollarsPerTask'])
      await config().update(key, undefined, vscode.ConfigurationTarget.Global);
    await server?.close();
  });

  it('are registered for every extension to see', async () => {
    const tools = await vscode.commands.executeCommand<Array<{ name: string; tags: string[] }>>('orchestraTest.tools');
    const names = tools.map((t) => t.name);
    assert.ok(names.includes('orchestra_delegate') && names.includes('orchestra_search_workspace'), names.join(', '));
  });

  it('orchestra_delegate runs the subtask as an Orchestra task and returns its answer and cost', async () => {
    server.script('orch-model', [
      { toolCalls: [{ name: 'read_file', arguments: { path: 'src/math.py' } }] },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'fib is defined in src/math.py and is recursive.' } }] },
    ]);
    const r = await invokeTool('orchestra_delegate', { task: 'Where is fib defined?', context: 'The user is reading math code.' });
    assert.ok(r.ok, JSON.stringify(r));
    assert.match(r.text, /^fib is defined in src\/math\.py and is recursive\./);
    assert.match(r.text, /\[Orchestra task \S+ · \$0 · models orch · nothing left this machine\]/);
    const question = String(server.requestsFor('orch-model')[0].body.messages.find((m: { role: string }) => m.role === 'user')?.content);
    assert.match(question, /Where is fib defined\?[\s\S]*Context:\nThe user is reading math code\./);
    const started = events.find((e) => e.type === 'task_started' && /Where is fib defined/.test(e.question));
    assert.ok(started && started.type === 'task_started');
    assert.equal(started.privacyMode, 'any');
    assert.equal(started.budgetDollars, 0.3);
  });

  it('orchestra_delegate may only make the rules stricter', async () => {
    server.script('orch-model', [{ toolCalls: [{ name: 'answer', arguments: { answer: 'kept local' } }] }]);
    const local = await invokeTool('orchestra_delegate', { task: 'Stay local please', localOnly: true, maxDollars: 0.01 });
    assert.ok(local.ok, JSON.stringify(local));
    const started = events.find((e) => e.type === 'task_started' && e.question === 'Stay local please');
    assert.ok(started && started.type === 'task_started');
    assert.equal(started.privacyMode, 'local-only');
    assert.equal(started.budgetDollars, 0.01);

    const raised = await invokeTool('orchestra_delegate', { task: 'Spend more', maxDollars: 5 });
    assert.equal(raised.ok, false);
    if (!raised.ok) assert.match(raised.error, /above the user's cap of \$0\.3/);
    const invalid = await invokeTool('orchestra_delegate', { task: '' });
    assert.equal(invalid.ok, false);
    assert.equal(server.requestsFor('orch-model').length, 1, 'neither refused call ran a task');
  });

  it('orchestra_search_workspace finds code in the workspace', async () => {
    const r = await invokeTool('orchestra_search_workspace', { query: 'def fib' });
    assert.ok(r.ok, JSON.stringify(r));
    assert.match(r.text, /src\/math\.py/);
    const none = await invokeTool('orchestra_search_workspace', { query: 'no-such-text-anywhere-42' });
    assert.ok(none.ok);
    assert.match(none.text, /No matches/);
  });
});
