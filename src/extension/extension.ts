// Orchestra's VS Code entry point, kept small because VS Code loads and runs it at startup: it
// registers the commands, the panel's view provider, the status bar and a settings listener, and
// nothing else. The rest (dist/extension-main.js: engine client, zod schemas, panel session, command
// flows) is loaded on first use — a command, the panel being shown, the API — or a few seconds after
// activation in the background, when the engine is warmed up too. Activation is `onStartupFinished`
// so the status bar (privacy mode and spend) is there from the start.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PrivacyMode } from '../core/config';
import { COMMAND_IDS } from './command-ids';
import type { ExtensionMain, OrchestraApi } from './api';
import { OrchestraStatusBar } from './status-bar';

/** How long after activation the rest is loaded and the engine started, when nothing needed them earlier. */
const BACKGROUND_LOAD_DELAY_MS = 3000;
/** The privacy modes, loosest first (core/config's PRIVACY_MODES, repeated here so that zod stays out of this bundle). */
const PRIVACY_MODES = ['any', 'open-weights-only', 'local-only'] as const satisfies readonly PrivacyMode[];

export type { OrchestraApi } from './api';

let deactivateMain: (() => Promise<void>) | undefined;

export function activate(context: vscode.ExtensionContext): OrchestraApi {
  // Only VS Code's own test mode: an environment variable could be set by anything that starts VS Code.
  const testApi = context.extensionMode === vscode.ExtensionMode.Test;
  const statusBar = new OrchestraStatusBar();
  context.subscriptions.push(statusBar);
  // Until the rest is loaded, the status bar shows the privacy mode as set (validated once loaded).
  const showRawStatus = () => {
    // The strictest of the scopes, as settings.ts combines them (a workspace cannot loosen it).
    const i = vscode.workspace.getConfiguration('orchestra').inspect<string>('privacyMode');
    const ranks = [i?.globalValue, i?.workspaceValue, i?.workspaceFolderValue].map((v) => PRIVACY_MODES.findIndex((m) => m === v));
    const privacyMode = PRIVACY_MODES[Math.max(0, ...ranks)];
    statusBar.update({ privacyMode, sessionDollars: 0, engine: 'stopped', problems: 0 });
  };
  showRawStatus();

  let main: ExtensionMain | undefined;
  // The Models tree is registered now (an empty view would say no provider is registered) and fed once loaded.
  const modelsChanged = new vscode.EventEmitter<void>();
  /** Loads the rest synchronously (require), once; everything that needs it goes through here. */
  const load = (): ExtensionMain => {
    if (!main) {
      // A computed path, so esbuild leaves this require alone: extension-main.js is its own bundle next to this one,
      // loaded synchronously on first use (activation stays small).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(path.join(__dirname, 'extension-main.js')) as typeof import('./extension-main');
      main = mod.loadExtensionMain(context, statusBar, { testApi, modelsChanged });
    }
    return main;
  };
  const modelsTree = vscode.window.createTreeView('orchestra.models', {
    treeDataProvider: {
      onDidChangeTreeData: modelsChanged.event,
      getTreeItem: (node: Parameters<ExtensionMain['models']['getTreeItem']>[0]) => load().models.getTreeItem(node),
      getChildren: (node?: Parameters<ExtensionMain['models']['getChildren']>[0]) => load().models.getChildren(node),
    },
    showCollapseAll: true,
  });
  deactivateMain = () => main?.dispose() ?? Promise.resolve();

  const background = setTimeout(() => {
    try {
      load().orchestra.warmUp();
    } catch (err) {
      console.error(`[orchestra] loading the extension failed: ${err instanceof Error ? err.stack : String(err)}`);
    }
  }, BACKGROUND_LOAD_DELAY_MS);

  context.subscriptions.push(
    modelsChanged,
    modelsTree,
    modelsTree.onDidChangeVisibility((e) => load().models.setVisible(e.visible)),
    { dispose: () => clearTimeout(background) },
    ...COMMAND_IDS.map((id) =>
      vscode.commands.registerCommand(id, (...args: unknown[]) => {
        let m: ExtensionMain;
        try {
          m = load();
        } catch (err) {
          void vscode.window.showErrorMessage(`Orchestra could not load: ${err instanceof Error ? err.message : String(err)}`);
          return undefined;
        }
        return m.runCommand(id, args);
      }),
    ),
    vscode.window.registerWebviewViewProvider(
      'orchestra.panel',
      { resolveWebviewView: (view) => load().resolvePanel(view) },
      // The conversation keeps streaming while the view is hidden behind another one.
      { webviewOptions: { retainContextWhenHidden: true } },
    ),
    vscode.workspace.onDidChangeConfiguration((e) => {
      // Once loaded, the settings watcher there validates and shows every change.
      if (!main && e.affectsConfiguration('orchestra.privacyMode')) showRawStatus();
    }),
    { dispose: () => void main?.dispose() },
    ...registerChatAndTools(context, load),
  );

  // The API loads the rest on first access; `approvals` and `secrets` exist only in tests.
  const api = {
    get engine() {
      return load().api.engine;
    },
    get settings() {
      return load().api.settings;
    },
  } as OrchestraApi;
  if (testApi) {
    Object.defineProperty(api, 'approvals', { enumerable: true, get: () => load().api.approvals });
    Object.defineProperty(api, 'secrets', { enumerable: true, get: () => load().api.secrets });
  }
  return api;
}

/**
 * `@orchestra` in the Chat view and the tools other agents call, registered now (they are contributed
 * in package.json) and served by the rest of the extension, loaded on their first use.
 */
function registerChatAndTools(context: vscode.ExtensionContext, load: () => ExtensionMain): vscode.Disposable[] {
  const participant = vscode.chat.createChatParticipant('orchestra.chat', (request, chatContext, stream, token) =>
    load().chat.handle(request, chatContext, stream, token),
  );
  participant.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'orchestra.svg');
  participant.followupProvider = { provideFollowups: (result) => load().chat.followups(result) };
  const tool = <T>(pick: (m: ExtensionMain) => vscode.LanguageModelTool<T>): vscode.LanguageModelTool<T> => ({
    prepareInvocation: (options, token) => pick(load()).prepareInvocation?.(options, token),
    invoke: (options, token) => pick(load()).invoke(options, token),
  });
  return [
    participant,
    vscode.lm.registerTool(
      'orchestra_delegate',
      tool((m) => m.tools.delegate),
    ),
    vscode.lm.registerTool(
      'orchestra_search_workspace',
      tool((m) => m.tools.search),
    ),
  ];
}

export async function deactivate(): Promise<void> {
  const stop = deactivateMain;
  deactivateMain = undefined;
  await stop?.();
}
