// What a server reports about a call's usage (token counts, cached tokens, a provider's own cost),
// read defensively: a field that is missing or not a count is treated as not reported.
import type { Usage } from '../protocol/events';
import { estimateTokens } from './estimate';
import type { NativeCall } from './reply';

/**
 * A server's `usage` object, with the extensions read here beyond OpenAI's token counts: cached
 * prompt tokens (OpenAI, vLLM, OpenRouter: `prompt_tokens_details.cached_tokens`) and OpenRouter's
 * cost in dollars (`cost`; with BYOK, `is_byok` and the upstream provider's charge in
 * `cost_details.upstream_inference_cost`).
 */
export interface ServerUsage {
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
  prompt_tokens_details?: { cached_tokens?: unknown } | null;
  cost?: unknown;
  is_byok?: unknown;
  cost_details?: { upstream_inference_cost?: unknown } | null;
}

export function countOf(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v) : undefined;
}

export function dollarsOf(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/**
 * The provider's own figure for a call, when it sent one. With BYOK, OpenRouter's `cost` is only its
 * fee and the upstream provider bills the user's key `upstream_inference_cost` on top, so the bill is
 * both; without BYOK `cost` is the whole charge (OpenRouter may repeat it as the upstream cost, which
 * must not be added twice).
 */
export function reportedCostOf(u: ServerUsage | undefined): { reportedDollars?: number } {
  if (!u) return {};
  const cost = dollarsOf(u.cost);
  const upstream = u.is_byok === true ? dollarsOf(u.cost_details?.upstream_inference_cost) : undefined;
  if (cost === undefined && upstream === undefined) return {};
  return { reportedDollars: (cost ?? 0) + (upstream ?? 0) };
}

/** The usage a server reported, or undefined when it reported no token counts. */
export function usageFromServer(u: ServerUsage | undefined): Usage | undefined {
  const inputTokens = countOf(u?.prompt_tokens);
  const outputTokens = countOf(u?.completion_tokens);
  if (!u || inputTokens === undefined || outputTokens === undefined) return undefined;
  const cached = countOf(u.prompt_tokens_details?.cached_tokens);
  return {
    inputTokens,
    outputTokens,
    estimated: false,
    ...(cached !== undefined && cached > 0 ? { cachedInputTokens: Math.min(cached, inputTokens) } : {}),
    ...reportedCostOf(u),
  };
}

export function outputBytesOf(content: string, reasoning: string, calls: NativeCall[]): number {
  return (
    Buffer.byteLength(content) +
    Buffer.byteLength(reasoning) +
    calls.reduce((n, c) => n + Buffer.byteLength(c.name) + Buffer.byteLength(c.arguments), 0)
  );
}

/** A reply's usage when the server reported none: the prompt's estimate and the tokens of all the model produced. */
export function estimatedReplyUsage(promptTokens: number, content: string, reasoning: string, calls: NativeCall[]): Usage {
  const callTokens = calls.reduce((n, c) => n + estimateTokens(c.name + c.arguments), 0);
  return { inputTokens: promptTokens, outputTokens: estimateTokens(content) + estimateTokens(reasoning) + callTokens, estimated: true };
}
