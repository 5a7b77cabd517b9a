// An OpenAI-compatible HTTP endpoint over the embedded runtime, so the engine reaches local GGUF
// models exactly like any other pool model: through the `openai` SDK. Chat completions stream as
// SSE, report usage, and produce tool calls under a JSON-schema grammar built from the request's
// tool schemas (so a local model's calls always parse). Loopback only unless asked otherwise.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename } from 'node:path';
import type { ModelEntryInput } from '../../core/config';
import { RequestError, parseChatRequest } from './chat-request';
import { newId, renderPrompt, runCompletion, type StreamSink } from './generate';
import { readJsonBody, RequestBodyError } from '../http-body';
import { readGgufInfo, type GgufInfo } from './gguf-info';
import { guessRoles, modelIdForFile } from './registry';
import { LlamaRuntime, type ChatFormat, type GpuLayers } from './runtime';
import { SseWriter } from './sse-writer';

export interface LocalModelSpec {
  /** The model id clients send (`model` in the request) and the pool entry's id. */
  id: string;
  path: string;
  chatFormat?: ChatFormat;
}

export interface LocalEndpointLogEntry {
  level: 'info' | 'warn' | 'error';
  message: string;
  requestId?: string;
  model?: string;
  finishReason?: string;
  promptTokens?: number;
  completionTokens?: number;
  ms?: number;
}

export interface LocalEndpointOptions {
  models: LocalModelSpec[];
  host?: string;
  /** 0 or undefined: any free port. */
  port?: number;
  threads?: number;
  /** Concurrent generations per model. Default 2. */
  concurrency?: number;
  idleUnloadSeconds?: number;
  /** Context tokens per call (capped at each model's trained context). Default 8192. */
  contextSize?: number;
  /** `auto` (default) uses an installed GPU build; false forces the CPU. */
  gpu?: 'auto' | false;
  /** Layers to offload when a GPU build is in use (default `auto`; 0: CPU only). */
  gpuLayers?: GpuLayers;
  /** Required to listen on anything but loopback. */
  allowNonLoopback?: boolean;
  /** When set, requests must send `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Longest string a grammar-constrained tool argument may hold. Default 2048. */
  maxToolStringLength?: number;
  log?: (entry: LocalEndpointLogEntry) => void;
  /** Share a runtime (and its loaded models) with other endpoints; not closed by `close()`. */
  runtime?: LlamaRuntime;
}

export interface LocalEndpoint {
  /** e.g. `http://127.0.0.1:41234/v1` (what the `openai` SDK takes as baseURL). */
  baseUrl: string;
  port: number;
  /**
   * Stops accepting requests, lets those in flight finish for up to `drainMs` (default 0), aborts
   * the rest (a stream that has begun ends with an error event, others get 503), then unloads the
   * models (unless the runtime is shared).
   */
  close(opts?: { drainMs?: number }): Promise<void>;
  /** Chat requests being answered now. */
  inFlight(): number;
  /** Aborts the requests in flight as a shutdown does (a closing endpoint then stops waiting for them). */
  abortInFlight(): void;
  modelEntries(): ModelEntryInput[];
  /** Header facts of each served model, by id. */
  modelInfo(): Map<string, GgufInfo>;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export { guessRoles, modelIdForFile };

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(
  res: http.ServerResponse,
  status: number,
  message: string,
  type = 'invalid_request_error',
  param?: string,
  code?: string,
): void {
  if (res.headersSent) return;
  sendJson(res, status, { error: { message, type, param: param ?? null, code: code ?? null } });
}

const MAX_BODY_BYTES = 32 * 1024 * 1024;
/** The request's JSON body; a body that cannot be taken is an OpenAI-style error with its status. */
function readBody(req: http.IncomingMessage): Promise<unknown> {
  return readJsonBody(req, MAX_BODY_BYTES).catch((err: unknown) => {
    throw err instanceof RequestBodyError ? new RequestError(err.message, err.status) : err;
  });
}

/**
 * Counts tokens as vLLM's `POST /tokenize` does, so the engine counts embedded models like any server
 * with one: `messages` (and `tools`) rendered with the model's chat template, or a plain `prompt`.
 */
async function countTokens(runtime: LlamaRuntime, spec: LocalModelSpec, body: Record<string, unknown>, maxToolStringLength: number) {
  const handle = await runtime.model({ path: spec.path, chatFormat: spec.chatFormat });
  if (typeof body.prompt === 'string') return handle.model.tokenize(body.prompt, body.add_special_tokens === true).length;
  const req = parseChatRequest({ model: spec.id, messages: body.messages, tools: body.tools ?? undefined });
  return renderPrompt(handle, req, maxToolStringLength).tokens.length;
}

/** Starts the endpoint. Rejects a non-loopback host unless `allowNonLoopback`. */
export async function startLocalEndpoint(opts: LocalEndpointOptions): Promise<LocalEndpoint> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) && !opts.allowNonLoopback) {
    throw new Error(
      `refusing to listen on ${host}: the local model server only listens on loopback (127.0.0.1) unless non-loopback hosts are explicitly allowed (--allow-remote)`,
    );
  }
  if (opts.models.length === 0) throw new Error('no local models to serve');
  const ids = new Set<string>();
  for (const m of opts.models) {
    if (ids.has(m.id)) throw new Error(`duplicate local model id "${m.id}"`);
    ids.add(m.id);
  }
  const infos = new Map<string, GgufInfo>();
  for (const m of opts.models) infos.set(m.id, await readGgufInfo(m.path));

  const log = (e: LocalEndpointLogEntry) => opts.log?.(e);
  const ownRuntime = !opts.runtime;
  const runtime =
    opts.runtime ??
    new LlamaRuntime({
      threads: opts.threads,
      concurrency: opts.concurrency,
      idleUnloadSeconds: opts.idleUnloadSeconds,
      contextSize: opts.contextSize,
      gpu: opts.gpu,
      gpuLayers: opts.gpuLayers,
      log: (e) => log(e),
    });
  const byId = new Map(opts.models.map((m) => [m.id, m]));
  const maxToolStringLength = opts.maxToolStringLength ?? 2048;
  const created = Math.floor(Date.now() / 1000);
  const active = new Set<AbortController>();
  /** Every chat request being handled, until its response is written. */
  const running = new Set<Promise<void>>();
  let closing: Promise<void> | undefined;

  const allowedHost = (hostHeader: string | undefined): boolean => {
    if (!hostHeader) return false;
    const h = hostHeader.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    return isLoopbackHost(h) || (Boolean(opts.allowNonLoopback) && (h === host || host === '0.0.0.0' || host === '::'));
  };

  /** Why an in-flight request was aborted: its client went away, or the server is shutting down. */
  const SHUTDOWN = 'the local model server is shutting down';

  async function handleChat(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const requestId = newId('chatcmpl-');
    const started = Date.now();
    const body = parseChatRequest(await readBody(req));
    const spec = byId.get(body.model);
    if (!spec)
      throw new RequestError(
        `model "${body.model}" is not served here; available: ${[...byId.keys()].join(', ')}`,
        404,
        'invalid_request_error',
        'model',
        'model_not_found',
      );
    const controller = new AbortController();
    active.add(controller);
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new Error('client disconnected'));
    });
    const stream = Boolean(body.stream);
    const includeUsage = Boolean(body.stream_options?.include_usage);
    const sse = new SseWriter(res, requestId, spec.id, Math.floor(started / 1000));
    const logDone = (message: string, finishReason: string, usage?: { prompt_tokens: number; completion_tokens: number }) =>
      log({
        level: 'info',
        message,
        requestId,
        model: spec.id,
        finishReason,
        promptTokens: usage?.prompt_tokens,
        completionTokens: usage?.completion_tokens,
        ms: Date.now() - started,
      });
    try {
      const sink: StreamSink | undefined = stream
        ? {
            text: (t) => sse.delta('content', 0, t),
            reasoning: (t) => sse.delta('reasoning', 0, t),
            toolCallStart: (index, id, name) =>
              sse.event(
                `{"tool_calls":[{"index":${index},"id":${JSON.stringify(id)},"type":"function","function":{"name":${JSON.stringify(name)},"arguments":""}}]}`,
              ),
            toolCallArguments: (index, args) => sse.delta('arguments', index, args),
          }
        : undefined;
      const result = await runCompletion(
        runtime,
        { path: spec.path, chatFormat: spec.chatFormat },
        body,
        maxToolStringLength,
        sink,
        controller.signal,
      );
      const usage = {
        prompt_tokens: result.promptTokens,
        completion_tokens: result.completionTokens,
        total_tokens: result.promptTokens + result.completionTokens,
        prompt_tokens_details: { cached_tokens: result.cachedTokens },
      };
      if (controller.signal.aborted) return abandoned(res, sse, controller, logDone);
      logDone('completed', result.finishReason, usage);
      if (stream) {
        if (res.writableEnded || res.destroyed) return;
        sse.event('{}', result.finishReason);
        if (includeUsage) sse.usage(usage);
        sse.flush();
        res.end('data: [DONE]\n\n');
      } else {
        const message: Record<string, unknown> = {
          role: 'assistant',
          content: result.toolCalls.length && !result.text ? null : result.text,
          refusal: null,
        };
        if (result.reasoning) message.reasoning_content = result.reasoning;
        if (result.toolCalls.length)
          message.tool_calls = result.toolCalls.map((c) => ({
            id: c.id,
            type: 'function',
            function: { name: c.name, arguments: c.arguments },
          }));
        sendJson(res, 200, {
          id: requestId,
          object: 'chat.completion',
          created: Math.floor(started / 1000),
          model: spec.id,
          system_fingerprint: null,
          choices: [{ index: 0, message, logprobs: null, finish_reason: result.finishReason }],
          usage,
        });
      }
    } catch (err) {
      if (controller.signal.aborted) return abandoned(res, sse, controller, logDone);
      // A stream that has begun can only end with an error event; before that, a proper status.
      if (sse.started) {
        const message = err instanceof Error ? err.message : String(err);
        log({ level: 'error', message: `chat completion failed mid-stream: ${message}`, requestId, model: spec.id });
        if (err instanceof RequestError) sse.fail(err.message, err.code, err.errorCode ?? null);
        else sse.fail(message, 'server_error', null);
        return;
      }
      throw err;
    } finally {
      // What was generated goes out before anything the caller writes after (an error, the end).
      if (!res.writableEnded) sse.flush();
      active.delete(controller);
    }
  }

  /** A request aborted on the way: by its client (nothing to send), or by a shutdown (the client is told). */
  function abandoned(
    res: http.ServerResponse,
    sse: SseWriter,
    controller: AbortController,
    logDone: (message: string, finishReason: string) => void,
  ): void {
    const shutdown = (controller.signal.reason as Error | undefined)?.message === SHUTDOWN;
    logDone(shutdown ? 'aborted: the server is shutting down' : 'cancelled by the client', 'cancelled');
    if (!shutdown) return;
    if (sse.started) sse.fail(`${SHUTDOWN}; the response was cut short`, 'server_error', 'server_shutting_down');
    else sendError(res, 503, `${SHUTDOWN}; send the request again once it is back`, 'server_error', undefined, 'server_shutting_down');
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const path = url.pathname.replace(/\/+$/, '');
    if (!allowedHost(req.headers.host) || req.headers.origin) {
      // Browsers send Origin; a web page must not drive a local model (nor DNS-rebind onto it).
      sendError(res, 403, 'requests from browsers or unknown hosts are refused', 'permission_error');
      return;
    }
    if (opts.apiKey && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      sendError(
        res,
        401,
        'missing or wrong API key (send Authorization: Bearer <key>)',
        'authentication_error',
        undefined,
        'invalid_api_key',
      );
      return;
    }
    if (req.method === 'GET' && (path === '/v1/models' || path === '/models')) {
      sendJson(res, 200, {
        object: 'list',
        data: [...byId.keys()].map((id) => ({ id, object: 'model', created, owned_by: 'orchestra-local' })),
      });
      return;
    }
    if (req.method === 'POST' && (path === '/tokenize' || path === '/v1/tokenize')) {
      readBody(req)
        .then(async (raw) => {
          const body = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
          const name = typeof body.model === 'string' ? body.model : '';
          const spec = byId.get(name);
          if (!spec)
            throw new RequestError(
              `model "${name}" is not served here; available: ${[...byId.keys()].join(', ')}`,
              404,
              'invalid_request_error',
              'model',
            );
          const count = await countTokens(runtime, spec, body, maxToolStringLength);
          sendJson(res, 200, { count, max_model_len: runtime.contextSize });
        })
        .catch((err: unknown) => {
          if (err instanceof RequestError) sendError(res, err.status, err.message, err.code, err.param);
          else sendError(res, 500, err instanceof Error ? err.message : String(err), 'server_error');
        });
      return;
    }
    if (path === '/v1/chat/completions' || path === '/chat/completions') {
      if (req.method !== 'POST') {
        sendError(res, 405, `${req.method} is not allowed on ${path}; use POST`);
        return;
      }
      if (closing) {
        res.setHeader('connection', 'close');
        sendError(res, 503, `${SHUTDOWN}; send the request again once it is back`, 'server_error', undefined, 'server_shutting_down');
        return;
      }
      const done = handleChat(req, res).catch((err: unknown) => {
        if (err instanceof RequestError) {
          sendError(res, err.status, err.message, err.code, err.param, err.errorCode);
          return;
        }
        const message = err instanceof Error ? err.message : String(err);
        log({ level: 'error', message: `chat completion failed: ${message}` });
        sendError(res, 500, message, 'server_error');
      });
      running.add(done);
      void done.finally(() => running.delete(done));
      return;
    }
    sendError(
      res,
      404,
      `no route ${req.method} ${url.pathname} (this server offers GET /v1/models, POST /v1/chat/completions and POST /tokenize)`,
      'invalid_request_error',
      undefined,
      'not_found',
    );
  });
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`cannot listen on ${host}:${opts.port ?? 0}: ${err.code === 'EADDRINUSE' ? 'the port is in use' : err.message}`)),
    );
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  const baseUrl = `http://${urlHost}:${port}/v1`;
  log({ level: 'info', message: `serving ${[...byId.keys()].join(', ')} at ${baseUrl}` });

  return {
    baseUrl,
    port,
    modelInfo: () => new Map(infos),
    modelEntries: () =>
      opts.models.map((m) => {
        const info = infos.get(m.id)!;
        const contextWindow = Math.min(runtime.contextSize, info.trainedContextLength ?? runtime.contextSize);
        return {
          id: m.id,
          baseUrl,
          model: m.id,
          inputPricePerMillion: 0,
          outputPricePerMillion: 0,
          contextWindow,
          maxOutputTokens: Math.max(256, Math.min(4096, Math.floor(contextWindow / 2))),
          openWeights: true,
          local: true,
          roles: guessRoles(`${info.name} ${basename(m.path)}`),
          description: `${info.name}: ${info.parameterLabel} ${info.architecture} ${info.quantization}, runs on this machine (embedded llama.cpp)`,
          timeoutSeconds: 600,
        } satisfies ModelEntryInput;
      }),
    inFlight: () => active.size,
    abortInFlight: () => {
      for (const c of active) c.abort(new Error(SHUTDOWN));
    },
    close: (closeOpts = {}) =>
      (closing ??= (async () => {
        // Stop accepting: the listener closes, idle keep-alive connections end, late requests get 503.
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const drainMs = Math.max(0, closeOpts.drainMs ?? 0);
        if (active.size && drainMs > 0) await Promise.race([Promise.allSettled([...running]), delay(drainMs)]);
        for (const c of active) c.abort(new Error(SHUTDOWN));
        // Aborted generations stop at the next token; their clients are told before the sockets go.
        await Promise.race([Promise.allSettled([...running]), delay(10_000)]);
        server.closeAllConnections();
        await closed;
        if (ownRuntime) await runtime.close();
      })()),
  };
}
