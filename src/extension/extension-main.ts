// The bulk of the extension (engine client, settings validation, panel session, command flows),
// bundled apart as dist/extension-main.js. extension.ts loads it on first use (a command, the panel,
// the API) or a few seconds after activation, so that activation itself stays small.
import * as vscode from 'vscode';
import type { ExtensionMain, OrchestraApi } from './api';
import { OrchestraChatParticipant } from './chat-participant';
import { commandHandlers } from './commands';
import { OrchestraTools } from './lm-tools';
import { errorText } from './engine-client';
import { Orchestra } from './orchestra';
import { ModelsView } from './models/models-view';
import type { OrchestraStatusBar } from './status-bar';

export function loadExtensionMain(
  context: vscode.ExtensionContext,
  statusBar: OrchestraStatusBar,
  opts: { testApi: boolean; modelsChanged: vscode.EventEmitter<void> },
): ExtensionMain {
  const o = new Orchestra(context, statusBar);
  const models = new ModelsView(o, opts.modelsChanged);
  const handlers = commandHandlers(o, models);
  o.log.info(
    `Orchestra loaded (VS Code ${vscode.version}, workspace ${vscode.workspace.isTrusted ? 'trusted' : 'not trusted: code execution and MCP servers are off'})`,
  );

  const api: OrchestraApi = {
    engine: {
      ask: (params) =>
        o.engine.ask({ ...params, workspace: params.workspace ?? o.workspacePath() }).then((r) => {
          o.session.taskStarted(r.taskId);
          return r;
        }),
      resume: (params) =>
        o.engine.resume({ ...params, workspace: params.workspace ?? o.workspacePath() }).then((r) => {
          o.session.taskStarted(r.taskId);
          return r;
        }),
      cancel: (taskId) => o.cancel(taskId),
      cancelCall: (taskId, callId) => o.cancelCall(taskId, callId),
      listModels: () => o.engine.listModels(),
      onEvent: o.engine.onEvent,
      onDidChangeState: o.engine.onDidChangeState,
      get state() {
        return o.engine.state;
      },
      get pid() {
        return o.engine.pid;
      },
      whenReady: () => o.engine.whenReady(),
      restart: () => o.engine.restart(),
    },
    settings: { problems: () => o.problems() },
  };
  if (opts.testApi) {
    api.approvals = {
      onDidRequest: o.approvals.onDidRequest,
      pending: () => o.approvals.list(),
      answer: (approvalId, approved) => o.approvals.answer(approvalId, approved, 'api'),
      setModalFallback: (enabled) => {
        o.approvals.modalFallback = enabled;
      },
    };
    api.secrets = { setModelKey: (modelId, key, baseUrl) => o.keys.setModelKey(modelId, key, baseUrl) };
  }

  return {
    orchestra: o,
    chat: new OrchestraChatParticipant(o),
    tools: new OrchestraTools(o),
    api,
    async runCommand(id, args) {
      try {
        return await handlers[id](...args);
      } catch (err) {
        o.log.error(`${id} failed: ${errorText(err)}`);
        void vscode.window.showErrorMessage(`Orchestra: ${errorText(err)}`);
        return undefined;
      }
    },
    resolvePanel: (view) => o.panel.resolveWebviewView(view),
    models,
    dispose: async () => {
      models.dispose();
      await o.dispose();
    },
  };
}
