// Models the engine's host serves itself — in VS Code, the Language Model API's chat models (Copilot,
// or any extension's provider) — as pool members: their pool entries, and the adapter that turns the
// host's streamed deltas into the chunk stream the pool already reads, so retries, timeouts, tool-call
// assembly and text tool-call parsing are the same as for every OpenAI-compatible endpoint.
import type OpenAI from 'openai';
import type { ModelRole, OrchestraConfig } from '../config';

/** How a model's price is known: configured per-token prices, a subscription that covers it, or not at all. */
export type Pricing = 'listed' | 'subscription' | 'unknown';

/** A model the host offers, as the host describes it (validated at the protocol edge). */
export interface HostModelEntry {
  /** Pool id, e.g. `lm:copilot:gpt-4o`. */
  id: string;
  /** The id the host knows it by (the Language Model API's model id). */
  hostModelId: string;
  vendor: string;
  family: string;
  version: string;
  name: string;
  /** The most input tokens it accepts. */
  contextWindow: number;
  maxOutputTokens: number;
  toolCalling: boolean;
  /** Whether it runs on this machine; the host says so only when it knows (default: remote). */
  local: boolean;
  openWeights: boolean;
  roles: ModelRole[];
  description: string;
  pricing: Pricing;
  /** Dollars per million tokens when `pricing` is `listed`; 0 otherwise (never read as free: see `pricing`). */
  inputPricePerMillion: number;
  outputPricePerMillion: number;
}

/** What the pool asks the host to run: an OpenAI-style request for one host model. */
export interface HostChatRequest {
  /** The pool id. */
  modelId: string;
  vendor: string;
  hostModelId: string;
  messages: OpenAI.Chat.ChatCompletionMessageParam[];
  tools?: OpenAI.Chat.ChatCompletionTool[];
  toolChoice?: 'auto' | 'required' | 'none' | { name: string };
  maxTokens: number;
  temperature?: number;
}

/** A piece of the host model's reply as it streams. A tool call arrives whole, with JSON arguments. */
export type HostChatDelta = { content: string } | { toolCall: { id: string; name: string; arguments: string } };

export interface HostChatResult {
  /** Token counts, when the host measured them. */
  usage?: { inputTokens: number; outputTokens: number };
}

/**
 * Why a host model call failed. `no_permissions`: the user has not allowed Orchestra to use the model
 * (consent); `blocked`: the provider refuses it now (quota or rate limit); `not_found`: the model is
 * gone; `cancelled`; `failed`: anything else the provider reported.
 */
export type HostChatErrorKind = 'no_permissions' | 'blocked' | 'not_found' | 'cancelled' | 'failed';

export class HostChatError extends Error {
  constructor(
    message: string,
    readonly kind: HostChatErrorKind,
  ) {
    super(message);
    this.name = 'HostChatError';
  }
}

/** Runs one request on a host model; resolves when the reply is complete. Honours `signal`. */
export type HostChat = (req: HostChatRequest, onDelta: (d: HostChatDelta) => void, signal: AbortSignal) => Promise<HostChatResult>;

/** The host model's reply as the OpenAI chunk stream the pool consumes (usage last, when measured). */
export async function* hostChunks(
  hostChat: HostChat,
  req: HostChatRequest,
  signal: AbortSignal,
): AsyncGenerator<OpenAI.Chat.ChatCompletionChunk> {
  const queue: OpenAI.Chat.ChatCompletionChunk[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  let failure: unknown;
  let toolIndex = 0;
  const push = (chunk: OpenAI.Chat.ChatCompletionChunk) => {
    queue.push(chunk);
    wake?.();
  };
  const chunk = (delta: OpenAI.Chat.ChatCompletionChunk.Choice.Delta, finish: 'stop' | 'tool_calls' | null = null) =>
    ({
      id: req.modelId,
      object: 'chat.completion.chunk',
      created: 0,
      model: req.hostModelId,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    }) as OpenAI.Chat.ChatCompletionChunk;
  const onDelta = (d: HostChatDelta) => {
    if (finished) return;
    if ('content' in d) {
      if (d.content) push(chunk({ content: d.content }));
    } else {
      const index = toolIndex++;
      push(
        chunk({
          tool_calls: [
            { index, id: d.toolCall.id, type: 'function', function: { name: d.toolCall.name, arguments: d.toolCall.arguments } },
          ],
        }),
      );
    }
  };
  hostChat(req, onDelta, signal).then(
    (result) => {
      push(chunk({}, toolIndex ? 'tool_calls' : 'stop'));
      if (result.usage)
        push({
          ...chunk({}),
          choices: [],
          usage: {
            prompt_tokens: result.usage.inputTokens,
            completion_tokens: result.usage.outputTokens,
            total_tokens: result.usage.inputTokens + result.usage.outputTokens,
          },
        });
      finished = true;
      wake?.();
    },
    (err: unknown) => {
      failure = err;
      finished = true;
      wake?.();
    },
  );
  while (true) {
    if (queue.length) {
      yield queue.shift()!;
      continue;
    }
    if (finished) break;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  }
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error('the host call failed', { cause: failure });
}

/** How a price reads for people and for the orchestrator: never `$0` for a price that is not known. */
export function priceLabel(m: { pricing?: Pricing; inputPricePerMillion: number; outputPricePerMillion: number }): string {
  if (m.pricing === 'subscription') return 'covered by a subscription';
  if (m.pricing === 'unknown') return 'price unknown';
  return `$${m.inputPricePerMillion}/$${m.outputPricePerMillion}`;
}

/**
 * `orchestrator.model` may name one of the editor's models, which the settings' own model list does
 * not hold: set aside before the settings are validated (which would drop it as unknown) and put
 * back after. Any other unknown id is still reported.
 */
export function setAsideHostOrchestrator(
  raw: unknown,
  isHostModel: (id: string) => boolean,
): { raw: unknown; restore(c: OrchestraConfig): OrchestraConfig } {
  const orchestrator = (raw as { orchestrator?: { model?: unknown } } | undefined)?.orchestrator;
  const id = typeof orchestrator?.model === 'string' ? orchestrator.model : '';
  if (!id || !isHostModel(id)) return { raw, restore: (c) => c };
  const stripped = { ...(raw as object), orchestrator: { ...orchestrator, model: '' } };
  return { raw: stripped, restore: (c) => ({ ...c, orchestrator: { ...c.orchestrator, model: id } }) };
}
