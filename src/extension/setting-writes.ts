// Where a setting changed from the panel's composer (or a command) is written so that it takes effect,
// and when such a change must be refused: the privacy mode combines every scope strictest-wins
// (settings.ts), so a looser mode written where a stricter one still applies would change nothing.
// Pure (no `vscode` import): the scoped values come from `WorkspaceConfiguration.inspect`.
import { PRIVACY_MODES, type PrivacyMode } from '../core/config';

/** A settings scope Orchestra writes to: the user's settings, the workspace's, or one folder's. */
export type WriteScope = 'user' | 'workspace' | 'folder';

/** What `WorkspaceConfiguration.inspect` says of one setting, plus the workspace's orchestra.json value. */
export interface SettingScopes {
  defaultValue?: unknown;
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
  /** The workspace's orchestra.json. */
  fileValue?: unknown;
}

export type WritePlan = { ok: true; scope: WriteScope } | { ok: false; reason: string };

/** How each scope is named to the user. */
export const SCOPE_NAMES: Record<WriteScope | 'file', string> = {
  user: 'your user settings',
  workspace: 'the workspace settings',
  folder: 'the folder settings',
  file: 'orchestra.json',
};

const rank = (v: unknown): number => PRIVACY_MODES.indexOf(v as PrivacyMode);

/**
 * Where to write the privacy mode `requested`, or why not. It goes where the editor already sets it
 * most specifically (folder, workspace, else the user's settings), then every scope is combined as
 * the settings watcher does: when another scope would still hold a stricter mode, the write would
 * not take effect, so it is refused naming that scope. Loosening a mode the workspace's own files
 * set is refused in an untrusted workspace: there a repository's rules may only be tightened.
 */
export function planPrivacyWrite(requested: PrivacyMode, s: SettingScopes, trusted: boolean): WritePlan {
  const scope: WriteScope = s.workspaceFolderValue !== undefined ? 'folder' : s.workspaceValue !== undefined ? 'workspace' : 'user';
  const valid = (v: unknown) => rank(v) >= 0;
  const user = valid(s.globalValue) ? s.globalValue : s.defaultValue;
  const values: Array<[WriteScope | 'file', unknown]> = [
    ['user', scope === 'user' ? requested : user],
    ['workspace', scope === 'workspace' ? requested : s.workspaceValue],
    ['folder', scope === 'folder' ? requested : s.workspaceFolderValue],
    ['file', s.fileValue],
  ];
  const stricter = values.filter(([, v]) => valid(v) && rank(v) > rank(requested));
  if (stricter.length) {
    const [where, value] = stricter.reduce((a, b) => (rank(b[1]) > rank(a[1]) ? b : a));
    const fix =
      where === 'file' ? 'edit the file to loosen it' : where === 'user' ? 'change it there first' : 'edit that settings file to loosen it';
    return { ok: false, reason: `the privacy mode is "${String(value)}" in ${SCOPE_NAMES[where]} and stays in force (${fix})` };
  }
  const current = Math.max(...[user, s.workspaceValue, s.workspaceFolderValue, s.fileValue].map(rank));
  if (!trusted && scope !== 'user' && rank(requested) < current)
    return {
      ok: false,
      reason: `this workspace is not trusted, so its own settings (${SCOPE_NAMES[scope]}) may only tighten the privacy mode (trust the workspace first)`,
    };
  return { ok: true, scope };
}

/**
 * Where to write an ordinary (non-safety) setting so it takes effect: the most specific editor scope
 * that sets it; the workspace settings when only orchestra.json sets it (they override the file);
 * else the user's settings. In an untrusted workspace VS Code ignores the workspace's values of
 * restricted settings and Orchestra ignores orchestra.json, so the user's settings are the place.
 */
export function planPlainWrite(s: SettingScopes, trusted: boolean): WriteScope {
  if (!trusted) return 'user';
  if (s.workspaceFolderValue !== undefined) return 'folder';
  if (s.workspaceValue !== undefined || s.fileValue !== undefined) return 'workspace';
  return 'user';
}

export type ClearPlan = { ok: true; scopes: WriteScope[] } | { ok: false; reason: string };

const isSet = (v: unknown): boolean => v !== undefined && v !== '';

/**
 * Which editor scopes to remove an ordinary setting from so that it is empty where it takes effect
 * (the orchestrator back to the automatic choice): the scope its value comes from, and each less
 * specific one that would take over in turn, down to the first that is already empty. The order is
 * folder, workspace, orchestra.json (where the editor's workspace settings say nothing), user; the
 * panel does not edit orchestra.json, so a value there that would apply is refused, naming the file.
 * Untrusted, only the user's settings apply (as in `planPlainWrite`). No scopes: already empty.
 */
export function planPlainClear(key: string, s: SettingScopes, trusted: boolean): ClearPlan {
  const chain: Array<[WriteScope | 'file', unknown]> = trusted
    ? [
        ['folder', s.workspaceFolderValue],
        ['workspace', s.workspaceValue],
        ['file', s.fileValue],
        ['user', s.globalValue],
      ]
    : [['user', s.globalValue]];
  const scopes: WriteScope[] = [];
  for (const [where, value] of chain) {
    if (value === undefined) continue;
    if (!isSet(value)) break;
    if (where === 'file') {
      const after = scopes.length ? `; removing it from ${scopes.map((x) => SCOPE_NAMES[x]).join(' and ')} would bring that back` : '';
      return { ok: false, reason: `${key} is ${JSON.stringify(value)} in orchestra.json${after} (edit the file to clear it)` };
    }
    scopes.push(where);
  }
  return { ok: true, scopes };
}
