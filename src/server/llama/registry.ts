// The one model registry. Local models are the GGUF files `local.models` names plus every GGUF file
// in the models folder (`local.modelsDir`, else the default folder downloads go to); each gets a pool
// id from its file name. Their pool entries are added to the raw configuration *before* it is
// validated, in the CLI, the engine process and the extension's own settings check alike, so an
// embedded model can be named wherever a model id is expected (`orchestrator.model`).
import { readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import * as os from 'node:os';
import { parseConfig, type ConfigProblem, type ModelEntryInput, type ModelRole } from '../../core/config';
import { defaultModelsDir } from './catalog';

/** Guesses pool roles from a model's name. */
export function guessRoles(name: string): ModelRole[] {
  const n = name.toLowerCase();
  if (/orchestrat/.test(n)) return ['orchestrator'];
  const roles: ModelRole[] = [];
  if (/coder|code|starcoder|devstral|codestral/.test(n)) roles.push('code');
  if (/math/.test(n)) roles.push('math');
  if (/r1|reason|think|qwq/.test(n)) roles.push('reasoning');
  if (roles.length === 0) roles.push('general', 'answer');
  return roles;
}

/** A model id from a file name: `local:` and the name without .gguf, letters, digits and . _ - only. */
export function modelIdForFile(file: string): string {
  const stem = basename(file).replace(/\.gguf$/i, '');
  const clean = stem.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'model';
  return `local:${clean}`;
}

export function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? join(os.homedir(), p.slice(1)) : p;
}

/** A split model's later parts (`-00002-of-00003.gguf`) are loaded through its first part. */
export function isLaterSplitPart(name: string): boolean {
  const m = /-(\d{5})-of-\d{5}\.gguf$/i.exec(name);
  return Boolean(m && Number(m[1]) > 1);
}

/** The models folder: `local.modelsDir` when set, else $ORCHESTRA_MODELS_DIR, else ~/.orchestra/models. */
export function modelsFolder(modelsDir: string, env: NodeJS.ProcessEnv = process.env): string {
  return modelsDir || defaultModelsDir(env);
}

/** Pool ids for `files` in order; a second file with the same id gets `-2`, and so on. */
export function idsForFiles(files: string[]): Array<{ id: string; file: string }> {
  const taken = new Set<string>();
  return files.map((file) => {
    let id = modelIdForFile(file);
    for (let n = 2; taken.has(id); n++) id = `${modelIdForFile(file)}-${n}`;
    taken.add(id);
    return { id, file };
  });
}

/**
 * The GGUF files of the local settings, without opening them (the extension's settings check runs
 * this synchronously): named files, GGUF files in named folders and in the models folder. Paths
 * that do not exist are left out here; the engine reports them.
 */
export function localModelFilesSync(
  local: { models: string[]; modelsDir: string },
  baseDir: string,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const out: string[] = [];
  for (const raw of [...local.models, modelsFolder(local.modelsDir, env)]) {
    const p = resolve(baseDir, expandHome(raw));
    try {
      if (!statSync(p).isDirectory()) {
        if (!out.includes(p)) out.push(p);
        continue;
      }
      for (const n of readdirSync(p).sort())
        if (/\.gguf$/i.test(n) && !isLaterSplitPart(n) && !out.includes(join(p, n))) out.push(join(p, n));
    } catch {
      /* missing: reported where the files are served */
    }
  }
  return out;
}

/**
 * Adds the local models' pool entries to a raw configuration's `models`, before validation. An id
 * already in `models` keeps the user's entry; the local file is then not added, and that is a problem.
 */
export function addLocalEntries(
  raw: Record<string, unknown>,
  entries: ModelEntryInput[],
): { raw: Record<string, unknown>; problems: ConfigProblem[] } {
  if (!entries.length) return { raw, problems: [] };
  const models: unknown[] | undefined = Array.isArray(raw.models) ? (raw.models as unknown[]) : raw.models === undefined ? [] : undefined;
  // A `models` that is not a list is the schema's to report; the local entries wait for a valid one.
  if (!models) return { raw, problems: [] };
  const taken = new Set(models.map((m) => (m && typeof m === 'object' ? (m as { id?: unknown }).id : undefined)));
  const problems: ConfigProblem[] = [];
  const added: ModelEntryInput[] = [];
  for (const e of entries) {
    if (taken.has(e.id))
      problems.push({ path: 'local.models', message: `model id "${e.id}" is already used in models; the local file is not added` });
    else added.push(e);
  }
  return { raw: { ...raw, models: [...models, ...added] }, problems };
}

/**
 * For a settings check made away from the engine (the extension host validates what the user typed):
 * `raw` with the local models added as the pool entries they will be, so naming one in
 * `orchestrator.model` is valid there too. Their address is the engine's loopback endpoint, whose
 * port only the engine process knows; the placeholder here is never called.
 */
export function withLocalModelsForCheck(
  raw: Record<string, unknown>,
  baseDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, unknown> {
  const local = parseConfig(raw).config.local;
  const entries = idsForFiles(localModelFilesSync(local, baseDir, env)).map(({ id, file }): ModelEntryInput => ({
    id,
    baseUrl: 'http://127.0.0.1/v1',
    model: id,
    local: true,
    openWeights: true,
    roles: guessRoles(basename(file)),
    description: `${basename(file)}, served by the engine's embedded llama.cpp runtime`,
  }));
  return addLocalEntries(raw, entries).raw;
}
