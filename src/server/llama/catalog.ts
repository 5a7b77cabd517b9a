// Recommended open-weights GGUF models for running Orchestra with nothing else installed. Each file
// has a SHA-256 whose source its entry records; where a repository revision is known the URL pins
// it, so the size and hash (the Git LFS pointer of that revision) cannot change under us. A file
// without a known hash would say so instead of inventing one, and only its size would be checked.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as os from 'node:os';
import { z } from 'zod';
import { MODEL_ROLES } from '../../core/config';
import type { ModelRole } from '../../core/config';
import { ensureDownloaded, GGUF_MAGIC, type DownloadOptions, type EnsureResult } from './download';

export interface CatalogModel {
  id: string;
  title: string;
  description: string;
  roles: ModelRole[];
  url: string;
  fileName: string;
  /** The file's size in bytes: exact when `sizeExact`, else approximate (the download then trusts the server). */
  sizeBytes: number;
  sizeExact?: boolean;
  /** Approximate RAM to run it with an 8k context. */
  memoryBytes: number;
  licence: string;
  licenceUrl: string;
  sha256?: string;
  /** Where `sha256` and the exact size come from, or why there is no hash. */
  checksumSource: string;
  /** The model card to read before use. */
  homepage: string;
}

const GB = 1024 ** 3;

const NOT_CHECKED_HERE =
  'the catalog was written on a machine without access to huggingface.co, so this was not re-checked against the live listing';

export const MODEL_CATALOG: readonly CatalogModel[] = [
  {
    id: 'orchestrator-8b',
    title: 'Nemotron Orchestrator 8B (Q4_K_M)',
    description:
      "NVIDIA's ToolOrchestra policy (Qwen3-8B fine-tune) trained to route work between tools and models; Orchestra's native orchestrator.",
    roles: ['orchestrator'],
    url: 'https://huggingface.co/bartowski/nvidia_Orchestrator-8B-GGUF/resolve/b4bbbc08d2b475fe529428e6f358c932881aa0b5/nvidia_Orchestrator-8B-Q4_K_M.gguf',
    fileName: 'nvidia_Orchestrator-8B-Q4_K_M.gguf',
    sizeBytes: 5_027_783_840,
    sizeExact: true,
    memoryBytes: Math.round(6.5 * GB),
    licence: 'NVIDIA licence for Nemotron-Orchestrator-8B (research and development use; read the model card)',
    licenceUrl: 'https://huggingface.co/nvidia/Nemotron-Orchestrator-8B',
    sha256: '1cc7077e20b3339d1a46bc72e29959cdd4c7249ebbd73e6977e76f23625995c7',
    checksumSource: `Git LFS pointer (oid sha256, size) of bartowski/nvidia_Orchestrator-8B-GGUF at revision b4bbbc08d2b475fe529428e6f358c932881aa0b5, as quoted by a public benchmark record that re-hashed its download; ${NOT_CHECKED_HERE}`,
    homepage: 'https://huggingface.co/nvidia/Nemotron-Orchestrator-8B',
  },
  {
    id: 'qwen2.5-1.5b-instruct',
    title: 'Qwen2.5 1.5B Instruct (Q4_K_M)',
    description: 'A small, fast general model with tool calling; runs on any laptop CPU.',
    roles: ['general', 'answer', 'search-query'],
    url: 'https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct-GGUF/resolve/91cad51170dc346986eccefdc2dd33a9da36ead9/qwen2.5-1.5b-instruct-q4_k_m.gguf',
    fileName: 'qwen2.5-1.5b-instruct-q4_k_m.gguf',
    sizeBytes: 1_117_320_736,
    sizeExact: true,
    memoryBytes: Math.round(1.6 * GB),
    licence: 'Apache-2.0',
    licenceUrl: 'https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct-GGUF/blob/main/LICENSE',
    sha256: '6a1a2eb6d15622bf3c96857206351ba97e1af16c30d7a74ee38970e434e9407e',
    checksumSource: `Git LFS pointer (oid sha256, size) of Qwen/Qwen2.5-1.5B-Instruct-GGUF (the publisher's own repository) at revision 91cad51170dc346986eccefdc2dd33a9da36ead9, as quoted by a public download script that pins it; ${NOT_CHECKED_HERE}`,
    homepage: 'https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct-GGUF',
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
    sha256: '1664fccab734674a50763490a8c6931b70e3f2f8ec10031b54806d30e5f956b6',
    checksumSource: `SHA-256 of Qwen2.5-Coder-7B-Instruct-Q4_K_M.gguf in bartowski/Qwen2.5-Coder-7B-Instruct-GGUF as recorded by LocalAI's model gallery (mudler/LocalAI, gallery/index.yaml, entry qwen2.5-coder-7b-instruct; added 2024-09-20 in b6af4f4467724bd9d59e6f7f573f513f927fc8e2 and recorded again 2024-11-12 in daf1b254761d9d3d4e9e2149eefdeb3238b97649; LocalAI checks it on every download); no pinned revision or exact size was found, so the file comes from main and is checked by this hash; ${NOT_CHECKED_HERE}`,
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
  sizeExact: z.boolean().optional(),
  memoryBytes: z.number().int().nonnegative(),
  licence: z.string().min(1),
  licenceUrl: z.string().default(''),
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'a SHA-256 in hex (64 digits)')
    .optional(),
  checksumSource: z.string().default(''),
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

/** The environment variable that moves the default models folder (tests, shared machines). */
export const MODELS_DIR_ENV = 'ORCHESTRA_MODELS_DIR';

/**
 * The models folder when the settings name none: $ORCHESTRA_MODELS_DIR, else ~/.orchestra/models.
 * Downloads go there, and every GGUF file in it joins the model pool.
 */
export function defaultModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env[MODELS_DIR_ENV] || join(os.homedir(), '.orchestra', 'models');
}

/**
 * Downloads a catalog model into `dir` (resumable; see downloadFile), or checks the copy already
 * there (its size, and its SHA-256 where the catalog has one) and fetches nothing. `url` may be
 * overridden (mirrors, tests).
 */
export function downloadCatalogModel(
  model: CatalogModel,
  dir: string,
  opts: Omit<DownloadOptions, 'url' | 'destination' | 'sha256' | 'magic'> & { url?: string; onHashing?: () => void } = {},
): Promise<EnsureResult> {
  const { onHashing, ...rest } = opts;
  return ensureDownloaded(
    {
      ...rest,
      url: opts.url ?? model.url,
      destination: join(dir, model.fileName),
      sha256: model.sha256,
      expectedBytes: model.sizeExact ? model.sizeBytes : undefined,
      magic: GGUF_MAGIC,
    },
    onHashing,
  );
}
