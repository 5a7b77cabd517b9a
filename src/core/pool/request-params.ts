// The body of a chat completion request as each kind of server wants it: the token limit's name
// (OpenAI's own API renamed it), OpenRouter's cost report, tools and the tool choice.
import type OpenAI from 'openai';
import type { ChatRequest, PoolModel } from './types';

/** Which OpenAI hosts want `max_completion_tokens` instead of `max_tokens`. */
const OPENAI_HOSTS = new Set(['api.openai.com']);
/** Hosts that report a call's cost in `usage.cost` when the request asks with `usage: { include: true }`. */
const OPENROUTER_HOSTS = new Set(['openrouter.ai']);

export function chatParams(model: PoolModel, req: ChatRequest): Omit<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming, 'stream'> {
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
