// web_search: SearXNG (self-hosted JSON API), Tavily or Brave. Results are capped and framed as
// untrusted; the destination is the provider's host so privacy rules can refuse remote providers.
import { z } from 'zod';
import type { OrchestraConfig } from '../config';
import type { EngineHost } from '../engine-api';
import { defineTool, type Tool } from './tool';
import { hostOf, isLocalHost } from '../pool/locality';
import { textField, untrusted } from './untrusted';

export const WEB_SEARCH_TIMEOUT_MS = 15_000;
const SNIPPET_CHARS = 400;

export interface WebResult {
  title: string;
  url: string;
  snippet: string;
}

export const WebSearchArgs = z.object({
  query: z
    .string()
    .min(1, 'query must not be empty')
    .max(400, 'query must be at most 400 characters')
    .describe('What to search the web for'),
  maxResults: z.number().int().min(1).max(50).optional().describe('Most results to return'),
});
export type WebSearchArgs = z.infer<typeof WebSearchArgs>;

type WebSettings = OrchestraConfig['tools']['webSearch'];

const TAVILY_URL = 'https://api.tavily.com/search';
const BRAVE_URL = 'https://api.search.brave.com/res/v1/web/search';

/**
 * The URL a provider's requests go to. For SearXNG `url` is the instance; for Tavily and Brave a
 * non-empty `url` replaces the public endpoint (a proxy or gateway).
 */
export function webSearchEndpoint(settings: WebSettings): string {
  if (settings.provider === 'tavily') return settings.url || TAVILY_URL;
  if (settings.provider === 'brave') return settings.url || BRAVE_URL;
  return settings.url;
}

/** Where a provider's requests go: 'local' when the endpoint is on a loopback/private address. */
export function webSearchDestination(settings: WebSettings): 'local' | { host: string } {
  if (settings.provider === 'none') return 'local';
  const endpoint = webSearchEndpoint(settings);
  const host = hostOf(endpoint);
  if (!host) return { host: endpoint || '(no SearXNG url set)' };
  return isLocalHost(host) ? 'local' : { host };
}

function clip(s: unknown, n: number): string {
  const text = typeof s === 'string' ? s.replace(/\s+/g, ' ').trim() : '';
  return text.length > n ? `${text.slice(0, n)}…` : text;
}

/** A redirect to another origin is never followed: a local SearXNG could otherwise hand the query to a remote host. */
class RedirectRefused extends Error {}

const MAX_REDIRECTS = 3;

async function fetchSameOrigin(url: string, init: RequestInit, signal: AbortSignal, provider: string): Promise<Response> {
  let current = new URL(url);
  for (let hop = 0; ; hop++) {
    const res = await fetch(current, { ...init, signal, redirect: 'manual' });
    if (res.status < 300 || res.status >= 400 || res.status === 304) return res;
    const location = res.headers.get('location');
    await res.body?.cancel().catch(() => undefined);
    if (!location) throw new RedirectRefused(`${provider} answered HTTP ${res.status} without a Location header`);
    const next = new URL(location, current);
    if (next.origin !== current.origin) {
      throw new RedirectRefused(
        `${provider} redirected to ${next.host}, another host; redirects are not followed off the configured endpoint (${current.host}), so the query was not sent there`,
      );
    }
    if (hop >= MAX_REDIRECTS) throw new RedirectRefused(`${provider} redirected more than ${MAX_REDIRECTS} times`);
    current = next;
  }
}

async function fetchJson(url: string, init: RequestInit, signal: AbortSignal, provider: string, timeoutMs: number): Promise<unknown> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = AbortSignal.any([signal, timeout]);
  let res: Response;
  let body: string;
  try {
    res = await fetchSameOrigin(url, init, combined, provider);
    body = await res.text();
  } catch (e) {
    if (e instanceof RedirectRefused) throw e;
    if (timeout.aborted) throw new Error(`${provider} did not answer within ${timeoutMs / 1000} s`, { cause: e });
    if (signal.aborted) throw new Error('cancelled', { cause: e });
    throw new Error(
      `${provider} could not be reached: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`,
      { cause: e },
    );
  }
  if (!res.ok) {
    const hint = res.status === 401 || res.status === 403 ? ' (check the API key)' : res.status === 429 ? ' (rate limited)' : '';
    throw new Error(`${provider} answered HTTP ${res.status} ${res.statusText}${hint}: ${clip(body, 200)}`);
  }
  try {
    return JSON.parse(body);
  } catch {
    throw new Error(
      `${provider} answered with something that is not JSON${provider === 'SearXNG' ? ' (enable the json format in its settings.yml: search.formats)' : ''}: ${clip(body, 120)}`,
    );
  }
}

export async function webSearch(
  args: WebSearchArgs,
  opts: { settings: WebSettings; getSecret: EngineHost['getSecret']; signal: AbortSignal; timeoutMs?: number },
): Promise<WebResult[]> {
  const { settings } = opts;
  const timeoutMs = opts.timeoutMs ?? WEB_SEARCH_TIMEOUT_MS;
  const endpoint = webSearchEndpoint(settings);
  const max = Math.min(args.maxResults ?? settings.maxResults, 50);
  const key = async (defaultEnv: string) => {
    const k = await opts.getSecret({ env: settings.apiKeyEnv ?? defaultEnv, purpose: 'web_search' });
    if (!k)
      throw new Error(
        `no API key for ${settings.provider}: set ${settings.apiKeyEnv ?? defaultEnv} in the environment (CLI) or store the web-search key in Orchestra's secret storage (VS Code)`,
      );
    return k;
  };
  let results: WebResult[];
  if (settings.provider === 'searxng') {
    if (!settings.url) throw new Error('web search provider is searxng but orchestra.tools.webSearch.url is empty');
    const url = new URL('search', settings.url.endsWith('/') ? settings.url : `${settings.url}/`);
    url.searchParams.set('q', args.query);
    url.searchParams.set('format', 'json');
    const data = (await fetchJson(url.toString(), { headers: { Accept: 'application/json' } }, opts.signal, 'SearXNG', timeoutMs)) as {
      results?: Array<Record<string, unknown>>;
    };
    results = (data.results ?? []).map((r) => ({
      title: clip(r.title, 200),
      url: textField(r.url),
      snippet: clip(r.content, SNIPPET_CHARS),
    }));
  } else if (settings.provider === 'tavily') {
    const apiKey = await key('TAVILY_API_KEY');
    const data = (await fetchJson(
      endpoint,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${apiKey}` },
        body: JSON.stringify({ query: args.query, max_results: max, search_depth: 'basic' }),
      },
      opts.signal,
      'Tavily',
      timeoutMs,
    )) as { results?: Array<Record<string, unknown>> };
    results = (data.results ?? []).map((r) => ({
      title: clip(r.title, 200),
      url: textField(r.url),
      snippet: clip(r.content, SNIPPET_CHARS),
    }));
  } else if (settings.provider === 'brave') {
    const apiKey = await key('BRAVE_API_KEY');
    const url = new URL(endpoint);
    url.searchParams.set('q', args.query);
    url.searchParams.set('count', String(Math.min(max, 20)));
    const data = (await fetchJson(
      url.toString(),
      { headers: { Accept: 'application/json', 'X-Subscription-Token': apiKey } },
      opts.signal,
      'Brave',
      timeoutMs,
    )) as {
      web?: { results?: Array<Record<string, unknown>> };
    };
    results = (data.web?.results ?? []).map((r) => ({
      title: clip(r.title, 200),
      url: textField(r.url),
      snippet: clip(textField(r.description).replace(/<[^>]+>/g, ''), SNIPPET_CHARS),
    }));
  } else {
    throw new Error('web search is turned off (orchestra.tools.webSearch.provider is "none")');
  }
  return results.filter((r) => r.url).slice(0, max);
}

export function formatWebResults(query: string, results: WebResult[], provider: string): string {
  if (results.length === 0) return `No web results for "${query}" (${provider}).`;
  const body = results.map((r, i) => `${i + 1}. ${r.title || '(no title)'}\n   ${r.url}\n   ${r.snippet}`).join('\n');
  return `${results.length} web results for "${query}" (${provider}):\n${untrusted('the web', body)}`;
}

export function createWebSearchTool(opts: { config: OrchestraConfig; getSecret: EngineHost['getSecret'] }): Tool {
  const settings = opts.config.tools.webSearch;
  const destination = webSearchDestination(settings);
  return defineTool({
    name: 'web_search',
    description: `Searches the web (${settings.provider}) and returns up to ${settings.maxResults} results with title, URL and snippet. Use for facts not in the workspace (library docs, error messages).`,
    schema: WebSearchArgs,
    kind: 'web',
    destination: () => destination,
    async run(args, ctx) {
      try {
        const results = await webSearch(args, { settings, getSecret: opts.getSecret, signal: ctx.signal });
        return {
          ok: true,
          output: formatWebResults(args.query, results, settings.provider),
          data: { provider: settings.provider, results },
          display: {
            kind: 'text',
            summary: `${results.length} web results for "${args.query}" (${settings.provider})`,
            text: results.map((r, i) => `${i + 1}. ${r.title || '(no title)'}\n   ${r.url}\n   ${r.snippet}`).join('\n'),
          },
          state: 'ok',
        };
      } catch (e) {
        const msg = `web_search failed: ${e instanceof Error ? e.message : String(e)}`;
        return { ok: false, output: msg, error: msg, state: /did not answer within/.test(msg) ? 'timeout' : 'error' };
      }
    },
  });
}
