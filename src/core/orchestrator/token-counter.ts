// How a request's prompt is counted when a conversation is fitted to a context window (context-fit.ts;
// synchronous, as fitting shortens step by step). The default estimates from text, on the high side
// (tokens/counter.ts estimatedPromptTokens). An exact tokenizer can take its place
// (EngineOptions.tokenCounter); it only has to never count fewer tokens than the server. Each model
// call is counted again, in the model's own tokens, before money is reserved (model-call.ts).
import type { PoolModel } from '../pool';
import { estimatedPromptTokens } from '../tokens/counter';

export interface TokenCounter {
  /** Prompt tokens these messages (and tool definitions) take for `model`. */
  count(model: PoolModel, messages: unknown[], tools?: unknown[]): number;
}

export const estimatingCounter: TokenCounter = {
  count: (_model, messages, tools) => estimatedPromptTokens(messages, tools),
};
