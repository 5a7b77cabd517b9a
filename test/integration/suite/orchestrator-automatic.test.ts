// The composer picker's "Automatic" as the extension carries it out, inside the real VS Code: the
// orchestrator setting removed from the scopes it takes effect from (and no other), the engine then
// picking the orchestrator itself, and a refusal, with nothing written, while orchestra.json names one.
import * as assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { activateOrchestra, until } from './helpers';
import { startModelServer, type ModelServer } from '../../support/model-server';
import type { EngineEvent } from '../../../src/core/protocol/events';
import type { OrchestraApi } from '../../../src/extension/extension';
import {
  automaticOrchestratorRefusal,
  switchOrchestratorAutomatic,
  type ComposerSettingsHost,
} from '../../../src/extension/composer-settings';
import { automaticOrchestratorOf } from '../../../src/extension/models/model-rows';
import { readSettings } from '../../../src/extension/settings';
import { parseConfig } from '../../../src/core/config';

const { Global, Workspace } = vscode.ConfigurationTarget;
const KEY = 'orchestrator.model';

describe('the orchestrator picker’s "Automatic"', function () {
  this.timeout(60_000);
  let api: OrchestraApi;
  let server: ModelServer;
  let log: vscode.LogOutputChannel;
  const events: EngineEvent[] = [];
  let sub: vscode.Disposable | undefined;

  const config = () => vscode.workspace.getConfiguration('orchestra');
  const scopes = () => {
    const i = config().inspect<string>(KEY);
    return { user: i?.globalValue, workspace: i?.workspaceValue };
  };
  /** The extension's side of the composer, over the settings as they are now (read as the settings watcher reads them). */
  const host = (): ComposerSettingsHost => ({
    log,
    engine: { runningTasks: [] },
    settings: { config: parseConfig(readSettings().raw).config },
    models: undefined,
  });

  before(async () => {
    api = await activateOrchestra();
    server = await startModelServer({ usage: true });
    log = vscode.window.createOutputChannel('Orchestra automatic test', { log: true });
    sub = api.engine.onEvent((e) => events.push(e));
    // `picked` has no orchestrator role; `auto` has it: the automatic choice.
    await config().update(
      'models',
      [
        { id: 'picked', baseUrl: server.url, model: 'picked-model', roles: ['general'], openWeights: true },
        { id: 'auto', baseUrl: server.url, model: 'auto-model', roles: ['orchestrator', 'general'], openWeights: true },
      ],
      Global,
    );
    await config().update('orchestrator.dialect', 'general', Global);
    await until('the engine to know the models', async () => (await api.engine.listModels()).some((m) => m.baseUrl === server.url));
  });

  after(async () => {
    sub?.dispose();
    log?.dispose();
    for (const [key, target] of [
      ['models', Global],
      ['orchestrator.dialect', Global],
      [KEY, Global],
      [KEY, Workspace],
    ] as const)
      await config().update(key, undefined, target);
    await server?.close();
  });

  it('removes the value where it takes effect and where it would take over, keeps an empty one below, and the engine picks', async () => {
    await config().update(KEY, 'picked', Global);
    await config().update(KEY, 'picked', Workspace);
    assert.equal(automaticOrchestratorRefusal(), undefined, 'nothing stands in the way');
    const change = await switchOrchestratorAutomatic(host());
    assert.deepEqual(change, {
      ok: true,
      message: 'Orchestrator: Automatic, now auto (removed from the workspace settings and your user settings).',
    });
    assert.deepEqual(scopes(), { user: undefined, workspace: undefined });

    // An explicit empty user value ("automatic" everywhere) is the user's own: only the workspace's model goes.
    await config().update(KEY, '', Global);
    await config().update(KEY, 'picked', Workspace);
    assert.equal(automaticOrchestratorOf(host().settings.config, undefined), 'auto');
    const again = await switchOrchestratorAutomatic(host());
    assert.equal(again.message, 'Orchestrator: Automatic, now auto (removed from the workspace settings).');
    assert.deepEqual(scopes(), { user: '', workspace: undefined });
    assert.deepEqual(await switchOrchestratorAutomatic(host()), { ok: true, message: 'Orchestrator: Automatic already, now auto.' });

    // The engine, told of the change by the extension's settings watcher, picks the orchestrator itself.
    server.script('auto-model', [{ toolCalls: [{ name: 'answer', arguments: { answer: 'Picked automatically.' } }] }]);
    await until('the extension host to see the change', () => config().get(KEY) === '');
    await new Promise((r) => setTimeout(r, 0)); // the extension's listener sends the settings to the engine in that turn
    const taskId = await vscode.commands.executeCommand<string | undefined>('orchestra.ask', 'Who answers?');
    assert.ok(taskId, 'the Ask command returns the task id');
    const started = await until('the task to start', () => events.find((e) => e.taskId === taskId && e.type === 'task_started'));
    assert.equal(started.type === 'task_started' && started.orchestratorModel, 'auto');
    const end = await until('the task to finish', () =>
      events.find((e) => e.taskId === taskId && (e.type === 'done' || e.type === 'error')),
    );
    assert.equal(end.type, 'done', JSON.stringify(end));
    assert.equal(server.requestsFor('picked-model').length, 0, 'the model set before was not asked');
  });

  it('is refused, naming orchestra.json, while the workspace file names a model; nothing is written', async () => {
    const file = join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'orchestra.json');
    await config().update(KEY, 'picked', Global);
    // The file is checked on its own too, so it lists the models it names.
    writeFileSync(file, JSON.stringify({ models: config().get('models'), orchestrator: { model: 'picked' } }));
    try {
      const reason = 'orchestrator.model is "picked" in orchestra.json (edit the file to clear it)';
      assert.equal(automaticOrchestratorRefusal(), reason);
      assert.deepEqual(await switchOrchestratorAutomatic(host()), { ok: false, message: `The orchestrator stays as it is: ${reason}.` });
      assert.deepEqual(scopes(), { user: 'picked', workspace: undefined }, 'the user setting is unchanged');
      // A workspace value above the file: removing it would bring the file's back, so it stays too.
      await config().update(KEY, 'auto', Workspace);
      const under = await switchOrchestratorAutomatic(host());
      assert.equal(under.ok, false);
      assert.match(under.message, /"picked" in orchestra\.json; removing it from the workspace settings would bring that back/);
      assert.deepEqual(scopes(), { user: 'picked', workspace: 'auto' });
    } finally {
      rmSync(file, { force: true });
    }
    // Without the file the same request goes through.
    assert.equal(automaticOrchestratorRefusal(), undefined);
    assert.equal((await switchOrchestratorAutomatic(host())).ok, true);
    assert.deepEqual(scopes(), { user: undefined, workspace: undefined });
  });
});
