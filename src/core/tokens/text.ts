// The text of chat messages as a tokenizer sees it: content (string or parts), the name, and tool
// calls (function name and arguments), joined. Shared by the exact counters and the estimate.

export type CountableMessage = unknown;

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => {
      if (typeof part === 'string') return part;
      const p = part as { text?: unknown; refusal?: unknown } | null;
      return typeof p?.text === 'string' ? p.text : typeof p?.refusal === 'string' ? p.refusal : '';
    })
    .join('');
}

/** Everything of one message a tokenizer counts (role, content, name, tool calls), framing aside. */
export function messagePieces(m: CountableMessage): string[] {
  if (!m || typeof m !== 'object') return [];
  const msg = m as { role?: unknown; content?: unknown; name?: unknown; tool_calls?: unknown; tool_call_id?: unknown };
  const parts = [typeof msg.role === 'string' ? msg.role : '', contentText(msg.content)];
  if (typeof msg.name === 'string') parts.push(msg.name);
  if (Array.isArray(msg.tool_calls)) {
    for (const c of msg.tool_calls) {
      const f = (c as { function?: { name?: unknown; arguments?: unknown } } | null)?.function;
      if (typeof f?.name === 'string') parts.push(f.name);
      if (typeof f?.arguments === 'string') parts.push(f.arguments);
    }
  }
  if (typeof msg.tool_call_id === 'string') parts.push(msg.tool_call_id);
  return parts.filter(Boolean);
}

/** The pieces of a reply as counted for billing: reasoning, text, and each tool call's name and arguments. */
export interface ReplyText {
  content: string;
  reasoning: string;
  toolCalls: Array<{ name: string; arguments: string }>;
}

export function replyPieces(r: ReplyText): string[] {
  return [r.reasoning, r.content, ...r.toolCalls.flatMap((c) => [c.name, c.arguments])].filter((s) => s.length > 0);
}
