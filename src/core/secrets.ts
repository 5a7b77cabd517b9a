// The API keys a running engine has handed out, so they can be scrubbed from every event, log line,
// outcome and trajectory, and kept from child processes. Keys come from the host (SecretStorage in
// VS Code, the environment for the CLI); this registry only remembers what passed through it.
import type { OrchestraConfig } from './config';
import type { EngineHost } from './engine-api';
import type { PoolModel } from './pool';
import { modelVerdict } from './preferences';

/** Shorter values are not treated as secrets: scrubbing "abc" everywhere would mangle ordinary text. */
const SECRET_MIN_LENGTH = 8;

type SecretRef = Parameters<EngineHost['getSecret']>[0];

export class SecretRegistry {
  private readonly values = new Set<string>();

  constructor(private readonly host: Pick<EngineHost, 'getSecret'>) {}

  /** The host's getSecret, remembering every key it returns. */
  readonly get = async (ref: SecretRef): Promise<string | undefined> => {
    const value = await this.host.getSecret(ref);
    if (value && value.length >= SECRET_MIN_LENGTH) this.values.add(value);
    return value;
  };

  get size(): number {
    return this.values.size;
  }

  scrub(text: string): string {
    let out = text;
    for (const s of this.values) if (out.includes(s)) out = out.split(s).join('[redacted]');
    return out;
  }

  /** A JSON value with every known key replaced; the same object when there was nothing to replace. */
  scrubJson<T>(value: T): T {
    if (!this.values.size) return value;
    const text = JSON.stringify(value);
    const clean = this.scrub(text);
    return clean === text ? value : (JSON.parse(clean) as T);
  }

  /** What child processes must not inherit: every configured key variable and every key fetched. */
  known(config: OrchestraConfig): { names: string[]; values: string[] } {
    const names = config.models.flatMap((m) => (m.apiKeyEnv ? [m.apiKeyEnv] : []));
    if (config.tools.webSearch.apiKeyEnv) names.push(config.tools.webSearch.apiKeyEnv);
    return { names, values: [...this.values] };
  }

  /**
   * Fetches every key a task may use before anything is emitted, so a model that repeats one (or a
   * provider that echoes it) is scrubbed from the very first event, not only after its first use.
   */
  async learn(models: readonly PoolModel[], config: OrchestraConfig): Promise<void> {
    const refs: SecretRef[] = models
      // The host's own models need no key from here.
      .filter((m) => !m.hostModel && modelVerdict(m, config).eligible)
      .map((m) => ({ modelId: m.id, env: m.apiKeyEnv, purpose: 'model' as const }));
    const web = config.tools.webSearch;
    if (web.provider === 'tavily' || web.provider === 'brave')
      refs.push({ env: web.apiKeyEnv ?? (web.provider === 'tavily' ? 'TAVILY_API_KEY' : 'BRAVE_API_KEY'), purpose: 'web_search' });
    // A key that cannot be read now is asked for again when it is needed (and fails there, with its reason).
    await Promise.all(refs.map((ref) => this.get(ref).catch(() => undefined)));
  }
}
