// How a model call's tokens are bounded and settled: the padded prompt estimate the context check
// uses, the hard byte bound money is reserved against, and the usage a call is recorded at when the
// server reported too much, or nothing.
import type { Usage } from '../protocol/events';
import { estimateMessagesTokens, toolsJsonSize, type ChatAttempt, type PoolModel } from '../pool';
import type { UsagePart } from '../ledger';
import { fmtDollars } from '../budget';

/** Prompt tokens are estimated from text; pad the estimate so the budget check stays on the safe side. */
export function paddedPromptTokens(messages: unknown[], tools?: unknown[]): number {
  return Math.ceil(estimateMessagesTokens(messages, tools) * 1.15) + 16;
}

/**
 * A hard upper bound on the prompt tokens a server can count for these messages: a token of a
 * byte-level tokenizer covers at least one byte, and the JSON form is longer than the text it holds
 * (its keys and quotes stand in for the chat template's few tokens per message). Tool definitions
 * get an allowance for the instructions templates wrap around them. The budget reserves against this
 * bound, so a server that counts more tokens than the estimate cannot push spend past the cap.
 */
export function promptTokenBound(messages: unknown[], tools?: unknown[]): number {
  const toolBytes = tools && tools.length ? toolsJsonSize(tools).bytes + 256 : 0;
  return Buffer.byteLength(JSON.stringify(messages)) + toolBytes + 32;
}

/**
 * Usage as recorded: what the server reported, unless that is more than the request could produce
 * (output beyond the max_tokens sent, or a prompt beyond its byte bound) — then the bound, so
 * recorded spend stays within what was reserved. Returns whether it had to clamp.
 */
export function boundedUsage(reported: Usage, promptBound: number, maxTokens: number): { usage: Usage; clamped: boolean } {
  if (reported.inputTokens <= promptBound && reported.outputTokens <= maxTokens) return { usage: reported, clamped: false };
  const inputTokens = Math.min(reported.inputTokens, promptBound);
  // Cached tokens and a reported cost stay: the provider's bill is what it is (see dollarsFor).
  const cached = reported.cachedInputTokens !== undefined ? { cachedInputTokens: Math.min(reported.cachedInputTokens, inputTokens) } : {};
  return {
    usage: { ...reported, inputTokens, outputTokens: Math.min(reported.outputTokens, maxTokens), estimated: true, ...cached },
    clamped: true,
  };
}

/**
 * The usage a paid call is settled at when the server reported none: the estimate (about four
 * characters a token) can be several times low (CJK text, code), so it is raised to the hard bounds
 * instead — the prompt's byte bound and the bytes the model produced, capped at the max tokens sent.
 * That never exceeds the reserved worst case, and never falls below what the server can have billed.
 */
export function conservativeUsage(estimate: Usage, promptBound: number, maxTokens: number, outputBytes: number): Usage {
  return {
    ...estimate,
    inputTokens: Math.max(estimate.inputTokens, promptBound),
    outputTokens: Math.min(maxTokens, Math.max(estimate.outputTokens, outputBytes)),
    estimated: true,
  };
}

/** A part's price marker for a model whose price is a subscription or unknown (nothing for listed prices). */
export function unpricedOf(m: PoolModel): Pick<UsagePart, 'pricing'> {
  return m.pricing && m.pricing !== 'listed' ? { pricing: m.pricing } : {};
}

export function isPaid(m: { inputPricePerMillion: number; outputPricePerMillion: number }): boolean {
  return m.inputPricePerMillion > 0 || m.outputPricePerMillion > 0;
}

/**
 * A failed paid attempt with no usage whose cost is unknown rather than $0: it timed out or answered
 * unreadably, so the server may have processed (and billed) it. HTTP errors and unreachable servers
 * processed nothing.
 */
export function costUnknown(m: { inputPricePerMillion: number; outputPricePerMillion: number }, a: ChatAttempt): boolean {
  return !a.usage && isPaid(m) && (a.kind === 'timeout' || a.kind === 'bad_response');
}

/**
 * The budget reserves a call's worst case at list prices before it is sent; a provider's reported
 * bill can still exceed that (its prices changed, or differ from those configured). The bill is
 * recorded as it is — the ledger must match what is paid — and the overrun is said aloud.
 */
export function overReservationWarning(modelId: string, usage: Usage, dollars: number, reserved: number): string | undefined {
  if (usage.reportedDollars === undefined || dollars <= reserved) return undefined;
  return `${modelId} reported a cost of $${fmtDollars(dollars)}, more than the $${fmtDollars(reserved)} reserved for the call at the configured prices; recorded as reported (check the model's prices)`;
}
