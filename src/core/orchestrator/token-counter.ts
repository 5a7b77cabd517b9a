// How a request's prompt is counted against a model's context window. The default estimates from
// text, on the high side: the padded estimate the budget uses, or a quarter of the characters of the
// request's JSON (quotes, escapes and keys included), whichever is more. An exact tokenizer can take
// its place (EngineOptions.tokenCounter); it only has to never count fewer tokens than the server.
import type { PoolModel } from '../pool';
import { toolsJsonSize } from '../pool';
import { paddedPromptTokens } from './usage-bounds';

export interface TokenCounter {
  /** Prompt tokens these messages (and tool definitions) take for `model`. */
  count(model: PoolModel, messages: unknown[], tools?: unknown[]): number;
}

export const estimatingCounter: TokenCounter = {
  count: (_model, messages, tools) => {
    const json = Math.ceil(JSON.stringify(messages).length / 4) + (tools?.length ? Math.ceil(toolsJsonSize(tools).chars / 4) : 0);
    return Math.max(paddedPromptTokens(messages, tools), json);
  },
};
