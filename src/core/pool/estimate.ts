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

export function dollarsFor(
  m: { inputPricePerMillion: number; outputPricePerMillion: number },
  u: { inputTokens: number; outputTokens: number },
): number {
  return (u.inputTokens * m.inputPricePerMillion + u.outputTokens * m.outputPricePerMillion) / 1_000_000;
}
