// The embedded llama.cpp models of `orchestra.local` as the engine process runs them: one loopback
// endpoint (src/server/llama), restarted only when the local settings change, whose models join the
// pool as local, open-weights, free entries. A bad file is a problem named by its path; the rest work.
import { isAbsolute, resolve } from 'node:path';
import { ModelEntry } from '../core/config';
import type { ConfigProblem, OrchestraConfig } from '../core/config';
import { startEmbeddedModels } from './llama/embedded';
import type { EmbeddedModels } from './llama/embedded';

export class EmbeddedModelHost {
  private running: EmbeddedModels | undefined;
  private key = '';
  private problems: ConfigProblem[] = [];

  constructor(private readonly log: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void) {}

  /**
   * Returns `config` with the embedded models added to `models`, and the problems found. Relative
   * paths in `local.models` / `local.modelsDir` are taken from the workspace.
   */
  async apply(config: OrchestraConfig, workspace: string): Promise<{ config: OrchestraConfig; problems: ConfigProblem[] }> {
    const local = {
      ...config.local,
      models: config.local.models.map((p) => fromWorkspace(p, workspace)),
      modelsDir: config.local.modelsDir ? fromWorkspace(config.local.modelsDir, workspace) : '',
    };
    const key = JSON.stringify(local);
    if (key !== this.key) {
      this.key = key;
      await this.stop();
      this.problems = [];
      if (local.models.length || local.modelsDir) {
        try {
          this.running = await startEmbeddedModels(local, {
            log: (e) => this.log(e.level === 'info' ? 'debug' : e.level, `local model endpoint: ${e.message}`),
          });
          for (const p of this.running.problems) this.problems.push({ path: 'local.models', message: p.message });
          if (this.running.entries.length) this.log('info', `serving ${this.running.entries.length} local model(s) at ${this.running.baseUrl}: ${this.running.entries.map((e) => e.id).join(', ')}`);
        } catch (err) {
          this.running = undefined;
          this.problems.push({ path: 'local.models', message: `the embedded model runtime could not start: ${err instanceof Error ? err.message : String(err)}` });
        }
      }
    }
    const entries = this.running?.entries ?? [];
    if (!entries.length) return { config, problems: [...this.problems] };
    const taken = new Set(config.models.map((m) => m.id));
    const problems = [...this.problems];
    const added: ModelEntry[] = [];
    for (const entry of entries) {
      const parsed = ModelEntry.safeParse(entry);
      if (!parsed.success) {
        problems.push({ path: 'local.models', message: `${entry.id}: ${parsed.error.issues.map((i) => i.message).join('; ')}` });
      } else if (taken.has(parsed.data.id)) {
        problems.push({ path: 'local.models', message: `model id "${parsed.data.id}" is already used in models; the local file is not added` });
      } else {
        taken.add(parsed.data.id);
        added.push(parsed.data);
      }
    }
    return { config: { ...config, models: [...config.models, ...added] }, problems };
  }

  async stop(): Promise<void> {
    const r = this.running;
    this.running = undefined;
    if (r) await r.close().catch((err) => this.log('warn', `stopping the local model endpoint: ${err instanceof Error ? err.message : String(err)}`));
  }
}

function fromWorkspace(p: string, workspace: string): string {
  // `~` is expanded by the runtime; absolute paths stay as given.
  if (p === '~' || p.startsWith('~/') || isAbsolute(p)) return p;
  return resolve(workspace, p);
}
