// An OpenAI-compatible HTTP endpoint over the embedded runtime, so the engine reaches local GGUF
// models exactly like any other pool model: through the `openai` SDK. Chat completions stream as
// SSE, report usage, and produce tool calls under a JSON-schema grammar built from the request's
// tool schemas (so a local model's calls always parse). Loopback only unless asked otherwise.
import * as http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { basename } from 'node:path';
import type {
  ChatModelFunctions,
  ChatWrapper,
  ChatWrapperGenerateContextStateOptions,
  LlamaChatResponseFunctionCallParamsChunk,
  LlamaGrammar,
} from 'node-llama-cpp';
import type { ModelEntryInput, ModelRole } from '../../core/config';
import { ChatCompletionRequest, RequestError, parseChatRequest, toChatHistory, toGrammarSchema } from './chat-request';
import { readGgufInfo, type GgufInfo } from './gguf-info';
import { LlamaRuntime, type ChatFormat, type NodeLlamaCpp, type SequenceLease } from './runtime';

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
  close(): Promise<void>;
  modelEntries(): ModelEntryInput[];
  /** Header facts of each served model, by id. */
  modelInfo(): Map<string, GgufInfo>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Guesses pool roles from a model's name. */
export function guessRoles(name: string): ModelRole[] {
  const n = name.toLowerCase();
  if (/orchestrat/.test(n)) return ['orchestrator'];
  const roles: ModelRole[] = [];
  if (/coder|code|starcoder|devstral|codestral/.test(n)) roles.push('code');
  if (/math/.test(n)) roles.push('math');
  if (/r1|reason|think|qwq/.test(n)) roles.push('reasoning');
  if (roles.length === 0) roles.push('general', 'answer');
  return roles;
}

/** A model id from a file name: letters, digits and . _ : - only. */
export function modelIdForFile(file: string): string {
  const stem = basename(file).replace(/\.gguf$/i, '');
  const clean = stem.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'model';
  return `local:${clean}`;
}

function newId(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}`;
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
function readBody(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new RequestError(`request body larger than ${MAX_BODY_BYTES} bytes`, 413));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text ? JSON.parse(text) : undefined);
      } catch {
        reject(new RequestError('request body is not valid JSON'));
      }
    });
    req.on('error', reject);
  });
}

/** Wraps a chat wrapper so the model must call a function until it has made one in this response. */
function forcedCallWrapper(lib: NodeLlamaCpp, inner: ChatWrapper, callsBefore: number): ChatWrapper {
  const forced = Object.create(inner) as ChatWrapper;
  const prefix = inner.settings.functions.call.prefix;
  forced.generateContextState = (options: ChatWrapperGenerateContextStateOptions) => {
    const state = inner.generateContextState.call(forced, options);
    const last = options.chatHistory[options.chatHistory.length - 1];
    const calls = last?.type === 'model' ? last.response.filter((r) => typeof r === 'object' && r.type === 'functionCall').length : 0;
    if (calls > callsBefore) return state;
    return { ...state, prefixTriggers: undefined, noPrefixTrigger: { type: 'functionCall', inject: lib.LlamaText(prefix) } } as ReturnType<
      ChatWrapper['generateContextState']
    >;
  };
  return forced;
}

interface StreamSink {
  role(): void;
  text(delta: string): void;
  reasoning(delta: string): void;
  toolCallStart(index: number, id: string, name: string): void;
  toolCallArguments(index: number, delta: string): void;
}

/** Tokens closer together than this share one write. */
const SSE_FLUSH_INTERVAL_MS = 8;

type DeltaKind = 'content' | 'reasoning' | 'arguments';

/**
 * Writes a chat completion's server-sent events with few writes and few events: an event goes out at
 * once when nothing was written in the last SSE_FLUSH_INTERVAL_MS, and faster ones are held until
 * then and sent together. Consecutive held deltas of one kind (text, reasoning, one tool call's
 * arguments) merge into one event, as the engine's own delta coalescer does. A small model makes a
 * token every fraction of a millisecond: a write, an event to serialise and an event for the client
 * to parse per token cost more than the token itself. Slower models still get every token as soon
 * as it exists. Chunk JSON is assembled around a per-request prefix instead of re-serialising the
 * same fields for every token.
 */
class SseWriter {
  private pending = '';
  private open: { kind: DeltaKind; index: number; text: string } | undefined;
  private lastWrite = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  /** `data: {"id":…,"choices":[{"index":0,"delta":` — every chunk of this response starts so. */
  private readonly prefix: string;

  constructor(
    private readonly res: http.ServerResponse,
    requestId: string,
    model: string,
    created: number,
  ) {
    this.prefix = `data: {"id":${JSON.stringify(requestId)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"system_fingerprint":null,"choices":[{"index":0,"delta":`;
  }

  private chunk(deltaJson: string, finishReason: string | null): string {
    return `${this.prefix}${deltaJson},"logprobs":null,"finish_reason":${finishReason === null ? 'null' : JSON.stringify(finishReason)}}]}\n\n`;
  }

  /**
   * The opening event (headers and role). It goes out with the first token when that comes within
   * SSE_FLUSH_INTERVAL_MS (one write and one client wake-up, not two), else on its own then, so a
   * long prompt evaluation does not keep the client waiting for headers.
   */
  start(): void {
    this.pending += this.chunk('{"role":"assistant","content":""}', null);
    this.timer ??= setTimeout(() => this.flush(), SSE_FLUSH_INTERVAL_MS);
  }

  /** A piece of text, reasoning or tool-call arguments; merged with the held one of the same kind. */
  delta(kind: DeltaKind, index: number, text: string): void {
    const open = this.open;
    if (open && open.kind === kind && open.index === index) open.text += text;
    else {
      this.closeOpen();
      this.open = { kind, index, text };
    }
    this.schedule();
  }

  /** Any other delta (a tool call's start, the finish), as its JSON. */
  event(deltaJson: string, finishReason: string | null = null): void {
    this.closeOpen();
    this.pending += this.chunk(deltaJson, finishReason);
    this.schedule();
  }

  /** The usage chunk (no choices). */
  usage(usage: object): void {
    this.closeOpen();
    this.pending += `${this.prefix.slice(0, this.prefix.indexOf('"choices":'))}"choices":[],"usage":${JSON.stringify(usage)}}\n\n`;
    this.schedule();
  }

  private closeOpen(): void {
    const open = this.open;
    if (!open) return;
    this.open = undefined;
    const text = JSON.stringify(open.text);
    const delta =
      open.kind === 'content'
        ? `{"content":${text}}`
        : open.kind === 'reasoning'
          ? `{"reasoning_content":${text}}`
          : `{"tool_calls":[{"index":${open.index},"function":{"arguments":${text}}}]}`;
    this.pending += this.chunk(delta, null);
  }

  private schedule(): void {
    const since = performance.now() - this.lastWrite;
    if (since >= SSE_FLUSH_INTERVAL_MS) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), SSE_FLUSH_INTERVAL_MS - since);
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.closeOpen();
    if (!this.pending) return;
    const text = this.pending;
    this.pending = '';
    if (this.res.writableEnded || this.res.destroyed) return;
    this.res.write(text);
    this.lastWrite = performance.now();
  }
}

interface CompletionResult {
  text: string;
  reasoning: string;
  toolCalls: Array<{ id: string; name: string; arguments: string }>;
  finishReason: 'stop' | 'length' | 'tool_calls';
  promptTokens: number;
  completionTokens: number;
}

async function generate(
  lease: SequenceLease,
  req: ChatCompletionRequest,
  maxToolStringLength: number,
  sink: StreamSink | undefined,
  signal: AbortSignal,
): Promise<CompletionResult> {
  const { lib, llama, sequence, chatWrapper, contextSize } = lease;
  const tools = req.tools ?? [];
  const toolChoice = req.tool_choice ?? 'auto';
  let offered = tools;
  if (toolChoice === 'none') offered = [];
  else if (typeof toolChoice === 'object') {
    offered = tools.filter((t) => t.function.name === toolChoice.function.name);
    if (offered.length === 0)
      throw new RequestError(
        `tool_choice names "${toolChoice.function.name}" but no tool in "tools" has that name`,
        400,
        'invalid_request_error',
        'tool_choice',
      );
  } else if (toolChoice === 'required' && tools.length === 0)
    throw new RequestError('tool_choice is "required" but "tools" is empty', 400, 'invalid_request_error', 'tool_choice');

  const { history, callsInLastTurn } = toChatHistory(req.messages, new Map(tools.map((t) => [t.function.name, t.function.description])));
  let functions: ChatModelFunctions | undefined;
  if (offered.length > 0) {
    const defined: Record<string, ChatModelFunctions[string]> = {};
    functions = defined;
    for (const t of offered) {
      const p = t.function.parameters;
      const noParams =
        !p ||
        (Object.keys((p.properties as object | undefined) ?? {}).length === 0 &&
          p.additionalProperties === undefined &&
          !p.anyOf &&
          !p.oneOf);
      defined[t.function.name] = {
        description: t.function.description,
        params: noParams ? undefined : toGrammarSchema(p, maxToolStringLength),
      };
    }
  }
  let grammar: LlamaGrammar | undefined;
  const format = req.response_format;
  if (format && format.type !== 'text') {
    if (functions)
      throw new RequestError(
        'response_format cannot be combined with tools on the local model server',
        400,
        'invalid_request_error',
        'response_format',
      );
    const schema =
      format.type === 'json_schema' && format.json_schema.schema
        ? toGrammarSchema(format.json_schema.schema, maxToolStringLength)
        : { type: 'object', additionalProperties: true };
    grammar = await llama.createGrammarForJsonSchema(schema as Parameters<typeof llama.createGrammarForJsonSchema>[0]);
  }
  const force = functions !== undefined && (toolChoice === 'required' || typeof toolChoice === 'object');
  const chat = new lib.LlamaChat({
    contextSequence: sequence,
    chatWrapper: force ? forcedCallWrapper(lib, chatWrapper, callsInLastTurn) : chatWrapper,
  });

  const streamedCalls = new Map<number, { id: string; name: string; args: string }>();
  let text = '';
  let reasoning = '';
  const penalties = req.frequency_penalty || req.presence_penalty;
  const maxTokens = Math.min(req.max_completion_tokens ?? req.max_tokens ?? contextSize, contextSize);
  const stop = req.stop == null ? undefined : Array.isArray(req.stop) ? req.stop : [req.stop];
  sink?.role();
  const outputBefore = sequence.tokenMeter.usedOutputTokens;
  try {
    const common = {
      signal,
      stopOnAbortSignal: true,
      maxTokens,
      temperature: req.temperature ?? 0.7,
      topP: req.top_p ?? undefined,
      seed: req.seed ?? undefined,
      customStopTriggers: stop,
      repeatPenalty: penalties
        ? { penalty: 1, frequencyPenalty: req.frequency_penalty ?? undefined, presencePenalty: req.presence_penalty ?? undefined }
        : (false as const),
      onTextChunk: (chunk: string) => {
        text += chunk;
        if (chunk) sink?.text(chunk);
      },
      onResponseChunk: (chunk: { type: 'segment' | undefined; segmentType?: string; text: string }) => {
        if (chunk.type === 'segment' && chunk.segmentType === 'thought' && chunk.text) {
          reasoning += chunk.text;
          sink?.reasoning(chunk.text);
        }
      },
    };
    const res = functions
      ? await chat.generateResponse(history, {
          ...common,
          functions,
          maxParallelFunctionCalls: req.parallel_tool_calls === false ? 1 : undefined,
          onFunctionCallParamsChunk: (c: LlamaChatResponseFunctionCallParamsChunk) => {
            let call = streamedCalls.get(c.callIndex);
            if (!call) {
              call = { id: newId('call_'), name: c.functionName, args: '' };
              streamedCalls.set(c.callIndex, call);
              sink?.toolCallStart(c.callIndex, call.id, c.functionName);
            }
            if (c.paramsChunk) {
              call.args += c.paramsChunk;
              sink?.toolCallArguments(c.callIndex, c.paramsChunk);
            }
          },
        })
      : await chat.generateResponse(history, { ...common, grammar });
    const toolCalls = (res.functionCalls ?? []).map((fc, i) => {
      const streamed = streamedCalls.get(i);
      const args = JSON.stringify(fc.params ?? {});
      if (!streamed) {
        // A call without streamed parameters (no-argument tools): announce it whole.
        const id = newId('call_');
        sink?.toolCallStart(i, id, fc.functionName);
        sink?.toolCallArguments(i, args);
        return { id, name: fc.functionName, arguments: args };
      }
      return { id: streamed.id, name: fc.functionName, arguments: args };
    });
    const stopReason = res.metadata.stopReason;
    const finishReason: CompletionResult['finishReason'] =
      toolCalls.length > 0 ? 'tool_calls' : stopReason === 'maxTokens' ? 'length' : 'stop';
    // The sequence is this call's own: what it holds is the prompt plus what was generated.
    const completionTokens = Math.max(0, sequence.tokenMeter.usedOutputTokens - outputBefore);
    return {
      text: res.response ?? text,
      reasoning,
      toolCalls,
      finishReason,
      promptTokens: Math.max(0, sequence.contextTokens.length - completionTokens),
      completionTokens,
    };
  } finally {
    chat.dispose({ disposeSequence: false });
  }
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
      log: (e) => log(e),
    });
  const byId = new Map(opts.models.map((m) => [m.id, m]));
  const maxToolStringLength = opts.maxToolStringLength ?? 2048;
  const created = Math.floor(Date.now() / 1000);
  const active = new Set<AbortController>();

  const allowedHost = (hostHeader: string | undefined): boolean => {
    if (!hostHeader) return false;
    const h = hostHeader.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    return isLoopbackHost(h) || (Boolean(opts.allowNonLoopback) && (h === host || host === '0.0.0.0' || host === '::'));
  };

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
      );
    const controller = new AbortController();
    active.add(controller);
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new Error('client disconnected'));
    });
    const stream = Boolean(body.stream);
    const includeUsage = Boolean(body.stream_options?.include_usage);
    const sse = new SseWriter(res, requestId, spec.id, Math.floor(started / 1000));
    let lease: SequenceLease | undefined;
    try {
      lease = await runtime.acquire({ path: spec.path, chatFormat: spec.chatFormat }, controller.signal);
      const sink: StreamSink | undefined = stream
        ? {
            role: () => {
              res.writeHead(200, {
                'content-type': 'text/event-stream; charset=utf-8',
                'cache-control': 'no-cache',
                connection: 'keep-alive',
                'x-request-id': requestId,
              });
              sse.start();
            },
            text: (t) => sse.delta('content', 0, t),
            reasoning: (t) => sse.delta('reasoning', 0, t),
            toolCallStart: (index, id, name) =>
              sse.event(
                `{"tool_calls":[{"index":${index},"id":${JSON.stringify(id)},"type":"function","function":{"name":${JSON.stringify(name)},"arguments":""}}]}`,
              ),
            toolCallArguments: (index, args) => sse.delta('arguments', index, args),
          }
        : undefined;
      const result = await generate(lease, body, maxToolStringLength, sink, controller.signal);
      const usage = {
        prompt_tokens: result.promptTokens,
        completion_tokens: result.completionTokens,
        total_tokens: result.promptTokens + result.completionTokens,
      };
      const cancelled = controller.signal.aborted;
      log({
        level: 'info',
        message: cancelled ? 'cancelled by the client' : 'completed',
        requestId,
        model: spec.id,
        finishReason: cancelled ? 'cancelled' : result.finishReason,
        promptTokens: usage.prompt_tokens,
        completionTokens: usage.completion_tokens,
        ms: Date.now() - started,
      });
      if (cancelled) return;
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
      if (controller.signal.aborted) {
        log({
          level: 'info',
          message: 'cancelled by the client',
          requestId,
          model: spec.id,
          finishReason: 'cancelled',
          ms: Date.now() - started,
        });
        return;
      }
      throw err;
    } finally {
      // What was generated goes out before anything the caller writes after (an error, the end).
      sse.flush();
      active.delete(controller);
      lease?.release();
    }
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
    if (path === '/v1/chat/completions' || path === '/chat/completions') {
      if (req.method !== 'POST') {
        sendError(res, 405, `${req.method} is not allowed on ${path}; use POST`);
        return;
      }
      handleChat(req, res).catch((err: unknown) => {
        if (err instanceof RequestError) {
          sendError(res, err.status, err.message, err.code, err.param);
          return;
        }
        const message = err instanceof Error ? err.message : String(err);
        log({ level: 'error', message: `chat completion failed: ${message}` });
        if (res.headersSent) {
          // Mid-stream: report the failure in the stream, then end it.
          if (!res.writableEnded) res.end(`data: ${JSON.stringify({ error: { message, type: 'server_error' } })}\n\n`);
        } else sendError(res, 500, message, 'server_error');
      });
      return;
    }
    sendError(
      res,
      404,
      `no route ${req.method} ${url.pathname} (this server offers GET /v1/models and POST /v1/chat/completions)`,
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

  let closing: Promise<void> | undefined;
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
    close: () =>
      (closing ??= (async () => {
        for (const c of active) c.abort(new Error('server closing'));
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        if (ownRuntime) await runtime.close();
      })()),
  };
}
