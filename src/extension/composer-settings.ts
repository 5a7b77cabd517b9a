// The two settings the panel's composer switches in one click — the privacy mode and the orchestrator
// model (a pool member, or "Automatic": the setting cleared) — written where they take effect
// (setting-writes.ts), refused with the reason when they would not (a stricter orchestra.json, an
// untrusted workspace, a model the rules exclude), and answered in words the panel shows: what
// changed, where it was saved, and that a running task keeps its settings.
import * as vscode from 'vscode';
import { PRIVACY_MODES, type OrchestraConfig, type PrivacyMode } from '../core/config';
import type { ModelInfo } from '../core/engine-api';
import { automaticOrchestratorOf } from './models/model-rows';
import { SECTION } from './settings';
import { planPlainClear, planPlainWrite, planPrivacyWrite, SCOPE_NAMES, type SettingScopes, type WriteScope } from './setting-writes';
import { fileValueAt, readWorkspaceConfigFile } from './workspace-config';

/** What a switch did, for the panel (and the log). */
export interface SettingChange {
  ok: boolean;
  message: string;
}

export interface ComposerSettingsHost {
  readonly log: vscode.LogOutputChannel;
  readonly engine: { readonly runningTasks: readonly string[] };
  readonly settings: { readonly config: OrchestraConfig };
  /** The pool as the engine last reported it (undefined until it has). */
  readonly models: readonly ModelInfo[] | undefined;
}

const TARGETS: Record<WriteScope, vscode.ConfigurationTarget> = {
  user: vscode.ConfigurationTarget.Global,
  workspace: vscode.ConfigurationTarget.Workspace,
  folder: vscode.ConfigurationTarget.WorkspaceFolder,
};

const PRIVACY_LABELS: Record<PrivacyMode, string> = {
  any: 'Any model',
  'open-weights-only': 'Open weights',
  'local-only': 'Local only',
};

function scopes(key: string): SettingScopes {
  const i = vscode.workspace.getConfiguration(SECTION).inspect(key);
  return { ...i, fileValue: fileValueAt(readWorkspaceConfigFile(), key) };
}

/** "; the running task keeps …" while tasks run: a switch applies from the next question. */
function runningNote(host: ComposerSettingsHost, what: string): string {
  const n = host.engine.runningTasks.length;
  if (!n) return '';
  return ` It applies from the next question: the running task${n > 1 ? 's keep' : ' keeps'} the ${what} ${n > 1 ? 'they' : 'it'} started with.`;
}

async function write(key: string, value: unknown, scope: WriteScope): Promise<void> {
  await vscode.workspace.getConfiguration(SECTION).update(key, value, TARGETS[scope]);
}

/** Sets the privacy mode unless a scope the write cannot change keeps a stricter one. */
export async function switchPrivacyMode(host: ComposerSettingsHost, mode: PrivacyMode): Promise<SettingChange> {
  const s = scopes('privacyMode');
  const plan = planPrivacyWrite(mode, s, vscode.workspace.isTrusted);
  if (!plan.ok) {
    host.log.warn(`privacy mode not set to ${mode}: ${plan.reason}`);
    return { ok: false, message: `Privacy stays as it is: ${plan.reason}.` };
  }
  // Read fresh from the scopes (the settings watcher may not have seen a switch made a moment ago).
  const held = { user: s.globalValue, workspace: s.workspaceValue, folder: s.workspaceFolderValue }[plan.scope];
  if (held !== mode) await write('privacyMode', mode, plan.scope);
  host.log.info(`privacy mode set to ${mode} in ${SCOPE_NAMES[plan.scope]}`);
  return {
    ok: true,
    message: `Privacy: ${PRIVACY_LABELS[mode]} (saved in ${SCOPE_NAMES[plan.scope]}).${runningNote(host, 'privacy mode')}`,
  };
}

/** Makes `id` the orchestrator (`orchestrator.model`) when it is in the pool and the rules allow it. */
export async function switchOrchestrator(host: ComposerSettingsHost, id: string): Promise<SettingChange> {
  const refuse = (why: string): SettingChange => {
    host.log.warn(`orchestrator not set to ${id}: ${why}`);
    return { ok: false, message: `The orchestrator stays as it is: ${why}.` };
  };
  const pool = host.models;
  if (pool) {
    const m = pool.find((x) => x.id === id);
    if (!m) return refuse(`no model "${id}" is in the pool`);
    if (!m.eligible) return refuse(`${id} cannot be used: ${m.ineligibleReason ?? 'the current rules exclude it'}`);
  } else if (!host.settings.config.models.some((m) => m.id === id)) {
    return refuse(`no model "${id}" is configured`);
  }
  const scope = planPlainWrite(scopes('orchestrator.model'), vscode.workspace.isTrusted);
  await write('orchestrator.model', id, scope);
  host.log.info(`orchestrator set to ${id} in ${SCOPE_NAMES[scope]}`);
  return { ok: true, message: `Orchestrator: ${id} (saved in ${SCOPE_NAMES[scope]}).${runningNote(host, 'orchestrator')}` };
}

/** Why "Automatic" would be refused now (orchestra.json names the orchestrator); undefined when it may be chosen. */
export function automaticOrchestratorRefusal(): string | undefined {
  const plan = planPlainClear('orchestrator.model', scopes('orchestrator.model'), vscode.workspace.isTrusted);
  return plan.ok ? undefined : plan.reason;
}

/**
 * "Automatic": removes `orchestrator.model` from the scope it takes effect from (and from any less
 * specific one that would take over), so the engine picks; refused when orchestra.json names a model.
 */
export async function switchOrchestratorAutomatic(host: ComposerSettingsHost): Promise<SettingChange> {
  const plan = planPlainClear('orchestrator.model', scopes('orchestrator.model'), vscode.workspace.isTrusted);
  if (!plan.ok) {
    host.log.warn(`orchestrator not set to automatic: ${plan.reason}`);
    return { ok: false, message: `The orchestrator stays as it is: ${plan.reason}.` };
  }
  for (const scope of plan.scopes) await write('orchestrator.model', undefined, scope);
  const now = automaticOrchestratorOf(host.settings.config, host.models);
  const resolves = now ? `, now ${now}` : ', though no model is eligible now';
  if (!plan.scopes.length) return { ok: true, message: `Orchestrator: Automatic already${resolves}.` };
  const where = plan.scopes.map((x) => SCOPE_NAMES[x]).join(' and ');
  host.log.info(`orchestrator set to automatic: orchestrator.model removed from ${where}`);
  return { ok: true, message: `Orchestrator: Automatic${resolves} (removed from ${where}).${runningNote(host, 'orchestrator')}` };
}

/** For each privacy mode, why switching to it would be refused now; the composer shows those unavailable. */
export function privacyRefusals(): Partial<Record<PrivacyMode, string>> {
  const s = scopes('privacyMode');
  const out: Partial<Record<PrivacyMode, string>> = {};
  for (const mode of PRIVACY_MODES) {
    const plan = planPrivacyWrite(mode, s, vscode.workspace.isTrusted);
    if (!plan.ok) out[mode] = plan.reason;
  }
  return out;
}
