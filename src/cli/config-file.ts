// Finds and loads the CLI's config file: `--config FILE`, else $ORCHESTRA_CONFIG, else orchestra.json
// (or .orchestra.json) in the current folder — the same workspace file the extension reads, with the
// keys of the `orchestra.*` settings. Every problem names its field; the CLI refuses to run with any.
import { resolve } from 'node:path';
import { parseConfig, type ConfigProblem, type OrchestraConfig } from '../core/config';
import { CONFIG_FILE_NAMES, findConfigFile, readConfigFile as readFileAt } from '../core/config-file';

export type LoadedConfig = { ok: true; config: OrchestraConfig; file?: string } | { ok: false; file?: string; problems: ConfigProblem[] };

export type ReadConfig =
  { ok: true; raw: Record<string, unknown>; file?: string } | { ok: false; file?: string; problems: ConfigProblem[] };

/** Which file the CLI reads; undefined when none is given and none is in `cwd`. */
export function configFilePath(explicit: string | undefined, opts: { cwd?: string; env?: NodeJS.ProcessEnv }): string | undefined {
  const cwd = opts.cwd ?? process.cwd();
  const file = explicit ?? (opts.env ?? process.env).ORCHESTRA_CONFIG ?? findConfigFile(cwd);
  return file ? resolve(cwd, file) : undefined;
}

/**
 * Reads the config file, unvalidated. With none found, `required` decides between an error and `{}`.
 * (The CLI adds the local models of the registry to it before validating.)
 */
export function readConfigFile(
  explicit: string | undefined,
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; required: boolean },
): ReadConfig {
  const path = configFilePath(explicit, opts);
  if (!path) {
    if (!opts.required) return { ok: true, raw: {} };
    return {
      ok: false,
      problems: [
        {
          path: '(config)',
          message: `no config file: pass --config FILE, set ORCHESTRA_CONFIG, or create ${CONFIG_FILE_NAMES[0]} here`,
        },
      ],
    };
  }
  const read = readFileAt(path);
  return read.ok ? { ok: true, raw: read.raw, file: path } : { ok: false, file: path, problems: read.problems };
}

/** Reads and validates the config file (see readConfigFile). */
export function loadConfig(explicit: string | undefined, opts: { cwd?: string; env?: NodeJS.ProcessEnv; required: boolean }): LoadedConfig {
  const read = readConfigFile(explicit, opts);
  if (!read.ok) return read;
  const { config, problems } = parseConfig(read.raw);
  if (problems.length) return { ok: false, file: read.file, problems };
  return { ok: true, config, file: read.file };
}
