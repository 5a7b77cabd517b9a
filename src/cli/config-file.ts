// Loads the CLI's JSON config: the same keys and schema as the extension's `orchestra.*` settings,
// either nested ({"models": [...]}) or as VS Code writes them ({"orchestra.models": [...]}).
// Every problem names its field; the CLI refuses to run with any.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseConfig, type ConfigProblem, type OrchestraConfig } from '../core/config';

export const DEFAULT_CONFIG_FILES = ['orchestra.json', '.orchestra.json'];

export type LoadedConfig = { ok: true; config: OrchestraConfig; file?: string } | { ok: false; file?: string; problems: ConfigProblem[] };

/** Turns `{"orchestra.budget.maxTurns": 5}` into `{budget: {maxTurns: 5}}`; nested keys pass through. */
export function unflattenSettings(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!key.startsWith('orchestra.')) {
      if (!key.includes('.')) out[key] = mergeValue(out[key], value);
      continue;
    }
    const path = key.slice('orchestra.'.length).split('.');
    let cur = out;
    path.forEach((p, i) => {
      if (i === path.length - 1) cur[p] = mergeValue(cur[p], value);
      else cur = (cur[p] = cur[p] && typeof cur[p] === 'object' && !Array.isArray(cur[p]) ? cur[p] : {}) as Record<string, unknown>;
    });
  }
  return out;
}

function mergeValue(existing: unknown, value: unknown): unknown {
  if (existing && typeof existing === 'object' && !Array.isArray(existing) && value && typeof value === 'object' && !Array.isArray(value)) {
    return { ...existing, ...value };
  }
  return value;
}

export type ReadConfig =
  { ok: true; raw: Record<string, unknown>; file?: string } | { ok: false; file?: string; problems: ConfigProblem[] };

/**
 * Reads the config file, unvalidated: `--config FILE`, else $ORCHESTRA_CONFIG, else orchestra.json
 * in the current folder. With none of these, `required` decides between an error and `{}`.
 * (The CLI adds the local models of the registry to it before validating.)
 */
export function readConfigFile(
  explicit: string | undefined,
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; required: boolean },
): ReadConfig {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  let file = explicit ?? env.ORCHESTRA_CONFIG;
  if (!file) file = DEFAULT_CONFIG_FILES.map((f) => resolve(cwd, f)).find((f) => existsSync(f));
  if (!file) {
    if (!opts.required) return { ok: true, raw: {} };
    return {
      ok: false,
      problems: [
        {
          path: '(config)',
          message: `no config file: pass --config FILE, set ORCHESTRA_CONFIG, or create ${DEFAULT_CONFIG_FILES[0]} here`,
        },
      ],
    };
  }
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return {
      ok: false,
      file: path,
      problems: [{ path: '(file)', message: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }],
    };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, file: path, problems: [{ path: '(file)', message: `${path} is not valid JSON: ${(err as Error).message}` }] };
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    return { ok: false, file: path, problems: [{ path: '(root)', message: 'the config must be a JSON object' }] };
  return { ok: true, raw: unflattenSettings(raw as Record<string, unknown>), file: path };
}

/** Reads and validates the config file (see readConfigFile). */
export function loadConfig(explicit: string | undefined, opts: { cwd?: string; env?: NodeJS.ProcessEnv; required: boolean }): LoadedConfig {
  const read = readConfigFile(explicit, opts);
  if (!read.ok) return read;
  const { config, problems } = parseConfig(read.raw);
  if (problems.length) return { ok: false, file: read.file, problems };
  return { ok: true, config, file: read.file };
}
