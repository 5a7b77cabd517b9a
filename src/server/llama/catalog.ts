// Recommended open-weights GGUF models for running Orchestra with nothing else installed. Sizes
// are the published file sizes rounded (the downloader trusts the server's Content-Length); a
// SHA-256 is given only where it is known; none is invented.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as os from 'node:os';
import { z } from 'zod';
import { MODEL_ROLES } from '../../core/config';
import type { ModelRole } from '../../core/config';
import { downloadFile, type DownloadOptions, type DownloadResult } from './download';

export interface CatalogModel {
  id: string;
  title: string;
  description: string;
  roles: ModelRole[];
  url: string;
  fileName: string;
  /** Approximate file size in bytes. */
  sizeBytes: number;
  /** Approximate RAM to run it with an 8k context. */
  memoryBytes: number;
  licence: string;
  licenceUrl: string;
  sha256?: string;
  /** The model card to read before use. */
  homepage: string;
}

const GB = 1024 ** 3;

export const MODEL_CATALOG: readonly CatalogModel[] = [
  {
    id: 'orchestrator-8b',
    title: 'Nemotron Orchestrator 8B (Q4_K_M)',
    description:
      "NVIDIA's ToolOrchestra policy (Qwen3-8B fine-tune) trained to route work between tools and models; Orchestra's native orchestrator.",
    roles: ['orchestrator'],
    url: 'https://huggingface.co/bartowski/nvidia_Orchestrator-8B-GGUF/resolve/main/nvidia_Orchestrator-8B-Q4_K_M.gguf',
    fileName: 'nvidia_Orchestrator-8B-Q4_K_M.gguf',
    sizeBytes: Math.round(5.0 * GB),
    memoryBytes: Math.round(6.5 * GB),
    licence: 'NVIDIA licence for Nemotron-Orchestrator-8B (research and development use; read the model card)',
    licenceUrl: 'https://huggingface.co/nvidia/Nemotron-Orchestrator-8B',
    homepage: 'https://huggingface.co/nvidia/Nemotron-Orchestrator-8B',
  },
  {
    id: 'qwen2.5-1.5b-instruct',
    title: 'Qwen2.5 1.5B Instruct (Q4_K_M)',
    description: 'A small, fast general model with tool calling; runs on any laptop CPU.',
    roles: ['general', 'answer', 'search-query'],
    url: 'https://huggingface.co/bartowski/Qwen2.5-1.5B-Instruct-GGUF/resolve/main/Qwen2.5-1.5B-Instruct-Q4_K_M.gguf',
    fileName: 'Qwen2.5-1.5B-Instruct-Q4_K_M.gguf',
    sizeBytes: Math.round(0.99 * GB),
    memoryBytes: Math.round(1.6 * GB),
    licence: 'Apache-2.0',
    licenceUrl: 'https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct/blob/main/LICENSE',
    homepage: 'https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct',
  },
  {
    id: 'qwen2.5-coder-7b-instruct',
    title: 'Qwen2.5 Coder 7B Instruct (Q4_K_M)',
    description: 'A code model for writing, explaining and fixing code.',
    roles: ['code'],
    url: 'https://huggingface.co/bartowski/Qwen2.5-Coder-7B-Instruct-GGUF/resolve/main/Qwen2.5-Coder-7B-Instruct-Q4_K_M.gguf',
    fileName: 'Qwen2.5-Coder-7B-Instruct-Q4_K_M.gguf',
    sizeBytes: Math.round(4.68 * GB),
    memoryBytes: Math.round(6.0 * GB),
    licence: 'Apache-2.0',
    licenceUrl: 'https://huggingface.co/Qwen/Qwen2.5-Coder-7B-Instruct/blob/main/LICENSE',
    homepage: 'https://huggingface.co/Qwen/Qwen2.5-Coder-7B-Instruct',
  },
];

/**
 * Names a JSON file holding a catalog (an array of CatalogModel objects) that replaces the built-in
 * one. Meant for tests and mirrors: tests serve tiny models from a loopback server this way.
 */
export const CATALOG_FILE_ENV = 'ORCHESTRA_CATALOG_FILE';

const CatalogModelSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'only letters, digits and . _ - (at most 100)'),
  title: z.string().min(1),
  description: z.string().default(''),
  roles: z.array(z.enum(MODEL_ROLES)).default(['general']),
  url: z.url({ protocol: /^https?$/ }),
  fileName: z.string().regex(/^[^/\\]+\.gguf$/i, 'a file name ending in .gguf, without folders'),
  sizeBytes: z.number().int().nonnegative(),
  memoryBytes: z.number().int().nonnegative(),
  licence: z.string().min(1),
  licenceUrl: z.string().default(''),
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'a SHA-256 in hex (64 digits)')
    .optional(),
  homepage: z.string().default(''),
});

/**
 * The catalog in use: the file named by ORCHESTRA_CATALOG_FILE when set, else MODEL_CATALOG.
 * Read on every call (it is small), so a changed file applies at once. Throws an Error naming the
 * file and the bad field.
 */
export function catalogModels(env: NodeJS.ProcessEnv = process.env): readonly CatalogModel[] {
  const file = env[CATALOG_FILE_ENV];
  if (!file) return MODEL_CATALOG;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`the model catalog ${file} (${CATALOG_FILE_ENV}) cannot be read: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  const parsed = z.array(CatalogModelSchema).safeParse(raw);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ');
    throw new Error(`the model catalog ${file} (${CATALOG_FILE_ENV}) is invalid: ${detail}`);
  }
  const ids = new Set<string>();
  for (const m of parsed.data) {
    if (ids.has(m.id)) throw new Error(`the model catalog ${file} (${CATALOG_FILE_ENV}) lists "${m.id}" twice`);
    ids.add(m.id);
  }
  return parsed.data;
}

export function findCatalogModel(id: string, catalog: readonly CatalogModel[] = catalogModels()): CatalogModel {
  const m = catalog.find((c) => c.id === id);
  if (!m) throw new Error(`no catalog model "${id}"; choose one of: ${catalog.map((c) => c.id).join(', ')}`);
  return m;
}

/** Where downloaded models go unless the user names a folder: ~/.orchestra/models. */
export function defaultModelsDir(): string {
  return join(os.homedir(), '.orchestra', 'models');
}

/**
 * Downloads a catalog model into `dir` (resumable; see downloadFile). `url` may be overridden
 * (mirrors, tests).
 */
export function downloadCatalogModel(
  model: CatalogModel,
  dir: string,
  opts: Omit<DownloadOptions, 'url' | 'destination' | 'sha256'> & { url?: string } = {},
): Promise<DownloadResult> {
  return downloadFile({ ...opts, url: opts.url ?? model.url, destination: join(dir, model.fileName), sha256: model.sha256 });
}
