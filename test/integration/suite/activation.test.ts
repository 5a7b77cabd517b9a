// Issue 2's frame, checked inside the real VS Code extension host: the extension activates from its
// manifest, every contributed command is registered and runs, the view container exists, and the
// `orchestra.*` settings are read and written through VS Code's own configuration API.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { OrchestraApi } from '../../../src/extension/extension';
import { activateOrchestra, EXTENSION_ID } from './helpers';

describe('Orchestra in VS Code', function () {
  this.timeout(60_000);
  let api: OrchestraApi;

  before(async () => {
    api = await activateOrchestra();
    console.log(`      (extension host: VS Code ${vscode.version}, Node ${process.version}, pid ${process.pid})`);
  });

  it('activates and returns its API', () => {
    assert.equal(vscode.extensions.getExtension(EXTENSION_ID)?.isActive, true);
    assert.equal(typeof api.engine.ask, 'function');
    assert.equal(typeof api.settings.problems, 'function');
  });

  it('registers every command its manifest contributes', async () => {
    const contributed: string[] = vscode.extensions
      .getExtension(EXTENSION_ID)!
      .packageJSON.contributes.commands.map((c: { command: string }) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((c) => !registered.has(c));
    assert.deepEqual(missing, []);
    assert.ok(contributed.length >= 9);
  });

  it('opens the panel and the log through their commands', async () => {
    await vscode.commands.executeCommand('orchestra.openPanel');
    await vscode.commands.executeCommand('orchestra.showLog');
    // The view's focus command exists only when the view is contributed and registered.
    await vscode.commands.executeCommand('orchestra.panel.focus');
  });

  it('reads defaults and writes settings through the configuration API', async () => {
    const cfg = vscode.workspace.getConfiguration('orchestra');
    assert.equal(cfg.get('privacyMode'), 'any');
    assert.equal(cfg.get('budget.maxDollarsPerTask'), 0.5);
    assert.equal(cfg.get('tools.runCode.autoApprove'), false);
    try {
      await cfg.update('budget.maxTurns', 7, vscode.ConfigurationTarget.Global);
      assert.equal(vscode.workspace.getConfiguration('orchestra').get('budget.maxTurns'), 7);
      await cfg.update('privacyMode', 'local-only', vscode.ConfigurationTarget.Global);
      assert.equal(vscode.workspace.getConfiguration('orchestra').get('privacyMode'), 'local-only');
      assert.deepEqual(api.settings.problems(), []);
      // A value the schema refuses is reported by its name, not silently used.
      await cfg.update('budget.maxTurns', -3, vscode.ConfigurationTarget.Global);
      const deadline = Date.now() + 5_000;
      while (!api.settings.problems().some((p) => p.path === 'budget.maxTurns') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      assert.ok(
        api.settings.problems().some((p) => p.path === 'budget.maxTurns'),
        JSON.stringify(api.settings.problems()),
      );
    } finally {
      await cfg.update('budget.maxTurns', undefined, vscode.ConfigurationTarget.Global);
      await cfg.update('privacyMode', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
