// The extension's two faces, apart from the modules that implement them: `OrchestraApi` (what
// `activate` returns to other extensions and to tests) and `ExtensionMain` (what the small activation
// bundle, extension.ts, gets from the lazily loaded one, extension-main.ts).
import type * as vscode from 'vscode';
import type { ConfigProblem } from '../core/config';
import type { ModelInfo } from '../core/engine-api';
import type { EngineEvent } from '../core/protocol/events';
import type { AskParams, ApprovalParams, ResumeParams } from '../protocol/engine-rpc';
import type { CommandId } from './command-ids';
import type { EngineState } from './engine-client';
import type { OrchestraChatParticipant } from './chat-participant';
import type { OrchestraTools } from './lm-tools';
import type { Orchestra } from './orchestra';
import type { ModelsView } from './models/models-view';

/**
 * What `activate` returns. `engine` is always there (other extensions may ask Orchestra questions);
 * `approvals` and `secrets` only when VS Code runs the extension's tests, because answering an
 * approval or storing a key must never be open to other extensions.
 */
export interface OrchestraApi {
  engine: {
    /** `conversationId` and `parentTaskId` place the question in a conversation (recorded in the workspace's storage). */
    ask(params: AskParams): Promise<{ taskId: string }>;
    /** Runs an interrupted or stopped task again from its record: only what did not finish is asked again. */
    resume(params: ResumeParams): Promise<{ taskId: string }>;
    cancel(taskId: string): Promise<boolean>;
    /** Stops one running tool call or subtask of a task; the task goes on. */
    cancelCall(taskId: string, callId: string): Promise<boolean>;
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
  /** Test mode only: stores a model's API key bound to `baseUrl`, as "Set API key" does. */
  secrets?: {
    setModelKey(modelId: string, key: string, baseUrl: string): Promise<void>;
  };
}

export interface ExtensionMain {
  readonly orchestra: Orchestra;
  /** `@orchestra` in the Chat view. */
  readonly chat: OrchestraChatParticipant;
  /** The language model tools other agents call. */
  readonly tools: OrchestraTools;
  /** The full API; extension.ts's exports forward to it. */
  readonly api: OrchestraApi;
  /** Runs a command; a failure is logged and shown, never thrown at VS Code. */
  runCommand(id: CommandId, args: unknown[]): Promise<unknown>;
  resolvePanel(view: vscode.WebviewView): void;
  /** The Models view's data; extension.ts registers the tree at activation and forwards to it. */
  readonly models: ModelsView;
  dispose(): Promise<void>;
}
