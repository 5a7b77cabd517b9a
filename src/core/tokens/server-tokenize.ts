// Token counts from the model's own server, in the model's own tokens. vLLM and SGLang answer
// POST /tokenize with the chat template applied ({model, messages, tools} → {count}); llama.cpp's
// server and Orchestra's embedded runtime render the template with POST /apply-template and count
// it with POST /tokenize ({content} → {tokens}). Which of these a server has is probed once per
// endpoint with a request holding nothing of the user's, and remembered.

export type TokenizeApi = 'chat' | 'template' | 'none';

export interface TokenizeEndpoint {
  baseUrl: string;
  /** The model name the endpoint serves (sent as `model`). */
  model: string;
  apiKey?: string;
}

type Fetch = typeof fetch;

/** The server root: the base URL without its OpenAI `/v1` suffix (where /tokenize lives). */
export function serverRoot(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
}

const PROBE_MESSAGES = [{ role: 'user', content: 'hi' }];

export class ServerTokenizer {
  private readonly apis = new Map<string, Promise<TokenizeApi>>();

  constructor(
    private readonly fetchFn: Fetch = fetch,
    private readonly timeoutMs = 5_000,
  ) {}

  /** Which tokenize API the endpoint offers; probed on first use, then remembered. */
  api(ep: TokenizeEndpoint): Promise<TokenizeApi> {
    const key = `${serverRoot(ep.baseUrl)}\u0000${ep.model}`;
    let api = this.apis.get(key);
    if (!api) {
      // Only HTTP servers have a tokenize route (not the editor's own models, `vscode-lm://`).
      api = /^https?:\/\//i.test(ep.baseUrl) ? this.probe(ep).catch(() => 'none' as const) : Promise.resolve('none' as const);
      this.apis.set(key, api);
    }
    return api;
  }

  /** What a probe found, without probing; undefined before the first probe ends. */
  known(ep: TokenizeEndpoint): Promise<TokenizeApi> | undefined {
    return this.apis.get(`${serverRoot(ep.baseUrl)}\u0000${ep.model}`);
  }

  /** Forgets what was probed (the endpoints changed). */
  forget(): void {
    this.apis.clear();
  }

  /** Prompt tokens of a chat request as the server counts them; undefined when it cannot say. */
  async countChat(ep: TokenizeEndpoint, messages: readonly unknown[], tools?: readonly unknown[]): Promise<number | undefined> {
    const api = await this.api(ep);
    if (api === 'chat') return this.chatCount(ep, messages, tools);
    if (api === 'template') {
      const prompt = await this.applyTemplate(ep, messages, tools);
      return prompt === undefined ? undefined : this.templateCount(ep, prompt, true);
    }
    return undefined;
  }

  /** Tokens of plain text (a reply that arrived); undefined when the server cannot say. */
  async countText(ep: TokenizeEndpoint, text: string): Promise<number | undefined> {
    if (!text) return 0;
    const api = await this.api(ep);
    if (api === 'chat') {
      const r = await this.post(ep, '/tokenize', { model: ep.model, prompt: text, add_special_tokens: false });
      return countOf(r);
    }
    if (api === 'template') return this.templateCount(ep, text, false);
    return undefined;
  }

  private async probe(ep: TokenizeEndpoint): Promise<TokenizeApi> {
    const chat = await this.post(ep, '/tokenize', { model: ep.model, messages: PROBE_MESSAGES, add_generation_prompt: true });
    // vLLM and SGLang answer with `count`; llama.cpp's /tokenize answers `tokens` only (and needs `content`).
    if (chat && typeof (chat as { count?: unknown }).count === 'number') return 'chat';
    const prompt = await this.applyTemplate(ep, PROBE_MESSAGES);
    if (prompt !== undefined && (await this.templateCount(ep, prompt, true)) !== undefined) return 'template';
    return 'none';
  }

  private async chatCount(ep: TokenizeEndpoint, messages: readonly unknown[], tools?: readonly unknown[]): Promise<number | undefined> {
    const body: Record<string, unknown> = { model: ep.model, messages, add_generation_prompt: true };
    if (tools?.length) body.tools = tools;
    return countOf(await this.post(ep, '/tokenize', body));
  }

  private async applyTemplate(ep: TokenizeEndpoint, messages: readonly unknown[], tools?: readonly unknown[]): Promise<string | undefined> {
    const body: Record<string, unknown> = { messages };
    if (tools?.length) body.tools = tools;
    const r = await this.post(ep, '/apply-template', body);
    const prompt = (r as { prompt?: unknown } | undefined)?.prompt;
    return typeof prompt === 'string' ? prompt : undefined;
  }

  private async templateCount(ep: TokenizeEndpoint, content: string, special: boolean): Promise<number | undefined> {
    const r = await this.post(ep, '/tokenize', { content, add_special: special });
    const tokens = (r as { tokens?: unknown } | undefined)?.tokens;
    return Array.isArray(tokens) ? tokens.length : undefined;
  }

  /** A JSON POST to the server root; undefined on any failure (the caller falls back to an estimate). */
  private async post(ep: TokenizeEndpoint, path: string, body: unknown): Promise<unknown> {
    try {
      const res = await this.fetchFn(`${serverRoot(ep.baseUrl)}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(ep.apiKey ? { authorization: `Bearer ${ep.apiKey}` } : {}) },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        return undefined;
      }
      return await res.json();
    } catch {
      return undefined;
    }
  }
}

function countOf(r: unknown): number | undefined {
  const count = (r as { count?: unknown } | undefined)?.count;
  if (typeof count === 'number' && Number.isFinite(count) && count >= 0) return Math.round(count);
  const tokens = (r as { tokens?: unknown } | undefined)?.tokens;
  return Array.isArray(tokens) ? tokens.length : undefined;
}
