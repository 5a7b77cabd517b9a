// Token estimates for servers that report no usage, and the dollar price of a call.

/** About four characters per token; never 0 for non-empty text. */
export function estimateTokens(text: string): number {
  if (!text) return 0;
  return Math.max(1, Math.ceil(text.length / 4));
}

/** Per-message overhead of chat templates (role markers, separators). */
const MESSAGE_OVERHEAD_TOKENS = 4;

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => {
        if (typeof part === 'string') return part;
        if (part && typeof part === 'object') {
          const p = part as { text?: unknown; refusal?: unknown };
          if (typeof p.text === 'string') return p.text;
          if (typeof p.refusal === 'string') return p.refusal;
        }
        return '';
      })
      .join('');
  }
  return '';
}

// A task sends the same array of tool definitions on every turn, and several estimates want its JSON
// size: serialise each array once. Callers never change a definitions array after building it.
const toolsJsonSizes = new WeakMap<object, { chars: number; bytes: number }>();

/** The size of `tools` as JSON, in characters and in UTF-8 bytes. */
export function toolsJsonSize(tools: unknown[]): { chars: number; bytes: number } {
  let size = toolsJsonSizes.get(tools);
  if (!size) {
    const json = JSON.stringify(tools);
    size = { chars: json.length, bytes: Buffer.byteLength(json) };
    toolsJsonSizes.set(tools, size);
  }
  return size;
}

/** Estimated prompt tokens of chat messages plus the tool definitions sent with them. */
export function estimateMessagesTokens(messages: unknown[], tools?: unknown[]): number {
  let total = 0;
  for (const m of messages) {
    total += MESSAGE_OVERHEAD_TOKENS;
    if (!m || typeof m !== 'object') continue;
    const msg = m as { content?: unknown; tool_calls?: unknown; name?: unknown };
    total += estimateTokens(contentText(msg.content));
    if (Array.isArray(msg.tool_calls)) total += estimateTokens(JSON.stringify(msg.tool_calls));
    if (typeof msg.name === 'string') total += estimateTokens(msg.name);
  }
  if (tools && tools.length) total += Math.max(1, Math.ceil(toolsJsonSize(tools).chars / 4));
  return total;
}

export interface PricedModel {
  inputPricePerMillion: number;
  outputPricePerMillion: number;
  /** Price of prompt tokens served from the provider's cache; unset: the input price. */
  cachedInputPricePerMillion?: number;
}

export interface PricedUsage {
  inputTokens: number;
  outputTokens: number;
  /** Part of `inputTokens` the provider served from its cache. */
  cachedInputTokens?: number;
  /** The provider's own figure for the call, when it reported one. */
  reportedDollars?: number;
}

/**
 * What a call cost. When the provider reported its cost (OpenRouter), that figure is the bill and is
 * taken as is: it may differ from the list prices configured here (routing, discounts, BYOK fees).
 * Otherwise tokens × prices, cached prompt tokens at the cached price. Budget checks before a call
 * never see a reported cost or cached tokens: they stay the worst case at list prices (see
 * `worstCasePrices`), and a reported bill above that reservation is recorded and warned about by the
 * caller, never hidden.
 */
export function dollarsFor(m: PricedModel, u: PricedUsage): number {
  if (u.reportedDollars !== undefined && Number.isFinite(u.reportedDollars) && u.reportedDollars >= 0) return u.reportedDollars;
  const cached = Math.min(u.inputTokens, Math.max(0, u.cachedInputTokens ?? 0));
  const cachedPrice = m.cachedInputPricePerMillion ?? m.inputPricePerMillion;
  return ((u.inputTokens - cached) * m.inputPricePerMillion + cached * cachedPrice + u.outputTokens * m.outputPricePerMillion) / 1_000_000;
}

/**
 * Prices for a worst-case reservation: every prompt token at the higher of the input and cached
 * prices (a cached price is a discount in practice, but a configured one above the input price must
 * not let a cache hit cost more than was reserved).
 */
export function worstCasePrices(m: PricedModel): { inputPricePerMillion: number; outputPricePerMillion: number } {
  return {
    inputPricePerMillion: Math.max(m.inputPricePerMillion, m.cachedInputPricePerMillion ?? 0),
    outputPricePerMillion: m.outputPricePerMillion,
  };
}
