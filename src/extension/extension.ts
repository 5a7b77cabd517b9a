// Orchestra's VS Code entry point. Activation stays light: it registers commands, the panel, the
// status bar and the settings watcher; the engine process starts on first use (or a few seconds
// later, in the background) and never blocks activation.
import * as vscode from 'vscode';
import type { ConfigProblem } from '../core/config';
import type { ModelInfo } from '../core/engine-api';
import type { EngineEvent } from '../core/protocol/events';
import type { AskParams, ApprovalParams } from '../protocol/engine-rpc';
import { registerCommands } from './commands';
import type { EngineState } from './engine-client';
import { Orchestra } from './orchestra';

let orchestra: Orchestra | undefined;

/**
 * What `activate` returns. `engine` is always there (other extensions may ask Orchestra questions);
 * `approvals` and `testing` only when VS Code runs the extension's tests, because answering an
 * approval or killing the engine must never be open to other extensions.
 */
export interface OrchestraApi {
  engine: {
    ask(params: AskParams): Promise<{ taskId: string }>;
    cancel(taskId: string): Promise<boolean>;
    /** The pool as the engine sees it (starts the engine when needed). */
    listModels(): Promise<ModelInfo[]>;
    readonly onEvent: vscode.Event<EngineEvent>;
    readonly onDidChangeState: vscode.Event<{ state: EngineState; message?: string }>;
    readonly state: EngineState;
    /** The engine process id while it runs. */
    readonly pid: number | undefined;
    whenReady(): Promise<void>;
    restart(): Promise<void>;
  };
  settings: {
    /** Problems of the current `orchestra.*` settings, each naming its field. */
    problems(): ConfigProblem[];
  };
  approvals?: {
    readonly onDidRequest: vscode.Event<ApprovalParams>;
    pending(): ApprovalParams[];
    /** Answers as the panel's Approve/Deny would; false when already answered. */
    answer(approvalId: string, approved: boolean): boolean;
    /** A modal dialog cannot be answered from the extension host, so tests turn it off. */
    setModalFallback(enabled: boolean): void;
  };
}

export function activate(context: vscode.ExtensionContext): OrchestraApi {
  const o = new Orchestra(context);
  orchestra = o;
  context.subscriptions.push(...registerCommands(o), { dispose: () => void o.dispose() });
  o.scheduleWarmUp();
  o.log.info(`Orchestra activated (VS Code ${vscode.version}, workspace ${vscode.workspace.isTrusted ? 'trusted' : 'not trusted: code execution and MCP servers are off'})`);

  const api: OrchestraApi = {
    engine: {
      ask: (params) => o.engine.ask({ ...params, workspace: params.workspace ?? o.workspacePath() }).then((r) => {
        o.session.taskStarted(r.taskId);
        return r;
      }),
      cancel: (taskId) => o.cancel(taskId),
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
  if (context.extensionMode === vscode.ExtensionMode.Test || process.env.ORCHESTRA_TEST === '1') {
    api.approvals = {
      onDidRequest: o.approvals.onDidRequest,
      pending: () => o.approvals.list(),
      answer: (approvalId, approved) => o.approvals.answer(approvalId, approved, 'api'),
      setModalFallback: (enabled) => {
        o.approvals.modalFallback = enabled;
      },
    };
  }
  return api;
}

export async function deactivate(): Promise<void> {
  const o = orchestra;
  orchestra = undefined;
  await o?.dispose();
}
