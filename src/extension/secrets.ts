// API keys live only in VS Code's SecretStorage: `orchestra.apiKey.<modelId>` per model and
// `orchestra.apiKey.webSearch` for the search provider. They go to the engine process on its request
// and nowhere else (not to settings, the webview, or the log).
//
// Each key is bound to the origin (scheme://host:port) it was entered for, and released only to a
// request whose endpoint has that origin. A repository's .vscode/settings.json can redefine a model
// id or the web-search URL to point at its own server; without the binding, the key stored for that
// id would be sent there.
import type * as vscode from 'vscode';
import type { SecretParams } from '../protocol/engine-rpc';

export const WEB_SEARCH_SECRET = 'orchestra.apiKey.webSearch';

export function modelSecretKey(modelId: string): string {
  return `orchestra.apiKey.${modelId}`;
}

/** How a key is stored: the key and the origin it may be sent to (and, for a model with replicas, theirs). */
interface BoundKey {
  key: string;
  origin: string;
  /** The origins of the model's other replicas (`baseUrls`) when the key was entered. */
  also?: string[];
}

/** `scheme://host:port` of an http(s) URL (lower-cased, default port dropped), or undefined. */
export function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    return u.origin;
  } catch {
    return undefined;
  }
}

/**
 * Where a key stored before keys were bound (a plain string) may go: the endpoint the user's own
 * settings (user scope, never the workspace's) give for it, or undefined when they give none.
 */
export type LegacyEndpoint = (params: SecretParams) => string | undefined;

export class ApiKeys {
  constructor(
    private readonly storage: vscode.SecretStorage,
    private readonly legacyEndpoint: LegacyEndpoint = () => undefined,
    private readonly log?: (message: string) => void,
  ) {}

  /**
   * The key for a model (or the web-search provider), only when `params.baseUrl` — the endpoint the
   * engine will send it to — has the origin the key was stored for.
   */
  async get(params: SecretParams): Promise<string | undefined> {
    const name = params.purpose === 'web_search' ? WEB_SEARCH_SECRET : params.modelId ? modelSecretKey(params.modelId) : undefined;
    if (!name) return undefined;
    const stored = this.parse(await this.storage.get(name), params);
    if (!stored) return undefined;
    const what = params.purpose === 'web_search' ? 'the web-search key' : `the key of model "${params.modelId}"`;
    const requested = originOf(params.baseUrl);
    if (!requested) {
      this.log?.(`${what} was not released: the engine did not say which endpoint it is for`);
      return undefined;
    }
    if (requested !== stored.origin && !stored.also?.includes(requested)) {
      this.log?.(
        `${what} was not released: it was stored for ${stored.origin}, and this request goes to ${requested} (set the key again for the new endpoint if that is intended)`,
      );
      return undefined;
    }
    return stored.key;
  }

  /**
   * Stores a model's key, bound to the origin of `baseUrl` (the endpoint it was entered for) and to
   * those of the model's `replicas` (its `baseUrls`) at that moment.
   */
  async setModelKey(modelId: string, key: string, baseUrl: string, replicas: readonly string[] = []): Promise<void> {
    await this.storage.store(modelSecretKey(modelId), this.bind(key, baseUrl, replicas));
  }

  /** Stores the web-search key, bound to the origin of the provider's endpoint. */
  async setWebSearchKey(key: string, endpoint: string): Promise<void> {
    await this.storage.store(WEB_SEARCH_SECRET, this.bind(key, endpoint));
  }

  async deleteWebSearchKey(): Promise<void> {
    await this.storage.delete(WEB_SEARCH_SECRET);
  }

  async hasModelKey(modelId: string): Promise<boolean> {
    return Boolean(await this.storage.get(modelSecretKey(modelId)));
  }

  /** The origin a model's stored key is bound to (undefined when none is stored or it is unbound). */
  async modelKeyOrigin(modelId: string): Promise<string | undefined> {
    return this.parse(await this.storage.get(modelSecretKey(modelId)), { modelId, purpose: 'model' })?.origin;
  }

  async deleteModelKey(modelId: string): Promise<void> {
    await this.storage.delete(modelSecretKey(modelId));
  }

  private bind(key: string, endpoint: string, replicas: readonly string[] = []): string {
    const origin = originOf(endpoint);
    if (!origin) throw new Error(`cannot store the key: "${endpoint}" is not an http(s) URL to bind it to`);
    const also = [...new Set(replicas.map(originOf).filter((o): o is string => !!o && o !== origin))];
    return JSON.stringify({ key, origin, ...(also.length ? { also } : {}) } satisfies BoundKey);
  }

  /** A stored value as {key, origin}; a plain (pre-binding) value is bound to the user-scope endpoint. */
  private parse(raw: string | undefined, params: SecretParams): BoundKey | undefined {
    if (!raw) return undefined;
    if (raw.startsWith('{')) {
      try {
        const v = JSON.parse(raw) as Partial<BoundKey>;
        if (typeof v.key === 'string' && v.key && typeof v.origin === 'string' && v.origin) {
          const also = Array.isArray(v.also) ? v.also.filter((o): o is string => typeof o === 'string') : [];
          return { key: v.key, origin: v.origin, ...(also.length ? { also } : {}) };
        }
      } catch {
        // Not JSON after all: a plain key that happens to start with "{".
      }
    }
    const origin = originOf(this.legacyEndpoint(params));
    if (!origin)
      this.log?.(
        `a key stored for ${params.purpose === 'web_search' ? 'web search' : `model "${params.modelId}"`} before keys were bound to endpoints is not used: your user settings give no endpoint for it (set the key again)`,
      );
    return origin ? { key: raw, origin } : undefined;
  }
}
