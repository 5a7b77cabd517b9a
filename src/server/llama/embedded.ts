// The engine's and the CLI's entry point to local models: resolve the configured GGUF files and
// folders, check each (bad ones become problems, the rest keep working), and serve the good ones
// from one loopback endpoint whose pool entries count as local and open-weights.
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ModelEntryInput, OrchestraConfig } from '../../core/config';
import { fitsInMemory, readGgufInfo, validateLocalModel, type GgufInfo, type MemoryFit } from './gguf-info';
import { startLocalEndpoint, type LocalEndpointLogEntry } from './openai-server';
import { defaultModelsDir } from './catalog';
import { expandHome, idsForFiles, isLaterSplitPart, modelIdForFile } from './registry';
import { loadNodeLlamaCpp, type GpuLayers } from './runtime';

export { expandHome };

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
  gpuLayers?: GpuLayers;
  port?: number;
  /** Where relative paths of the local settings start (the workspace; the CLI: the current folder). */
  baseDir?: string;
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

/** One GGUF file described from its header, as the CLI prints it (`orchestra models`, `orchestra local list --json`). */
export interface LocalModelListing {
  id: string;
  file: string;
  sizeBytes?: number;
  architecture?: string;
  parameters?: string;
  quantization?: string;
  trainedContext?: number;
  /** Fits in this machine's memory (total RAM with room for the OS), at an 8192-token context. */
  fits?: boolean;
  memory?: string;
  problem?: string;
}

export function localModelListing(d: LocalModelDescription): LocalModelListing {
  return {
    id: d.id,
    file: d.file,
    sizeBytes: d.info?.sizeBytes,
    architecture: d.info?.architecture,
    parameters: d.info?.parameterLabel,
    quantization: d.info?.quantization,
    trainedContext: d.info?.trainedContextLength,
    fits: d.fit?.fits,
    memory: d.fit?.summary,
    problem: d.problem,
  };
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
export async function startEmbeddedModels(
  local: Pick<OrchestraConfig['local'], 'models' | 'modelsDir' | 'idleUnloadSeconds'>,
  opts: EmbeddedModelsOptions = {},
): Promise<EmbeddedModels> {
  const modelsDir = await effectiveModelsDir(local.modelsDir, opts.defaultModelsDir);
  const { files, problems } = await resolveLocalModelFiles({ models: local.models, modelsDir }, opts.baseDir);
  const usable: string[] = [];
  for (const file of files) {
    try {
      await validateLocalModel(file, { contextLength: opts.contextSize });
      usable.push(file);
    } catch (err) {
      problems.push({ file, message: err instanceof Error ? err.message : String(err) });
    }
  }
  const good = idsForFiles(usable).map(({ id, file }) => ({ id, path: file }));
  if (good.length === 0) return { entries: [], problems, served: [], baseUrl: undefined, close: async () => {} };
  // A build without the runtime (the universal .vsix) keeps working with the other models and says
  // how to get local ones, instead of offering models that fail on their first call.
  try {
    await loadNodeLlamaCpp();
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    for (const g of good) problems.push({ file: g.path, message: `${g.path}: not served: ${why}` });
    return { entries: [], problems, served: [], baseUrl: undefined, close: async () => {} };
  }
  const endpoint = await startLocalEndpoint({
    models: good,
    port: opts.port,
    threads: opts.threads,
    concurrency: opts.concurrency,
    contextSize: opts.contextSize,
    gpu: opts.gpu,
    gpuLayers: opts.gpuLayers,
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
