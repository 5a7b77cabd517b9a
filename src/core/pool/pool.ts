// The model pool: every model is an OpenAI-compatible endpoint reached through the `openai` SDK, or a
// model the host serves itself (VS Code's Language Model API, see host-models.ts). The pool streams, assembles native tool calls, falls back to text tool-call parsing, reports or
// estimates usage, applies timeouts suited to slow local prefill, retries with backoff, honours
// cancellation, falls back to same-role models when asked, and measures latency live. Requests to a
// model with several replicas go through the endpoint router (replicas.ts).
import OpenAI from 'openai';
import type { OrchestraConfig } from '../config';
import type { EngineHost } from '../engine-api';
import type { Usage } from '../protocol/events';
import { TokenCounter } from '../tokens/counter';
import { ReplyReader, parseOptionsFor, schemasOf } from './reply';
import { estimateMessagesTokens } from './estimate';
import { hostOf, isLocalHost } from './locality';
import { EndpointRouter, replicasOf, type ReplicaStatus } from './replicas';
import { fallbackChain } from './fallbacks';
import type { HostChat, HostModelEntry } from './host-models';
import { hostPoolModel, hostStream } from './host-pool';
import { ModelCallError, classifyCallError, isRetryable, toModelCallError, type TimerState } from './errors';
import { chatParams } from './request-params';
import { estimatedReplyUsage, outputBytesOf, reportedCostOf, usageFromServer, type ServerUsage } from './server-usage';
import type { ChatAttempt, ChatOptions, ChatRequest, ChatResult, PoolModel, PoolOptions } from './types';

export type { ChatDelta } from './reply';
export { ModelCallError } from './errors';
export type {
  AttemptDecision,
  ChatAttempt,
  ChatOptions,
  ChatRequest,
  ChatResult,
  ModelCallErrorKind,
  PoolModel,
  PoolOptions,
} from './types';

type Log = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;

const NOT_NEEDED_KEY = 'not-needed';
/** SDK clients kept at once (endpoints × keys); the pool rarely has more than a handful. */
const MAX_CLIENTS = 32;

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
    this.hostModels = entries.map((e) => hostPoolModel(e, previous.get(e.id)));
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

    const params = chatParams(model, req);
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
          : hostStream(this.hostChat, model, req, params, controller.signal);
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
      const e = classifyCallError(err, model, key, timer, opts.signal, timeoutMs, firstByteMs);
      if (firstTokenMs !== undefined) {
        const calls = reader.nativeCalls();
        e.usage = estimatedReplyUsage(promptTokens, reader.rawContent, reader.reasoningSoFar, calls);
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
      ...estimatedReplyUsage(promptTokens, rawContent, serverReasoning, calls),
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

  private recordLatency(model: PoolModel, ms: number): void {
    model.latencyMs = model.latencyMs === undefined ? ms : this.opts.latencyAlpha * ms + (1 - this.opts.latencyAlpha) * model.latencyMs;
    model.latencySamples++;
  }
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
