// The money side of one model call: how many output tokens it may ask for given the counted prompt
// and what is left (planCall), what it consumed once it ended (settleUsage: the server's usage, else
// the reply counted in the model's own tokens), the prompt counted once per model (PromptCounts),
// and what to say when a call cannot be paid for, does not fit, or was billed above what was
// reserved for it. callModel (model-call.ts) puts these together.
import { MIN_USEFUL_OUTPUT_TOKENS, fmtDollars, planModelCall, type Budget, type CallPlan } from '../budget';
import type { ChatAttempt, ChatRequest, ModelPool, PoolModel } from '../pool';
import type { UsagePart } from '../ledger';
import type { Usage } from '../protocol/events';
import type { PromptCount, TokenCounter } from '../tokens/counter';
import type { ReplyText } from '../tokens/text';

export function isPaid(m: { inputPricePerMillion: number; outputPricePerMillion: number }): boolean {
  return m.inputPricePerMillion > 0 || m.outputPricePerMillion > 0;
}

/** A part's price marker for a model whose price is a subscription or unknown (nothing for listed prices). */
export function unpricedOf(m: PoolModel): Pick<UsagePart, 'pricing'> {
  return m.pricing && m.pricing !== 'listed' ? { pricing: m.pricing } : {};
}

/**
 * A failed paid attempt with no usage whose cost is unknown rather than $0: it timed out or answered
 * unreadably, so the server may have processed (and billed) it. HTTP errors and unreachable servers
 * processed nothing.
 */
export function costUnknown(m: { inputPricePerMillion: number; outputPricePerMillion: number }, a: ChatAttempt): boolean {
  return !a.usage && isPaid(m) && (a.kind === 'timeout' || a.kind === 'bad_response');
}

export type PlannedCall = Extract<CallPlan, { ok: true }> & {
  /** The prompt tokens the reservation assumed. */
  promptTokens: number;
  /** True when the reservation rests on an estimate of the prompt, not on an exact count or a bound. */
  estimatedReservation: boolean;
};

/**
 * How many output tokens a call may ask for. The counted prompt plus the output limit must fit in
 * what is left; the limit is lowered to fit, down to a useful minimum. For an estimated prompt the
 * bound the server cannot count past is reserved when it fits, else the calibrated estimate.
 */
export function planCall(
  left: number,
  m: PoolModel,
  count: PromptCount,
  desiredMaxTokens: number,
): PlannedCall | { ok: false; worstCaseDollars: number; minTokens: number; promptTokens: number } {
  const minTokens = Math.min(MIN_USEFUL_OUTPUT_TOKENS, Math.max(1, Math.floor(desiredMaxTokens)));
  const plan = planModelCall(left, m, count.reserve, desiredMaxTokens, minTokens);
  if (plan.ok) return { ...plan, promptTokens: count.reserve, estimatedReservation: false };
  if (count.reserveIfTight !== undefined && count.reserveIfTight < count.reserve) {
    const tight = planModelCall(left, m, count.reserveIfTight, desiredMaxTokens, minTokens);
    if (tight.ok) return { ...tight, promptTokens: count.reserveIfTight, estimatedReservation: true };
    return { ok: false, worstCaseDollars: tight.worstCaseDollars, minTokens, promptTokens: count.reserveIfTight };
  }
  return { ok: false, worstCaseDollars: plan.worstCaseDollars, minTokens, promptTokens: count.reserve };
}

/**
 * The prompt counted per model, each once: its server's tokenizer, BPE, or a calibrated estimate.
 * Counting may send the prompt to the model's server, so it happens only after the rules allowed the model.
 */
export class PromptCounts {
  private readonly counts = new Map<string, PromptCount>();

  constructor(
    private readonly pool: ModelPool,
    private readonly req: ChatRequest,
  ) {}

  async of(m: PoolModel): Promise<PromptCount> {
    let c = this.counts.get(m.id);
    if (!c) {
      c = await this.pool.tokens.countPrompt(m, this.req.messages, this.req.tools);
      this.counts.set(m.id, c);
    }
    return c;
  }

  /** The count for `m` when it was made already. */
  known(m: PoolModel): PromptCount | undefined {
    return this.counts.get(m.id);
  }

  /** The servers not on this machine that were asked to count (they received the prompt). */
  remoteHosts(): string[] {
    return [...new Set([...this.counts.values()].flatMap((c) => (c.remoteHost ? [c.remoteHost] : [])))];
  }
}

/** Why a prompt does not fit `m`, in its count and naming the setting. */
export function contextRefusal(m: PoolModel, c: PromptCount): string {
  return `the prompt (${c.exact ? '' : 'about '}${c.tokens} tokens) does not fit the context window of ${m.id} (${m.contextWindow} tokens, orchestra.models[].contextWindow) with room for an answer`;
}

/** Why `m` is not sent for money: spending was stopped, or the figures and the setting that would allow it. */
export function moneyRefusal(
  budget: Budget,
  cap: number,
  m: PoolModel,
  c: PromptCount,
  refused: { worstCaseDollars: number; minTokens: number; promptTokens: number },
): string {
  return budget.stopped ?? overBudgetRefusal(m, refused, budget.left, cap, c);
}

/** Why a call is not sent for money: the rule, the model, the figures, and the setting that would allow it. */
export function overBudgetRefusal(
  m: PoolModel,
  refused: { worstCaseDollars: number; minTokens: number; promptTokens: number },
  left: number,
  cap: number,
  count: PromptCount,
): string {
  const prompt = `${count.exact ? '' : 'about '}${refused.promptTokens} prompt tokens`;
  const stopped = left <= 0 ? 'nothing is left' : `$${fmtDollars(left)} is left`;
  return `over budget (rule budget.maxDollarsPerTask, $${fmtDollars(cap)} per task): ${m.id} needs up to $${fmtDollars(refused.worstCaseDollars)} for ${prompt} and at least ${refused.minTokens} output tokens, and ${stopped}; raise orchestra.budget.maxDollarsPerTask, or use a cheaper model`;
}

/**
 * Usage as recorded, clamped only where the report is impossible: output beyond the max_tokens
 * sent, or a prompt beyond one token per byte. Such a report is a server's error, not a bill.
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

export interface SettleInput {
  /** What the server reported (or the pool's estimate when it reported nothing: `estimated`). */
  usage: Usage;
  /** What the model produced, for counting when the server reported nothing. */
  reply?: ReplyText;
  outputBytes: number;
  maxTokens: number;
  count: PromptCount;
  /** One token per byte of the prompt: no tokenizer counts more. */
  promptBound: number;
  /** The stream was cut short (timeout, cancel, a dropped connection). */
  cut: boolean;
}

/**
 * What a call consumed. The server's usage when it reported one (clamped only where impossible).
 * Otherwise the prompt as counted and the reply counted in the model's own tokens; where either is
 * an estimate, a paid call is settled at the bounds instead (the prompt's bytes, the reply's bytes
 * up to max_tokens), so an estimate never records less than the server can have billed.
 */
export async function settleUsage(counter: TokenCounter, m: PoolModel, s: SettleInput): Promise<{ usage: Usage; clamped: boolean }> {
  if (!s.usage.estimated) {
    const bounded = boundedUsage(s.usage, s.promptBound, s.maxTokens);
    if (!s.count.exact && !bounded.clamped)
      counter.calibrate(m, {
        promptBound: s.promptBound,
        promptTokens: bounded.usage.inputTokens,
        replyBytes: s.outputBytes,
        replyTokens: bounded.usage.outputTokens,
      });
    return bounded;
  }
  const reply = s.reply ? await counter.countReply(m, s.reply) : { tokens: s.usage.outputTokens, exact: false };
  const exact = s.count.exact && reply.exact;
  const paid = isPaid(m);
  const inputTokens = s.count.exact ? s.count.tokens : paid ? Math.max(s.count.tokens, s.promptBound) : s.count.tokens;
  const outputTokens = reply.exact ? reply.tokens : paid ? Math.max(reply.tokens, s.outputBytes) : reply.tokens;
  return {
    usage: {
      ...s.usage,
      inputTokens,
      outputTokens: Math.min(s.maxTokens, outputTokens),
      // Counted exactly, but not the provider's own report: a cut stream may be billed for more
      // than arrived (tokens generated but never sent), so it stays marked as counted by us.
      estimated: !exact || s.cut,
    },
    clamped: false,
  };
}

/** Tolerance for float sums when comparing a bill with its reservation. */
const EPS = 1e-12;

/**
 * A bill above the reservation means the budget's arithmetic no longer holds (the prompt counted
 * low, or the provider's prices differ from those configured): spending stops at once, and says why.
 */
export function overrunMessage(m: PoolModel, usage: Usage, dollars: number, reserved: number, count: PromptCount): string | undefined {
  if (!(dollars > reserved + EPS)) return undefined;
  const why =
    usage.reportedDollars !== undefined
      ? `${m.id} reported a cost of $${fmtDollars(dollars)}, more than the $${fmtDollars(reserved)} reserved for the call at its configured prices (check orchestra.models[].inputPricePerMillion and outputPricePerMillion of ${m.id})`
      : `${m.id} billed ${usage.inputTokens} prompt and ${usage.outputTokens} output tokens ($${fmtDollars(dollars)}), more than the $${fmtDollars(reserved)} reserved for the call${count.exact ? '' : ` (its prompt was estimated at ${count.tokens} tokens)`}`;
  return `${why}: Orchestra stopped the task so that nothing more is spent (rule budget.maxDollarsPerTask)`;
}
