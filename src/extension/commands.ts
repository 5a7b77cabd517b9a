// Every `orchestra.*` command. Each one is a small flow over the Orchestra object; the guided ones
// (add a model endpoint, discover local servers) live in their own files.
import * as vscode from 'vscode';
import { PRIVACY_MODES } from '../core/config';
import type { PrivacyMode } from '../core/config';
import type { Attachment } from '../core/engine-api';
import { addModelEndpoint } from './add-model';
import { discoverLocalServers } from './discover';
import { downloadLocalModel, useLocalModelFile } from './local-models';
import { applyCode, insertCode } from './editor-actions';
import type { Orchestra } from './orchestra';
import { switchPrivacyMode } from './composer-settings';
import { originOf } from './secrets';
import { webSearchEndpoint } from '../core/tools/web-search';
import { COMMANDS, type CommandId } from './command-ids';
import { modelCommandHandlers } from './models/model-commands';
import { openEvalReport } from './eval-report';
import type { ModelsView } from './models/models-view';

export { COMMANDS } from './command-ids';

/** Files bigger than this are attached cut, and the attachment says so. */
const MAX_FILE_ATTACHMENT_CHARS = 200_000;

// Each handler declares the argument types VS Code passes it (URIs, ids); the registry calls them with what it got.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CommandHandler = (...args: any[]) => unknown;

/** The handler of every command of COMMAND_IDS. extension.ts registers the ids at activation and loads these on first use. */
export function commandHandlers(o: Orchestra, models: ModelsView): Record<CommandId, CommandHandler> {
  return {
    ...modelCommandHandlers(o, models),
    [COMMANDS.ask]: async (question?: string) => {
      const q =
        typeof question === 'string' && question.trim()
          ? question
          : await askForQuestion('Ask Orchestra', 'e.g. Why does parse() fail on empty input?');
      if (!q) return undefined;
      return o.ask({ question: q });
    },

    [COMMANDS.askAboutSelection]: async (question?: string) => {
      const attachments = selectionAttachments();
      if (!attachments) return undefined;
      const q =
        typeof question === 'string' && question.trim()
          ? question
          : await askForQuestion('Ask about the selection', 'e.g. What does this do? Is there a bug?');
      if (!q) return undefined;
      return o.ask({ question: q, attachments });
    },

    [COMMANDS.delegateSelection]: async () => {
      const attachments = selectionAttachments();
      if (!attachments) return undefined;
      const role = await vscode.window.showQuickPick(
        [
          { label: '$(code) Code model', description: 'write, fix or refactor code', role: 'code' as const },
          { label: '$(symbol-operator) Math model', description: 'derive, prove or compute', role: 'math' as const },
        ],
        { title: 'Delegate the selection to…', placeHolder: 'Which kind of model should work on it?' },
      );
      if (!role) return undefined;
      const q = await vscode.window.showInputBox({
        title: `Delegate to a ${role.role} model`,
        prompt: 'What should the model do with the selection?',
        value: role.role === 'math' ? 'Solve this and explain the steps.' : 'Improve this code and explain the changes.',
        ignoreFocusOut: true,
      });
      if (!q?.trim()) return undefined;
      return o.ask({ question: q, attachments, preferRole: role.role });
    },

    [COMMANDS.openPanel]: () => o.panel.reveal(),

    [COMMANDS.openEvalReport]: (target?: vscode.Uri) => openEvalReport(target),

    [COMMANDS.setPrivacyMode]: async (mode?: PrivacyMode) => {
      let chosen = typeof mode === 'string' && (PRIVACY_MODES as readonly string[]).includes(mode) ? mode : undefined;
      if (!chosen) {
        const current = o.settings.config.privacyMode;
        const items: Array<vscode.QuickPickItem & { mode: PrivacyMode }> = [
          { mode: 'any', label: '$(globe) Any model', detail: 'Every configured model and tool may be used, local or remote.' },
          {
            mode: 'open-weights-only',
            label: '$(unlock) Open-weights models only',
            detail: 'Only models marked open-weights (they may still run remotely).',
          },
          {
            mode: 'local-only',
            label: '$(lock) Local only',
            detail: 'Nothing leaves this machine: only local models and tools. Enforced, not advised.',
          },
        ];
        for (const i of items) if (i.mode === current) i.description = '(current)';
        const pick = await vscode.window.showQuickPick(items, {
          title: 'Orchestra privacy mode',
          placeHolder: 'Which models may Orchestra use?',
        });
        chosen = pick?.mode;
      }
      if (!chosen) return undefined;
      // A workspace's stricter rule (orchestra.json, an untrusted workspace's settings) is not loosened.
      const change = await switchPrivacyMode(o, chosen);
      if (!change.ok) {
        void vscode.window.showErrorMessage(change.message);
        return undefined;
      }
      return chosen;
    },

    [COMMANDS.addModel]: (baseUrl?: string) => addModelEndpoint(o, baseUrl),

    [COMMANDS.setApiKey]: async (modelId?: string) => {
      let target = typeof modelId === 'string' ? modelId : undefined;
      if (!target) {
        const items: Array<vscode.QuickPickItem & { target: string }> = [];
        for (const m of o.settings.config.models) {
          items.push({
            target: m.id,
            label: m.id,
            description: `${m.model} · ${m.baseUrl}`,
            detail: (await o.keys.hasModelKey(m.id)) ? 'a key is stored' : 'no key stored',
          });
        }
        items.push({
          target: 'webSearch',
          label: '$(search) Web search provider',
          description: o.settings.config.tools.webSearch.provider,
        });
        const pick = await vscode.window.showQuickPick(items, { title: 'Set API key', placeHolder: 'For which model endpoint?' });
        target = pick?.target;
      }
      if (!target) return undefined;
      // The key is bound to the endpoint it is entered for and sent nowhere else.
      const endpoint =
        target === 'webSearch'
          ? webSearchEndpoint(o.settings.config.tools.webSearch)
          : o.settings.config.models.find((m) => m.id === target)?.baseUrl;
      const origin = originOf(endpoint);
      const key = await vscode.window.showInputBox({
        title: `API key for ${target === 'webSearch' ? 'web search' : target}`,
        prompt: `Stored in VS Code’s secret storage, never in settings${origin ? `, and sent only to ${origin}` : ''}. Leave empty to remove the stored key.`,
        password: true,
        ignoreFocusOut: true,
      });
      if (key === undefined) return undefined;
      if (key && !origin) {
        throw new Error(
          target === 'webSearch'
            ? 'choose a web search provider (orchestra.tools.webSearch.provider) and its URL before storing its key'
            : `no model with id "${target}" is configured (orchestra.models), so there is no endpoint to bind its key to`,
        );
      }
      if (target === 'webSearch') {
        if (key) await o.keys.setWebSearchKey(key.trim(), origin!);
        else await o.keys.deleteWebSearchKey();
      } else if (key)
        await o.keys.setModelKey(target, key.trim(), origin!, o.settings.config.models.find((m) => m.id === target)?.baseUrls);
      else await o.keys.deleteModelKey(target);
      o.log.info(`API key for ${target} ${key ? 'stored' : 'removed'}`);
      void vscode.window.showInformationMessage(
        `Orchestra: API key for ${target === 'webSearch' ? 'web search' : target} ${key ? 'stored' : 'removed'}.`,
      );
      return undefined;
    },

    [COMMANDS.discoverLocalServers]: () => discoverLocalServers(o),

    // Arguments (for keybindings and scripts): a task id and a target file URI; the save dialog otherwise.
    [COMMANDS.exportTrajectory]: async (taskId?: string, target?: vscode.Uri) => {
      const id = typeof taskId === 'string' ? taskId : o.session.lastTaskId;
      if (!id) {
        void vscode.window.showInformationMessage('Orchestra: no task has run in this session yet, so there is no trajectory to export.');
        return undefined;
      }
      const jsonl = await o.engine.trajectory(id);
      if (!jsonl) {
        void vscode.window.showWarningMessage(
          `Orchestra: the engine has no trajectory for task ${id} (it keeps the last few tasks, and a restart clears them).`,
        );
        return undefined;
      }
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
      const uri =
        target instanceof vscode.Uri
          ? target
          : await vscode.window.showSaveDialog({
              title: 'Export trajectory',
              defaultUri: folder ? vscode.Uri.joinPath(folder, `orchestra-${id}.jsonl`) : undefined,
              filters: { 'JSON Lines': ['jsonl'] },
            });
      if (!uri) return undefined;
      await vscode.workspace.fs.writeFile(uri, Buffer.from(jsonl, 'utf8'));
      o.log.info(`trajectory of task ${id} written to ${uri.fsPath}`);
      void vscode.window.showInformationMessage(`Orchestra: trajectory written to ${vscode.workspace.asRelativePath(uri)}.`);
      return uri;
    },

    [COMMANDS.showLog]: () => o.log.show(true),

    [COMMANDS.cancelTask]: async (taskId?: string) => {
      const running = o.session.runningTasks;
      let id = typeof taskId === 'string' ? taskId : undefined;
      if (!id) {
        if (!running.length) {
          void vscode.window.showInformationMessage('Orchestra: no task is running.');
          return false;
        }
        id = running.length === 1 ? running[0] : await vscode.window.showQuickPick(running, { title: 'Stop which task?' });
      }
      if (!id) return false;
      return o.cancel(id);
    },

    [COMMANDS.restartEngine]: async () => {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Orchestra: restarting the engine…' },
        async () => {
          try {
            await o.engine.restart();
            o.log.info('engine restarted');
          } catch (err) {
            o.reportEngineError('engine did not start', err);
          }
        },
      );
    },

    [COMMANDS.newConversation]: () => o.panel.newConversation(),

    [COMMANDS.openWalkthrough]: () =>
      vscode.commands.executeCommand('workbench.action.openWalkthrough', `${o.context.extension.id}#orchestra.start`, false),

    // Arguments (scripts, tests): a catalog id and `{ dir }`; the pick otherwise.
    [COMMANDS.downloadLocalModel]: (catalogId?: string, options?: { dir?: string }) => downloadLocalModel(o, catalogId, options),
    // Argument: the file (URI or path); the open dialog otherwise.
    [COMMANDS.useLocalModelFile]: (file?: vscode.Uri | string) => useLocalModelFile(o, file),

    // Used by the panel's code-block buttons and by keybindings; not in the command palette.
    'orchestra.insertCode': (code: string, language?: string) => insertCode(code, language),
    // The Chat view's "Open in Orchestra" button: the task's full tree in the panel.
    'orchestra.showTask': (taskId?: unknown) => (typeof taskId === 'string' && taskId ? o.panel.revealTask(taskId) : o.panel.reveal()),
    'orchestra.applyCode': (code: string, language?: string) => applyCode(code, o.proposals, language),
  };
}

async function askForQuestion(title: string, placeHolder: string): Promise<string | undefined> {
  const q = await vscode.window.showInputBox({
    title,
    placeHolder,
    prompt: 'Orchestra coordinates models and tools to answer; progress shows in the Orchestra panel.',
    ignoreFocusOut: true,
  });
  return q?.trim() ? q.trim() : undefined;
}

/** The active editor's selection and its file, as attachments; undefined (with a message) when nothing is selected. */
export function selectionAttachments(): Attachment[] | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.selection.isEmpty) {
    void vscode.window.showInformationMessage('Orchestra: select some code in an editor first.');
    return undefined;
  }
  const doc = editor.document;
  const path = vscode.workspace.asRelativePath(doc.uri, false);
  const sel = editor.selection;
  const whole = doc.getText();
  const fileText =
    whole.length > MAX_FILE_ATTACHMENT_CHARS
      ? `${whole.slice(0, MAX_FILE_ATTACHMENT_CHARS)}\n[file cut: ${whole.length - MAX_FILE_ATTACHMENT_CHARS} more characters not attached]`
      : whole;
  return [
    { kind: 'selection', path, text: doc.getText(sel), language: doc.languageId, startLine: sel.start.line + 1, endLine: sel.end.line + 1 },
    { kind: 'file', path, text: fileText, language: doc.languageId },
  ];
}
