// The editor side of Orchestra in the real VS Code: a selection asked about reaches the model as
// context (with its file and lines), and code from an answer is inserted at the cursor or applied
// over the selection.
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { scriptedEngineSuite, until } from './helpers';

describe('Orchestra in the editor', function () {
  this.timeout(60_000);
  const suite = scriptedEngineSuite(['models', 'orchestrator.dialect'], {
    before: async ({ api, server }) => {
      const config = vscode.workspace.getConfiguration('orchestra');
      await config.update(
        'models',
        [{ id: 'orch', baseUrl: server.url, model: 'orch-editor', roles: ['orchestrator', 'general'], openWeights: true }],
        vscode.ConfigurationTarget.Global,
      );
      await config.update('orchestrator.dialect', 'general', vscode.ConfigurationTarget.Global);
      await until('the engine to know the model', async () => (await api.engine.listModels()).some((m) => m.baseUrl === server.url));
    },
    after: async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    },
  });

  async function openScratch(text: string): Promise<vscode.TextEditor> {
    const doc = await vscode.workspace.openTextDocument({ content: text, language: 'python' });
    return vscode.window.showTextDocument(doc);
  }

  it('Ask about selection sends the selected code, its file and lines to the model', async () => {
    const { server, events } = suite;
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const doc = await vscode.workspace.openTextDocument(join(root, 'src/math.py'));
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(1, 0, 5, 12); // the body of fib()
    server.script('orch-editor', [{ toolCalls: [{ name: 'answer', arguments: { answer: 'It iterates n times.' } }] }]);
    const before = server.requestsFor('orch-editor').length;
    // With a question given, the command skips its input box.
    const taskId = await vscode.commands.executeCommand<string | undefined>('orchestra.askAboutSelection', 'What does this loop do?');
    assert.ok(taskId, 'the command returns the task id');
    const end = await until('the task to finish', () =>
      events.find((e) => e.taskId === taskId && (e.type === 'done' || e.type === 'error')),
    );
    assert.equal(end.type, 'done', JSON.stringify(end));
    const request = server.requestsFor('orch-editor')[before];
    const prompt = JSON.stringify(request.body.messages);
    assert.match(prompt, /What does this loop do\?/);
    assert.match(prompt, /a, b = b, a \+ b/, 'the selected code is in the prompt');
    assert.match(prompt, /src\/math\.py/, 'the file is named');
    const started = events.find((e) => e.taskId === taskId && e.type === 'task_started');
    assert.ok(started && started.type === 'task_started' && started.attachments?.some((a) => a.path.endsWith('src/math.py')));
  });

  it('Insert puts code at the cursor; Apply replaces the selection', async () => {
    const editor = await openScratch('first\nsecond\nthird\n');
    editor.selection = new vscode.Selection(1, 0, 1, 0);
    await vscode.commands.executeCommand('orchestra.insertCode', 'inserted = 1\n', 'python');
    assert.equal(editor.document.getText(), 'first\ninserted = 1\nsecond\nthird\n');
    editor.selection = new vscode.Selection(3, 0, 3, 5); // "third"
    await vscode.commands.executeCommand('orchestra.applyCode', 'applied = 2', 'python');
    assert.equal(editor.document.getText(), 'first\ninserted = 1\nsecond\napplied = 2\n');
  });
});
