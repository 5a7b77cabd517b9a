// One chat completion on the embedded runtime: the request becomes node-llama-cpp's history,
// functions and grammar; the prompt is rendered and counted first (a prompt the context cannot hold
// is refused with OpenAI's `context_length_exceeded` before anything is evaluated); then it runs on
// the context sequence that already caches the longest prefix of that prompt.
import { randomBytes } from 'node:crypto';
import type {
  ChatHistoryItem,
  ChatModelFunctions,
  ChatWrapper,
  ChatWrapperGenerateContextStateOptions,
  LlamaChatResponseFunctionCallParamsChunk,
  LlamaGrammar,
  Token,
} from 'node-llama-cpp';
import { ChatCompletionRequest, RequestError, toChatHistory, toGrammarSchema } from './chat-request';
import type { LlamaRuntime, ModelHandle, ModelSpec, NodeLlamaCpp, SequenceLease } from './runtime';

export function newId(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}`;
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

/** Where a streamed response's pieces go as they are made. */
export interface StreamSink {
  text(delta: string): void;
  reasoning(delta: string): void;
  toolCallStart(index: number, id: string, name: string): void;
  toolCallArguments(index: number, delta: string): void;
}

export interface CompletionResult {
  text: string;
  reasoning: string;
  toolCalls: Array<{ id: string; name: string; arguments: string }>;
  finishReason: 'stop' | 'length' | 'tool_calls';
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens found in the KV cache (not evaluated again). */
  cachedTokens: number;
}

/** A request turned into what the runtime runs, with its prompt counted. */
interface PreparedCall {
  history: ChatHistoryItem[];
  functions: ChatModelFunctions | undefined;
  grammar: LlamaGrammar | undefined;
  chatWrapper: ChatWrapper;
  /** The rendered prompt, for choosing the sequence that caches most of it. */
  tokens: Token[];
  maxTokens: number;
}

/** The tools the request offers under its tool_choice, refused when tool_choice names what is not there. */
function offeredTools(req: ChatCompletionRequest): NonNullable<ChatCompletionRequest['tools']> {
  const tools = req.tools ?? [];
  const toolChoice = req.tool_choice ?? 'auto';
  if (toolChoice === 'none') return [];
  if (typeof toolChoice === 'object') {
    const named = tools.filter((t) => t.function.name === toolChoice.function.name);
    if (named.length === 0)
      throw new RequestError(
        `tool_choice names "${toolChoice.function.name}" but no tool in "tools" has that name`,
        400,
        'invalid_request_error',
        'tool_choice',
      );
    return named;
  }
  if (toolChoice === 'required' && tools.length === 0)
    throw new RequestError('tool_choice is "required" but "tools" is empty', 400, 'invalid_request_error', 'tool_choice');
  return tools;
}

function toFunctions(offered: NonNullable<ChatCompletionRequest['tools']>, maxToolStringLength: number): ChatModelFunctions | undefined {
  if (offered.length === 0) return undefined;
  const defined: Record<string, ChatModelFunctions[string]> = {};
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
  return defined;
}

/**
 * The request's prompt as the model evaluates it: the history rendered with the chat template and the
 * tools offered, tokenized. A completion's `usage.prompt_tokens` and `POST /tokenize` both count this.
 */
export function renderPrompt(
  handle: ModelHandle,
  req: ChatCompletionRequest,
  maxToolStringLength: number,
): { history: ChatHistoryItem[]; callsInLastTurn: number; functions: ChatModelFunctions | undefined; tokens: Token[] } {
  const tools = req.tools ?? [];
  const { history, callsInLastTurn } = toChatHistory(req.messages, new Map(tools.map((t) => [t.function.name, t.function.description])));
  const functions = toFunctions(offeredTools(req), maxToolStringLength);
  const { contextText } = handle.chatWrapper.generateContextState({ chatHistory: history, availableFunctions: functions });
  return { history, callsInLastTurn, functions, tokens: contextText.tokenize(handle.model.tokenizer) };
}

/**
 * Checks and renders a request on the loaded model. Throws a RequestError (an HTTP 4xx, before any
 * stream starts) for what the model cannot do, including a prompt longer than its context.
 */
export async function prepareCall(handle: ModelHandle, req: ChatCompletionRequest, maxToolStringLength: number): Promise<PreparedCall> {
  const { lib, llama, chatWrapper, contextSize } = handle;
  const toolChoice = req.tool_choice ?? 'auto';
  const { history, callsInLastTurn, functions, tokens } = renderPrompt(handle, req, maxToolStringLength);
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
  // At least one token must fit after the prompt; node-llama-cpp would otherwise drop messages silently.
  if (tokens.length >= contextSize) {
    throw new RequestError(
      `This model's maximum context length is ${contextSize} tokens. However, your messages resulted in ${tokens.length} tokens. Please reduce the length of the messages.`,
      400,
      'invalid_request_error',
      'messages',
      'context_length_exceeded',
    );
  }
  // Generation stops where the context is full (finish_reason "length") instead of shifting it.
  const requested = req.max_completion_tokens ?? req.max_tokens ?? contextSize;
  return {
    history,
    functions,
    grammar,
    chatWrapper: force ? forcedCallWrapper(lib, chatWrapper, callsInLastTurn) : chatWrapper,
    tokens,
    maxTokens: Math.max(1, Math.min(requested, contextSize - tokens.length)),
  };
}

/** Runs `req` on `spec`'s model: prepare (may refuse), take the best cached sequence, generate, release. */
export async function runCompletion(
  runtime: LlamaRuntime,
  spec: ModelSpec,
  req: ChatCompletionRequest,
  maxToolStringLength: number,
  sink: StreamSink | undefined,
  signal: AbortSignal,
): Promise<CompletionResult> {
  const prepared = await prepareCall(await runtime.model(spec), req, maxToolStringLength);
  const lease = await runtime.acquire(spec, signal, prepared.tokens);
  try {
    return await generate(lease, prepared, req, sink, signal);
  } finally {
    lease.release();
  }
}

async function generate(
  lease: SequenceLease,
  call: PreparedCall,
  req: ChatCompletionRequest,
  sink: StreamSink | undefined,
  signal: AbortSignal,
): Promise<CompletionResult> {
  const { lib, sequence } = lease;
  const chat = new lib.LlamaChat({ contextSequence: sequence, chatWrapper: call.chatWrapper });
  const streamedCalls = new Map<number, { id: string; name: string; args: string }>();
  let text = '';
  let reasoning = '';
  const penalties = req.frequency_penalty || req.presence_penalty;
  const stop = req.stop == null ? undefined : Array.isArray(req.stop) ? req.stop : [req.stop];
  const outputBefore = sequence.tokenMeter.usedOutputTokens;
  try {
    const common = {
      signal,
      stopOnAbortSignal: true,
      maxTokens: call.maxTokens,
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
    const res = call.functions
      ? await chat.generateResponse(call.history, {
          ...common,
          functions: call.functions,
          maxParallelFunctionCalls: req.parallel_tool_calls === false ? 1 : undefined,
          onFunctionCallParamsChunk: (c: LlamaChatResponseFunctionCallParamsChunk) => {
            let streamed = streamedCalls.get(c.callIndex);
            if (!streamed) {
              streamed = { id: newId('call_'), name: c.functionName, args: '' };
              streamedCalls.set(c.callIndex, streamed);
              sink?.toolCallStart(c.callIndex, streamed.id, c.functionName);
            }
            if (c.paramsChunk) {
              streamed.args += c.paramsChunk;
              sink?.toolCallArguments(c.callIndex, c.paramsChunk);
            }
          },
        })
      : await chat.generateResponse(call.history, { ...common, grammar: call.grammar });
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
    const completionTokens = Math.max(0, sequence.tokenMeter.usedOutputTokens - outputBefore);
    return {
      text: res.response ?? text,
      reasoning,
      toolCalls,
      finishReason,
      promptTokens: call.tokens.length,
      completionTokens,
      cachedTokens: Math.min(lease.reusedTokens, call.tokens.length),
    };
  } finally {
    chat.dispose({ disposeSequence: false });
  }
}
