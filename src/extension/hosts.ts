// What the extension's flows (the panel bridge, the local-model commands) need of the Orchestra object
// that builds them. Named here, apart from orchestra.ts, so those modules never import the module that
// imports them: Orchestra satisfies each interface structurally.
import type * as vscode from 'vscode';
import type { ConfigProblem, OrchestraConfig } from '../core/config';
import type { Attachment, ModelInfo } from '../core/engine-api';
import type { LocalModelStatus } from '../protocol/engine-rpc';
import type { ApprovalBroker } from './approvals';
import type { ProposalContentProvider } from './editor-actions';
import type { EngineClient } from './engine-client';

/** A question as the panel, the commands and the editor actions hand it to Orchestra. */
export interface AskInput {
  question: string;
  attachments?: Attachment[];
  preferRole?: 'code' | 'math';
  /** The task id to use (chosen by the caller so it can expect the task's events), its conversation and the task it follows. */
  taskId?: string;
  conversationId?: string;
  parentTaskId?: string;
  /** Orchestrate with this model instead of the configured one. */
  orchestratorModel?: string;
  /** Told why, when the question could not start a task (the panel clears its "Sending…" with it). */
  onFailed?(message: string): void;
}

/** The panel bridge's view of Orchestra. */
export interface PanelHost {
  readonly context: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  readonly approvals: ApprovalBroker;
  readonly proposals: ProposalContentProvider;
  /** Which tasks are running (a recorded task without an end is interrupted only when it is not). */
  readonly engine: Pick<EngineClient, 'runningTasks'>;
  /** Where the engine records this workspace's conversations. */
  conversationsDir(): string;
  /** The settings' current problems (the panel's "Open settings" goes to the first), and the settings. */
  readonly settings: { readonly problems: readonly ConfigProblem[]; readonly config: OrchestraConfig };
  /** The pool as the engine last reported it (undefined until it has): the composer's orchestrator picker checks against it. */
  readonly models: readonly ModelInfo[] | undefined;
  ask(input: AskInput): Promise<string | undefined>;
  /** Runs an interrupted or stopped task again from its record; false (and the reason shown) when it cannot. */
  resume(taskId: string, conversationId: string): Promise<boolean>;
  cancel(taskId: string): Promise<boolean>;
  cancelCall(taskId: string, callId: string): Promise<boolean>;
  /** The user's verdict on a finished task's answer (quality evidence); a failure is shown to the user. */
  feedback(taskId: string, verdict: 'up' | 'down' | 'none'): Promise<void>;
}

/** The local-model flows' view of Orchestra (download, use a GGUF file, the zero-setup offer). */
export interface LocalModelsHost {
  readonly engine: EngineClient;
  readonly log: vscode.LogOutputChannel;
  /** Configured models, embedded local ones included once the engine has reported them. */
  modelCount(): number;
  /** Sends the current settings to the engine and waits until it applied them. */
  syncEngine(): Promise<void>;
  /** After `file` was added to `local.models`: applies it and says how the engine serves it. */
  syncLocalModel(file: string): Promise<LocalModelStatus | undefined>;
}
