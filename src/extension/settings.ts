// The `orchestra.*` settings: read from VS Code, validated with the engine's own schema
// (parseConfig), problems reported with the setting's name, written back by commands.
import * as vscode from 'vscode';
import { parseConfig } from '../core/config';
import type { ConfigProblem, OrchestraConfig } from '../core/config';

export const SECTION = 'orchestra';
/** Top-level keys of OrchestraConfig; VS Code assembles dotted leaf settings into these objects. */
const TOP_LEVEL_KEYS = ['models', 'orchestrator', 'privacyMode', 'preferences', 'budget', 'concurrency', 'requests', 'tools', 'local'] as const;

/** The raw settings object as the engine's schema expects it (values VS Code holds, defaults included). */
export function readRawSettings(): Record<string, unknown> {
  const section = vscode.workspace.getConfiguration(SECTION);
  const raw: Record<string, unknown> = {};
  for (const key of TOP_LEVEL_KEYS) {
    const value = section.get<unknown>(key);
    // VS Code hands out frozen proxies; the engine gets plain JSON.
    if (value !== undefined) raw[key] = JSON.parse(JSON.stringify(value));
  }
  return raw;
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
    this.current = parseConfig(readRawSettings());
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
    this.current = parseConfig(readRawSettings());
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
        if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', `@ext:orchestra-dev.orchestra ${problems[0]?.path.replace(/\[\d+\].*$/, '') ?? ''}`.trim());
        else if (choice === 'Show Log') this.log.show(true);
      });
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}
