// The embedded llama.cpp models as the engine process runs them: the files `orchestra.local` names
// and those in the models folder, served from one loopback endpoint (src/server/llama) that restarts
// only when the local settings change. Their pool entries join the settings before validation (the
// registry step), as local, open-weights, free models. A bad file is a problem named by its path.
import { isAbsolute, resolve } from 'node:path';
import { ModelEntry, parseConfig } from '../core/config';
import type { ConfigProblem, ModelEntryInput, OrchestraConfig } from '../core/config';
import type { LocalModelStatus } from '../protocol/engine-rpc';
import { effectiveModelsDir, resolveLocalModelFiles, startEmbeddedModels } from './llama/embedded';
import type { EmbeddedModels } from './llama/embedded';
import { addLocalEntries, modelIdForFile } from './llama/registry';
import { inspectModelFile } from './model-downloads';

export class EmbeddedModelHost {
  private running: EmbeddedModels | undefined;
  private key = '';
  private problems: ConfigProblem[] = [];
  /** The local settings last applied, paths taken from the workspace. */
  private local: Pick<OrchestraConfig['local'], 'models' | 'modelsDir'> = { models: [], modelsDir: '' };
  /** Pool ids that `apply` left out (already used in `models`), by file. */
  private notAdded = new Map<string, string>();

  constructor(private readonly log: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void) {}

  /**
   * The registry step, before validation: starts (or keeps) the endpoint for the local settings of
   * `raw` and returns `raw` with the embedded models added to `models`, and the problems found (bad
   * files, ids already taken). Relative paths in `local.models` / `local.modelsDir` are taken from
   * the workspace; with no models folder configured, the default one is used when it exists.
   */
  async apply(raw: Record<string, unknown>, workspace: string): Promise<{ raw: Record<string, unknown>; problems: ConfigProblem[] }> {
    // The local settings as the schema reads them (invalid values fall back to defaults; the final
    // validation reports them).
    const config = parseConfig(raw).config;
    const local = {
      ...config.local,
      models: config.local.models.map((p) => fromWorkspace(p, workspace)),
      modelsDir: config.local.modelsDir ? fromWorkspace(config.local.modelsDir, workspace) : '',
    };
    // Concurrent calls per local model follow the pool's concurrency; a change restarts the endpoint.
    const concurrency = config.concurrency;
    const modelsDir = await effectiveModelsDir(local.modelsDir);
    const key = JSON.stringify({ local, concurrency, modelsDir });
    this.local = local;
    if (key !== this.key) {
      this.key = key;
      await this.stop();
      this.problems = [];
      if (local.models.length || modelsDir) {
        try {
          this.running = await startEmbeddedModels(local, {
            concurrency,
            threads: local.threads || undefined,
            gpuLayers: local.gpuLayers,
            log: (e) => this.log(e.level === 'info' ? 'debug' : e.level, `local model endpoint: ${e.message}`),
          });
          for (const p of this.running.problems) this.problems.push({ path: 'local.models', message: p.message });
          if (this.running.entries.length)
            this.log(
              'info',
              `serving ${this.running.entries.length} local model(s) at ${this.running.baseUrl}: ${this.running.entries.map((e) => e.id).join(', ')}`,
            );
        } catch (err) {
          this.running = undefined;
          this.problems.push({
            path: 'local.models',
            message: `the embedded model runtime could not start: ${err instanceof Error ? err.message : String(err)}`,
          });
        }
      }
    }
    const entries = this.running?.entries ?? [];
    this.notAdded = new Map();
    const valid: ModelEntryInput[] = [];
    const problems = [...this.problems];
    for (const entry of entries) {
      const parsed = ModelEntry.safeParse(entry);
      if (parsed.success) valid.push(entry);
      else problems.push({ path: 'local.models', message: `${entry.id}: ${parsed.error.issues.map((i) => i.message).join('; ')}` });
    }
    const added = addLocalEntries(raw, valid);
    for (const p of added.problems) {
      problems.push(p);
      const id = /model id "([^"]+)"/.exec(p.message)?.[1];
      const file = this.running?.served.find((s) => s.id === id)?.file;
      if (file) this.notAdded.set(file, p.message);
    }
    return { raw: added.raw, problems };
  }

  /**
   * Every GGUF model the local settings name (files, folders, and the download folder when
   * `modelsDir` is empty), with its header facts, memory fit and whether it is in the pool.
   */
  async describe(): Promise<LocalModelStatus[]> {
    const modelsDir = await effectiveModelsDir(this.local.modelsDir);
    if (!this.local.models.length && !modelsDir) return [];
    const { files, problems } = await resolveLocalModelFiles({ models: this.local.models, modelsDir });
    const served = new Map((this.running?.served ?? []).map((s) => [s.file, s.id]));
    const runProblems = new Map((this.running?.problems ?? []).map((p) => [p.file, p.message]));
    const out: LocalModelStatus[] = [];
    for (const file of files) {
      const id = served.get(file);
      const inPool = id !== undefined && !this.notAdded.has(file);
      const status = await inspectModelFile(file, inPool, id);
      if (!inPool && !status.problem)
        status.problem =
          this.notAdded.get(file) ??
          stripFile(runProblems.get(file), file) ??
          'not served (the local model endpoint did not start; see the log)';
      out.push(status);
    }
    for (const p of problems) out.push({ file: p.file, id: modelIdForFile(p.file), served: false, problem: stripFile(p.message, p.file) });
    return out;
  }

  async stop(): Promise<void> {
    const r = this.running;
    this.running = undefined;
    if (r)
      await r
        .close()
        .catch((err) => this.log('warn', `stopping the local model endpoint: ${err instanceof Error ? err.message : String(err)}`));
  }
}

function stripFile(message: string | undefined, file: string): string | undefined {
  return message?.startsWith(`${file}: `) ? message.slice(file.length + 2) : message;
}

function fromWorkspace(p: string, workspace: string): string {
  // `~` is expanded by the runtime; absolute paths stay as given.
  if (p === '~' || p.startsWith('~/') || isAbsolute(p)) return p;
  return resolve(workspace, p);
}
