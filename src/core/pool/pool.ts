// The model pool: every model is an OpenAI-compatible endpoint reached through the `openai` SDK, or a
// model the host serves itself (VS Code's Language Model API, see host-models.ts). The pool streams, assembles native tool calls, falls back to text tool-call parsing, reports or
// estimates usage, applies timeouts suited to slow local prefill, retries with backoff, honours
// cancellation, falls back to same-role models when asked, and measures latency live. Requests to a
// model with several replicas go through the endpoint router (replicas.ts).
import OpenAI from 'openai';
import type { ModelEntry, OrchestraConfig } from '../config';
import type { EngineHost } from '../engine-api';
import type { Usage } from '../protocol/events';
import type { ParsedToolCall } from '../toolcalls';
import { ReplyReader, parseOptionsFor, schemasOf, type ChatDelta, type NativeCall } from './reply';

export type { ChatDelta } from './reply';
import { estimateMessagesTokens, estimateTokens } from './estimate';
import { hostOf, isLocalHost } from './locality';
import { EndpointRouter, replicasOf, type ReplicaStatus, type RouterOptions } from './replicas';
import { fallbackChain } from './fallbacks';
import { HostChatError, hostChunks, type HostChat, type HostModelEntry, type Pricing } from './host-models';
import { TokenCounter } from '../tokens/counter';
import type { ReplyText } from '../tokens/text';

export interface PoolModel extends ModelEntry {
  host: string;
  /** From the config's `local` override, else derived from the host. */
  local: boolean;
  /** Where `local` comes from: the model's `local` setting, or its host. */
  localSource: 'setting' | 'host';
  /** Exponential moving average of successful call latency (request to last token); undefined until measured. */
  latencyMs?: number;
  latencySamples: number;
  /** Consecutive failed calls (retries exhausted); reset by a success. */
  failures: number;
  /** Set for a model the host serves (VS Code's Language Model API): the pool asks the host, not an endpoint. */
  hostModel?: { vendor: string; family: string; version: string; name: string; hostModelId: string; toolCalling: boolean };
  /** How its price is known; undefined means the configured per-token prices (`listed`). */
  pricing?: Pricing;
}

export interface ChatRequest {
  messages: OpenAI.Chat.ChatCompletionMessageParam[];
  tools?: OpenAI.Chat.ChatCompletionTool[];
  toolChoice?: 'auto' | 'required' | 'none' | { name: string };
  /** Default: the model's `maxOutputTokens`. */
  maxTokens?: number;
  temperature?: number;
  stop?: string[];
}

export interface ChatAttempt {
  modelId: string;
  error: string;
  status?: number;
  /** How it failed. */
  kind?: ModelCallErrorKind;
  /**
   * Estimated tokens of a request that failed after the server had started answering (a cut or
   * stalled stream): remote APIs bill those, so the ledger can count them. Absent when nothing came back.
   */
  usage?: Usage;
  /** UTF-8 bytes the model streamed before the failure (a hard bound on its output tokens). */
  outputBytes?: number;
  /** What the model streamed before the failure, for counting its tokens. */
  reply?: ReplyText;
  /** How long the attempt ran. */
  latencyMs?: number;
}

export interface ChatResult {
  /** The model that produced this result (differs from the one asked for after a fallback). */
  modelId: string;
  /** The reply text without call markup, reasoning or special tokens. */
  content: string;
  /** The reply text exactly as the model sent it. */
  rawContent: string;
  reasoning: string;
  toolCalls: ParsedToolCall[];
  /**
   * What in the reply could not be used that is no single call's (markup with no readable call, calls
   * in another format than the model's `toolCallFormat`); meant to be shown to the orchestrator.
   * A call's own problem (cut, unreadable) is on the call.
   */
  toolCallErrors: string[];
  finishReason: string;
  usage: Usage;
  /** UTF-8 bytes of everything the model produced (text, reasoning, tool calls): a hard bound on its output tokens. */
  outputBytes: number;
  /** Everything the model produced, as sent, for counting its tokens when the server reported no usage. */
  reply: ReplyText;
  latencyMs: number;
  firstTokenMs?: number;
  /** Every failed attempt before this result, across retries and fallbacks. */
  attempts: ChatAttempt[];
  /** Set when the model asked for failed and this result comes from a fallback model. */
  fellBackFrom?: string;
}

/** `over_budget`: a retry or fallback was not sent because the caller's budget could not cover it. */
export type ModelCallErrorKind = 'timeout' | 'network' | 'http' | 'cancelled' | 'bad_response' | 'over_budget';

export class ModelCallError extends Error {
  constructor(
    message: string,
    readonly modelId: string,
    readonly kind: ModelCallErrorKind,
    readonly status: number | undefined,
    readonly attempts: ChatAttempt[],
    /** Seconds the server asked to wait (Retry-After), when it did. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ModelCallError';
  }
  /** Estimated usage of a stream that failed part-way (see ChatAttempt.usage). */
  usage?: Usage;
  /** UTF-8 bytes streamed before the failure (see ChatAttempt.outputBytes). */
  outputBytes?: number;
  /** What streamed before the failure (see ChatAttempt.reply). */
  reply?: ReplyText;
  /** Set when the model was not asked at all: every replica's circuit breaker is open. */
  down?: boolean;
}

/** What `ChatOptions.beforeAttempt` answers: send (with this max tokens) or do not send, and why. */
export type AttemptDecision = { maxTokens?: number } | { refused: string };

export interface ChatOptions {
  signal?: AbortSignal;
  onDelta?: (d: ChatDelta) => void;
  /** Eligible same-role fallbacks; none when omitted. */
  fallback?: (m: PoolModel) => boolean;
  /** Told before each retry or fallback, so a UI can discard the partial text it showed. */
  onRetry?: (info: {
    modelId: string;
    error: string;
    status?: number;
    nextModelId: string;
    delayMs: number;
    /** The model could not be reached at all (unreachable, or every replica's breaker open). */
    unreachable?: boolean;
  }) => void;
  /**
   * Asked right before every attempt after the first one (a retry of the same model, or a fallback
   * model), so the caller can pay for it (reserve its worst case) and set its max tokens. A refusal
   * means the attempt is not sent: a refused retry moves on to the fallbacks, a refused fallback is
   * skipped; when nothing else is left the call fails with kind `over_budget`.
   */
  beforeAttempt?: (info: { model: PoolModel; retry: boolean }) => AttemptDecision | Promise<AttemptDecision>;
  /**
   * Told of every failed attempt as it happens (not cancellations), with what a cut stream consumed;
   * the next attempt waits until it has settled.
   */
  onAttemptFailed?: (attempt: ChatAttempt) => void | Promise<void>;
}

export interface PoolOptions {
  /** First retry delay; doubles each retry, with jitter. Default 500 ms. */
  backoffBaseMs?: number;
  /** Longest wait between retries, Retry-After included. Default 30 s. */
  maxBackoffMs?: number;
  /**
   * Extra first-token allowance per prompt token, for prefill on slow local hardware
   * (default 5 ms/token ≈ 200 tokens/s). Added to the configured timeout before the first chunk only.
   */
  prefillMsPerToken?: number;
  /** Weight of the newest sample in the latency moving average. Default 0.3. */
  latencyAlpha?: number;
  /** Circuit breakers of the models' addresses (replicas.ts). */
  replicas?: RouterOptions;
  /** How long a health check of an address may take. Default 3 s. */
  healthCheckTimeoutMs?: number;
  /** Runs calls on host models (see `ModelPool.setHostModels`); without it they fail with a clear error. */
  hostChat?: HostChat;
}

type Log = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;

/** Which OpenAI hosts want `max_completion_tokens` instead of `max_tokens`. */
const OPENAI_HOSTS = new Set(['api.openai.com']);
/** Hosts that report a call's cost in `usage.cost` when the request asks with `usage: { include: true }`. */
const OPENROUTER_HOSTS = new Set(['openrouter.ai']);
const NOT_NEEDED_KEY = 'not-needed';
/** SDK clients kept at once (endpoints × keys); the pool rarely has more than a handful. */
const MAX_CLIENTS = 32;

interface TimerState {
  timedOut: false | 'first' | 'idle' | 'total';
}

export class ModelPool {
  private models: PoolModel[] = [];
  /** The host's models (VS Code's Language Model API), kept apart from the configured ones. */
  private hostModels: PoolModel[] = [];
  /** Models whose server refused `stream_options`; they are asked without it (usage is then estimated). */
  private readonly noStreamOptions = new Set<string>();
  private readonly clients = new Map<string, OpenAI>();
  private config!: OrchestraConfig;
  private readonly opts: Required<Omit<PoolOptions, 'replicas' | 'hostChat'>>;
  private readonly router: EndpointRouter;
  private readonly hostChat: HostChat | undefined;
  /** Counts prompts and replies in each model's own tokens (its server's tokenizer, BPE, or a calibrated estimate). */
  readonly tokens: TokenCounter;

  constructor(
    config: OrchestraConfig,
    private readonly getSecret: EngineHost['getSecret'],
    private readonly log: Log = () => undefined,
    options: PoolOptions = {},
  ) {
    this.opts = {
      backoffBaseMs: options.backoffBaseMs ?? 500,
      maxBackoffMs: options.maxBackoffMs ?? 30_000,
      prefillMsPerToken: options.prefillMsPerToken ?? 5,
      latencyAlpha: options.latencyAlpha ?? 0.3,
      healthCheckTimeoutMs: options.healthCheckTimeoutMs ?? 3_000,
    };
    this.router = new EndpointRouter(
      {
        describe: (err) => {
          const e = err instanceof ModelCallError ? err : undefined;
          return { kind: e?.kind ?? 'network', status: e?.status, retryAfterSeconds: e?.retryAfterSeconds, streamed: !!e?.usage };
        },
        unavailable: (modelId, message, kind, status, retryAfterSeconds) =>
          Object.assign(new ModelCallError(message, modelId, kind, status, [], retryAfterSeconds), { down: kind === 'network' }),
        probe: (modelId, url) => this.healthCheck(modelId, url),
        log: this.log,
      },
      options.replicas,
    );
    this.hostChat = options.hostChat;
    this.tokens = new TokenCounter((m) => this.apiKey(this.get(m.id) ?? (m as PoolModel)));
    this.update(config);
  }

  /** Replaces the model list; measured latency and failure counts survive for unchanged endpoints. */
  update(config: OrchestraConfig): void {
    this.clients.clear();
    // Endpoints may have changed: what their tokenizers are is probed again on first use.
    this.tokens?.forget();
    const previous = new Map(this.models.map((m) => [m.id, m]));
    this.config = config;
    this.models = config.models.map((entry) => {
      const hosts = [...new Set(replicasOf(entry).map(hostOf))];
      const host = hosts.join(', ');
      const old = previous.get(entry.id);
      const sameEndpoint = old && replicasOf(old).join(' ') === replicasOf(entry).join(' ') && old.model === entry.model;
      return {
        ...entry,
        host,
        // Local only when every replica is: a request may go to any of them.
        local: entry.local ?? hosts.every(isLocalHost),
        localSource: entry.local === undefined ? 'host' : 'setting',
        latencyMs: sameEndpoint ? old.latencyMs : undefined,
        latencySamples: sameEndpoint ? old.latencySamples : 0,
        failures: sameEndpoint ? old.failures : 0,
      };
    });
    this.router.update(this.models);
  }

  /** Each address of a model with its breaker state and load (one entry for a single `baseUrl`). */
  replicaStatus(id: string): ReplicaStatus[] {
    const m = this.get(id);
    return m ? this.router.status(m) : [];
  }

  /**
   * Replaces the host's models. A configured model with the same id wins (the host's is left out and
   * logged); measured latency survives for models that stay.
   */
  setHostModels(entries: readonly HostModelEntry[]): void {
    const previous = new Map(this.hostModels.map((m) => [m.id, m]));
    this.hostModels = entries.map((e) => {
      const old = previous.get(e.id);
      const same = old?.hostModel?.hostModelId === e.hostModelId && old.hostModel.vendor === e.vendor;
      return {
        id: e.id,
        baseUrl: `vscode-lm://${encodeURIComponent(e.vendor)}/${encodeURIComponent(e.hostModelId)}`,
        model: e.hostModelId,
        host: `vscode-lm/${e.vendor}`,
        local: e.local,
        // The host says whether the model is local; there is no address of ours to judge by.
        localSource: 'setting',
        openWeights: e.openWeights,
        roles: [...e.roles],
        description: e.description || `${e.name} (${e.vendor}, ${e.family}) through VS Code's Language Model API`,
        inputPricePerMillion: e.inputPricePerMillion,
        outputPricePerMillion: e.outputPricePerMillion,
        contextWindow: e.contextWindow,
        maxOutputTokens: e.maxOutputTokens,
        // The Language Model API hands tool calls over as structured parts; text is read as any model's.
        toolCallFormat: 'auto',
        hostModel: {
          vendor: e.vendor,
          family: e.family,
          version: e.version,
          name: e.name,
          hostModelId: e.hostModelId,
          toolCalling: e.toolCalling,
        },
        pricing: e.pricing,
        latencyMs: same ? old.latencyMs : undefined,
        latencySamples: same ? old.latencySamples : 0,
        failures: same ? old.failures : 0,
      };
    });
    for (const m of this.hostModels)
      if (this.models.some((c) => c.id === m.id)) this.log('warn', `the host's model ${m.id} is not added: a configured model has that id`);
  }

  all(): PoolModel[] {
    if (!this.hostModels.length) return this.models;
    const configured = new Set(this.models.map((m) => m.id));
    return [...this.models, ...this.hostModels.filter((m) => !configured.has(m.id))];
  }

  get(id: string): PoolModel | undefined {
    return this.models.find((m) => m.id === id) ?? this.hostModels.find((m) => m.id === id);
  }

  async chat(id: string, req: ChatRequest, opts: ChatOptions = {}): Promise<ChatResult> {
    const primary = this.get(id);
    if (!primary) throw new ModelCallError(`no model with id "${id}" in the pool`, id, 'bad_response', undefined, []);
    const chain = [primary];
    const eligible = opts.fallback;
    if (eligible) chain.push(...fallbackChain(primary, this.all(), eligible, (m) => this.router.isDown(m)));
    const attempts: ChatAttempt[] = [];
    let lastError: ModelCallError | undefined;
    for (let i = 0; i < chain.length; i++) {
      const model = chain[i];
      let modelReq = req;
      if (i > 0 && opts.beforeAttempt) {
        const decision = await opts.beforeAttempt({ model, retry: false });
        if ('refused' in decision) {
          this.log('info', `fallback ${model.id} not tried: ${decision.refused}`);
          lastError = new ModelCallError(`${model.id} not tried: ${decision.refused}`, model.id, 'over_budget', undefined, [...attempts]);
          continue;
        }
        if (decision.maxTokens !== undefined) modelReq = { ...req, maxTokens: decision.maxTokens };
      }
      try {
        const result = await this.withRetries(model, modelReq, opts, attempts, i < chain.length - 1);
        model.failures = 0;
        if (model !== primary) {
          result.fellBackFrom = primary.id;
          this.log('info', `model ${primary.id} failed; ${model.id} answered instead`);
        }
        return result;
      } catch (err) {
        const e = err as ModelCallError;
        if (e.kind === 'cancelled')
          throw Object.assign(new ModelCallError(e.message, e.modelId, e.kind, e.status, [...attempts]), {
            usage: e.usage,
            outputBytes: e.outputBytes,
            reply: e.reply,
          });
        model.failures++;
        lastError = e;
        const next = chain[i + 1];
        if (next) {
          this.log('warn', `model ${model.id} failed (${e.message}); falling back to ${next.id}`);
          opts.onRetry?.({
            modelId: model.id,
            error: e.message,
            status: e.status,
            nextModelId: next.id,
            delayMs: 0,
            unreachable: e.down === true || e.kind === 'network',
          });
        }
      }
    }
    const e = lastError!;
    const tried = chain.map((m) => m.id).join(', ');
    const message = chain.length > 1 ? `every model failed (${tried}); last: ${e.message}` : e.message;
    throw new ModelCallError(message, e.modelId, e.kind, e.status, [...attempts], e.retryAfterSeconds);
  }

  /** A tiny request to check that a model answers; never retried, never falls back. */
  async test(id: string, signal?: AbortSignal): Promise<{ ok: boolean; latencyMs: number; error?: string }> {
    const model = this.get(id);
    if (!model) return { ok: false, latencyMs: 0, error: `no model with id "${id}" in the pool` };
    const started = Date.now();
    try {
      const req: ChatRequest = { messages: [{ role: 'user', content: 'Reply with the single word OK.' }], maxTokens: 16, temperature: 0 };
      await this.router.run(model, (url) => this.callOnce(model, req, { signal }, url), signal);
      return { ok: true, latencyMs: Date.now() - started };
    } catch (err) {
      return { ok: false, latencyMs: Date.now() - started, error: (err as Error).message };
    }
  }

  /** `moreToTry`: a fallback follows, so a model whose every replica is down is not waited for. */
  private async withRetries(
    model: PoolModel,
    req: ChatRequest,
    opts: ChatOptions,
    attempts: ChatAttempt[],
    moreToTry = false,
  ): Promise<ChatResult> {
    const retries = this.config.requests.retries;
    let attemptReq = req;
    let retrying = false;
    for (let attempt = 0; ; attempt++) {
      if (retrying && opts.beforeAttempt) {
        const decision = await opts.beforeAttempt({ model, retry: true });
        if ('refused' in decision) {
          const last = attempts[attempts.length - 1];
          throw new ModelCallError(
            `${model.id} not retried after "${last?.error ?? 'a failure'}": ${decision.refused}`,
            model.id,
            'over_budget',
            undefined,
            [...attempts],
          );
        }
        if (decision.maxTokens !== undefined) attemptReq = { ...req, maxTokens: decision.maxTokens };
      }
      retrying = false;
      const started = Date.now();
      try {
        const result = await this.router.run(model, (url) => this.callOnce(model, attemptReq, opts, url), opts.signal);
        result.attempts = [...attempts];
        return result;
      } catch (err) {
        const e = toModelCallError(err, model);
        if (e.kind === 'cancelled') throw e;
        if (e.kind === 'http' && e.status === 400 && /stream_options/i.test(e.message) && !this.noStreamOptions.has(model.id)) {
          // An older server that rejects the usage option: ask again without it, once, at no retry cost
          // (nothing was generated, so the caller's reservation still covers it).
          this.noStreamOptions.add(model.id);
          attempt--;
          continue;
        }
        const record: ChatAttempt = {
          modelId: model.id,
          error: e.message,
          kind: e.kind,
          ...(e.status !== undefined ? { status: e.status } : {}),
          ...(e.usage ? { usage: e.usage, outputBytes: e.outputBytes ?? 0 } : {}),
          ...(e.reply ? { reply: e.reply } : {}),
          latencyMs: Date.now() - started,
        };
        attempts.push(record);
        await opts.onAttemptFailed?.(record);
        if (!isRetryable(e) || attempt >= retries || (e.down && moreToTry)) throw e;
        retrying = true;
        const delayMs = this.backoff(attempt, e.retryAfterSeconds);
        this.log('info', `model ${model.id}: attempt ${attempt + 1} failed (${e.message}); retrying in ${delayMs} ms`);
        opts.onRetry?.({ modelId: model.id, error: e.message, status: e.status, nextModelId: model.id, delayMs });
        await sleep(delayMs, opts.signal).catch(() => {
          throw new ModelCallError(`call to ${model.id} cancelled`, model.id, 'cancelled', undefined, attempts);
        });
      }
    }
  }

  private backoff(attempt: number, retryAfterSeconds: number | undefined): number {
    if (retryAfterSeconds !== undefined) return Math.min(this.opts.maxBackoffMs, Math.max(0, Math.round(retryAfterSeconds * 1000)));
    const exp = Math.min(this.opts.maxBackoffMs, this.opts.backoffBaseMs * 2 ** attempt);
    // Jitter between half and all of the exponential delay, so parallel callers spread out.
    return Math.round(exp / 2 + Math.random() * (exp / 2));
  }

  /** The model's key, released for the address it is sent to (`url`: one of its replicas). */
  private async apiKey(model: PoolModel, url = model.baseUrl): Promise<string | undefined> {
    return this.getSecret({
      modelId: model.id,
      env: model.apiKeyEnv,
      purpose: 'model',
      ...(url !== model.baseUrl ? { baseUrl: url } : {}),
    });
  }

  /** Whether an address answers at all: `GET /models`, which every OpenAI-compatible server (and gateway) serves. */
  private async healthCheck(modelId: string, url: string): Promise<boolean> {
    const model = this.get(modelId);
    const key = model ? await this.apiKey(model, url).catch(() => undefined) : undefined;
    try {
      const res = await fetch(`${url.replace(/\/+$/, '')}/models`, {
        headers: key ? { authorization: `Bearer ${key}` } : {},
        signal: AbortSignal.timeout(this.opts.healthCheckTimeoutMs),
      });
      await res.body?.cancel().catch(() => undefined);
      // Any answer short of a server error means the server is up (401 and 404 included).
      return res.status < 500;
    } catch {
      return false;
    }
  }

  /** One SDK client per endpoint and key: building one costs more than a zero-latency call's own work. */
  private clientFor(baseURL: string, apiKey: string): OpenAI {
    const id = `${baseURL}\u0000${apiKey}`;
    let client = this.clients.get(id);
    if (!client) {
      // A rotated key leaves its old client behind; a small cap keeps that from growing.
      if (this.clients.size >= MAX_CLIENTS) this.clients.delete(this.clients.keys().next().value as string);
      client = new OpenAI({
        baseURL,
        apiKey,
        maxRetries: 0,
        // The pool enforces its own first-token and idle timeouts; the SDK's total one must not cut slow prefill.
        timeout: 2 ** 31 - 1,
      });
      this.clients.set(id, client);
    }
    return client;
  }

  /** One request to one address of the model (`baseUrl`: the replica the router picked). */
  private async callOnce(
    model: PoolModel,
    req: ChatRequest,
    opts: Pick<ChatOptions, 'signal' | 'onDelta'>,
    baseUrl = model.baseUrl,
  ): Promise<ChatResult> {
    const cancelled = () => new ModelCallError(`call to ${model.id} cancelled`, model.id, 'cancelled', undefined, []);
    if (opts.signal?.aborted) throw cancelled();
    // Host models are reached through the host, which holds whatever credentials they need.
    const key = model.hostModel ? undefined : await this.apiKey(model, baseUrl);
    const client = model.hostModel ? undefined : this.clientFor(baseUrl, key || NOT_NEEDED_KEY);
    const stream = this.config.requests.stream || model.hostModel !== undefined;
    const timeoutMs = (model.timeoutSeconds ?? this.config.requests.timeoutSeconds) * 1000;
    const promptTokens = estimateMessagesTokens(req.messages, req.tools);
    const firstByteMs = timeoutMs + (model.local ? promptTokens * this.opts.prefillMsPerToken : 0);
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timer: TimerState = { timedOut: false };
    let handle: NodeJS.Timeout | undefined;
    const arm = (ms: number, which: 'first' | 'idle' | 'total') => {
      if (handle) clearTimeout(handle);
      handle = setTimeout(() => {
        timer.timedOut = which;
        controller.abort();
      }, ms);
    };
    arm(stream ? firstByteMs : firstByteMs + timeoutMs, stream ? 'first' : 'total');

    const params = this.buildParams(model, req);
    const started = Date.now();
    let firstTokenMs: number | undefined;
    let finishReason = '';
    let serverUsage: ServerUsage | undefined;
    const toolsOffered = (req.tools?.length ?? 0) > 0;
    const reader = new ReplyReader(parseOptionsFor(model, toolsOffered, schemasOf(req.tools)), opts.onDelta);
    const markFirst = () => {
      if (firstTokenMs === undefined) firstTokenMs = Date.now() - started;
    };

    try {
      if (stream) {
        const s = client
          ? await client.chat.completions.create(
              { ...params, stream: true, ...(this.noStreamOptions.has(model.id) ? {} : { stream_options: { include_usage: true } }) },
              { signal: controller.signal },
            )
          : this.hostStream(model, req, params, controller.signal);
        let sawChunk = false;
        for await (const chunk of s) {
          sawChunk = true;
          // Until the first real token the generous first-token timer runs (servers may send the
          // role chunk before a long prefill); after it, the idle timer guards every gap.
          if (firstTokenMs !== undefined) arm(timeoutMs, 'idle');
          if (chunk.usage) serverUsage = chunk.usage;
          const choice = chunk.choices?.[0];
          if (!choice) continue;
          // Some servers send chunks without a delta (a bare finish_reason, keep-alives).
          const delta = (choice.delta ?? {}) as OpenAI.Chat.ChatCompletionChunk.Choice.Delta & {
            reasoning_content?: string | null;
            reasoning?: string | null;
          };
          const r = delta.reasoning_content ?? delta.reasoning;
          if (r) {
            markFirst();
            reader.reasoning(r);
          }
          if (delta.content) {
            markFirst();
            reader.content(delta.content);
          }
          for (const tc of delta.tool_calls ?? []) {
            markFirst();
            reader.nativePiece(tc);
          }
          if (choice.finish_reason) finishReason = choice.finish_reason;
          if (firstTokenMs !== undefined) arm(timeoutMs, 'idle');
        }
        // The SDK ends the iteration quietly on abort; a timeout or cancellation must still fail the call.
        if (controller.signal.aborted) throw new Error('the stream was aborted');
        if (!sawChunk)
          throw new ModelCallError(`${model.id} closed the stream without sending anything`, model.id, 'bad_response', undefined, []);
      } else {
        const r = await client!.chat.completions.create({ ...params, stream: false }, { signal: controller.signal });
        markFirst();
        const choice = r.choices?.[0];
        if (!choice) throw new ModelCallError(`${model.id} sent a reply without choices`, model.id, 'bad_response', undefined, []);
        if (!choice.message || typeof choice.message !== 'object')
          throw new ModelCallError(`${model.id} sent a choice without a message`, model.id, 'bad_response', undefined, []);
        const message = choice.message as OpenAI.Chat.ChatCompletionMessage & {
          reasoning_content?: string | null;
          reasoning?: string | null;
        };
        reader.reasoning(message.reasoning_content ?? message.reasoning ?? '');
        reader.content(message.content ?? '');
        for (const tc of message.tool_calls ?? []) if (tc && tc.type === 'function' && tc.function) reader.nativePiece(tc);
        finishReason = choice.finish_reason ?? '';
        if (r.usage) serverUsage = r.usage;
      }
    } catch (err) {
      const e = this.classify(err, model, key, timer, opts.signal, timeoutMs, firstByteMs);
      if (firstTokenMs !== undefined) {
        const calls = reader.nativeCalls();
        e.usage = {
          inputTokens: promptTokens,
          outputTokens:
            estimateTokens(reader.rawContent) +
            estimateTokens(reader.reasoningSoFar) +
            calls.reduce((n, c) => n + estimateTokens(c.name + c.arguments), 0),
          estimated: true,
        };
        e.outputBytes = outputBytesOf(reader.rawContent, reader.reasoningSoFar, calls);
        e.reply = {
          content: reader.rawContent,
          reasoning: reader.reasoningSoFar,
          toolCalls: calls.map((c) => ({ name: c.name, arguments: c.arguments })),
        };
      }
      throw e;
    } finally {
      if (handle) clearTimeout(handle);
      opts.signal?.removeEventListener('abort', onAbort);
    }

    const latencyMs = Date.now() - started;
    const calls = reader.nativeCalls();
    const rawContent = reader.rawContent;
    const serverReasoning = reader.reasoningSoFar;
    const read = reader.finish(finishReason, req.maxTokens ?? model.maxOutputTokens);
    if (!finishReason) finishReason = read.toolCalls.length ? 'tool_calls' : 'stop';

    const usage: Usage = usageFromServer(serverUsage) ?? {
      inputTokens: promptTokens,
      outputTokens:
        estimateTokens(rawContent) + estimateTokens(serverReasoning) + calls.reduce((n, c) => n + estimateTokens(c.name + c.arguments), 0),
      estimated: true,
      ...reportedCostOf(serverUsage),
    };
    this.recordLatency(model, latencyMs);
    const outputBytes = outputBytesOf(rawContent, serverReasoning, calls);
    return {
      modelId: model.id,
      content: read.content,
      rawContent,
      reasoning: read.reasoning,
      toolCalls: read.toolCalls,
      toolCallErrors: read.toolCallErrors,
      finishReason,
      usage,
      outputBytes,
      reply: { content: rawContent, reasoning: serverReasoning, toolCalls: calls.map((c) => ({ name: c.name, arguments: c.arguments })) },
      latencyMs,
      firstTokenMs,
      attempts: [],
    };
  }

  /** A host model's reply as a chunk stream; its failures become ModelCallErrors that say what to do. */
  private async *hostStream(
    model: PoolModel,
    req: ChatRequest,
    params: { max_tokens?: number | null; max_completion_tokens?: number | null },
    signal: AbortSignal,
  ): AsyncGenerator<OpenAI.Chat.ChatCompletionChunk> {
    const host = model.hostModel!;
    if (!this.hostChat)
      throw new ModelCallError(`${model.id}: this engine's host serves no language models`, model.id, 'http', undefined, []);
    try {
      yield* hostChunks(
        this.hostChat,
        {
          modelId: model.id,
          vendor: host.vendor,
          hostModelId: host.hostModelId,
          messages: req.messages,
          // A model without tool calling gets the tools described in text by the orchestrator's prompt, not natively.
          tools: host.toolCalling ? req.tools : undefined,
          toolChoice: host.toolCalling ? req.toolChoice : undefined,
          maxTokens: params.max_tokens ?? params.max_completion_tokens ?? model.maxOutputTokens,
          temperature: req.temperature,
        },
        signal,
      );
    } catch (err) {
      // A timeout or cancellation aborted the call: callOnce tells which, as for an endpoint.
      if (signal.aborted) throw new Error('the host call was aborted', { cause: err });
      throw hostCallError(err, model);
    }
  }

  private recordLatency(model: PoolModel, ms: number): void {
    model.latencyMs = model.latencyMs === undefined ? ms : this.opts.latencyAlpha * ms + (1 - this.opts.latencyAlpha) * model.latencyMs;
    model.latencySamples++;
  }

  private buildParams(model: PoolModel, req: ChatRequest): Omit<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming, 'stream'> {
    const maxTokens = req.maxTokens ?? model.maxOutputTokens;
    const params: Omit<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming, 'stream'> = { model: model.model, messages: req.messages };
    if (OPENAI_HOSTS.has(model.host)) params.max_completion_tokens = maxTokens;
    else params.max_tokens = maxTokens;
    if (req.temperature !== undefined) params.temperature = req.temperature;
    if (req.stop?.length) params.stop = req.stop;
    // OpenRouter reports what a call cost (the bill) when asked; other servers may reject unknown fields.
    if (OPENROUTER_HOSTS.has(model.host)) Object.assign(params, { usage: { include: true } });
    if (req.tools?.length) {
      params.tools = req.tools;
      if (req.toolChoice)
        params.tool_choice =
          typeof req.toolChoice === 'string' ? req.toolChoice : { type: 'function', function: { name: req.toolChoice.name } };
    }
    return params;
  }

  private classify(
    err: unknown,
    model: PoolModel,
    key: string | undefined,
    timer: TimerState,
    signal: AbortSignal | undefined,
    timeoutMs: number,
    firstByteMs: number,
  ): ModelCallError {
    const scrub = (s: string) => (key && key.length >= 4 ? s.split(key).join('***') : s);
    if (err instanceof ModelCallError) return err;
    if (signal?.aborted) return new ModelCallError(`call to ${model.id} cancelled`, model.id, 'cancelled', undefined, []);
    if (timer.timedOut) {
      const what =
        timer.timedOut === 'first'
          ? `no first token within ${Math.round(firstByteMs / 100) / 10} s`
          : timer.timedOut === 'idle'
            ? `the stream stalled for ${Math.round(timeoutMs / 100) / 10} s`
            : `no reply within ${Math.round((firstByteMs + timeoutMs) / 100) / 10} s`;
      return new ModelCallError(`${model.id} timed out: ${what}`, model.id, 'timeout', undefined, []);
    }
    if (err instanceof OpenAI.APIError && err.status === undefined && err.error && typeof err.error === 'object') {
      // An error event inside a stream that had begun (the SDK gives it no status): the server's
      // own words; a request error is as final as an HTTP 400, anything else may pass on retry.
      const e = err.error as { message?: unknown; type?: unknown; code?: unknown };
      const said = scrub(typeof e.message === 'string' ? e.message : err.message);
      const code = typeof e.code === 'string' ? ` (${e.code})` : '';
      if (e.type === 'invalid_request_error')
        return new ModelCallError(`${model.id}: HTTP 400 in the stream: ${said}${code}`, model.id, 'http', 400, []);
      return new ModelCallError(`${model.id} reported an error in the stream: ${said}${code}`, model.id, 'bad_response', undefined, []);
    }
    if (err instanceof OpenAI.APIError && typeof err.status === 'number') {
      const retryAfter = retryAfterSeconds(err.headers as Headers | undefined);
      let detail = scrub(err.message);
      if (err.status === 401 && !key)
        detail += model.apiKeyEnv ? ` (no API key: set ${model.apiKeyEnv})` : ' (no API key configured for this model)';
      return new ModelCallError(`${model.id}: HTTP ${detail}`, model.id, 'http', err.status, [], retryAfter);
    }
    const cause = err instanceof Error ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message) : String(err);
    if (err instanceof SyntaxError || /JSON|Unexpected end|could not parse/i.test(cause)) {
      return new ModelCallError(`${model.id} sent a malformed reply: ${scrub(cause)}`, model.id, 'bad_response', undefined, []);
    }
    return new ModelCallError(
      `${model.id} could not be reached or dropped the connection: ${scrub(cause)}`,
      model.id,
      'network',
      undefined,
      [],
    );
  }
}

/**
 * A server's `usage` object, with the extensions read here beyond OpenAI's token counts: cached
 * prompt tokens (OpenAI, vLLM, OpenRouter: `prompt_tokens_details.cached_tokens`) and OpenRouter's
 * cost in dollars (`cost`; with BYOK, `is_byok` and the upstream provider's charge in
 * `cost_details.upstream_inference_cost`).
 */
interface ServerUsage {
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
  prompt_tokens_details?: { cached_tokens?: unknown } | null;
  cost?: unknown;
  is_byok?: unknown;
  cost_details?: { upstream_inference_cost?: unknown } | null;
}

function countOf(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v) : undefined;
}

function dollarsOf(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/**
 * The provider's own figure for a call, when it sent one. With BYOK, OpenRouter's `cost` is only its
 * fee and the upstream provider bills the user's key `upstream_inference_cost` on top, so the bill is
 * both; without BYOK `cost` is the whole charge (OpenRouter may repeat it as the upstream cost, which
 * must not be added twice).
 */
function reportedCostOf(u: ServerUsage | undefined): { reportedDollars?: number } {
  if (!u) return {};
  const cost = dollarsOf(u.cost);
  const upstream = u.is_byok === true ? dollarsOf(u.cost_details?.upstream_inference_cost) : undefined;
  if (cost === undefined && upstream === undefined) return {};
  return { reportedDollars: (cost ?? 0) + (upstream ?? 0) };
}

/** The usage a server reported, or undefined when it reported no token counts. */
function usageFromServer(u: ServerUsage | undefined): Usage | undefined {
  const inputTokens = countOf(u?.prompt_tokens);
  const outputTokens = countOf(u?.completion_tokens);
  if (!u || inputTokens === undefined || outputTokens === undefined) return undefined;
  const cached = countOf(u.prompt_tokens_details?.cached_tokens);
  return {
    inputTokens,
    outputTokens,
    estimated: false,
    ...(cached !== undefined && cached > 0 ? { cachedInputTokens: Math.min(cached, inputTokens) } : {}),
    ...reportedCostOf(u),
  };
}

function outputBytesOf(content: string, reasoning: string, calls: NativeCall[]): number {
  return (
    Buffer.byteLength(content) +
    Buffer.byteLength(reasoning) +
    calls.reduce((n, c) => n + Buffer.byteLength(c.name) + Buffer.byteLength(c.arguments), 0)
  );
}

/** Anything thrown by an attempt as a ModelCallError (a bug in parsing must not surface without a kind). */
function toModelCallError(err: unknown, model: PoolModel): ModelCallError {
  if (err instanceof ModelCallError) return err;
  return new ModelCallError(
    `${model.id} sent a reply that could not be read: ${(err as Error)?.message ?? String(err)}`,
    model.id,
    'bad_response',
    undefined,
    [],
  );
}

/**
 * A host model's failure, classified: consent, quota and a vanished model are not retried (the same
 * request would fail the same way); other provider errors are, like a network error.
 */
function hostCallError(err: unknown, model: PoolModel): ModelCallError {
  if (err instanceof ModelCallError) return err;
  const vendor = model.hostModel?.vendor ?? 'its provider';
  if (err instanceof HostChatError) {
    switch (err.kind) {
      case 'no_permissions':
        return new ModelCallError(
          `${model.id}: Orchestra may not use this ${vendor} model yet (${err.message}). Allow it when VS Code asks, or in the Chat view's language model access settings, then ask again.`,
          model.id,
          'http',
          undefined,
          [],
        );
      case 'blocked':
        return new ModelCallError(
          `${model.id}: ${vendor} refused the request, usually because a quota or rate limit is reached (${err.message}). Try again later or use another model.`,
          model.id,
          'http',
          undefined,
          [],
        );
      case 'not_found':
        return new ModelCallError(`${model.id}: the model is no longer available (${err.message})`, model.id, 'http', 404, []);
      case 'cancelled':
        return new ModelCallError(`call to ${model.id} cancelled`, model.id, 'cancelled', undefined, []);
      default:
        return new ModelCallError(`${model.id}: ${vendor} reported an error: ${err.message}`, model.id, 'network', undefined, []);
    }
  }
  return new ModelCallError(`${model.id}: ${(err as Error)?.message ?? String(err)}`, model.id, 'network', undefined, []);
}

function isRetryable(e: ModelCallError): boolean {
  if (e.kind === 'cancelled' || e.kind === 'over_budget') return false;
  if (e.kind === 'http') return e.status === 408 || e.status === 429 || (e.status !== undefined && e.status >= 500);
  return true; // timeout, network, bad_response
}

function retryAfterSeconds(headers: Headers | undefined): number | undefined {
  if (!headers || typeof headers.get !== 'function') return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Number(ms) / 1000;
  const v = headers.get('retry-after');
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('aborted'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
