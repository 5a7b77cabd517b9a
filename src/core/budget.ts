// The dollar budget of a task tree. Money is reserved before a call is sent (its worst case) and
// settled to the actual cost afterwards, so calls in flight — parallel tool calls and delegated
// subtasks — count against what is left, and the cap cannot be overrun by concurrency.
import { dollarsFor, worstCasePrices } from './pool';

export interface Prices {
  inputPricePerMillion: number;
  outputPricePerMillion: number;
  cachedInputPricePerMillion?: number;
}

/** The fewest output tokens a call may be left with by the context window; below this it is not sent. */
export const MIN_ANSWER_TOKENS = 32;

/**
 * The fewest output tokens the budget may lower a call to (or its own limit, when smaller): below
 * this a reply is rarely of use (a tool call alone takes dozens of tokens), so the call is refused
 * as `over_budget` instead of paying for a reply cut short.
 */
export const MIN_USEFUL_OUTPUT_TOKENS = 128;

export class Reservation {
  settled = false;
  constructor(
    readonly amount: number,
    readonly budget: Budget,
  ) {}

  /** Records what the call really cost and frees the rest of the reservation. */
  settle(actualDollars: number): void {
    if (this.settled) return;
    this.settled = true;
    for (let b: Budget | undefined = this.budget; b; b = b.parent) {
      b.reserved = Math.max(0, b.reserved - this.amount);
      b.spent += actualDollars;
    }
  }

  /** Frees the reservation without spending (the call was never sent). */
  release(): void {
    this.settle(0);
  }
}

export class Budget {
  spent = 0;
  reserved = 0;
  /** Set once spending must stop (a call was billed above its reservation): nothing more is reserved. */
  private stoppedBecause?: string;

  constructor(
    /** Dollars this budget may spend (a subtask's share, or the task's maximum). */
    readonly limit: number,
    readonly parent?: Budget,
  ) {
    if (!(limit >= 0)) throw new Error(`budget limit must be a non-negative number, got ${limit}`);
  }

  /** What may still be reserved: this budget's own room, and never more than any ancestor has. */
  get left(): number {
    if (this.stoppedBecause !== undefined) return 0;
    const own = Math.max(0, this.limit - this.spent - this.reserved);
    return this.parent ? Math.min(own, this.parent.left) : own;
  }

  /** Why spending stopped here or in an ancestor; undefined while it may go on. */
  get stopped(): string | undefined {
    return this.stoppedBecause ?? this.parent?.stopped;
  }

  /** Stops all further spending under this budget (and its sub-budgets), for `reason`. */
  stop(reason: string): void {
    this.stoppedBecause ??= reason;
  }

  /** Reserves `amount` here and in every ancestor; undefined when it does not fit or spending stopped. */
  reserve(amount: number): Reservation | undefined {
    if (!(amount >= 0)) throw new Error(`reservation must be a non-negative number, got ${amount}`);
    if (this.stopped !== undefined || amount > this.left) return undefined;
    this.reserved += amount;
    for (let b = this.parent; b; b = b.parent) b.reserved += amount;
    return new Reservation(amount, this);
  }

  /** A sub-budget for a delegated subtask: its own cap, still bounded by this one. */
  child(limit: number): Budget {
    return new Budget(Math.max(0, Math.min(limit, this.left)), this);
  }
}

export type CallPlan =
  { ok: true; maxTokens: number; worstCaseDollars: number; lowered: boolean } | { ok: false; reason: string; worstCaseDollars: number };

/**
 * Decides how many output tokens a call may ask for: the worst case (prompt × input price + max
 * tokens × output price, at list prices) must fit in `left`. `maxTokens` is lowered to fit; when not even
 * MIN_ANSWER_TOKENS fit, the call must not be sent.
 */
export function planModelCall(
  left: number,
  prices: Prices,
  promptTokens: number,
  desiredMaxTokens: number,
  minTokens = MIN_ANSWER_TOKENS,
): CallPlan {
  // The worst case at list prices: no cache discount assumed, no reported cost known yet.
  prices = worstCasePrices(prices);
  const desired = Math.max(1, Math.floor(desiredMaxTokens));
  const worst = dollarsFor(prices, { inputTokens: promptTokens, outputTokens: desired });
  if (worst <= left) return { ok: true, maxTokens: desired, worstCaseDollars: worst, lowered: false };
  const promptCost = dollarsFor(prices, { inputTokens: promptTokens, outputTokens: 0 });
  const perOutputToken = prices.outputPricePerMillion / 1e6;
  const room = left - promptCost;
  let fitting = perOutputToken > 0 ? Math.floor(room / perOutputToken) : room >= 0 ? desired : 0;
  // Float rounding can put the exact product a hair above `left`; step down until it fits.
  while (fitting > 0 && dollarsFor(prices, { inputTokens: promptTokens, outputTokens: fitting }) > left) fitting--;
  const need = Math.min(minTokens, desired);
  if (room < 0 || fitting < need) {
    const minimal = dollarsFor(prices, { inputTokens: promptTokens, outputTokens: need });
    return {
      ok: false,
      worstCaseDollars: minimal,
      reason: `over budget: even a minimal answer (${promptTokens} prompt tokens + ${need} output tokens) would cost up to $${fmtDollars(minimal)}, and $${fmtDollars(left)} is left`,
    };
  }
  const maxTokens = Math.min(desired, fitting);
  return {
    ok: true,
    maxTokens,
    worstCaseDollars: dollarsFor(prices, { inputTokens: promptTokens, outputTokens: maxTokens }),
    lowered: maxTokens < desired,
  };
}

export function fmtDollars(d: number): string {
  if (d === 0) return '0';
  if (d < 0.0001) return d.toExponential(2);
  if (d < 0.01) return d.toFixed(6).replace(/0+$/, '');
  return d.toFixed(4).replace(/0+$/, '').replace(/\.$/, '');
}
