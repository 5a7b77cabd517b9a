// The CLI's configuration with the one model registry applied: the config file is read, the local
// GGUF models (the files `local.models` names and every GGUF file in the models folder) are served
// on loopback and added to `models`, and only then is the configuration validated, so an embedded
// model can be `orchestrator.model` exactly as in VS Code.
import { parseConfig, type ConfigProblem, type OrchestraConfig } from '../core/config';
import { defaultModelsDir } from '../server/llama/catalog';
import { addLocalEntries } from '../server/llama/registry';
import type { GpuLayers } from '../server/llama/runtime';
import { readConfigFile } from './config-file';

export interface RegistryIo {
  err(text: string): void;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface ConfigWithLocalModels {
  config: OrchestraConfig;
  /** The config file read, if any. */
  file?: string;
  /** Ids of the embedded models in the pool. */
  localIds: string[];
  /** Stops the loopback endpoint of the embedded models. */
  close(): Promise<void>;
}

export interface LocalOverrides {
  threads?: number;
  gpuLayers?: GpuLayers;
}

function printProblems(io: RegistryIo, file: string | undefined, problems: ConfigProblem[]): void {
  io.err(`orchestra: invalid config${file ? ` ${file}` : ''}:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}\n`);
}

/**
 * The validated configuration with the local models in the pool, or undefined once the reason was
 * printed (a usage or configuration error: exit code 2). With no config file, local models alone
 * are a usable configuration; with neither, `requireModels` makes that an error saying how to fix it.
 */
export async function loadConfigWithLocalModels(
  explicit: string | undefined,
  io: RegistryIo,
  opts: { requireModels: boolean } & LocalOverrides,
): Promise<ConfigWithLocalModels | undefined> {
  const read = readConfigFile(explicit, { cwd: io.cwd, env: io.env, required: false });
  if (!read.ok) {
    printProblems(io, read.file, read.problems);
    return undefined;
  }
  // The local settings as the schema reads them; the final validation below reports bad values.
  const settings = parseConfig(read.raw).config;
  const { startEmbeddedModels } = await import('../server/llama/embedded');
  const embedded = await startEmbeddedModels(settings.local, {
    defaultModelsDir: defaultModelsDir(io.env),
    baseDir: io.cwd,
    concurrency: settings.concurrency,
    threads: opts.threads ?? (settings.local.threads || undefined),
    gpuLayers: opts.gpuLayers ?? settings.local.gpuLayers,
  });
  for (const p of embedded.problems)
    io.err(`orchestra: local model ${p.file}: ${p.message.startsWith(p.file) ? p.message.slice(p.file.length + 2) : p.message}\n`);
  const added = addLocalEntries(read.raw, embedded.entries);
  for (const p of added.problems) io.err(`orchestra: ${p.path}: ${p.message}\n`);
  const { config, problems } = parseConfig(added.raw);
  if (problems.length) {
    printProblems(io, read.file, problems);
    await embedded.close();
    return undefined;
  }
  if (opts.requireModels && !read.file && config.models.length === 0) {
    io.err(
      `orchestra: no config file and no local model: pass --config FILE, set ORCHESTRA_CONFIG or create orchestra.json here, or download a model into ${defaultModelsDir(io.env)} (orchestra local download qwen2.5-1.5b-instruct)\n`,
    );
    await embedded.close();
    return undefined;
  }
  const localIds = new Set(embedded.entries.map((e) => e.id));
  return {
    config,
    file: read.file,
    localIds: config.models.filter((m) => localIds.has(m.id)).map((m) => m.id),
    close: () => embedded.close(),
  };
}
