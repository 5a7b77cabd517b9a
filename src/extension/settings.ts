// The `orchestra.*` settings: read from VS Code, validated with the engine's own schema
// (parseConfig), problems reported with the setting's name, written back by commands.
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { MAX_WALL_SECONDS, parseConfig } from '../core/config';
import { setAsideHostOrchestrator } from '../core/pool/host-models';
import type { ConfigProblem, OrchestraConfig } from '../core/config';
import { webSearchEndpoint } from '../core/tools/web-search';
import type { SecretParams } from '../protocol/engine-rpc';
import { withLocalModelsForCheck } from '../server/llama/registry';
import { fileValueAt, mergeConfigFile, readWorkspaceConfigFile, watchWorkspaceConfigFile } from './workspace-config';

export const SECTION = 'orchestra';
/** The methods of a `WorkspaceConfiguration`; its other own keys are the settings under the section. */
const CONFIGURATION_METHODS = new Set(['has', 'get', 'update', 'inspect']);

/**
 * The raw settings object as the engine's schema expects it (values VS Code holds, defaults included,
 * and the workspace's orchestra.json), with the safety settings combined across scopes so that a
 * workspace (a cloned repository's .vscode/settings.json or orchestra.json) can make Orchestra
 * stricter but never looser than the user's own settings.
 */
export function readRawSettings(): Record<string, unknown> {
  return readSettings().raw;
}

/**
 * The raw settings and the problems found while combining scopes (ignored safety values, the
 * config file's own problems). Every key under `orchestra.` is read, unknown ones too, so that a
 * misspelt setting is reported rather than silently left out.
 */
export function readSettings(): { raw: Record<string, unknown>; problems: ConfigProblem[] } {
  const section = vscode.workspace.getConfiguration(SECTION);
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(section)) {
    if (CONFIGURATION_METHODS.has(key)) continue;
    const value = section.get<unknown>(key);
    // VS Code hands out frozen proxies; the engine gets plain JSON.
    if (value !== undefined) raw[key] = JSON.parse(JSON.stringify(value));
  }
  const file = readWorkspaceConfigFile();
  // In an untrusted workspace VS Code ignores the workspace's values of restricted settings; the
  // file's values are ignored likewise, except where they tighten a safety rule (below).
  if (file && vscode.workspace.isTrusted) {
    mergeConfigFile(raw, file, (key) => {
      const i = section.inspect(key);
      return i?.workspaceValue !== undefined || i?.workspaceFolderValue !== undefined;
    });
  }
  const problems = applySafetyScopes(raw, (key) => {
    const i = section.inspect(key);
    const fileValue = fileValueAt(file, key);
    return fileValue === undefined ? i : { ...i, fileValue };
  });
  return { raw, problems: [...(file?.problems ?? []), ...problems] };
}

/** Validates the settings: the schema's problems plus those of ignored safety values. */
function parseSettings(): { config: OrchestraConfig; problems: ConfigProblem[] } {
  const { raw, problems } = readSettings();
  // VS Code's language models (`lm:` ids) are not in `models`: the engine, which has their list, checks such an orchestrator.
  const aside = setAsideHostOrchestrator(raw, (id) => id.startsWith('lm:'));
  // The registry step, as in the engine: local GGUF models are pool members before validation.
  const baseDir = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
  const parsed = parseConfig(withLocalModelsForCheck(aside.raw as Record<string, unknown>, baseDir));
  const seen = new Set(problems.map((p) => `${p.path}\u0000${p.message}`));
  // The file's unknown keys were merged into `raw` too; each is reported once, in the file.
  const fromFile = new Set(problems.filter((p) => p.source).map((p) => p.path));
  const own = parsed.problems.filter((p) => !seen.has(`${p.path}\u0000${p.message}`) && !fromFile.has(p.path));
  return { config: aside.restore(parsed.config), problems: [...problems, ...own] };
}

/** What `WorkspaceConfiguration.inspect` says of one setting (the scopes this file reads). */
export interface ScopedValues {
  defaultValue?: unknown;
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
  /** The workspace's orchestra.json (a workspace scope too). */
  fileValue?: unknown;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
/** Privacy modes from the loosest to the strictest. */
const PRIVACY_ORDER = ['any', 'open-weights-only', 'local-only'] as const;
/** Budget caps a workspace may lower but not raise above the user's value (or the default). */
const CAPS: Array<[key: string, expected: string, valid: (v: unknown) => boolean]> = [
  ['budget.maxDollarsPerTask', 'a number, 0 or more', (v) => isNumber(v)],
  ['budget.maxTurns', 'a whole number, 1 or more', (v) => Number.isInteger(v) && (v as number) > 0],
  ['budget.maxWallTimeSeconds', `a number above 0, at most ${MAX_WALL_SECONDS}`, (v) => isNumber(v) && v > 0 && v <= MAX_WALL_SECONDS],
];
/** Settings honoured only from the user's own settings: a repository must not switch them on. */
export const USER_ONLY_SETTINGS = ['tools.runCode.autoApprove', 'tools.runCode.allowShell'] as const;

interface SafetyRule {
  key: string;
  /** What a valid value is, for the problem message. */
  expected: string;
  valid(v: unknown): boolean;
  /** The effective value from the user's value (or the default) and the workspace's valid values. */
  combine(user: unknown, workspace: unknown[]): unknown;
}

const SAFETY_RULES: SafetyRule[] = [
  {
    key: 'privacyMode',
    expected: PRIVACY_ORDER.join(', '),
    valid: (v) => PRIVACY_ORDER.includes(v as (typeof PRIVACY_ORDER)[number]),
    combine: (user, ws) => PRIVACY_ORDER[Math.max(...[user, ...ws].map((v) => PRIVACY_ORDER.indexOf(v as (typeof PRIVACY_ORDER)[number])))],
  },
  ...CAPS.map(([key, expected, valid]): SafetyRule => ({
    key,
    expected,
    valid,
    combine: (user, ws) => Math.min(...([user, ...ws] as number[])),
  })),
  {
    key: 'budget.softLimitDollars',
    expected: 'a number, 0 or more',
    valid: isNumber,
    // 0 turns the prompt off, the loosest value: it counts as no limit.
    combine: (user, ws) => {
      const limits = ([user, ...ws] as number[]).filter((v) => v > 0);
      return limits.length ? Math.min(...limits) : 0;
    },
  },
  ...USER_ONLY_SETTINGS.map((key): SafetyRule => ({ key, expected: 'true or false', valid: isBoolean, combine: (user) => user })),
  { key: 'tools.runCode.enabled', expected: 'true or false', valid: isBoolean, combine: (user, ws) => [user, ...ws].every(Boolean) },
  {
    key: 'tools.runCode.isolation',
    expected: 'workspace, scratch',
    valid: (v) => v === 'workspace' || v === 'scratch',
    combine: (user, ws) => ([user, ...ws].includes('scratch') ? 'scratch' : 'workspace'),
  },
  ...['preferences.deniedModels', 'preferences.deniedTools'].map((key): SafetyRule => ({
    key,
    expected: 'a list of strings',
    valid: isStringList,
    combine: (user, ws) => [...new Set(([user, ...ws] as string[][]).flat())],
  })),
];

/**
 * Combines the safety settings across scopes, in place, and returns the problems of the values it
 * ignored:
 * - `privacyMode`: the strictest of the user, workspace, folder and orchestra.json values;
 * - budget caps: the user's value (or the default) lowered by any workspace value, never raised;
 *   `softLimitDollars` likewise, where 0 (no prompt) counts as no limit;
 * - `tools.runCode.autoApprove` / `allowShell`: the user's value only (a workspace value is ignored);
 * - `tools.runCode.enabled`: a workspace may turn it off, not on; `isolation`: `scratch` wins;
 * - `preferences.deniedModels` / `deniedTools`: the union of every scope's lists.
 * An invalid value in any scope is left out of the combination rather than reset to the default,
 * which could be looser than what the other scopes say, and reported: no task runs until it is fixed.
 */
export function applySafetyScopes(raw: Record<string, unknown>, inspect: (key: string) => ScopedValues | undefined): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const set = (path: string, value: unknown) => {
    const parts = path.split('.');
    let node = raw;
    for (const p of parts.slice(0, -1)) {
      if (!node[p] || typeof node[p] !== 'object' || Array.isArray(node[p])) node[p] = {};
      node = node[p] as Record<string, unknown>;
    }
    node[parts.at(-1)!] = value;
  };
  for (const rule of SAFETY_RULES) {
    const i = inspect(rule.key) ?? {};
    const report = (scope: string, v: unknown) =>
      problems.push({
        path: rule.key,
        message: `${JSON.stringify(v)} in the ${scope} settings is not valid (expected ${rule.expected})`,
      });
    let user = i.defaultValue;
    if (i.globalValue !== undefined) {
      if (rule.valid(i.globalValue)) user = i.globalValue;
      else report('user', i.globalValue);
    }
    if (!rule.valid(user)) continue;
    const workspace: unknown[] = [];
    for (const [scope, v] of [
      ['workspace', i.workspaceValue],
      ['folder', i.workspaceFolderValue],
      ['orchestra.json', i.fileValue],
    ] as const) {
      if (v === undefined) continue;
      if (rule.valid(v)) workspace.push(v);
      // The file's invalid values are reported by the file's own check, with the file named.
      else if (scope !== 'orchestra.json') report(scope, v);
    }
    set(rule.key, rule.combine(user, workspace));
  }
  return problems;
}

/**
 * Where a key stored before keys were bound to endpoints may go: the endpoint the user's own
 * settings give (never a workspace's, which a repository controls).
 */
export function userScopeSecretEndpoint(params: SecretParams): string | undefined {
  const section = vscode.workspace.getConfiguration(SECTION);
  if (params.purpose === 'web_search') {
    const provider = section.inspect<string>('tools.webSearch.provider')?.globalValue;
    const url = section.inspect<string>('tools.webSearch.url')?.globalValue ?? '';
    if (provider !== 'tavily' && provider !== 'brave' && provider !== 'searxng') return undefined;
    return webSearchEndpoint({ provider, url, maxResults: 5 }) || undefined;
  }
  const models = section.inspect<unknown>('models')?.globalValue;
  if (!Array.isArray(models)) return undefined;
  const entry = models.find((m): m is { id: string; baseUrl: unknown } =>
    Boolean(m && typeof m === 'object' && (m as { id?: unknown }).id === params.modelId),
  );
  return typeof entry?.baseUrl === 'string' ? entry.baseUrl : undefined;
}

/** A problem as the user finds it: `orchestra.budget.maxTurns`, or `orchestra.json: budget.maxTurns`. */
export function describeProblem(p: ConfigProblem): string {
  return p.source ? `${basename(p.source)}: ${p.path}: ${p.message}` : `${SECTION}.${p.path}: ${p.message}`;
}

/**
 * Writes one setting where it takes effect: into the workspace when the workspace already sets it
 * (a user-level write would be shadowed), else into the user settings.
 */
export async function writeSetting(key: string, value: unknown): Promise<void> {
  const section = vscode.workspace.getConfiguration(SECTION);
  const info = section.inspect(key);
  const target =
    info?.workspaceFolderValue !== undefined
      ? vscode.ConfigurationTarget.WorkspaceFolder
      : info?.workspaceValue !== undefined
        ? vscode.ConfigurationTarget.Workspace
        : vscode.ConfigurationTarget.Global;
  await section.update(key, value, target);
}

/**
 * Follows the settings and the workspace's orchestra.json: validates on every change and tells
 * listeners; warns once per distinct set of problems. While there are problems no task runs (the
 * extension and the engine refuse), since a misspelt or invalid key may have been meant to make a
 * privacy or budget rule stricter.
 */
export class SettingsWatcher implements vscode.Disposable {
  private current: { config: OrchestraConfig; problems: ConfigProblem[] };
  private lastWarned = '';
  private readonly emitter = new vscode.EventEmitter<{ config: OrchestraConfig; problems: ConfigProblem[] }>();
  private readonly subscriptions: vscode.Disposable[];
  readonly onDidChange = this.emitter.event;

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.current = parseSettings();
    this.subscriptions = [
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(SECTION)) this.reload();
      }),
      watchWorkspaceConfigFile(() => this.reload()),
      // Trust changes which of the file's values apply.
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.reload()),
    ];
  }

  get config(): OrchestraConfig {
    return this.current.config;
  }
  get problems(): ConfigProblem[] {
    return this.current.problems;
  }

  reload(): void {
    this.current = parseSettings();
    this.report();
    this.emitter.fire(this.current);
  }

  /** Logs the problems and shows one error when they differ from the last ones shown (or `again`). */
  report(again = false): void {
    const problems = this.current.problems;
    const key = problems.map(describeProblem).join('\n');
    if (key === this.lastWarned && !again) return;
    this.lastWarned = key;
    if (!problems.length) {
      this.log.info('settings are valid');
      return;
    }
    for (const p of problems) this.log.error(`invalid setting ${describeProblem(p)}`);
    const shown = problems.slice(0, 3).map(describeProblem).join('; ');
    const more = problems.length > 3 ? ` (and ${problems.length - 3} more, see the log)` : '';
    const inFile = problems.find((p) => p.source);
    const actions = inFile ? ['Open orchestra.json', 'Open Settings', 'Show Log'] : ['Open Settings', 'Show Log'];
    void vscode.window
      .showErrorMessage(`Orchestra will not run until its settings are fixed: ${shown}${more}`, ...actions)
      .then((choice) => {
        if (choice === 'Open orchestra.json' && inFile?.source) void vscode.window.showTextDocument(vscode.Uri.file(inFile.source));
        else if (choice === 'Open Settings') void openSettingsAt(problems.find((p) => !p.source) ?? problems[0]);
        else if (choice === 'Show Log') this.log.show(true);
      });
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.emitter.dispose();
  }
}

/**
 * Shows where a problem is: the config file it is in; settings.json for a key VS Code does not know
 * (the Settings UI has no entry for it), the workspace's when the workspace sets it; else the
 * Settings UI filtered to the setting.
 */
export function openSettingsAt(p: ConfigProblem | undefined): Thenable<unknown> {
  if (p?.source) return vscode.window.showTextDocument(vscode.Uri.file(p.source));
  const setting = p ? p.path.replace(/\[\d+\].*$/, '') : '';
  if (p && /^unknown key/.test(p.message)) {
    const top = vscode.workspace.getConfiguration(SECTION).inspect(setting.split('.')[0]);
    const inWorkspace = top?.workspaceValue !== undefined || top?.workspaceFolderValue !== undefined;
    return vscode.commands.executeCommand(inWorkspace ? 'workbench.action.openWorkspaceSettingsFile' : 'workbench.action.openSettingsJson');
  }
  return vscode.commands.executeCommand('workbench.action.openSettings', `@ext:orchestra-dev.orchestra ${setting}`.trim());
}
