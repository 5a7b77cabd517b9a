// Orchestra's commands as a user (or a keybinding) runs them inside the real VS Code: privacy mode
// written to the settings (and not loosened past the workspace's orchestra.json), a question asked
// through the Ask command, its trajectory exported.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, until } from './helpers';
import { startModelServer } from '../../support/model-server';
import type { ModelServer } from '../../support/model-server';
import type { EngineEvent } from '../../../src/core/protocol/events';
import type { OrchestraApi } from '../../../src/extension/extension';

describe('Orchestra commands', function () {
  this.timeout(60_000);
  let api: OrchestraApi;
  let server: ModelServer;
  let scratch: string;
  const events: EngineEvent[] = [];
  let sub: vscode.Disposable | undefined;

  before(async () => {
    const ext = vscode.extensions.getExtension<OrchestraApi>(EXTENSION_ID);
    assert.ok(ext);
    api = ext.isActive ? ext.exports : await ext.activate();
    server = await startModelServer({ usage: true });
    scratch = mkdtempSync(join(tmpdir(), 'orchestra-commands-'));
    sub = api.engine.onEvent((e) => events.push(e));
  });

  after(async () => {
    sub?.dispose();
    const config = vscode.workspace.getConfiguration('orchestra');
    for (const key of ['models', 'orchestrator.model', 'orchestrator.dialect', 'privacyMode'])
      await config.update(key, undefined, vscode.ConfigurationTarget.Global);
    await server?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('Set privacy mode writes the setting, and the engine follows it', async () => {
    const config = vscode.workspace.getConfiguration('orchestra');
    await config.update(
      'models',
      [{ id: 'remote', baseUrl: 'https://models.example.invalid/v1', model: 'm', roles: ['general'] }],
      vscode.ConfigurationTarget.Global,
    );
    assert.equal(await vscode.commands.executeCommand('orchestra.setPrivacyMode', 'local-only'), 'local-only');
    assert.equal(vscode.workspace.getConfiguration('orchestra').get('privacyMode'), 'local-only');
    // The remote model is ineligible now, and the engine says which rule excludes it.
    const models = await until('the engine to apply local-only', async () => {
      const list = await api.engine.listModels();
      return list.find((m) => m.id === 'remote' && !m.eligible) ? list : undefined;
    });
    assert.match(models.find((m) => m.id === 'remote')!.ineligibleReason ?? '', /local/i);
    await vscode.commands.executeCommand('orchestra.setPrivacyMode', 'any');
    assert.equal(vscode.workspace.getConfiguration('orchestra').get('privacyMode'), 'any');
  });

  it('Set privacy mode does not loosen what the workspace’s orchestra.json keeps, and says why', async () => {
    const configFile = join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'orchestra.json');
    await vscode.workspace.getConfiguration('orchestra').update('privacyMode', 'open-weights-only', vscode.ConfigurationTarget.Global);
    writeFileSync(configFile, JSON.stringify({ privacyMode: 'local-only' }));
    try {
      assert.equal(await vscode.commands.executeCommand('orchestra.setPrivacyMode', 'any'), undefined, 'refused');
      const user = vscode.workspace.getConfiguration('orchestra').inspect('privacyMode')?.globalValue;
      assert.equal(user, 'open-weights-only', 'the user setting is unchanged');
      // Tightening (or keeping) what the file says goes through.
      assert.equal(await vscode.commands.executeCommand('orchestra.setPrivacyMode', 'local-only'), 'local-only');
      assert.equal(vscode.workspace.getConfiguration('orchestra').inspect('privacyMode')?.globalValue, 'local-only');
    } finally {
      rmSync(configFile, { force: true });
      await vscode.workspace.getConfiguration('orchestra').update('privacyMode', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('Ask starts a task and Export last trajectory writes its JSONL', async () => {
    const config = vscode.workspace.getConfiguration('orchestra');
    await config.update(
      'models',
      [{ id: 'orch', baseUrl: server.url, model: 'orch-model', roles: ['orchestrator', 'general'], openWeights: true }],
      vscode.ConfigurationTarget.Global,
    );
    await config.update('orchestrator.model', 'orch', vscode.ConfigurationTarget.Global);
    await config.update('orchestrator.dialect', 'general', vscode.ConfigurationTarget.Global);
    await until('the engine to know the model', async () => (await api.engine.listModels()).some((m) => m.baseUrl === server.url));
    server.script('orch-model', [{ toolCalls: [{ name: 'answer', arguments: { answer: 'Exported soon.' } }] }]);
    const taskId = await vscode.commands.executeCommand<string | undefined>('orchestra.ask', 'What does math.py compute?');
    assert.ok(taskId, 'the Ask command returns the task id');
    const end = await until('the task to finish', () =>
      events.find((e) => e.taskId === taskId && (e.type === 'done' || e.type === 'error')),
    );
    assert.equal(end.type, 'done', JSON.stringify(end));
    const target = vscode.Uri.file(join(scratch, 'trajectory.jsonl'));
    const written = await vscode.commands.executeCommand<vscode.Uri | undefined>('orchestra.exportTrajectory', undefined, target);
    assert.equal(written?.fsPath, target.fsPath);
    const lines = readFileSync(target.fsPath, 'utf8').trim().split('\n');
    assert.ok(lines.length >= 2, 'a header and more');
    const parsed = lines.map((l) => JSON.parse(l));
    assert.match(JSON.stringify(parsed[0]), /What does math\.py compute\?/);
  });
});
