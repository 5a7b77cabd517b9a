// Finds local model servers on their usual ports and reads each model's *real* context window from
// the server's own endpoints (what the running server uses, not a static table). A closed port, a
// timeout or an unexpected answer just means "nothing there": discovery never throws for those.
import type { ModelEntryInput, ModelRole } from './config';
import type { DiscoveredModel, DiscoveredServer } from './engine-api';
import { formatFromTemplate } from './toolcalls';

export type ServerKind = DiscoveredServer['kind'];

export const DEFAULT_DISCOVERY_PORTS: ReadonlyArray<{ port: number; kind: ServerKind }> = [
  { port: 11434, kind: 'ollama' },
  { port: 1234, kind: 'lmstudio' },
  { port: 8000, kind: 'vllm' },
  { port: 8080, kind: 'llamacpp' },
  { port: 30000, kind: 'sglang' },
];

export interface DiscoverOptions {
  /** Default 127.0.0.1. */
  host?: string;
  ports?: Array<{ port: number; kind: ServerKind }>;
  /** Per request. Default 800 ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

type Json = Record<string, unknown>;

async function getJson(url: string, timeoutMs: number, signal: AbortSignal | undefined, body?: unknown): Promise<Json | undefined> {
  const signals = [AbortSignal.timeout(timeoutMs)];
  if (signal) signals.push(signal);
  try {
    const res = await fetch(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json', accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.any(signals),
    });
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      return undefined;
    }
    const parsed: unknown = await res.json();
    return parsed && typeof parsed === 'object' ? (parsed as Json) : undefined;
  } catch {
    return undefined;
  }
}

const positiveInt = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);

function listIds(models: Json | undefined): Array<Json & { id: string }> {
  const data = models?.data;
  if (!Array.isArray(data)) return [];
  return data.filter((d): d is Json & { id: string } => !!d && typeof d === 'object' && typeof (d as Json).id === 'string');
}

/** Ollama writes parameters as `name   value` lines. */
function ollamaNumCtx(parameters: unknown): number | undefined {
  if (typeof parameters !== 'string') return undefined;
  const m = /^\s*num_ctx\s+(\d+)\s*$/m.exec(parameters);
  return m ? positiveInt(Number(m[1])) : undefined;
}

function ollamaContextLength(modelInfo: unknown): number | undefined {
  if (!modelInfo || typeof modelInfo !== 'object') return undefined;
  for (const [k, v] of Object.entries(modelInfo as Json)) if (k.endsWith('.context_length')) return positiveInt(v);
  return undefined;
}

async function probeOllama(origin: string, t: number, signal?: AbortSignal): Promise<DiscoveredServer | undefined> {
  const tags = await getJson(`${origin}/api/tags`, t, signal);
  if (!tags || !Array.isArray(tags.models)) return undefined;
  const names = (tags.models as Json[])
    .map((m) => (typeof m?.model === 'string' ? m.model : typeof m?.name === 'string' ? m.name : ''))
    .filter(Boolean);
  const models = await Promise.all(
    names.map(async (name): Promise<DiscoveredModel | undefined> => {
      const show = await getJson(`${origin}/api/show`, t, signal, { model: name });
      if (!show) return { id: name };
      const caps = show.capabilities;
      // Embedding-only models cannot chat.
      if (Array.isArray(caps) && caps.length && !caps.includes('completion')) return undefined;
      const numCtx = ollamaNumCtx(show.parameters);
      const maxCtx = ollamaContextLength(show.model_info);
      if (numCtx) return { id: name, contextWindow: numCtx, contextSource: 'num_ctx', ...(maxCtx ? { maxContextWindow: maxCtx } : {}) };
      if (maxCtx) return { id: name, contextWindow: maxCtx, contextSource: 'context_length', maxContextWindow: maxCtx };
      return { id: name };
    }),
  );
  return { kind: 'ollama', baseUrl: `${origin}/v1`, models: models.filter((m): m is DiscoveredModel => !!m) };
}

async function probeLmStudio(origin: string, t: number, signal?: AbortSignal): Promise<DiscoveredServer | undefined> {
  const rich = await getJson(`${origin}/api/v0/models`, t, signal);
  const entries = listIds(rich);
  if (rich && Array.isArray(rich.data)) {
    const models: DiscoveredModel[] = [];
    for (const e of entries) {
      if (e.type === 'embeddings') continue;
      const loaded = positiveInt(e.loaded_context_length);
      const max = positiveInt(e.max_context_length);
      if (loaded)
        models.push({ id: e.id, contextWindow: loaded, contextSource: 'loaded_context_length', ...(max ? { maxContextWindow: max } : {}) });
      else if (max) models.push({ id: e.id, contextWindow: max, contextSource: 'max_context_length', maxContextWindow: max });
      else models.push({ id: e.id });
    }
    return { kind: 'lmstudio', baseUrl: `${origin}/v1`, models };
  }
  return probeOpenAiModels(origin, t, signal);
}

async function probeOpenAiModels(
  origin: string,
  t: number,
  signal: AbortSignal | undefined,
  kind: ServerKind = 'openai-compatible',
): Promise<DiscoveredServer | undefined> {
  const list = await getJson(`${origin}/v1/models`, t, signal);
  if (!list || !Array.isArray(list.data)) return undefined;
  const models = listIds(list).map((e): DiscoveredModel => {
    const len = positiveInt(e.max_model_len);
    return len ? { id: e.id, contextWindow: len, contextSource: 'max_model_len', maxContextWindow: len } : { id: e.id };
  });
  return { kind, baseUrl: `${origin}/v1`, models };
}

async function probeVllm(origin: string, t: number, signal?: AbortSignal): Promise<DiscoveredServer | undefined> {
  const s = await probeOpenAiModels(origin, t, signal, 'vllm');
  // Without max_model_len it is some other OpenAI-compatible server on vLLM's port.
  if (s && s.models.length && s.models.every((m) => m.contextSource !== 'max_model_len')) s.kind = 'openai-compatible';
  return s;
}

async function probeLlamaCpp(origin: string, t: number, signal?: AbortSignal): Promise<DiscoveredServer | undefined> {
  const [props, list] = await Promise.all([getJson(`${origin}/props`, t, signal), getJson(`${origin}/v1/models`, t, signal)]);
  const settings = props?.default_generation_settings as Json | undefined;
  const nCtx = positiveInt(settings?.n_ctx) ?? positiveInt(props?.n_ctx);
  if (!props || nCtx === undefined) return list ? probeOpenAiModels(origin, t, signal) : undefined;
  const ids = listIds(list).map((e) => ({ id: e.id, trained: positiveInt((e.meta as Json | undefined)?.n_ctx_train) }));
  const toolCallFormat = typeof props.chat_template === 'string' ? formatFromTemplate(props.chat_template) : undefined;
  if (!ids.length && typeof props.model_path === 'string')
    ids.push({ id: props.model_path.split(/[\\/]/).pop() ?? props.model_path, trained: undefined });
  return {
    kind: 'llamacpp',
    baseUrl: `${origin}/v1`,
    models: ids.map((m) => ({
      id: m.id,
      contextWindow: nCtx,
      contextSource: 'n_ctx',
      ...(m.trained ? { maxContextWindow: m.trained } : {}),
      ...(toolCallFormat ? { toolCallFormat } : {}),
    })),
  };
}

async function probeSglang(origin: string, t: number, signal?: AbortSignal): Promise<DiscoveredServer | undefined> {
  const [info, models] = await Promise.all([
    getJson(`${origin}/get_model_info`, t, signal),
    probeOpenAiModels(origin, t, signal, 'sglang'),
  ]);
  if (!info || typeof info.model_path !== 'string') return models ? { ...models, kind: 'openai-compatible' } : undefined;
  if (models && models.models.length) return models;
  return { kind: 'sglang', baseUrl: `${origin}/v1`, models: [{ id: info.model_path }] };
}

const PROBES: Record<ServerKind, (origin: string, t: number, signal?: AbortSignal) => Promise<DiscoveredServer | undefined>> = {
  ollama: probeOllama,
  lmstudio: probeLmStudio,
  vllm: probeVllm,
  llamacpp: probeLlamaCpp,
  sglang: probeSglang,
  'openai-compatible': (origin, t, signal) => probeOpenAiModels(origin, t, signal),
};

export async function discoverLocalServers(opts: DiscoverOptions = {}): Promise<DiscoveredServer[]> {
  const host = opts.host ?? '127.0.0.1';
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const timeoutMs = opts.timeoutMs ?? 800;
  const ports = opts.ports ?? DEFAULT_DISCOVERY_PORTS;
  const found = await Promise.all(
    ports.map(({ port, kind }) => PROBES[kind](`http://${hostPart}:${port}`, timeoutMs, opts.signal).catch(() => undefined)),
  );
  return found.filter((s): s is DiscoveredServer => !!s);
}

/** Roles guessed from a model's name. */
export function guessRoles(modelId: string): ModelRole[] {
  const n = modelId.toLowerCase();
  const roles: ModelRole[] = [];
  if (n.includes('orchestrator')) roles.push('orchestrator');
  if (/coder|codestral|devstral|starcoder|codellama|(^|[^a-z])code/.test(n)) roles.push('code');
  if (/math/.test(n)) roles.push('math');
  return roles.length ? roles : ['general'];
}

/** Config entries for a discovered server's models: open weights, free, roles guessed from the name. */
export function discoveredToModelEntries(s: DiscoveredServer): Array<ModelEntryInput & { baseUrl: string }> {
  let host = s.baseUrl;
  try {
    host = new URL(s.baseUrl).host;
  } catch {
    // keep the raw base URL in the description
  }
  return s.models.map((m) => {
    const entry: ModelEntryInput & { baseUrl: string } = {
      id: `${s.kind}-${m.id}`.replace(/[^A-Za-z0-9._:-]+/g, '-'),
      baseUrl: s.baseUrl,
      model: m.id,
      openWeights: true,
      inputPricePerMillion: 0,
      outputPricePerMillion: 0,
      roles: guessRoles(m.id),
      description: `${m.id} served by ${s.kind} on ${host}${m.contextWindow ? `, ${m.contextWindow}-token context` : ''}${m.toolCallFormat ? `, writes ${m.toolCallFormat} tool calls` : ''}`,
    };
    if (m.contextWindow) {
      entry.contextWindow = m.contextWindow;
      // Leave room for the prompt in small windows.
      if (m.contextWindow < 8192) entry.maxOutputTokens = Math.max(256, Math.floor(m.contextWindow / 4));
    }
    return entry;
  });
}
