// The project's scripted OpenAI-compatible server: real HTTP on loopback, real SSE chunks, scripted
// replies per model, configurable latency and token rate, usage on or off, injectable faults, and the
// discovery endpoints of the common local servers (Ollama, vLLM, llama.cpp, LM Studio, SGLang), their
// tokenize endpoints (vLLM, SGLang, llama.cpp: one token per word), and what each request was charged.
// Tests reach models only through the `openai` SDK against this server, never by stubbing the SDK.
//
// As a process: `node out/test/support/model-server.js --port N [--script file.json] [--flavor F]
// [--latency-ms N] [--tokens-per-second N] [--no-usage] [--model NAME]...` prints `READY <url>`.
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';

export type ServerFault =
  | 'drop'
  | 'http400'
  | 'http401'
  | 'http429'
  | 'http500'
  | 'http503'
  | 'hang-before'
  | 'hang-during'
  | 'cut-mid-chunk'
  | 'empty'
  | 'huge'
  | 'invalid-json-args';

export interface ScriptedToolCall {
  name: string;
  /** A string is sent verbatim (so tests can send broken JSON); an object is JSON-encoded. */
  arguments: string | object;
  id?: string;
}

/** Usage a scripted reply reports: the token counts, and the provider extensions the pool reads. */
export interface ScriptedUsage {
  prompt_tokens: number;
  completion_tokens: number;
  prompt_tokens_details?: { cached_tokens: number };
  /** OpenRouter: dollars charged for the call; with BYOK, its fee only. */
  cost?: number;
  is_byok?: boolean;
  cost_details?: { upstream_inference_cost: number };
}

export interface ScriptedReply {
  /** Streamed in chunks (split on words unless `chunks` is given). */
  content?: string;
  /** Sent as `delta.reasoning_content` (non-streaming: `message.reasoning_content`). */
  reasoning?: string;
  /** Explicit reasoning chunks; overrides `reasoning`. */
  reasoningChunks?: string[];
  /** Native `tool_calls`, streamed in pieces. */
  toolCalls?: ScriptedToolCall[];
  /** Explicit content chunks; overrides `content`. */
  chunks?: string[];
  finishReason?: string;
  /**
   * Default: the server option. An object gives the exact numbers reported, with optional cached
   * prompt tokens (OpenAI, vLLM) and OpenRouter's cost fields.
   */
  usage?: boolean | ScriptedUsage;
  /** Delay before the first byte (before the response headers). */
  latencyMs?: number;
  /** Pacing between chunks: one chunk is treated as one token. */
  tokensPerSecond?: number;
  fault?: ServerFault;
  /** With `http429`: sent as the Retry-After header. */
  retryAfterSeconds?: number;
  /**
   * Streaming: these objects are sent verbatim, one `data:` event each, then `[DONE]` (malformed
   * shapes: chunks without a delta, tool calls numbered from 1…). Overrides everything above but latency.
   */
  rawChunks?: unknown[];
  /** Non-streaming: this object is the whole response body, verbatim. */
  rawBody?: unknown;
}

/** What the server charged a request for, in its own tokens (what arrived, for a stream cut short). */
export interface Billed {
  promptTokens: number;
  completionTokens: number;
  /** `usage.cost` when the reply reported one. */
  cost?: number;
}

export interface RecordedRequest {
  model: string;
  body: any;
  /** Set once the server generated anything for the request; absent for errors sent before generating. */
  billed?: Billed;
  headers: Record<string, string | string[] | undefined>;
  receivedAt: number;
  finishedAt?: number;
  /** True when the client went away before the response was complete. */
  aborted: boolean;
}

export type ServerFlavor = 'plain' | 'ollama' | 'vllm' | 'llamacpp' | 'lmstudio' | 'sglang';

export interface ModelServerOptions {
  port?: number;
  host?: string;
  latencyMs?: number;
  tokensPerSecond?: number;
  /** Whether usage is reported (streaming: only when the request asks with `stream_options.include_usage`). Default true. */
  usage?: boolean;
  /** Models listed by `/v1/models` and discovery endpoints (scripted models are listed too). */
  models?: string[];
  defaultReply?: ScriptedReply;
  flavor?: ServerFlavor;
  /**
   * The model's trained context length (Ollama `context_length`, LM Studio `max_context_length`,
   * vLLM `max_model_len`, llama.cpp `n_ctx`, SGLang `max_model_len`). When set, a request whose
   * estimated prompt plus `max_tokens` exceeds it gets HTTP 400, as vLLM answers.
   */
  contextWindow?: number;
  /**
   * The context the running server actually uses when it differs from `contextWindow`:
   * Ollama `num_ctx` in the model's parameters, LM Studio `loaded_context_length`, llama.cpp `n_ctx`.
   */
  runtimeContextWindow?: number;
  /** Answer HTTP 400 to requests carrying `stream_options`, as some older servers do. */
  rejectStreamOptions?: boolean;
  /** llama.cpp flavor: the chat template `/props` reports (default empty). */
  chatTemplate?: string;
}

export interface ModelServer {
  /** Base URL ending in /v1, e.g. http://127.0.0.1:PORT/v1 */
  url: string;
  /** Base URL without /v1, for the native endpoints (Ollama /api/tags, llama.cpp /props…). */
  origin: string;
  port: number;
  requests: RecordedRequest[];
  /** Requests to /tokenize and /apply-template (counting flavors only). */
  tokenizeCalls: Array<{ path: string; body: any }>;
  /** FIFO per model name. */
  script(model: string, replies: ScriptedReply[]): void;
  /** Dynamic replies; `index` counts this model's requests from 0. Scripted replies are used first. */
  setHandler(model: string, fn: (body: any, index: number) => ScriptedReply | Promise<ScriptedReply>): void;
  /** Forgets scripts, handlers and recorded requests. */
  reset(): void;
  /** Requests for one model, in arrival order. */
  requestsFor(model: string): RecordedRequest[];
  /** Closes the server and every open socket (hanging responses included). */
  close(): Promise<void>;
}

const HUGE_CONTENT_BYTES = 2 * 1024 * 1024;

export function estimateTextTokens(text: string): number {
  return text.length === 0 ? 0 : Math.max(1, Math.ceil(text.length / 4));
}

/**
 * The tokenizer of the vLLM, SGLang and llama.cpp flavors: one token per whitespace-separated word.
 * Their /tokenize endpoints and their reported usage both count with it, as a real server counts
 * both with the model's tokenizer.
 */
export function wordTokens(text: string): number {
  return (text.match(/\S+/g) ?? []).length;
}

/** Per-message framing of the word tokenizer's chat template, and the primed reply. */
const WORD_TEMPLATE_PER_MESSAGE = 4;
const WORD_TEMPLATE_REPLY = 3;

function messageText(m: any): string[] {
  if (!m || typeof m !== 'object') return [];
  const content =
    typeof m.content === 'string' ? m.content : Array.isArray(m.content) ? m.content.map((p: any) => p?.text ?? '').join('') : '';
  const calls = Array.isArray(m.tool_calls)
    ? m.tool_calls.flatMap((c: any) => [c?.function?.name ?? '', c?.function?.arguments ?? ''])
    : [];
  return [String(m.role ?? ''), content, ...calls];
}

/** Prompt tokens of a chat request under the word tokenizer's template. */
export function wordChatTokens(messages: unknown[], tools?: unknown[]): number {
  let n = WORD_TEMPLATE_REPLY;
  for (const m of messages) n += WORD_TEMPLATE_PER_MESSAGE + messageText(m).reduce((k, t) => k + wordTokens(t), 0);
  if (tools?.length) n += wordTokens(JSON.stringify(tools));
  return n;
}

/** The prompt the llama.cpp flavor's /apply-template renders (its words are what /tokenize counts). */
function wordTemplate(messages: unknown[], tools?: unknown[]): string {
  const framing = (n: number) => Array.from({ length: n }, () => '<|t|>').join(' ');
  const parts = messages.map((m) => `${framing(WORD_TEMPLATE_PER_MESSAGE)} ${messageText(m).join(' ')}`);
  if (tools?.length) parts.push(JSON.stringify(tools));
  parts.push(framing(WORD_TEMPLATE_REPLY));
  return parts.join('\n');
}

function splitWords(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
}

function splitPieces(text: string, pieces: number): string[] {
  if (text.length <= 1) return [text];
  const size = Math.max(1, Math.ceil(text.length / pieces));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function errorBody(message: string, type: string, code: string | null = null) {
  return { error: { message, type, param: null, code } };
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

export async function startModelServer(opts: ModelServerOptions = {}): Promise<ModelServer> {
  const host = opts.host ?? '127.0.0.1';
  const flavor = opts.flavor ?? 'plain';
  const serverUsage = opts.usage ?? true;
  const queues = new Map<string, ScriptedReply[]>();
  const handlers = new Map<string, (body: any, index: number) => ScriptedReply | Promise<ScriptedReply>>();
  const counts = new Map<string, number>();
  const requests: RecordedRequest[] = [];
  const tokenizeCalls: Array<{ path: string; body: any }> = [];
  const sockets = new Set<Socket>();
  let closed = false;

  const listedModels = (): string[] => {
    const names = new Set<string>(opts.models ?? []);
    for (const k of queues.keys()) names.add(k);
    for (const k of handlers.keys()) names.add(k);
    return [...names];
  };
  const trainedContext = opts.contextWindow ?? 8192;
  /** The flavors whose servers count tokens themselves (a /tokenize endpoint, exact usage). */
  const tokenizes = flavor === 'vllm' || flavor === 'sglang' || flavor === 'llamacpp';
  const runtimeContext = opts.runtimeContextWindow ?? trainedContext;

  async function nextReply(model: string, body: any): Promise<ScriptedReply | undefined> {
    const index = counts.get(model) ?? 0;
    counts.set(model, index + 1);
    const queue = queues.get(model);
    if (queue && queue.length) return queue.shift();
    const handler = handlers.get(model);
    if (handler) return handler(body, index);
    return opts.defaultReply;
  }

  async function handleChat(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    let body: any;
    try {
      body = JSON.parse(raw);
    } catch {
      sendJson(res, 400, errorBody('request body is not valid JSON', 'invalid_request_error'));
      return;
    }
    const model = typeof body?.model === 'string' ? body.model : '';
    const record: RecordedRequest = { model, body, headers: { ...req.headers }, receivedAt: Date.now(), aborted: false };
    requests.push(record);
    let cutByServer = false;
    res.on('close', () => {
      // `aborted` means the client went away; a fault that cuts the connection on purpose is not that.
      if (!res.writableFinished && !cutByServer && !closed) record.aborted = true;
      record.finishedAt = Date.now();
    });
    if (!model) {
      sendJson(res, 400, errorBody('"model" is required', 'invalid_request_error'));
      return;
    }
    if (!Array.isArray(body.messages)) {
      sendJson(res, 400, errorBody('"messages" must be an array', 'invalid_request_error'));
      return;
    }
    if (opts.rejectStreamOptions && body.stream_options !== undefined) {
      sendJson(res, 400, errorBody('Unrecognized request argument supplied: stream_options', 'invalid_request_error'));
      return;
    }
    if (opts.contextWindow) {
      const promptTokens = promptTokensOf(body);
      const maxTokens = Number(body.max_tokens ?? body.max_completion_tokens ?? 0);
      if (promptTokens + maxTokens > opts.contextWindow) {
        sendJson(
          res,
          400,
          errorBody(
            `This model's maximum context length is ${opts.contextWindow} tokens. However, you requested ${promptTokens + maxTokens} tokens (${promptTokens} in the messages, ${maxTokens} in the completion).`,
            'BadRequestError',
          ),
        );
        return;
      }
    }
    const reply = await nextReply(model, body);
    if (!reply) {
      sendJson(res, 500, errorBody(`model server: no scripted reply for model "${model}"`, 'server_error', 'no_script'));
      return;
    }
    const latency = reply.latencyMs ?? opts.latencyMs ?? 0;
    if (latency > 0) await sleep(latency);
    if (res.destroyed) return;

    switch (reply.fault) {
      case 'drop':
        cutByServer = true;
        req.socket.destroy();
        return;
      case 'http400':
        sendJson(res, 400, errorBody(`Invalid request for ${model}: the scripted fault http400`, 'invalid_request_error'));
        return;
      case 'http401':
        sendJson(res, 401, errorBody('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'));
        return;
      case 'http429':
        sendJson(
          res,
          429,
          errorBody(`Rate limit reached for ${model}`, 'rate_limit_error', 'rate_limit_exceeded'),
          reply.retryAfterSeconds !== undefined ? { 'retry-after': String(reply.retryAfterSeconds) } : {},
        );
        return;
      case 'http500':
        sendJson(res, 500, errorBody('The server had an error while processing your request.', 'server_error'));
        return;
      case 'http503':
        sendJson(res, 503, errorBody('The model is overloaded. Please try again later.', 'server_error', 'overloaded'));
        return;
      case 'hang-before':
        // Nothing is sent; the socket stays open until the client gives up or the server closes.
        return;
      case 'empty':
        res.writeHead(200, { 'content-type': body.stream ? 'text/event-stream' : 'application/json' });
        res.end();
        return;
    }
    if (body.stream && reply.rawChunks) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      for (const c of reply.rawChunks) res.write(`data: ${JSON.stringify(c)}\n\n`);
      res.end('data: [DONE]\n\n');
      return;
    }
    if (!body.stream && reply.rawBody !== undefined) {
      sendJson(res, 200, reply.rawBody);
      return;
    }
    const plan = planReply(reply, body);
    if (reply.fault === 'cut-mid-chunk') cutByServer = true;
    // What generating the whole reply costs; a stream cut short is charged for what it sent (below).
    record.billed = {
      promptTokens: plan.usage?.prompt_tokens ?? promptTokensOf(body),
      completionTokens:
        plan.usage?.completion_tokens ?? completionTokensOf(plan.contentChunks.join(''), plan.reasoningChunks.join(''), plan.toolCalls),
      ...(plan.usage?.cost !== undefined ? { cost: plan.usage.cost } : {}),
    };
    if (body.stream) await streamReply(res, plan, reply, body, model, record);
    else sendCompleteReply(res, plan, reply, body, model);
  }

  interface ReplyPlan {
    contentChunks: string[];
    reasoningChunks: string[];
    toolCalls: Array<{ id: string; name: string; arguments: string }>;
    finishReason: string;
    usage?: ScriptedUsage & { total_tokens: number };
  }

  function planReply(reply: ScriptedReply, body: any): ReplyPlan {
    let contentChunks = reply.chunks ?? splitWords(reply.content ?? '');
    if (reply.fault === 'huge') {
      const line = 'This line is repeated to make a very large reply. ';
      const piece = line.repeat(Math.ceil(65536 / line.length));
      contentChunks = Array.from({ length: Math.ceil(HUGE_CONTENT_BYTES / piece.length) }, () => piece);
    }
    let toolCalls = (reply.toolCalls ?? []).map((c, i) => ({
      id: c.id ?? `call_${i}_${randomUUID().slice(0, 8)}`,
      name: c.name,
      arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments),
    }));
    if (reply.fault === 'invalid-json-args') {
      if (toolCalls.length === 0) toolCalls = [{ id: `call_0_${randomUUID().slice(0, 8)}`, name: 'answer', arguments: '' }];
      toolCalls = toolCalls.map((c) => ({ ...c, arguments: `{"${c.name}": <<not json>> ,,` }));
    }
    const reasoningChunks = reply.reasoningChunks ?? splitWords(reply.reasoning ?? '');
    const finishReason = reply.finishReason ?? (toolCalls.length ? 'tool_calls' : 'stop');
    const wantUsage = reply.usage ?? serverUsage;
    let usage: ReplyPlan['usage'];
    if (wantUsage) {
      if (typeof wantUsage === 'object') {
        usage = { ...wantUsage, total_tokens: wantUsage.prompt_tokens + wantUsage.completion_tokens };
      } else {
        const prompt = promptTokensOf(body);
        const completion = completionTokensOf(contentChunks.join(''), reasoningChunks.join(''), toolCalls);
        usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
      }
    }
    return { contentChunks, reasoningChunks, toolCalls, finishReason, usage };
  }

  /** A request's prompt tokens: the word tokenizer for the counting flavors, else about four characters a token. */
  function promptTokensOf(body: any): number {
    if (tokenizes) return wordChatTokens(body.messages ?? [], body.tools);
    return estimateTextTokens(JSON.stringify(body.messages ?? [])) + (body.tools ? estimateTextTokens(JSON.stringify(body.tools)) : 0);
  }

  /** A reply's tokens, piece by piece (reasoning, text, each call's name and arguments). */
  function completionTokensOf(content: string, reasoning: string, calls: Array<{ name: string; arguments: string }>): number {
    if (!tokenizes)
      return (
        estimateTextTokens(content) +
        estimateTextTokens(reasoning) +
        calls.reduce((n, c) => n + estimateTextTokens(c.name + c.arguments), 0)
      );
    return wordTokens(content) + wordTokens(reasoning) + calls.reduce((n, c) => n + wordTokens(c.name) + wordTokens(c.arguments), 0);
  }

  function sendCompleteReply(res: http.ServerResponse, plan: ReplyPlan, reply: ScriptedReply, body: any, model: string): void {
    if (reply.fault === 'hang-during' || reply.fault === 'cut-mid-chunk') {
      // Headers and half of the JSON body, then silence (hang) or a reset (cut).
      const half = JSON.stringify({
        id: 'chatcmpl-x',
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: plan.contentChunks.join('') } }],
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(half.slice(0, Math.floor(half.length / 2)));
      if (reply.fault === 'cut-mid-chunk') res.socket?.destroy();
      return;
    }
    const message: Record<string, unknown> = {
      role: 'assistant',
      content: plan.contentChunks.length || !plan.toolCalls.length ? plan.contentChunks.join('') : null,
    };
    if (plan.reasoningChunks.length) message.reasoning_content = plan.reasoningChunks.join('');
    if (plan.toolCalls.length)
      message.tool_calls = plan.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
    sendJson(res, 200, {
      id: `chatcmpl-${randomUUID()}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model ?? model,
      choices: [{ index: 0, message, finish_reason: plan.finishReason, logprobs: null }],
      ...(plan.usage ? { usage: plan.usage } : {}),
    });
  }

  async function streamReply(
    res: http.ServerResponse,
    plan: ReplyPlan,
    reply: ScriptedReply,
    body: any,
    model: string,
    record: RecordedRequest,
  ): Promise<void> {
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const tps = reply.tokensPerSecond ?? opts.tokensPerSecond ?? 0;
    const gap = tps > 0 ? 1000 / tps : 0;
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model ?? model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] })}\n\n`;

    const events: string[] = [chunk({ role: 'assistant', content: '' })];
    // What each event carries, so that a stream cut short is charged for what it sent.
    const sends: Array<{ content?: string; reasoning?: string; call?: { index: number; name?: string; args?: string } }> = [{}];
    const push = (event: string, sent: (typeof sends)[number]) => {
      events.push(event);
      sends.push(sent);
    };
    for (const r of plan.reasoningChunks) push(chunk({ reasoning_content: r }), { reasoning: r });
    for (const c of plan.contentChunks) push(chunk({ content: c }), { content: c });
    plan.toolCalls.forEach((c, index) => {
      push(chunk({ tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] }), {
        call: { index, name: c.name },
      });
      for (const piece of splitPieces(c.arguments, 3))
        push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }), { call: { index, args: piece } });
    });
    const chargeSent = (upTo: number) => {
      let content = '';
      let reasoning = '';
      const calls: Array<{ name: string; arguments: string }> = [];
      for (const sent of sends.slice(0, upTo)) {
        content += sent.content ?? '';
        reasoning += sent.reasoning ?? '';
        if (sent.call) {
          const c = (calls[sent.call.index] ??= { name: '', arguments: '' });
          c.name += sent.call.name ?? '';
          c.arguments += sent.call.args ?? '';
        }
      }
      record.billed = { promptTokens: record.billed!.promptTokens, completionTokens: completionTokensOf(content, reasoning, calls) };
    };
    events.push(chunk({}, plan.finishReason));
    if (plan.usage && body.stream_options?.include_usage) {
      events.push(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model ?? model, choices: [], usage: plan.usage })}\n\n`,
      );
    }
    events.push('data: [DONE]\n\n');

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.flushHeaders();
    // Faults mid-stream strike halfway through the events (after at least the role chunk and one more).
    const faultAt = Math.max(2, Math.floor(events.length / 2));
    // Paced against a schedule rather than by sleeping `gap` after each event: timers cannot wait
    // less than ~1 ms, so rates above ~1,000 tokens/s would otherwise fall far short.
    const pacedFrom = performance.now();
    for (let i = 0; i < events.length; i++) {
      if (res.destroyed || closed) return chargeSent(i);
      if (i === faultAt && reply.fault === 'hang-during') return chargeSent(i);
      if (i === faultAt && reply.fault === 'cut-mid-chunk') {
        chargeSent(i);
        const ev = events[i];
        res.write(ev.slice(0, Math.floor(ev.length / 2)));
        await sleep(5);
        res.socket?.destroy();
        return;
      }
      res.write(events[i]);
      if (gap > 0 && i < events.length - 1) {
        const wait = pacedFrom + (i + 1) * gap - performance.now();
        if (wait >= 1) await sleep(wait);
      }
    }
    res.end();
  }

  function ollamaTags() {
    return {
      models: listedModels().map((name) => ({
        name,
        model: name,
        modified_at: new Date(0).toISOString(),
        size: 4_000_000_000,
        digest: name.replace(/[^a-z0-9]/gi, '').padEnd(12, '0'),
        details: { format: 'gguf', family: 'llama', families: ['llama'], parameter_size: '8B', quantization_level: 'Q4_K_M' },
      })),
    };
  }

  async function ollamaShow(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let body: any;
    try {
      body = JSON.parse((await readBody(req)) || '{}');
    } catch {
      sendJson(res, 400, { error: 'invalid JSON' });
      return;
    }
    const name = body.model ?? body.name;
    if (!listedModels().includes(name)) {
      sendJson(res, 404, { error: `model '${name}' not found` });
      return;
    }
    const parameters = [`stop                           "<|eot_id|>"`];
    if (opts.runtimeContextWindow !== undefined) parameters.unshift(`num_ctx                        ${opts.runtimeContextWindow}`);
    sendJson(res, 200, {
      modelfile: `FROM ${name}\n`,
      parameters: parameters.join('\n'),
      template: '{{ .Prompt }}',
      details: { format: 'gguf', family: 'llama', parameter_size: '8B', quantization_level: 'Q4_K_M' },
      model_info: {
        'general.architecture': 'llama',
        'general.parameter_count': 8_030_261_248,
        'llama.context_length': trainedContext,
        'llama.embedding_length': 4096,
      },
      capabilities: ['completion', 'tools'],
    });
  }

  function openAiModels() {
    const data = listedModels().map((id) => {
      const entry: Record<string, unknown> = { id, object: 'model', created: 0, owned_by: flavor === 'plain' ? 'model-server' : flavor };
      if (flavor === 'vllm' || flavor === 'sglang') {
        entry.max_model_len = trainedContext;
        entry.root = id;
      }
      if (flavor === 'llamacpp') entry.meta = { n_ctx_train: trainedContext, n_params: 8_030_261_248 };
      return entry;
    });
    return { object: 'list', data };
  }

  /**
   * vLLM and SGLang: POST /tokenize with `messages` (chat template applied) or `prompt` → {count, tokens}.
   * llama.cpp: POST /apply-template {messages} → {prompt}; POST /tokenize {content} → {tokens}.
   */
  async function tokenizeRoute(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    let body: any;
    try {
      body = JSON.parse((await readBody(req)) || '{}');
    } catch {
      return sendJson(res, 400, errorBody('request body is not valid JSON', 'invalid_request_error'));
    }
    tokenizeCalls.push({ path, body });
    const ids = (n: number) => Array.from({ length: n }, (_, i) => 1000 + i);
    if (flavor === 'llamacpp') {
      if (path === '/apply-template') {
        if (!Array.isArray(body.messages)) return sendJson(res, 400, { error: { code: 400, message: '"messages" is required' } });
        return sendJson(res, 200, { prompt: wordTemplate(body.messages, body.tools) });
      }
      if (typeof body.content !== 'string') return sendJson(res, 400, { error: { code: 400, message: '"content" must be provided' } });
      return sendJson(res, 200, { tokens: ids(wordTokens(body.content)) });
    }
    if (path !== '/tokenize') return sendJson(res, 404, errorBody(`no route POST ${path}`, 'not_found'));
    const count = Array.isArray(body.messages)
      ? wordChatTokens(body.messages, body.tools)
      : typeof body.prompt === 'string'
        ? wordTokens(body.prompt)
        : undefined;
    if (count === undefined) return sendJson(res, 400, errorBody('either "messages" or "prompt" is required', 'BadRequestError'));
    return sendJson(res, 200, { count, max_model_len: trainedContext, tokens: ids(count) });
  }

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    if (method === 'POST' && path === '/v1/chat/completions') return handleChat(req, res);
    if (method === 'GET' && path === '/v1/models') return sendJson(res, 200, openAiModels());
    if (flavor === 'ollama') {
      if (method === 'GET' && path === '/api/tags') return sendJson(res, 200, ollamaTags());
      if (method === 'POST' && path === '/api/show') return ollamaShow(req, res);
      if (method === 'GET' && path === '/api/version') return sendJson(res, 200, { version: '0.12.0' });
    }
    if (tokenizes && method === 'POST' && (path === '/tokenize' || path === '/apply-template')) return tokenizeRoute(req, res, path);
    if (flavor === 'llamacpp' && method === 'GET' && path === '/props') {
      return sendJson(res, 200, {
        default_generation_settings: { n_ctx: runtimeContext, params: { n_predict: -1, temperature: 0.8 } },
        total_slots: 1,
        model_path: `/models/${listedModels()[0] ?? 'model'}.gguf`,
        chat_template: opts.chatTemplate ?? '',
      });
    }
    if (flavor === 'lmstudio' && method === 'GET' && path === '/api/v0/models') {
      return sendJson(res, 200, {
        object: 'list',
        data: listedModels().map((id) => ({
          id,
          object: 'model',
          type: 'llm',
          publisher: 'lmstudio-community',
          arch: 'llama',
          compatibility_type: 'gguf',
          quantization: 'Q4_K_M',
          state: 'loaded',
          max_context_length: trainedContext,
          loaded_context_length: runtimeContext,
        })),
      });
    }
    if (flavor === 'sglang' && method === 'GET' && path === '/get_model_info') {
      const first = listedModels()[0] ?? 'model';
      return sendJson(res, 200, { model_path: first, tokenizer_path: first, is_generation: true, preferred_sampling_params: null });
    }
    sendJson(res, 404, errorBody(`no route ${method} ${path}`, 'not_found'));
  }

  const server = http.createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) sendJson(res, 500, errorBody(`model server: ${(err as Error).message}`, 'server_error'));
      else res.destroy();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url: `${origin}/v1`,
    origin,
    port,
    requests,
    tokenizeCalls,
    script(model, replies) {
      const q = queues.get(model) ?? [];
      q.push(...replies);
      queues.set(model, q);
    },
    setHandler(model, fn) {
      handlers.set(model, fn);
    },
    reset() {
      queues.clear();
      handlers.clear();
      counts.clear();
      requests.length = 0;
      tokenizeCalls.length = 0;
    },
    requestsFor(model) {
      return requests.filter((r) => r.model === model);
    },
    close() {
      closed = true;
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections?.();
      });
    },
  };
}

// ---- Text tool-call dialects, as local models write them when their server has no parser ----

export interface TextCall {
  name: string;
  arguments: Record<string, unknown>;
}

const enc = (v: unknown) => JSON.stringify(v);

export const toolCallText = {
  /** Hermes / Qwen 2.5 / Qwen3: one `<tool_call>` block per call. */
  hermes(calls: TextCall[]): string {
    return calls.map((c) => `<tool_call>\n${enc({ name: c.name, arguments: c.arguments })}\n</tool_call>`).join('\n');
  },
  /** Qwen3-Coder / GLM XML: parameters as elements, string values raw. */
  qwenXml(calls: TextCall[]): string {
    return calls
      .map(
        (c) =>
          `<tool_call>\n<function=${c.name}>\n${Object.entries(c.arguments)
            .map(([k, v]) => `<parameter=${k}>\n${typeof v === 'string' ? v : enc(v)}\n</parameter>`)
            .join('\n')}\n</function>\n</tool_call>`,
      )
      .join('\n');
  },
  /** Mistral (v3 tokenizer): `[TOOL_CALLS][{...}, ...]`. */
  mistral(calls: TextCall[]): string {
    return `[TOOL_CALLS]${enc(calls.map((c) => ({ name: c.name, arguments: c.arguments })))}`;
  },
  /** Mistral (v11+ / Devstral / Magistral): `[TOOL_CALLS]NAME[ARGS]{...}` per call. */
  mistralNamed(calls: TextCall[]): string {
    return calls.map((c) => `[TOOL_CALLS]${c.name}[ARGS]${enc(c.arguments)}`).join('');
  },
  /** Llama 3.x: `<|python_tag|>{"name":..,"parameters":..}`. */
  llama(calls: TextCall[]): string {
    return `<|python_tag|>${calls.map((c) => enc({ name: c.name, parameters: c.arguments })).join('; ')}`;
  },
  /** Bare JSON: one object, or an array for several calls. */
  json(calls: TextCall[], key: 'arguments' | 'parameters' = 'arguments'): string {
    const objs = calls.map((c) => ({ name: c.name, [key]: c.arguments }));
    return enc(objs.length === 1 ? objs[0] : objs);
  },
  /** gpt-oss harmony: a commentary-channel message addressed to functions.NAME. */
  harmony(calls: TextCall[], withStart = true): string {
    return calls
      .map(
        (c) =>
          `${withStart ? '<|start|>assistant' : ''}<|channel|>commentary to=functions.${c.name} <|constrain|>json<|message|>${enc(c.arguments)}<|call|>`,
      )
      .join('');
  },
  /** JSON in a ```json fence. */
  fence(calls: TextCall[]): string {
    return calls.map((c) => '```json\n' + JSON.stringify({ name: c.name, arguments: c.arguments }, null, 2) + '\n```').join('\n');
  },
};

// ---- Process mode ----

interface ScriptFile extends Omit<ModelServerOptions, 'port'> {
  script?: Record<string, ScriptedReply[]>;
}

function parseCli(argv: string[]): { opts: ModelServerOptions; script: Record<string, ScriptedReply[]> } {
  const opts: ModelServerOptions = {};
  let script: Record<string, ScriptedReply[]> = {};
  const models: string[] = [];
  const num = (flag: string, v: string | undefined) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a non-negative number, got ${v ?? 'nothing'}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '--port':
        opts.port = num(a, argv[++i]);
        break;
      case '--host':
        opts.host = argv[++i];
        break;
      case '--latency-ms':
        opts.latencyMs = num(a, argv[++i]);
        break;
      case '--tokens-per-second':
        opts.tokensPerSecond = num(a, argv[++i]);
        break;
      case '--no-usage':
        opts.usage = false;
        break;
      case '--context-window':
        opts.contextWindow = num(a, argv[++i]);
        break;
      case '--flavor':
        opts.flavor = argv[++i] as ServerFlavor;
        break;
      case '--model':
        models.push(argv[++i]);
        break;
      case '--default-content':
        opts.defaultReply = { content: argv[++i] };
        break;
      case '--script': {
        const file = argv[++i];
        const parsed = JSON.parse(readFileSync(file, 'utf8')) as ScriptFile;
        const { script: s, ...rest } = parsed;
        Object.assign(opts, rest);
        script = s ?? {};
        break;
      }
      default:
        throw new Error(`unknown argument ${a}`);
    }
  }
  if (models.length) opts.models = [...(opts.models ?? []), ...models];
  return { opts, script };
}

// Bundled into test files this module must stay passive, so process mode keys on the script name.
if (typeof require !== 'undefined' && /model-server\.[cm]?js$/.test(process.argv[1] ?? '')) {
  (async () => {
    const { opts, script } = parseCli(process.argv.slice(2));
    const server = await startModelServer(opts);
    for (const [model, replies] of Object.entries(script)) server.script(model, replies);
    process.stdout.write(`READY ${server.url}\n`);
    const stop = () => void server.close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  })().catch((err: unknown) => {
    process.stderr.write(`model-server: ${(err as Error).message}\n`);
    process.exit(2);
  });
}
