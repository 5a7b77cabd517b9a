// OpenAI chat-completions requests → node-llama-cpp chat history, functions and grammar schemas.
// Kept free of node-llama-cpp values (types only) so it is cheap to test and to load.
import { z } from 'zod';
import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelResponse, GbnfJsonSchema } from 'node-llama-cpp';

export class RequestError extends Error {
  constructor(
    message: string,
    readonly status = 400,
    /** OpenAI's error `type`. */
    readonly code = 'invalid_request_error',
    readonly param?: string,
    /** OpenAI's error `code`, e.g. `context_length_exceeded`. */
    readonly errorCode?: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

const TextPart = z.object({ type: z.literal('text'), text: z.string() });
const AnyPart = z.object({ type: z.string() }).passthrough();
const Content = z.union([z.string(), z.array(z.union([TextPart, AnyPart])), z.null()]).optional();

const ToolCall = z.object({
  id: z.string(),
  type: z.literal('function').default('function'),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

const Message = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: Content }),
  z.object({ role: z.literal('developer'), content: Content }),
  z.object({ role: z.literal('user'), content: Content }),
  z.object({
    role: z.literal('assistant'),
    content: Content,
    tool_calls: z.array(ToolCall).optional(),
    reasoning_content: z.string().nullish(),
  }),
  z.object({ role: z.literal('tool'), content: Content, tool_call_id: z.string() }),
]);
export type ChatMessage = z.infer<typeof Message>;

const Tool = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'tool names may hold only letters, digits and _ . : -'),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});
export type ChatTool = z.infer<typeof Tool>;

const ToolChoice = z.union([
  z.enum(['auto', 'none', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string() }) }),
]);

const ResponseFormat = z.union([
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({
      name: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

export const ChatCompletionRequest = z.object({
  model: z.string().min(1, 'model is required'),
  messages: z.array(Message).min(1, 'messages must not be empty'),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  seed: z.number().int().nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(16)]).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  tools: z.array(Tool).nullish(),
  tool_choice: ToolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  response_format: ResponseFormat.nullish(),
  n: z.number().int().nullish(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

export function parseChatRequest(body: unknown): ChatCompletionRequest {
  const r = ChatCompletionRequest.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = issue.path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('')
      .replace(/^\./, '');
    throw new RequestError(`invalid request: ${path ? `${path}: ` : ''}${issue.message}`, 400, 'invalid_request_error', path || undefined);
  }
  if (r.data.n != null && r.data.n !== 1)
    throw new RequestError('only n = 1 is supported by the local model server', 400, 'invalid_request_error', 'n');
  return r.data;
}

function contentText(content: ChatMessage['content'], where: string): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content
    .map((part, i) => {
      if (part.type === 'text' && typeof (part as { text?: unknown }).text === 'string') return (part as { text: string }).text;
      throw new RequestError(
        `${where}.content[${i}]: "${part.type}" parts are not supported by local models (text only)`,
        400,
        'invalid_request_error',
        `${where}.content`,
      );
    })
    .join('');
}

/**
 * Converts OpenAI messages to node-llama-cpp's history. An assistant message's tool calls become
 * function-call items carrying the results of the `tool` messages that answer them; consecutive
 * assistant/tool messages form one model turn. The history always ends with a model item: empty for
 * a fresh answer, or the turn holding tool results that generation continues after.
 */
export function toChatHistory(
  messages: ChatMessage[],
  toolDescriptions: Map<string, string | undefined>,
): { history: ChatHistoryItem[]; callsInLastTurn: number } {
  const history: ChatHistoryItem[] = [];
  const pendingCalls = new Map<string, ChatModelFunctionCall>();
  let currentModel: ChatModelResponse | undefined;
  messages.forEach((m, i) => {
    const where = `messages[${i}]`;
    switch (m.role) {
      case 'system':
      case 'developer': {
        currentModel = undefined;
        history.push({ type: 'system', text: contentText(m.content, where) });
        break;
      }
      case 'user': {
        currentModel = undefined;
        history.push({ type: 'user', text: contentText(m.content, where) });
        break;
      }
      case 'assistant': {
        if (!currentModel) {
          currentModel = { type: 'model', response: [] };
          history.push(currentModel);
        }
        const text = contentText(m.content, where);
        if (text) currentModel.response.push(text);
        for (const [j, call] of (m.tool_calls ?? []).entries()) {
          let params: unknown;
          try {
            params = call.function.arguments.trim() ? JSON.parse(call.function.arguments) : {};
          } catch {
            throw new RequestError(
              `${where}.tool_calls[${j}]: arguments of "${call.function.name}" are not valid JSON`,
              400,
              'invalid_request_error',
              `${where}.tool_calls`,
            );
          }
          const item: ChatModelFunctionCall = {
            type: 'functionCall',
            name: call.function.name,
            description: toolDescriptions.get(call.function.name),
            params,
            result: undefined,
            startsNewChunk: j === 0 ? true : undefined,
          };
          pendingCalls.set(call.id, item);
          currentModel.response.push(item);
        }
        break;
      }
      case 'tool': {
        const call = pendingCalls.get(m.tool_call_id);
        if (!call)
          throw new RequestError(
            `${where}: tool_call_id "${m.tool_call_id}" answers no earlier assistant tool call`,
            400,
            'invalid_request_error',
            `${where}.tool_call_id`,
          );
        call.result = contentText(m.content, where);
        pendingCalls.delete(m.tool_call_id);
        break;
      }
    }
  });
  if (pendingCalls.size > 0) {
    const ids = [...pendingCalls.keys()].map((id) => `"${id}"`).join(', ');
    throw new RequestError(`assistant tool call ${ids} has no tool message with its result`, 400, 'invalid_request_error', 'messages');
  }
  const last = history[history.length - 1];
  if (last?.type !== 'model') history.push({ type: 'model', response: [] });
  const lastModel = history[history.length - 1] as ChatModelResponse;
  const callsInLastTurn = lastModel.response.filter((r) => typeof r === 'object' && r.type === 'functionCall').length;
  return { history, callsInLastTurn };
}

const SCHEMA_KEYWORDS_DROPPED = [
  '$schema',
  'title',
  'default',
  'examples',
  'pattern',
  'additionalItems',
  'uniqueItems',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'strict',
];

/**
 * JSON Schema (as OpenAI tools give it) → the subset node-llama-cpp turns into a grammar. Every
 * string gets a maxLength (a weak model otherwise never closes it); `anyOf`/`oneOf` become `oneOf`,
 * `allOf` of objects is merged, `$ref` into `$defs`/`definitions` is inlined, unsupported keywords
 * are dropped (the grammar is then looser, never stricter, than the schema).
 */
export function toGrammarSchema(schema: unknown, maxStringLength: number, root: unknown = schema, depth = 0): GbnfJsonSchema {
  if (depth > 24) return { type: ['string', 'number', 'boolean', 'null'] } as GbnfJsonSchema;
  if (schema === true || schema == null || typeof schema !== 'object') return anyJsonValue(maxStringLength);
  const s = { ...(schema as Record<string, unknown>) };
  for (const k of SCHEMA_KEYWORDS_DROPPED) delete s[k];
  const description = typeof s.description === 'string' ? s.description : undefined;
  const withDescription = <T extends object>(o: T): T => (description ? { ...o, description } : o);

  if (typeof s.$ref === 'string') {
    const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(s.$ref);
    const defs = m ? ((root as Record<string, Record<string, unknown> | undefined>)[m[1]] ?? {}) : {};
    const target = m ? defs[decodeURIComponent(m[2])] : undefined;
    return target === undefined ? anyJsonValue(maxStringLength) : toGrammarSchema(target, maxStringLength, root, depth + 1);
  }
  if ('const' in s) return withDescription({ const: s.const as string | number | boolean | null });
  if (Array.isArray(s.enum)) return withDescription({ enum: s.enum as Array<string | number | boolean | null> });
  const alternatives = (Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : undefined) as unknown[] | undefined;
  if (alternatives) return withDescription({ oneOf: alternatives.map((a) => toGrammarSchema(a, maxStringLength, root, depth + 1)) });
  if (Array.isArray(s.allOf)) {
    const merged: Record<string, unknown> = { type: 'object', properties: {}, required: [] };
    for (const part of s.allOf as Array<Record<string, unknown>>) {
      Object.assign(merged.properties as object, part?.properties ?? {});
      (merged.required as string[]).push(...((part?.required as string[] | undefined) ?? []));
    }
    return toGrammarSchema(merged, maxStringLength, root, depth + 1);
  }
  let type = s.type as string | string[] | undefined;
  if (type === undefined) type = s.properties ? 'object' : s.items ? 'array' : undefined;
  if (type === undefined) return anyJsonValue(maxStringLength);
  if (Array.isArray(type)) {
    if (type.length === 1) type = type[0]!;
    else return withDescription({ oneOf: type.map((t) => toGrammarSchema({ ...s, type: t }, maxStringLength, root, depth + 1)) });
  }
  switch (type) {
    case 'string': {
      if (s.format === 'date-time' || s.format === 'date' || s.format === 'time')
        return withDescription({ type: 'string', format: s.format });
      const maxLength = typeof s.maxLength === 'number' ? Math.min(s.maxLength, maxStringLength) : maxStringLength;
      const minLength = typeof s.minLength === 'number' ? Math.min(s.minLength, maxLength) : undefined;
      return withDescription({ type: 'string', maxLength, ...(minLength ? { minLength } : {}) });
    }
    case 'number':
    case 'integer':
    case 'boolean':
    case 'null':
      return withDescription({ type });
    case 'array': {
      const out: Record<string, unknown> = { type: 'array', items: toGrammarSchema(s.items ?? true, maxStringLength, root, depth + 1) };
      if (Array.isArray(s.prefixItems)) out.prefixItems = s.prefixItems.map((p) => toGrammarSchema(p, maxStringLength, root, depth + 1));
      if (typeof s.minItems === 'number') out.minItems = s.minItems;
      if (typeof s.maxItems === 'number') out.maxItems = s.maxItems;
      return withDescription(out) as GbnfJsonSchema;
    }
    case 'object': {
      const props = (s.properties ?? {}) as Record<string, unknown>;
      const properties: Record<string, GbnfJsonSchema> = {};
      for (const [k, v] of Object.entries(props)) properties[k] = toGrammarSchema(v, maxStringLength, root, depth + 1);
      const required = Array.isArray(s.required) ? (s.required as string[]).filter((k) => k in properties) : [];
      const out: Record<string, unknown> = { type: 'object', properties, required };
      // Free-form objects (no properties) accept any keys; declared ones accept only those.
      if (Object.keys(properties).length === 0)
        out.additionalProperties =
          s.additionalProperties === false
            ? false
            : s.additionalProperties && typeof s.additionalProperties === 'object'
              ? toGrammarSchema(s.additionalProperties, maxStringLength, root, depth + 1)
              : true;
      return withDescription(out) as GbnfJsonSchema;
    }
    default:
      return anyJsonValue(maxStringLength);
  }
}

function anyJsonValue(maxStringLength: number): GbnfJsonSchema {
  return {
    oneOf: [
      { type: 'string', maxLength: maxStringLength },
      { type: ['number', 'boolean', 'null'] },
      { type: 'object', additionalProperties: true },
      { type: 'array' },
    ],
  } as GbnfJsonSchema;
}
