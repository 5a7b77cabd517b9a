// The workspace config file (orchestra.json in the first workspace folder), the one the CLI reads
// too, merged into the settings as one more workspace scope: its values apply where the editor's
// workspace settings say nothing, and its safety values can tighten the rules, never loosen them.
import * as vscode from 'vscode';
import { parseConfig, type ConfigProblem } from '../core/config';
import { CONFIG_FILE_NAMES, findConfigFile, readConfigFile } from '../core/config-file';

export interface WorkspaceConfigFile {
  /** Absolute path of the file. */
  path: string;
  /** Its settings, nested as the schema expects; empty when it could not be read. */
  raw: Record<string, unknown>;
  /** Its own problems (syntax, unknown keys, invalid values), each with `source` set to the file. */
  problems: ConfigProblem[];
}

/** The folder whose config file counts: the first local workspace folder. */
function configFolder(): vscode.WorkspaceFolder | undefined {
  return vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file');
}

/** Reads the workspace's config file; undefined when the workspace has none. */
export function readWorkspaceConfigFile(): WorkspaceConfigFile | undefined {
  const folder = configFolder();
  const path = folder && findConfigFile(folder.uri.fsPath);
  if (!path) return undefined;
  const read = readConfigFile(path);
  if (!read.ok) return { path, raw: {}, problems: read.problems.map((p) => ({ ...p, source: path })) };
  // Checked on its own, so each problem points into the file rather than into the merged settings.
  const { problems } = parseConfig(read.raw);
  return { path, raw: read.raw, problems: problems.map((p) => ({ ...p, source: path })) };
}

/** The value at a dotted key of the file's settings; undefined when the file does not set it. */
export function fileValueAt(file: WorkspaceConfigFile | undefined, key: string): unknown {
  let cur: unknown = file?.raw;
  for (const p of key.split('.')) {
    if (!cur || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

/**
 * Puts the file's values into `raw` where the editor's workspace and folder settings do not set the
 * same key (those are more specific, as a folder setting is over a workspace one). Objects are
 * merged key by key; arrays and other values replace. Unknown keys go in too, so that validating
 * `raw` reports them as well.
 */
export function mergeConfigFile(
  raw: Record<string, unknown>,
  file: WorkspaceConfigFile,
  editorWorkspaceSets: (key: string) => boolean,
): void {
  const walk = (from: Record<string, unknown>, into: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(from)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (isPlainObject(v) && isPlainObject(into[k])) {
        const copy = { ...(into[k] as Record<string, unknown>) };
        into[k] = copy;
        walk(v, copy, key);
      } else if (!editorWorkspaceSets(key)) into[k] = structuredClone(v);
    }
  };
  walk(file.raw, raw, '');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return Boolean(v) && typeof v === 'object' && !Array.isArray(v);
}

/** Calls `onChange` when the workspace's config file is created, changed or deleted. */
export function watchWorkspaceConfigFile(onChange: () => void): vscode.Disposable {
  let watchers: vscode.Disposable[] = [];
  const watch = () => {
    for (const w of watchers) w.dispose();
    const folder = configFolder();
    if (!folder) return (watchers = []);
    const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, `{${CONFIG_FILE_NAMES.join(',')}}`));
    watchers = [w, w.onDidChange(onChange), w.onDidCreate(onChange), w.onDidDelete(onChange)];
  };
  watch();
  const folders = vscode.workspace.onDidChangeWorkspaceFolders(() => {
    watch();
    onChange();
  });
  return new vscode.Disposable(() => {
    folders.dispose();
    for (const w of watchers) w.dispose();
  });
}
