// The `orchestra.*` settings: read from VS Code, validated with the engine's own schema
// (parseConfig), problems reported with the setting's name, written back by commands.
import * as vscode from 'vscode';
import { MAX_WALL_SECONDS, parseConfig } from '../core/config';
import { setAsideHostOrchestrator } from '../core/pool/host-models';
import type { ConfigProblem, OrchestraConfig } from '../core/config';
import { webSearchEndpoint } from '../core/tools/web-search';
import type { SecretParams } from '../protocol/engine-rpc';
import { withLocalModelsForCheck } from '../server/llama/registry';

export const SECTION = 'orchestra';
/** Top-level keys of OrchestraConfig; VS Code assembles dotted leaf settings into these objects. */
const TOP_LEVEL_KEYS = [
  'models',
  'orchestrator',
  'privacyMode',
  'preferences',
  'budget',
  'concurrency',
  'requests',
  'tools',
  'local',
] as const;

/**
 * The raw settings object as the engine's schema expects it (values VS Code holds, defaults included),
 * with the safety settings combined across scopes so that a workspace (a cloned repository's
 * .vscode/settings.json) can make Orchestra stricter but never looser than the user's own settings.
 */
export function readRawSettings(): Record<string, unknown> {
  return readSettings().raw;
}

/** The raw settings and the problems of safety values ignored while combining scopes. */
export function readSettings(): { raw: Record<string, unknown>; problems: ConfigProblem[] } {
  const section = vscode.workspace.getConfiguration(SECTION);
  const raw: Record<string, unknown> = {};
  for (const key of TOP_LEVEL_KEYS) {
    const value = section.get<unknown>(key);
    // VS Code hands out frozen proxies; the engine gets plain JSON.
    if (value !== undefined) raw[key] = JSON.parse(JSON.stringify(value));
  }
  const problems = applySafetyScopes(raw, (key) => section.inspect(key));
  return { raw, problems };
}

/** Validates the settings: the schema's problems plus those of ignored safety values. */
function parseSettings(): { config: OrchestraConfig; problems: ConfigProblem[] } {
  const { raw, problems } = readSettings();
  // VS Code's language models (`lm:` ids) are not in `models`: the engine, which has their list, checks such an orchestrator.
  const aside = setAsideHostOrchestrator(raw, (id) => id.startsWith('lm:'));
  // The registry step, as in the engine: local GGUF models are pool members before validation.
  const baseDir = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
  const parsed = parseConfig(withLocalModelsForCheck(aside.raw as Record<string, unknown>, baseDir));
  return { config: aside.restore(parsed.config), problems: [...problems, ...parsed.problems] };
}

/** What `WorkspaceConfiguration.inspect` says of one setting (the scopes this file reads). */
export interface ScopedValues {
  defaultValue?: unknown;
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
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
 * - `privacyMode`: the strictest of the user, workspace and folder values;
 * - budget caps: the user's value (or the default) lowered by any workspace value, never raised;
 *   `softLimitDollars` likewise, where 0 (no prompt) counts as no limit;
 * - `tools.runCode.autoApprove` / `allowShell`: the user's value only (a workspace value is ignored);
 * - `tools.runCode.enabled`: a workspace may turn it off, not on; `isolation`: `scratch` wins;
 * - `preferences.deniedModels` / `deniedTools`: the union of every scope's lists.
 * An invalid value in any scope is ignored (and reported) rather than reset to the default, which
 * could be looser than what the other scopes say.
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
        message: `${JSON.stringify(v)} in the ${scope} settings is not valid (expected ${rule.expected}); ignored`,
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
    ] as const) {
      if (v === undefined) continue;
      if (rule.valid(v)) workspace.push(v);
      else report(scope, v);
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

export function describeProblem(p: ConfigProblem): string {
  return `${SECTION}.${p.path}: ${p.message}`;
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

/** Follows the settings: validates on every change and tells listeners; warns once per distinct set of problems. */
export class SettingsWatcher implements vscode.Disposable {
  private current: { config: OrchestraConfig; problems: ConfigProblem[] };
  private lastWarned = '';
  private readonly emitter = new vscode.EventEmitter<{ config: OrchestraConfig; problems: ConfigProblem[] }>();
  private readonly subscription: vscode.Disposable;
  readonly onDidChange = this.emitter.event;

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.current = parseSettings();
    this.subscription = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(SECTION)) this.reload();
    });
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

  /** Logs the problems and shows one warning when they differ from the last ones shown. */
  report(): void {
    const problems = this.current.problems;
    const key = problems.map(describeProblem).join('\n');
    if (key === this.lastWarned) return;
    this.lastWarned = key;
    if (!problems.length) {
      this.log.info('settings are valid');
      return;
    }
    for (const p of problems) this.log.warn(`invalid setting ${describeProblem(p)} (ignored; the rest keeps working)`);
    const shown = problems.slice(0, 3).map(describeProblem).join('; ');
    const more = problems.length > 3 ? ` (and ${problems.length - 3} more, see the log)` : '';
    void vscode.window
      .showWarningMessage(`Orchestra: invalid setting ${shown}${more}. The rest of the settings keep working.`, 'Open Settings', 'Show Log')
      .then((choice) => {
        if (choice === 'Open Settings')
          void vscode.commands.executeCommand(
            'workbench.action.openSettings',
            `@ext:orchestra-dev.orchestra ${problems[0]?.path.replace(/\[\d+\].*$/, '') ?? ''}`.trim(),
          );
        else if (choice === 'Show Log') this.log.show(true);
      });
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}
