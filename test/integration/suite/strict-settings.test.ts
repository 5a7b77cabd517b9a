// Strict settings inside the real VS Code: a misspelt key in settings.json or in the workspace's
// orchestra.json is reported with its path and the key meant, nothing runs until it is fixed, VS Code
// itself underlines it (package.json's settings schema, and the JSON Schema shipped for
// orchestra.json), and a valid orchestra.json applies as a workspace scope: it can tighten the
// privacy mode and the budget, never loosen them.
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { activateOrchestra, until } from './helpers';
import { startModelServer } from '../../support/model-server';
import type { ModelServer } from '../../support/model-server';
import type { EngineEvent } from '../../../src/core/protocol/events';
import type { OrchestraApi } from '../../../src/extension/extension';

describe('Strict settings and the workspace config file', function () {
  this.timeout(120_000);
  let api: OrchestraApi;
  let server: ModelServer;
  const events: EngineEvent[] = [];
  let sub: vscode.Disposable | undefined;
  const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
  const settingsDir = join(folder, '.vscode');
  const settingsFile = join(settingsDir, 'settings.json');
  const configFile = join(folder, 'orchestra.json');
  const hadSettingsDir = existsSync(settingsDir);
  let settingsBefore: string | undefined;

  const problems = () => api.settings.problems();
  const writeSettings = (obj: Record<string, unknown>) => {
    mkdirSync(settingsDir, { recursive: true });
    writeFileSync(settingsFile, JSON.stringify(obj, null, 2));
  };
  async function askAndFinish(question: string): Promise<{ end: EngineEvent; started?: EngineEvent }> {
    const { taskId } = await api.engine.ask({ question });
    const end = await until(`the end of ${taskId}`, () =>
      events.find((e) => e.taskId === taskId && (e.type === 'done' || e.type === 'error')),
    );
    return { end, started: events.find((e) => e.taskId === taskId && e.type === 'task_started') };
  }

  before(async () => {
    api = await activateOrchestra();
    server = await startModelServer({ usage: true });
    sub = api.engine.onEvent((e) => events.push(e));
    settingsBefore = existsSync(settingsFile) ? readFileSync(settingsFile, 'utf8') : undefined;
    const cfg = vscode.workspace.getConfiguration('orchestra');
    await cfg.update(
      'models',
      [{ id: 'orch', baseUrl: server.url, model: 'orch-model', roles: ['orchestrator', 'general'], openWeights: true }],
      vscode.ConfigurationTarget.Global,
    );
    await cfg.update('orchestrator.dialect', 'general', vscode.ConfigurationTarget.Global);
    await until('valid settings', () => problems().length === 0 || undefined);
  });

  after(async () => {
    sub?.dispose();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    rmSync(configFile, { force: true });
    if (settingsBefore !== undefined) writeFileSync(settingsFile, settingsBefore);
    else if (!hadSettingsDir) rmSync(settingsDir, { recursive: true, force: true });
    else rmSync(settingsFile, { force: true });
    const cfg = vscode.workspace.getConfiguration('orchestra');
    await cfg.update('models', undefined, vscode.ConfigurationTarget.Global);
    await cfg.update('orchestrator.dialect', undefined, vscode.ConfigurationTarget.Global);
    await until('valid settings again', () => problems().length === 0 || undefined, 15_000).catch(() => undefined);
    await server?.close();
  });

  it('a misspelt key in settings.json is named with the key meant, underlined by VS Code, and nothing runs', async () => {
    writeSettings({
      'orchestra.privacyMod': 'local-only',
      'orchestra.budget.maxDollarPerTask': 0.05,
      'orchestra.models': [{ id: 'orch', baseUrl: server.url, model: 'orch-model', roles: ['orchestrator'], loacl: true }],
    });
    const found = await until('the misspelt keys to be reported', () => {
      const p = problems();
      return ['privacyMod', 'budget.maxDollarPerTask', 'models[0].loacl'].every((path) => p.some((x) => x.path === path)) && p;
    });
    assert.match(found.find((p) => p.path === 'privacyMod')!.message, /did you mean "privacyMode"\?/);
    assert.match(found.find((p) => p.path === 'budget.maxDollarPerTask')!.message, /did you mean "maxDollarsPerTask"\?/);
    assert.match(found.find((p) => p.path === 'models[0].loacl')!.message, /did you mean "local"\?/);

    const sent = server.requests.length;
    await assert.rejects(api.engine.ask({ question: 'Where does this go?' }), /will not run while its settings are invalid.*privacyMod/);
    assert.equal(await vscode.commands.executeCommand('orchestra.ask', 'Where does this go?'), undefined, 'the command starts no task');
    assert.equal(server.requests.length, sent, 'no request was sent');

    // VS Code underlines the misspelt key inside the models entry (its schema has additionalProperties: false).
    const doc = await vscode.window.showTextDocument(vscode.Uri.file(settingsFile));
    const diagnostics = await until(
      'settings.json diagnostics',
      () => {
        const d = vscode.languages.getDiagnostics(doc.document.uri);
        return d.some((x) => /loacl/.test(x.message)) && d;
      },
      30_000,
      200,
    );
    assert.ok(diagnostics.some((d) => /Property loacl is not allowed/.test(d.message) && d.severity <= vscode.DiagnosticSeverity.Warning));
    const unknown = diagnostics.filter((d) => /Unknown Configuration Setting/.test(d.message)).map((d) => doc.document.getText(d.range));
    assert.deepEqual(unknown.sort(), ['"orchestra.budget.maxDollarPerTask"', '"orchestra.privacyMod"']);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');

    writeSettings({});
    await until('the problems to clear', () => problems().length === 0 || undefined);
    server.script('orch-model', [{ toolCalls: [{ name: 'answer', arguments: { answer: 'fixed' } }] }]);
    const { end } = await askAndFinish('And now?');
    assert.equal(end.type, 'done', JSON.stringify(end));
  });

  it('orchestra.json: a typo is named in the file and underlined by the shipped schema; valid, it can only tighten', async () => {
    writeFileSync(
      configFile,
      '{\n  // shared with the CLI\n  "privacyMode": "open-weights-only",\n  "budget": { "maxDollarPerTask": 0.05 }\n}\n',
    );
    const p = await until('the file problem', () => problems().find((x) => x.path === 'budget.maxDollarPerTask'));
    assert.equal(p.source, configFile);
    assert.match(p.message, /did you mean "maxDollarsPerTask"\?/);
    await assert.rejects(api.engine.ask({ question: 'Run?' }), /orchestra\.json: budget\.maxDollarPerTask/);

    const doc = await vscode.window.showTextDocument(vscode.Uri.file(configFile));
    await until(
      'orchestra.json diagnostics from the shipped schema',
      () => vscode.languages.getDiagnostics(doc.document.uri).some((d) => /maxDollarPerTask/.test(d.message)) || undefined,
      30_000,
      200,
    );
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');

    // Valid: the file's stricter privacy and lower cap apply; its higher turn limit does not.
    writeFileSync(configFile, JSON.stringify({ privacyMode: 'local-only', budget: { maxDollarsPerTask: 0.1, maxTurns: 99 } }));
    await until('the file problem to clear', () => problems().length === 0 || undefined);
    server.script('orch-model', [{ toolCalls: [{ name: 'answer', arguments: { answer: 'ok' } }] }]);
    let run = await askAndFinish('Which rules?');
    assert.ok(run.started?.type === 'task_started', JSON.stringify(run.end));
    assert.equal(run.started.privacyMode, 'local-only');
    assert.equal(run.started.budgetDollars, 0.1);

    // A looser file changes nothing: the user's (default) rules stand.
    writeFileSync(configFile, JSON.stringify({ privacyMode: 'any', budget: { maxDollarsPerTask: 100 } }));
    server.setHandler('orch-model', () => ({ toolCalls: [{ name: 'answer', arguments: { answer: 'ok' } }] }));
    const looser = await until(
      'the looser file to be read',
      async () => {
        const r = await askAndFinish('And now?');
        return r.started?.type === 'task_started' && r.started.privacyMode === 'any' && r.started;
      },
      30_000,
      300,
    );
    assert.equal(looser.budgetDollars, 0.5, 'the file cannot raise the cap above the default');
    rmSync(configFile, { force: true });
  });
});
