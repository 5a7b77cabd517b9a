// The engine's and the CLI's entry point to local models: resolve the configured GGUF files and
// folders, check each (bad ones become problems, the rest keep working), and serve the good ones
// from one loopback endpoint whose pool entries count as local and open-weights.
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as os from 'node:os';
import type { ModelEntryInput, OrchestraConfig } from '../../core/config';
import { fitsInMemory, readGgufInfo, validateLocalModel, type GgufInfo, type MemoryFit } from './gguf-info';
import { modelIdForFile, startLocalEndpoint, type LocalEndpointLogEntry } from './openai-server';
import { defaultModelsDir } from './catalog';

export interface LocalModelProblem {
  file: string;
  message: string;
}

export interface EmbeddedModelsOptions {
  /** Folder used when `local.modelsDir` is empty, if it exists. Default ~/.orchestra/models (where downloads go). */
  defaultModelsDir?: string;
  threads?: number;
  concurrency?: number;
  contextSize?: number;
  gpu?: 'auto' | false;
  port?: number;
  log?: (entry: LocalEndpointLogEntry) => void;
}

export interface EmbeddedModels {
  entries: ModelEntryInput[];
  problems: LocalModelProblem[];
  /** Each served file and its pool id. */
  served: Array<{ id: string; file: string }>;
  /** Undefined when no model could be served. */
  baseUrl: string | undefined;
  close(): Promise<void>;
}

export function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? join(os.homedir(), p.slice(1)) : p;
}

/** A split model's later parts (`-00002-of-00003.gguf`) are loaded through its first part. */
function isLaterSplitPart(name: string): boolean {
  const m = /-(\d{5})-of-\d{5}\.gguf$/i.exec(name);
  return Boolean(m && Number(m[1]) > 1);
}

/**
 * GGUF files named by `local.models` (files or folders) and `local.modelsDir`, in order, without
 * duplicates. Missing paths and unreadable folders become problems.
 */
export async function resolveLocalModelFiles(
  local: Pick<OrchestraConfig['local'], 'models' | 'modelsDir'>,
  baseDir = process.cwd(),
): Promise<{ files: string[]; problems: LocalModelProblem[] }> {
  const files: string[] = [];
  const problems: LocalModelProblem[] = [];
  const seen = new Set<string>();
  const add = (f: string) => {
    if (!seen.has(f)) {
      seen.add(f);
      files.push(f);
    }
  };
  const entries = [...local.models, ...(local.modelsDir ? [local.modelsDir] : [])];
  for (const raw of entries) {
    const p = resolve(baseDir, expandHome(raw));
    let st;
    try {
      st = await stat(p);
    } catch {
      problems.push({ file: p, message: `${p}: file or folder not found` });
      continue;
    }
    if (st.isDirectory()) {
      let names: string[];
      try {
        names = await readdir(p);
      } catch (err) {
        problems.push({ file: p, message: `${p}: cannot list the folder (${(err as NodeJS.ErrnoException).code ?? String(err)})` });
        continue;
      }
      for (const n of names.sort()) if (/\.gguf$/i.test(n) && !isLaterSplitPart(n)) add(join(p, n));
    } else add(p);
  }
  return { files, problems };
}

export interface LocalModelDescription {
  file: string;
  id: string;
  info?: GgufInfo;
  fit?: MemoryFit;
  problem?: string;
}

/** Header facts and memory fit of each file, for `orchestra local list` and the panel. */
export async function describeLocalModels(files: string[], contextLength = 8192): Promise<LocalModelDescription[]> {
  const out: LocalModelDescription[] = [];
  for (const file of files) {
    try {
      const info = await readGgufInfo(file);
      const fit = fitsInMemory(info, { contextLength });
      out.push({
        file,
        id: modelIdForFile(file),
        info,
        fit,
        problem: info.supported ? undefined : `unsupported architecture "${info.architecture}"`,
      });
    } catch (err) {
      out.push({ file, id: modelIdForFile(file), problem: err instanceof Error ? err.message : String(err) });
    }
  }
  return out;
}

/** `local.modelsDir` when set; else the download folder (default ~/.orchestra/models) if it exists; else ''. */
export async function effectiveModelsDir(modelsDir: string, fallback: string = defaultModelsDir()): Promise<string> {
  if (modelsDir) return modelsDir;
  return (await stat(fallback).then(
    (st) => st.isDirectory(),
    () => false,
  ))
    ? fallback
    : '';
}

/**
 * Resolves `local.models` + `local.modelsDir` (or, when that is empty, the download folder if it
 * exists) to GGUF files, validates each (missing, not GGUF,
 * truncated, unsupported architecture, too large → problems) and serves the others from one
 * loopback endpoint. With no usable file, `entries` is empty and nothing listens.
 */
export async function startEmbeddedModels(local: OrchestraConfig['local'], opts: EmbeddedModelsOptions = {}): Promise<EmbeddedModels> {
  const modelsDir = await effectiveModelsDir(local.modelsDir, opts.defaultModelsDir);
  const { files, problems } = await resolveLocalModelFiles({ models: local.models, modelsDir });
  const good: Array<{ id: string; path: string }> = [];
  const ids = new Set<string>();
  for (const file of files) {
    try {
      await validateLocalModel(file, { contextLength: opts.contextSize });
    } catch (err) {
      problems.push({ file, message: err instanceof Error ? err.message : String(err) });
      continue;
    }
    let id = modelIdForFile(file);
    for (let n = 2; ids.has(id); n++) id = `${modelIdForFile(file)}-${n}`;
    ids.add(id);
    good.push({ id, path: file });
  }
  if (good.length === 0) return { entries: [], problems, served: [], baseUrl: undefined, close: async () => {} };
  const endpoint = await startLocalEndpoint({
    models: good,
    port: opts.port,
    threads: opts.threads,
    concurrency: opts.concurrency,
    contextSize: opts.contextSize,
    gpu: opts.gpu,
    idleUnloadSeconds: local.idleUnloadSeconds,
    log: opts.log,
  });
  return {
    entries: endpoint.modelEntries(),
    problems,
    served: good.map((g) => ({ id: g.id, file: g.path })),
    baseUrl: endpoint.baseUrl,
    close: () => endpoint.close(),
  };
}
